package result

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNoResults is returned by ReadPaths when the paths hold no result at all.
var ErrNoResults = errors.New("no selfheal result files found")

// Loaded is one result read from disk, with the file it came from.
type Loaded struct {
	Path   string
	Result *Result
}

// Skipped is a JSON file found while walking a directory that is not a
// selfheal result (a CI folder also holds other artifacts).
type Skipped struct {
	Path   string
	Reason string
}

// ReadPaths reads result files and directories. A file must be a result
// (anything else is an error naming the file). A directory means every
// *.json file below it, recursively, so a folder of nightly artifacts works;
// JSON files there that are not selfheal results are skipped and listed,
// but one that claims the schema and does not decode is an error, because a
// silently missing scenario would make the report lie.
//
// Results come back ordered by start time, then scenario name.
func ReadPaths(ctx context.Context, paths ...string) ([]Loaded, []Skipped, error) {
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
		l, s, err := readDir(ctx, p)
		if err != nil {
			return nil, nil, err
		}
		loaded = append(loaded, l...)
		skipped = append(skipped, s...)
	}
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

func readDir(ctx context.Context, dir string) ([]Loaded, []Skipped, error) {
	var (
		loaded  []Loaded
		skipped []Skipped
	)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walking %s: %w", dir, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".json") {
			return nil
		}
		if reason := notAResult(path); reason != "" {
			skipped = append(skipped, Skipped{Path: path, Reason: reason})
			return nil
		}
		r, err := ReadFile(path)
		if err != nil {
			return err
		}
		loaded = append(loaded, Loaded{Path: path, Result: r})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return loaded, skipped, nil
}

// notAResult peeks at a file's schema field and says why it is not a
// selfheal result, or "" when it claims to be one.
func notAResult(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "" // let ReadFile report the error properly
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return "not a JSON object"
	}
	if !strings.HasPrefix(head.Schema, "selfheal.result/") {
		if head.Schema == "" {
			return "no \"schema\" field"
		}
		return fmt.Sprintf("schema %q", head.Schema)
	}
	return ""
}

// Results is the results of loaded, in the same order.
func Results(loaded []Loaded) []*Result {
	rs := make([]*Result, 0, len(loaded))
	for _, l := range loaded {
		rs = append(rs, l.Result)
	}
	return rs
}
