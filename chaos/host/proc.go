package host

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// counters are the cumulative figures of one reading of /proc; a Sample
// is the difference of two readings.
type counters struct {
	// cpu are the "cpu" line's user, nice, system, idle, iowait, irq,
	// softirq and steal jiffies (guest time is inside user already).
	cpu       [8]uint64
	cpuFields int // how many of them the kernel gave
	cpus      int // "cpuN" lines
	cpuErr    error
	// psi are the "some total" stall microseconds of cpu, memory and io.
	psi    [3]uint64
	psiErr [3]error
	load1  float64
	loadEr error
	// self is the process's user + system clock ticks.
	self    uint64
	selfErr error
	// sut is the CPU nanoseconds of each of the system under test's
	// cgroups, in the order of the sampler's files; sutErr says why one
	// could not be read (a halted node has no cgroup).
	sut    []uint64
	sutErr []error
}

// Indices of counters.cpu.
const (
	cpuUser    = 0
	cpuNice    = 1
	cpuSystem  = 2
	cpuIdle    = 3
	cpuIOWait  = 4
	cpuIRQ     = 5
	cpuSoftIRQ = 6
	cpuSteal   = 7
)

// busyFields are the columns of /proc/stat in which a CPU ran something:
// tasks (user, nice, system; guest time is inside user) and interrupts.
var busyFields = [...]int{cpuUser, cpuNice, cpuSystem, cpuIRQ, cpuSoftIRQ}

var psiFiles = [3]string{"pressure/cpu", "pressure/memory", "pressure/io"}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports but alpha.
const clockTicks = 100

// reader reads /proc under root into counters, reusing one buffer so a
// reading allocates only what opening a file does.
type reader struct {
	root string // the proc file system
	fs   string // what cgroup mount points are under ("/")
	buf  []byte
}

func (r *reader) read(sut []cgroupFile) counters {
	var c counters
	if b, err := r.file("stat"); err != nil {
		c.cpuErr = err
	} else {
		c.cpu, c.cpuFields, c.cpus, c.cpuErr = parseStat(b)
	}
	for i, name := range psiFiles {
		if b, err := r.file(name); err != nil {
			c.psiErr[i] = err
		} else {
			c.psi[i], c.psiErr[i] = parsePSI(b)
		}
	}
	if b, err := r.file("loadavg"); err != nil {
		c.loadEr = err
	} else {
		c.load1, c.loadEr = parseLoad(b)
	}
	if b, err := r.file("self/stat"); err != nil {
		c.selfErr = err
	} else {
		c.self, c.selfErr = parseSelf(b)
	}
	for _, f := range sut {
		v, err := r.readCPU(f)
		c.sut, c.sutErr = append(c.sut, v), append(c.sutErr, err)
	}
	return c
}

// file reads root/name whole into r.buf.
func (r *reader) file(name string) ([]byte, error) {
	return r.absolute(filepath.Join(r.root, name))
}

// absolute reads the file at path whole into r.buf.
func (r *reader) absolute(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if r.buf == nil {
		r.buf = make([]byte, 0, 4096)
	}
	b := r.buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) || (err == nil && n == 0) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
	}
	r.buf = b
	return b, nil
}

// parseStat reads the aggregate "cpu" line of /proc/stat and counts the
// per-CPU lines.
func parseStat(b []byte) (cpu [8]uint64, fields, cpus int, err error) {
	found := false
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if !bytes.HasPrefix(line, []byte("cpu")) {
			continue
		}
		if len(line) > 3 && line[3] != ' ' {
			cpus++
			continue
		}
		found = true
		rest := line[3:]
		for fields < len(cpu) {
			var tok []byte
			if tok, rest = nextField(rest); tok == nil {
				break
			}
			v, perr := parseUint(tok)
			if perr != nil {
				return cpu, fields, cpus, fmt.Errorf("/proc/stat cpu line: %w", perr)
			}
			cpu[fields] = v
			fields++
		}
	}
	if !found {
		return cpu, 0, cpus, errors.New("/proc/stat has no cpu line")
	}
	return cpu, fields, cpus, nil
}

// parsePSI reads "total=" of the "some" line of a /proc/pressure file.
func parsePSI(b []byte) (uint64, error) {
	if !bytes.HasPrefix(b, []byte("some ")) {
		return 0, errors.New("no \"some\" line")
	}
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	i := bytes.Index(line, []byte("total="))
	if i < 0 {
		return 0, errors.New("no total= in the \"some\" line")
	}
	tok, _ := nextField(line[i+len("total="):])
	return parseUint(tok)
}

// parseLoad reads the 1-minute load average of /proc/loadavg.
func parseLoad(b []byte) (float64, error) {
	tok, _ := nextField(b)
	if tok == nil {
		return 0, errors.New("empty /proc/loadavg")
	}
	// ParseFloat of a string converted in the call does not allocate.
	return strconv.ParseFloat(string(tok), 64)
}

// parseSelf reads utime + stime (fields 14 and 15) of /proc/self/stat.
// The command name (field 2) may hold spaces: fields are counted after
// its closing parenthesis.
func parseSelf(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("no command name in /proc/self/stat")
	}
	rest := b[i+1:]
	var sum uint64
	for field := 3; field <= 15; field++ {
		var tok []byte
		if tok, rest = nextField(rest); tok == nil {
			return 0, errors.New("/proc/self/stat is too short")
		}
		if field >= 14 {
			v, err := parseUint(tok)
			if err != nil {
				return 0, fmt.Errorf("/proc/self/stat field %d: %w", field, err)
			}
			sum += v
		}
	}
	return sum, nil
}

// nextField skips blanks and returns the next blank-separated token.
func nextField(b []byte) (tok, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' {
		j++
	}
	if i == j {
		return nil, nil
	}
	return b[i:j], b[j:]
}

func parseUint(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, errors.New("empty number")
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a number", b)
		}
		v = v*10 + uint64(c-'0')
	}
	return v, nil
}
