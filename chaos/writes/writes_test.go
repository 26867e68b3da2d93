package writes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfheal/selfheal/chaos/result"
)

// behaviour is what the ground-truth server does with one write.
type behaviour string

const (
	ack        behaviour = "ack"         // store one row, answer 201 with the id
	refuse     behaviour = "refuse"      // store nothing, answer 503
	lostAnswer behaviour = "lost-answer" // store one row, answer 500: failed but stored
	lose       behaviour = "lose"        // store nothing, answer 201 with the id: acknowledged but missing
	twice      behaviour = "twice"       // store two rows, answer 201 with the id: a duplicate
	wrongID    behaviour = "wrong-id"    // store one row, answer 200 with another id: failed (no id), stored
	hang       behaviour = "hang"        // store one row, answer after the client gave up: failed (timeout), stored
)

// server is a write endpoint that handles each write by a known schedule
// (by its sequence number) and records what it did and what it stored:
// the ground truth the stream and the tally are checked against.
type server struct {
	schedule func(seq int) behaviour
	hold     time.Duration // how long hang holds an answer
	mu       sync.Mutex
	did      map[string]behaviour
	rows     map[string]int
	srv      *httptest.Server
}

func newServer(t *testing.T, schedule func(int) behaviour, hold time.Duration) *server {
	s := &server{schedule: schedule, hold: hold, did: map[string]behaviour{}, rows: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if r.Method != http.MethodPost || r.URL.Query().Get("rest_route") != "/selfheal/v1/writes" || !validID.MatchString(id) {
		http.Error(w, "not a write", http.StatusBadRequest)
		return
	}
	seq, err := strconv.Atoi(id[strings.LastIndex(id, ".")+1:])
	if err != nil {
		http.Error(w, "no sequence", http.StatusBadRequest)
		return
	}
	b := s.schedule(seq)
	s.mu.Lock()
	s.did[id] = b
	switch b {
	case ack, lostAnswer, wrongID, hang:
		s.rows[id]++
	case twice:
		s.rows[id] += 2
	}
	s.mu.Unlock()
	answer := func(code int, id string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"id": id, "host": "test"})
	}
	switch b {
	case ack, lose, twice:
		answer(http.StatusCreated, id)
	case refuse:
		answer(http.StatusServiceUnavailable, id)
	case lostAnswer:
		answer(http.StatusInternalServerError, id)
	case wrongID:
		answer(http.StatusOK, id+"x")
	case hang:
		select {
		case <-r.Context().Done():
		case <-time.After(s.hold):
		}
		answer(http.StatusCreated, id)
	}
}

// Rows is the fake store: what the server really stored.
func (s *server) Rows(_ context.Context, prefix string) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for id, n := range s.rows {
		if strings.HasPrefix(id, prefix) && n > 0 {
			out[id] = n
		}
	}
	return out, nil
}

// cycle is a schedule that goes through every behaviour, acknowledging
// most writes as a healthy site does.
func cycle(seq int) behaviour {
	plan := []behaviour{ack, ack, refuse, ack, lostAnswer, lose, ack, twice, wrongID, ack, hang, ack}
	return plan[(seq-1)%len(plan)]
}

// Every counter of the tally against what the server did: the stream's
// acknowledged and failed writes, and the database's missing, duplicated
// and failed-but-stored ones.
func TestStreamAndTallyAgainstGroundTruth(t *testing.T) {
	srv := newServer(t, cycle, 2*time.Second)
	st, err := New(srv.srv.URL+"/?rest_route=/selfheal/v1/writes", Prefix("run_1", "db-test", time.Now()), Rate(40), Timeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	ws, err := st.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Check(context.Background(), srv, st.Prefix(), 10*time.Millisecond, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := Tally(st.Settings(), ws, rows, nil, time.Now())

	// What the server did, write by write.
	var want result.Writes
	wantBy := map[string]int{}
	var missing, dups, failedStored []string
	srv.mu.Lock()
	want.Sent = len(srv.did)
	for id, b := range srv.did {
		switch b {
		case ack:
			want.Acknowledged++
		case twice:
			want.Acknowledged++
			dups = append(dups, id)
		case lose:
			want.Acknowledged++
			missing = append(missing, id)
		case refuse:
			wantBy["503"]++
		case lostAnswer:
			wantBy["500"]++
			failedStored = append(failedStored, id)
		case wrongID:
			wantBy[NoID]++
			failedStored = append(failedStored, id)
		case hang:
			wantBy["timeout"]++
			failedStored = append(failedStored, id)
		}
	}
	stored := len(srv.rows)
	srv.mu.Unlock()
	want.Failed = want.Sent - want.Acknowledged

	if want.Sent < 2*12 {
		t.Fatalf("the server saw only %d writes in 1.5 s at 40/s: too few to go through the schedule twice", want.Sent)
	}
	// Every id sent reached the server once, in order, numbered from 1.
	if len(ws) != want.Sent {
		t.Errorf("the stream recorded %d writes, the server saw %d", len(ws), want.Sent)
	}
	for i, w := range ws {
		if w.ID != st.ID(uint64(i+1)) {
			t.Errorf("write %d has id %s, want %s (in send order)", i, w.ID, st.ID(uint64(i+1)))
			break
		}
	}
	check := func(name string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	check("sent", got.Sent, want.Sent)
	check("acknowledged", got.Acknowledged, want.Acknowledged)
	check("failed", got.Failed, want.Failed)
	if fmt.Sprint(got.FailedBy) != fmt.Sprint(wantBy) {
		t.Errorf("failed by %v, want %v", got.FailedBy, wantBy)
	}
	if !got.Checked || got.CheckError != "" {
		t.Fatalf("not checked: %+v", got)
	}
	check("stored", *got.Stored, stored)
	check("acknowledged but missing", *got.AckedMissing, len(missing))
	check("duplicates", *got.Duplicates, len(dups))
	check("failed but stored", *got.FailedStored, len(failedStored))
	if got.Unknown != nil {
		t.Errorf("unknown ids %d: every row is one the stream sent", *got.Unknown)
	}
	sameIDs(t, "missing", got.MissingIDs, missing)
	sameIDs(t, "duplicate", got.DuplicateIDs, dups)
	sameIDs(t, "failed but stored", got.FailedStoredIDs, failedStored)
	if got.FirstFailed == nil || got.LastFailed == nil || got.LastFailed.Before(*got.FirstFailed) {
		t.Errorf("first/last failed %v %v", got.FirstFailed, got.LastFailed)
	}
	// The metric table reads the same figures.
	r := &result.Result{Writes: got}
	for k, v := range map[result.MetricKey]int{
		result.KeyWritesAckedMissing: len(missing), result.KeyWritesDuplicates: len(dups), result.KeyWritesFailed: want.Failed,
	} {
		m, _ := result.MetricByKey(k)
		if x, ok := m.Value(r); !ok || x != float64(v) {
			t.Errorf("metric %s = %v, %v; want %d", k, x, ok, v)
		}
	}
}

// sameIDs compares id lists as sets, up to the cap a result keeps.
func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) > result.MaxWriteIDs {
		if len(got) != result.MaxWriteIDs {
			t.Errorf("%d %s ids named, want the first %d", len(got), what, result.MaxWriteIDs)
		}
		return
	}
	set := map[string]bool{}
	for _, id := range want {
		set[id] = true
	}
	if len(got) != len(want) {
		t.Errorf("%s ids %v, want %v", what, got, want)
		return
	}
	for _, id := range got {
		if !set[id] {
			t.Errorf("%s ids %v, want %v", what, got, want)
			return
		}
	}
}

// A database that cannot be read leaves every database figure unknown:
// never "nothing missing".
func TestUncheckedIsNotZero(t *testing.T) {
	ws := []Write{{ID: "p.000001", Acked: true}, {ID: "p.000002", Cause: "503"}}
	down := errors.New("exec: pod mysql-0 not found")
	got := Tally(result.Writes{Prefix: "p."}, ws, nil, down, time.Now())
	if got.Checked || got.AckedMissing != nil || got.Duplicates != nil || got.FailedStored != nil || got.Stored != nil || !strings.Contains(got.CheckError, "mysql-0") {
		t.Fatalf("tally of an unread database: %+v", got)
	}
	if got.Sent != 2 || got.Acknowledged != 1 || got.Failed != 1 {
		t.Errorf("the stream's own counts are known all the same: %+v", got)
	}
	r := &result.Result{Writes: got}
	for _, k := range []result.MetricKey{result.KeyWritesAckedMissing, result.KeyWritesDuplicates} {
		m, _ := result.MetricByKey(k)
		if _, ok := m.Value(r); ok {
			t.Errorf("%s has a value though the database was not read", k)
		}
	}
	if !strings.Contains(r.WritesUnchecked(), "not checked: exec: pod mysql-0 not found") {
		t.Errorf("WritesUnchecked = %q", r.WritesUnchecked())
	}
	if s := Summary(got); !strings.Contains(s, "database NOT checked") {
		t.Errorf("summary %q hides that the database was not read", s)
	}
}

type flakyStore struct {
	fails int
	calls int
}

func (f *flakyStore) Rows(context.Context, string) (map[string]int, error) {
	f.calls++
	if f.calls <= f.fails {
		return nil, fmt.Errorf("attempt %d: connection refused", f.calls)
	}
	return map[string]int{"p.000001": 1}, nil
}

// The check tries again while the database comes back, and gives up with
// the last error at its timeout.
func TestCheckRetries(t *testing.T) {
	f := &flakyStore{fails: 2}
	rows, err := Check(context.Background(), f, "p.", time.Millisecond, 5*time.Second)
	if err != nil || rows["p.000001"] != 1 || f.calls != 3 {
		t.Errorf("rows %v err %v after %d calls; want the third attempt's rows", rows, err, f.calls)
	}
	f = &flakyStore{fails: 1 << 30}
	_, err = Check(context.Background(), f, "p.", 5*time.Millisecond, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || f.calls < 2 {
		t.Errorf("err %v after %d calls; want the last error after several attempts", err, f.calls)
	}
	if _, err := Check(context.Background(), nil, "p.", time.Millisecond, time.Second); err == nil {
		t.Error("no store: want an error, not an empty database")
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	tests := []struct {
		name, target, prefix string
		opts                 []Option
		want                 string
	}{
		{"rate", "http://x/", "p", []Option{Rate(0)}, "write rate"},
		{"timeout", "http://x/", "p", []Option{Timeout(-1)}, "write timeout"},
		{"quote in prefix", "http://x/", "p'; DROP TABLE x; --", nil, "write id prefix"},
		{"long prefix", "http://x/", strings.Repeat("a", maxPrefix+1), nil, "write id prefix"},
		{"scheme", "ftp://x/", "p", nil, "http:// or https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.target, tt.prefix, tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one about %s", err, tt.want)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	at := time.Date(2026, 12, 1, 18, 5, 12, 123e6, time.FixedZone("x", 3600))
	if got := Prefix("20261201-180000", "mysql-crash", at); got != "20261201-180000.mysql-crash.20261201T170512.123" {
		t.Errorf("Prefix = %s", got)
	}
	if got := Prefix("", "a b/c'", at); got != "run.a-b-c-.20261201T170512.123" || !validID.MatchString(got) {
		t.Errorf("Prefix of odd names = %s, want only id characters", got)
	}
}
