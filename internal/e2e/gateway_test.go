package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/gateway/confidentialtest"
)

// The gateway end-to-end tests run the real Claude Code client with
// ANTHROPIC_BASE_URL pointing at `warden gateway serve` (the real binary,
// as a user runs it), and the gateway pointed at a fake Anthropic API on
// 127.0.0.1 that records what reached it and echoes the placeholders it
// saw, so that the way back (restoring secrets in a streamed answer) is
// exercised by the client's own parser.

// Virtual keys of the test gateway; the config holds only their hashes.
const (
	gwKeyInternal   = "wvk_e2e_internal_key_0001"
	gwKeyRestricted = "wvk_e2e_restricted_key_0001"
)

// gwPolicy lets internal code go to Claude Haiku only; restricted code may
// go to any Anthropic model but only through an attested confidential
// upstream. attestation is the models.attestation section that trusts the
// fake confidential upstreams' measurements.
func gwPolicy(attestation string) string {
	return `version: 1
models:
  allow:
    internal: ["anthropic/claude-haiku-*"]
    restricted: ["anthropic/*"]
  require_attestation: [restricted]
  secrets: redact
` + attestation
}

var placeholderRE = regexp.MustCompile(`\[\[warden:[0-9a-f]{12}\]\]`)

// echoUpstream is a fake Anthropic Messages API that answers every request
// with text quoting the placeholders found in it. Streamed answers are
// cut into small text deltas so that every placeholder straddles an event
// boundary: the gateway must hold back and reassemble it.
type echoUpstream struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []string
	paths    []string
}

func newEchoUpstream(t *testing.T) *echoUpstream {
	u := &echoUpstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *echoUpstream) Requests() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.requests...)
}

// echoReply is the answer's text for a request body.
func echoReply(body string) string {
	seen := map[string]bool{}
	var phs []string
	for _, p := range placeholderRE.FindAllString(body, -1) {
		if !seen[p] {
			seen[p] = true
			phs = append(phs, p)
		}
	}
	if len(phs) == 0 {
		return "ECHO: no placeholder reached me."
	}
	return "ECHO: the credentials you gave me are " + strings.Join(phs, " and ") + ". Done."
}

func (u *echoUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.requests = append(u.requests, string(body))
	u.paths = append(u.paths, r.URL.Path)
	u.mu.Unlock()
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/v1/messages") {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/count_tokens") {
		writeJSON(w, map[string]int{"input_tokens": 10})
		return
	}
	var req anthropicRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	text := echoReply(string(body))
	if !req.Stream {
		writeJSON(w, map[string]any{
			"id": "msg_echo", "type": "message", "role": "assistant", "model": req.Model,
			"content":     []any{map[string]any{"type": "text", "text": text}},
			"stop_reason": "end_turn", "usage": map[string]int{"input_tokens": 10, "output_tokens": 5},
		})
		return
	}
	events := []sseEvent{
		event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
			"id": "msg_echo", "type": "message", "role": "assistant", "model": req.Model, "content": []any{},
			"stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 10, "output_tokens": 1}}}),
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
			"content_block": map[string]any{"type": "text", "text": ""}}),
	}
	// 7-byte pieces: a 23-byte placeholder always spans 4 or 5 events.
	for i := 0; i < len(text); i += 7 {
		piece := text[i:min(i+7, len(text))]
		events = append(events, event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": piece}}))
	}
	events = append(events,
		event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}),
		event("message_delta", map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 5}}),
		event("message_stop", map[string]any{"type": "message_stop"}),
	)
	sse(w, events...)
}

// gatewayProc is a running `warden gateway serve`.
type gatewayProc struct {
	url string
	dir string // its working directory (policy, config, audit log)

	mu     sync.Mutex
	stderr []byte
}

func (g *gatewayProc) Stderr() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return string(g.stderr)
}

func gwKeyHash(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}

// startGateway writes the policy and config into a fresh directory, starts
// the warden binary there on a free loopback port and waits until it
// listens. The process is interrupted when the test ends.
func startGateway(t *testing.T, policy, config string, env ...string) *gatewayProc {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"warden.yaml": policy, "gateway.yaml": config} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(wardenBin, "gateway", "serve", "--config", "gateway.yaml", "--listen", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = baseEnv(t.TempDir(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gatewayProc{dir: dir}
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			g.mu.Lock()
			g.stderr = append(append(g.stderr, line...), '\n')
			g.mu.Unlock()
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "gateway listening" {
				select {
				case addr <- rec.Addr:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		exited := make(chan struct{})
		go func() { <-done; _ = cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("warden gateway did not stop within 10s of SIGINT")
		}
	})
	select {
	case a := <-addr:
		g.url = "http://" + a
	case <-done:
		t.Fatalf("warden gateway serve exited before listening; stderr:\n%s", tail(g.Stderr()))
	case <-time.After(30 * time.Second):
		t.Fatalf("warden gateway serve did not listen within 30s; stderr:\n%s", tail(g.Stderr()))
	}
	return g
}

// auditEvents returns the gateway's audit log, raw and decoded.
func (g *gatewayProc) auditEvents(t *testing.T) (string, []gwAuditEvent) {
	t.Helper()
	path := filepath.Join(g.dir, ".warden", "audit", "audit.jsonl")
	// Appends seal in batches (the gateway seals what waits every 250 ms):
	// seal first, as every reader of the log does.
	l, err := audit.Open(path, audit.Options{})
	if err != nil {
		t.Fatalf("opening the gateway's audit log: %v", err)
	}
	_, err = l.Seal(context.Background())
	l.Close()
	if err != nil {
		t.Fatalf("sealing the gateway's audit log: %v", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the gateway's audit log: %v", err)
	}
	var evs []gwAuditEvent
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e gwAuditEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit log line is not JSON: %v", err)
		}
		if e.Kind == "gateway.request" {
			evs = append(evs, e)
		}
	}
	return string(raw), evs
}

type gwAuditEvent struct {
	Kind     string   `json:"kind"`
	Decision string   `json:"decision"`
	Summary  string   `json:"summary"`
	Rules    []string `json:"rules"`
	Reasons  []string `json:"reasons"`
	Actor    struct {
		User string `json:"user"`
	} `json:"actor"`
}

// claudeViaGateway runs one `claude -p` session in a fresh project (no
// warden hooks: only the gateway stands between the client and the model)
// with the gateway as its Anthropic API and a virtual key as its API key.
func claudeViaGateway(t *testing.T, gw *gatewayProc, key, model, prompt string) string {
	t.Helper()
	dir, home := project(t, map[string]string{"README.md": "demo\n"})
	env := baseEnv(home,
		"IS_SANDBOX=1",
		"ANTHROPIC_BASE_URL="+gw.url,
		"ANTHROPIC_API_KEY="+key,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1",
	)
	return run(t, dir, env, client(t, "claude"), "-p", prompt, "--model", model,
		"--output-format", "json", "--dangerously-skip-permissions")
}

// claudeResult decodes the final JSON object of `claude -p --output-format json`.
func claudeResult(t *testing.T, out string) (result string, isError bool) {
	t.Helper()
	i := strings.LastIndex(out, "\n{") + 1 // the result is the last line
	if !strings.Contains(out[i:], `"type":"result"`) {
		t.Fatalf("claude printed no JSON result; output:\n%s", redactPlanted(tail(out)))
	}
	var r struct {
		Result  string `json:"result"`
		IsError bool   `json:"is_error"`
	}
	if err := json.NewDecoder(strings.NewReader(out[i:])).Decode(&r); err != nil {
		t.Fatalf("claude's JSON result does not decode: %v; output:\n%s", err, redactPlanted(tail(out)))
	}
	return r.Result, r.IsError
}

func TestClaudeCodeThroughGateway(t *testing.T) {
	t.Parallel()
	up := newEchoUpstream(t)
	// Two confidential upstreams (HTTPS on 127.0.0.1, SEV-SNP evidence
	// signed by go-sev-guest's test-only AMD chain, bound to their TLS
	// keys): Sonnet on one whose evidence verifies, Haiku on one whose
	// report was altered after signing. Both serve the same echo API.
	goodTEE := confidentialtest.New(t, http.HandlerFunc(up.serve))
	badTEE := confidentialtest.New(t, http.HandlerFunc(up.serve))
	badTEE.SetMode(confidentialtest.BadSignature)
	config := fmt.Sprintf(`upstreams:
  - name: fake-anthropic
    provider: anthropic
    url: %s
    api_key_env: E2E_PROVIDER_KEY
    models: ["claude-haiku-*", "claude-opus-*"]
%s    models: ["claude-sonnet-*"]
%s    models: ["claude-haiku-*"]
keys:
  - id: dev-internal
    sha256: %s
    team: payments
    classification: internal
  - id: dev-restricted
    sha256: %s
    team: crypto
    classification: restricted
`, up.srv.URL, goodTEE.ConfigYAML("tee-good", "anthropic"), badTEE.ConfigYAML("tee-bad", "anthropic"),
		gwKeyHash(gwKeyInternal), gwKeyHash(gwKeyRestricted))
	const providerKey = "sk-ant-e2e-provider-key-never-to-the-agent"
	// The two fakes report the same measurement; the policy lists it once.
	gw := startGateway(t, gwPolicy(goodTEE.PolicyYAML()), config, "E2E_PROVIDER_KEY="+providerKey)

	// The subtests share the gateway and the upstream; each tags its
	// prompt so that what reached the upstream can be told apart.
	t.Run("secret in the prompt is redacted upstream and restored in the streamed answer", func(t *testing.T) {
		t.Parallel()
		prompt := "TASK-GW-SECRET: store these for the deploy: aws_access_key_id=" + plantedKeyID +
			" aws_secret_access_key=" + plantedSecret + " and repeat them back to me."
		out := claudeViaGateway(t, gw, gwKeyInternal, "claude-haiku-4-5", prompt)
		result, isErr := claudeResult(t, out)

		var mine []string
		for _, q := range up.Requests() {
			if strings.Contains(q, "TASK-GW-SECRET") {
				mine = append(mine, q)
			}
		}
		if len(mine) == 0 {
			t.Fatalf("no request of this session reached the upstream; claude output:\n%s", redactPlanted(tail(out)))
		}
		for _, q := range mine {
			if strings.Contains(q, plantedKeyID) || strings.Contains(q, plantedSecret) {
				t.Fatalf("the upstream received a planted secret in clear")
			}
			if len(placeholderRE.FindAllString(q, -1)) < 2 {
				t.Errorf("the upstream request lacks the two placeholders")
			}
			if strings.Contains(q, gwKeyInternal) {
				t.Errorf("the virtual key reached the upstream")
			}
		}
		if isErr {
			t.Fatalf("claude reported an error: %q", redactPlanted(result))
		}
		// The fake echoed placeholders cut across 7-byte deltas; the client
		// must see the real values, whole, and no placeholder.
		if !strings.Contains(result, plantedKeyID) || !strings.Contains(result, plantedSecret) {
			t.Errorf("claude's answer does not carry the restored secrets: %q", redactPlanted(result))
		}
		if strings.Contains(result, "[[warden:") {
			t.Errorf("claude's answer still holds a placeholder: %q", redactPlanted(result))
		}
		if !strings.HasPrefix(result, "ECHO: the credentials you gave me are ") {
			t.Errorf("claude's answer is not the upstream's echo: %q", redactPlanted(result))
		}
	})

	t.Run("a model the policy does not allow is refused and claude shows why", func(t *testing.T) {
		t.Parallel()
		out := claudeViaGateway(t, gw, gwKeyInternal, "claude-opus-5-5", "TASK-GW-MODEL: say hello")
		for _, q := range up.Requests() {
			if strings.Contains(q, "TASK-GW-MODEL") {
				t.Fatalf("a request for the disallowed model reached the upstream")
			}
		}
		result, isErr := claudeResult(t, out)
		if !isErr {
			t.Errorf("claude did not report an error for the refused model: %q", result)
		}
		mustContain(t, "claude's result", result, "the policy does not allow model anthropic/claude-opus-5-5 to see internal code")
		mustContain(t, "claude's result", result, "anthropic/claude-haiku-*")
		refusalShownAsIs(t, result)
	})

	t.Run("restricted code to a confidential upstream with bad evidence is refused", func(t *testing.T) {
		t.Parallel()
		out := claudeViaGateway(t, gw, gwKeyRestricted, "claude-haiku-4-5", "TASK-GW-RESTRICTED: summarize the crypto module")
		for _, q := range up.Requests() {
			if strings.Contains(q, "TASK-GW-RESTRICTED") {
				t.Fatalf("restricted code reached an upstream whose attestation failed")
			}
		}
		if badTEE.EvidenceCalls() == 0 {
			t.Errorf("the gateway never asked the confidential upstream for its evidence")
		}
		result, isErr := claudeResult(t, out)
		if !isErr {
			t.Errorf("claude did not report an error for the refused request: %q", result)
		}
		mustContain(t, "claude's result", result, "requires an attested confidential upstream, and none verified")
		mustContain(t, "claude's result", result, "signature")
		refusalShownAsIs(t, result)
	})

	t.Run("restricted code to a confidential upstream whose evidence verifies goes through", func(t *testing.T) {
		t.Parallel()
		out := claudeViaGateway(t, gw, gwKeyRestricted, "claude-sonnet-4-5", "TASK-GW-ATTESTED: summarize the crypto module")
		result, isErr := claudeResult(t, out)
		if isErr || !strings.HasPrefix(result, "ECHO:") {
			t.Fatalf("claude did not get the attested upstream's answer: error %v, %q", isErr, redactPlanted(result))
		}
		if goodTEE.EvidenceCalls() == 0 {
			t.Errorf("the answer came without the upstream's evidence being fetched")
		}
	})

	t.Cleanup(func() {
		// After every session: the audit log has each request, with who,
		// model, classification, redactions and decision, and never the
		// prompt text, a secret or a key.
		raw, evs := gw.auditEvents(t)
		for _, leak := range []string{"TASK-GW", plantedKeyID, plantedSecret, gwKeyInternal, gwKeyRestricted, providerKey} {
			if strings.Contains(raw, leak) {
				t.Errorf("the audit log contains %q (prompt text, a secret or a key)", redactPlanted(leak))
			}
		}
		var redacted, refusedModel, refusedRestricted, attested bool
		for _, e := range evs {
			switch {
			case e.Decision == "allow" && e.Actor.User == "dev-internal" && strings.Contains(e.Summary, "model=anthropic/claude-haiku-4-5") &&
				!strings.Contains(e.Summary, "redactions=0") && contains(e.Rules, "aws-access-key-id") && contains(e.Rules, "aws-secret-access-key"):
				redacted = true
			case e.Decision == "deny" && e.Actor.User == "dev-internal" && strings.Contains(e.Summary, "model=anthropic/claude-opus-5-5"):
				refusedModel = true
			case e.Decision == "deny" && e.Actor.User == "dev-restricted" && strings.Contains(e.Summary, "classification=restricted") &&
				len(e.Reasons) == 1 && strings.Contains(e.Reasons[0], "attest"):
				refusedRestricted = true
			case e.Decision == "allow" && e.Actor.User == "dev-restricted" && strings.Contains(e.Summary, "upstream=tee-good"):
				attested = true
			}
		}
		if !redacted || !refusedModel || !refusedRestricted || !attested {
			t.Errorf("audit log misses events: redacted request %v, refused model %v, refused restricted %v, attested %v; events:\n%s",
				redacted, refusedModel, refusedRestricted, attested, redactPlanted(tail(raw)))
		}
		// Structured logs carry no content either.
		logs := gw.Stderr()
		for _, leak := range []string{plantedKeyID, plantedSecret, "TASK-GW"} {
			if strings.Contains(logs, leak) {
				t.Errorf("the gateway's log contains %q", redactPlanted(leak))
			}
		}
	})
}

// refusalShownAsIs checks that Claude Code shows a gateway refusal as the
// policy's reason, not as a failed login: it prints a 403 as "Failed to
// authenticate. API Error: 403 ...", a 400 as "API Error: 400 <message>".
func refusalShownAsIs(t *testing.T, result string) {
	t.Helper()
	if strings.Contains(result, "Failed to authenticate") || !strings.HasPrefix(result, "API Error: 400 warden gateway: ") {
		t.Errorf("claude shows the refusal as %q, want \"API Error: 400 warden gateway: <reason>\"", result)
	}
}

// The OpenAI face: Codex (Responses API) and Copilot CLI (Chat
// Completions) pointed at the gateway with a model the policy does not
// allow show warden's reason to their user, not an authentication
// failure (Copilot CLI replaces a 403's message by "Authentication failed
// with provider ... Check your COPILOT_PROVIDER_API_KEY").
func TestOpenAIClientsThroughGatewayRefusal(t *testing.T) {
	t.Parallel()
	up := newEchoUpstream(t)
	config := fmt.Sprintf(`upstreams:
  - name: fake-openai
    provider: openai
    url: %s
    api_key_env: E2E_PROVIDER_KEY
keys:
  - id: dev-internal
    sha256: %s
    team: payments
    classification: internal
`, up.srv.URL, gwKeyHash(gwKeyInternal))
	// Internal code may go to Claude Haiku only: every OpenAI model is refused.
	gw := startGateway(t, gwPolicy(""), config, "E2E_PROVIDER_KEY=sk-e2e-provider")
	const reason = "the policy does not allow model openai/%s to see internal code (allowed: anthropic/claude-haiku-*)"

	t.Run("codex", func(t *testing.T) {
		t.Parallel()
		dir, home := project(t, map[string]string{"README.md": "demo\n"})
		codexHome := filepath.Join(home, ".codex")
		if err := os.MkdirAll(codexHome, 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := fmt.Sprintf(`model = "gpt-5.5"
model_provider = "warden"
approval_policy = "never"
sandbox_mode = "danger-full-access"

[model_providers.warden]
name = "warden"
base_url = "%s/v1"
wire_api = "responses"
env_key = "WARDEN_KEY"
`, gw.url)
		if err := os.WriteFile(filepath.Join(codexHome, "config.toml"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		out := run(t, dir, baseEnv(home, "CODEX_HOME="+codexHome, "WARDEN_KEY="+gwKeyInternal),
			client(t, "codex"), "exec", "--skip-git-repo-check", "--json", "TASK-GW-CODEX: say hello")
		var failed string
		for _, line := range strings.Split(out, "\n") {
			var ev struct {
				Type  string `json:"type"`
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "turn.failed" {
				failed = ev.Error.Message
			}
		}
		if failed == "" {
			t.Fatalf("codex reported no failed turn for the refused model; output:\n%s", tail(out))
		}
		// Codex shows a 400's error body as it came.
		mustContain(t, "codex's turn.failed message", failed, fmt.Sprintf(reason, "gpt-5.5"))
		mustContain(t, "codex's turn.failed message", failed, "model_not_allowed")
	})

	t.Run("copilot", func(t *testing.T) {
		t.Parallel()
		dir, home := project(t, map[string]string{"README.md": "demo\n"})
		env := baseEnv(home,
			"COPILOT_PROVIDER_BASE_URL="+gw.url+"/v1",
			"COPILOT_PROVIDER_API_KEY="+gwKeyInternal,
			"COPILOT_MODEL=gpt-5.4",
			"COPILOT_OFFLINE=true",
			"COPILOT_AUTO_UPDATE=false",
			"COPILOT_HOME="+filepath.Join(home, ".copilot"))
		out := run(t, dir, env, client(t, "copilot"), "-p", "TASK-GW-COPILOT: say hello", "--allow-all-tools", "--trust-folder", "--output-format", "json")
		var shown string
		for _, line := range strings.Split(out, "\n") {
			var ev struct {
				Type string `json:"type"`
				Data struct {
					ErrorType string `json:"errorType"`
					Message   string `json:"message"`
				} `json:"data"`
			}
			if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "session.error" {
				shown = ev.Data.ErrorType + ": " + ev.Data.Message
			}
		}
		if shown == "" {
			t.Fatalf("copilot reported no session error for the refused model; output:\n%s", tail(out))
		}
		mustContain(t, "copilot's session.error", shown, fmt.Sprintf(reason, "gpt-5.4"))
		if strings.Contains(shown, "Authentication failed") {
			t.Errorf("copilot shows the refusal as an authentication failure: %q", shown)
		}
	})

	t.Cleanup(func() {
		for _, q := range up.Requests() {
			if strings.Contains(q, "TASK-GW-CODEX") || strings.Contains(q, "TASK-GW-COPILOT") {
				t.Errorf("a request for a refused model reached the upstream")
			}
		}
	})
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// redactPlanted masks the planted secrets in text put into a failure
// message.
func redactPlanted(s string) string {
	return strings.NewReplacer(plantedKeyID, "<planted key id>", plantedSecret, "<planted secret>").Replace(s)
}
