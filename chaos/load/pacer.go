package load

import (
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// stoppable paces the load with two guarantees vegeta's attack loop does
// not give. Vegeta sleeps the pacer's wait in time.Sleep, deaf to Stop,
// and after the sleep it sends whether or not the duration has passed: at
// a low rate one sleep outlasts a Ctrl-C or the duration by as long as
// the interval between requests (a probe at 0.05/s ignored SIGTERM for
// 20 s). So the pacer does the waiting itself: it ends the load when the
// next request would fall after the duration, and wakes when stop closes.
// vegeta calls Pace from one goroutine, so one timer serves every wait.
type stoppable struct {
	vegeta.Pacer
	duration time.Duration // 0: no end
	stop     <-chan struct{}
	timer    *time.Timer
}

func (p *stoppable) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	wait, stop := p.Pacer.Pace(elapsed, hits)
	switch {
	case stop:
		return 0, true
	case p.duration > 0 && elapsed+wait > p.duration:
		return 0, true
	case wait <= 0:
		return 0, false
	}
	if p.timer == nil {
		p.timer = time.NewTimer(wait)
	} else {
		p.timer.Reset(wait) // since Go 1.23 no stale tick can be left to drain
	}
	select {
	case <-p.timer.C:
		return 0, false
	case <-p.stop:
		return 0, true
	}
}

// StopPacer paces with p until stop closes, which ends the attack at once
// even in the middle of a wait (see stoppable): for selfheal's other
// attacks, such as the write stream, that must stop as promptly as the
// load.
func StopPacer(p vegeta.Pacer, stop <-chan struct{}) vegeta.Pacer {
	return &stoppable{Pacer: p, stop: stop}
}
