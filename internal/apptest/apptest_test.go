package apptest_test

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"github.com/selfheal/selfheal/internal/apptest"
)

// The page is PageBytes as sent without gzip, and gzipped to about a fifth
// when gzip is accepted, as the fixture's pages are (4.3 to 5.3 times).
func TestPage(t *testing.T) {
	srv := apptest.Page(t)
	plain := fetch(t, srv.URL, "")
	if len(plain) != apptest.PageBytes {
		t.Fatalf("identity: %d bytes; want %d", len(plain), apptest.PageBytes)
	}
	zipped := fetch(t, srv.URL, "gzip")
	ratio := float64(len(plain)) / float64(len(zipped))
	t.Logf("gzip %d bytes, ratio %.2f", len(zipped), ratio)
	if ratio < 4 || ratio > 6.5 {
		t.Errorf("gzip: %d bytes, a ratio of %.1f; want the fixture's 4 to 6.5", len(zipped), ratio)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	inflated, err := io.ReadAll(zr)
	if err != nil || string(inflated) != string(plain) {
		t.Errorf("the gzipped page does not inflate to the page (%d bytes, %v)", len(inflated), err)
	}
}

// fetch gets url with Accept-Encoding set to enc ("identity" when empty),
// as sent.
func fetch(t *testing.T, url, enc string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", cmp.Or(enc, "identity"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Content-Encoding"); (got == "gzip") != (enc == "gzip") {
		t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, got)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}
