package flaky

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
)

// hostname is a host name's syntax (RFC 1123 labels joined by dots).
var hostname = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$`)

// CheckAddr checks a listen address such as "127.0.0.1:8099", ":0" or
// "[::1]:8099" without listening or resolving anything, so a command can
// refuse a bad --listen while it reads its flags.
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: want HOST:PORT, e.g. 127.0.0.1:8099 (%v)", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("listen address %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host != "" && net.ParseIP(host) == nil && !hostname.MatchString(host) {
		return fmt.Errorf("listen address %q: %q is neither an IP address nor a host name", addr, host)
	}
	return nil
}
