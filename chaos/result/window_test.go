package result

import (
	"testing"
	"time"
)

func TestFaultWindows(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 18, 52, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	mark := func(s int, fault, detail string) Injection { return Injection{At: at(s), Fault: fault, Detail: detail} }
	tests := []struct {
		name       string
		injections []Injection
		reverts    []Injection
		want       []string // "injection detail -> revert detail", "" revert when none
	}{
		{"one fault, one revert", []Injection{mark(10, "node-kill", "halt")}, []Injection{mark(90, "node-kill", "start")},
			[]string{"halt -> start"}},
		{"two pods in turn, reverted in turn", []Injection{mark(10, "db-partition", "A"), mark(11, "db-partition", "B")},
			[]Injection{mark(41, "db-partition", "undo B"), mark(40, "db-partition", "undo A")},
			[]string{"A -> undo A", "B -> undo B"}},
		{"a drain: the cordon takes the uncordon, the eviction none",
			[]Injection{mark(10, "node-drain", "cordon"), mark(11, "node-drain", "evict")}, []Injection{mark(24, "node-drain", "uncordon")},
			[]string{"cordon -> uncordon", "evict -> "}},
		{"nothing reverted: instants", []Injection{mark(10, "image-roll", "roll"), mark(30, "image-roll", "rollback")}, nil,
			[]string{"roll -> ", "rollback -> "}},
		{"a revert of another fault or from before is not this one's",
			[]Injection{mark(10, "a", "inject a")}, []Injection{mark(5, "a", "earlier"), mark(20, "b", "undo b")},
			[]string{"inject a -> "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Result{Injections: tt.injections, Reverts: tt.reverts}
			ws := r.FaultWindows()
			if len(ws) != len(tt.want) {
				t.Fatalf("%d windows, want %d", len(ws), len(tt.want))
			}
			for i, w := range ws {
				got := w.Injection.Detail + " -> "
				if w.Revert != nil {
					got += w.Revert.Detail
					if !w.End().Equal(w.Revert.At) {
						t.Errorf("window %d ends %v, want its revert's %v", i, w.End(), w.Revert.At)
					}
				} else if !w.End().Equal(w.Injection.At) {
					t.Errorf("window %d without revert ends %v, want its injection's %v", i, w.End(), w.Injection.At)
				}
				if got != tt.want[i] {
					t.Errorf("window %d = %q, want %q", i, got, tt.want[i])
				}
			}
		})
	}
}
