package catalog

// What the external tests (package catalog_test, which may import the
// WordPress fixture) read of the package's own.
var (
	MySQLHangHold = mysqlHangHold
	ScaleBounds   = scaleBounds
)
