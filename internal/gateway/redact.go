package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/scan/secrets"
)

// redactBody replaces every secret in the string values of a JSON request
// body with its placeholder. A body without secrets is returned as it is,
// byte for byte (the common case pays one scan and nothing else).
func redactBody(eng *secrets.Engine, body []byte, ph *placeholders) ([]byte, []secrets.Match, error) {
	if len(eng.Find(body)) == 0 {
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
