//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestUnreadableInputIsBadInput: a result file this user may not read is
// bad input (exit 2) naming the file, for compare as for report: compare's
// exit 1 says "NEW is clearly worse", and must not be reached by a typo in
// a permission.
func TestUnreadableInputIsBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(writeRun(t, dir, "base", "pod-eviction", 1, 1, 1), "pod-eviction-1.json")
	locked := filepath.Join(dir, "locked.json")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(locked, data, 0o000); err != nil {
		t.Fatal(err)
	}
	tests := [][]string{
		{"compare", locked, good},
		{"compare", good, locked},
		{"report", "--out", filepath.Join(dir, "r.html"), locked},
	}
	for _, args := range tests {
		t.Run(strings.Join(args[:1], " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			var code int
			unprivileged(t, func() {
				if _, err := os.ReadFile(locked); !errors.Is(err, fs.ErrPermission) {
					t.Errorf("the locked file can be read here (%v): the test proves nothing", err)
					return
				}
				code = run(context.Background(), &cliEnv{stdout: &stdout, stderr: &stderr}, args)
			})
			if code != 2 || !strings.Contains(stderr.String(), locked) || !strings.Contains(stderr.String(), "permission denied") {
				t.Errorf("%v: exit %d, want 2 naming %s\nstderr: %s", args, code, locked, stderr.String())
			}
		})
	}
}

// unprivileged runs fn on an OS thread of its own without the capabilities
// that let root read any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so
// that a file of mode 000 cannot be read there, as for any other user.
// Capabilities belong to a thread; this one is never unlocked, so it ends
// with the goroutine. fn must do its reading on that goroutine.
func unprivileged(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// linux/capability.h, version 3: two 32-bit words of each set.
		hdr := struct {
			version uint32
			pid     int32
		}{version: 0x20080522}
		var sets [2]struct{ effective, permitted, inheritable uint32 }
		if _, _, e := syscall.RawSyscall(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&sets[0])), 0); e != 0 {
			done <- e
			return
		}
		const dacOverride, dacReadSearch = 1, 2
		sets[0].effective &^= 1<<dacOverride | 1<<dacReadSearch
		if _, _, e := syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&sets[0])), 0); e != 0 {
			done <- e
			return
		}
		fn()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatalf("dropping the capabilities to read any file: %v", err)
	}
}
