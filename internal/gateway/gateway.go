// Package gateway is warden's model gateway: an HTTP proxy that coding
// agents point at (ANTHROPIC_BASE_URL) so that the policy's models section
// is enforced on the way to the model: only a virtual key gets in, code of
// a classification reaches only the models allowed for it, secrets in
// prompts are replaced by placeholders before they leave and restored in
// the answer, and every request is audited without its content.
package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wardenhq/warden/internal/attest"
	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

// MaxBody is the largest request body accepted.
const MaxBody = 32 << 20

// HeaderClassification lets a client raise (never lower) the
// classification its key carries, e.g. for a more sensitive repository.
const HeaderClassification = "X-Warden-Classification"

// Recorder receives one audit event per request.
type Recorder interface {
	Append(ctx context.Context, e audit.Event) (uint64, error)
}

// Gateway serves the proxy.
type Gateway struct {
	cfg     *Config
	pol     *policy.Effective
	secrets *secrets.Engine
	getenv  func(string) string
	client  *http.Client
	audit   Recorder
	log     *slog.Logger
	// phKey keys the placeholder HMAC so that placeholders reveal nothing
	// about the secret even to someone who can guess candidates.
	phKey   []byte
	metrics *metrics
	limits  *limiter
	now     func() time.Time
	// keys maps the SHA-256 of each virtual key to its entry.
	keys map[[sha256.Size]byte]*Key
	// providerKeys are the upstreams' keys (api_key_env), read from the
	// environment once, as header values.
	providerKeys map[*Upstream]*providerKey
	// attestors attest the confidential upstreams, by name.
	attestors map[string]*attestor
	// vendor fetches JWKS and attestation collateral.
	vendor      *http.Client
	vendorMu    sync.Mutex
	vendorCache map[string]cachedAnswer
}

// providerKey is an upstream's key as the two header values that carry it
// (x-api-key for Anthropic, Authorization: Bearer for OpenAI).
type providerKey struct{ plain, bearer []string }

// Options are what a Gateway needs from outside.
type Options struct {
	Config  *Config
	Policy  *policy.Effective
	Secrets *secrets.Engine
	Getenv  func(string) string
	Audit   Recorder // may be nil
	Logger  *slog.Logger
	// PlaceholderKey: 32 random bytes per gateway process.
	PlaceholderKey []byte
	Transport      http.RoundTripper
	// UpstreamRoots, if set, are the CA roots for confidential upstreams'
	// TLS certificates (tests); otherwise each upstream's
	// attestation.ca_file, or the system roots.
	UpstreamRoots *x509.CertPool
	// VendorClient fetches the JWKS (models.attestation.jwks_url) and, with
	// collateral: fetch, AMD KDS / Intel PCS collateral. Default: a client
	// with a 30 s timeout.
	VendorClient *http.Client
}

// New builds a Gateway.
func New(o Options) (*Gateway, error) {
	if o.Config == nil || o.Policy == nil || o.Secrets == nil {
		return nil, errors.New("gateway: config, policy and secrets engine are required")
	}
	if len(o.PlaceholderKey) < 16 {
		return nil, errors.New("gateway: placeholder key too short")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	tr := o.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy: nil,
			// Keep-alive connections to each upstream, enough for bursts:
			// a new TCP (and TLS) connection per request costs more than
			// everything else the gateway does.
			MaxIdleConns:          1024,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: time.Duration(o.Config.Timeout),
			ForceAttemptHTTP2:     true,
			// The answer is passed on as the upstream sends it: no
			// transparent gzip, which would hold back streamed events
			// and cost a decompression per answer.
			DisableCompression: true,
			WriteBufferSize:    32 << 10,
			ReadBufferSize:     32 << 10,
		}
	}
	g := &Gateway{
		cfg: o.Config, pol: o.Policy, secrets: o.Secrets, getenv: o.Getenv,
		client: &http.Client{Transport: tr}, audit: o.Audit, log: o.Logger,
		phKey: o.PlaceholderKey, metrics: newMetrics(), now: time.Now,
		vendor: o.VendorClient, vendorCache: map[string]cachedAnswer{},
	}
	if g.vendor == nil {
		g.vendor = &http.Client{Timeout: 30 * time.Second}
	}
	g.limits = newLimiter(func() time.Time { return g.now() })
	g.keys = make(map[[sha256.Size]byte]*Key, len(o.Config.Keys))
	for i := range o.Config.Keys {
		var h [sha256.Size]byte
		if n, err := hex.Decode(h[:], []byte(o.Config.Keys[i].SHA256)); err != nil || n != sha256.Size {
			return nil, fmt.Errorf("gateway: key %s: sha256 is not 64 hex digits", o.Config.Keys[i].ID)
		}
		if g.keys[h] != nil {
			return nil, fmt.Errorf("gateway: keys %s and %s are the same key", g.keys[h].ID, o.Config.Keys[i].ID)
		}
		g.keys[h] = &o.Config.Keys[i]
	}
	g.providerKeys = map[*Upstream]*providerKey{}
	for i := range o.Config.Upstreams {
		if u := &o.Config.Upstreams[i]; u.APIKeyEnv != "" {
			k := g.getenv(u.APIKeyEnv)
			g.providerKeys[u] = &providerKey{plain: []string{k}, bearer: []string{"Bearer " + k}}
		}
	}
	var err error
	if g.attestors, err = newAttestors(g, o); err != nil {
		return nil, err
	}
	return g, nil
}

// Run re-attests every confidential upstream on a schedule until ctx is
// done: once at start, then before each attestation expires
// (models.attestation.max_age), so requests rarely wait for one. Without
// Run, attestation happens on demand before a request. It returns when ctx
// is done.
func (g *Gateway) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, a := range g.attestors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.loop(ctx)
		}()
	}
	wg.Wait()
}

// Handler is the gateway's HTTP surface.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	// Each route forwards to the same fixed path upstream: nothing of the
	// request's own path reaches an upstream URL.
	for _, rt := range []struct {
		path string
		api  *api
	}{
		{"/v1/messages", apiMessages},
		{"/v1/messages/count_tokens", apiMessages},
		{"/v1/chat/completions", apiChat},
		{"/v1/responses", apiResponses},
	} {
		mux.HandleFunc("POST "+rt.path, g.serve(rt.api, rt.path))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /metrics", g.metrics.serve)
	return mux
}

// request is what the gateway learns about one call.
type request struct {
	api            *api
	key            *Key
	classification policy.Classification
	model          string // the real model, aliases resolved
	alias          string // the alias the client asked for, if any
	stream         bool
	redacted       []secrets.Match
	upstream       string
	attested       string // verified evidence of a confidential upstream
	status         int
	inTokens       int
	outTokens      int
}

// api is one of the model APIs the gateway speaks.
type api struct {
	name string
	// provider is the upstream provider that speaks it and the prefix of
	// the qualified model names the policy matches.
	provider string
	// passHeaders are forwarded from the client to the upstream.
	passHeaders []string
	// answerHeaders are copied from the upstream's answer; a header with
	// one of answerPrefixes too.
	answerHeaders  []string
	answerPrefixes []string
}

var (
	apiMessages = &api{name: "messages", provider: "anthropic",
		passHeaders:    canonical("Content-Type", "Accept", "Anthropic-Version", "Anthropic-Beta", "User-Agent"),
		answerHeaders:  []string{"Content-Type", "Request-Id", "Anthropic-Organization-Id", "Retry-After"},
		answerPrefixes: []string{"anthropic-ratelimit-"}}
	openaiPass    = canonical("Content-Type", "Accept", "User-Agent", "OpenAI-Organization", "OpenAI-Project", "OpenAI-Beta")
	openaiAnswer  = []string{"Content-Type", "X-Request-Id", "Openai-Processing-Ms", "Retry-After"}
	openaiPrefix  = []string{"x-ratelimit-"}
	apiChat       = &api{name: "chat", provider: "openai", passHeaders: openaiPass, answerHeaders: openaiAnswer, answerPrefixes: openaiPrefix}
	apiResponses  = &api{name: "responses", provider: "openai", passHeaders: openaiPass, answerHeaders: openaiAnswer, answerPrefixes: openaiPrefix}
	openaiErrCode = map[string]string{
		"authentication_error":  "invalid_api_key",
		"invalid_request_error": "invalid_request",
		"request_too_large":     "request_too_large",
		"rate_limit_error":      "rate_limit_exceeded",
		"api_error":             "upstream_error",
	}
)

// canonical returns header names in their canonical form, the keys of an
// http.Header.
func canonical(names ...string) []string {
	for i, n := range names {
		names[i] = http.CanonicalHeaderKey(n)
	}
	return names
}

// error answers in the API's own error shape, so the agent shows the
// reason to its user: Anthropic's {"type":"error","error":{...}} or
// OpenAI's {"error":{"message","type","code"}}.
func (a *api) error(w http.ResponseWriter, status int, typ, msg string) {
	a.writeError(w, status, typ, openaiErrCode[typ], msg)
}

// refuse answers a policy refusal (a model the policy does not allow, an
// upstream whose attestation failed, a budget the gateway cannot price):
// HTTP 400 with the API's invalid_request_error, code naming the refusal
// on the OpenAI face. Every client shows a 400's message as it is
// (Claude Code 2.1.330: "API Error: 400 <message>"; Codex 0.169.0 the
// error body; Copilot CLI 1.0.102: "400 <message>"), while a 403 hides
// it: Claude Code prefixes it with "Failed to authenticate." and Copilot
// CLI replaces it by "Authentication failed with provider ... Check your
// COPILOT_PROVIDER_API_KEY". 401 stays for a bad virtual key and 429 for
// rate limits (docs/GATEWAY.md, "Errors the agent shows").
func (a *api) refuse(w http.ResponseWriter, code, msg string) {
	a.writeError(w, statusRefused, "invalid_request_error", code, msg)
}

// statusRefused is the HTTP status of a policy refusal (see refuse).
const statusRefused = http.StatusBadRequest

func (a *api) writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var b []byte
	if a.provider == "openai" {
		b, _ = json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": code}})
	} else {
		b, _ = json.Marshal(map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg}})
	}
	w.Write(b)
}

var classRank = map[policy.Classification]int{policy.Public: 0, policy.Internal: 1, policy.Confidential: 2, policy.Restricted: 3}

func (g *Gateway) authenticate(r *http.Request) *Key {
	tok := r.Header.Get("x-api-key")
	if tok == "" {
		tok, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if tok == "" {
		return nil
	}
	// The lookup is by the SHA-256 of the presented token: its timing
	// tells nothing about any configured key.
	return g.keys[sha256.Sum256([]byte(tok))]
}

func (g *Gateway) serve(a *api, upstreamPath string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { g.handle(a, upstreamPath, w, r) }
}

func (g *Gateway) handle(a *api, upstreamPath string, w http.ResponseWriter, r *http.Request) {
	start := g.now()
	rq := &request{api: a}
	apiError := a.error
	decision, reason := audit.DecisionDeny, ""
	defer func() {
		g.metrics.observe(decision, len(rq.redacted), g.now().Sub(start))
		g.record(r.Context(), rq, decision, reason)
	}()

	rq.key = g.authenticate(r)
	if rq.key == nil {
		reason = "no valid virtual key"
		apiError(w, http.StatusUnauthorized, "authentication_error", "warden gateway: a valid warden virtual key is required (x-api-key); provider keys are not accepted here")
		return
	}
	rq.classification = rq.key.Classification
	if h := policy.Classification(strings.ToLower(r.Header.Get(HeaderClassification))); h != "" {
		rank, ok := classRank[h]
		if !ok {
			reason = "bad classification header"
			apiError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("warden gateway: %s %q is not one of public, internal, confidential, restricted", HeaderClassification, h))
			return
		}
		if rank > classRank[rq.classification] {
			rq.classification = h
		}
	}
	body, err := readBody(r)
	if err != nil || len(body) > MaxBody {
		reason = "request body unreadable or too large"
		apiError(w, http.StatusRequestEntityTooLarge, "request_too_large", "warden gateway: request body unreadable or over 32 MiB")
		return
	}
	// One pass reads the head and collects every string's text for the
	// secret scan (see scanRequest).
	texts := getTexts(len(body))
	defer putTexts(texts)
	head, err := scanRequest(body, texts.add)
	if err != nil || head.Model == "" {
		reason = "request is not a " + a.name + " request"
		msg := "warden gateway: the body must be a JSON " + a.name + " request with a model"
		if err != nil {
			msg += ": " + err.Error()
		}
		apiError(w, http.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	rq.model, rq.stream = head.Model, head.Stream
	if real, ok := g.cfg.Aliases[rq.model]; ok {
		provider, model, _ := strings.Cut(real, "/")
		if provider != a.provider {
			reason = fmt.Sprintf("alias %s names %s, not a %s model", rq.model, real, a.provider)
			apiError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf(
				"warden gateway: model alias %q stands for %q, which this API (%s) cannot call", rq.model, real, a.provider))
			return
		}
		rq.alias, rq.model = rq.model, model
	}

	qualified := a.provider + "/" + rq.model
	if !g.pol.ModelAllowed(rq.classification, qualified) {
		reason = fmt.Sprintf("model %s not allowed for %s code", qualified, rq.classification)
		allowed := g.pol.Models.Allow[rq.classification]
		a.refuse(w, "model_not_allowed", fmt.Sprintf(
			"warden gateway: the policy does not allow model %s to see %s code (allowed: %s). Choose an allowed model or ask your security team.",
			plainOrQuoted(qualified), rq.classification, listOrNone(allowed)))
		return
	}
	needAttestation := slices.Contains(g.pol.Models.RequireAttestation, rq.classification)

	ph := newPlaceholders(g.phKey)
	out, found, err := redactBody(g.secrets, body, texts, ph)
	if err != nil {
		reason = "request body is not JSON"
		apiError(w, http.StatusBadRequest, "invalid_request_error", "warden gateway: "+err.Error())
		return
	}
	rq.redacted = found
	if rq.alias != "" {
		if out, err = setModel(out, rq.model); err != nil {
			reason = "request body is not a JSON object"
			apiError(w, http.StatusBadRequest, "invalid_request_error", "warden gateway: "+err.Error())
			return
		}
	}
	if len(found) > 0 && g.pol.Models.Secrets == "block" {
		reason = "prompt contains secrets: " + joinIDs(found)
		apiError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf(
			"warden gateway: the request contains what looks like secrets (%s); the policy blocks such requests. Remove them and retry.", joinIDs(found)))
		return
	}

	if rq.key.Limits.any() {
		// Input tokens are estimated at one per 3 bytes of the body, the
		// answer at its cap; usage is settled with the upstream's counts.
		estOut := max(head.MaxTokens, head.MaxCompletionTokens, head.MaxOutputTokens)
		res, ref := g.limits.admit(rq.key, int64(len(out)/3), estOut, g.cfg.price(qualified))
		if ref != nil {
			reason = "limit " + ref.limit + ": " + ref.msg
			g.metrics.limited(rq.key.ID, ref.limit)
			if ref.retryAfter <= 0 {
				// No wait makes it pass (a budget without a price): a
				// refusal the user must see, not a rate limit to retry.
				a.refuse(w, "limit_"+ref.limit, "warden gateway: "+ref.msg+".")
				return
			}
			w.Header().Set("Retry-After", fmt.Sprint(int64(math.Ceil(ref.retryAfter.Seconds()))))
			apiError(w, http.StatusTooManyRequests, "rate_limit_error", "warden gateway: "+ref.msg+".")
			return
		}
		defer func() {
			cost := g.limits.settle(res, int64(rq.inTokens), int64(rq.outTokens), rq.status/100 == 2)
			g.metrics.spent(rq.key.ID, cost)
		}()
	}
	defer func() { g.metrics.tokens(rq.key.ID, rq.inTokens, rq.outTokens) }()

	resp, up, att, err := g.forward(a, upstreamPath, r, out, rq.model, needAttestation)
	var refusal *attestRefusal
	if errors.As(err, &refusal) {
		for _, f := range refusal.failures {
			g.metrics.refused(f.upstream, f.check)
		}
		rq.status = statusRefused
		if needAttestation {
			reason = fmt.Sprintf("%s code requires an attested confidential upstream: %s", rq.classification, refusal.detail())
			a.refuse(w, "attestation_failed", fmt.Sprintf(
				"warden gateway: %s code requires an attested confidential upstream, and none verified (%s). The request was not sent; ask your security team to check the upstream's attestation.",
				rq.classification, refusal.detail()))
		} else {
			reason = "attestation failed: " + refusal.detail()
			a.refuse(w, "attestation_failed", fmt.Sprintf(
				"warden gateway: the confidential upstream for this model failed attestation (%s). The request was not sent.", refusal.detail()))
		}
		return
	}
	if att != nil {
		rq.attested = att.summary()
	}
	if err != nil {
		decision = audit.DecisionAllow
		reason = "upstream failed: " + err.Error()
		rq.status = http.StatusBadGateway
		apiError(w, http.StatusBadGateway, "api_error", "warden gateway: no upstream answered: "+err.Error())
		return
	}
	defer resp.Body.Close()
	rq.upstream, rq.status = up.Name, resp.StatusCode
	decision = audit.DecisionAllow

	for _, h := range a.answerHeaders {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	for k, v := range resp.Header {
		for _, p := range a.answerPrefixes {
			if len(k) >= len(p) && strings.EqualFold(k[:len(p)], p) {
				w.Header()[k] = v
			}
		}
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		w.Header().Del("Content-Length")
		w.WriteHeader(resp.StatusCode)
		// The status and headers leave now, not with the first event: a
		// model may take seconds to its first token, and the client then
		// knows its request was accepted.
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		var write func(io.Writer, []byte)
		switch a {
		case apiChat:
			st := newChatStream(ph, rq)
			write = st.event
		case apiResponses:
			st := newResponsesStream(ph, rq)
			write = st.event
		default:
			blocks := map[int]*streamRestorer{}
			write = func(w io.Writer, ev []byte) { g.writeEvent(w, ev, ph, blocks, rq) }
		}
		pumpSSE(w, resp.Body, write)
		return
	}
	data, err := readAnswer(resp)
	if err != nil {
		reason = "reading upstream: " + err.Error()
	}
	if ph.Len() > 0 {
		data = restoreJSON(data, ph, a.provider == "openai")
	}
	if u, ok := answerUsage(data); ok {
		rq.inTokens, rq.outTokens = u.in(), u.out()
	}
	// The answer is complete only after the deferred audit event is
	// written: a client that has its answer finds the event in the log.
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}

// plainOrQuoted returns a model name as it is when it is made of the
// characters model names use, quoted otherwise: refusals name the model
// without quotes because some clients show the error body JSON-escaped
// (Codex prints \"quotes\"), and a name from the client with spaces or
// control characters must not read as part of the sentence.
func plainOrQuoted(s string) string {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._/:@*", c)) {
			return strconv.Quote(s)
		}
	}
	return s
}

// maxAnswer is the largest JSON answer passed on.
const maxAnswer = 64 << 20

// readAnswer reads a JSON answer of at most maxAnswer bytes: into one
// buffer of the announced size when the upstream gave its length (the
// usual case), growing as io.ReadAll otherwise.
func readAnswer(resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n < 0 || n > maxAnswer {
		return io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	}
	b := make([]byte, n)
	m, err := io.ReadFull(resp.Body, b)
	if err == nil {
		return b, nil
	}
	return b[:m], err
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// attestRefusal is forward's answer when the only upstreams it could use
// failed attestation: the request is refused, never sent elsewhere.
type attestRefusal struct {
	failures []*attestFailure
	none     string // set when no confidential upstream serves the model
}

func (r *attestRefusal) Error() string { return r.detail() }

func (r *attestRefusal) detail() string {
	if r.none != "" {
		return r.none
	}
	var parts []string
	seen := map[string]bool{}
	for _, f := range r.failures {
		if s := f.Error(); !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// forward sends the request to the first upstream that serves the model,
// moving on to the next (with a short backoff) on a connection error, a
// 429 or a 5xx, as long as nothing has been sent to the client. A
// confidential upstream is used only with a verified attestation, over a
// connection whose TLS key is the attested one; with needAttestation only
// confidential upstreams are candidates. model is the request's real
// model (aliases resolved), as in body.
func (g *Gateway) forward(a *api, path string, r *http.Request, body []byte, model string, needAttestation bool) (*http.Response, *Upstream, *attestation, error) {
	var cands []*Upstream
	for i := range g.cfg.Upstreams {
		u := &g.cfg.Upstreams[i]
		if u.Provider != a.provider || (needAttestation && !u.Confidential) {
			continue
		}
		if len(u.Models) == 0 || matchAny(u.Models, model) {
			cands = append(cands, u)
		}
	}
	if len(cands) == 0 {
		if needAttestation {
			return nil, nil, nil, &attestRefusal{none: "no confidential upstream is configured for this model"}
		}
		return nil, nil, nil, errors.New("no upstream is configured for this model")
	}
	newReq := func(u *Upstream) (*http.Request, error) {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, strings.TrimRight(u.URL, "/")+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		// The allowlisted headers' values are shared with the incoming
		// request (neither is changed), not copied; the names are
		// canonical already.
		for _, h := range a.passHeaders {
			if v := r.Header[h]; len(v) > 0 && v[0] != "" {
				req.Header[h] = v[:1]
			}
		}
		if k := g.providerKeys[u]; k != nil {
			if a.provider == "openai" {
				req.Header["Authorization"] = k.bearer
			} else {
				req.Header["X-Api-Key"] = k.plain
			}
		}
		return req, nil
	}
	var (
		lastErr error
		fails   []*attestFailure
	)
	attestFail := func(err error) {
		var f *attestFailure
		if errors.As(err, &f) && !slices.ContainsFunc(fails, func(x *attestFailure) bool { return x.upstream == f.upstream }) {
			fails = append(fails, f)
		}
		lastErr = err
	}
	attempts := len(cands) + g.cfg.Retries
	for i := 0; i < attempts; i++ {
		u := cands[i%len(cands)]
		if i > 0 {
			select {
			case <-r.Context().Done():
				return nil, nil, nil, r.Context().Err()
			case <-time.After(time.Duration(50*i) * time.Millisecond):
			}
		}
		// The transport, not http.Client: an upstream's redirect is not
		// followed (http.Client would resend the body and the provider key
		// in x-api-key, which it does not strip, to wherever it points),
		// and the request skips the client's header copies.
		rt := g.client.Transport
		var (
			at *attestor
			st *attestation
		)
		if u.Confidential {
			at = g.attestors[u.Name]
			var err error
			if st, err = at.ensure(r.Context()); err != nil {
				attestFail(err)
				continue
			}
			rt = at.client.Transport
		}
		req, err := newReq(u)
		if err != nil {
			return nil, nil, nil, err
		}
		resp, err := rt.RoundTrip(req)
		if err != nil && at != nil && at.takeMismatch() {
			// A new connection met another TLS key (a restarted or
			// replaced machine): attest it, then try once more.
			if st, err = at.ensure(r.Context()); err != nil {
				attestFail(err)
				continue
			}
			if req, err = newReq(u); err != nil {
				return nil, nil, nil, err
			}
			resp, err = rt.RoundTrip(req)
			if err != nil && at.takeMismatch() {
				attestFail(&attestFailure{upstream: u.Name, check: checkTLSKey,
					err: fmt.Errorf("%w: the connection's TLS key differs from the key the evidence was bound to", attest.ErrUnverified)})
				continue
			}
		}
		if err != nil {
			lastErr = fmt.Errorf("%s: %v", u.Name, err)
			continue
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			if i < attempts-1 {
				io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
				lastErr = fmt.Errorf("%s: HTTP %d", u.Name, resp.StatusCode)
				continue
			}
		}
		return resp, u, st, nil
	}
	var f *attestFailure
	if errors.As(lastErr, &f) {
		return nil, nil, nil, &attestRefusal{failures: fails}
	}
	return nil, nil, nil, lastErr
}

func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, s); ok {
			return true
		}
	}
	return false
}

// pumpSSE copies an event stream to the client event by event, flushing
// each, restoring placeholders in text and tool-input deltas when the
// request had any.
func pumpSSE(w http.ResponseWriter, body io.Reader, write func(io.Writer, []byte)) {
	fl, _ := w.(http.Flusher)
	ps := ssePool.Get().(*sseScratch)
	br, ev := ps.br, &ps.ev
	br.Reset(body)
	ev.Reset()
	defer func() {
		br.Reset(nil) // let go of the upstream's body
		if ev.Cap() > 1<<20 {
			ps.ev = bytes.Buffer{} // do not keep a huge event's buffer
		}
		ssePool.Put(ps)
	}()
	for {
		line, err := br.ReadSlice('\n')
		ev.Write(line)
		if err == bufio.ErrBufferFull {
			continue // a line longer than the buffer: read on
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 || err != nil {
			if ev.Len() > 0 {
				write(w, ev.Bytes())
				ev.Reset()
				// Flush unless the next event is already here whole: events
				// that arrived together leave together (one write instead
				// of one per event), and none waits for more input.
				if fl != nil && !eventBuffered(br) {
					fl.Flush()
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// sseScratch is pumpSSE's reading buffer (64 KiB: a line longer than that
// is read in pieces) and event buffer, kept from one stream to the next.
type sseScratch struct {
	br *bufio.Reader
	ev bytes.Buffer
}

var ssePool = sync.Pool{New: func() any { return &sseScratch{br: bufio.NewReaderSize(nil, 64<<10)} }}

// eventBuffered reports whether br holds a complete SSE event (up to its
// blank line) that can be read without waiting.
func eventBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\n\r\n"))
}

type sseDelta struct {
	Type  string `json:"type"`
	Index int    `json:"index"`
	Delta struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
	} `json:"delta"`
	Message struct {
		Usage struct {
			In int `json:"input_tokens"`
		} `json:"usage"`
	} `json:"message"`
	Usage struct {
		Out int `json:"output_tokens"`
	} `json:"usage"`
}

func (g *Gateway) writeEvent(w io.Writer, ev []byte, ph *placeholders, blocks map[int]*streamRestorer, rq *request) {
	if ph.Len() == 0 {
		// Nothing to restore: only the usage events need reading.
		if name := sseEventName(ev); name != "" && name != "message_start" && name != "message_delta" {
			w.Write(ev)
			return
		}
	}
	data := sseData(ev)
	if data == nil {
		w.Write(ev)
		return
	}
	var d sseDelta
	if json.Unmarshal(data, &d) != nil {
		w.Write(ev)
		return
	}
	switch d.Type {
	case "message_start":
		rq.inTokens = d.Message.Usage.In
	case "message_delta":
		rq.outTokens = d.Usage.Out
	}
	if ph.Len() == 0 {
		w.Write(ev)
		return
	}
	switch d.Type {
	case "content_block_delta":
		r := blocks[d.Index]
		if r == nil {
			esc := verbatim
			if d.Delta.Type == "input_json_delta" {
				esc = jsonEscape
			}
			r = &streamRestorer{p: ph, escape: esc}
			blocks[d.Index] = r
		}
		switch d.Delta.Type {
		case "text_delta":
			writeDelta(w, d.Index, "text_delta", "text", r.Write(d.Delta.Text))
		case "input_json_delta":
			writeDelta(w, d.Index, "input_json_delta", "partial_json", r.Write(d.Delta.PartialJSON))
		default:
			w.Write(ev)
		}
		return
	case "content_block_stop":
		if r := blocks[d.Index]; r != nil {
			if rest := r.Flush(); rest != "" {
				typ, field := "text_delta", "text"
				if isJSONRestorer(r) {
					typ, field = "input_json_delta", "partial_json"
				}
				writeDelta(w, d.Index, typ, field, rest)
			}
			delete(blocks, d.Index)
		}
	}
	w.Write(ev)
}

func isJSONRestorer(r *streamRestorer) bool {
	return r.escape("\"") != "\""
}

func writeDelta(w io.Writer, index int, typ, field, text string) {
	// The bytes json.Marshal gives for {"type":"content_block_delta",
	// "index":index,"delta":{"type":typ,field:text}} (keys sorted, HTML
	// escaped), written directly: this runs for every restored delta.
	b := make([]byte, 0, len(text)+len(field)+len(typ)+96)
	b = append(b, "event: content_block_delta\ndata: {\"delta\":{\""...)
	b = append(b, field...)
	b = append(b, "\":"...)
	b = appendJSONStringEsc(b, []byte(text), true)
	b = append(b, ",\"type\":\""...)
	b = append(b, typ...)
	b = append(b, "\"},\"index\":"...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, ",\"type\":\"content_block_delta\"}\n\n"...)
	w.Write(b)
}

// sseEventName returns the name an SSE event gives on its "event:" line
// when that is its first line, or "".
func sseEventName(ev []byte) string {
	rest, ok := bytes.CutPrefix(ev, []byte("event:"))
	if !ok {
		return ""
	}
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i]
	}
	return string(bytes.TrimSpace(rest))
}

// sseData returns the data payload of one SSE event (joined data lines).
func sseData(ev []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(ev, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if rest, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			if len(out) > 0 {
				out = append(out, '\n')
			}
			out = append(out, bytes.TrimPrefix(rest, []byte(" "))...)
		}
	}
	return out
}

// restoreJSON restores placeholders in every string of a JSON answer.
// With jsonArgs, strings under an "arguments" key (OpenAI tool-call
// arguments, JSON text inside a string) get the secret JSON-escaped.
func restoreJSON(data []byte, ph *placeholders, jsonArgs bool) []byte {
	if !bytes.Contains(data, []byte(placeholderOpen)) {
		return data
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return data
	}
	v = walkKeyed(v, "", func(key, s string) string {
		if jsonArgs && key == "arguments" {
			return ph.restore(s, jsonEscape)
		}
		return ph.restore(s, verbatim)
	})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return data
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func (g *Gateway) record(ctx context.Context, rq *request, decision, reason string) {
	if g.audit == nil {
		return
	}
	e := audit.Event{
		Kind:         audit.KindGateway,
		Decision:     decision,
		PolicySHA256: g.pol.SHA256,
		Rules:        ruleIDs(rq.redacted),
	}
	team := ""
	if rq.key != nil {
		e.Actor = audit.Actor{User: rq.key.ID}
		team = rq.key.Team
	}
	alias := ""
	if rq.alias != "" {
		alias = " alias=" + rq.alias
	}
	if rq.attested != "" {
		alias += " attested=" + rq.attested
	}
	e.Summary = fmt.Sprintf("gateway: team=%s model=%s/%s%s classification=%s upstream=%s status=%d tokens_in=%d tokens_out=%d redactions=%d",
		team, rq.api.provider, rq.model, alias, rq.classification, rq.upstream, rq.status, rq.inTokens, rq.outTokens, len(rq.redacted))
	if reason != "" {
		e.Reasons = []string{reason}
	}
	if _, err := g.audit.Append(ctx, e); err != nil {
		g.log.Error("audit append failed", "err", err)
	}
}

// setModel replaces the model of a JSON request body.
func setModel(body []byte, model string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errors.New("the body must be a JSON object")
	}
	m["model"], _ = json.Marshal(model)
	return json.Marshal(m)
}
