package view

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		ms   float64
		want string
	}{
		{0, "0 ms"},
		{0.25, "0.2 ms"},
		{3, "3 ms"},
		{850.4, "850 ms"},
		{999.6, "1000 ms"},
		{1000, "1.0 s"},
		{35350, "35.4 s"},
		{59949, "59.9 s"},
		{59950, "1 min 00 s"},
		{63700, "1 min 04 s"},
		{3539900, "59 min 00 s"},
		{3600000, "1 h 00 min"},
		{5430000, "1 h 31 min"},
		{-1500, "−1.5 s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.ms); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.ms, got, tt.want)
		}
	}
}

func TestCount(t *testing.T) {
	tests := map[int]string{0: "0", 999: "999", 1000: "1,000", 67992: "67,992", 1234567: "1,234,567", -4500: "−4,500"}
	for n, want := range tests {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestZoneName(t *testing.T) {
	tests := []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "UTC"},
		{time.FixedZone("", 2*3600), "UTC+02:00"},
		{time.FixedZone("", -(5*3600 + 1800)), "UTC-05:30"},
		{time.FixedZone("CEST", 2*3600), "CEST"},
	}
	for _, tt := range tests {
		if got := zoneName(time.Date(2025, 6, 1, 0, 0, 0, 0, tt.loc)); got != tt.want {
			t.Errorf("zoneName(%v) = %q, want %q", tt.loc, got, tt.want)
		}
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{"wp-config-break": "wp-config-break", "run of 2025-06-02 02:00": "run-of-2025-06-02-02-00", "  Ümlaut X ": "mlaut-x"}
	for in, want := range tests {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
