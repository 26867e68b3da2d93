package kindnode

import (
	"context"
	"strings"
	"testing"
)

// ctr is a fake docker CLI over a node's containerd: `ctr containers ls`
// prints ids, any other command the task table; every call is kept.
type ctr struct {
	ids, tasks string
	calls      [][]string
}

func (c *ctr) docker(_ context.Context, args ...string) (string, error) {
	c.calls = append(c.calls, args)
	if strings.Contains(strings.Join(args, " "), "containers ls") {
		return c.ids, nil
	}
	return c.tasks, nil
}

func TestContainerPID(t *testing.T) {
	const tasks = `TASK    PID     STATUS
aaa     2084    RUNNING
bbb     0       STOPPED
ccc     716     RUNNING
ddd     917     PAUSED
`
	cases := []struct {
		name, ids string
		want      int
		err       string
	}{
		{name: "one running", ids: "aaa\n", want: 2084},
		{name: "the stopped one of a restart is skipped", ids: "bbb\naaa\n", want: 2084},
		{name: "none running", ids: "bbb\n", err: "no running task"},
		{name: "no container", ids: "", err: "no running task"},
		{name: "two running", ids: "aaa\nccc\n", err: "2 running tasks"},
		{name: "paused is not running", ids: "ddd\n", err: "no running task"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := &ctr{ids: tc.ids, tasks: tasks}
			got, err := ContainerPID(context.Background(), node.docker, "n1", "ns", "mysql-0", "mysql")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
			// The task names the container whose PID it is: the id a
			// fault checks a PID against before it signals it again.
			task, err := ContainerTask(context.Background(), node.docker, "n1", "ns", "mysql-0", "mysql")
			if err != nil || task.PID != tc.want || !strings.Contains(tasks, task.ID+" ") || !strings.Contains(tc.ids, task.ID) {
				t.Fatalf("task %+v, %v; want PID %d of one of %q", task, err, tc.want, tc.ids)
			}
			if first := node.calls[0]; first[0] != "exec" || first[1] != "n1" || !strings.Contains(first[len(first)-1], `"io.kubernetes.pod.name"==mysql-0`) {
				t.Errorf("first call %q", first)
			}
		})
	}
}
