package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// readBody reads a request body of at most MaxBody+1 bytes (more means
// too large), in one allocation when the client said its length.
func readBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= MaxBody {
		b := make([]byte, 0, n+1)
		for {
			m, err := r.Body.Read(b[len(b):cap(b)])
			b = b[:len(b)+m]
			if err == io.EOF {
				return b, nil
			}
			if err != nil {
				return b, err
			}
			if len(b) == cap(b) {
				// Longer than announced: read the rest the slow way.
				rest, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1-int64(len(b))))
				return append(b, rest...), err
			}
		}
	}
	return io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
}

// reqHead is what the gateway reads from the top level of a request body.
type reqHead struct {
	Model  string
	Stream bool
	// The answer's token cap, by API.
	MaxTokens           int64
	MaxCompletionTokens int64
	MaxOutputTokens     int64
}

var headFields = [...]string{"model", "stream", "max_tokens", "max_completion_tokens", "max_output_tokens"}

// maxDepth is encoding/json's nesting limit, kept so that both accept the
// same bodies.
const maxDepth = 10000

// scanRequest checks that body is one well-formed JSON object, reads the
// fields of reqHead from its top level, and calls str with the decoded
// text of every string value (object keys excluded) at any depth, and the
// offsets of its literal (quotes included) in body. It is
// one pass over the body: the gateway's hot path reads every request this
// way instead of decoding it twice (once for the head, once more to find
// secrets in raw and JSON-unescaped form).
//
// Keys match exactly (encoding/json would also match "Model" or "MODEL"),
// and a head field given twice is an error: the gateway must read the same
// model as the upstream, whichever of two duplicates the upstream keeps.
// str's argument is valid only during the call.
func scanRequest(body []byte, str func(text []byte, start, end int)) (reqHead, error) {
	var h reqHead
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	s := scanner{b: body, str: str, depth: 1, buf: sc.buf[:0], stack: sc.stack[:0]}
	defer func() { sc.buf, sc.stack = s.buf[:0], s.stack[:0] }()
	var seen [5]bool
	err := s.object(func(key []byte) int {
		for i, f := range headFields {
			if string(key) == f {
				return i
			}
		}
		return -1
	}, func(field int, raw []byte) error {
		if seen[field] {
			return fmt.Errorf("the request gives %q twice", headFields[field])
		}
		seen[field] = true
		return h.set(field, raw)
	})
	if err != nil {
		return h, err
	}
	return h, nil
}

func (h *reqHead) set(field int, raw []byte) error {
	if string(raw) == "null" {
		return nil
	}
	switch field {
	case 0:
		if raw[0] != '"' {
			return errors.New(`"model" must be a string`)
		}
		var b []byte
		(&scanner{b: raw, str: func(s []byte, _, _ int) { b = append(b, s...) }}).value()
		h.Model = string(b)
	case 1:
		switch string(raw) {
		case "true":
			h.Stream = true
		case "false":
			h.Stream = false
		default:
			return errors.New(`"stream" must be true or false`)
		}
	default:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return errors.New("the token cap must be an integer")
		}
		*[]*int64{&h.MaxTokens, &h.MaxCompletionTokens, &h.MaxOutputTokens}[field-2] = n
	}
	return nil
}

type scanner struct {
	b   []byte
	i   int
	str func(text []byte, start, end int)
	buf []byte // decoded string with escapes
	// depth is the nesting around the values read (1 inside the
	// top-level object).
	depth int
	stack []byte // '{' or '[' of the containers value is inside
}

// scratch keeps a scanner's buffers from one request to the next.
type scratch struct{ buf, stack []byte }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (s *scanner) errf(format string, a ...any) error {
	return fmt.Errorf("the body is not valid JSON at byte %d: %s", s.i, fmt.Sprintf(format, a...))
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// key reads an object key and returns it decoded.
func (s *scanner) key() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errf("want a string as object key")
	}
	return s.string()
}

// value reads one JSON value, giving its string values to str.
// Containers are walked with an explicit stack (no recursion).
func (s *scanner) value() error {
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	for {
		// One value at s.i.
		switch c := s.peek(); {
		case c == '"':
			start := s.i
			v, err := s.string()
			if err != nil {
				return err
			}
			if s.str != nil {
				s.str(v, start, s.i)
			}
		case c == '{' || c == '[':
			if s.depth+len(stack) >= maxDepth {
				return s.errf("nested too deeply")
			}
			s.i++
			s.ws()
			if (c == '{' && s.peek() == '}') || (c == '[' && s.peek() == ']') {
				s.i++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				if err := s.keyColon(); err != nil {
					return err
				}
			}
			continue
		case c == 't':
			if err := s.lit("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := s.lit("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := s.lit("null"); err != nil {
				return err
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if err := s.number(); err != nil {
				return err
			}
		default:
			return s.errf("want a value")
		}
		// After a value: close containers or move to the next element.
		for {
			if len(stack) == 0 {
				return nil
			}
			s.ws()
			top := stack[len(stack)-1]
			c := s.peek()
			if c == ',' {
				s.i++
				s.ws()
				if top == '{' {
					if err := s.keyColon(); err != nil {
						return err
					}
				}
				break
			}
			if (top == '{' && c == '}') || (top == '[' && c == ']') {
				s.i++
				stack = stack[:len(stack)-1]
				continue
			}
			return s.errf("want ',' or the end of the container")
		}
	}
}

// object reads the JSON object that must be all of s.b. For each member,
// pick is given its key (valid only during the call) and names the member
// (-1: not wanted); got is given each wanted member's name and the raw
// bytes of its value.
func (s *scanner) object(pick func(key []byte) int, got func(name int, raw []byte) error) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return errors.New("the body is not a JSON object")
	}
	s.i++
	s.ws()
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			s.ws()
			key, err := s.key()
			if err != nil {
				return err
			}
			name := pick(key)
			s.ws()
			if s.peek() != ':' {
				return s.errf("want ':' after an object key")
			}
			s.i++
			s.ws()
			start := s.i
			if err := s.value(); err != nil {
				return err
			}
			if name >= 0 {
				if err := got(name, s.b[start:s.i]); err != nil {
					return err
				}
			}
			s.ws()
			c := s.peek()
			s.i++
			if c == '}' {
				break
			}
			if c != ',' {
				return s.errf("want ',' or '}' in an object")
			}
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return s.errf("data after the JSON object")
	}
	return nil
}

func (s *scanner) keyColon() error {
	if _, err := s.key(); err != nil {
		return err
	}
	s.ws()
	if s.peek() != ':' {
		return s.errf("want ':' after an object key")
	}
	s.i++
	s.ws()
	return nil
}

func (s *scanner) lit(w string) error {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return s.errf("want %s", w)
	}
	s.i += len(w)
	return nil
}

func (s *scanner) number() error {
	b, i := s.b, s.i
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		s.i = i
		return s.errf("bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			s.i = i
			return s.errf("bad number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			s.i = i
			return s.errf("bad number")
		}
	}
	s.i = i
	return nil
}

// string reads a string literal at s.i and returns its decoded bytes: a
// slice of the body when it has no escapes, else of s.buf.
func (s *scanner) string() ([]byte, error) {
	b := s.b
	i := s.i + 1
	start := i
	for i < len(b) && plain[b[i]] {
		i++
	}
	if i < len(b) && b[i] == '"' {
		s.i = i + 1
		return b[start:i], nil
	}
	out := append(s.buf[:0], b[start:i]...)
	for i < len(b) {
		j := i
		for j < len(b) && plain[b[j]] {
			j++
		}
		out = append(out, b[i:j]...)
		i = j
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			s.buf = out
			return out, nil
		case c < 0x20:
			s.i = i
			return nil, s.errf("control character in a string")
		}
		if i+1 >= len(b) {
			break
		}
		e := b[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b, i)
			if !ok {
				s.i = i
				return nil, s.errf(`bad \u escape`)
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A valid pair decodes to one rune; anything else is
				// U+FFFD, as encoding/json does.
				if r2, ok := hex4(b, i+2); ok && i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						i += 6
						out = utf8.AppendRune(out, d)
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			s.i = i - 1
			return nil, s.errf("bad escape")
		}
	}
	s.i = len(b)
	return nil, s.errf("unterminated string")
}

// plain marks the bytes a JSON string holds as they are: not the closing
// quote, a backslash or a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// answerUsage reads the token counts of a JSON answer as
// json.Unmarshal(data, &struct{Usage usage `json:"usage"`}{}) would (ok
// false where that fails), without decoding the rest of the answer into
// anything: the body is checked in one pass and only the value of each
// top-level key matching "usage" (case-insensitively, as encoding/json
// matches; duplicates applied in order) is decoded.
func answerUsage(data []byte) (u usage, ok bool) {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	s := scanner{b: data, depth: 1, buf: sc.buf[:0], stack: sc.stack[:0]}
	defer func() { sc.buf, sc.stack = s.buf[:0], s.stack[:0] }()
	s.ws()
	if s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		s.ws()
		return u, s.i == len(s.b)
	}
	var one [1][]byte // the usual answer has one "usage"
	raws := one[:0]
	err := s.object(func(key []byte) int {
		if bytes.EqualFold(key, []byte("usage")) {
			return 0
		}
		return -1
	}, func(_ int, raw []byte) error {
		raws = append(raws, raw)
		return nil
	})
	if err != nil {
		return u, false
	}
	ok = true
	for _, raw := range raws {
		// Into the same value, as encoding/json does with a repeated key.
		if json.Unmarshal(raw, &u) != nil {
			ok = false
		}
	}
	return u, ok
}
