package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, in string
		want     Config
		err      string
	}{
		{"whole", "# c\nredis_addr = redis:6379\ntitle = hi there\n", Config{RedisAddr: "redis:6379", Title: "hi there"}, ""},
		{"title defaults", "redis_addr=r:1", Config{RedisAddr: "r:1", Title: "guestbook"}, ""},
		{"misspelt key", "redis_adr = redis:6379\n", Config{}, `unknown key "redis_adr"`},
		{"no =", "redis_addr redis:6379", Config{}, "want key = value"},
		{"twice", "redis_addr = a:1\nredis_addr = b:1", Config{}, "given twice"},
		{"no address", "title = x", Config{}, "no redis_addr"},
		{"no port", "redis_addr = redis", Config{}, "want host:port"},
		{"empty", "", Config{}, "no redis_addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
			if again, err := ParseConfig(got.Format()); err != nil || again != got {
				t.Errorf("Format does not read back: %+v, %v", again, err)
			}
		})
	}
}

// TestCommands runs the command line as the image's entrypoint and the
// config break's commands do.
func TestCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "guestbook.conf")
	env := map[string]string{"GUESTBOOK_CONFIG": path}
	getenv := func(k string) string { return env[k] }
	runIt := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(args, getenv, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := runIt("write-config"); code != 1 || !strings.Contains(out, "GUESTBOOK_REDIS_ADDR is not set") {
		t.Errorf("write-config without an address: %d %q", code, out)
	}
	env["GUESTBOOK_REDIS_ADDR"] = "redis:6379"
	if code, out := runIt("write-config"); code != 0 {
		t.Fatalf("write-config: %d %q", code, out)
	}
	if code, out := runIt("check-config"); code != 0 || !strings.Contains(out, "whole") {
		t.Errorf("check-config of a whole file: %d %q", code, out)
	}
	if err := os.WriteFile(path, []byte("redis_adr = redis:6379\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runIt("check-config"); code != 1 || !strings.Contains(out, "redis_adr") {
		t.Errorf("check-config of a broken file: %d %q", code, out)
	}
	for _, args := range [][]string{{"nonsense"}, {"serve", "extra"}} {
		if code, _ := runIt(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	env["GUESTBOOK_LISTEN"] = "127.0.0.1:bad"
	if code, out := runIt("serve"); code != 1 || !strings.Contains(out, "bad") {
		t.Errorf("serve on a bad address: %d %q", code, out)
	}
	if c, err := ReadConfig(path); err != nil || c.RedisAddr != "redis:6379" {
		t.Errorf("serve did not write the configuration afresh before failing: %+v %v", c, err)
	}
}
