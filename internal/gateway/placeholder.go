package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/wardenhq/warden/internal/redact"
)

// A placeholder stands in for one secret on its way to the model:
// "[[warden:0123456789ab]]", always placeholderLen bytes, ASCII, and the
// same for the same secret under the same gateway key, so that a
// conversation resent turn after turn keeps stable text (prompt caching
// still works) while the upstream never sees the value.
const (
	placeholderOpen   = "[[warden:"
	placeholderClose  = "]]"
	placeholderDigits = 12
	placeholderLen    = len(placeholderOpen) + placeholderDigits + len(placeholderClose)
)

// placeholders maps the placeholders used in one request back to their
// secrets.
type placeholders struct {
	key    []byte
	values map[string]redact.Secret
}

func newPlaceholders(key []byte) *placeholders {
	return &placeholders{key: key, values: map[string]redact.Secret{}}
}

// For returns the placeholder of a secret and remembers it.
func (p *placeholders) For(s redact.Secret) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(s.Reveal()))
	ph := placeholderOpen + hex.EncodeToString(m.Sum(nil))[:placeholderDigits] + placeholderClose
	p.values[ph] = s
	return ph
}

func (p *placeholders) Len() int { return len(p.values) }

// restore replaces every known placeholder in s with its secret; escape
// turns the secret into the text it must be where it lands (JSON-escaped
// inside a JSON fragment, verbatim in plain text).
func (p *placeholders) restore(s string, escape func(string) string) string {
	if len(p.values) == 0 || !strings.Contains(s, placeholderOpen) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, placeholderOpen)
		if i < 0 || len(s)-i < placeholderLen {
			b.WriteString(s)
			return b.String()
		}
		cand := s[i : i+placeholderLen]
		if v, ok := p.values[cand]; ok {
			b.WriteString(s[:i])
			b.WriteString(escape(v.Reveal()))
			s = s[i+placeholderLen:]
			continue
		}
		b.WriteString(s[:i+1])
		s = s[i+1:]
	}
}

// streamRestorer restores placeholders in text that arrives in pieces
// (SSE deltas): a placeholder may be split across pieces, so the end of a
// piece that could be the start of a placeholder is held back until the
// next piece, and never more than that.
type streamRestorer struct {
	p       *placeholders
	escape  func(string) string
	pending string
}

// Write takes the next piece and returns the text that can be emitted now.
func (r *streamRestorer) Write(piece string) string {
	s := r.pending + piece
	cut := holdFrom(s)
	r.pending = s[cut:]
	return r.p.restore(s[:cut], r.escape)
}

// Flush returns whatever is held back (at the end of a block).
func (r *streamRestorer) Flush() string {
	s := r.pending
	r.pending = ""
	return r.p.restore(s, r.escape)
}

// holdFrom returns the index from which s must be held back: the start of
// a trailing fragment that is a proper prefix of some placeholder
// ("[[war", "[[warden:01ab"), or len(s) when none.
func holdFrom(s string) int {
	start := len(s) - (placeholderLen - 1)
	if start < 0 {
		start = 0
	}
	for i := start; i < len(s); i++ {
		if s[i] == '[' && couldBePlaceholderPrefix(s[i:]) {
			return i
		}
	}
	return len(s)
}

func couldBePlaceholderPrefix(t string) bool {
	if len(t) >= placeholderLen {
		return false
	}
	n := min(len(t), len(placeholderOpen))
	if t[:n] != placeholderOpen[:n] {
		return false
	}
	rest := t[n:]
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case i < placeholderDigits:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		default:
			if c != ']' {
				return false
			}
		}
	}
	return true
}
