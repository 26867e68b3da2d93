package flaky

import (
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"syscall"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	got, err := ParseSchedule("5s ok, 3s 503 ,2s REFUSE, 2s hang, 1s reset, 1s eof, 1.5s slow 300ms, 1m 404")
	if err != nil {
		t.Fatal(err)
	}
	want := []Phase{
		{For: 5 * time.Second, Kind: OK},
		{For: 3 * time.Second, Kind: Status, Code: 503},
		{For: 2 * time.Second, Kind: Refuse},
		{For: 2 * time.Second, Kind: Hang},
		{For: time.Second, Kind: Reset},
		{For: time.Second, Kind: EOF},
		{For: 1500 * time.Millisecond, Kind: Slow, Delay: 300 * time.Millisecond},
		{For: time.Minute, Kind: Status, Code: 404},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	for _, p := range want {
		again, err := ParseSchedule(p.String())
		if err != nil || again[0] != p {
			t.Errorf("%v does not read back: %v, %v", p, again, err)
		}
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, s := range []string{"", "5s", "ok 5s", "-1s ok", "3s 5033", "3s 999", "3s 600", "3s 99", "3s 100", "3s 199", "3s teapot", "2s slow", "2s ok now", "1s ok,,1s ok"} {
		if _, err := ParseSchedule(s); err == nil {
			t.Errorf("ParseSchedule(%q): no error", s)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8099", ":0", "[::1]:80", "localhost:65535", "0.0.0.0:1"} {
		if err := CheckAddr(ok); err != nil {
			t.Errorf("CheckAddr(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "8099", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:http", "a b:80", "[::1:80", "host/x:80"} {
		if err := CheckAddr(bad); err == nil {
			t.Errorf("CheckAddr(%q) accepted", bad)
		}
	}
}

func get(c *http.Client, url string) (int, error) {
	r, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer r.Body.Close()
	io.Copy(io.Discard, r.Body)
	return r.StatusCode, nil
}

// waitPhase waits until the server has entered phase i.
func waitPhase(t *testing.T, s *Server, i int) Edge {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e := s.Edges(); len(e) > i {
			return e[i]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("phase %d never started", i)
	return Edge{}
}

func TestServerPhases(t *testing.T) {
	sched, _ := ParseSchedule("300ms ok, 300ms 503, 300ms refuse, 300ms ok")
	s, err := Start("127.0.0.1:0", sched)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &http.Client{Timeout: time.Second}
	if code, err := get(c, s.URL()); code != 200 || err != nil {
		t.Fatalf("phase ok: %d, %v", code, err)
	}
	waitPhase(t, s, 1)
	if code, err := get(c, s.URL()); code != 503 || err != nil {
		t.Errorf("phase 503: %d, %v", code, err)
	}
	waitPhase(t, s, 2)
	// The listener is really closed: the kernel refuses the connection.
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial during refuse: %v; want connection refused", err)
	}
	waitPhase(t, s, 3)
	if code, err := get(c, s.URL()); code != 200 || err != nil {
		t.Errorf("after refuse, same port: %d, %v", code, err)
	}
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Error("Done not closed after the last phase")
	}
	if got := s.Served(); got[200] != 2 || got[503] != 1 {
		t.Errorf("served = %v; want 2×200, 1×503", got)
	}
	e := s.Edges()
	for i := 1; i < len(e); i++ {
		if gap := e[i].At.Sub(e[i-1].At); gap < 250*time.Millisecond {
			t.Errorf("edge %d came %v after the previous one; phases are 300ms", i, gap)
		}
	}
}

func TestServerRepeats(t *testing.T) {
	sched, _ := ParseSchedule("50ms ok, 50ms 500")
	s, err := Start("127.0.0.1:0", sched, Repeat())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := waitPhase(t, s, 4)
	if e.Cycle != 2 || e.Index != 0 {
		t.Errorf("fifth edge = cycle %d index %d; want cycle 2 index 0", e.Cycle, e.Index)
	}
}

func TestServerStartsRefusingAndCloses(t *testing.T) {
	sched, _ := ParseSchedule("10s refuse")
	s, err := Start("127.0.0.1:0", sched)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial: %v; want connection refused", err)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
}

// A hanging request is released when the server closes.
func TestHangEndsOnClose(t *testing.T) {
	sched, _ := ParseSchedule("10s hang")
	s, err := Start("127.0.0.1:0", sched)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := get(&http.Client{}, s.URL()); errc <- err }()
	time.Sleep(100 * time.Millisecond) // let the request reach the handler
	s.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("hung request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("hung request not released by Close")
	}
}
