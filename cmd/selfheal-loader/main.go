// Command selfheal-loader is the program of selfheal's loader pods
// (chaos/loader): constant-rate load from inside the cluster, one line per
// request on its standard output, and the far side of the harness's clock
// exchange. It is built static into the image fixtures/images/loader.
package main

import (
	"os"
	"runtime"

	"github.com/selfheal/selfheal/chaos/loader"
)

func main() {
	// One P unless told otherwise: at a loader's rates (hundreds of
	// requests a second) a second P only adds hand-offs between threads.
	// Measured at 100 requests/s with a connection per request
	// (BenchmarkLoader100rps): context switches halved, CPU 8.0 → 6.5 %
	// of a core; 1,600 requests/s are still sent on time with one.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	os.Exit(loader.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
