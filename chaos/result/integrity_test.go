package result

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A result file cut short in a directory is an error, not a file skipped
// as "not a JSON object": skipping it made the report and the published
// index silently lose a run.
func TestReadPathsTruncatedResultIsAnError(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	whole := filepath.Join(dir, "a.json")
	writeResult(t, whole, "a", t0)
	data, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "b.json")
	if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadPaths(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), cut) || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("err = %v; want an error naming %s as cut short", err, cut)
	}
}

// The same result reached twice is loaded once, and the second is listed
// as a duplicate of the first.
func TestReadPathsDuplicates(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	a := filepath.Join(dir, "run1", "a.json")
	b := filepath.Join(dir, "run1", "b.json")
	writeResult(t, a, "a", t0)
	writeResult(t, b, "b", t0.Add(time.Minute))
	copyOfA := filepath.Join(t.TempDir(), "downloaded", "a.json")
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(copyOfA), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyOfA, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		paths  []string
		loaded string
		dups   []string // "path > kept"
	}{
		{"a file twice", []string{a, a}, "a", []string{a + " > " + a}},
		{"a directory and a file in it", []string{dir, a}, "a b", []string{a + " > " + a}},
		{"a copy elsewhere", []string{dir, copyOfA}, "a b", []string{copyOfA + " > " + a}},
		{"the same directory twice", []string{dir, dir + "/"}, "a b", []string{filepath.Join(dir, "run1", "a.json") + " > " + a, filepath.Join(dir, "run1", "b.json") + " > " + b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded, skipped, err := ReadPaths(context.Background(), tt.paths...)
			if err != nil {
				t.Fatal(err)
			}
			var scen []string
			for _, l := range loaded {
				scen = append(scen, l.Result.Scenario)
			}
			if strings.Join(scen, " ") != tt.loaded {
				t.Errorf("loaded %v; want %s, each once", scen, tt.loaded)
			}
			var dups []string
			for _, s := range skipped {
				if s.DuplicateOf == "" {
					t.Errorf("skipped %+v is not a duplicate", s)
					continue
				}
				dups = append(dups, filepath.Clean(s.Path)+" > "+filepath.Clean(s.DuplicateOf))
			}
			if strings.Join(dups, "\n") != strings.Join(tt.dups, "\n") {
				t.Errorf("duplicates\n%s\nwant\n%s", strings.Join(dups, "\n"), strings.Join(tt.dups, "\n"))
			}
		})
	}
}

// Files are all written or none: a second file that cannot be written
// leaves the first path untouched.
func TestWriteFilesAtomicAllOrNone(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "report.html")
	if err := os.WriteFile(first, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFilesAtomic(File{first, []byte("new")}, File{filepath.Join(blocker, "junit.xml"), []byte("x")})
	if err == nil {
		t.Fatal("writing under a file succeeded")
	}
	if got, _ := os.ReadFile(first); string(got) != "old" {
		t.Errorf("first file is %q; want it untouched", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
	if err := WriteFilesAtomic(File{first, []byte("new")}, File{filepath.Join(dir, "sub", "j.xml"), []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(first); string(got) != "new" {
		t.Errorf("first file is %q after a good write", got)
	}
}
