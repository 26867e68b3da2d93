package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/load"
	"github.com/selfheal/selfheal/chaos/result"
	"github.com/selfheal/selfheal/chaos/writes"
)

const writeRoute = "/selfheal/v1/writes"

// site serves reads and writes on one address, as WordPress does: reads
// answer 503 while the app is broken, and so do writes (nothing stored).
// It counts what it served and stores writes as rows, and can lose the
// row of one acknowledged write: the ground truth of the runner's tests.
type site struct {
	app  *app
	lose int // the write (by sequence) acknowledged but not stored; 0 none
	mu   sync.Mutex
	// reads served, and how many of them answered 503
	reads, reads503 int
	writes          int
	rows            map[string]int
	srv             *httptest.Server
}

func newSite(t *testing.T, lose int) *site {
	s := &site{app: &app{}, lose: lose, rows: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	broken := s.app.broken.Load()
	if r.URL.Query().Get("rest_route") != writeRoute {
		s.mu.Lock()
		s.reads++
		if broken {
			s.reads503++
		}
		s.mu.Unlock()
		if broken {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
		return
	}
	id := r.URL.Query().Get("id")
	seq, _ := strconv.Atoi(id[strings.LastIndex(id, ".")+1:])
	s.mu.Lock()
	s.writes++
	if !broken && seq != s.lose {
		s.rows[id]++
	}
	s.mu.Unlock()
	if broken {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"id": id})
}

// Rows is the fake store: what the site really stored.
func (s *site) Rows(_ context.Context, prefix string) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for id, n := range s.rows {
		if strings.HasPrefix(id, prefix) {
			out[id] = n
		}
	}
	return out, nil
}

func (s *site) runner(store writes.Store) *Runner {
	return NewRunner([]string{s.srv.URL + "/"},
		WithLoad(load.Rate(50), load.Timeout(500*time.Millisecond)), WithPoll(50*time.Millisecond),
		WithRunInfo(result.RunInfo{ID: "test-run"}),
		WithWrites(Writes{URL: s.srv.URL + "/?rest_route=" + writeRoute, Store: store,
			Options:      []writes.Option{writes.Rate(20), writes.Timeout(500 * time.Millisecond)},
			CheckTimeout: 300 * time.Millisecond, CheckEvery: 20 * time.Millisecond}))
}

func writeScenario(s *site) Scenario {
	return Scenario{Name: "db-break", Fault: &breakFor{app: s.app, heal: time.Second}, Steady: s.app.steady, Timing: fastTiming(),
		Writes: true, Budgets: Budgets{MustRecover: true, AckedMissing: Count(0)}}
}

func failedBudgets(res *result.Result) []result.MetricKey {
	var failed []result.MetricKey
	for _, b := range res.Budgets {
		if !b.Pass {
			failed = append(failed, b.Metric)
		}
	}
	return failed
}

// An acknowledged write the database lost fails the verdict, on its own
// budget; without the loss the same scenario passes. The read figures
// are the site's reads, exactly: no write is counted among them.
func TestRunnerChecksAcknowledgedWrites(t *testing.T) {
	for _, tt := range []struct {
		name string
		lose int
		want result.Verdict
	}{
		{"nothing lost", 0, result.VerdictPass},
		{"one acknowledged write lost", 2, result.VerdictFail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, tt.lose)
			res, err := s.runner(s).Run(context.Background(), writeScenario(s))
			if err != nil {
				t.Fatal(err)
			}
			w := res.Writes
			if w == nil || !w.Checked {
				t.Fatalf("writes %+v: want the database checked", w)
			}
			s.mu.Lock()
			reads, reads503, sent, stored := s.reads, s.reads503, s.writes, len(s.rows)
			s.mu.Unlock()
			missing := 0
			if tt.lose > 0 {
				missing = 1
			}
			if w.Sent != sent || w.Acknowledged+w.Failed != sent || *w.Stored != stored || *w.AckedMissing != missing || *w.Duplicates != 0 {
				t.Errorf("writes %+v; the site got %d writes, stored %d, lost %d", w, sent, stored, missing)
			}
			if w.Failed == 0 || w.FailedBy["503"] != w.Failed {
				t.Errorf("failed writes %v: the site answered 503 to writes while broken", w.FailedBy)
			}
			if tt.lose > 0 && (len(w.MissingIDs) != 1 || !strings.HasSuffix(w.MissingIDs[0], ".000002")) {
				t.Errorf("missing ids %v, want write 2", w.MissingIDs)
			}
			if !strings.HasPrefix(w.Prefix, "test-run.db-break.") {
				t.Errorf("prefix %q: want the run and the scenario in it", w.Prefix)
			}
			// The read load counts reads only.
			if res.Requests.Total != reads {
				t.Errorf("the result counts %d requests, the site served %d reads (and %d writes)", res.Requests.Total, reads, sent)
			}
			if res.TransportErrors() == 0 && res.Server5xx != reads503 {
				t.Errorf("the result counts %d 5xx, the site answered %d reads with 503", res.Server5xx, reads503)
			}
			if res.StatusCodes["201"] != 0 {
				t.Errorf("status codes %v: the writes' 201s are among the reads", res.StatusCodes)
			}
			if res.Verdict != tt.want {
				t.Errorf("verdict %s, want %s: %+v", res.Verdict, tt.want, res.Budgets)
			}
			if tt.want == result.VerdictFail {
				if f := failedBudgets(res); len(f) != 1 || f[0] != result.KeyWritesAckedMissing {
					t.Errorf("failed budgets %v, want only %s", f, result.KeyWritesAckedMissing)
				}
			}
		})
	}
}

type downStore struct{}

func (downStore) Rows(context.Context, string) (map[string]int, error) {
	return nil, errors.New("exec into selfheal/mysql-0: connection refused")
}

// A database that cannot be read is "not checked", and the budget fails
// on it: unknown is not "nothing missing". A runner given no write
// endpoint says so the same way.
func TestRunnerWritesNotChecked(t *testing.T) {
	s := newSite(t, 0)
	for _, tt := range []struct {
		name string
		r    *Runner
		why  string
	}{
		{"database down", s.runner(downStore{}), "connection refused"},
		{"no write endpoint", NewRunner([]string{s.srv.URL + "/"}, WithLoad(load.Rate(50), load.Timeout(500*time.Millisecond)), WithPoll(50*time.Millisecond)), "no write endpoint"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.r.Run(context.Background(), writeScenario(s))
			if err != nil {
				t.Fatal(err)
			}
			w := res.Writes
			if w == nil || w.Checked || w.AckedMissing != nil || !strings.Contains(w.CheckError, tt.why) {
				t.Fatalf("writes %+v: want not checked because %s", w, tt.why)
			}
			if res.Verdict != result.VerdictFail {
				t.Errorf("verdict %s, want fail", res.Verdict)
			}
			var check *result.BudgetCheck
			for i := range res.Budgets {
				if res.Budgets[i].Metric == result.KeyWritesAckedMissing {
					check = &res.Budgets[i]
				}
			}
			if check == nil || check.Pass || !check.Missing || !strings.Contains(check.Message, "not checked") {
				t.Errorf("acked_missing budget %+v: want failed, missing, saying not checked", check)
			}
		})
	}
}

// A scenario without writes sends none, even from a runner that has an
// endpoint, and a "*" budget on acknowledged writes does not fail it.
func TestRunnerWithoutWrites(t *testing.T) {
	s := newSite(t, 0)
	sc := writeScenario(s)
	sc.Writes = false
	res, err := s.runner(s).Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	sent := s.writes
	s.mu.Unlock()
	if res.Writes != nil || sent != 0 {
		t.Errorf("writes %+v, %d sent: want none", res.Writes, sent)
	}
	for _, b := range res.Budgets {
		if b.Metric == result.KeyWritesAckedMissing {
			t.Errorf("budget %+v checked without a write stream", b)
		}
	}
}

// A write stream that never worked in the warm-up (the write plugin
// missing: 404, or nothing answering) ends the scenario as an error
// naming the stream and its failures, before any fault: "no acknowledged
// write missing" would otherwise pass on writes never made. Before, both
// passed with acked_missing 0.
func TestRunnerRefusesAWriteStreamThatNeverWorked(t *testing.T) {
	s := newSite(t, 0)
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)
	for _, tt := range []struct {
		name, url string
		want      []string
	}{
		{"the write plugin missing", gone.URL + "/?rest_route=" + writeRoute,
			[]string{"the write stream never worked in the warm-up: ", " sent, 0 acknowledged (404 ×", "is the app's write endpoint deployed (POST http://"}},
		{"nothing answers", "http://127.0.0.1:1/?rest_route=" + writeRoute,
			[]string{"the write stream never worked in the warm-up: ", " sent, 0 acknowledged (refused ×"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.runner(s)
			r.writes.URL = tt.url
			sc := writeScenario(s)
			f := sc.Fault.(*breakFor)
			sc.Timing.WarmupLimit = 2 * time.Second
			res, err := r.Run(context.Background(), sc)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("err = %v; want it to say %q", err, w)
				}
			}
			if res.Verdict != result.VerdictError {
				t.Errorf("verdict %s; want error", res.Verdict)
			}
			if !f.injectAt.IsZero() {
				t.Error("the fault was injected although the write stream never worked")
			}
			if w := res.Writes; w == nil || w.Sent == 0 || w.Acknowledged != 0 {
				t.Errorf("writes %+v; want the writes sent and none acknowledged in the result", w)
			}
		})
	}
}

// The warm-up's baseline needs completed requests: a window in which
// none completed is no baseline, not a 0 % failed one. Before, it was
// clean and the fault was injected.
func TestWarmupWithoutACompletedRequestIsNoBaseline(t *testing.T) {
	a := newApp(t)
	blind := &blindSink{let: 0}
	blind.window(true) // from before the load began, for good
	r := runner(a, nil)
	r.wrapSink = func(s load.Sink) load.Sink { blind.Sink = s; return blind }
	f := &breakFor{app: a, heal: time.Second}
	tm := fastTiming()
	tm.WarmupLimit = 2 * time.Second
	res, err := r.Run(context.Background(), Scenario{Name: "x", Fault: f, Steady: a.steady, Timing: tm})
	if err == nil || !strings.Contains(err.Error(), "no request completed in the last 1s") {
		t.Fatalf("err = %v; want the warm-up refused for want of completed requests", err)
	}
	if !f.injectAt.IsZero() || res.Verdict != result.VerdictError {
		t.Errorf("injected at %v, verdict %s; want no injection and an error", f.injectAt, res.Verdict)
	}
}
