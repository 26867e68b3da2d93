package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// description is what these tests read from app.yaml: the commands
// selfheal runs in the pods, so the tests run the very same ones.
type description struct {
	Writes struct {
		Path  string `json:"path"`
		Count struct {
			Command []string `json:"command"`
		} `json:"count"`
	} `json:"writes"`
	ConfigBreak struct {
		Break   []string `json:"break"`
		Broken  []string `json:"broken"`
		Restore []string `json:"restore"`
	} `json:"configBreak"`
	Load struct {
		Paths []string `json:"paths"`
	} `json:"load"`
}

func readDescription(t *testing.T) description {
	t.Helper()
	data, err := os.ReadFile("app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var d description
	if err := yaml.Unmarshal(data, &d); err != nil {
		t.Fatalf("app.yaml: %v", err)
	}
	if d.Writes.Path == "" || len(d.Writes.Count.Command) == 0 || len(d.ConfigBreak.Break) == 0 || len(d.ConfigBreak.Broken) == 0 || len(d.Load.Paths) == 0 {
		t.Fatalf("app.yaml lacks what the tests run: %+v", d)
	}
	return d
}

// service serves the guestbook on a test server, its configuration file
// naming addr.
func service(t *testing.T, addr string) (*httptest.Server, string) {
	t.Helper()
	path := configFile(t, addr)
	s := &Server{ConfigPath: path, Host: "test-pod", Version: "test", RedisTimeout: time.Second,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts, path
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// write posts one write as selfheal's write stream does; acked says
// whether it was acknowledged (201 whose JSON body echoes the id).
func write(client *http.Client, base, path, id string) (acked bool, err error) {
	resp, err := client.Post(base+path+"?id="+id, "", nil)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var answer struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusCreated {
		return false, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return false, err
	}
	return answer.ID == id, nil
}

// rows runs app.yaml's count command against the Redis on port, as
// selfheal does in the Redis container, and reads its lines. The
// container has the variables the kubelet sets for the Service redis
// (REDIS_PORT=tcp://IP:6379), which the command must not take for its
// port.
func rows(t *testing.T, d description, port int, prefix string) map[string]int {
	t.Helper()
	argv := append(slices.Clone(d.Writes.Count.Command), prefix)
	out, err := command(context.Background(), argv, "GUESTBOOK_COUNT_PORT="+strconv.Itoa(port),
		"REDIS_PORT=tcp://10.96.0.10:6379", "REDIS_SERVICE_HOST=10.96.0.10", "REDIS_SERVICE_PORT=6379").Output()
	if err != nil {
		t.Fatalf("%q: %v", argv, err)
	}
	return parseRows(t, string(out))
}

func parseRows(t *testing.T, out string) map[string]int {
	t.Helper()
	got := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		id, n, ok := strings.Cut(sc.Text(), "\t")
		count, err := strconv.Atoi(n)
		if !ok || err != nil {
			t.Fatalf("count line %q: want id<TAB>rows", sc.Text())
		}
		got[id] = count
	}
	return got
}

// TestWritesAreCountedBothWays: every write is acknowledged with its id,
// a write sent twice is stored twice, and the count command of app.yaml
// (in the Redis container) and the app's own GET /writes agree.
func TestWritesAreCountedBothWays(t *testing.T) {
	d := readDescription(t)
	r := startRedis(t)
	ts, _ := service(t, r.Addr())
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("run.scn.t0.%06d", i)
			if acked, err := write(ts.Client(), ts.URL, d.Writes.Path, id); err != nil || !acked {
				errs <- fmt.Errorf("write %s: acked %v, %v", id, acked, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if acked, err := write(ts.Client(), ts.URL, d.Writes.Path, "run.scn.t0.000003"); !acked || err != nil {
		t.Fatalf("second write of one id: %v %v", acked, err)
	}
	write(ts.Client(), ts.URL, d.Writes.Path, "other.prefix.1")

	got := rows(t, d, r.Port, "run.scn.t0.")
	if len(got) != n {
		t.Errorf("%d ids under the prefix, want %d", len(got), n)
	}
	for id, c := range got {
		if want := map[bool]int{true: 2, false: 1}[id == "run.scn.t0.000003"]; c != want {
			t.Errorf("%s stored %d times, want %d", id, c, want)
		}
	}
	code, body := get(t, ts.URL+d.Writes.Path+"?prefix=run.scn.t0.")
	if code != http.StatusOK {
		t.Fatalf("GET /writes: %d %s", code, body)
	}
	if app := parseRows(t, body); fmt.Sprint(app) != fmt.Sprint(got) {
		t.Errorf("the app counts %v, the Redis container %v", app, got)
	}
	if none := rows(t, d, r.Port, "nothing."); len(none) != 0 {
		t.Errorf("an unknown prefix has rows %v", none)
	}
}

// TestNoAcknowledgedWriteLostToACrash is the write endpoint's promise,
// checked against a real crash: Redis is killed (SIGKILL) while writes
// stream in, and restarted on the same data; every write the service
// acknowledged is there, and the writes sent while it was down failed
// rather than being acknowledged.
func TestNoAcknowledgedWriteLostToACrash(t *testing.T) {
	d := readDescription(t)
	r := startRedis(t)
	ts, _ := service(t, r.Addr())
	var (
		mu           sync.Mutex
		acked, sent  []string
		failed       int
		stop         = make(chan struct{})
		wg           sync.WaitGroup
		ackedAtKill  = make(chan struct{})
		signalledAck sync.Once
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("crash.w%d.%06d", w, i)
				ok, _ := write(ts.Client(), ts.URL, d.Writes.Path, id)
				mu.Lock()
				sent = append(sent, id)
				if ok {
					acked = append(acked, id)
					if len(acked) >= 200 {
						signalledAck.Do(func() { close(ackedAtKill) })
					}
				} else {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-ackedAtKill:
	case <-time.After(30 * time.Second):
		t.Fatal("200 writes were not acknowledged within 30s")
	}
	r.Kill()
	time.Sleep(300 * time.Millisecond) // writes go on and fail
	close(stop)
	wg.Wait()
	r.Start()

	stored := rows(t, d, r.Port, "crash.")
	var lost []string
	for _, id := range acked {
		if stored[id] == 0 {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost to the crash, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
	if failed == 0 {
		t.Error("no write failed while Redis was down: the crash was not seen")
	}
	t.Logf("sent %d, acknowledged %d, failed %d, stored %d", len(sent), len(acked), failed, len(stored))
}

// TestConfigBreak runs app.yaml's break, broken and restore commands on
// the service's configuration: broken, the pod answers 500 to its pages
// and to both probes while the broken check says so; restored, it serves.
func TestConfigBreak(t *testing.T) {
	d := readDescription(t)
	r := startRedis(t)
	ts, path := service(t, r.Addr())
	env := []string{"GUESTBOOK_CONFIG=" + path, "GUESTBOOK_REDIS_ADDR=" + r.Addr()}
	run := func(what string, argv []string) error {
		out, err := command(context.Background(), argv, env...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %q: %v\n%s", what, argv, err, out)
		}
		return nil
	}
	paths := append(slices.Clone(d.Load.Paths), "/healthz", "/readyz")
	for _, p := range paths {
		if code, body := get(t, ts.URL+p); code != http.StatusOK {
			t.Fatalf("before the break %s: %d %s", p, code, body)
		}
	}
	if err := run("broken", d.ConfigBreak.Broken); err == nil {
		t.Fatal("the broken check says broken before the break")
	}
	if err := run("break", d.ConfigBreak.Break); err != nil {
		t.Fatal(err)
	}
	if err := run("broken", d.ConfigBreak.Broken); err != nil {
		t.Fatalf("after the break the broken check says whole: %v", err)
	}
	for _, p := range paths {
		code, body := get(t, ts.URL+p)
		want := http.StatusInternalServerError
		if strings.HasPrefix(p, "/static/") {
			want = http.StatusOK // served from the binary, no configuration needed
		}
		if code != want || (want != http.StatusOK && !strings.Contains(body, "redis_adr")) {
			t.Errorf("broken %s: %d %q, want %d naming the bad key", p, code, body, want)
		}
	}
	if err := run("restore", d.ConfigBreak.Restore); err != nil {
		t.Fatal(err)
	}
	if err := run("broken", d.ConfigBreak.Broken); err == nil {
		t.Error("the broken check says broken after the restore")
	}
	for _, p := range paths {
		if code, body := get(t, ts.URL+p); code != http.StatusOK {
			t.Errorf("restored %s: %d %s", p, code, body)
		}
	}
}

// TestRedisAway: without Redis the pod stays alive (liveness passes) but
// leaves the Service (readiness fails), and its pages and writes answer
// 503, never an acknowledgement.
func TestRedisAway(t *testing.T) {
	d := readDescription(t)
	ts, _ := service(t, fmt.Sprintf("127.0.0.1:%d", freePort(t))) // nothing listens
	want := map[string]int{"/healthz": 200, "/readyz": 503, "/static/style.css": 200, "/": 503, "/entries": 503}
	for p, code := range want {
		if got, body := get(t, ts.URL+p); got != code {
			t.Errorf("%s: %d %q, want %d", p, got, body, code)
		}
	}
	if acked, err := write(ts.Client(), ts.URL, d.Writes.Path, "away.1"); acked || err != nil {
		t.Errorf("a write without Redis: acked %v, %v", acked, err)
	}
}

func TestBadRequests(t *testing.T) {
	ts, _ := service(t, "127.0.0.1:1")
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/writes?id=a%20b", 400},
		{"POST", "/writes", 400},
		{"GET", "/writes?prefix=a*", 400},
		{"PUT", "/writes?id=x", 405},
		{"GET", "/nothing", 404},
	} {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

func TestSign(t *testing.T) {
	r := startRedis(t)
	ts, _ := service(t, r.Addr())
	client := *ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for i := range maxEntries + 5 {
		resp, err := client.PostForm(ts.URL+"/entries", map[string][]string{"text": {fmt.Sprintf("<b>entry %d</b>", i)}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign: %d", resp.StatusCode)
		}
	}
	_, page := get(t, ts.URL+"/")
	if !strings.Contains(page, "&lt;b&gt;entry 24&lt;/b&gt;") || strings.Contains(page, "&gt;entry 4&lt;") || strings.Contains(page, "<b>") {
		t.Errorf("the page does not show the newest %d entries, escaped:\n%s", maxEntries, page)
	}
	_, list := get(t, ts.URL+"/entries")
	var e struct{ Entries []string }
	if err := json.Unmarshal([]byte(list), &e); err != nil || len(e.Entries) != maxEntries {
		t.Errorf("/entries: %v, %d entries", err, len(e.Entries))
	}
}
