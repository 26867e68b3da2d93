package kindnode

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSandboxPID(t *testing.T) {
	const tasks = `TASK    PID     STATUS
aaa     2084    RUNNING
bbb     0       STOPPED
ccc     716     RUNNING
`
	cases := []struct {
		name, ids string
		want      int
		gone      bool
		err       string
	}{
		{name: "one running", ids: "aaa\n", want: 2084},
		{name: "a dead sandbox beside its replacement", ids: "bbb\naaa\n", want: 2084},
		{name: "only a dead sandbox", ids: "bbb\n", gone: true},
		{name: "pod gone", ids: "", gone: true},
		{name: "two running", ids: "aaa\nccc\n", err: "2 running sandboxes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := &ctr{ids: tc.ids, tasks: tasks}
			got, err := SandboxPID(context.Background(), node.docker, "n1", "uid-1")
			switch {
			case tc.gone:
				if !errors.Is(err, ErrNoSandbox) {
					t.Fatalf("err %v, want ErrNoSandbox", err)
				}
				return
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) || errors.Is(err, ErrNoSandbox) {
					t.Fatalf("err %v, want %q (and not ErrNoSandbox)", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
			first := node.calls[0]
			filter := first[len(first)-1]
			if first[1] != "n1" || !strings.Contains(filter, `"io.kubernetes.pod.uid"==uid-1`) || !strings.Contains(filter, `"io.cri-containerd.kind"==sandbox`) {
				t.Errorf("first call %q", first)
			}
		})
	}
}
