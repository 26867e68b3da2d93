package load

import (
	"strings"

	"github.com/selfheal/selfheal/chaos/measure"
)

// classes maps fragments of Go's transport error texts to error classes,
// in order: the first match wins. vegeta hands errors over as strings
// (Result.Error), so the text is all there is to go on.
var classes = []struct {
	class     measure.Class
	fragments []string
}{
	// First: a failed lookup often ends with "connection refused" or
	// "i/o timeout" from the resolver, yet the cause is DNS.
	{measure.ClassDNS, []string{"no such host", "lookup ", "server misbehaving"}},
	{measure.ClassTimeout, []string{
		"Client.Timeout", "context deadline exceeded", "i/o timeout",
		"timeout awaiting response headers", "TLS handshake timeout",
	}},
	{measure.ClassRefused, []string{"connection refused"}},
	{measure.ClassReset, []string{"connection reset", "broken pipe", "forcibly closed"}},
	{measure.ClassEOF, []string{"EOF", "server closed idle connection", "transport connection broken"}},
}

// Classify returns the class of a transport error text as vegeta reports
// it in Result.Error; ClassOther for anything unrecognised (TLS, malformed
// responses, ...).
func Classify(errText string) measure.Class {
	for _, c := range classes {
		for _, f := range c.fragments {
			if strings.Contains(errText, f) {
				return c.class
			}
		}
	}
	return measure.ClassOther
}
