package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// refScan is what scanRequest must agree with, built on encoding/json:
// the head read with exact keys (a duplicated head key is an error) and
// every string value, sorted.
func refScan(body []byte) (reqHead, []string, error) {
	var h reqHead
	if !json.Valid(body) {
		return h, nil, errors.New("invalid")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, _ := dec.Token()
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return h, nil, errors.New("not an object")
	}
	seen := map[string]bool{}
	for dec.More() {
		k, _ := dec.Token()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return h, nil, err
		}
		key := k.(string)
		if !slices.Contains(headFields[:], key) {
			continue
		}
		if seen[key] {
			return h, nil, errors.New("duplicate")
		}
		seen[key] = true
		var err error
		switch key {
		case "model":
			err = json.Unmarshal(raw, &h.Model)
		case "stream":
			err = json.Unmarshal(raw, &h.Stream)
		case "max_tokens":
			err = json.Unmarshal(raw, &h.MaxTokens)
		case "max_completion_tokens":
			err = json.Unmarshal(raw, &h.MaxCompletionTokens)
		case "max_output_tokens":
			err = json.Unmarshal(raw, &h.MaxOutputTokens)
		}
		if err != nil {
			return h, nil, err
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return h, nil, err
	}
	var strs []string
	walkStrings(v, func(s string) string { strs = append(strs, s); return s })
	slices.Sort(strs)
	return h, strs, nil
}

// subMultiset reports whether sorted a is contained in sorted b.
func subMultiset(a, b []string) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
		j++
	}
	return true
}

func scanAll(body []byte) (reqHead, []string, error) {
	var strs []string
	h, err := scanRequest(body, func(b []byte, start, end int) {
		// The offsets delimit the literal that decodes to b.
		var lit string
		if json.Unmarshal(body[start:end], &lit) != nil || (lit != string(b) && utf8.Valid(b)) {
			panic(fmt.Sprintf("literal %q at [%d,%d) does not decode to %q", body[start:end], start, end, b))
		}
		strs = append(strs, string(b))
	})
	slices.Sort(strs)
	return h, strs, err
}

func TestScanRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want reqHead
		strs []string
		err  string
	}{
		{name: "anthropic request", body: `{"model":"claude-haiku-4-5","max_tokens":1024,"stream":true,"system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":"hi\nthere \"you\" \u00e9\ud83d\ude00"}]}`,
			want: reqHead{Model: "claude-haiku-4-5", Stream: true, MaxTokens: 1024},
			strs: []string{"be brief", "claude-haiku-4-5", "hi\nthere \"you\" é😀", "text", "user"}},
		{name: "openai caps and nulls", body: ` { "model" : "gpt-5", "max_completion_tokens": 7, "max_output_tokens": null, "stream": false, "n": -1.5e+3, "x": [true, false, null, [], {}] } `,
			want: reqHead{Model: "gpt-5", MaxCompletionTokens: 7}, strs: []string{"gpt-5"}},
		{name: "keys are not strings to scan", body: `{"model":"m","AKIAZ3MHQ2XN7P4VWK5T":1}`, want: reqHead{Model: "m"}, strs: []string{"m"}},
		{name: "other case is another key", body: `{"model":"allowed","Model":"other"}`, want: reqHead{Model: "allowed"}, strs: []string{"allowed", "other"}},
		{name: "lone surrogate", body: `{"model":"m","s":"\ud800x"}`, want: reqHead{Model: "m"}, strs: []string{"m", "\uFFFDx"}},
		{name: "duplicate model", body: `{"model":"claude-haiku-4-5","model":"claude-opus-4"}`, err: `gives "model" twice`},
		{name: "model not a string", body: `{"model":5}`, err: "must be a string"},
		{name: "stream not a bool", body: `{"model":"m","stream":"yes"}`, err: "true or false"},
		{name: "fractional cap", body: `{"model":"m","max_tokens":1.5}`, err: "integer"},
		{name: "not an object", body: `["model"]`, err: "not a JSON object"},
		{name: "trailing data", body: `{"model":"m"} {}`, err: "data after"},
		{name: "trailing comma", body: `{"model":"m",}`, err: "want a string"},
		{name: "unterminated", body: `{"model":"m","messages":[{"content":"abc`, err: "unterminated"},
		{name: "control character", body: "{\"model\":\"m\",\"s\":\"a\tb\"}", err: "control character"},
		{name: "bad escape", body: `{"model":"m","s":"\q"}`, err: "bad escape"},
		{name: "bad number", body: `{"model":"m","n":01}`, err: "want ',' or '}'"},
		{name: "bad literal", body: `{"model":"m","n":tru}`, err: "want true"},
		{name: "unbalanced", body: `{"model":"m","a":[1,2}`, err: "want ',' or the end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, strs, err := scanAll([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, h); diff != "" {
				t.Errorf("head (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.strs, strs); diff != "" {
				t.Errorf("strings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanRequestDepth(t *testing.T) {
	// The top-level object counts: n arrays inside it nest n+1 deep.
	for _, n := range []int{maxDepth - 1, maxDepth} {
		body := []byte(`{"model":"m","a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
		_, _, err := scanAll(body)
		if want := json.Valid(body); want != (err == nil) {
			t.Errorf("nesting %d: encoding/json accepts it: %v; scanRequest error %v", n+1, want, err)
		}
	}
}

// FuzzScanRequest: scanRequest accepts exactly the bodies encoding/json
// accepts (top-level objects), reads the same head and the same strings.
func FuzzScanRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"claude-haiku-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt-5","max_completion_tokens":7,"stream":false,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}`,
		`{"model":"m","input":"a\"b\\c\/d\b\f\n\r\t\u0041\ud83d\ude00\udc00"}`,
		`{"model":null,"stream":null,"max_output_tokens":-0,"x":[1,-2.5e-3,0.0,1E9]}`,
		`{"model":"a","model":"b"}`,
		`{"a":{"b":[{"c":[[]]}]},"model":"m"}  `,
		`{"model":"m",}`, `{`, `"x"`, `{"model":"m"`, `{"s":"` + "\x80\xff" + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) {
			// encoding/json replaces invalid UTF-8 in strings by U+FFFD;
			// the scanner passes the bytes on: only validity must agree.
			_, _, got := scanAll(body)
			if got == nil && !json.Valid(body) {
				t.Fatalf("scanRequest accepted invalid JSON %q", body)
			}
			return
		}
		wh, ws, werr := refScan(body)
		gh, gs, gerr := scanAll(body)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("body %q: encoding/json error %v, scanRequest error %v", body, werr, gerr)
		}
		if werr != nil {
			return
		}
		if wh != gh {
			t.Fatalf("body %q: head %+v, scanRequest read %+v", body, wh, gh)
		}
		// Every string encoding/json keeps is scanned; a key repeated in a
		// nested object keeps one value there, the scanner sees both.
		if !subMultiset(ws, gs) {
			t.Fatalf("body %q: strings %q, scanRequest gave %q", body, ws, gs)
		}
	})
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

// FuzzAppendJSONString: the literal the redactor writes is the one
// encoding/json writes (HTML left alone), so it decodes to the same text.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" back \\ slash", "nl\n cr\r tab\t nul\x00 esc\x1b del\x7f",
		"<&> \u2028\u2029 é 😀", "bad \xff\xfe utf8 \xed\xa0\x80", "[[warden:0123456789ab]]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(string(s)); err != nil {
			t.Fatal(err)
		}
		got := appendJSONString([]byte("x"), s)
		if string(got[1:]) != strings.TrimSuffix(want.String(), "\n") {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json writes %s", s, got[1:], want.String())
		}
	})
}

// answerUsage must read what json.Unmarshal into a struct with a usage
// field reads, and fail where it fails.
func usageByEncodingJSON(data []byte) (usage, bool) {
	var v struct {
		Usage usage `json:"usage"`
	}
	if json.Unmarshal(data, &v) != nil {
		return usage{}, false
	}
	return v.Usage, true
}

var usageSeeds = []string{
	`{"id":"msg","type":"message","content":[{"type":"text","text":"hi \"usage\": {}"}],"usage":{"input_tokens":1200,"output_tokens":40}}`,
	`{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`,
	`{"usage":{"input_tokens":1},"usage":{"output_tokens":2}}`,
	`{"usage":{"input_tokens":1},"usage":null}`,
	`{"Usage":{"input_tokens":5},"USAGE":{"output_tokens":6}}`,
	`{"u\u0073age":{"input_tokens":9}}`,
	"{\"u\u017fage\":{\"input_tokens\":9}}",
	`{"usage":{"input_tokens":"x"}}`,
	`{"usage":{"input_tokens":1.5}}`,
	`{"usage":"none"}`,
	`{"usage":{"input_tokens":3}} trailing`,
	`null`, ` null `, `[]`, `"s"`, `{}`, `{"a":1,}`, `{"usage":{"input_tokens":3}`, ``, `{"nested":{"usage":{"input_tokens":4}}}`,
	`{"usage":{"input_tokens":99999999999999999999}}`,
	`{"usage":{"input_tokens":-2,"output_tokens":0}}`,
}

func TestAnswerUsageMatchesEncodingJSON(t *testing.T) {
	for _, s := range usageSeeds {
		gotU, gotOK := answerUsage([]byte(s))
		wantU, wantOK := usageByEncodingJSON([]byte(s))
		if gotOK != wantOK || (gotOK && gotU != wantU) {
			t.Errorf("answerUsage(%q) = %+v, %v; encoding/json: %+v, %v", s, gotU, gotOK, wantU, wantOK)
		}
	}
}

func FuzzAnswerUsage(f *testing.F) {
	for _, s := range usageSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		gotU, gotOK := answerUsage(data)
		wantU, wantOK := usageByEncodingJSON(data)
		if gotOK != wantOK || (gotOK && gotU != wantU) {
			t.Errorf("answerUsage(%q) = %+v, %v; encoding/json: %+v, %v", data, gotU, gotOK, wantU, wantOK)
		}
	})
}
