package main

import (
	"context"
	"strings"
	"testing"
)

func TestRunBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "node-hlat"}, `unknown scenario(s) node-hlat; known: wp-config-break, pod-eviction`},
		{[]string{"--rate", "0"}, `invalid value "0" for flag -rate: want requests per second above 0`},
		{[]string{"--timeout", "-1s"}, `invalid value "-1s" for flag -timeout: want a duration above 0`},
		{[]string{"--mode", "cloud"}, `invalid value "cloud" for flag -mode: unknown image mode "cloud"`},
		{[]string{"--budgets", "node-halt.uptime=5s"}, `unknown metric "uptime"`},
		{[]string{"node-halt"}, `unexpected argument "node-halt": scenarios are chosen with --scenario`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errb := runWith(context.Background(), strings.NewReader(""), append([]string{"run"}, tt.args...)...)
			if code != 2 || !strings.Contains(errb.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %q", code, errb.String(), tt.want)
			}
		})
	}
}

func TestRunList(t *testing.T) {
	code, out, errb := runWith(context.Background(), strings.NewReader(""), "run", "--list")
	if code != 0 || !strings.Contains(out.String(), "node-halt") || !strings.Contains(out.String(), "mysql-node-halt") {
		t.Fatalf("exit %d out %q err %q", code, out.String(), errb.String())
	}
}
