package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Bad input exits 2 with a message that says what is wrong, before any
// cluster work starts.
func TestClusterUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"cluster"}, "missing action"},
		{[]string{"cluster", "sideways"}, `unknown action "sideways"`},
		{[]string{"cluster", "up", "-mode", "airgap"}, "unknown image mode"},
		{[]string{"cluster", "up", "-ready-timeout", "0s"}, "-ready-timeout must be positive"},
		{[]string{"cluster", "up", "extra"}, "unexpected arguments"},
		{[]string{"cluster", "down", "-name", " "}, "-name: cluster name \" \" is not a DNS-1123 label"},
		{[]string{"cluster", "down", "-name", "../../x"}, "-name: cluster name \"../../x\" is not a DNS-1123 label"},
		{[]string{"cluster", "status", "-bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		env := &cliEnv{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr}
		if code := run(context.Background(), env, tt.args); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tt.args, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: stderr %q does not contain %q", tt.args, stderr.String(), tt.want)
		}
	}
}
