package view

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration formats milliseconds for a reader: the unit changes with the
// size so that the number stays short and its precision honest (the
// measurement's resolution is one request interval, tens of ms).
func Duration(ms float64) string {
	neg := ms < 0
	ms = math.Abs(ms)
	var s string
	switch {
	case ms < 10:
		s = trimZero(strconv.FormatFloat(ms, 'f', 1, 64)) + " ms"
	case ms < 1000:
		s = strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case ms < 59950:
		s = strconv.FormatFloat(ms/1000, 'f', 1, 64) + " s"
	case ms < 3600000:
		total := int(math.Round(ms / 1000))
		s = fmt.Sprintf("%d min %02d s", total/60, total%60)
	default:
		total := int(math.Round(ms / 60000))
		s = fmt.Sprintf("%d h %02d min", total/60, total%60)
	}
	if neg {
		return "−" + s
	}
	return s
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Count formats an integer with thousands separators.
func Count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "−" + Count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Number formats a float without noise: 12, 12.5, 0.25.
func Number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return Count(int(v))
	}
	return trimZero(strconv.FormatFloat(v, 'f', 2, 64))
}

// Percent formats a ratio (0.423 -> "42.3%").
func Percent(r float64) string {
	return trimZero(strconv.FormatFloat(r*100, 'f', 1, 64)) + "%"
}

// clock formats an instant with tenths of a second, for prose and charts.
func clock(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04:05.0") }

// clockMS formats an instant with milliseconds, for tables.
func clockMS(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04:05.000") }

// date formats a run's day and time.
func date(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006 15:04:05") + " " + zoneName(t.In(loc))
}

// zoneName is the zone's name, or its offset for a fixed zone without one
// (RFC 3339 times decode that way).
func zoneName(t time.Time) string {
	name, off := t.Zone()
	if name != "" {
		return name
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off%3600/60)
}

// offset formats a time relative to a reference as "T+12.3 s".
func offset(t, ref time.Time) string {
	d := t.Sub(ref)
	if d < 0 {
		return "T" + Duration(ms(d))
	}
	return "T+" + Duration(ms(d))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(n) + " " + many
}

// slug makes an HTML id fragment from a name.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// causeText names an outage cause for a reader.
func causeText(c string) string {
	switch c {
	case "timeout":
		return "timeouts"
	case "refused":
		return "connections refused"
	case "reset":
		return "connections reset"
	case "eof":
		return "connections closed (EOF)"
	case "dns":
		return "DNS failures"
	case "other":
		return "other transport errors"
	case "":
		return "unknown"
	}
	if len(c) == 3 && c[0] >= '1' && c[0] <= '5' {
		return "HTTP " + c
	}
	return c
}
