package credentials

import (
	"fmt"
	"log/slog"
)

// Redacted is the marker every printing path shows in place of a secret
// value.
const Redacted = "[REDACTED]"

// Secret is a string that never prints itself: fmt verbs, JSON encoding and
// slog all show [Redacted]. Call Reveal where the value must leave the
// process on purpose, such as writing credentials.json.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

func (s Secret) String() string { return Redacted }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `credentials.Secret("` + Redacted + `")` }

// Format covers every verb, including %x and %q, which would otherwise
// bypass String for a string kind.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalJSON encodes the redaction marker, never the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText covers encoders that prefer encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue keeps slog handlers from reaching the underlying string.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }
