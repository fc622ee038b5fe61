package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// toolCall is one tool use the fake model asks for.
type toolCall struct {
	Name  string
	Input map[string]any
}

// fakeAnthropic is an Anthropic Messages API that plays a script: for a
// conversation whose first user prompt contains a key of plan, it asks for
// the plan's tool calls one after another (one per request, moving on when
// the previous tool's result comes back), then ends the turn with text.
// It decides from each request's content, not from a global counter, so
// extra requests (titles, subagents) do not shift the script. Every request
// body is recorded.
type fakeAnthropic struct {
	srv  *httptest.Server
	plan map[string][]toolCall

	mu       sync.Mutex
	requests []string
}

func newFakeAnthropic(t *testing.T, plan map[string][]toolCall) *fakeAnthropic {
	f := &fakeAnthropic{plan: plan}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAnthropic) URL() string { return f.srv.URL }

// Requests returns the bodies of every /v1/messages request so far.
func (f *fakeAnthropic) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

type anthropicRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
}

type contentBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func (f *fakeAnthropic) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/v1/messages") {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if strings.HasSuffix(r.URL.Path, "/count_tokens") {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"input_tokens":10}`)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, string(body))
	f.mu.Unlock()

	var req anthropicRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var firstPrompt string
	results := 0
	for _, m := range req.Messages {
		if m.Role != "user" {
			continue
		}
		var blocks []contentBlock
		if err := json.Unmarshal(m.Content, &blocks); err != nil {
			var s string
			if json.Unmarshal(m.Content, &s) == nil {
				blocks = []contentBlock{{Type: "text", Text: s}}
			}
		}
		for _, b := range blocks {
			switch b.Type {
			case "tool_result":
				results++
			case "text":
				if firstPrompt == "" && !strings.HasPrefix(strings.TrimSpace(b.Text), "<system-reminder>") {
					firstPrompt = b.Text
				}
			}
		}
	}
	var calls []toolCall
	if len(req.Tools) > 0 {
		for key, c := range f.plan {
			if strings.Contains(firstPrompt, key) {
				calls = c
				break
			}
		}
	}
	if results < len(calls) {
		f.answerTool(w, req, calls[results], results)
		return
	}
	f.answerText(w, req, "All done.")
}

func (f *fakeAnthropic) answerTool(w http.ResponseWriter, req anthropicRequest, c toolCall, n int) {
	input, _ := json.Marshal(c.Input)
	id := fmt.Sprintf("toolu_%02d", n+1)
	if !req.Stream {
		writeJSON(w, map[string]any{
			"id": "msg_" + id, "type": "message", "role": "assistant", "model": req.Model,
			"content":     []any{map[string]any{"type": "tool_use", "id": id, "name": c.Name, "input": c.Input}},
			"stop_reason": "tool_use", "usage": map[string]int{"input_tokens": 10, "output_tokens": 10},
		})
		return
	}
	sse(w,
		event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
			"id": "msg_" + id, "type": "message", "role": "assistant", "model": req.Model, "content": []any{},
			"stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 10, "output_tokens": 1}}}),
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
			"content_block": map[string]any{"type": "tool_use", "id": id, "name": c.Name, "input": map[string]any{}}}),
		event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "input_json_delta", "partial_json": string(input)}}),
		event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}),
		event("message_delta", map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": "tool_use", "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 10}}),
		event("message_stop", map[string]any{"type": "message_stop"}),
	)
}

func (f *fakeAnthropic) answerText(w http.ResponseWriter, req anthropicRequest, text string) {
	if !req.Stream {
		writeJSON(w, map[string]any{
			"id": "msg_text", "type": "message", "role": "assistant", "model": req.Model,
			"content":     []any{map[string]any{"type": "text", "text": text}},
			"stop_reason": "end_turn", "usage": map[string]int{"input_tokens": 10, "output_tokens": 3},
		})
		return
	}
	sse(w,
		event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
			"id": "msg_text", "type": "message", "role": "assistant", "model": req.Model, "content": []any{},
			"stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 10, "output_tokens": 1}}}),
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
			"content_block": map[string]any{"type": "text", "text": ""}}),
		event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": text}}),
		event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}),
		event("message_delta", map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 3}}),
		event("message_stop", map[string]any{"type": "message_stop"}),
	)
}

type sseEvent struct {
	name string
	data []byte
}

func event(name string, v any) sseEvent {
	b, _ := json.Marshal(v)
	return sseEvent{name, b}
}

func sse(w http.ResponseWriter, events ...sseEvent) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	for _, e := range events {
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.name, e.data)
		if fl != nil {
			fl.Flush()
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
