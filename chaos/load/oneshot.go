package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
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
type oneShot struct {
	// dialer sends no TCP keep-alive probes: a connection that carries one
	// request never idles.
	dialer net.Dialer
	// readers recycles the buffered readers of closed connections.
	readers sync.Pool
}

// RoundTrip sends req on a connection of its own. The request's context
// (the client's timeout) closes the connection, which ends whatever
// read or write is under way.
func (o *oneShot) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	conn, err := o.dialer.DialContext(ctx, "tcp", hostPort(req))
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*http.Response, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%v)", context.Cause(ctx), err)
		}
		return nil, err
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

func newOneShot() *oneShot { return &oneShot{dialer: net.Dialer{KeepAlive: -1}} }

// hostPort is the address to dial for req: its URL's host, with the
// scheme's port when it names none.
func hostPort(req *http.Request) string {
	if port := req.URL.Port(); port != "" {
		return net.JoinHostPort(req.URL.Hostname(), port)
	}
	return net.JoinHostPort(req.URL.Hostname(), "80")
}

// oneShotBody closes its connection once, when the body is closed.
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
