package result

// The catalog's scenario names (chaos/catalog), which results carry in
// Scenario. They are written once, here at the bottom layer, so that the
// catalog, the variants (chaos/variant) and the write-ups' claims
// (chaos/expect) name a scenario the same way without the lower layers
// importing the engine.
const (
	ScenarioWPConfigBreak    = "wp-config-break"
	ScenarioPodEviction      = "pod-eviction"
	ScenarioImageRoll        = "image-roll"
	ScenarioScaleOutIn       = "scale-out-in"
	ScenarioNodeDrain        = "node-drain"
	ScenarioMySQLCrash       = "mysql-crash"
	ScenarioDBPartition      = "db-partition"
	ScenarioDNSOutage        = "dns-outage"
	ScenarioPacketLoss       = "packet-loss"
	ScenarioAPIServerRestart = "apiserver-restart"
	ScenarioMySQLHang        = "mysql-hang"
	ScenarioNodeHalt         = "node-halt"
	ScenarioMySQLNodeHalt    = "mysql-node-halt"
)
