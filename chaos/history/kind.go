package history

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/selfheal/selfheal/chaos/result"
)

// Kind is what makes two results comparable: the same scenario against
// the same fixture settings, under the same load, on images built the same
// way. A result is judged only against earlier results of its kind.
type Kind struct {
	Scenario  string
	Fixture   string // result.RunInfo.Fixture: replicas, probes, PDB...
	Variant   string // result.RunInfo.Variant, result.BaselineVariant when empty
	ImageMode string // online or offline images; "" for a probe
	Rate      float64
	KeepAlive bool
	Timeout   string
	// NodeFaults is the door a node fault went through (result.RunInfo):
	// a halt through the node agent is not a docker kill.
	NodeFaults string
}

// KindOf is r's kind.
func KindOf(r *result.Result) Kind {
	k := Kind{Scenario: r.Scenario, Rate: r.Load.Rate, KeepAlive: r.Load.KeepAlive, Timeout: r.Load.Timeout}
	if r.Run != nil {
		k.Fixture, k.ImageMode, k.Variant, k.NodeFaults = r.Run.Fixture, r.Run.ImageMode, r.Run.Variant, r.Run.NodeFaults
	}
	if k.Variant == "" && k.ImageMode != "" {
		// Suite results from before variants ran against the baseline
		// (result.RunInfo); a probe has no fixture and no variant.
		k.Variant = result.BaselineVariant
	}
	return k
}

// String says k in words, for the report.
func (k Kind) String() string {
	parts := []string{k.Scenario}
	if k.Variant != "" {
		parts = append(parts, "variant "+k.Variant)
	}
	parts = append(parts, rate(k.Rate), keepAlive(k.KeepAlive))
	if k.Timeout != "" {
		parts = append(parts, "timeout "+k.Timeout)
	}
	if k.ImageMode != "" {
		parts = append(parts, k.ImageMode+" images")
	}
	if k.Fixture != "" {
		parts = append(parts, k.Fixture)
	}
	if k.NodeFaults != "" {
		parts = append(parts, "node faults through the "+k.NodeFaults)
	}
	return strings.Join(parts, ", ")
}

// Difference is one field in which two kinds differ.
type Difference struct {
	Field        string // "rate"
	Ours, Theirs string // "10/s", "20/s"
}

// Compare lists the fields in which o differs from k.
func (k Kind) Compare(o Kind) []Difference {
	var d []Difference
	differ := func(field, ours, theirs string) {
		if ours != theirs {
			d = append(d, Difference{field, quoteEmpty(ours), quoteEmpty(theirs)})
		}
	}
	differ("scenario", k.Scenario, o.Scenario)
	differ("variant", k.Variant, o.Variant)
	differ("rate", rate(k.Rate), rate(o.Rate))
	differ("connections", keepAlive(k.KeepAlive), keepAlive(o.KeepAlive))
	differ("timeout", k.Timeout, o.Timeout)
	differ("image mode", k.ImageMode, o.ImageMode)
	differ("fixture", k.Fixture, o.Fixture)
	differ("node faults", nodeFaults(k.NodeFaults), nodeFaults(o.NodeFaults))
	return d
}

// Differences says how o differs from k, field by field, as "rate 20/s,
// not 10/s"; none when they are the same kind.
func (k Kind) Differences(o Kind) []string {
	var out []string
	for _, d := range k.Compare(o) {
		if d.Field == "connections" {
			out = append(out, fmt.Sprintf("%s, not %s", d.Theirs, d.Ours))
			continue
		}
		out = append(out, fmt.Sprintf("%s %s, not %s", d.Field, d.Theirs, d.Ours))
	}
	return out
}

// nodeFaults names a door; results from before the node agent went
// through docker.
func nodeFaults(door string) string {
	if door == "" {
		return "docker"
	}
	return door
}

func quoteEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func rate(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) + "/s" }

func keepAlive(on bool) string {
	if on {
		return "kept-alive connections"
	}
	return "a new connection per request"
}
