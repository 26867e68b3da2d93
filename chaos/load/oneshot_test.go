package load

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawServer answers each connection with answer once it has read a
// request head, and hands over the head as sent.
func rawServer(t *testing.T, answer string) (addr string, heads <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	out := make(chan string, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			var head strings.Builder
			br := bufio.NewReader(c)
			for {
				line, err := br.ReadString('\n')
				head.WriteString(line)
				if err != nil || line == "\r\n" {
					break
				}
			}
			io.WriteString(c, answer)
			c.Close()
			out <- head.String()
		}
	}()
	return l.Addr().String(), out
}

// A request sent with a connection of its own is, byte for byte, the one
// net/http's Transport sends with keep-alives off.
func TestOneShotSendsWhatTheTransportSends(t *testing.T) {
	addr, heads := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	target := "http://" + addr + "/wp-includes/css/style.css?ver=1"
	g, err := New([]string{target}, KeepAlive(false), Header("X-Test", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if !g.oneShot {
		t.Fatal("a plain-HTTP target with keep-alive off is not sent one-shot")
	}
	send := func(rt http.RoundTripper) string {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = g.targets[0].Header.Clone()
		resp, err := (&http.Client{Transport: rt, Timeout: 2 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || string(body) != "ok" {
			t.Fatalf("answer %d %q, %v", resp.StatusCode, body, err)
		}
		return <-heads
	}
	ours := send(newOneShot())
	theirs := send(&http.Transport{DisableKeepAlives: true})
	if ours != theirs {
		t.Errorf("one-shot sent\n%q\nnet/http's Transport sent\n%q", ours, theirs)
	}
	if !strings.Contains(ours, "Connection: close\r\n") || !strings.Contains(ours, "Accept-Encoding: gzip\r\n") {
		t.Errorf("the request says neither Connection: close nor Accept-Encoding: gzip:\n%s", ours)
	}
}

// Informational answers before the final one are skipped, as net/http's
// Transport skips them.
func TestOneShotSkipsInformationalAnswers(t *testing.T) {
	addr, _ := rawServer(t, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := newOneShot().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("code %d; want the final 404", resp.StatusCode)
	}
}

// The request's context ends the exchange: a server that never answers
// holds a request only until its deadline, and the error says why.
func TestOneShotEndsWithItsContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() // accepted by the kernel, never answered
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+l.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := newOneShot().RoundTrip(req)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
			t.Errorf("after %s: %v; want the deadline's error", time.Since(start), err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request outlived its deadline by 5 s")
	}
}

// Which loads are sent one-shot: keep-alive off, every target plain HTTP
// (a loopback one is never proxied); net/http's Transport otherwise.
func TestWhichLoadsAreOneShot(t *testing.T) {
	tests := []struct {
		targets   []string
		keepAlive bool
		want      bool
	}{
		{[]string{"http://127.0.0.1:30080/"}, false, true},
		{[]string{"http://127.0.0.1:30080/", "http://[::1]:30080/?p=1"}, false, true},
		{[]string{"http://127.0.0.1:30080/"}, true, false},
		{[]string{"http://127.0.0.1:30080/", "https://127.0.0.1:30443/"}, false, false},
	}
	for _, tt := range tests {
		g, err := New(tt.targets, KeepAlive(tt.keepAlive))
		if err != nil {
			t.Fatal(err)
		}
		if g.oneShot != tt.want {
			t.Errorf("%v, keep-alive %v: one-shot %v; want %v", tt.targets, tt.keepAlive, g.oneShot, tt.want)
		}
	}
}
