package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
)

// rawServer answers each connection with answer once it has read a
// request head, closes it, and hands over the head as sent.
func rawServer(t *testing.T, answer string) (addr string, heads <-chan string) {
	return headServer(t, answer, false)
}

// headServer answers each connection with answer once it has read a
// request head, then closes it, or holds it open until the test ends; the
// heads read are handed over (up to 16 not yet taken).
func headServer(t *testing.T, answer string, hold bool) (addr string, heads <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	out := make(chan string, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
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
				select {
				case out <- head.String():
				default:
				}
				if hold {
					<-done
				}
			}()
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
	ours := send(newOneShot(0))
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
	resp, err := newOneShot(0).RoundTrip(req)
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
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+stalls("")(t)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- exchangeAll(newOneShot(0), req) }()
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

// fullListener is a listening address whose accept queue is full: the
// kernel drops the SYN of the next connection, so a dial to it hangs.
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil { // one connection fills it
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return addr
}

// The load's timeout bounds the whole exchange, from the dial to the
// body's last byte: a handshake or an answer that never comes, or stops
// halfway, fails at the timeout as a timeout, with no context of the
// request's own to end it.
func TestOneShotKeepsTheTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	tests := []struct {
		name string
		addr func(t *testing.T) string
	}{
		{"no handshake", fullListener},
		{"no answer", stalls("")},
		{"half a head", stalls("HTTP/1.1 200 OK\r\nContent-")},
		{"half a body", stalls("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")},
		{"half a chunk", stalls("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nha")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodGet, "http://"+tt.addr(t)+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- exchangeAll(newOneShot(timeout), req) }()
			select {
			case err := <-done:
				took := time.Since(start)
				if err == nil || Classify(err.Error()) != measure.ClassTimeout {
					t.Fatalf("after %s: %v; want a timeout", took, err)
				}
				if took < timeout {
					t.Errorf("failed after %s, before the %s timeout", took, timeout)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("the exchange outlived its %s timeout by 5 s", timeout)
			}
		})
	}
}

// stalls starts a server that answers each connection with prefix once it
// has read a request head, and then says nothing more until the test ends.
func stalls(prefix string) func(t *testing.T) string {
	return func(t *testing.T) string {
		addr, _ := headServer(t, prefix, true)
		return addr
	}
}

// exchangeAll sends req with rt and reads the whole answer.
func exchangeAll(rt http.RoundTripper, req *http.Request) error {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}
