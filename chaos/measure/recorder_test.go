package measure

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"
)

func TestRecorderLiveStatus(t *testing.T) {
	r := NewRecorder()
	at := func(ms int) time.Time { return r.Epoch().Add(time.Duration(ms) * time.Millisecond) }
	select {
	case <-r.Started():
		t.Fatal("Started before any request")
	default:
	}
	for range 6 {
		r.Sending()
	}
	<-r.Started()
	if first := r.FirstSent(); first.Before(r.Epoch()) || time.Since(first) > time.Minute {
		t.Errorf("FirstSent = %v; epoch %v", first, r.Epoch())
	}
	// Completion order, not send order: the timeout sent at 150 ms
	// answers after the success sent at 300 ms.
	steps := []struct {
		o          Outcome
		open       bool
		startMS    int
		cause      string
		outageSeen int
	}{
		{Outcome{Sent: at(0), Code: 200}, false, 0, "", 0},
		{Outcome{Sent: at(100), Code: 200}, false, 0, "", 0},
		{Outcome{Sent: at(200), Code: 503}, true, 200, "503", 1},
		{Outcome{Sent: at(250), Class: ClassRefused}, true, 200, "refused", 1},
		{Outcome{Sent: at(300), Code: 200}, false, 0, "", 1},
		{Outcome{Sent: at(150), Class: ClassTimeout}, false, 0, "", 1},
	}
	for i, s := range steps {
		r.Record(s.o)
		st := r.Status(at(400))
		if (st.Outage != nil) != s.open || st.Outages != s.outageSeen {
			t.Fatalf("step %d: outage %+v, %d seen; want open=%v, %d seen", i, st.Outage, st.Outages, s.open, s.outageSeen)
		}
		if s.open && (!st.Outage.Start.Equal(at(s.startMS)) || st.Outage.Cause != s.cause) {
			t.Errorf("step %d: outage %+v; want start +%dms cause %s", i, st.Outage, s.startMS, s.cause)
		}
	}
	st := r.Status(r.Epoch().Add(2 * time.Second))
	if st.Sent != 6 || st.Done != 6 || st.OK != 3 || st.InFlight != 0 || st.OKPercent() != 50 {
		t.Errorf("status = %+v", st)
	}
	if st.Elapsed <= 0 || st.Rate <= 0 {
		t.Errorf("elapsed %v rate %v; want positive", st.Elapsed, st.Rate)
	}
}

func TestRecorderConcurrentUse(t *testing.T) {
	r := NewRecorder()
	const workers, each = 8, 3000 // more than a chunk per worker
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range each {
				r.Sending()
				sent := r.Epoch().Add(time.Duration(rng.IntN(1e9)))
				r.Record(Outcome{Sent: sent, Latency: time.Duration(i) * time.Microsecond, Code: 200, Target: uint8(w)})
			}
		})
	}
	wg.Go(func() {
		for i := range 100 {
			r.Mark(time.Now(), "f", "d")
			r.Revert(time.Now(), "f", "d")
			_ = r.Status(time.Now())
			_ = r.Input(time.Now()) // snapshots while recording goes on
			_ = i
		}
	})
	wg.Wait()
	in := r.Input(time.Now())
	if len(in.Samples) != workers*each || r.Len() != workers*each {
		t.Fatalf("samples = %d (Len %d); want %d", len(in.Samples), r.Len(), workers*each)
	}
	if !slices.IsSortedFunc(in.Samples, compareSent) {
		t.Error("Input samples are not in send order")
	}
	if len(in.Injections) != 100 || len(in.Reverts) != 100 || !in.Epoch.Equal(r.Epoch()) {
		t.Errorf("marks %d/%d, epoch %v", len(in.Injections), len(in.Reverts), in.Epoch)
	}
}

// A wall-clock step must not move send offsets: they come from the
// monotonic clock, the same one vegeta's timestamps carry.
func TestRecorderOffsetsAreMonotonic(t *testing.T) {
	r := NewRecorder()
	sent := time.Now()
	r.Record(Outcome{Sent: sent, Code: 200})
	want := sent.Sub(r.Epoch())
	if got := r.Input(sent).Samples[0].Sent; got != want || got < 0 {
		t.Errorf("offset = %v; want %v", got, want)
	}
}

func TestSampleIsCompact(t *testing.T) {
	if n := unsafe.Sizeof(Sample{}); n != 16 {
		t.Errorf("Sample is %d bytes; the memory budget assumes 16", n)
	}
}
