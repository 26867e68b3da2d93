package result

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeResult(t *testing.T, path, scenario string, start time.Time) {
	t.Helper()
	r := &Result{Scenario: scenario, Started: start, Ended: start.Add(time.Minute)}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, r); err != nil {
		t.Fatal(err)
	}
}

func TestReadPaths(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	writeResult(t, filepath.Join(dir, "a", "b.json"), "b", t0.Add(time.Minute))
	writeResult(t, filepath.Join(dir, "a", "deep", "a.json"), "a", t0)
	writeResult(t, filepath.Join(dir, "c.JSON"), "c", t0.Add(2*time.Minute))
	must := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	must("metrics.json", `{"latencies": {}}`)
	must("notes.txt", "not json at all")
	must("array.json", `[1, 2]`)
	other := must("other-schema.json", `{"schema": "vegeta.metrics/v1"}`)
	empty := t.TempDir()
	brokenDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(brokenDir, "x.json"), []byte(`{"schema": "selfheal.result/v2"}`), 0o644); err != nil {
		t.Fatal(err)
	}

	// A good result with a second one, cut short, appended to it.
	good, err := os.ReadFile(filepath.Join(dir, "c.JSON"))
	if err != nil {
		t.Fatal(err)
	}
	twoDocs := t.TempDir()
	trailing := filepath.Join(twoDocs, "trailing.json")
	if err := os.WriteFile(trailing, append(append([]byte{}, good...), good[:len(good)/2]...), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		paths       []string
		scenarios   string
		skipped     int
		errContains string
		errIs       error
	}{
		{name: "a directory, recursively, ordered by start", paths: []string{dir}, scenarios: "a b c", skipped: 3},
		{name: "a file", paths: []string{filepath.Join(dir, "a", "b.json")}, scenarios: "b"},
		{name: "a file that is not a result", paths: []string{other}, errContains: "not a selfheal result"},
		{name: "a missing file", paths: []string{filepath.Join(dir, "nope.json")}, errContains: "no such file"},
		{name: "an empty directory", paths: []string{empty}, errIs: ErrNoResults},
		{name: "a result of another version in a directory", paths: []string{brokenDir}, errContains: "not supported"},
		{name: "a result followed by a second one cut short", paths: []string{trailing}, errContains: "reading result " + trailing + ": more than one document"},
		{name: "the same in a directory", paths: []string{twoDocs}, errContains: "reading result " + trailing + ": more than one document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped, err := ReadPaths(context.Background(), tt.paths...)
			switch {
			case tt.errIs != nil:
				if !errors.Is(err, tt.errIs) {
					t.Fatalf("error %v, want %v", err, tt.errIs)
				}
				return
			case tt.errContains != "":
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("error %v, want one containing %q", err, tt.errContains)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			var names []string
			for _, l := range got {
				names = append(names, l.Result.Scenario)
			}
			if strings.Join(names, " ") != tt.scenarios || len(skipped) != tt.skipped {
				t.Errorf("got %v, %d skipped (%v); want %s, %d skipped", names, len(skipped), skipped, tt.scenarios, tt.skipped)
			}
		})
	}
}

// notAResult reads only the first key of a selfheal file, and any other
// document whole, with the same answers.
func TestNotAResult(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{"schema":"selfheal.result/v1","scenario":"a"}`, ""},
		{`{"scenario":"a","schema":"selfheal.result/v1"}`, ""},
		{`{"schema":"other/v1"}`, `schema "other/v1"`},
		{`{"latencies":{},"schema":"vegeta"}`, `schema "vegeta"`},
		{`{"latencies":{}}`, `no "schema" field`},
		{`{"schema":3}`, "not a JSON object"},
		{`[1,2]`, "not a JSON object"},
		{`hello`, "not a JSON object"},
	} {
		if got := notAResult([]byte(tt.doc)); got != tt.want {
			t.Errorf("notAResult(%s) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

// ReadFigures gives the same results as ReadPaths but for the parts only a
// detailed report draws.
func TestReadFigures(t *testing.T) {
	dir := filepath.Join("..", "..", "reports", "testdata", "nightly")
	full, _, err := ReadPaths(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	lean, _, err := ReadFigures(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(lean) != len(full) {
		t.Fatalf("%d results, ReadPaths %d", len(lean), len(full))
	}
	for i := range full {
		f, l := *full[i].Result, *lean[i].Result
		if len(f.Timeline) == 0 || len(f.Events) == 0 {
			t.Fatalf("%s: the sample has no timeline or events; the test shows nothing", full[i].Path)
		}
		if len(l.Timeline) != 0 || len(l.Events) != 0 || len(l.Outages) != 0 || len(l.Targets) != 0 {
			t.Errorf("%s: heavy parts read", lean[i].Path)
		}
		f.Timeline, f.Events, f.Outages, f.Targets = nil, []Event{}, nil, nil
		if !reflect.DeepEqual(f, l) {
			t.Errorf("%s: figures differ", lean[i].Path)
		}
	}
}
