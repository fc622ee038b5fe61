package deps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// jsonKeyLinesRef, the Decoder.Token implementation jsonKeyLines replaced,
// is the reference it is checked against. It decodes JSON into v and returns, for every object key up to
// maxDepth deep, the line it is on, keyed by the path of keys joined with
// "\x00" (array elements contribute their index).
func jsonKeyLinesRef(data []byte, v any, maxDepth int) (map[string]int, error) {
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("line %d: invalid JSON: %v", newLineIndex(data).line(se.Offset), err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("line %d: %s has the wrong type (%s, want %s)", newLineIndex(data).line(te.Offset), te.Field, te.Value, te.Type)
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	li := newLineIndex(data)
	lines := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj   bool
		key   string
		index int
	}
	var stack []frame
	expectKey := func() bool { return len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].key == "" }
	prefix := func() string {
		parts := make([]string, 0, len(stack))
		for _, f := range stack {
			if f.obj {
				parts = append(parts, f.key)
			} else {
				parts = append(parts, fmt.Sprint(f.index))
			}
		}
		return strings.Join(parts, "\x00")
	}
	// afterValue marks the current container's slot as used.
	afterValue := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.obj {
			top.key = ""
		} else {
			top.index++
		}
	}
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, frame{obj: t == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			if expectKey() {
				stack[len(stack)-1].key = t
				if len(stack) <= maxDepth {
					// off is before the separator preceding the key; the
					// key itself starts at the first quote after it.
					start := off + int64(bytes.IndexByte(data[off:], '"'))
					lines[prefix()] = li.line(start)
				}
				if stack[len(stack)-1].key == "" {
					stack[len(stack)-1].key = "\x01" // empty key
				}
				continue
			}
			afterValue()
		default:
			afterValue()
		}
	}
	return lines, nil
}

// TestJSONKeyLines: the one-pass scanner agrees with the Decoder.Token
// reference on every JSON fixture and on tricky shapes (escapes, empty
// keys, arrays of objects, values that look like keys).
func TestJSONKeyLines(t *testing.T) {
	inputs := []string{
		`{"a": {"b": 1, "c": [ {"d": "x"}, {"e": {"f": null}} ]}, "g": "h"}`,
		"{\n \"\": {\"x\": 1},\n \"k\\\"q\\u00e9\": {\"y\\n\": true}\n}",
		`[{"a":1},{"a":2,"b":[[{"c":3}]]}]`,
		`{"v": "looks: like, a key", "w": ["x", "y"], "z": {"": {"": 1}}}`,
		`{"dup": 1, "dup": {"inner": 2}}`,
		`"just a string"`,
		`{"a":1e10,"b":-0.5,"c":false}`,
	}
	files, _ := filepath.Glob("testdata/parse/*/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		for _, depth := range []int{1, 2, 64} {
			var v1, v2 any
			want, err1 := jsonKeyLinesRef([]byte(in), &v1, depth)
			got, err2 := jsonKeyLines([]byte(in), &v2, depth)
			if (err1 != nil) != (err2 != nil) {
				t.Fatalf("errors differ on %.60q: %v / %v", in, err1, err2)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("depth %d, %.60q (-want +got):\n%s", depth, in, diff)
			}
		}
	}
}

// FuzzJSONKeyLines checks the scanner against the reference on any input.
func FuzzJSONKeyLines(f *testing.F) {
	f.Add([]byte(`{"a": {"b": [1, {"c": "d"}]}}`), 3)
	f.Add([]byte("{\"\\u0041\": {\"\": [ {\"x\":\n1} ]}}"), 64)
	f.Fuzz(func(t *testing.T, data []byte, depth int) {
		depth = depth%70 + 1
		var v1, v2 any
		want, err1 := jsonKeyLinesRef(data, &v1, depth)
		got, err2 := jsonKeyLines(data, &v2, depth)
		if (err1 != nil) != (err2 != nil) {
			t.Fatalf("errors differ: %v / %v", err1, err2)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
