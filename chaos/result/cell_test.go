package result

import "testing"

func TestLabel(t *testing.T) {
	tests := []struct {
		run  *RunInfo
		want string
	}{
		{nil, "pod-eviction"},
		{&RunInfo{}, "pod-eviction"},
		{&RunInfo{Variant: "baseline"}, "pod-eviction"},
		{&RunInfo{Variant: "no-pdb"}, "pod-eviction@no-pdb"},
	}
	for _, tt := range tests {
		if got := (&Result{Scenario: "pod-eviction", Run: tt.run}).Label(); got != tt.want {
			t.Errorf("run %+v: %q, want %q", tt.run, got, tt.want)
		}
	}
}
