package openmetrics

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
)

var execLookPath = exec.LookPath

// run runs promtool with stdin, returning what it printed.
func run(promtool string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(promtool, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	return cmd.CombinedOutput()
}

// backfilled adds up the NUM SAMPLES column of the blocks
// `promtool tsdb create-blocks-from` lists (ULID, min time, max time,
// duration, samples, ...), -1 when it lists none.
func backfilled(out []byte) int {
	n, rows := 0, 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || f[0] == "BLOCK" {
			continue
		}
		v, err := strconv.Atoi(f[4])
		if err != nil {
			continue
		}
		n += v
		rows++
	}
	if rows == 0 {
		return -1
	}
	return n
}
