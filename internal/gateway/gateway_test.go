package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

// Fake credentials of valid shapes; never real.
const (
	keyID     = "AKIAZ3MHQ2XN7P4VWK5T"
	keySecret = "q8Lr2vT9wXk4Jm7Np1Bc6Hd3Fs5Gz0Ya8Ue2Wi4O"
	agentKey  = "wvk_test_internal_0001"
	confKey   = "wvk_test_confidential_0001"
	restrKey  = "wvk_test_restricted_0001"
)

func sha(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }

// upstream is a fake Anthropic API that records what reached it and
// answers with a script.
type upstream struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
	hdrs   []http.Header
	answer func(w http.ResponseWriter, body []byte)
}

func newUpstream(t *testing.T, answer func(w http.ResponseWriter, body []byte)) *upstream {
	u := &upstream{answer: answer}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.bodies = append(u.bodies, string(b))
		u.hdrs = append(u.hdrs, r.Header.Clone())
		u.mu.Unlock()
		u.answer(w, b)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) calls() int { u.mu.Lock(); defer u.mu.Unlock(); return len(u.bodies) }

type memAudit struct {
	mu     sync.Mutex
	events []audit.Event
}

func (m *memAudit) Append(_ context.Context, e audit.Event) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
	return uint64(len(m.events)), nil
}

func newGateway(t *testing.T, pol *policy.Effective, ups ...*upstream) (*httptest.Server, *memAudit) {
	t.Helper()
	return newGatewayWith(t, pol, nil, ups...)
}

// newGatewayWith is newGateway with a chance to change the config.
func newGatewayWith(t *testing.T, pol *policy.Effective, mut func(*Config), ups ...*upstream) (*httptest.Server, *memAudit) {
	t.Helper()
	cfg := &Config{Timeout: Duration(5e9), Retries: 1}
	for i, u := range ups {
		cfg.Upstreams = append(cfg.Upstreams, Upstream{Name: fmt.Sprintf("up%d", i), Provider: "anthropic", URL: u.srv.URL, APIKeyEnv: "PROVIDER_KEY"})
	}
	cfg.Keys = []Key{
		{ID: "dev", SHA256: sha(agentKey), Team: "payments", Classification: policy.Internal},
		{ID: "conf", SHA256: sha(confKey), Team: "core", Classification: policy.Confidential},
		{ID: "restr", SHA256: sha(restrKey), Team: "crypto", Classification: policy.Restricted},
	}
	if mut != nil {
		mut(cfg)
	}
	return serveGateway(t, pol, cfg, "PROVIDER_KEY", "sk-provider-real")
}

// serveGateway starts a gateway with cfg (the built-in policy when pol is
// nil) whose environment holds one provider key, and records its audit.
func serveGateway(t *testing.T, pol *policy.Effective, cfg *Config, keyEnv, keyValue string) (*httptest.Server, *memAudit) {
	t.Helper()
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pol == nil {
		pol = policy.Builtin()
	}
	rec := &memAudit{}
	g, err := New(Options{Config: cfg, Policy: pol, Secrets: eng, Audit: rec,
		Getenv:         func(k string) string { return map[string]string{keyEnv: keyValue}[k] },
		PlaceholderKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return srv, rec
}

func post(t *testing.T, url, key string, body any, hdr ...string) (*http.Response, string) {
	t.Helper()
	h := []string{"anthropic-version", "2023-06-01"}
	if key != "" {
		h = append(h, "x-api-key", key)
	}
	return postJSON(t, url+"/v1/messages", body, append(h, hdr...)...)
}

// postJSON posts body as JSON with the header pairs in hdr (later pairs
// win) and returns the response with its whole body.
func postJSON(t *testing.T, url string, body any, hdr ...string) (*http.Response, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func prompt(model, text string, stream bool) map[string]any {
	return map[string]any{"model": model, "max_tokens": 100, "stream": stream,
		"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": text}}}}}
}

// echoAnswer answers with the user's text echoed back: in pieces of 7
// bytes as SSE deltas (so placeholders are cut across events), or whole.
func echoAnswer(w http.ResponseWriter, body []byte) {
	var req struct {
		Stream   bool `json:"stream"`
		Messages []struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"messages"`
	}
	json.Unmarshal(body, &req)
	text := req.Messages[0].Content[0].Text
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"type": "message", "role": "assistant",
			"content": []any{map[string]any{"type": "text", "text": "echo: " + text}},
			"usage":   map[string]int{"input_tokens": 11, "output_tokens": 7}})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprintf(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":11}}}\n\n")
	fmt.Fprintf(w, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for i := 0; i < len(text); i += 7 {
		piece, _ := json.Marshal(text[i:min(i+7, len(text))])
		fmt.Fprintf(w, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":%s}}\n\n", piece)
	}
	fmt.Fprintf(w, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
	// a tool call whose input carries the placeholder, cut mid-way
	input, _ := json.Marshal(map[string]string{"command": "aws configure set key " + text})
	in := string(input)
	fmt.Fprintf(w, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{}}}\n\n")
	for i := 0; i < len(in); i += 5 {
		piece, _ := json.Marshal(in[i:min(i+5, len(in))])
		fmt.Fprintf(w, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":%s}}\n\n", piece)
	}
	fmt.Fprintf(w, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n")
	fmt.Fprintf(w, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":7}}\n\n")
	fmt.Fprintf(w, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
}

// streamed reassembles the text and tool input a client sees from an SSE
// body.
func streamed(t *testing.T, body string) (text, toolInput string) {
	t.Helper()
	for _, ev := range strings.Split(body, "\n\n") {
		data := sseData([]byte(ev))
		if data == nil {
			continue
		}
		var d sseDelta
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("client got an event that is not JSON: %q", ev)
		}
		if d.Type == "content_block_delta" {
			text += d.Delta.Text
			toolInput += d.Delta.PartialJSON
		}
	}
	return text, toolInput
}

func TestSecretsAreReplacedUpstreamAndRestoredForTheClient(t *testing.T) {
	up := newUpstream(t, echoAnswer)
	gw, rec := newGateway(t, nil, up)
	msg := "deploy with this config:\naws_access_key_id=" + keyID + "\naws_secret_access_key=" + keySecret + "\nplease"

	for _, stream := range []bool{true, false} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			resp, body := post(t, gw.URL, agentKey, prompt("claude-sonnet-4-5", msg, stream))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			sent := up.bodies[len(up.bodies)-1]
			if strings.Contains(sent, keySecret) || strings.Contains(sent, keyID) {
				t.Fatal("a secret reached the upstream")
			}
			if !strings.Contains(sent, placeholderOpen) {
				t.Fatalf("the upstream got no placeholder: %s", sent)
			}
			if stream {
				text, input := streamed(t, body)
				if text != msg {
					t.Errorf("client text = %q, want the prompt with its secrets restored", text)
				}
				var in map[string]string
				if err := json.Unmarshal([]byte(input), &in); err != nil || in["command"] != "aws configure set key "+msg {
					t.Errorf("client tool input = %s (%v), want the secrets restored inside valid JSON", input, err)
				}
			} else {
				var m struct{ Content []struct{ Text string } }
				if err := json.Unmarshal([]byte(body), &m); err != nil || len(m.Content) != 1 || m.Content[0].Text != "echo: "+msg {
					t.Errorf("client body = %s (%v), want the secrets restored", body, err)
				}
			}
		})
	}
	h := up.hdrs[0]
	if h.Get("x-api-key") != "sk-provider-real" || h.Get("anthropic-version") != "2023-06-01" {
		t.Errorf("upstream headers: x-api-key %q, anthropic-version %q", h.Get("x-api-key"), h.Get("anthropic-version"))
	}
	for _, e := range rec.events {
		line, _ := json.Marshal(e)
		if bytes.Contains(line, []byte(keySecret)) || bytes.Contains(line, []byte(keyID)) || bytes.Contains(line, []byte("deploy with")) {
			t.Fatalf("an audit event holds the secret or the prompt: %s", line)
		}
		if e.Decision != audit.DecisionAllow || len(e.Rules) == 0 || !strings.Contains(e.Summary, "redactions=") {
			t.Errorf("audit event = %+v, want an allow with the redacted rule ids", e)
		}
	}
	if len(rec.events) != 2 {
		t.Errorf("%d audit events, want one per request", len(rec.events))
	}
}

func TestRefusals(t *testing.T) {
	up := newUpstream(t, echoAnswer)
	block := *policy.Builtin()
	block.Models.Secrets = "block"
	tests := []struct {
		name   string
		pol    *policy.Effective
		key    string
		model  string
		text   string
		hdr    []string
		status int
		want   string
	}{
		{"no key", nil, "", "claude-sonnet-4-5", "hi", nil, 401, "authentication_error"},
		{"provider key instead of a virtual key", nil, "sk-ant-whatever", "claude-sonnet-4-5", "hi", nil, 401, "virtual key"},
		{"model not allowed for the classification", nil, confKey, "claude-sonnet-4-5", "hi", nil, 400, "does not allow model"},
		{"header raises the classification", nil, agentKey, "claude-sonnet-4-5", "hi", []string{HeaderClassification, "confidential"}, 400, "confidential"},
		{"bad classification header", nil, agentKey, "claude-sonnet-4-5", "hi", []string{HeaderClassification, "secret"}, 400, "not one of"},
		{"restricted code needs attestation", nil, restrKey, "claude-sonnet-4-5", "hi", nil, 400, "not allow"},
		{"secrets blocked by policy", &block, agentKey, "claude-sonnet-4-5", "aws_access_key_id=" + keyID + "\naws_secret_access_key=" + keySecret, nil, 400, "aws"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.calls()
			gw, rec := newGateway(t, tt.pol, up)
			resp, body := post(t, gw.URL, tt.key, prompt(tt.model, tt.text, false), tt.hdr...)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d containing %q", resp.StatusCode, body, tt.status, tt.want)
			}
			var e struct {
				Type  string `json:"type"`
				Error struct{ Type, Message string }
			}
			if json.Unmarshal([]byte(body), &e) != nil || e.Type != "error" || e.Error.Message == "" {
				t.Errorf("refusal is not in the Anthropic error format: %s", body)
			}
			if up.calls() != before {
				t.Error("a refused request reached the upstream")
			}
			if strings.Contains(body, keySecret) {
				t.Error("the refusal repeats the secret")
			}
			if len(rec.events) != 1 || rec.events[0].Decision != audit.DecisionDeny {
				t.Errorf("audit = %+v, want one deny", rec.events)
			}
		})
	}
}

func TestAttestationRequiredFailsClosed(t *testing.T) {
	up := newUpstream(t, echoAnswer)
	pol := *policy.Builtin()
	pol.Models.Allow = map[policy.Classification][]string{policy.Restricted: {"anthropic/*"}}
	gw, _ := newGateway(t, &pol, up)
	resp, body := post(t, gw.URL, restrKey, prompt("claude-sonnet-4-5", "hi", false))
	if resp.StatusCode != 400 || !strings.Contains(body, "attested") || up.calls() != 0 {
		t.Errorf("restricted code without a verified attested upstream: %d %s (upstream calls %d)", resp.StatusCode, body, up.calls())
	}
}

func TestFallbackToTheNextUpstream(t *testing.T) {
	bad := newUpstream(t, func(w http.ResponseWriter, _ []byte) { http.Error(w, "overloaded", 529) })
	good := newUpstream(t, echoAnswer)
	gw, _ := newGateway(t, nil, bad, good)
	resp, body := post(t, gw.URL, agentKey, prompt("claude-sonnet-4-5", "hello", false))
	if resp.StatusCode != 200 || !strings.Contains(body, "echo: hello") || bad.calls() != 1 || good.calls() != 1 {
		t.Errorf("got %d %s; calls bad=%d good=%d", resp.StatusCode, body, bad.calls(), good.calls())
	}
}

// An upstream's redirect is passed back, never followed: following it
// would resend the prompt and the provider key (x-api-key, which
// http.Client does not strip) to wherever it points.
func TestUpstreamRedirectIsNotFollowed(t *testing.T) {
	elsewhere := newUpstream(t, echoAnswer)
	redirecting := newUpstream(t, func(w http.ResponseWriter, _ []byte) {
		w.Header().Set("Location", elsewhere.srv.URL+"/v1/messages")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	gw, _ := newGateway(t, nil, redirecting)
	resp, body := post(t, gw.URL, agentKey, prompt("claude-sonnet-4-5", "hello", false))
	if resp.StatusCode != http.StatusTemporaryRedirect || redirecting.calls() != 1 || elsewhere.calls() != 0 {
		t.Errorf("got %d %s; calls redirecting=%d elsewhere=%d, want the 307 passed back and nothing elsewhere",
			resp.StatusCode, body, redirecting.calls(), elsewhere.calls())
	}
	if resp.Header.Get("Location") != "" {
		t.Errorf("the upstream's Location reached the client: %q", resp.Header.Get("Location"))
	}
}

// A streamed answer's status and headers reach the client as soon as the
// upstream sent them, before its first event: the upstream here sends
// nothing more until the client has its headers.
func TestStreamHeadersLeaveBeforeTheFirstEvent(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, _ []byte) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
		fmt.Fprint(w, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	})
	gw, _ := newGateway(t, nil, up)
	b, _ := json.Marshal(prompt("claude-sonnet-4-5", "hello", true))
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/messages", bytes.NewReader(b))
	req.Header.Set("x-api-key", agentKey)
	got := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			resp = nil
		}
		got <- resp
	}()
	var resp *http.Response
	select {
	case resp = <-got:
	case <-time.After(20 * time.Second):
		close(release)
		t.Fatal("the client got no headers while the upstream held back its first event")
	}
	close(release)
	if resp == nil {
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || !strings.Contains(string(body), "message_stop") {
		t.Errorf("got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	up := newUpstream(t, echoAnswer)
	gw, _ := newGateway(t, nil, up)
	post(t, gw.URL, agentKey, prompt("claude-sonnet-4-5", "aws_access_key_id="+keyID+"\naws_secret_access_key="+keySecret, false))
	post(t, gw.URL, "", prompt("claude-sonnet-4-5", "x", false))
	r, err := http.Get(gw.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{`warden_gateway_requests_total{decision="allow"} 1`, `warden_gateway_requests_total{decision="deny"} 1`, "warden_gateway_redactions_total 2", "warden_gateway_request_seconds_count 2"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, b)
		}
	}
	h, err := http.Get(gw.URL + "/healthz")
	if err != nil || h.StatusCode != 200 {
		t.Errorf("/healthz: %v %v", h, err)
	}
}

func TestParseConfig(t *testing.T) {
	good := "upstreams:\n  - name: a\n    provider: anthropic\n    url: http://127.0.0.1:1\n    api_key_env: K\nkeys:\n  - id: dev\n    sha256: " + sha("k") + "\n    classification: internal\n"
	if _, err := ParseConfig("g.yaml", []byte(good)); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	limited := good + "    limits: {requests_per_minute: 60, tokens_per_day: 1000000, spend_per_day: 20}\nprices:\n  - {model: \"anthropic/claude-*\", input_per_mtok: 3, output_per_mtok: 15}\n"
	c, err := ParseConfig("g.yaml", []byte(limited))
	if err != nil {
		t.Fatalf("valid config with limits refused: %v", err)
	}
	if p := c.price("anthropic/claude-sonnet-4-5"); c.Keys[0].Limits.SpendPerDay != 20 || p == nil || p.OutputPerMTok != 15 || c.price("openai/gpt-5") != nil {
		t.Errorf("limits %+v, prices %+v", c.Keys[0].Limits, c.Prices)
	}
	for name, bad := range map[string]string{
		"unknown key":        good + "bogus: 1\n",
		"no upstream":        "keys: []\n",
		"credentials in url": strings.Replace(good, "http://127", "http://u:p@127", 1),
		"bad provider":       strings.Replace(good, "anthropic", "acme", 1),
		"bad hash":           strings.Replace(good, sha("k"), "abc", 1),
		"bad class":          strings.Replace(good, "internal", "secret", 1),
		"negative limit":     good + "    limits: {requests_per_minute: -1}\n",
		"spend, no prices":   good + "    limits: {spend_per_day: 5}\n",
		"bad price glob":     good + "prices:\n  - {model: \"[\", input_per_mtok: 1}\n",
		"negative price":     good + "prices:\n  - {model: \"a/*\", input_per_mtok: -1}\n",
	} {
		if _, err := ParseConfig("g.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "g.yaml") {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
}
