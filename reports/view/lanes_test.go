package view

import (
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// The API server's gaps (chaos/timeline) get their own lane, right under
// the faults that cause them; an unknown kind still gets one, last.
func TestLanesPutTheAPIUnderTheFaults(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r := &result.Result{Started: t0, Ended: t0.Add(time.Minute), Events: []result.Event{
		{At: t0.Add(30 * time.Second), Kind: "pod", Object: "wp-1", Reason: "Ready"},
		{At: t0.Add(25 * time.Second), Kind: "api", Object: "kube-apiserver", Reason: "Ready"},
		{At: t0.Add(5 * time.Second), Kind: "api", Object: "kube-apiserver", Reason: "Unreachable"},
		{At: t0.Add(40 * time.Second), Kind: "zz", Object: "x", Reason: "Seen"},
		{At: t0.Add(4 * time.Second), Kind: "fault", Object: "apiserver-restart", Reason: "Injected"},
	}}
	var got []string
	for _, l := range lanes(r, 60, time.UTC) {
		got = append(got, l.Label)
	}
	if strings.Join(got, "|") != "faults|API server|pods|zzs" {
		t.Fatalf("lanes %q", got)
	}
	api := lanes(r, 60, time.UTC)[1]
	if len(api.Marks) != 2 || api.Marks[0].Severity != "bad" || api.Marks[1].Severity != "good" {
		t.Errorf("API lane marks %+v: the gap opens bad and closes good", api.Marks)
	}
}
