package result

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteFile writes r as indented JSON to path atomically: a reader sees the
// old file or the whole new one, never half of it, even if the process dies
// mid-write.
func WriteFile(path string, r *Result) error {
	if r.Schema == "" {
		r.Schema = Schema
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding result %q: %w", r.Scenario, err)
	}
	return WriteFileAtomic(path, append(data, '\n'))
}

// WriteFileAtomic writes data to a temporary file next to path, syncs it and
// renames it into place.
func WriteFileAtomic(path string, data []byte) error {
	return WriteFilesAtomic(File{Path: path, Data: data})
}

// File is one file for WriteFilesAtomic.
type File struct {
	Path string
	Data []byte
}

// WriteFilesAtomic writes files so that they are all written or none is:
// every file is first written whole to a temporary file next to its
// path, and only when all of them are does each replace its path. A
// failure before that (a directory that cannot be created, a full disk)
// leaves every path as it was.
func WriteFilesAtomic(files ...File) (err error) {
	staged := make([]string, 0, len(files))
	defer func() {
		if err != nil {
			for _, tmp := range staged {
				os.Remove(tmp)
			}
		}
	}()
	for _, f := range files {
		if st, err := os.Stat(f.Path); err == nil && st.IsDir() {
			return fmt.Errorf("writing %s: it is a directory", f.Path)
		}
		tmp, err := stage(f.Path, f.Data)
		if err != nil {
			return err
		}
		staged = append(staged, tmp)
	}
	for i, f := range files {
		if err := os.Rename(staged[i], f.Path); err != nil {
			return fmt.Errorf("moving %s into place: %w", f.Path, err)
		}
	}
	return nil
}

// stage writes data to a synced temporary file next to path.
func stage(path string, data []byte) (name string, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating directory for %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return "", fmt.Errorf("syncing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Name(), nil
}

// ReadFile reads and validates a result document.
func ReadFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading result: %w", err)
	}
	defer f.Close()
	r, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("reading result %s: %w", path, err)
	}
	return r, nil
}

// Decode reads one result document and checks its schema, so a file of
// another kind fails with a message that says what was expected. Anything
// after the document is refused: a result with a second one, whole or cut
// short, appended to it is not one result.
func Decode(rd io.Reader) (*Result, error) {
	var r Result
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, decodeError(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one document: the result ends at byte %d and more follows; expected one %s document, as selfheal writes it (two files joined, or a copy appended?)", end, Schema)
	}
	return finish(&r)
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("cut short (the JSON ends in the middle): the file is incomplete, perhaps from a full disk or an interrupted copy")
	}
	if errors.As(err, &syn) {
		return fmt.Errorf("not JSON (offset %d: %v); expected a %s document as written by selfheal", syn.Offset, err, Schema)
	}
	return fmt.Errorf("decoding: %w", err)
}

// finish checks a decoded result's schema and fills the maps and lists a
// reader may range over without a nil check.
func finish(r *Result) (*Result, error) {
	switch {
	case r.Schema == "":
		return nil, fmt.Errorf("no \"schema\" field; expected %q (is this a selfheal result file?)", Schema)
	case r.Schema != Schema && strings.HasPrefix(r.Schema, "selfheal.result/"):
		return nil, fmt.Errorf("schema %q is not supported by this selfheal, which reads %q", r.Schema, Schema)
	case r.Schema != Schema:
		return nil, fmt.Errorf("schema %q is not a selfheal result; expected %q", r.Schema, Schema)
	}
	if r.StatusCodes == nil {
		r.StatusCodes = map[string]int{}
	}
	if r.Errors == nil {
		r.Errors = map[string]int{}
	}
	if r.Events == nil {
		r.Events = []Event{}
	}
	return r, nil
}
