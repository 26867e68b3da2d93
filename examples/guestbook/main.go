// Command guestbook is a small guestbook web service with a Redis backend:
// selfheal's second example app (examples/guestbook/README.md), a different
// stack from the WordPress fixture, built offline the same way.
//
//	guestbook [serve]     write the configuration from the environment, then serve
//	guestbook check-config   exit 0 when the configuration file is whole, 1 when not
//	guestbook write-config   write the configuration from the environment
//
// Environment: GUESTBOOK_CONFIG (the file, default
// /etc/guestbook/guestbook.conf), GUESTBOOK_REDIS_ADDR (host:port; when set,
// serve and write-config write it into the file), GUESTBOOK_TITLE,
// GUESTBOOK_LISTEN (default :8080), GUESTBOOK_VERSION (the image's).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the command; it returns the exit status.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	path := getenv("GUESTBOOK_CONFIG")
	if path == "" {
		path = "/etc/guestbook/guestbook.conf"
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "guestbook: %s takes no arguments (configuration comes from the environment)\n", cmd)
		return 2
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(path, getenv, stderr)
	case "check-config":
		if _, err = ReadConfig(path); err == nil {
			fmt.Fprintf(stdout, "%s: whole\n", path)
		}
	case "write-config":
		err = writeFromEnv(path, getenv)
	default:
		fmt.Fprintf(stderr, "guestbook: unknown command %q: want serve, check-config or write-config\n", cmd)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "guestbook: %v\n", err)
		return 1
	}
	return 0
}

// writeFromEnv writes the configuration file from GUESTBOOK_REDIS_ADDR
// and GUESTBOOK_TITLE.
func writeFromEnv(path string, getenv func(string) string) error {
	c := Config{RedisAddr: getenv("GUESTBOOK_REDIS_ADDR"), Title: getenv("GUESTBOOK_TITLE")}
	if c.RedisAddr == "" {
		return fmt.Errorf("GUESTBOOK_REDIS_ADDR is not set: nothing to write into %s", path)
	}
	if c.Title == "" {
		c.Title = "guestbook"
	}
	return WriteConfig(path, c)
}

// serve writes the configuration afresh (a restarted container starts
// whole), then serves until SIGTERM, finishing the requests in flight.
func serve(path string, getenv func(string) string, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if getenv("GUESTBOOK_REDIS_ADDR") != "" {
		if err := writeFromEnv(path, getenv); err != nil {
			return err
		}
	}
	if _, err := ReadConfig(path); err != nil {
		return err
	}
	listen := getenv("GUESTBOOK_LISTEN")
	if listen == "" {
		listen = ":8080"
	}
	host, _ := os.Hostname()
	s := &Server{ConfigPath: path, Host: host, Version: getenv("GUESTBOOK_VERSION"), Log: log}
	defer s.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("serving", "listen", ln.Addr().String(), "config", path, "version", s.Version)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// The preStop sleep kept the pod serving while its endpoint was
	// removed; now finish what is in flight.
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
