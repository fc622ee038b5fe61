package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tdxabi "github.com/google/go-tdx-guest/abi"
	tdxpb "github.com/google/go-tdx-guest/proto/tdx"
	tdxdata "github.com/google/go-tdx-guest/testing/testdata"

	"github.com/wardenhq/warden/internal/attest"
	"github.com/wardenhq/warden/internal/attest/attesttest"
	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/gateway/confidentialtest"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

// modelAPI is a fake Anthropic API that counts the requests reaching it.
type modelAPI struct {
	mu    sync.Mutex
	calls int
}

func (m *modelAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.calls++
	m.mu.Unlock()
	echoAnswer(w, b)
}

func (m *modelAPI) n() int { m.mu.Lock(); defer m.mu.Unlock(); return m.calls }

// clock is a settable gateway clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Now()} }

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// tlsConfigWithRoots trusts the fake's CA (for its JWKS).
func tlsConfigWithRoots(up *confidentialtest.Upstream) *tls.Config {
	return &tls.Config{RootCAs: up.CAPool, MinVersion: tls.VersionTLS12}
}

type confSetup struct {
	gw    *httptest.Server
	g     *Gateway
	rec   *memAudit
	clock *clock
}

// attestPolicy allows anthropic models for every classification, requires
// attestation for restricted code, and allows the fake's measurements.
func attestPolicyFor(up *confidentialtest.Upstream) *policy.Effective {
	pol := *policy.Builtin()
	pol.Models.Allow = map[policy.Classification][]string{
		policy.Internal: {"anthropic/*"}, policy.Restricted: {"anthropic/*"},
	}
	pol.Models.RequireAttestation = []policy.Classification{policy.Restricted}
	pol.Models.Attestation = policy.Attestation{
		Measurements: map[string][]string{"sev-snp": {up.Measurement}, "nvidia-eat": {up.GPUMeasurement}},
		JWKSURL:      up.URL + "/jwks.json",
		Issuer:       confidentialtest.GPUIssuer,
		MaxAge:       policy.Duration(10 * time.Minute),
	}
	return &pol
}

// newConfGateway serves a gateway whose only anthropic upstream is the
// fake confidential one (plus extra upstreams, if given).
func newConfGateway(t *testing.T, up *confidentialtest.Upstream, pol *policy.Effective, kinds []string, extra ...Upstream) *confSetup {
	t.Helper()
	return newConfGatewayAtt(t, up, pol, UpstreamAttestation{Evidence: kinds, SNPRootsFile: up.RootsFile}, extra...)
}

// newConfGatewayAtt is newConfGateway with the upstream's attestation
// block given (its CA file is the fake's).
func newConfGatewayAtt(t *testing.T, up *confidentialtest.Upstream, pol *policy.Effective, att UpstreamAttestation, extra ...Upstream) *confSetup {
	t.Helper()
	att.CAFile = up.CAFile
	cfg := &Config{Timeout: Duration(5 * time.Second), Retries: 1}
	cfg.Upstreams = append(cfg.Upstreams, Upstream{Name: "tee", Provider: "anthropic", URL: up.URL, APIKeyEnv: "PROVIDER_KEY",
		Confidential: true, Attestation: att})
	cfg.Upstreams = append(cfg.Upstreams, extra...)
	cfg.Keys = []Key{
		{ID: "dev", SHA256: sha(agentKey), Team: "payments", Classification: policy.Internal},
		{ID: "restr", SHA256: sha(restrKey), Team: "crypto", Classification: policy.Restricted},
	}
	// Defaults as ParseConfig fills them.
	for i := range cfg.Upstreams {
		u := &cfg.Upstreams[i]
		if u.Confidential {
			if err := checkAttestation("test", u, mustURL(t, u.URL)); err != nil {
				t.Fatal(err)
			}
		}
	}
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &memAudit{}
	g, err := New(Options{Config: cfg, Policy: pol, Secrets: eng, Audit: rec,
		Getenv:         func(k string) string { return map[string]string{"PROVIDER_KEY": "sk-provider-real"}[k] },
		PlaceholderKey: []byte("0123456789abcdef0123456789abcdef"),
		VendorClient:   &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfigWithRoots(up)}}})
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	g.now = c.now
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return &confSetup{gw: srv, g: g, rec: rec, clock: c}
}

func (s *confSetup) metrics(t *testing.T) string {
	t.Helper()
	r, err := http.Get(s.gw.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

func (s *confSetup) lastEvent(t *testing.T) audit.Event {
	t.Helper()
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	if len(s.rec.events) == 0 {
		t.Fatal("no audit event")
	}
	return s.rec.events[len(s.rec.events)-1]
}

func TestConfidentialUpstreamRoutesAfterAttestation(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	s := newConfGateway(t, up, attestPolicyFor(up), []string{"sev-snp"})

	resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "restricted hello", false))
	if resp.StatusCode != 200 || !strings.Contains(body, "echo: restricted hello") || api.n() != 1 {
		t.Fatalf("restricted code to a verified TEE: %d %s (api calls %d)", resp.StatusCode, body, api.n())
	}
	ev := s.lastEvent(t)
	if ev.Decision != audit.DecisionAllow || !strings.Contains(ev.Summary, "attested=sev-snp:abababab") || !strings.Contains(ev.Summary, "upstream=tee") {
		t.Errorf("audit = %+v", ev)
	}
	// The verified attestation is reused until it expires.
	post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "again", false))
	if up.EvidenceCalls() != 1 || api.n() != 2 {
		t.Errorf("evidence calls %d, api calls %d; want 1 and 2", up.EvidenceCalls(), api.n())
	}
	if m := s.metrics(t); !strings.Contains(m, `warden_gateway_attestations_total{upstream="tee",result="verified"} 1`) {
		t.Errorf("/metrics:\n%s", m)
	}
}

func TestConfidentialUpstreamBadEvidenceRefused(t *testing.T) {
	tests := []struct {
		name      string
		mode      confidentialtest.Mode
		kinds     []string
		pinOnly   bool
		check     string // metric label and audit reason
		wantInMsg string
	}{
		{"bad signature", confidentialtest.BadSignature, nil, false, "signature", "signature or certificate chain"},
		{"measurement not allowed", confidentialtest.WrongMeasurement, nil, false, "measurement", "not in the allowlist"},
		{"bound to another TLS key", confidentialtest.WrongKey, nil, false, "binding", "not bound to this connection"},
		{"bound to another TLS key, pin-only TLS", confidentialtest.WrongKey, nil, true, "binding", "not bound to this connection"},
		{"evidence endpoint down", confidentialtest.Down, nil, false, "fetch", "HTTP 503"},
		{"evidence endpoint redirects", confidentialtest.Redirect, nil, false, "fetch", "HTTP 302"},
		{"GPU token signed by an unknown key", confidentialtest.BadGPUToken, []string{"sev-snp", "nvidia-eat"}, false, "signature", "nvidia-eat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &modelAPI{}
			up := confidentialtest.New(t, api)
			kinds := tc.kinds
			if kinds == nil {
				kinds = []string{"sev-snp"}
			} else {
				up.WithGPU()
			}
			up.SetMode(tc.mode)
			s := newConfGateway(t, up, attestPolicyFor(up), kinds)
			if tc.pinOnly {
				a := s.g.attestors["tee"]
				a.tlsCfg.RootCAs, a.tlsCfg.InsecureSkipVerify = nil, true
			}
			resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "restricted code", false))
			if resp.StatusCode != 400 || !strings.Contains(body, "requires an attested confidential upstream") || !strings.Contains(body, tc.wantInMsg) {
				t.Errorf("got %d %s, want 400 naming %q", resp.StatusCode, body, tc.wantInMsg)
			}
			if !strings.Contains(body, `"type":"invalid_request_error"`) || !strings.Contains(body, "not sent") {
				t.Errorf("refusal is not an Anthropic permission error the agent shows: %s", body)
			}
			if api.n() != 0 {
				t.Errorf("the model API got %d requests; want none", api.n())
			}
			ev := s.lastEvent(t)
			if ev.Decision != audit.DecisionDeny || len(ev.Reasons) != 1 || !strings.Contains(ev.Reasons[0], tc.wantInMsg) || strings.Contains(ev.Reasons[0], "restricted code\"") {
				t.Errorf("audit = %+v", ev)
			}
			m := s.metrics(t)
			for _, want := range []string{
				`warden_gateway_attestation_refusals_total{upstream="tee",check="` + tc.check + `"} 1`,
				`warden_gateway_attestations_total{upstream="tee",result="` + tc.check + `"} 1`,
				`warden_gateway_requests_total{decision="deny"} 1`,
			} {
				if !strings.Contains(m, want) {
					t.Errorf("/metrics lacks %s:\n%s", want, m)
				}
			}
		})
	}
}

func TestConfidentialUpstreamReattestsAfterMaxAge(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	s := newConfGateway(t, up, attestPolicyFor(up), []string{"sev-snp"})
	send := func() int {
		resp, _ := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false))
		return resp.StatusCode
	}
	if st := send(); st != 200 || up.EvidenceCalls() != 1 {
		t.Fatalf("first: %d, evidence calls %d", st, up.EvidenceCalls())
	}
	s.clock.add(9 * time.Minute)
	if st := send(); st != 200 || up.EvidenceCalls() != 1 {
		t.Fatalf("within max_age: %d, evidence calls %d (want no re-attestation)", st, up.EvidenceCalls())
	}
	s.clock.add(2 * time.Minute)
	if st := send(); st != 200 || up.EvidenceCalls() != 2 {
		t.Fatalf("past max_age: %d, evidence calls %d (want a re-attestation)", st, up.EvidenceCalls())
	}
	// The image changed: the next re-attestation fails and refuses.
	up.SetMode(confidentialtest.WrongMeasurement)
	s.clock.add(11 * time.Minute)
	if st := send(); st != 400 || up.EvidenceCalls() != 3 {
		t.Fatalf("re-attestation with a new image: %d, evidence calls %d", st, up.EvidenceCalls())
	}
	// A failure is remembered briefly (no evidence storm), then retried.
	up.SetMode(confidentialtest.Good)
	if st := send(); st != 400 || up.EvidenceCalls() != 3 {
		t.Fatalf("right after a failure: %d, evidence calls %d", st, up.EvidenceCalls())
	}
	s.clock.add(attestRetryAfter)
	if st := send(); st != 200 || up.EvidenceCalls() != 4 {
		t.Fatalf("after the retry delay: %d, evidence calls %d", st, up.EvidenceCalls())
	}
	if api.n() != 4 {
		t.Errorf("api calls %d, want 4", api.n())
	}
}

func TestConfidentialUpstreamStaleEvidenceRefused(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	s := newConfGateway(t, up, attestPolicyFor(up), []string{"sev-snp"})
	if resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false)); resp.StatusCode != 200 {
		t.Fatalf("first: %d %s", resp.StatusCode, body)
	}
	// The upstream now replays the document it made for the first nonce.
	up.SetMode(confidentialtest.Stale)
	s.clock.add(11 * time.Minute)
	resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false))
	if resp.StatusCode != 400 || !strings.Contains(body, "another nonce") || api.n() != 1 {
		t.Errorf("replayed evidence: %d %s (api calls %d)", resp.StatusCode, body, api.n())
	}
}

func TestConfidentialUpstreamKeyChange(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	s := newConfGateway(t, up, attestPolicyFor(up), []string{"sev-snp"})
	send := func() (int, string) {
		resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false))
		return resp.StatusCode, body
	}
	if st, body := send(); st != 200 {
		t.Fatalf("first: %d %s", st, body)
	}
	// A restarted machine with a new TLS key and good evidence for it: the
	// new connection's key is refused, the upstream re-attested, and the
	// request goes through. (A connection still on its way back to the
	// pool can escape one drop: retry until a new one is made.)
	if err := up.RotateKey(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a re-attestation for the new key", func() bool {
		s.g.attestors["tee"].tr.CloseIdleConnections()
		if st, body := send(); st != 200 {
			t.Fatalf("after a key change with good evidence: %d %s", st, body)
		}
		return up.EvidenceCalls() == 2
	})
	// A machine whose evidence binds another key is refused.
	up.SetMode(confidentialtest.WrongKey)
	if err := up.RotateKey(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a refusal", func() bool {
		s.g.attestors["tee"].tr.CloseIdleConnections()
		st, _ := send()
		return st == 400
	})
	before := api.n()
	st, body := send()
	if st != 400 || !strings.Contains(body, "binding") || api.n() != before {
		t.Errorf("key change, evidence for another key: %d %s (api calls %d -> %d)", st, body, before, api.n())
	}
}

func TestConfidentialUpstreamWithGPU(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api).WithGPU()
	s := newConfGateway(t, up, attestPolicyFor(up), []string{"sev-snp", "nvidia-eat"})
	resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "gpu", false))
	if resp.StatusCode != 200 || api.n() != 1 {
		t.Fatalf("CPU+GPU evidence: %d %s", resp.StatusCode, body)
	}
	if ev := s.lastEvent(t); !strings.Contains(ev.Summary, "attested=sev-snp:abababababababab+nvidia-eat:5a5a5a5a5a5a5a5a") {
		t.Errorf("audit summary = %s", ev.Summary)
	}
	// The policy does not know the GPU's measurement: refused.
	pol := attestPolicyFor(up)
	pol.Models.Attestation.Measurements = map[string][]string{"sev-snp": {up.Measurement}}
	s2 := newConfGateway(t, up, pol, []string{"sev-snp", "nvidia-eat"})
	if resp, body := post(t, s2.gw.URL, restrKey, prompt("claude-sonnet-4-5", "gpu", false)); resp.StatusCode != 400 || !strings.Contains(body, "allows no measurement") {
		t.Errorf("GPU measurement not in policy: %d %s", resp.StatusCode, body)
	}
}

func TestConfidentialUpstreamForOtherClassifications(t *testing.T) {
	plainAPI := newUpstream(t, echoAnswer)
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	up.SetMode(confidentialtest.Down)
	plain := Upstream{Name: "plain", Provider: "anthropic", URL: plainAPI.srv.URL, APIKeyEnv: "PROVIDER_KEY"}
	s := newConfGateway(t, up, attestPolicyFor(up), []string{"sev-snp"}, plain)
	// Internal code does not need attestation: the failing TEE is skipped
	// and the plain upstream answers.
	if resp, body := post(t, s.gw.URL, agentKey, prompt("claude-sonnet-4-5", "internal", false)); resp.StatusCode != 200 || plainAPI.calls() != 1 || api.n() != 0 {
		t.Errorf("internal code: %d %s (plain %d, tee %d)", resp.StatusCode, body, plainAPI.calls(), api.n())
	}
	// Restricted code never goes to the plain upstream.
	if resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "restricted", false)); resp.StatusCode != 400 || plainAPI.calls() != 1 {
		t.Errorf("restricted code: %d %s (plain %d)", resp.StatusCode, body, plainAPI.calls())
	}
	// A confidential upstream is used for internal code once it verifies.
	up.SetMode(confidentialtest.Good)
	s.clock.add(attestRetryAfter)
	if resp, body := post(t, s.gw.URL, agentKey, prompt("claude-sonnet-4-5", "internal", false)); resp.StatusCode != 200 || api.n() != 1 {
		t.Errorf("internal code to a verified TEE: %d %s (tee %d)", resp.StatusCode, body, api.n())
	}
}

func TestParseConfigAttestation(t *testing.T) {
	base := "upstreams:\n  - name: tee\n    provider: anthropic\n    url: https://tee.example:8443\n    confidential: true\n"
	c, err := ParseConfig("g.yaml", []byte(base+"    attestation:\n      evidence: [sev-snp, nvidia-eat]\n"))
	if err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	a := c.Upstreams[0].Attestation
	if a.EvidenceURL != "https://tee.example:8443/.well-known/warden-attestation" || a.Collateral != CollateralDocument {
		t.Errorf("defaults: %+v", a)
	}
	for name, tc := range map[string]struct{ yaml, want string }{
		"no evidence kinds":       {base, "attestation.evidence"},
		"unknown kind":            {base + "    attestation:\n      evidence: [sgx]\n", "not one of"},
		"kind twice":              {base + "    attestation:\n      evidence: [tdx, tdx]\n", "twice"},
		"plain http":              {strings.Replace(base, "https://", "http://", 1) + "    attestation:\n      evidence: [tdx]\n", "must be https"},
		"evidence on other host":  {base + "    attestation:\n      evidence: [tdx]\n      evidence_url: https://evil.example/x\n", "own host"},
		"bad collateral":          {base + "    attestation:\n      evidence: [tdx]\n      collateral: maybe\n", "collateral"},
		"pin_only and ca_file":    {base + "    attestation:\n      evidence: [tdx]\n      pin_only: true\n      ca_file: x.pem\n", "exclude"},
		"attestation, not marked": {strings.Replace(base, "    confidential: true\n", "", 1) + "    attestation:\n      evidence: [tdx]\n", "only a confidential upstream"},
	} {
		if _, err := ParseConfig("g.yaml", []byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "g.yaml") {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

func TestNewRefusesBadAttestationSetup(t *testing.T) {
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	up := Upstream{Name: "tee", Provider: "anthropic", URL: "https://127.0.0.1:1", Confidential: true,
		Attestation: UpstreamAttestation{Evidence: []string{"sev-snp"}, EvidenceURL: "https://127.0.0.1:1/.well-known/warden-attestation"}}
	for name, tc := range map[string]struct {
		mut  func(*policy.Effective, *Upstream)
		want string
	}{
		"bad measurement": {func(p *policy.Effective, _ *Upstream) {
			p.Models.Attestation.Measurements = map[string][]string{"sev-snp": {"zz"}}
		}, "measurements.sev-snp[0]"},
		"unknown kind": {func(p *policy.Effective, _ *Upstream) {
			p.Models.Attestation.Measurements = map[string][]string{"sgx": {"abab"}}
		}, "unknown evidence kind"},
		"missing CA file": {func(_ *policy.Effective, u *Upstream) { u.Attestation.CAFile = "/nonexistent/ca.pem" }, "ca_file"},
		"SNP TCB over 255": {func(p *policy.Effective, _ *Upstream) {
			p.Models.Attestation.SEVSNPMinimumTCB = policy.SNPTCB{Microcode: 256}
		}, "sev_snp_minimum_tcb.microcode"},
		"JWKS over http": {func(p *policy.Effective, u *Upstream) {
			u.Attestation.Evidence = []string{"sev-snp", "nvidia-eat"}
			p.Models.Attestation.JWKSURL = "http://nras.example/jwks.json"
		}, "not an https URL"},
		"TDX SVN not 16 bytes": {func(p *policy.Effective, _ *Upstream) { p.Models.Attestation.TDXMinimumTeeTCBSVN = "abab" }, "tdx_minimum_tee_tcb_svn"},
		"missing roots file":   {func(_ *policy.Effective, u *Upstream) { u.Attestation.SNPRootsFile = "/nonexistent/r.pem" }, "sev_snp_roots_file"},
	} {
		pol := *policy.Builtin()
		u := up
		tc.mut(&pol, &u)
		_, err := New(Options{Config: &Config{Upstreams: []Upstream{u}}, Policy: &pol, Secrets: eng, PlaceholderKey: make([]byte, 32)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New error %v, want one containing %q", name, err, tc.want)
		}
	}
}

// waitFor polls cond for up to 10 seconds (a correctness wait, not a
// timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestRunReattestsOnSchedule(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	pol := attestPolicyFor(up)
	pol.Models.Attestation.MaxAge = policy.Duration(400 * time.Millisecond)
	s := newConfGateway(t, up, pol, []string{"sev-snp"})
	s.g.now = time.Now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.g.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// Without any request, the upstream is attested at start and again
	// before each attestation expires.
	waitFor(t, "three scheduled attestations", func() bool { return up.EvidenceCalls() >= 3 })
	if resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false)); resp.StatusCode != 200 {
		t.Fatalf("request after scheduled attestations: %d %s", resp.StatusCode, body)
	}
	// A scheduled re-attestation that fails withdraws the attestation at
	// once, before it would have expired.
	up.SetMode(confidentialtest.WrongMeasurement)
	waitFor(t, "a failed scheduled attestation", func() bool {
		return strings.Contains(s.metrics(t), `warden_gateway_attestations_total{upstream="tee",result="measurement"}`)
	})
	if resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false)); resp.StatusCode != 400 || api.n() != 1 {
		t.Errorf("after a failed scheduled attestation: %d %s (api calls %d)", resp.StatusCode, body, api.n())
	}
}

// TestConfidentialUpstreamTDX: the gateway verifies a TDX quote as it
// does an SNP report. The only quote at hand is go-tdx-guest's production
// vector, whose REPORT_DATA is fixed: genuine, allowed, and refused
// because it is not bound to this connection and nonce.
func TestConfidentialUpstreamTDX(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	q, err := tdxabi.QuoteToProto(tdxdata.RawQuote)
	if err != nil {
		t.Fatal(err)
	}
	mrtd := q.(interface{ GetTdQuoteBody() *tdxpb.TDQuoteBody }).GetTdQuoteBody().GetMrTd()
	up.SetDocument(func(_, nonce []byte) ([]byte, error) {
		return json.Marshal(attest.Document{Version: 1, Nonce: hex.EncodeToString(nonce),
			Evidence: []attest.DocumentEvidence{{Kind: attest.KindTDX, Data: tdxdata.RawQuote}}})
	})
	pol := attestPolicyFor(up)
	pol.Models.Attestation.Measurements = map[string][]string{"tdx": {hex.EncodeToString(mrtd)}}
	s := newConfGateway(t, up, pol, []string{"tdx"})
	s.g.attestors["tee"].up.Attestation.Collateral = CollateralNone
	// The vector's certificates are valid in mid-2023.
	s.clock.mu.Lock()
	s.clock.t = time.Date(2023, time.July, 1, 1, 0, 0, 0, time.UTC)
	s.clock.mu.Unlock()
	resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false))
	if resp.StatusCode != 400 || !strings.Contains(body, "tdx: report data does not start with the TLS key binding") || api.n() != 0 {
		t.Errorf("unbound TDX quote: %d %s (api calls %d)", resp.StatusCode, body, api.n())
	}
	// With the default collateral mode, the document must carry Intel's
	// collateral: without it the quote is refused before the binding.
	s.g.attestors["tee"].up.Attestation.Collateral = CollateralDocument
	s.clock.add(attestRetryAfter)
	resp, body = post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false))
	if resp.StatusCode != 400 || !strings.Contains(body, "not in the evidence document's collateral") {
		t.Errorf("TDX without collateral: %d %s", resp.StatusCode, body)
	}
}

func TestConfidentialUpstreamReattestsOnReconnection(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	s := newConfGateway(t, up, attestPolicyFor(up), []string{"sev-snp"})
	send := func() int {
		resp, _ := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false))
		return resp.StatusCode
	}
	// reconnect drops the gateway's idle connections and sends a request
	// (a connection still being returned to the pool can escape one drop,
	// so callers retry until what they wait for happened).
	reconnect := func() int {
		s.g.attestors["tee"].tr.CloseIdleConnections()
		return send()
	}
	if st := send(); st != 200 || up.EvidenceCalls() != 1 {
		t.Fatalf("first: %d, evidence calls %d", st, up.EvidenceCalls())
	}
	// A new connection to the same key, a minute later: the request goes
	// through on the pin, and the upstream is re-attested.
	s.clock.add(time.Minute)
	waitFor(t, "a re-attestation after a reconnection", func() bool {
		if st := reconnect(); st != 200 {
			t.Fatalf("request over a new connection to the pinned key: %d", st)
		}
		return up.EvidenceCalls() >= 2
	})
	// Let that re-attestation finish before the clock moves on.
	a := s.g.attestors["tee"]
	waitFor(t, "the re-attestation to finish", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return !a.reconnectPending
	})
	// Fresh evidence after a reconnection that no longer verifies withdraws
	// the attestation.
	up.SetMode(confidentialtest.WrongMeasurement)
	s.clock.add(time.Minute)
	waitFor(t, "the failed re-attestation", func() bool {
		reconnect()
		return strings.Contains(s.metrics(t), `warden_gateway_attestations_total{upstream="tee",result="measurement"} 1`)
	})
	if st := send(); st != 400 {
		t.Errorf("after a failed re-attestation on reconnection: %d, want 400", st)
	}
}

func TestConfidentialUpstreamMinimumTCB(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	// The fake's reports carry TCB 0 everywhere: any minimum above refuses.
	pol := attestPolicyFor(up)
	pol.Models.Attestation.SEVSNPMinimumTCB = policy.SNPTCB{SNP: 8}
	s := newConfGateway(t, up, pol, []string{"sev-snp"})
	resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false))
	if resp.StatusCode != 400 || !strings.Contains(body, "guest policy or TCB") || api.n() != 0 {
		t.Errorf("TCB below the policy's minimum: %d %s", resp.StatusCode, body)
	}
	if m := s.metrics(t); !strings.Contains(m, `warden_gateway_attestation_refusals_total{upstream="tee",check="tcb"} 1`) {
		t.Errorf("/metrics:\n%s", m)
	}
	pol.Models.Attestation.SEVSNPMinimumTCB = policy.SNPTCB{}
	s2 := newConfGateway(t, up, pol, []string{"sev-snp"})
	if resp, body := post(t, s2.gw.URL, restrKey, prompt("claude-sonnet-4-5", "x", false)); resp.StatusCode != 200 {
		t.Errorf("no minimum: %d %s", resp.StatusCode, body)
	}
}

// TestAttestPolicyFromPolicy: the policy's models.attestation becomes the
// verifier's attest.Policy, key by key.
func TestAttestPolicyFromPolicy(t *testing.T) {
	rtmr := strings.Repeat("3c", 48)
	got, maxAge, err := attestPolicy(policy.Attestation{
		Measurements: map[string][]string{"sev-snp": {strings.Repeat("ab", 48)}, "tdx": {"0x" + strings.Repeat("cd", 48)}, "nvidia-eat": {strings.Repeat("5a", 48)}},
		Issuer:       "https://nras.example", Audience: "warden",
		MaxAge:              policy.Duration(3 * time.Minute),
		SEVSNPMinimumTCB:    policy.SNPTCB{Bootloader: 1, TEE: 2, SNP: 3, Microcode: 4},
		TDXMinimumTeeTCBSVN: strings.Repeat("01", 16),
		TDXRTMRs:            map[string][]string{"2": {rtmr}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if maxAge != 3*time.Minute || got.NVIDIA.MaxAge != maxAge || got.NVIDIA.Issuer != "https://nras.example" || got.NVIDIA.Audience != "warden" ||
		got.NVIDIA.RequireResult != "x-nvidia-overall-att-result" {
		t.Errorf("NVIDIA policy = %+v, max age %v", got.NVIDIA, maxAge)
	}
	if got.SNP.MinimumTCB != (attest.TCB{Bootloader: 1, TEE: 2, SNP: 3, Microcode: 4}) || len(got.SNP.Measurements) != 1 || got.SNP.Measurements[0][0] != 0xab {
		t.Errorf("SNP policy = %+v", got.SNP)
	}
	if len(got.TDX.MRTDs) != 1 || got.TDX.MRTDs[0][0] != 0xcd || len(got.TDX.MinimumTeeTCBSVN) != 16 ||
		len(got.TDX.RTMRs[2]) != 1 || got.TDX.RTMRs[2][0][0] != 0x3c || len(got.TDX.RTMRs[0]) != 0 {
		t.Errorf("TDX policy = %+v", got.TDX)
	}
	if _, d, _ := attestPolicy(policy.Attestation{}); d != defaultAttestationMaxAge {
		t.Errorf("default max age = %v", d)
	}
	for name, p := range map[string]policy.Attestation{
		"RTMR 4":         {TDXRTMRs: map[string][]string{"4": {rtmr}}},
		"RTMR too short": {TDXRTMRs: map[string][]string{"0": {strings.Repeat("3c", 16)}}},
	} {
		if _, _, err := attestPolicy(p); err == nil || !strings.Contains(err.Error(), "tdx_rtmrs") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestConfidentialUpstreamStreamsAndKeepsSecrets: a streamed answer from a
// verified TEE flows through with the prompt's secret restored, and
// neither the secret nor the prompt reaches the audit log, refused or not.
func TestConfidentialUpstreamStreamsAndKeepsSecrets(t *testing.T) {
	api := &modelAPI{}
	up := confidentialtest.New(t, api)
	s := newConfGateway(t, up, attestPolicyFor(up), []string{"sev-snp"})
	text := "PROMPT-MARKER deploy with aws_secret_access_key=" + keySecret
	resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", text, true))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || !strings.Contains(body, keySecret) {
		t.Fatalf("streamed answer from a verified TEE: %d %s", resp.StatusCode, body)
	}
	up.SetMode(confidentialtest.WrongMeasurement)
	s.clock.add(11 * time.Minute)
	if resp, _ := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", text, true)); resp.StatusCode != 400 {
		t.Fatalf("refused stream: %d", resp.StatusCode)
	}
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	if len(s.rec.events) != 2 {
		t.Fatalf("audit events = %d, want 2", len(s.rec.events))
	}
	all, _ := json.Marshal(s.rec.events)
	for _, leak := range []string{keySecret, "PROMPT-MARKER", restrKey, "sk-provider-real"} {
		if strings.Contains(string(all), leak) {
			t.Errorf("the audit log contains %.6s...", leak)
		}
	}
}

// TestConfidentialUpstreamTDXMadeQuote: a TDX upstream whose agent makes a
// quote bound to the gateway's nonce and the server's TLS key (attesttest's
// test PKI, trusted through tdx_roots_file) with PCS collateral in the
// document: routed, with full collateral and revocation checks; an
// out-of-date platform and a quote bound to another key are refused.
func TestConfidentialUpstreamTDXMadeQuote(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    attesttest.TCBStatus
		otherKey  bool
		wantCode  int
		wantInMsg string
	}{
		{"up to date", attesttest.UpToDate, false, 200, ""},
		{"out of date", attesttest.OutOfDate, false, 400, "TCB Status"},
		{"bound to another key", attesttest.UpToDate, true, 400, "binding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &modelAPI{}
			up := confidentialtest.New(t, api)
			x, err := attesttest.NewTDX(time.Now(), tc.status)
			if err != nil {
				t.Fatal(err)
			}
			up.SetDocument(func(spki, nonce []byte) ([]byte, error) {
				if tc.otherKey {
					other := sha256.Sum256([]byte("another machine"))
					spki = other[:]
				}
				q, err := x.Quote(attest.Binding(spki, nonce))
				if err != nil {
					return nil, err
				}
				return json.Marshal(attest.Document{Version: 1, Nonce: hex.EncodeToString(nonce),
					Evidence: []attest.DocumentEvidence{{Kind: attest.KindTDX, Data: q}}, Collateral: x.Collateral})
			})
			roots := filepath.Join(t.TempDir(), "tdx-roots.pem")
			if err := os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: x.Root.Raw}), 0o600); err != nil {
				t.Fatal(err)
			}
			pol := attestPolicyFor(up)
			pol.Models.Attestation.Measurements = map[string][]string{"tdx": {hex.EncodeToString(x.MRTD)}}
			cfg := UpstreamAttestation{Evidence: []string{"tdx"}, TDXRootsFile: roots}
			s := newConfGatewayAtt(t, up, pol, cfg)
			resp, body := post(t, s.gw.URL, restrKey, prompt("claude-sonnet-4-5", "tdx", false))
			if resp.StatusCode != tc.wantCode || !strings.Contains(body, tc.wantInMsg) {
				t.Fatalf("got %d %s, want %d containing %q", resp.StatusCode, body, tc.wantCode, tc.wantInMsg)
			}
			if tc.wantCode == 200 {
				if ev := s.lastEvent(t); !strings.Contains(ev.Summary, "attested=tdx:") || api.n() != 1 {
					t.Errorf("audit %s, api calls %d", ev.Summary, api.n())
				}
			} else if api.n() != 0 {
				t.Errorf("api calls %d, want 0", api.n())
			}
		})
	}
}
