package writes

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/kube"
)

// Execer runs a command in a container (*kube.Client is one).
type Execer interface {
	Exec(ctx context.Context, namespace, pod, container string, command ...string) (kube.ExecResult, error)
}

// MySQL reads the write endpoint's table with the mysql client inside the
// database's own container, as root (MYSQL_ROOT_PASSWORD and
// MYSQL_DATABASE are the container's environment, see
// fixtures/wordpress/manifests/mysql.yaml): no port-forward, no client on the
// host.
type MySQL struct {
	Exec                      Execer
	Namespace, Pod, Container string
	// FindPod, when Pod is empty, names the pod at each read: a
	// Deployment's pod has no fixed name, and a fault may replace it.
	FindPod func(ctx context.Context) (string, error)
	// Table is the endpoint's table (fixtures/wordpress.WritesTable).
	Table string
	// AttemptTimeout bounds one read (default 20 s): exec into a pod on a
	// node that is down hangs until its deadline.
	AttemptTimeout time.Duration
}

var validTable = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// script runs the query given as its first argument: the query travels
// as an argument, never through the shell's quoting.
const script = `exec mysql -h 127.0.0.1 -uroot -p"$MYSQL_ROOT_PASSWORD" --batch --skip-column-names "$MYSQL_DATABASE" -e "$1"`

// Query is the SQL that counts the rows per id under prefix. The LIKE
// can use the id index (its '_' matches any character, so it may take
// more); LEFT keeps exactly the prefix. Both are safe to build by
// formatting: prefix and table were checked against what ids and table
// names may hold, neither quotes nor backslashes.
func Query(table, prefix string) (string, error) {
	if !validTable.MatchString(table) {
		return "", fmt.Errorf("write table %q: want letters, digits and '_'", table)
	}
	if !validID.MatchString(prefix) {
		return "", fmt.Errorf("write id prefix %q: want letters, digits, '.', '_' or '-'", prefix)
	}
	return fmt.Sprintf("SELECT id, COUNT(*) FROM `%s` WHERE id LIKE '%s%%' AND LEFT(id, %d) = '%s' GROUP BY id",
		table, prefix, len(prefix), prefix), nil
}

// Rows counts the rows per id under prefix. A table that does not exist
// holds no rows: the endpoint creates it with its first write, so it is
// missing only when no write was ever stored.
func (m MySQL) Rows(ctx context.Context, prefix string) (map[string]int, error) {
	q, err := Query(m.Table, prefix)
	if err != nil {
		return nil, err
	}
	d := m.AttemptTimeout
	if d <= 0 {
		d = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	pod, err := podOf(ctx, m.Pod, m.FindPod)
	if err != nil {
		return nil, err
	}
	res, err := m.Exec.Exec(ctx, m.Namespace, pod, m.Container, "sh", "-c", script, "sh", q)
	if err != nil {
		if tableMissing(res.Stderr) {
			return map[string]int{}, nil
		}
		return nil, fmt.Errorf("counting the writes in %s/%s: %w", m.Namespace, pod, err)
	}
	return ParseRows(res.Stdout, prefix)
}

func podOf(ctx context.Context, pod string, find func(context.Context) (string, error)) (string, error) {
	if pod != "" || find == nil {
		return pod, nil
	}
	p, err := find(ctx)
	if err != nil {
		return "", fmt.Errorf("finding the database's pod: %w", err)
	}
	return p, nil
}

// Command counts the rows with a command of the app's (chaos/app.Count):
// it runs in the database's container with the id prefix as its last
// argument, and prints what ParseRows reads, one id and its count per
// line. A non-zero exit means the database could not be read.
type Command struct {
	Exec                      Execer
	Namespace, Pod, Container string
	// FindPod names the pod at each read when Pod is empty.
	FindPod func(ctx context.Context) (string, error)
	Command []string
	// AttemptTimeout bounds one read (default 20 s).
	AttemptTimeout time.Duration
}

// Rows implements Store.
func (c Command) Rows(ctx context.Context, prefix string) (map[string]int, error) {
	if !validID.MatchString(prefix) {
		return nil, fmt.Errorf("write id prefix %q: want letters, digits, '.', '_' or '-'", prefix)
	}
	if len(c.Command) == 0 {
		return nil, fmt.Errorf("no command to count the writes with")
	}
	d := c.AttemptTimeout
	if d <= 0 {
		d = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	pod, err := podOf(ctx, c.Pod, c.FindPod)
	if err != nil {
		return nil, err
	}
	cmd := append(append([]string(nil), c.Command...), prefix)
	res, err := c.Exec.Exec(ctx, c.Namespace, pod, c.Container, cmd...)
	if err != nil {
		return nil, fmt.Errorf("counting the writes in %s/%s: %w", c.Namespace, pod, err)
	}
	return ParseRows(res.Stdout, prefix)
}

// tableMissing recognises MySQL's "Table ... doesn't exist" (error 1146).
func tableMissing(stderr string) bool { return strings.Contains(stderr, "ERROR 1146 ") }

// ParseRows reads the mysql client's batch output of Query: one line per
// id, the id and its count separated by a tab. Anything else is an error,
// never a row skipped: a count misread is a write misreported.
func ParseRows(out, prefix string) (map[string]int, error) {
	rows := map[string]int{}
	for i, line := range strings.Split(out, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		id, count, ok := strings.Cut(line, "\t")
		n, err := strconv.Atoi(count)
		switch {
		case !ok || strings.Contains(count, "\t"):
			return nil, fmt.Errorf("reading the write counts, line %d %q: want an id and a count separated by a tab", i+1, line)
		case err != nil || n < 1:
			return nil, fmt.Errorf("reading the write counts, line %d %q: the count is not a number above 0", i+1, line)
		case !strings.HasPrefix(id, prefix):
			return nil, fmt.Errorf("reading the write counts, line %d: id %q does not begin with %q", i+1, id, prefix)
		}
		if _, dup := rows[id]; dup {
			return nil, fmt.Errorf("reading the write counts, line %d: id %q is counted twice", i+1, id)
		}
		rows[id] = n
	}
	return rows, nil
}
