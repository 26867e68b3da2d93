package writes

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/selfheal/selfheal/chaos/kube"
)

func TestParseRows(t *testing.T) {
	const p = "r.s.20261201T170512.123."
	tests := []struct {
		name, out string
		want      map[string]int
		err       string
	}{
		{"none", "", map[string]int{}, ""},
		{"rows", p + "000001\t1\n" + p + "000002\t2\n", map[string]int{p + "000001": 1, p + "000002": 2}, ""},
		{"crlf and no last newline", p + "000001\t1\r\n" + p + "000003\t1", map[string]int{p + "000001": 1, p + "000003": 1}, ""},
		{"no tab", p + "000001 1\n", nil, "separated by a tab"},
		{"three fields", p + "000001\t1\t2\n", nil, "separated by a tab"},
		{"not a count", p + "000001\tNULL\n", nil, "not a number"},
		{"zero", p + "000001\t0\n", nil, "not a number above 0"},
		{"another stream", "r.s.20261201T170512.124.000001\t1\n", nil, "does not begin with"},
		{"twice", p + "000001\t1\n" + p + "000001\t1\n", nil, "counted twice"},
		{"a warning on stdout", "Warning: something\n", nil, "separated by a tab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRows(tt.out, p)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one about %q (rows %v)", err, tt.err, got)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("rows %v err %v, want %v", got, err, tt.want)
			}
			for id, n := range tt.want {
				if got[id] != n {
					t.Errorf("%s: %d rows, want %d", id, got[id], n)
				}
			}
		})
	}
}

func TestQuery(t *testing.T) {
	q, err := Query("wp_selfheal_writes", "run_1.x.")
	want := "SELECT id, COUNT(*) FROM `wp_selfheal_writes` WHERE id LIKE 'run_1.x.%' AND LEFT(id, 8) = 'run_1.x.' GROUP BY id"
	if err != nil || q != want {
		t.Errorf("Query = %q, %v\nwant    %q", q, err, want)
	}
	for _, bad := range [][2]string{{"wp`x", "p."}, {"wp_x", "p'"}, {"wp_x", `p\`}, {"wp_x", ""}} {
		if _, err := Query(bad[0], bad[1]); err == nil {
			t.Errorf("Query(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// execer answers like kubectl exec into the MySQL container.
type execer struct {
	res  kube.ExecResult
	err  error
	args []string
}

func (e *execer) Exec(_ context.Context, ns, pod, container string, command ...string) (kube.ExecResult, error) {
	e.args = append([]string{ns, pod, container}, command...)
	return e.res, e.err
}

func TestMySQLRows(t *testing.T) {
	const p = "r.s.t."
	store := func(e *execer) MySQL {
		return MySQL{Exec: e, Namespace: "selfheal", Pod: "mysql-0", Container: "mysql", Table: "wp_selfheal_writes"}
	}
	t.Run("rows", func(t *testing.T) {
		e := &execer{res: kube.ExecResult{Stdout: p + "000001\t1\n"}}
		rows, err := store(e).Rows(context.Background(), p)
		if err != nil || rows[p+"000001"] != 1 {
			t.Fatalf("rows %v err %v", rows, err)
		}
		// The query travels as the script's argument, not through the
		// shell's quoting; the password and database come from the
		// container's own environment.
		want := []string{"selfheal", "mysql-0", "mysql", "sh", "-c", script, "sh"}
		if len(e.args) != len(want)+1 || strings.Join(e.args[:len(want)], "|") != strings.Join(want, "|") || !strings.HasPrefix(e.args[len(want)], "SELECT id, COUNT(*)") {
			t.Errorf("exec %q", e.args)
		}
		if !strings.Contains(script, `-p"$MYSQL_ROOT_PASSWORD"`) || !strings.Contains(script, `"$MYSQL_DATABASE" -e "$1"`) {
			t.Errorf("script %s", script)
		}
	})
	t.Run("no table yet", func(t *testing.T) {
		e := &execer{res: kube.ExecResult{Stderr: "ERROR 1146 (42S02) at line 1: Table 'wordpress.wp_selfheal_writes' doesn't exist\n"}, err: errors.New("command terminated with exit code 1")}
		rows, err := store(e).Rows(context.Background(), p)
		if err != nil || rows == nil || len(rows) != 0 {
			t.Errorf("rows %v err %v; want no rows: the endpoint never stored anything", rows, err)
		}
	})
	t.Run("database down", func(t *testing.T) {
		e := &execer{res: kube.ExecResult{Stderr: "ERROR 2002 (HY000): Can't connect to MySQL server on '127.0.0.1'\n"}, err: errors.New("command terminated with exit code 1")}
		rows, err := store(e).Rows(context.Background(), p)
		if err == nil || rows != nil || !strings.Contains(err.Error(), "selfheal/mysql-0") {
			t.Errorf("rows %v err %v; want an error naming the pod", rows, err)
		}
	})
}

func TestCommandRows(t *testing.T) {
	const p = "r.s.t."
	tests := []struct {
		name    string
		e       *execer
		store   Command
		want    map[string]int
		err     string
		podUsed string
	}{
		{"rows, the prefix as the last argument", &execer{res: kube.ExecResult{Stdout: p + "000001\t2\n"}},
			Command{Namespace: "ns", Pod: "db-0", Container: "db", Command: []string{"count-rows", "--table", "w"}}, map[string]int{p + "000001": 2}, "", "db-0"},
		{"the pod found at each read", &execer{res: kube.ExecResult{Stdout: ""}},
			Command{Namespace: "ns", FindPod: func(context.Context) (string, error) { return "db-7f9", nil }, Container: "db", Command: []string{"c"}}, map[string]int{}, "", "db-7f9"},
		{"no pod to read in", &execer{},
			Command{Namespace: "ns", FindPod: func(context.Context) (string, error) { return "", errors.New("no Ready pod") }, Command: []string{"c"}}, nil, "finding the database's pod: no Ready pod", ""},
		{"a non-zero exit: not read", &execer{err: errors.New("command terminated with exit code 2")},
			Command{Namespace: "ns", Pod: "db-0", Command: []string{"c"}}, nil, "counting the writes in ns/db-0", "db-0"},
		{"output it cannot read", &execer{res: kube.ExecResult{Stdout: "psql: warning\n"}},
			Command{Namespace: "ns", Pod: "db-0", Command: []string{"c"}}, nil, "separated by a tab", "db-0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.store
			s.Exec = tt.e
			rows, err := s.Rows(context.Background(), p)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
			} else if err != nil || len(rows) != len(tt.want) || rows[p+"000001"] != tt.want[p+"000001"] {
				t.Fatalf("rows %v err %v, want %v", rows, err, tt.want)
			}
			if tt.podUsed != "" {
				if len(tt.e.args) < 4 || tt.e.args[1] != tt.podUsed || tt.e.args[len(tt.e.args)-1] != p {
					t.Errorf("exec %q: want pod %s and the prefix last", tt.e.args, tt.podUsed)
				}
			}
		})
	}
	if _, err := (Command{Exec: &execer{}, Command: []string{"c"}}).Rows(context.Background(), "p'; DROP"); err == nil {
		t.Error("a prefix with quotes reached the command")
	}
}
