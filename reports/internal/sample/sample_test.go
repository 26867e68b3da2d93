package sample

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/selfheal/selfheal/chaos/result"
)

var update = flag.Bool("update", false, "rewrite reports/testdata from the sample scripts")

const testdata = "../../testdata"

// TestTestdataUpToDate keeps reports/testdata equal to what the scripts
// generate, so the samples never drift from the generator silently.
func TestTestdataUpToDate(t *testing.T) {
	files := map[string]*result.Result{}
	for _, n := range Nightlies() {
		for _, r := range n.Results {
			files[filepath.Join("nightly", n.Dir, r.Scenario+".json")] = r
		}
	}
	files[filepath.Join("probe", "probe.json")] = Probe()
	files[filepath.Join("vantages", "node-halt.json")] = Vantages()
	for _, r := range Repeated() {
		files[filepath.Join("repeated", fmt.Sprintf("%s.r%d.json", r.Scenario, r.Repetition))] = r
	}
	for _, r := range Variants() {
		files[filepath.Join("variants", r.VariantName(), fmt.Sprintf("%s.r%d.json", r.Scenario, r.Repetition))] = r
	}
	for name, r := range files {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join(testdata, name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// Compare through the model, so that a field added to it later
		// (zero in both) does not make every sample stale.
		onDisk, err := result.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/sample -update)", err)
		}
		got, err := json.Marshal(onDisk)
		if err != nil {
			t.Fatal(err)
		}
		if string(got)+"\n" != string(want) {
			t.Errorf("%s differs from the generator's output; run go test ./internal/sample -update", path)
		}
	}
}

// TestFiguresAgree checks the simulation's figures against each other: a
// generator bug would make every report test downstream meaningless.
func TestFiguresAgree(t *testing.T) {
	var all []*result.Result
	for _, n := range Nightlies() {
		all = append(all, n.Results...)
	}
	all = append(all, Probe())
	all = append(all, Variants()...)
	for _, r := range all {
		t.Run(runID(r)+"/"+r.Scenario, func(t *testing.T) {
			var total, failed int
			for _, b := range r.Timeline {
				total += b.OK2xx + b.OK3xx + b.C4xx + b.S5xx + b.Errors
				failed += b.S5xx + b.Errors
			}
			if total != r.Requests.Total || failed != r.Requests.Failed {
				t.Errorf("buckets hold %d requests (%d failed), result says %d (%d)", total, failed, r.Requests.Total, r.Requests.Failed)
			}
			var down, inOutages float64
			for _, o := range r.Outages {
				down += o.DurationMS
				inOutages += float64(o.Requests)
				if !o.End.After(o.Start) {
					t.Errorf("outage %v ends at %v", o.Start, o.End)
				}
			}
			if d := down - r.DowntimeMS; d > 1e-6 || d < -1e-6 {
				t.Errorf("outages sum to %v ms, downtime is %v", down, r.DowntimeMS)
			}
			if int(inOutages) != r.Requests.Failed {
				t.Errorf("outages hold %v failed requests, result says %d", inOutages, r.Requests.Failed)
			}
			if len(r.Injections) > 0 && r.Recovered != (r.RecoveryMS != nil) {
				t.Errorf("recovered %v but recovery_ms %v", r.Recovered, r.RecoveryMS)
			}
		})
	}
}

func runID(r *result.Result) string {
	if r.Run == nil {
		return "norun"
	}
	return r.Run.ID
}
