package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// object is a JSON object that keeps its keys in the order of the file, so
// that merging warden's hooks into a user's settings leaves the rest of the
// file as the user wrote it (key order, numbers verbatim).
type object struct {
	keys []string
	vals map[string]any // *object, *array, json.Number, string, bool, nil
	// raw is the object's text in the file it was read from; it is written
	// back verbatim unless the object was changed (raw is then nil).
	raw []byte
}

// array is a JSON list, with its original text like object.
type array struct {
	items []any
	raw   []byte
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

func (o *object) set(k string, v any) {
	o.raw = nil
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// FileError is a configuration file warden refuses to touch: it names the
// file and, for a syntax error, the line and column.
type FileError struct {
	File   string
	Line   int // 0 when not known
	Column int
	Msg    string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s; fix it (warden does not overwrite it)", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s; fix it (warden does not overwrite it)", e.File, e.Msg)
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// parseJSONObject parses a whole file that must hold one JSON object. An
// empty (or all-space) file is an empty object.
func parseJSONObject(name string, data []byte) (*object, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return newObject(), nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, data)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = fmt.Errorf("unexpected data after the top-level value")
			if err2 != nil {
				err = err2
			}
		}
	}
	if err != nil {
		var se *json.SyntaxError
		off := dec.InputOffset()
		msg := err.Error()
		if errors.As(err, &se) {
			off = se.Offset
			msg = se.Error()
		} else if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			off = int64(len(data))
			msg = "unexpected end of JSON input"
		}
		line, col := lineCol(data, off)
		return nil, &FileError{File: name, Line: line, Column: col, Msg: "invalid JSON: " + msg}
	}
	o, ok := v.(*object)
	if !ok {
		return nil, &FileError{File: name, Line: 1, Column: 1, Msg: "the file must hold a JSON object ({...})"}
	}
	return o, nil
}

func decodeValue(dec *json.Decoder, data []byte) (any, error) {
	// The value starts after the separators before its first token.
	start := int(dec.InputOffset())
	for start < len(data) && strings.IndexByte(" \t\r\n:,", data[start]) >= 0 {
		start++
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				v, err := decodeValue(dec, data)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			o.raw = data[start:dec.InputOffset()]
			return o, nil
		case '[':
			a := &array{items: []any{}}
			for dec.More() {
				v, err := decodeValue(dec, data)
				if err != nil {
					return nil, err
				}
				a.items = append(a.items, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			a.raw = data[start:dec.InputOffset()]
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

// detectIndent returns the indentation unit of a JSON file: the leading
// white space of its first indented line, or two spaces.
func detectIndent(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed != "" && len(trimmed) < len(line) {
			return line[:len(line)-len(trimmed)]
		}
	}
	return "  "
}

// encodeJSON writes v indented with indent, one key or element per line,
// and a final newline. Strings are not HTML-escaped.
func encodeJSON(v any, indent string) []byte {
	var b bytes.Buffer
	writeValue(&b, v, indent, 0)
	b.WriteByte('\n')
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v any, indent string, depth int) {
	pad := func(d int) {
		b.WriteByte('\n')
		for range d {
			b.WriteString(indent)
		}
	}
	switch t := v.(type) {
	case *object:
		if t.raw != nil {
			b.Write(t.raw)
			return
		}
		if len(t.keys) == 0 {
			b.WriteString("{}")
			return
		}
		if line, ok := inline(t); ok {
			b.WriteString(line)
			return
		}
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			pad(depth + 1)
			writeString(b, k)
			b.WriteString(": ")
			writeValue(b, t.vals[k], indent, depth+1)
		}
		pad(depth)
		b.WriteByte('}')
	case *array:
		if t.raw != nil {
			b.Write(t.raw)
			return
		}
		if len(t.items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range t.items {
			if i > 0 {
				b.WriteByte(',')
			}
			pad(depth + 1)
			writeValue(b, e, indent, depth+1)
		}
		pad(depth)
		b.WriteByte(']')
	case string:
		writeString(b, t)
	case json.Number:
		b.WriteString(t.String())
	case int:
		fmt.Fprintf(b, "%d", t)
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("install: cannot encode %T", v)) // a bug: only decoded or built values reach here
	}
}

// inline writes an object of scalars on one line when it is short, as
// people write hook handlers: {"type": "command", "command": "..."}.
func inline(o *object) (string, bool) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		switch o.vals[k].(type) {
		case *object, *array:
			return "", false
		}
		if i > 0 {
			b.WriteString(", ")
		}
		writeString(&b, k)
		b.WriteString(": ")
		writeValue(&b, o.vals[k], "", 0)
	}
	b.WriteByte('}')
	if b.Len() > 100 {
		return "", false
	}
	return b.String(), true
}

func writeString(b *bytes.Buffer, s string) {
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Write(bytes.TrimSuffix(sb.Bytes(), []byte("\n")))
}
