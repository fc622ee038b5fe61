package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/policy"
)

// newOpenAIGateway serves a gateway whose upstreams speak the OpenAI APIs.
func newOpenAIGateway(t *testing.T, pol *policy.Effective, mut func(*Config), ups ...*upstream) (*httptest.Server, *memAudit) {
	t.Helper()
	cfg := &Config{Timeout: Duration(5e9), Retries: 1}
	for i, u := range ups {
		cfg.Upstreams = append(cfg.Upstreams, Upstream{Name: fmt.Sprintf("oai%d", i), Provider: "openai", URL: u.srv.URL, APIKeyEnv: "OPENAI_KEY"})
	}
	cfg.Keys = []Key{
		{ID: "dev", SHA256: sha(agentKey), Team: "payments", Classification: policy.Internal},
		{ID: "conf", SHA256: sha(confKey), Team: "core", Classification: policy.Confidential},
	}
	if mut != nil {
		mut(cfg)
	}
	return serveGateway(t, pol, cfg, "OPENAI_KEY", "sk-openai-real")
}

func postPath(t *testing.T, url, path, bearer string, body any, hdr ...string) (*http.Response, string) {
	t.Helper()
	var h []string
	if bearer != "" {
		h = append(h, "Authorization", "Bearer "+bearer)
	}
	return postJSON(t, url+path, body, append(h, hdr...)...)
}

func chatPrompt(model, text string, stream bool) map[string]any {
	return map[string]any{"model": model, "max_tokens": 100, "stream": stream,
		"messages": []any{map[string]any{"role": "user", "content": text}}}
}

func responsesPrompt(model, text string, stream bool) map[string]any {
	return map[string]any{"model": model, "max_output_tokens": 100, "stream": stream, "input": text}
}

func sseChunk(w io.Writer, event string, v any) {
	b, _ := json.Marshal(v)
	if event != "" {
		fmt.Fprintf(w, "event: %s\n", event)
	}
	fmt.Fprintf(w, "data: %s\n\n", b)
}

// echoChat is a fake Chat Completions upstream: it echoes the user's text
// as content in 7-byte deltas and as a tool call's arguments in 5-byte
// deltas, so placeholders are cut across chunks.
func echoChat(w http.ResponseWriter, body []byte) {
	var req struct {
		Stream   bool `json:"stream"`
		Messages []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	json.Unmarshal(body, &req)
	text := req.Messages[0].Content
	args, _ := json.Marshal(map[string]string{"command": "aws configure set key " + text})
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "chat.completion", "choices": []any{map[string]any{"index": 0,
			"message": map[string]any{"role": "assistant", "content": "echo: " + text,
				"tool_calls": []any{map[string]any{"id": "c1", "type": "function", "function": map[string]any{"name": "bash", "arguments": string(args)}}}},
			"finish_reason": "tool_calls"}},
			"usage": map[string]int{"prompt_tokens": 13, "completion_tokens": 9}})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(delta map[string]any, finish any) {
		sseChunk(w, "", map[string]any{"id": "x", "object": "chat.completion.chunk", "choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	for i := 0; i < len(text); i += 7 {
		chunk(map[string]any{"content": text[i:min(i+7, len(text))]}, nil)
	}
	chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "c1", "type": "function", "function": map[string]any{"name": "bash", "arguments": ""}}}}, nil)
	a := string(args)
	for i := 0; i < len(a); i += 5 {
		chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": a[i:min(i+5, len(a))]}}}}, nil)
	}
	chunk(map[string]any{}, "tool_calls")
	sseChunk(w, "", map[string]any{"id": "x", "object": "chat.completion.chunk", "choices": []any{}, "usage": map[string]int{"prompt_tokens": 13, "completion_tokens": 9}})
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// echoResponses is a fake Responses upstream, streaming like echoChat.
func echoResponses(w http.ResponseWriter, body []byte) {
	var req struct {
		Stream bool   `json:"stream"`
		Input  string `json:"input"`
	}
	json.Unmarshal(body, &req)
	text := req.Input
	argsB, _ := json.Marshal(map[string]string{"command": "aws configure set key " + text})
	args := string(argsB)
	output := []any{
		map[string]any{"type": "message", "id": "m1", "role": "assistant", "content": []any{map[string]any{"type": "output_text", "text": text}}},
		map[string]any{"type": "function_call", "id": "f1", "call_id": "c1", "name": "bash", "arguments": args},
	}
	usageV := map[string]int{"input_tokens": 17, "output_tokens": 5}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "response", "status": "completed", "output": output, "usage": usageV})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	seq := 0
	ev := func(typ string, v map[string]any) {
		v["type"], v["sequence_number"] = typ, seq
		seq++
		sseChunk(w, typ, v)
	}
	ev("response.created", map[string]any{"response": map[string]any{"status": "in_progress"}})
	for i := 0; i < len(text); i += 7 {
		ev("response.output_text.delta", map[string]any{"item_id": "m1", "output_index": 0, "content_index": 0, "delta": text[i:min(i+7, len(text))]})
	}
	ev("response.output_text.done", map[string]any{"item_id": "m1", "output_index": 0, "content_index": 0, "text": text})
	for i := 0; i < len(args); i += 5 {
		ev("response.function_call_arguments.delta", map[string]any{"item_id": "f1", "output_index": 1, "delta": args[i:min(i+5, len(args))]})
	}
	ev("response.function_call_arguments.done", map[string]any{"item_id": "f1", "output_index": 1, "arguments": args})
	ev("response.completed", map[string]any{"response": map[string]any{"status": "completed", "output": output, "usage": usageV}})
}

// chatStreamed reassembles what a Chat Completions client sees.
func chatStreamed(t *testing.T, body string) (text, args string) {
	t.Helper()
	if !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Errorf("stream does not end with [DONE]: %q", body[max(0, len(body)-40):])
	}
	for _, ev := range strings.Split(body, "\n\n") {
		data := sseData([]byte(ev))
		if data == nil || string(data) == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					Content   string
					ToolCalls []struct {
						Function struct{ Arguments string }
					} `json:"tool_calls"`
				}
			}
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("client got a chunk that is not JSON: %q", scrub(ev))
		}
		for _, ch := range c.Choices {
			text += ch.Delta.Content
			for _, tc := range ch.Delta.ToolCalls {
				args += tc.Function.Arguments
			}
		}
	}
	return text, args
}

// responsesStreamed reassembles the deltas a Responses client sees, and
// the final output text and arguments of response.completed.
func responsesStreamed(t *testing.T, body string) (text, args, finalText, finalArgs string) {
	t.Helper()
	for _, ev := range strings.Split(body, "\n\n") {
		data := sseData([]byte(ev))
		if data == nil {
			continue
		}
		var e struct {
			Type     string
			Delta    string
			Response struct {
				Output []struct {
					Arguments string
					Content   []struct{ Text string }
				}
			}
		}
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("client got an event that is not JSON: %q", scrub(ev))
		}
		if !strings.Contains(ev, "event: "+e.Type+"\n") {
			t.Errorf("event line does not name the type %q: %q", e.Type, scrub(ev))
		}
		switch e.Type {
		case "response.output_text.delta":
			text += e.Delta
		case "response.function_call_arguments.delta":
			args += e.Delta
		case "response.completed":
			finalText, finalArgs = e.Response.Output[0].Content[0].Text, e.Response.Output[1].Arguments
		}
	}
	return
}

func TestOpenAISecretsAreReplacedUpstreamAndRestoredForTheClient(t *testing.T) {
	msg := "deploy with this config:\naws_access_key_id=" + keyID + "\naws_secret_access_key=" + keySecret + "\nplease [[not a placeholder [[ward"
	wantArgs, _ := json.Marshal(map[string]string{"command": "aws configure set key " + msg})
	for _, tc := range []struct {
		name   string
		path   string
		answer func(http.ResponseWriter, []byte)
		prompt func(string, string, bool) map[string]any
	}{
		{"chat", "/v1/chat/completions", echoChat, chatPrompt},
		{"responses", "/v1/responses", echoResponses, responsesPrompt},
	} {
		for _, stream := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/stream=%v", tc.name, stream), func(t *testing.T) {
				up := newUpstream(t, tc.answer)
				gw, rec := newOpenAIGateway(t, nil, nil, up)
				resp, body := postPath(t, gw.URL, tc.path, agentKey, tc.prompt("gpt-5", msg, stream))
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				sent := up.bodies[0]
				if strings.Contains(sent, keySecret) || strings.Contains(sent, keyID) || !strings.Contains(sent, placeholderOpen) {
					t.Fatalf("the upstream got a secret or no placeholder: %s", sent)
				}
				if h := up.hdrs[0]; h.Get("Authorization") != "Bearer sk-openai-real" {
					t.Errorf("upstream Authorization = %q, want the provider key", h.Get("Authorization"))
				}
				var text, args string
				switch {
				case stream && tc.name == "chat":
					text, args = chatStreamed(t, body)
				case stream:
					var ft, fa string
					text, args, ft, fa = responsesStreamed(t, body)
					if ft != msg || fa != string(wantArgs) {
						t.Errorf("response.completed output = %q / %q, want the secrets restored", scrub(ft), scrub(fa))
					}
				case tc.name == "chat":
					var c struct {
						Choices []struct {
							Message struct {
								Content   string
								ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
							}
						}
					}
					if err := json.Unmarshal([]byte(body), &c); err != nil || len(c.Choices) != 1 || len(c.Choices[0].Message.ToolCalls) != 1 {
						t.Fatalf("client body %s: %v", scrub(body), err)
					}
					text, args = strings.TrimPrefix(c.Choices[0].Message.Content, "echo: "), c.Choices[0].Message.ToolCalls[0].Function.Arguments
				default:
					var r struct {
						Output []struct {
							Arguments string
							Content   []struct{ Text string }
						}
					}
					if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Output) != 2 || len(r.Output[0].Content) != 1 {
						t.Fatalf("client body %s: %v", scrub(body), err)
					}
					text, args = r.Output[0].Content[0].Text, r.Output[1].Arguments
				}
				if text != msg {
					t.Errorf("client text = %q, want the prompt with its secrets restored", scrub(text))
				}
				if args != string(wantArgs) {
					t.Errorf("client tool arguments = %s, want %s", scrub(args), scrub(string(wantArgs)))
				}
				if len(rec.events) != 1 {
					t.Fatalf("%d audit events, want 1", len(rec.events))
				}
				e := rec.events[0]
				line, _ := json.Marshal(e)
				if bytes.Contains(line, []byte(keySecret)) || bytes.Contains(line, []byte("deploy with")) {
					t.Fatalf("an audit event holds the secret or the prompt: %s", line)
				}
				if e.Decision != audit.DecisionAllow || !strings.Contains(e.Summary, "model=openai/gpt-5") || len(e.Rules) == 0 {
					t.Errorf("audit event = %+v", e)
				}
				if strings.Contains(e.Summary, "tokens_in=0") {
					t.Errorf("audit event lacks the upstream's token counts: %s", e.Summary)
				}
			})
		}
	}
}

func TestOpenAIRefusalsUseTheOpenAIErrorShape(t *testing.T) {
	up := newUpstream(t, echoChat)
	tests := []struct {
		name, path, key, model string
		status                 int
		code                   string
	}{
		{"no key chat", "/v1/chat/completions", "", "gpt-5", 401, "invalid_api_key"},
		{"no key responses", "/v1/responses", "", "gpt-5", 401, "invalid_api_key"},
		{"model not allowed", "/v1/chat/completions", confKey, "gpt-5", 400, "model_not_allowed"},
		{"model not allowed responses", "/v1/responses", confKey, "gpt-5", 400, "model_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw, rec := newOpenAIGateway(t, nil, nil, up)
			resp, body := postPath(t, gw.URL, tt.path, tt.key, chatPrompt(tt.model, "hi", false))
			var e struct {
				Error struct{ Message, Type, Code string }
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Message == "" || e.Error.Type == "" {
				t.Errorf("got %d %s, want %d in the OpenAI error shape with code %q", resp.StatusCode, body, tt.status, tt.code)
			}
			if up.calls() != 0 || len(rec.events) != 1 || rec.events[0].Decision != audit.DecisionDeny {
				t.Errorf("upstream calls %d, audit %+v", up.calls(), rec.events)
			}
		})
	}
}

func TestOpenAIRequestsGoOnlyToOpenAIUpstreams(t *testing.T) {
	anth := newUpstream(t, echoAnswer)
	oai := newUpstream(t, echoChat)
	gw, _ := newOpenAIGateway(t, nil, func(c *Config) {
		c.Upstreams = append([]Upstream{{Name: "anth", Provider: "anthropic", URL: anth.srv.URL}}, c.Upstreams...)
	}, oai)
	resp, body := postPath(t, gw.URL, "/v1/chat/completions", agentKey, chatPrompt("gpt-5", "hello", false))
	if resp.StatusCode != 200 || anth.calls() != 0 || oai.calls() != 1 {
		t.Errorf("got %d %s; calls anthropic=%d openai=%d", resp.StatusCode, body, anth.calls(), oai.calls())
	}
}

// scrub hides the planted credentials in failure messages.
func scrub(s string) string {
	return strings.NewReplacer(keySecret, "<secret>", keyID, "<key-id>").Replace(s)
}
