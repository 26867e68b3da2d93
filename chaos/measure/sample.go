package measure

import (
	"math"
	"strconv"
	"time"
)

// Class is the class of a transport error (a request that got no HTTP
// status). ClassNone means the request got a status.
type Class uint8

// The error classes of docs/measurement.md. The numbering is internal; the
// result names classes by their String.
const (
	ClassNone Class = iota
	ClassTimeout
	ClassRefused
	ClassReset
	ClassEOF
	ClassDNS
	ClassOther
	numClasses
)

var classNames = [numClasses]string{"", "timeout", "refused", "reset", "eof", "dns", "other"}

// String returns the class as written in results ("timeout", ...); ""
// for ClassNone.
func (c Class) String() string {
	if c >= numClasses {
		return "other"
	}
	return classNames[c]
}

// Sample is the compact record of one request: 16 bytes, so an hour at
// 100 requests per second costs under 6 MB.
type Sample struct {
	// Sent is the send time as an offset from the Recorder's epoch.
	Sent time.Duration
	// LatencyUS is the latency in microseconds, saturating at ~71 minutes.
	LatencyUS uint32
	// Code is the HTTP status; 0 for a transport error.
	Code uint16
	// Class is the transport error's class; ClassNone when Code != 0.
	Class Class
	// Target is the index of the request's URL in the load's targets.
	Target uint8
}

// Latency returns the sample's latency.
func (s Sample) Latency() time.Duration { return time.Duration(s.LatencyUS) * time.Microsecond }

// micros converts a latency to Sample.LatencyUS, saturating instead of
// wrapping so an absurd latency still reads as "very long".
func micros(d time.Duration) uint32 {
	us := d.Microseconds()
	switch {
	case us < 0:
		return 0
	case us > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(us)
}

// failed says whether s is a failed request under docs/measurement.md.
func failed(s Sample, failOn4xx bool) bool {
	switch {
	case s.Code == 0 || s.Class != ClassNone:
		return true
	case s.Code < 200 || s.Code >= 500:
		return true
	case s.Code >= 400:
		return failOn4xx
	}
	return false
}

// causeKey identifies a failure's cause compactly: the status code, or
// classBase plus the error class for transport errors.
type causeKey uint16

const classBase causeKey = 1000

func causeOf(s Sample) causeKey {
	if s.Code == 0 || s.Class != ClassNone {
		c := s.Class
		if c == ClassNone {
			c = ClassOther // a request with neither a status nor an error class
		}
		return classBase + causeKey(c)
	}
	if s.Code >= uint16(classBase) {
		return 999 // not a real HTTP status; keep it inside the code range
	}
	return causeKey(s.Code)
}

func (k causeKey) String() string {
	if k >= classBase {
		return Class(k - classBase).String()
	}
	return strconv.Itoa(int(k))
}
