// Package apptest starts servers that answer like the app under test, for
// the tests and benchmarks of any package that loads it.
package apptest

import (
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// PageBytes is the size of Page's answer before compression: the
// fixture's stylesheet (wp-includes/css/admin-bar.min.css) is 20,300.
const PageBytes = 20_000

// Page starts a server that answers every request as the fixture's
// WordPress (Apache, mod_deflate) answers for a static file: 200 with
// PageBytes of text, gzipped when the request accepts gzip. The text
// compresses as the fixture's pages do, to about a fifth (its stylesheet
// 20,300 → 3,832 bytes, its front page 51,872 → 9,835), so the bytes on
// the wire and the work of a client that inflates them are the app's. It
// is closed when tb ends.
func Page(tb testing.TB) *httptest.Server {
	tb.Helper()
	plain := pageText(PageBytes)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(plain)
	if err := zw.Close(); err != nil {
		tb.Fatalf("gzipping the page: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := plain
		w.Header().Set("Vary", "Accept-Encoding")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			body = zipped.Bytes()
		}
		w.Header().Set("Content-Type", "text/css")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// pageText is n bytes of CSS-like rules drawn from a fixed seed: the same
// page in every run, with the redundancy of a real one.
func pageText(n int) []byte {
	words := strings.Fields("display block none flex margin padding border color background font " +
		"width height position absolute relative top left right bottom inherit auto solid " +
		"transparent important line-height text-align center overflow hidden z-index cursor pointer")
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString("#wpadminbar .ab-" + words[rng.IntN(len(words))] + "-" + strconv.Itoa(rng.IntN(1000)) + "{")
		for range 1 + rng.IntN(4) {
			b.WriteString(words[rng.IntN(len(words))] + ":" + strconv.Itoa(rng.IntN(100)) + "px " + words[rng.IntN(len(words))] + ";")
		}
		b.WriteString("}")
	}
	return b.Bytes()[:n]
}
