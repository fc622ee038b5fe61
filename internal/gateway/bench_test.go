package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

// The gateway's hot path, one request at a time through the handler,
// with the upstream answering in-process (no sockets), so that what is
// measured is the gateway's own work: authentication, policy, the secret
// scan, forwarding, restoring, audit. scripts/bench/gateway.sh measures
// the whole thing over loopback at a fixed rate.

// benchBody is a Claude-Code-like request of about 4 KB.
func benchBody(stream, secret bool) []byte {
	code := "func (s *Store) Get(ctx context.Context, id string) (*Item, error) {\n\tif id == \"\" {\n\t\treturn nil, errors.New(\"store: empty id\")\n\t}\n\trow := s.db.QueryRowContext(ctx, \"SELECT name, price FROM items WHERE id = ?\", id)\n\treturn scan(row)\n}\n"
	var user strings.Builder
	user.WriteString("Please review this function and summarize what it does.\n\n")
	if secret {
		user.WriteString("The deploy uses aws_access_key_id=" + keyID + "; keep that in mind.\n\n")
	}
	for user.Len() < 4000 {
		user.WriteString(code)
	}
	b, _ := json.Marshal(map[string]any{
		"model": "claude-haiku-4-5", "max_tokens": 1024, "stream": stream,
		"system":   []any{map[string]any{"type": "text", "text": "You are an interactive CLI tool that helps users with software engineering tasks."}},
		"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": user.String()}}}},
	})
	return b
}

// handlerTransport answers upstream requests by calling h in-process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

type discardAudit struct{}

func (discardAudit) Append(context.Context, audit.Event) (uint64, error) { return 0, nil }

func fakeAnswer(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	text := "Here is the summary you asked for: the function validates its input."
	if i := bytes.Index(body, []byte(placeholderOpen)); i >= 0 {
		text += " Your key " + string(body[i:i+placeholderLen]) + " is noted."
	}
	if !bytes.Contains(body, []byte(`"stream":true`)) {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(map[string]any{"id": "msg", "type": "message", "role": "assistant",
			"content": []any{map[string]any{"type": "text", "text": text}}, "stop_reason": "end_turn",
			"usage": map[string]int{"input_tokens": 1200, "output_tokens": 40}})
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprint(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1200}}}\n\n")
	fmt.Fprint(w, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for i := 0; i < len(text); i += 16 {
		d, _ := json.Marshal(map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]string{"type": "text_delta", "text": text[i:min(i+16, len(text))]}})
		fmt.Fprintf(w, "event: content_block_delta\ndata: %s\n\n", d)
	}
	fmt.Fprint(w, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
	fmt.Fprint(w, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":40}}\n\n")
	fmt.Fprint(w, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
}

func benchGateway(b *testing.B, stream, secret, realAudit bool) {
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := &Config{Timeout: Duration(5e9), Retries: 1,
		Upstreams: []Upstream{{Name: "up", Provider: "anthropic", URL: "http://upstream.invalid", APIKeyEnv: "K"}},
		Keys:      []Key{{ID: "dev", SHA256: sha(agentKey), Team: "t", Classification: policy.Internal}}}
	var rec Recorder = discardAudit{}
	if realAudit {
		// The log warden gateway serve writes: hash-chained, one write per
		// event, fsync at checkpoints (the defaults).
		l, err := audit.Open(filepath.Join(b.TempDir(), "audit.jsonl"), audit.OptionsFromPolicy(policy.Builtin().Audit, nil))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { l.Close() })
		rec = l
	}
	g, err := New(Options{Config: cfg, Policy: policy.Builtin(), Secrets: eng, Audit: rec,
		Getenv: func(string) string { return "sk" }, PlaceholderKey: []byte("0123456789abcdef0123456789abcdef"),
		Transport: handlerTransport{http.HandlerFunc(fakeAnswer)}})
	if err != nil {
		b.Fatal(err)
	}
	h := g.Handler()
	body := benchBody(stream, secret)
	want := []byte("summary you asked for")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(body))
		req.Header.Set("x-api-key", agentKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Anthropic-Version", "2023-06-01")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || (!stream && !bytes.Contains(rec.Body.Bytes(), want)) {
			b.Fatalf("HTTP %d: %.200s", rec.Code, rec.Body.String())
		}
		if secret && bytes.Contains(rec.Body.Bytes(), []byte(placeholderOpen)) {
			b.Fatalf("placeholder not restored: %.300s", rec.Body.String())
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// says more about the work per request than wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkGateway(b *testing.B) {
	for _, c := range []struct {
		name                  string
		stream, secret, audit bool
	}{
		{"json", false, false, false},
		{"json-audit", false, false, true},
		{"json-secret", false, true, false},
		{"stream", true, false, false},
		{"stream-secret", true, true, false},
	} {
		b.Run(c.name, func(b *testing.B) { benchGateway(b, c.stream, c.secret, c.audit) })
	}
}

// BenchmarkRequestRead compares the ways of reading a 4 KB request: what
// the gateway did before (encoding/json for the head, twice, and a secret
// scan of the raw body, which re-scans JSON-unescaped text) and what it
// does now (one scanRequest pass, one scan of the decoded text).
func BenchmarkRequestRead(b *testing.B) {
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		b.Fatal(err)
	}
	body := benchBody(false, false)
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				f()
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
	var head struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	run("before/json-head", func() { _ = json.Unmarshal(body, &head) })
	run("before/find-raw", func() { eng.Find(body) })
	run("now/scan", func() {
		t := getTexts(len(body))
		_, _ = scanRequest(body, t.add)
		putTexts(t)
	})
	t := getTexts(len(body))
	if _, err := scanRequest(body, t.add); err != nil {
		b.Fatal(err)
	}
	texts := append([]byte(nil), t.b...)
	run("now/find-texts", func() { eng.Find(texts) })
}

// BenchmarkGatewayLoopback is one JSON request at a time through the
// gateway over real loopback sockets (client -> gateway -> upstream, both
// keep-alive) with the real audit log: the per-request cost a served
// request has, network stack included.
func BenchmarkGatewayLoopback(b *testing.B) {
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		b.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(fakeAnswer))
	defer up.Close()
	cfg := &Config{Timeout: Duration(5e9), Retries: 1,
		Upstreams: []Upstream{{Name: "up", Provider: "anthropic", URL: up.URL, APIKeyEnv: "K"}},
		Keys:      []Key{{ID: "dev", SHA256: sha(agentKey), Team: "t", Classification: policy.Internal}}}
	l, err := audit.Open(filepath.Join(b.TempDir(), "audit.jsonl"), audit.OptionsFromPolicy(policy.Builtin().Audit, nil))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	g, err := New(Options{Config: cfg, Policy: policy.Builtin(), Secrets: eng, Audit: l,
		Getenv: func(string) string { return "sk" }, PlaceholderKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		b.Fatal(err)
	}
	gw := httptest.NewServer(g.Handler())
	defer gw.Close()
	body := benchBody(false, false)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/messages", bytes.NewReader(body))
		req.Header.Set("x-api-key", agentKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("HTTP %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkAnswerUsage: reading the token counts of a JSON answer, the
// way the gateway did (encoding/json into a struct) and does.
func BenchmarkAnswerUsage(b *testing.B) {
	data, _ := json.Marshal(map[string]any{
		"id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
		"content":     []any{map[string]any{"type": "text", "text": "Here is the summary you asked for: the function validates its input and returns early on error."}},
		"stop_reason": "end_turn", "stop_sequence": nil,
		"usage": map[string]int{"input_tokens": 1200, "output_tokens": 40},
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			usageByEncodingJSON(data)
		}
	})
	b.Run("answerUsage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			answerUsage(data)
		}
	})
}
