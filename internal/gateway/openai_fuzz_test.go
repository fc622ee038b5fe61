package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/wardenhq/warden/internal/redact"
)

// FuzzOpenAIStreams cuts a text holding placeholders at fuzzed points into
// Chat Completions chunks and Responses delta events, and checks that a
// client reassembles exactly the restored text; arbitrary event data must
// never panic.
func FuzzOpenAIStreams(f *testing.F) {
	f.Add("key [[warden:X]] and [[war", uint8(3), []byte(`{"choices":[{"index":0,"delta":{"content":"[[w"}}]}`))
	f.Add("[[warden:X]][[warden:X]]", uint8(1), []byte(`{"type":"response.output_text.delta","delta":"[["}`))
	f.Add("no placeholder [[ here", uint8(7), []byte(`{"choices":[{"index":"x","delta":{"tool_calls":[{"function":{"arguments":5}}]},"finish_reason":"stop"}]}`))
	f.Add("", uint8(0), []byte(`[DONE]`))
	f.Fuzz(func(t *testing.T, text string, step uint8, raw []byte) {
		ph := newPlaceholders([]byte("0123456789abcdef"))
		p := ph.For(redact.New("s3cr3t-value"))
		in := bytes.ReplaceAll([]byte(text), []byte("[[warden:X]]"), []byte(p))
		want := ph.restore(string(in), verbatim)
		n := int(step%16) + 1

		var chat bytes.Buffer
		cs := newChatStream(ph, &request{})
		for i := 0; i < len(in); i += n {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": string(in[i:min(i+n, len(in))])}}}})
			cs.event(&chat, []byte(fmt.Sprintf("data: %s\n\n", b)))
		}
		cs.event(&chat, []byte("data: [DONE]\n\n"))
		var resp bytes.Buffer
		rs := newResponsesStream(ph, &request{})
		for i := 0; i < len(in); i += n {
			b, _ := json.Marshal(map[string]any{"type": "response.output_text.delta", "delta": string(in[i:min(i+n, len(in))])})
			rs.event(&resp, []byte(fmt.Sprintf("event: response.output_text.delta\ndata: %s\n\n", b)))
		}
		rs.event(&resp, []byte("event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\"}\n\n"))

		var gotChat, gotResp string
		for _, ev := range bytes.Split(chat.Bytes(), []byte("\n\n")) {
			var c struct {
				Choices []struct{ Delta struct{ Content string } }
			}
			if d := sseData(ev); d != nil && string(d) != "[DONE]" {
				if err := json.Unmarshal(d, &c); err != nil {
					t.Fatalf("chat chunk not JSON: %q", ev)
				}
				for _, ch := range c.Choices {
					gotChat += ch.Delta.Content
				}
			}
		}
		for _, ev := range bytes.Split(resp.Bytes(), []byte("\n\n")) {
			var e struct{ Type, Delta string }
			if d := sseData(ev); d != nil {
				if err := json.Unmarshal(d, &e); err != nil {
					t.Fatalf("responses event not JSON: %q", ev)
				}
				if e.Type == "response.output_text.delta" {
					gotResp += e.Delta
				}
			}
		}
		// arbitrary data must not panic either stream
		cs.event(&bytes.Buffer{}, append(append([]byte("data: "), raw...), "\n\n"...))
		rs.event(&bytes.Buffer{}, append(append([]byte("data: "), raw...), "\n\n"...))
		if bytes.ContainsFunc(in, func(r rune) bool { return r >= 0x80 }) {
			return // a multibyte character cut between chunks is not valid JSON text; upstreams never cut there
		}
		if gotChat != want || gotResp != want {
			t.Errorf("chat %q, responses %q, want %q", gotChat, gotResp, want)
		}
	})
}
