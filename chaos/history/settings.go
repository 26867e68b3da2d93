package history

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/stats"
)

// Settings say how history budgets are derived.
type Settings struct {
	// Off turns history budgets off: only the static budgets judge.
	Off bool
	// Quantile of the history that is the limit (0.95: P95).
	Quantile float64
	// Last is K: the most recent results of the same kind used. A result
	// is one run of the scenario: a nightly gives one, a run repeated N
	// times gives N.
	Last int
	// MinRuns is how many earlier results of the kind there must be for
	// a history budget; with fewer, the static budgets judge alone. It is
	// never fewer than the quantile needs (see Min): 0 means just that.
	MinRuns int
	// Floor is the least limit for a time: a history of near-zero outages
	// must not fail a run on a 100 ms blip. For a count of requests the
	// floor is what the load sends in that time (1 s at 10/s: 10).
	Floor time.Duration
	// Metrics get a history budget.
	Metrics []result.MetricKey
}

// Defaults: P95 of the last 30 results (a month of nightlies), from the
// 19 a P95 bound needs on, at least 1 s (or a second's requests), on the
// figures that hurt users or measure healing.
func Defaults() Settings {
	return Settings{
		Quantile: 0.95, Last: 30, Floor: time.Second,
		Metrics: []result.MetricKey{
			result.KeyDowntime, result.KeyLongestOutage, result.Key5xx,
			result.KeyTransportErrors, result.KeyRecovery, result.KeyHealing,
		},
	}
}

// SpecHelp describes Parse's input, for flag and variable help.
const SpecHelp = `"off", or comma-separated p=0.95 (the quantile), last=30 (results), min=19 (results; never fewer than p needs: 19 for 0.95, 9 for 0.9), floor=1s, metrics=downtime+recovery+...`

// Parse reads settings written as SpecHelp says, over the defaults: ""
// is the defaults, "off" turns history budgets off, "p=0.99,last=30"
// changes two. A bad item is an error naming it.
func Parse(spec string) (Settings, error) {
	s := Defaults()
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return s, nil
	}
	if spec == "off" {
		s.Off = true
		return s, nil
	}
	for _, item := range strings.Split(spec, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return s, fmt.Errorf("history setting %q: want key=value (%s)", item, SpecHelp)
		}
		if err := s.set(key, val); err != nil {
			return s, fmt.Errorf("history setting %q: %w", item, err)
		}
	}
	return s, s.Validate()
}

func (s *Settings) set(key, val string) error {
	var err error
	switch key {
	case "p":
		s.Quantile, err = strconv.ParseFloat(val, 64)
	case "last":
		s.Last, err = strconv.Atoi(val)
	case "min":
		s.MinRuns, err = strconv.Atoi(val)
	case "floor":
		s.Floor, err = time.ParseDuration(val)
	case "metrics":
		s.Metrics = nil
		for _, name := range strings.Split(val, "+") {
			m, ok := result.MetricByKey(name)
			if !ok {
				return fmt.Errorf("no metric %q", name)
			}
			s.Metrics = append(s.Metrics, m.Key)
		}
	default:
		return fmt.Errorf("unknown key %q (%s)", key, SpecHelp)
	}
	if err != nil {
		return fmt.Errorf("bad value: %w", err)
	}
	return nil
}

// Validate says what is wrong with s, if anything.
func (s Settings) Validate() error {
	switch {
	case s.Off:
		return nil
	case !(s.Quantile > 0 && s.Quantile < 1):
		return fmt.Errorf("history quantile p=%v: want between 0 and 1, e.g. 0.95", s.Quantile)
	case s.MinRuns < 0:
		return fmt.Errorf("history min=%d: must not be negative", s.MinRuns)
	case s.Last < s.Min():
		return fmt.Errorf("history last=%d: a %s budget needs at least %d results of history (min), so last must keep that many", s.Last, s.label(), s.Min())
	case s.Floor < 0:
		return fmt.Errorf("history floor=%s: must not be negative", s.Floor)
	case len(s.Metrics) == 0:
		return fmt.Errorf("history metrics: name at least one")
	}
	return nil
}

// String writes s the way Parse reads it.
func (s Settings) String() string {
	if s.Off {
		return "off"
	}
	var names []string
	for _, k := range s.Metrics {
		m, _ := result.MetricByKey(k)
		names = append(names, m.Short)
	}
	return fmt.Sprintf("p=%g,last=%d,min=%d,floor=%s,metrics=%s", s.Quantile, s.Last, s.Min(), s.Floor, strings.Join(names, "+"))
}

// Min is how many earlier results a history budget needs: MinRuns, and
// never fewer than the quantile's prediction bound needs (19 for P95),
// so that a healthy service misses it at most 1−p of the time per figure
// (chaos/stats.PredictionBound).
func (s Settings) Min() int {
	return max(s.MinRuns, stats.MinForPrediction(s.Quantile))
}

// label names the quantile: "P95".
func (s Settings) label() string {
	return "P" + strconv.FormatFloat(100*s.Quantile, 'f', -1, 64)
}
