package host

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A cgroup's CPU time is read from one of two files: cgroup v1's
// cpuacct.usage (nanoseconds; the cpuacct controller, as on this
// project's machines) or cgroup v2's cpu.stat usage_usec (microseconds).
// Both count the cgroup and every cgroup below it, so a kind node's
// counter holds every pod it runs.
const (
	cpuacctUsage = "cpuacct.usage"
	cpuStat      = "cpu.stat"
)

// sut is the system under test's CPU counters: one file per container
// (the kind node containers), found once from their PIDs.
type sut struct {
	files []cgroupFile
	// why says why the system under test's CPU cannot be read ("" when
	// it can); a configured system whose cgroups cannot be found is
	// missing, and its CPU then counts as from outside.
	why string
	// named: a system under test was asked for (WithSystemUnderTest).
	named bool
}

// cgroupFile is one counter file, its path under the reader's file
// system root, and the nanoseconds one of its units is.
type cgroupFile struct {
	path string
	ns   uint64
}

// findSUT resolves the cgroups of pids (read in proc's <pid>/cgroup) to
// counter files under the cgroup mounts that proc's self/mountinfo lists.
func findSUT(ctx context.Context, proc string, pids func(context.Context) ([]int, error)) sut {
	if pids == nil {
		return sut{why: "no system under test named: everything but selfheal counts as from outside"}
	}
	s := sut{named: true}
	ps, err := pids(ctx)
	switch {
	case err != nil:
		s.why = "the system under test's containers: " + err.Error()
		return s
	case len(ps) == 0:
		s.why = "the system under test has no running container"
		return s
	}
	mounts, err := cgroupMounts(filepath.Join(proc, "self", "mountinfo"))
	if err != nil {
		s.why = err.Error()
		return s
	}
	var errs []error
	for _, pid := range ps {
		f, err := mounts.counter(proc, pid)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(s.files, f) {
			s.files = append(s.files, f)
		}
	}
	if len(s.files) == 0 {
		s.why = "no cgroup of the system under test could be read: " + errors.Join(errs...).Error()
	}
	return s
}

// mounts are the cgroup hierarchies that can give CPU time: v1's cpuacct
// controller and the v2 (unified) hierarchy, with the path inside the
// hierarchy each is mounted from.
type mounts struct {
	v1, v1Root string
	v2, v2Root string
}

// cgroupMounts reads the cgroup mounts of a mountinfo file (proc(5)):
// "36 25 0:31 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct".
func cgroupMounts(path string) (mounts, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return mounts{}, fmt.Errorf("the cgroup mounts: %w", err)
	}
	var m mounts
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		root, point := f[3], f[4]
		switch {
		case g[0] == "cgroup" && slices.Contains(strings.Split(g[2], ","), "cpuacct") && m.v1 == "":
			m.v1, m.v1Root = point, root
		case g[0] == "cgroup2" && m.v2 == "":
			m.v2, m.v2Root = point, root
		}
	}
	if m.v1 == "" && m.v2 == "" {
		return m, errors.New("no cgroup mount with CPU accounting (cpuacct, or cgroup2) in " + path)
	}
	return m, nil
}

// counter is the CPU counter file of pid's cgroup: v1's cpuacct where it
// is mounted, else v2's.
func (m mounts) counter(proc string, pid int) (cgroupFile, error) {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return cgroupFile{}, fmt.Errorf("the cgroup of PID %d: %w", pid, err)
	}
	var v1, v2 string
	for line := range strings.Lines(string(b)) {
		// "2:cpuacct:/docker/<id>", "1:cpu,cpuacct:/...", "0::/docker/<id>"
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case slices.Contains(strings.Split(parts[1], ","), "cpuacct"):
			v1 = parts[2]
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		}
	}
	switch {
	case m.v1 != "" && v1 != "":
		return cgroupFile{path: under(m.v1, m.v1Root, v1, cpuacctUsage), ns: 1}, nil
	case m.v2 != "" && v2 != "":
		return cgroupFile{path: under(m.v2, m.v2Root, v2, cpuStat), ns: 1000}, nil
	}
	return cgroupFile{}, fmt.Errorf("PID %d is in no cgroup with CPU accounting", pid)
}

// under joins a cgroup path to the mount that holds it: the path is
// relative to the hierarchy's root, the mount shows the hierarchy from
// mountRoot on.
func under(mountPoint, mountRoot, cgroup, file string) string {
	rel := cgroup
	if mountRoot != "/" {
		rel = strings.TrimPrefix(cgroup, mountRoot)
	}
	return filepath.Join(mountPoint, rel, file)
}

// readCPU reads f's counter in nanoseconds.
func (r *reader) readCPU(f cgroupFile) (uint64, error) {
	b, err := r.absolute(filepath.Join(r.fs, f.path))
	if err != nil {
		return 0, err
	}
	if filepath.Base(f.path) == cpuStat {
		i := bytes.Index(b, []byte("usage_usec "))
		if i < 0 {
			return 0, errors.New("no usage_usec in " + f.path)
		}
		b = b[i+len("usage_usec "):]
	}
	tok, _ := nextField(b)
	v, err := parseUint(tok)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", f.path, err)
	}
	return v * f.ns, nil
}
