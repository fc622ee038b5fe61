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

// fakeModel is a model API on 127.0.0.1 that plays a script, like
// fakeAnthropic: for a conversation whose first user prompt contains a key
// of plan, it asks for the plan's tool calls one after another (the n-th
// once n-1 tool results are in the request), then answers text. Every
// request body is recorded. The face (Gemini, OpenAI Responses, OpenAI
// Chat Completions) decides how requests are read and answers written.
type fakeModel struct {
	srv  *httptest.Server
	plan map[string][]toolCall
	face face

	mu       sync.Mutex
	requests []string
}

// face is one vendor's wire format.
type face interface {
	// match reports whether the request is a model call this face answers.
	match(r *http.Request) bool
	// read returns the conversation's first user prompt and how many tool
	// results it carries.
	read(body []byte) (prompt string, results int, hasTools bool, err error)
	tool(w http.ResponseWriter, r *http.Request, c toolCall, n int)
	text(w http.ResponseWriter, r *http.Request, s string)
}

func newFakeModel(t *testing.T, f face, plan map[string][]toolCall) *fakeModel {
	m := &fakeModel{plan: plan, face: f}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *fakeModel) URL() string { return m.srv.URL }

func (m *fakeModel) Requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.requests...)
}

func (m *fakeModel) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !m.face.match(r) {
		http.NotFound(w, r)
		return
	}
	m.mu.Lock()
	m.requests = append(m.requests, string(body))
	m.mu.Unlock()
	prompt, results, hasTools, err := m.face.read(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var calls []toolCall
	if hasTools {
		for key, c := range m.plan {
			if strings.Contains(prompt, key) {
				calls = c
				break
			}
		}
	}
	if results < len(calls) {
		m.face.tool(w, r, calls[results], results)
		return
	}
	m.face.text(w, r, "All done.")
}

func sseData(w http.ResponseWriter, events ...any) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	for _, e := range events {
		if s, ok := e.(string); ok {
			fmt.Fprintf(w, "data: %s\n\n", s)
		} else {
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		if fl != nil {
			fl.Flush()
		}
	}
}

// --- Gemini: POST /v1beta/models/{model}:streamGenerateContent?alt=sse

type geminiFace struct{}

func (geminiFace) match(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Contains(r.URL.Path, ":") &&
		(strings.HasSuffix(r.URL.Path, ":streamGenerateContent") || strings.HasSuffix(r.URL.Path, ":generateContent"))
}

func (geminiFace) read(body []byte) (string, int, bool, error) {
	var req struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []struct {
				Text             string          `json:"text"`
				FunctionResponse json.RawMessage `json:"functionResponse"`
			} `json:"parts"`
		} `json:"contents"`
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "", 0, false, err
	}
	// Gemini CLI sends its context and the prompt as parts of user turns:
	// the plan's key is looked for in every user text.
	var all []string
	results := 0
	for _, c := range req.Contents {
		for _, p := range c.Parts {
			if p.FunctionResponse != nil {
				results++
			}
			if c.Role == "user" && p.Text != "" {
				all = append(all, p.Text)
			}
		}
	}
	return strings.Join(all, "\n"), results, len(req.Tools) > 0, nil
}

var geminiUsage = map[string]int{"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}

func (geminiFace) tool(w http.ResponseWriter, r *http.Request, c toolCall, n int) {
	chunk := map[string]any{
		"candidates": []any{map[string]any{
			"content":      map[string]any{"role": "model", "parts": []any{map[string]any{"functionCall": map[string]any{"name": c.Name, "args": c.Input}}}},
			"finishReason": "STOP", "index": 0,
		}},
		"usageMetadata": geminiUsage,
	}
	geminiAnswer(w, r, chunk)
}

func (geminiFace) text(w http.ResponseWriter, r *http.Request, s string) {
	chunk := map[string]any{
		"candidates": []any{map[string]any{
			"content":      map[string]any{"role": "model", "parts": []any{map[string]any{"text": s}}},
			"finishReason": "STOP", "index": 0,
		}},
		"usageMetadata": geminiUsage,
	}
	geminiAnswer(w, r, chunk)
}

func geminiAnswer(w http.ResponseWriter, r *http.Request, chunk any) {
	if strings.HasSuffix(r.URL.Path, ":generateContent") {
		writeJSON(w, chunk)
		return
	}
	sseData(w, chunk)
}

// --- OpenAI Responses (Codex): POST /v1/responses

type responsesFace struct{}

func (responsesFace) match(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/responses")
}

func (responsesFace) read(body []byte) (string, int, bool, error) {
	var req struct {
		Input []struct {
			Type    string          `json:"type"`
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"input"`
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "", 0, false, err
	}
	var texts []string
	results := 0
	for _, it := range req.Input {
		switch {
		case it.Type == "function_call_output" || it.Type == "custom_tool_call_output":
			results++
		case it.Role == "user":
			var parts []struct {
				Text string `json:"text"`
			}
			if json.Unmarshal(it.Content, &parts) == nil {
				for _, p := range parts {
					texts = append(texts, p.Text)
				}
			}
		}
	}
	return strings.Join(texts, "\n"), results, len(req.Tools) > 0, nil
}

func responsesEvents(w http.ResponseWriter, item map[string]any) {
	resp := map[string]any{"id": "resp_1", "object": "response", "status": "in_progress", "output": []any{}}
	done := map[string]any{"id": "resp_1", "object": "response", "status": "completed", "output": []any{item},
		"usage": map[string]any{"input_tokens": 10, "input_tokens_details": map[string]int{"cached_tokens": 0},
			"output_tokens": 5, "output_tokens_details": map[string]int{"reasoning_tokens": 0}, "total_tokens": 15}}
	w.Header().Set("Content-Type", "text/event-stream")
	fl, _ := w.(http.Flusher)
	for _, e := range []map[string]any{
		{"type": "response.created", "response": resp},
		{"type": "response.output_item.added", "output_index": 0, "item": item},
		{"type": "response.output_item.done", "output_index": 0, "item": item},
		{"type": "response.completed", "response": done},
	} {
		b, _ := json.Marshal(e)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e["type"], b)
		if fl != nil {
			fl.Flush()
		}
	}
}

func (responsesFace) tool(w http.ResponseWriter, r *http.Request, c toolCall, n int) {
	args, _ := json.Marshal(c.Input)
	responsesEvents(w, map[string]any{"type": "function_call", "id": fmt.Sprintf("fc_%d", n+1), "status": "completed",
		"call_id": fmt.Sprintf("call_%d", n+1), "name": c.Name, "arguments": string(args)})
}

func (responsesFace) text(w http.ResponseWriter, r *http.Request, s string) {
	responsesEvents(w, map[string]any{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
		"content": []any{map[string]any{"type": "output_text", "text": s, "annotations": []any{}}}})
}

// --- OpenAI Chat Completions (Copilot CLI): POST /v1/chat/completions

type chatFace struct{}

func (chatFace) match(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions")
}

func (chatFace) read(body []byte) (string, int, bool, error) {
	var req struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "", 0, false, err
	}
	var texts []string
	results := 0
	for _, m := range req.Messages {
		switch m.Role {
		case "tool":
			results++
		case "user":
			var s string
			if json.Unmarshal(m.Content, &s) == nil {
				texts = append(texts, s)
				continue
			}
			var parts []struct {
				Text string `json:"text"`
			}
			if json.Unmarshal(m.Content, &parts) == nil {
				for _, p := range parts {
					texts = append(texts, p.Text)
				}
			}
		}
	}
	return strings.Join(texts, "\n"), results, len(req.Tools) > 0, nil
}

func chatChunk(delta map[string]any, finish any) map[string]any {
	return map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-5.4",
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
}

func (chatFace) tool(w http.ResponseWriter, r *http.Request, c toolCall, n int) {
	args, _ := json.Marshal(c.Input)
	sseData(w,
		chatChunk(map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
			"index": 0, "id": fmt.Sprintf("call_%d", n+1), "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": string(args)}}}}, nil),
		chatChunk(map[string]any{}, "tool_calls"),
		map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-5.4", "choices": []any{},
			"usage": map[string]int{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}},
		"[DONE]",
	)
}

func (chatFace) text(w http.ResponseWriter, r *http.Request, s string) {
	sseData(w,
		chatChunk(map[string]any{"role": "assistant", "content": s}, nil),
		chatChunk(map[string]any{}, "stop"),
		map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-5.4", "choices": []any{},
			"usage": map[string]int{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}},
		"[DONE]",
	)
}
