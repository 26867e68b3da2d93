package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keys.
const (
	// EntriesKey is the list of guestbook entries, newest first.
	EntriesKey = "guestbook:entries"
	// WritesKey is the hash of writes: id -> how many times it was
	// stored. A write applied twice shows as 2, which selfheal counts as
	// a duplicate (images/redis/guestbook-count reads it).
	WritesKey = "guestbook:writes"
)

// maxEntries is how many entries the list keeps and the page shows.
const maxEntries = 20

// validID is what a write id may hold: selfheal's ids (letters, digits,
// '.', '_', '-').
var validID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,191}$`)

//go:embed static/style.css
var styleCSS []byte

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title><link rel="stylesheet" href="/static/style.css"></head>
<body><h1>{{.Title}}</h1>
<form method="post" action="/entries"><input name="text" maxlength="200"> <button>Sign</button></form>
<ul>{{range .Entries}}<li>{{.}}</li>{{else}}<li class="none">No entries yet.</li>{{end}}</ul>
<footer>served by {{.Host}}, version {{.Version}}</footer>
</body></html>
`))

// Server is the guestbook's HTTP side. Every request reads the
// configuration file again (Config).
type Server struct {
	ConfigPath string
	Host       string // the pod's name, in answers
	Version    string
	// RedisTimeout bounds each call to Redis (default 2 s), so that a
	// Redis that stopped answering fails requests rather than holding them.
	RedisTimeout time.Duration
	Log          *slog.Logger

	mu     sync.Mutex
	addr   string
	client *redis.Client
}

// Handler routes the service's endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /entries", s.entries)
	mux.HandleFunc("POST /entries", s.sign)
	mux.HandleFunc("POST /writes", s.write)
	mux.HandleFunc("GET /writes", s.count)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Write(styleCSS)
	})
	return mux
}

// Close closes the Redis client.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return nil
	}
	return s.client.Close()
}

// redis reads the configuration and returns a client for the Redis it
// names, a new one when the address changed. A configuration that does
// not parse is the caller's 500: the pod is broken, not Redis.
func (s *Server) redis() (*redis.Client, Config, error) {
	c, err := ReadConfig(s.ConfigPath)
	if err != nil {
		return nil, c, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil || s.addr != c.RedisAddr {
		if s.client != nil {
			s.client.Close()
		}
		s.addr = c.RedisAddr
		s.client = redis.NewClient(&redis.Options{
			Addr:        c.RedisAddr,
			DialTimeout: time.Second,
			// No retries: a write retried after a lost answer could be
			// stored twice, and a failure must show as one.
			MaxRetries: -1,
			// One dial per attempt: the request's own timeout bounds it,
			// and the next request dials again.
			DialerRetries: 1,
			PoolSize:      20,
		})
	}
	return s.client, c, nil
}

func (s *Server) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.RedisTimeout
	if d <= 0 {
		d = 2 * time.Second
	}
	return context.WithTimeout(ctx, d)
}

// fail logs err and answers it with code: 500 for a broken
// configuration, 503 when Redis failed.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, err error) {
	s.Log.Warn("request failed", "path", r.URL.Path, "code", code, "err", err)
	http.Error(w, err.Error(), code)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	list, cfg, ok := s.readEntries(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page.Execute(w, struct {
		Title, Host, Version string
		Entries              []string
	}{cfg.Title, s.Host, s.Version, list})
}

func (s *Server) entries(w http.ResponseWriter, r *http.Request) {
	if list, _, ok := s.readEntries(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]any{"entries": list})
	}
}

// readEntries reads the newest entries from Redis, or answers the failure
// (500 for a broken configuration, 503 when Redis failed) and says so.
func (s *Server) readEntries(w http.ResponseWriter, r *http.Request) ([]string, Config, bool) {
	c, cfg, err := s.redis()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return nil, cfg, false
	}
	ctx, cancel := s.timeout(r.Context())
	defer cancel()
	list, err := c.LRange(ctx, EntriesKey, 0, maxEntries-1).Result()
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("reading the entries: %w", err))
		return nil, cfg, false
	}
	return list, cfg, true
}

func (s *Server) sign(w http.ResponseWriter, r *http.Request) {
	text := strings.TrimSpace(r.FormValue("text"))
	if text == "" || len(text) > 200 {
		http.Error(w, "text: 1 to 200 characters", http.StatusBadRequest)
		return
	}
	c, _, err := s.redis()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	ctx, cancel := s.timeout(r.Context())
	defer cancel()
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, EntriesKey, text)
		p.LTrim(ctx, EntriesKey, 0, maxEntries-1)
		return nil
	}); err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("storing the entry: %w", err))
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// write is selfheal's write endpoint (docs/measurement.md, "Acknowledged
// writes"): POST /writes?id=ID stores the id and answers 201 with it only
// once Redis answered the HINCRBY. Redis runs with appendfsync always
// (images/redis/redis.conf): it answers a write only after the append-only
// file holding it was fsynced.
func (s *Server) write(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if !validID.MatchString(id) {
		http.Error(w, "id must match "+validID.String(), http.StatusBadRequest)
		return
	}
	c, _, err := s.redis()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	ctx, cancel := s.timeout(r.Context())
	defer cancel()
	if err := c.HIncrBy(ctx, WritesKey, id, 1).Err(); err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("storing write %s: %w", id, err))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id, "host": s.Host})
}

// count answers GET /writes?prefix=P with one line per stored id that
// begins with P: the id, a tab, how many times it was stored, sorted by
// id (the same lines as images/redis/guestbook-count, which reads Redis
// without the app).
func (s *Server) count(w http.ResponseWriter, r *http.Request) {
	prefix := r.URL.Query().Get("prefix")
	if prefix != "" && !validID.MatchString(prefix) {
		http.Error(w, "prefix must match "+validID.String(), http.StatusBadRequest)
		return
	}
	c, _, err := s.redis()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	ctx, cancel := s.timeout(r.Context())
	defer cancel()
	all, err := c.HGetAll(ctx, WritesKey).Result()
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("reading the writes: %w", err))
		return
	}
	var ids []string
	for id := range all {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, id := range ids {
		fmt.Fprintf(w, "%s\t%s\n", id, all[id])
	}
}

// healthz is the liveness probe: the process serves and its
// configuration is whole. It does not ask Redis: a Redis outage must not
// restart every guestbook pod, only take them out of the Service
// (readyz).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := ReadConfig(s.ConfigPath); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	fmt.Fprintf(w, "ok %s\n", s.Version)
}

// readyz is the readiness probe: the configuration is whole and Redis
// answers a PING.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.redis()
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	ctx, cancel := s.timeout(r.Context())
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("redis: %w", err))
		return
	}
	fmt.Fprintln(w, "ready")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
