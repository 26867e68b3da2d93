package result

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrNoResults is returned by ReadPaths when the paths hold no result at all.
var ErrNoResults = errors.New("no selfheal result files found")

// Loaded is one result read from disk, with the file it came from.
type Loaded struct {
	Path   string
	Result *Result
}

// Skipped is a JSON file found while walking a directory that is not a
// selfheal result (a CI folder also holds other artifacts), or a result
// given twice (DuplicateOf names the file that was kept).
type Skipped struct {
	Path        string
	Reason      string
	DuplicateOf string
}

// ReadPaths reads result files and directories. A file must be a result
// (anything else is an error naming the file). A directory means every
// *.json file below it, recursively, so a folder of nightly artifacts works;
// JSON files there that are not selfheal results are skipped and listed,
// but one that claims the schema and does not decode is an error, because a
// silently missing scenario would make the report lie.
//
// The same result reached twice (a file named twice, a directory and a
// file in it, or a copy of it elsewhere) is loaded once; the others are
// listed in the skipped ones with DuplicateOf set, so that no run is
// counted twice.
//
// Results come back ordered by start time, then scenario name.
func ReadPaths(ctx context.Context, paths ...string) ([]Loaded, []Skipped, error) {
	return readPaths(ctx, decodeAll, paths)
}

// ReadFigures is ReadPaths for readers of the figures only (history,
// trends): the timeline, the events, the outages and the per-target
// breakdown, most of a result file, are skipped (left empty), which reads
// a directory of hundreds of runs in a fraction of the time and memory.
func ReadFigures(ctx context.Context, paths ...string) ([]Loaded, []Skipped, error) {
	return readPaths(ctx, decodeFigures, paths)
}

func readPaths(ctx context.Context, decode func([]byte) (*Result, error), paths []string) ([]Loaded, []Skipped, error) {
	var (
		loaded  []Loaded
		skipped []Skipped
	)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("reading results: %w", err)
		}
		if !st.IsDir() {
			r, err := ReadFile(p)
			if err != nil {
				return nil, nil, err
			}
			loaded = append(loaded, Loaded{Path: p, Result: r})
			continue
		}
		l, s, err := readDir(ctx, p, decode)
		if err != nil {
			return nil, nil, err
		}
		loaded = append(loaded, l...)
		skipped = append(skipped, s...)
	}
	loaded, dups := dedupe(loaded)
	skipped = append(skipped, dups...)
	if len(loaded) == 0 {
		return nil, skipped, ErrNoResults
	}
	sort.SliceStable(loaded, func(i, j int) bool {
		a, b := loaded[i].Result, loaded[j].Result
		if !a.Started.Equal(b.Started) {
			return a.Started.Before(b.Started)
		}
		return a.Scenario < b.Scenario
	})
	return loaded, skipped, nil
}

func readDir(ctx context.Context, dir string, decode func([]byte) (*Result, error)) ([]Loaded, []Skipped, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walking %s: %w", dir, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".json") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// A report directory holds thousands of results: they are decoded on
	// every core, and reported in the walk's order.
	out := make([]fileOutcome, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = readOne(ctx, paths[i], decode)
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	var (
		loaded  []Loaded
		skipped []Skipped
	)
	for i, o := range out {
		switch {
		case o.err != nil:
			return nil, nil, o.err
		case o.skipped != "":
			skipped = append(skipped, Skipped{Path: paths[i], Reason: o.skipped})
		default:
			loaded = append(loaded, Loaded{Path: paths[i], Result: o.result})
		}
	}
	return loaded, skipped, nil
}

// dedupe keeps the first of results that are the same file or the same
// run of the same scenario (same run id, scenario, start and end).
func dedupe(loaded []Loaded) (kept []Loaded, dups []Skipped) {
	seen := map[string]string{} // identity -> path kept
	for _, l := range loaded {
		keys := []string{"file:" + canonicalPath(l.Path), "result:" + identity(l.Result)}
		first := ""
		for _, k := range keys {
			if p, ok := seen[k]; ok && first == "" {
				first = p
			}
		}
		if first != "" {
			reason := "the same result as " + first
			if canonicalPath(first) == canonicalPath(l.Path) {
				reason = "given twice"
			}
			dups = append(dups, Skipped{Path: l.Path, Reason: reason, DuplicateOf: first})
			continue
		}
		for _, k := range keys {
			seen[k] = l.Path
		}
		kept = append(kept, l)
	}
	return kept, dups
}

func canonicalPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	return p
}

func identity(r *Result) string {
	run := ""
	if r.Run != nil {
		run = r.Run.ID
	}
	return strings.Join([]string{run, r.Scenario, r.Started.UTC().Format(time.RFC3339Nano), r.Ended.UTC().Format(time.RFC3339Nano)}, "|")
}

// claimsSchema finds the schema field of a result in bytes that do not
// decode (a file cut short by a full disk or a killed copy).
var claimsSchema = regexp.MustCompile(`"schema"\s*:\s*"selfheal\.result/`)

type fileOutcome struct {
	result  *Result
	skipped string
	err     error
}

// readOne reads a file once: its schema is peeked at from the bytes that
// are then decoded.
func readOne(ctx context.Context, path string, decode func([]byte) (*Result, error)) fileOutcome {
	if err := ctx.Err(); err != nil {
		return fileOutcome{err: err}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fileOutcome{err: fmt.Errorf("reading result: %w", err)}
	}
	if reason := notAResult(data); reason != "" {
		return fileOutcome{skipped: reason}
	}
	r, err := decode(data)
	if err != nil {
		return fileOutcome{err: fmt.Errorf("reading result %s: %w", path, err)}
	}
	return fileOutcome{result: r}
}

func decodeAll(data []byte) (*Result, error) { return Decode(bytes.NewReader(data)) }

// skipped is a JSON value read past without being decoded.
type skipped struct{}

func (*skipped) UnmarshalJSON([]byte) error { return nil }

func decodeFigures(data []byte) (*Result, error) {
	// The outer fields hide the embedded Result's of the same JSON name.
	var f struct {
		Result
		Timeline skipped `json:"timeline"`
		Events   skipped `json:"events"`
		Outages  skipped `json:"outages"`
		Targets  skipped `json:"targets"`
		Vantages skipped `json:"vantages"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, decodeError(err)
	}
	return finish(&f.Result)
}

// notAResult peeks at a document's schema field and says why it is not a
// selfheal result, or "" when it claims to be one. selfheal writes
// "schema" first, so for its own files only the first key is read; any
// other document is parsed whole.
func notAResult(data []byte) string {
	schema, ok := firstSchema(data)
	if !ok {
		var head struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			if claimsSchema.Match(data) {
				return "" // a result gone bad: let Decode say what is wrong
			}
			return "not a JSON object"
		}
		schema = head.Schema
	}
	if !strings.HasPrefix(schema, "selfheal.result/") {
		if schema == "" {
			return "no \"schema\" field"
		}
		return fmt.Sprintf("schema %q", schema)
	}
	return ""
}

// firstSchema reads the schema when it is the object's first key.
func firstSchema(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	if t, err := dec.Token(); err != nil || t != "schema" {
		return "", false
	}
	v, err := dec.Token()
	s, isString := v.(string)
	return s, err == nil && isString
}

// Results is the results of loaded, in the same order.
func Results(loaded []Loaded) []*Result {
	rs := make([]*Result, 0, len(loaded))
	for _, l := range loaded {
		rs = append(rs, l.Result)
	}
	return rs
}
