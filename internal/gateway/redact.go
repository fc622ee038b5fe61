package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/wardenhq/warden/internal/scan/secrets"
)

// redactBody replaces every secret in the string values of a JSON request
// body with its placeholder. texts holds the decoded text of the body's
// string values (from scanRequest); when the secrets engine finds nothing
// there the body is returned as it is, byte for byte (the common case pays
// one scan of the text and nothing else).
func redactBody(eng *secrets.Engine, body, texts []byte, ph *placeholders) ([]byte, []secrets.Match, error) {
	if len(eng.Find(texts)) == 0 {
		return body, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("request body is not JSON: %w", err)
	}
	var found []secrets.Match
	v = walkStrings(v, func(s string) string {
		out, ms := eng.Redact([]byte(s), func(m secrets.Match) string { return ph.For(m.Value) })
		found = append(found, ms...)
		return string(out)
	})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), found, nil
}

// textBuf collects the decoded string values of a request body, one per
// line, for the secret scan.
type textBuf struct{ b []byte }

func (t *textBuf) add(s []byte) {
	t.b = append(append(t.b, s...), '\n')
}

var textPool = sync.Pool{New: func() any { return &textBuf{b: make([]byte, 0, 64<<10)} }}

func getTexts() *textBuf { t := textPool.Get().(*textBuf); t.b = t.b[:0]; return t }

func putTexts(t *textBuf) {
	if cap(t.b) <= 4<<20 { // do not keep a huge buffer alive
		textPool.Put(t)
	}
}

// walkStrings applies f to every string value (not keys) in a decoded
// JSON value.
func walkStrings(v any, f func(string) string) any {
	switch t := v.(type) {
	case string:
		return f(t)
	case []any:
		for i := range t {
			t[i] = walkStrings(t[i], f)
		}
	case map[string]any:
		for k, x := range t {
			t[k] = walkStrings(x, f)
		}
	}
	return v
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
