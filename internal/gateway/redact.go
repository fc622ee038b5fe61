package gateway

import (
	"encoding/json"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/scan/secrets"
)

// redactBody replaces every secret in the string values of a JSON request
// body with its placeholder. texts holds the decoded text of the body's
// string values and where each literal is (from scanRequest); when the
// secrets engine finds nothing there the body is returned as it is, byte
// for byte (the common case pays one scan of the text and nothing else).
// Otherwise each string is redacted on its own and only the literals that
// change are rewritten: the rest of the body keeps its bytes, key order
// included.
func redactBody(eng *secrets.Engine, body []byte, texts *textBuf, ph *placeholders) ([]byte, []secrets.Match, error) {
	if len(eng.Find(texts.b)) == 0 {
		return body, nil, nil
	}
	var (
		out   []byte
		found []secrets.Match
		last  int
	)
	for _, sp := range texts.spans {
		text := texts.b[sp.text:sp.textEnd]
		ms := eng.Find(text)
		if len(ms) == 0 {
			continue
		}
		found = append(found, ms...)
		if out == nil {
			out = make([]byte, 0, len(body)+64)
		}
		out = append(out, body[last:sp.raw]...)
		out = appendRedacted(out, body[sp.raw:sp.rawEnd], text, ms, ph)
		last = sp.rawEnd
	}
	if out == nil {
		return body, nil, nil
	}
	return append(out, body[last:]...), found, nil
}

// appendRedacted appends the JSON string literal lit (quotes included),
// whose decoded text is text, with the matches ms replaced by their
// placeholders: the bytes appendJSONString gives for text redacted as
// secrets.Engine.Redact redacts it (a match starting inside an earlier
// one is skipped). When the literal is written the way appendJSONString
// writes it (printable ASCII, escapes only \" \\ \n \r \t \b \f), its
// bytes are kept and only the secrets are cut out; otherwise the redacted
// text is encoded anew.
func appendRedacted(dst, lit, text []byte, ms []secrets.Match, ph *placeholders) []byte {
	type cut struct {
		start, end int
		ph         string
	}
	var cuts []cut
	pos := 0
	for _, m := range ms {
		if m.Start < pos {
			continue
		}
		cuts = append(cuts, cut{m.Start, m.End, ph.For(m.Value)})
		pos = m.End
	}
	if raw := lit[1 : len(lit)-1]; canonicalASCII(raw) {
		// Each decoded byte is one raw byte or one two-byte escape: walk
		// both to find where the cuts fall in the raw bytes.
		dst = append(dst, '"')
		i, d, from := 0, 0, 0
		for _, c := range cuts {
			for d < c.start {
				i, d = i+1+boolInt(raw[i] == '\\'), d+1
			}
			dst = append(append(dst, raw[from:i]...), c.ph...)
			for d < c.end {
				i, d = i+1+boolInt(raw[i] == '\\'), d+1
			}
			from = i
		}
		return append(append(dst, raw[from:]...), '"')
	}
	red := make([]byte, 0, len(text)+len(cuts)*placeholderLen)
	pos = 0
	for _, c := range cuts {
		red = append(append(red, text[pos:c.start]...), c.ph...)
		pos = c.end
	}
	return appendJSONString(dst, append(red, text[pos:]...))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// canonicalASCII reports whether raw, the inside of a JSON string literal,
// is what appendJSONString writes for its decoded text: printable ASCII
// (DEL included) and only the escapes \" \\ \n \r \t \b \f.
func canonicalASCII(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < 0x20 || c >= 0x80 {
			return false
		}
		if c == '\\' {
			i++
			if i >= len(raw) {
				return false
			}
			switch raw[i] {
			case '"', '\\', 'n', 'r', 't', 'b', 'f':
			default:
				return false
			}
		}
	}
	return true
}

// appendJSONString appends s as a JSON string literal, escaped as
// encoding/json does without HTML escaping (invalid UTF-8 becomes U+FFFD).
func appendJSONString(dst, s []byte) []byte { return appendJSONStringEsc(dst, s, false) }

// appendJSONStringEsc is appendJSONString, with html also escaping <, >
// and & as json.Marshal does.
func appendJSONStringEsc(dst, s []byte, html bool) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case html && (c == '<' || c == '>' || c == '&'):
				dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hexd[r&0xf])
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// textBuf collects the decoded string values of a request body, one per
// line, for the secret scan, and where each came from.
type textBuf struct {
	b     []byte
	spans []textSpan
}

// textSpan is one string: its text in textBuf.b and its literal in the body.
type textSpan struct{ text, textEnd, raw, rawEnd int }

func (t *textBuf) add(s []byte, start, end int) {
	t.spans = append(t.spans, textSpan{len(t.b), len(t.b) + len(s), start, end})
	t.b = append(append(t.b, s...), '\n')
}

var textPool = sync.Pool{New: func() any { return new(textBuf) }}

// getTexts returns an empty textBuf with room for the text of a body of
// size bytes (the decoded text is never longer than the body).
func getTexts(size int) *textBuf {
	t := textPool.Get().(*textBuf)
	if cap(t.b) < size {
		t.b = make([]byte, 0, size)
	}
	t.b, t.spans = t.b[:0], t.spans[:0]
	return t
}

func putTexts(t *textBuf) {
	if cap(t.b) <= 4<<20 { // do not keep a huge buffer alive
		textPool.Put(t)
	}
}

// jsonEscape returns s as it must appear inside a JSON string literal.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func verbatim(s string) string { return s }

// ruleIDs lists the distinct rule ids of matches, for audit and errors.
func ruleIDs(ms []secrets.Match) []string {
	seen := map[string]bool{}
	var ids []string
	for _, m := range ms {
		if !seen[m.RuleID] {
			seen[m.RuleID] = true
			ids = append(ids, m.RuleID)
		}
	}
	return ids
}

func joinIDs(ms []secrets.Match) string { return strings.Join(ruleIDs(ms), ", ") }
