package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a real Redis started by a test, with the image's own
// configuration (images/redis/redis.conf: append-only file, fsync on
// every write), on 127.0.0.1 only.
type redisServer struct {
	t    *testing.T
	bin  string
	dir  string
	Port int
	cmd  *exec.Cmd
}

// startRedis starts Debian's redis-server when it is installed (make test
// installs it: hack/need.sh redis-server=redis-server), and skips the test
// when it is not.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (make test installs it: hack/need.sh redis-server=redis-server)")
	}
	s := &redisServer{t: t, bin: bin, dir: t.TempDir(), Port: freePort(t)}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// Start starts the server on its directory and port, and waits until it
// answers.
func (s *redisServer) Start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, filepath.Join("images", "redis", "redis.conf"),
		"--bind", "127.0.0.1", "--port", strconv.Itoa(s.Port), "--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log"))
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("redis-server did not answer within 10s:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL, as a crash would (nothing flushed
// on the way out).
func (s *redisServer) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Addr is host:port, as redis_addr says it.
func (s *redisServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// configFile writes a configuration naming addr and returns its path.
func configFile(t *testing.T, addr string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "guestbook.conf")
	if err := WriteConfig(path, Config{RedisAddr: addr, Title: "test"}); err != nil {
		t.Fatal(err)
	}
	return path
}

// binDir holds the guestbook binary and guestbook-count, first on PATH:
// the commands of app.yaml call them by name, as in the images.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "guestbook-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "guestbook"), ".").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the guestbook: %v\n%s", err, out)
			return 1
		}
		count, err := filepath.Abs(filepath.Join("images", "redis", "guestbook-count"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.Symlink(count, filepath.Join(dir, "guestbook-count")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		binDir = dir
		os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		return m.Run()
	}())
}

// command runs argv as app.yaml's commands run in a container: the
// image's binaries on PATH (TestMain), env added to the environment.
func command(ctx context.Context, argv []string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}
