package loader

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/selfheal/selfheal/chaos/measure"
)

// DefaultExchanges is how many questions AskClock asks: the shortest
// round trip of a few is much shorter than a typical one.
const DefaultExchanges = 8

// AskClock is the harness's side of the clock exchange with AnswerClock,
// over a stream that is already open (an exec's stdin and stdout): n
// times, it reads its clock, sends a question, reads the answer and reads
// its clock again. An open stream keeps each round trip to the time the
// bytes take, not the time an exec takes to start.
func AskClock(w io.Writer, r io.Reader, n int) ([]measure.Exchange, error) {
	br := bufio.NewReader(r)
	out := make([]measure.Exchange, 0, n)
	for range n {
		t0 := time.Now()
		if _, err := io.WriteString(w, "t\n"); err != nil {
			return out, fmt.Errorf("asking the loader's clock: %w", err)
		}
		line, err := br.ReadString('\n')
		t2 := time.Now()
		if err != nil {
			return out, fmt.Errorf("reading the loader's clock: %w", err)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
		if err != nil {
			return out, fmt.Errorf("the loader's clock answered %q: %w", line, err)
		}
		out = append(out, measure.Exchange{Sent: t0, Remote: time.Unix(0, ns), Received: t2})
	}
	return out, nil
}
