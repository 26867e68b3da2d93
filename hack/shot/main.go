// Command shot writes a PNG of one element of a report page in headless
// Chromium: how the pictures of real runs in docs/ are made, e.g.
//
//	go run ./hack/shot -page _out/report/run/report.html -sel '#run-x-db-partition' -out docs/x.png
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	page := flag.String("page", "", "the HTML `file` to open")
	sel := flag.String("sel", "body", "CSS `selector` of the element to picture")
	out := flag.String("out", "shot.png", "the PNG `file` to write")
	width := flag.Int("width", 1400, "window width in pixels")
	browser := flag.String("chromium", "chromium", "the Chromium `binary`")
	flag.Parse()
	if err := shoot(*page, *sel, *out, *width, *browser); err != nil {
		fmt.Fprintln(os.Stderr, "shot:", err)
		os.Exit(1)
	}
}

func shoot(page, sel, out string, width int, browser string) error {
	abs, err := filepath.Abs(page)
	if err != nil {
		return fmt.Errorf("page %s: %w", page, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(browser), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.WindowSize(width, 1000))
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Navigate("file://"+abs)); err != nil {
		return fmt.Errorf("opening %s: %w", page, err)
	}
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel)))
	if err != nil {
		return fmt.Errorf("finding %s in %s: %w", sel, page, err)
	}
	png, err := chromedp.Run(ctx, chromedp.ScreenshotNodes(nodes[:1], 1))
	if err != nil {
		return fmt.Errorf("picturing %s of %s: %w", sel, page, err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}
