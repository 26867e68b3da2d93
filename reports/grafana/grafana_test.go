package grafana

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/result"
)

// body is what Grafana's POST /api/annotations takes (its documented
// fields); decoding with unknown fields refused keeps the file to them.
type body struct {
	DashboardUID string   `json:"dashboardUID"`
	PanelID      int64    `json:"panelId"`
	Time         int64    `json:"time"`
	TimeEnd      int64    `json:"timeEnd"`
	Tags         []string `json:"tags"`
	Text         string   `json:"text"`
}

// decode reads JSON Lines, each line as the body Grafana takes.
func decode(t *testing.T, data []byte) []body {
	t.Helper()
	var bs []body
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var b body
		if err := dec.Decode(&b); err != nil || !strings.HasSuffix(line, "}\n") {
			t.Fatalf("line %q is not one of Grafana's annotation bodies: %v", line, err)
		}
		bs = append(bs, b)
	}
	return bs
}

func load(t *testing.T, dir string) []*result.Result {
	t.Helper()
	loaded, _, err := result.ReadPaths(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return result.Results(loaded)
}

// TestFaultWindowsOfARealSuite checks the annotations of the full suite's
// real run against its results: one per injection, beginning at it and
// ending at its revert, tagged with the run, scenario, variant and fault.
func TestFaultWindowsOfARealSuite(t *testing.T) {
	rs := load(t, "../../docs/runs/20261201/suite-full")
	var b bytes.Buffer
	if err := Write(&b, rs); err != nil {
		t.Fatal(err)
	}
	bs := decode(t, b.Bytes())
	injections, regions := 0, 0
	for _, r := range rs {
		injections += len(r.Injections)
		for _, w := range r.FaultWindows() {
			var found *body
			for i := range bs {
				if bs[i].Time == w.Injection.At.UnixMilli() && strings.Contains(bs[i].Text, w.Injection.Detail) {
					found = &bs[i]
				}
			}
			if found == nil {
				t.Errorf("%s: no annotation for the injection %q", r.Scenario, w.Injection.Detail)
				continue
			}
			for _, tag := range []string{Tag, "run:suite-full", "scenario:" + r.Scenario, "variant:baseline", "fault:" + w.Injection.Fault} {
				if !slices.Contains(found.Tags, tag) {
					t.Errorf("%s: tags %q lack %q", r.Scenario, found.Tags, tag)
				}
			}
			if w.Revert == nil {
				if found.TimeEnd != 0 || !strings.Contains(found.Text, "nothing reverted it") {
					t.Errorf("%s: an injection nothing reverted reads %+v, want a point that says so", r.Scenario, *found)
				}
				continue
			}
			regions++
			if found.TimeEnd != w.Revert.At.UnixMilli() || !strings.Contains(found.Text, w.Revert.Detail) {
				t.Errorf("%s: annotation %+v, want it to end at the revert %q at %d", r.Scenario, *found, w.Revert.Detail, w.Revert.At.UnixMilli())
			}
		}
	}
	if len(bs) != injections || regions < 8 {
		t.Errorf("%d annotations for %d injections, %d of them regions", len(bs), injections, regions)
	}
	for i := 1; i < len(bs); i++ {
		if bs[i].Time < bs[i-1].Time {
			t.Errorf("annotation %d is earlier than the one before it", i)
		}
	}
}

func TestRepetitionsAndVariantsAreTagged(t *testing.T) {
	bs := func(dir string) []body {
		var b bytes.Buffer
		if err := Write(&b, load(t, dir)); err != nil {
			t.Fatal(err)
		}
		return decode(t, b.Bytes())
	}
	for _, a := range bs("../testdata/repeated") {
		if !hasPrefix(a.Tags, "repetition:") || !strings.Contains(a.Text, " #") {
			t.Errorf("a repetition's annotation %+v does not say which", a)
		}
	}
	for _, a := range bs("../../docs/runs/20261201/prestop-5/no-prestop") {
		if !slices.Contains(a.Tags, "variant:no-prestop") || !strings.HasPrefix(a.Text, "image-roll@no-prestop #") {
			t.Errorf("a variant's annotation %+v does not name it", a)
		}
	}
}

func TestNothingInjectedIsNoLine(t *testing.T) {
	var b bytes.Buffer
	probe := load(t, "../testdata/probe")
	for _, r := range probe {
		r.Injections = nil
	}
	if err := Write(&b, probe); err != nil || b.Len() != 0 {
		t.Errorf("no injections: %q, %v; want nothing", b.String(), err)
	}
	if err := Write(&b, nil); !errors.Is(err, result.ErrNoResults) {
		t.Errorf("no results: %v, want ErrNoResults", err)
	}
}

func hasPrefix(ss []string, p string) bool {
	for _, x := range ss {
		if strings.HasPrefix(x, p) {
			return true
		}
	}
	return false
}
