// Package redact keeps secret values out of every output. A Secret never
// prints its value through fmt, JSON or slog; Mask renders the safe summary
// that findings and errors show instead (a short prefix, the length and a
// hash).
package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"unicode/utf8"
)

// Secret wraps a sensitive value. Use Reveal only where the raw value is
// needed for computation (matching, validation), never for output.
type Secret struct{ v string }

// New wraps v.
func New(v string) Secret { return Secret{v: v} }

// Reveal returns the raw value. Callers must not print it.
func (s Secret) Reveal() string { return s.v }

// Len is the length of the value in bytes.
func (s Secret) Len() int { return len(s.v) }

// Hash is a short, stable, non-reversible identifier for the value.
func (s Secret) Hash() string { return Hash(s.v) }

// String returns the masked form.
func (s Secret) String() string { return Mask(s.v) }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x) print the masked
// form.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Mask(s.v))) }

// GoString is used by %#v.
func (s Secret) GoString() string { return Mask(s.v) }

// MarshalJSON emits the masked form.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", Mask(s.v))), nil
}

// MarshalText emits the masked form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Mask(s.v)), nil }

// LogValue makes slog print the masked form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Mask(s.v)) }

// Hash is the first 12 hex digits of the SHA-256 of v.
func Hash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:6])
}

// Prefix returns at most n leading characters of v, fewer for short values
// so that at most a quarter of the value is ever shown.
func Prefix(v string, n int) string {
	limit := utf8.RuneCountInString(v) / 4
	if n > limit {
		n = limit
	}
	i := 0
	for pos := range v {
		if i == n {
			return v[:pos]
		}
		i++
	}
	return v
}

// Mask renders a secret as prefix, length and hash, e.g.
// "ghp_****(40 chars, sha256:1a2b3c4d5e6f)".
func Mask(v string) string {
	return fmt.Sprintf("%s****(%d chars, sha256:%s)", Prefix(v, 4), len(v), Hash(v))
}
