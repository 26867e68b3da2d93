package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Config is the service's configuration file: "key = value" lines, "#"
// comments. The service reads it again on every request, as a PHP app
// reads its config file, so a bad file pushed into a running pod breaks
// that pod at once (selfheal's config-break scenario does exactly that,
// app.yaml) and a restarted container, which writes the file afresh from
// its environment, is whole again.
type Config struct {
	// RedisAddr is host:port of the Redis server (redis_addr).
	RedisAddr string
	// Title heads the page (title, optional).
	Title string
}

// ParseConfig reads a configuration file's content. Every line must be a
// comment, blank, or a known key with a value: a config that says
// something the service does not understand is refused, never half used.
func ParseConfig(data []byte) (Config, error) {
	c := Config{Title: "guestbook"}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok:
			return Config{}, fmt.Errorf("line %d %q: want key = value", n, line)
		case seen[key]:
			return Config{}, fmt.Errorf("line %d: %s given twice", n, key)
		}
		seen[key] = true
		switch key {
		case "redis_addr":
			if _, port, err := net.SplitHostPort(value); err != nil || port == "" {
				return Config{}, fmt.Errorf("line %d: redis_addr %q: want host:port", n, value)
			}
			c.RedisAddr = value
		case "title":
			c.Title = value
		default:
			return Config{}, fmt.Errorf("line %d: unknown key %q", n, key)
		}
	}
	if err := sc.Err(); err != nil {
		return Config{}, err
	}
	if c.RedisAddr == "" {
		return Config{}, fmt.Errorf("no redis_addr")
	}
	return c, nil
}

// Format writes c as a configuration file.
func (c Config) Format() []byte {
	return fmt.Appendf(nil, "# written by guestbook write-config at container start\nredis_addr = %s\ntitle = %s\n", c.RedisAddr, c.Title)
}

// ReadConfig reads and parses the file at path.
func ReadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading the configuration: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("configuration %s: %w", path, err)
	}
	return c, nil
}

// WriteConfig writes c to path whole or not at all (a temporary file
// renamed into place): a request never reads half a file.
func WriteConfig(path string, c Config) error {
	if _, err := ParseConfig(c.Format()); err != nil {
		return fmt.Errorf("writing the configuration: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".guestbook.conf.*")
	if err != nil {
		return fmt.Errorf("writing the configuration: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(c.Format()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the configuration: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the configuration: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing the configuration: %w", err)
	}
	return nil
}
