package main

import (
	"flag"
	"time"

	"github.com/selfheal/selfheal/chaos/host"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/scenario"
)

// hostFlags are the host-conditions flags of probe
// (docs/measurement.md, "Host conditions").
type hostFlags struct {
	spec       string
	every      time.Duration
	thresholds []result.HostThreshold
}

// register adds the flags. (selfheal run reads its host settings with the
// suite's, chaos/session.Settings.)
func (h *hostFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.spec, "host-thresholds", "", "host thresholds over the defaults, SIGNAL=CONTENDED/STARVED, e.g. steal=10/30,outside_pressure=20/40")
	fs.DurationVar(&h.every, "host-every", host.DefaultInterval, "how often the host's conditions are sampled")
}

func (h *hostFlags) check() error {
	if h.every <= 0 {
		return usagef("--host-every must be positive, got %s", h.every)
	}
	th, err := host.ParseThresholds(h.spec)
	if err != nil {
		return usagef("--host-thresholds: %v", err)
	}
	h.thresholds = th
	return nil
}

func (h *hostFlags) policy() scenario.HostPolicy {
	return scenario.HostPolicy{Thresholds: h.thresholds, Sampling: []host.Option{host.WithInterval(h.every)}}
}
