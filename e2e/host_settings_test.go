package e2e

import (
	"fmt"
	"strconv"
	"time"

	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// readHostSettings reads the host-conditions knobs (docs/measurement.md,
// "Host conditions"): SELFHEAL_HOST_THRESHOLDS, SELFHEAL_FAIL_STARVED and
// the warm-up's wait for a clean baseline, SELFHEAL_WARMUP_LIMIT.
func readHostSettings(getenv func(string) string, st *settings) error {
	th, err := host.ParseThresholds(getenv("SELFHEAL_HOST_THRESHOLDS"))
	if err != nil {
		return fmt.Errorf("SELFHEAL_HOST_THRESHOLDS: %w", err)
	}
	st.host = scenario.HostPolicy{Thresholds: th}
	if v := getenv("SELFHEAL_FAIL_STARVED"); v != "" {
		fail, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("SELFHEAL_FAIL_STARVED=%q: want true or false", v)
		}
		st.host.ExcuseStarved = !fail
	}
	if v := getenv("SELFHEAL_WARMUP_LIMIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("SELFHEAL_WARMUP_LIMIT=%q: want a duration, e.g. 2m", v)
		}
		st.timing.WarmupLimit = d
	}
	return nil
}
