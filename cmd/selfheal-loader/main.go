// Command selfheal-loader is the program of selfheal's loader pods
// (chaos/loader): constant-rate load from inside the cluster, one line per
// request on its standard output, and the far side of the harness's clock
// exchange. It is built static into the image fixtures/images/loader.
package main

import (
	"os"

	"github.com/selfheal/selfheal/chaos/loader"
)

func main() { os.Exit(loader.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
