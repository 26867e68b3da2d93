package plan

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/catalog"
	"github.com/selfheal/selfheal/chaos/variant"
)

// matrix is the baseline cells of scenarios named as given.
func matrix(names ...string) variant.Matrix {
	var m variant.Matrix
	for _, n := range names {
		m.Cells = append(m.Cells, variant.Cell{Variant: variant.Variant{Name: variant.Baseline}, Entry: catalog.Entry{Name: n, Fault: "f-" + n, Set: "core"}})
	}
	return m
}

func names(p Plan) string {
	var s []string
	for _, c := range p {
		s = append(s, c.Name())
	}
	return strings.Join(s, " ")
}

func TestNew(t *testing.T) {
	tests := []struct {
		scenarios []string
		n         int
		want      string
		files     string
		wantErr   string
	}{
		{[]string{"a", "b"}, 1, "a b", "a.json b.json", ""},
		{[]string{"a", "b"}, 3, "a#1 a#2 a#3 b#1 b#2 b#3", "a.r1.json a.r2.json a.r3.json b.r1.json b.r2.json b.r3.json", ""},
		{[]string{"a"}, 2, "a#1 a#2", "a.r1.json a.r2.json", ""},
		{nil, 3, "", "", ""},
		{[]string{"a"}, 0, "", "", "between 1 and 100 (got 0)"},
		{[]string{"a"}, 101, "", "", "between 1 and 100 (got 101)"},
	}
	for _, tt := range tests {
		p, err := New(matrix(tt.scenarios...), tt.n)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New(%v, %d) err = %v, want %q", tt.scenarios, tt.n, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := names(p); got != tt.want {
			t.Errorf("New(%v, %d) = %q, want %q", tt.scenarios, tt.n, got, tt.want)
		}
		var files []string
		for _, c := range p {
			files = append(files, c.FileName())
		}
		if got := strings.Join(files, " "); got != tt.files {
			t.Errorf("files %q, want %q", got, tt.files)
		}
	}
}

func TestCellLabelsAndLast(t *testing.T) {
	p, _ := New(matrix("a", "b"), 2)
	l := p[1].Labels()
	if l["scenario"] != "a" || l["repetition"] != "2" || l["fault"] != "f-a" {
		t.Errorf("labels %v", l)
	}
	var last []bool
	for i := range p {
		last = append(last, p.Last(i))
	}
	if want := []bool{false, true, false, true}; !equal(last, want) {
		t.Errorf("Last = %v, want %v", last, want)
	}
	if i := p.Index(p[2]); i != 2 {
		t.Errorf("Index(b#1) = %d, want 2", i)
	}
	other := p[2]
	other.Variant.Name = "no-pdb"
	if i := p.Index(other); i != -1 {
		t.Errorf("Index(b@no-pdb#1) = %d, want -1", i)
	}
}

func equal(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseRepeat(t *testing.T) {
	for in, want := range map[string]string{"3": "", "1": "", "auto": "", "0": "between 1 and 100", "x": "not a whole number", "2.5": "not a whole number", "-1": "between 1 and 100", "Auto": `nor "auto"`} {
		r, err := ParseRepeat(in)
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRepeat(%q) err = %v, want %q", in, err, want)
		}
		if err == nil && r.String() != in {
			t.Errorf("ParseRepeat(%q) says itself as %q", in, r)
		}
	}
}

func TestSelect(t *testing.T) {
	p, _ := New(matrix("a", "b", "c"), 2)
	name := func(c Cell) string { return c.Name() }
	tests := []struct {
		f    Filter
		want string
	}{
		{Filter{}, "a#1 a#2 b#1 b#2 c#1 c#2"},
		{Filter{Labels: map[string][]string{"scenario": {"b"}}}, "b#1 b#2"},
		{Filter{Labels: map[string][]string{"scenario": {"a", "c"}, "repetition": {"2"}}}, "a#2 c#2"},
		{Filter{SkipLabels: map[string][]string{"fault": {"f-b"}}}, "a#1 a#2 c#1 c#2"},
		{Filter{Labels: map[string][]string{"variant": {"x"}}}, ""},
		{Filter{Feature: regexp.MustCompile("^a")}, "a#1 a#2"},
		{Filter{SkipFeature: regexp.MustCompile("#1$")}, "a#2 b#2 c#2"},
	}
	for _, tt := range tests {
		if got := names(p.Select(tt.f, name)); got != tt.want {
			t.Errorf("Select(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestProgressEstimate(t *testing.T) {
	p, _ := New(matrix("a", "b"), 3)
	pr := NewProgress(p)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	pr.Start(0, at(0))
	if _, ok := pr.Left(at(10)); ok {
		t.Error("an estimate before any cell finished")
	}
	if got := pr.Line(at(10)); got != "a 1/3 · cell 1 of 6 · time left known after the first cell" {
		t.Errorf("line %q", got)
	}
	pr.Finish(0, at(100)) // a took 100 s
	pr.Start(1, at(100))
	// a#2 has 100-30 left, a#3 100, b#1..3 100 each (no b finished yet:
	// the median of all).
	if left, _ := pr.Left(at(130)); left != 470*time.Second {
		t.Errorf("left %s, want 7m50s", left)
	}
	pr.Finish(1, at(300)) // a: 100, 200
	pr.Start(2, at(300))
	pr.Finish(2, at(360)) // a: 100, 200, 60 -> median 100; all median 100
	pr.Start(3, at(360))
	pr.Finish(3, at(400)) // b: 40; all: 40 60 100 200 -> median 80
	pr.Start(4, at(400))
	// b#2 running 10 s: 40-10 = 30; b#3 40.
	if left, _ := pr.Left(at(410)); left != 70*time.Second {
		t.Errorf("left %s, want 1m10s", left)
	}
	// A running cell past its estimate has nothing left, never less.
	if left, _ := pr.Left(at(500)); left != 40*time.Second {
		t.Errorf("left %s, want 40s", left)
	}
	if got := pr.Line(at(410)); got != "b 2/3 · cell 5 of 6 · about 1 min left" {
		t.Errorf("line %q", got)
	}
	pr.Finish(4, at(450)) // b: 40, 50 -> median 45
	if got := pr.Line(at(450)); got != "5 of 6 cells done · about 45 s left" {
		t.Errorf("line %q", got)
	}
}

func TestVariantCells(t *testing.T) {
	m := matrix("a", "a")
	m.Cells[1].Variant.Name = "no-pdb"
	p, _ := New(m, 2)
	if got := names(p); got != "a#1 a#2 a@no-pdb#1 a@no-pdb#2" {
		t.Errorf("cells %q", got)
	}
	if !p.Last(1) || p.Last(2) || p[3].Labels()["variant"] != "no-pdb" || p[3].FileName() != "a.r2.json" {
		t.Errorf("last %v %v labels %v file %s", p.Last(1), p.Last(2), p[3].Labels(), p[3].FileName())
	}
	// The estimate keeps a variant's cells apart from the baseline's.
	pr := NewProgress(p)
	t0 := time.Now()
	pr.Start(0, t0)
	pr.Finish(0, t0.Add(time.Minute))
	pr.Start(1, t0.Add(time.Minute))
	pr.Finish(1, t0.Add(2*time.Minute))
	pr.Start(2, t0.Add(2*time.Minute))
	pr.Finish(2, t0.Add(5*time.Minute)) // a@no-pdb took 3 min
	if left, _ := pr.Left(t0.Add(5 * time.Minute)); left != 3*time.Minute {
		t.Errorf("left %s, want 3m0s (a@no-pdb's own time, not a's)", left)
	}
}

func TestProgressUnrepeated(t *testing.T) {
	p, _ := New(matrix("a", "b"), 1)
	pr := NewProgress(p)
	t0 := time.Now()
	pr.Start(0, t0)
	pr.Finish(0, t0.Add(90*time.Minute))
	pr.Start(1, t0.Add(90*time.Minute))
	if got := pr.Line(t0.Add(95 * time.Minute)); got != "b · cell 2 of 2 · about 1 h 25 min left" {
		t.Errorf("line %q", got)
	}
}

func TestApprox(t *testing.T) {
	for d, want := range map[time.Duration]string{
		40 * time.Second: "40 s", 12*time.Minute + 20*time.Second: "12 min", 65 * time.Minute: "1 h 05 min", 0: "0 s",
	} {
		if got := Approx(d); got != want {
			t.Errorf("Approx(%s) = %q, want %q", d, got, want)
		}
	}
}
