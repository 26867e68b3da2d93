package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// oneShot is the round tripper of a load with a connection per request
// (keep-alive off) to plain-HTTP targets: it dials, writes the request
// with net/http's own writer, reads the answer with its own parser, and
// closes the connection when the body is closed. net/http's Transport
// does the same with DisableKeepAlives, through machinery built for
// pooling (a dial goroutine, then a read loop and a write loop per
// connection, handing the request and answer over by channel), which took
// 15 % of a loader's CPU at 100 requests/s (docs/measurement.md, "Vantage
// points", Cost). The request on the wire is the same: its
// "Connection: close" and the load's own Accept-Encoding, no proxy (New
// keeps net/http's Transport for a target the environment proxies).
//
// It keeps the load's timeout itself, as a deadline on the connection:
// http.Client's Timeout, for a round tripper it does not know, starts a
// goroutine and a timer per request to cancel it.
type oneShot struct {
	// dialer sends no TCP keep-alive probes: a connection that carries one
	// request never idles.
	dialer net.Dialer
	// timeout bounds each exchange, dial to the body's last byte; 0 is none.
	timeout time.Duration
	// readers recycles the buffered readers of closed connections.
	readers sync.Pool
}

// RoundTrip sends req on a connection of its own. The timeout is the
// dial's deadline and then the connection's, so a read or write past it
// fails with a timeout; the request's context, if it ends first, closes
// the connection, which ends whatever read or write is under way.
func (o *oneShot) RoundTrip(req *http.Request) (*http.Response, error) {
	x := exchange{ctx: req.Context(), timeout: o.timeout}
	dialer := o.dialer
	if o.timeout > 0 {
		x.deadline = time.Now().Add(o.timeout)
		dialer.Deadline = x.deadline
	}
	conn, err := dialer.DialContext(x.ctx, "tcp", hostPort(req))
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(x.ctx, func() { conn.Close() })
	fail := func(err error) (*http.Response, error) {
		stop()
		conn.Close()
		return nil, x.why(err)
	}
	if !x.deadline.IsZero() {
		if err := conn.SetDeadline(x.deadline); err != nil {
			return fail(err)
		}
	}
	if err := req.Write(conn); err != nil {
		return fail(err)
	}
	br := o.reader(conn)
	resp, err := readFinal(br, req)
	if err != nil {
		o.readers.Put(br)
		return fail(err)
	}
	resp.Body = &oneShotBody{ReadCloser: resp.Body, close: func() {
		stop()
		conn.Close()
		o.readers.Put(br)
	}}
	return resp, nil
}

// exchange is what ends one request early: its context and its deadline.
type exchange struct {
	ctx      context.Context
	deadline time.Time
	timeout  time.Duration
}

// why says why the exchange failed with err: its context's end or its
// deadline when either is past, as a read they cut can surface as a parse
// error of the half it got ("malformed MIME header").
func (x exchange) why(err error) error {
	switch {
	case x.ctx.Err() != nil:
		return fmt.Errorf("%w (%v)", context.Cause(x.ctx), err)
	case x.deadline.IsZero() || time.Now().Before(x.deadline) || errors.Is(err, os.ErrDeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: no whole answer within %s (%v)", os.ErrDeadlineExceeded, x.timeout, err)
}

// readFinal reads the answer to req, skipping informational (1xx) ones
// other than 101 as net/http's Transport does.
func readFinal(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, err
		}
	}
}

func (o *oneShot) reader(conn net.Conn) *bufio.Reader {
	if br, ok := o.readers.Get().(*bufio.Reader); ok {
		br.Reset(conn)
		return br
	}
	return bufio.NewReader(conn)
}

// newOneShot sends with a connection per request, each exchange bounded
// by timeout (0: none).
func newOneShot(timeout time.Duration) *oneShot {
	return &oneShot{dialer: net.Dialer{KeepAlive: -1}, timeout: timeout}
}

// hostPort is the address to dial for req: its URL's host, with the
// scheme's port when it names none.
func hostPort(req *http.Request) string {
	if port := req.URL.Port(); port != "" {
		return net.JoinHostPort(req.URL.Hostname(), port)
	}
	return net.JoinHostPort(req.URL.Hostname(), "80")
}

// oneShotBody closes its connection once, when the body is closed. A
// read past the deadline fails as the connection's read does, a timeout.
type oneShotBody struct {
	io.ReadCloser
	once  sync.Once
	close func()
}

func (b *oneShotBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.close)
	return err
}
