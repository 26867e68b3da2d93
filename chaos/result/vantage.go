package result

import "time"

// VantageKind says where a vantage point's requests come from
// (docs/measurement.md, "Vantage points").
type VantageKind string

// Vantage kinds.
const (
	// VantageOutside is the harness, through the app's NodePort: where
	// the top-level figures of every result are measured from.
	VantageOutside VantageKind = "outside"
	// VantageInside is loader pods in the cluster, through the app's
	// Service (its ClusterIP DNS name).
	VantageInside VantageKind = "inside"
	// VantageControl is the harness, through the NodePort of a static
	// server that is not the app: a failure there is the path's, not the
	// app's.
	VantageControl VantageKind = "control"
)

// Connections says whether a vantage point's requests reuse connections.
type Connections string

// Connection modes.
const (
	ConnectionsNew    Connections = "new"    // a connection per request (kube-proxy balances each)
	ConnectionsReused Connections = "reused" // keep-alive (a connection stays on one pod)
)

// ConnectionsOf is the mode of a load with keep-alive on or off.
func ConnectionsOf(keepAlive bool) Connections {
	if keepAlive {
		return ConnectionsReused
	}
	return ConnectionsNew
}

// VantagePoint names a vantage point and says where it measured from.
type VantagePoint struct {
	// Name is unique in a result: "outside", "inside", "control",
	// "outside-reused".
	Name        string      `json:"name"`
	Kind        VantageKind `json:"kind"`
	Connections Connections `json:"connections"`
	// From says in words where the requests went from and to.
	From string `json:"from,omitempty"`
}

// VantageName is the name of the vantage point of kind k with connections
// c when a result has one of each: the kind, with "-reused" for reused
// connections beside new ones.
func VantageName(k VantageKind, c Connections, alongside bool) string {
	if alongside && c == ConnectionsReused {
		return string(k) + "-reused"
	}
	return string(k)
}

// Label says a vantage point for people: "inside, reused connections".
func (p VantagePoint) Label() string {
	return string(p.Kind) + ", " + string(p.Connections) + " connections"
}

// Vantage is one vantage point's figures, measured by the same analysis
// as the top-level figures (chaos/measure), from the same fault instants.
// The top-level figures are the outside vantage's (Result.Vantage); these
// are the others.
type Vantage struct {
	VantagePoint
	Load        Load           `json:"load"`
	Requests    Requests       `json:"requests"`
	StatusCodes map[string]int `json:"status_codes"`
	Errors      map[string]int `json:"errors"`
	Server5xx   int            `json:"server_5xx"`

	DowntimeMS        float64  `json:"downtime_ms"`
	LongestOutageMS   float64  `json:"longest_outage_ms"`
	FullOutageSeconds int      `json:"full_outage_seconds"`
	Outages           []Outage `json:"outages"`

	TimeToFirstErrorMS *float64      `json:"time_to_first_error_ms"`
	RecoveryMS         *float64      `json:"recovery_ms"`
	RecoveryState      RecoveryState `json:"recovery_state,omitempty"`
	// Timeline is the vantage point's requests in the result's buckets.
	Timeline []Bucket `json:"timeline"`

	// Loaders are the pods that sent an inside vantage point's requests,
	// with the clock offsets their send times were corrected by.
	Loaders []Loader `json:"loaders,omitempty"`
	// Error says why the vantage point measured nothing or not all it
	// should have (its loaders did not start, a log stream was lost).
	Error string   `json:"error,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// Loader is one loader pod of an inside vantage point.
type Loader struct {
	Pod  string `json:"pod"`
	Node string `json:"node"`
	// Rate is the requests per second it was asked for.
	Rate float64 `json:"rate"`
	// Samples is how many of its requests came back into the result,
	// and Achieved the rate they were sent at (requests over the time its
	// load ran): well under Rate, the loader could not keep up.
	Samples  int     `json:"samples"`
	Achieved float64 `json:"achieved_rate"`
	// Clock are the offsets of its node's clock from the harness's,
	// measured before and after its load. Its send times were moved by
	// Applied.
	Clock []ClockReading `json:"clock"`
	// AppliedMS is the offset subtracted from its send times (its node's
	// clock minus the harness's), and UncertaintyMS how far off that may
	// be: the half round trip of the exchange it came from.
	AppliedMS     float64 `json:"applied_offset_ms"`
	UncertaintyMS float64 `json:"uncertainty_ms"`
	// Ended is true when its stream ended with its own last line: every
	// request it sent is in Samples. False when the stream was cut (its
	// node halted, its pod evicted): Lost says when and why.
	Ended bool   `json:"ended"`
	Lost  string `json:"lost,omitempty"`
}

// ClockReading is one measurement of a node's clock against the
// harness's, NTP-style: the harness reads its clock (t0), asks the pod for
// its own (t1), reads its clock again (t2); the offset is t1 − (t0+t2)/2,
// uncertain by half the round trip, (t2−t0)/2. The best of Exchanges
// exchanges (the shortest round trip) is kept.
type ClockReading struct {
	At            time.Time `json:"at"`
	OffsetMS      float64   `json:"offset_ms"`
	UncertaintyMS float64   `json:"uncertainty_ms"`
	Exchanges     int       `json:"exchanges"`
}

// Charge is how much of the outside vantage's downtime is the app's: the
// outages where the control probe, on the same path to a server that is
// not the app, succeeded (docs/measurement.md, "Downtime charged to the
// app"; computed in chaos/measure).
type Charge struct {
	// Control names the control vantage point.
	Control string `json:"control"`
	// DowntimeMS is the outside downtime charged to the app: every outage
	// less its overlap with the control probe's outages.
	DowntimeMS float64 `json:"downtime_ms"`
	// ExcusedMS is the outside downtime the control probe failed through
	// too: the path's, not the app's.
	ExcusedMS float64 `json:"excused_ms"`
	// ControlDowntimeMS is the control probe's own downtime.
	ControlDowntimeMS float64 `json:"control_downtime_ms"`
	// Excused are the stretches of outside outages that were not charged.
	Excused []Span `json:"excused,omitempty"`
}

// Span is a stretch of time.
type Span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// VantageByName is r's vantage point of that name; the outside one is
// the top level and not in r.Vantages.
func (r *Result) VantageByName(name string) (*Vantage, bool) {
	for i := range r.Vantages {
		if r.Vantages[i].Name == name {
			return &r.Vantages[i], true
		}
	}
	return nil, false
}

// VantageNames lists the names of r's vantage points, the top level's
// first; nil when r was measured from the outside alone.
func (r *Result) VantageNames() []string {
	if len(r.Vantages) == 0 {
		return nil
	}
	names := []string{r.TopVantage().Name}
	for _, v := range r.Vantages {
		names = append(names, v.Name)
	}
	return names
}

// TopVantage is where r's top-level figures were measured from: the
// outside, with the connections of its load.
func (r *Result) TopVantage() VantagePoint {
	if r.Vantage != nil {
		return *r.Vantage
	}
	return VantagePoint{Name: string(VantageOutside), Kind: VantageOutside, Connections: ConnectionsOf(r.Load.KeepAlive)}
}
