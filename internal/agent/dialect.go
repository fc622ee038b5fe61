package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Response is what a hook process answers: stdout, stderr and exit code.
type Response struct {
	Stdout []byte
	Stderr string
	Exit   int
}

// Adapter is one vendor's hook dialect.
type Adapter interface {
	// Name is the agent's name as used on the command line: claude, cursor...
	Name() string
	// Decode turns a hook payload into a Request; getenv reads the hook's
	// environment (project directory variables).
	Decode(payload []byte, getenv func(string) string) (*Request, error)
	// Encode answers a decided Request in the dialect.
	Encode(req *Request, d Decision) Response
	// Fail answers when no decision could be made (bad input, a broken
	// policy, an internal error): a deny in the form the client honours.
	// req is nil when the payload could not be decoded.
	Fail(req *Request, reason string) Response
}

// Payload is a decoded JSON object with typed accessors that record what
// was missing or mistyped, so that decoders read like a schema.
type Payload struct {
	m    map[string]json.RawMessage
	errs []string
}

// ParsePayload decodes one JSON object; anything else (an array, trailing
// data, invalid UTF-8 is tolerated by encoding/json) is an error.
func ParsePayload(b []byte) (*Payload, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("empty hook input: expected a JSON object on stdin")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("hook input is not a JSON object: %v", err)
	}
	if m == nil {
		return nil, errors.New("hook input is null: expected a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("hook input has data after the JSON object")
	}
	return &Payload{m: m}, nil
}

// Sub decodes a nested object (or a string holding one: Copilot sends
// toolArgs either way).
func (p *Payload) Sub(key string) *Payload {
	raw, ok := p.m[key]
	if !ok || string(raw) == "null" {
		p.errs = append(p.errs, fmt.Sprintf("missing field %q", key))
		return &Payload{m: map[string]json.RawMessage{}}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		p.errs = append(p.errs, fmt.Sprintf("field %q is not an object", key))
		return &Payload{m: map[string]json.RawMessage{}}
	}
	sub := &Payload{m: m}
	return sub
}

// Has reports whether key is present and not null.
func (p *Payload) Has(key string) bool {
	raw, ok := p.m[key]
	return ok && string(raw) != "null"
}

// Str reads an optional string.
func (p *Payload) Str(key string) string {
	raw, ok := p.m[key]
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("field %q is not a string", key))
	}
	return s
}

// Need reads a required string.
func (p *Payload) Need(key string) string {
	if !p.Has(key) {
		p.errs = append(p.errs, fmt.Sprintf("missing field %q", key))
		return ""
	}
	return p.Str(key)
}

// First reads the first present string among keys; one is required.
func (p *Payload) First(keys ...string) string {
	for _, k := range keys {
		if p.Has(k) {
			return p.Str(k)
		}
	}
	p.errs = append(p.errs, fmt.Sprintf("missing field %q", keys[0]))
	return ""
}

// Bool reads an optional boolean.
func (p *Payload) Bool(key string) bool {
	raw, ok := p.m[key]
	if !ok || string(raw) == "null" {
		return false
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("field %q is not a boolean", key))
	}
	return b
}

// Int reads an optional integer.
func (p *Payload) Int(key string) int {
	raw, ok := p.m[key]
	if !ok || string(raw) == "null" {
		return 0
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("field %q is not an integer", key))
	}
	return n
}

// Strs reads an optional list of strings.
func (p *Payload) Strs(key string) []string {
	raw, ok := p.m[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	var s []string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("field %q is not a list of strings", key))
	}
	return s
}

// List reads an optional list of objects.
func (p *Payload) List(key string) []*Payload {
	raw, ok := p.m[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	var l []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("field %q is not a list of objects", key))
		return nil
	}
	out := make([]*Payload, len(l))
	for i, m := range l {
		if m == nil {
			m = map[string]json.RawMessage{}
		}
		out[i] = &Payload{m: m}
	}
	return out
}

// Raw returns the raw JSON of key ("" when absent).
func (p *Payload) Raw(key string) string {
	return string(p.m[key])
}

// Text flattens every string inside key's value (a tool response of any
// shape) into one text, for injection checks.
func (p *Payload) Text(key string) string {
	raw, ok := p.m[key]
	if !ok {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return ""
	}
	var b strings.Builder
	flatten(v, &b, 0)
	return b.String()
}

func flatten(v any, b *strings.Builder, depth int) {
	if depth > 64 || b.Len() > 8<<20 {
		return
	}
	switch x := v.(type) {
	case string:
		b.WriteString(x)
		b.WriteByte('\n')
	case []any:
		for _, e := range x {
			flatten(e, b, depth+1)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flatten(x[k], b, depth+1)
		}
	}
}

// Keys lists the payload's keys, sorted.
func (p *Payload) Keys() []string {
	out := make([]string, 0, len(p.m))
	for k := range p.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Err reports every missing or mistyped field, or nil.
func (p *Payload) Err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid hook input: %s", strings.Join(p.errs, "; "))
}

// Collect merges the errors of sub-payloads into p.
func (p *Payload) Collect(subs ...*Payload) {
	for _, s := range subs {
		p.errs = append(p.errs, s.errs...)
	}
}

// JSON marshals v without HTML escaping and with a trailing newline.
func JSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only maps of strings are encoded: this cannot fail. Still, never
		// answer with nothing.
		return []byte("{}\n")
	}
	return b.Bytes()
}

var urlRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`https?://[^\s"'<>()]+`) })

// URLs finds the URLs in a text (Gemini's web_fetch takes them in a prompt).
func URLs(s string) []string { return urlRE().FindAllString(s, 20) }

// MCPName splits "mcp__server__tool"; ok is false for other names.
func MCPName(tool string) (server, name string, ok bool) {
	rest, found := strings.CutPrefix(tool, "mcp__")
	if !found {
		return "", "", false
	}
	server, name, ok = strings.Cut(rest, "__")
	return server, name, ok && server != "" && name != ""
}

// ShellJoin renders argv as a shell command (for clients that send argv).
func ShellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@%+,", r))
		}) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
