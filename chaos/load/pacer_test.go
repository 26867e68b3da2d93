package load_test

import (
	"context"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/measure"
	"github.com/selfheal/selfheal/internal/flaky/flakytest"
)

// A cancel stops a slow load at once: vegeta used to sleep out the
// interval between requests (here a minute) before it looked at Stop.
func TestCancelStopsASlowLoad(t *testing.T) {
	srv := flakytest.Start(t, "1h ok")
	g, err := load.New([]string{srv.URL() + "/"}, load.Rate(1.0/60), load.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	done := make(chan load.Stats, 1)
	go func() {
		st, err := g.Run(ctx, measure.NewRecorder())
		if err != nil {
			t.Error(err)
		}
		done <- st
	}()
	select {
	case st := <-done:
		if !st.Cancelled || st.Received != 0 {
			t.Errorf("stats %+v; want cancelled with nothing sent", st)
		}
	case <-time.After(30 * time.Second): // half the interval: it did not wake
		t.Fatal("Run still waiting for the next request half a minute after the cancel")
	}
}

// No request is sent after the duration: at 0.4/s for 3 s one request
// goes out at 2.5 s, and the next, due at 5 s, is not sent (vegeta's loop
// used to sleep until 5 s and send it).
func TestNoRequestAfterTheDuration(t *testing.T) {
	srv := flakytest.Start(t, "1h ok")
	const dur = 3 * time.Second
	g, err := load.New([]string{srv.URL() + "/"}, load.Rate(0.4), load.Duration(dur), load.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	rec := measure.NewRecorder()
	st, err := g.Run(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	in := rec.Input(st.Ended)
	if got := srv.Served()[200]; got != 1 || st.Received != 1 {
		t.Errorf("server answered %d, load received %d; want 1 request in %s at 0.4/s", got, st.Received, dur)
	}
	if !st.Ended.Equal(st.Began.Add(dur)) {
		t.Errorf("ended %s after it began; want the duration %s", st.Ended.Sub(st.Began), dur)
	}
	for _, s := range in.Samples {
		if at := in.Epoch.Add(s.Sent); at.After(st.Began.Add(dur)) {
			t.Errorf("a request was sent %s after the load began, past its %s", at.Sub(st.Began), dur)
		}
	}
}
