package session

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/variant"
)

func TestResultName(t *testing.T) {
	noPDB, _ := variant.Find("no-pdb")
	base, _ := variant.Find(variant.Baseline)
	tests := []struct {
		dirs bool
		v    variant.Variant
		want string
	}{
		{false, base, "pod-eviction.json"},
		{true, base, filepath.Join("baseline", "pod-eviction.json")},
		{true, noPDB, filepath.Join("no-pdb", "pod-eviction.json")},
	}
	for _, tt := range tests {
		s := &Session{cfg: Config{VariantDirs: tt.dirs}, variant: tt.v}
		if got := s.resultName("pod-eviction.json"); got != tt.want {
			t.Errorf("dirs %v variant %s: %s, want %s", tt.dirs, tt.v.Name, got, tt.want)
		}
	}
}

func TestOverheads(t *testing.T) {
	s := &Session{cfg: withDefaults(Config{})}
	if got := s.Overheads(); got != "" {
		t.Errorf("before any cell: %q", got)
	}
	s.costs = []cellCost{
		{name: "switch to no-pdb", wall: 20 * time.Second},
		{name: "a", wall: 100 * time.Second, loaded: 90 * time.Second},
		{name: "b", wall: 70 * time.Second, loaded: 50 * time.Second},
	}
	got := s.Overheads()
	for _, want := range []string{"2 cell(s) in 3m10s", "outside the load: 15s per cell", "1 variant switch(es) took 20s", "10s per cell"} {
		if !strings.Contains(got, want) {
			t.Errorf("overheads %q: want %q", got, want)
		}
	}
}

func TestAccountMeasuresOutsideTheLoad(t *testing.T) {
	s := &Session{cfg: withDefaults(Config{})}
	end := time.Now()
	res := &result.Result{Started: end.Add(-2 * time.Second), Ended: end}
	s.account("x", time.Now().Add(-3*time.Second), res)
	c := s.costs[0]
	if c.loaded != 2*time.Second || c.wall < 3*time.Second || c.wall > 4*time.Second {
		t.Errorf("cost %+v: want 2s loaded of about 3s", c)
	}
}
