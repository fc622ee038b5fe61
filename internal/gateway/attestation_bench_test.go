package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wardenhq/warden/internal/gateway/confidentialtest"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

// BenchmarkAttestation is one whole attestation of a confidential
// upstream on loopback: a new TLS connection, the evidence document, and
// the SEV-SNP report's verification (signature, VCEK -> ASK -> ARK chain,
// measurement, binding, TCB). Paid once per max_age, per key change and
// (in the background) per reconnection, never per request.
func BenchmarkAttestation(b *testing.B) {
	for _, c := range []struct {
		name  string
		kinds []string
	}{{"sev-snp", []string{"sev-snp"}}, {"sev-snp+nvidia-eat", []string{"sev-snp", "nvidia-eat"}}} {
		b.Run(c.name, func(b *testing.B) {
			up := confidentialtest.New(b, &modelAPI{})
			if len(c.kinds) > 1 {
				up.WithGPU()
			}
			g := benchConfGateway(b, up, c.kinds, false)
			a := g.attestors["tee"]
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := a.refresh(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConfidentialRequest is one JSON request through the gateway to
// the same HTTPS upstream on loopback, used as a plain upstream and as an
// attested confidential one (verified once before the timer starts): the
// difference is what attestation adds per request (the cache lookup; the
// pinned-key check happens only on new connections).
func BenchmarkConfidentialRequest(b *testing.B) {
	for _, confidential := range []bool{false, true} {
		name := "plain-https"
		if confidential {
			name = "attested"
		}
		b.Run(name, func(b *testing.B) {
			up := confidentialtest.New(b, &modelAPI{})
			g := benchConfGateway(b, up, []string{"sev-snp"}, !confidential)
			h := g.Handler()
			body, _ := json.Marshal(prompt("claude-sonnet-4-5", "hello from a restricted repository", false))
			key := restrKey
			if !confidential {
				key = agentKey
			}
			send := func() {
				req := httptest.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(body))
				req.Header.Set("x-api-key", key)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("HTTP %d: %.300s", rec.Code, rec.Body.String())
				}
			}
			send() // attest (confidential) and open the connection
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				send()
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// benchConfGateway: the fake as the only upstream, confidential or (plain)
// an ordinary HTTPS upstream trusted through the same CA.
func benchConfGateway(b *testing.B, up *confidentialtest.Upstream, kinds []string, plain bool) *Gateway {
	b.Helper()
	cfg := &Config{Timeout: Duration(5e9), Retries: 1}
	u := Upstream{Name: "tee", Provider: "anthropic", URL: up.URL, APIKeyEnv: "PROVIDER_KEY"}
	var tr http.RoundTripper
	if plain {
		tr = &http.Transport{TLSClientConfig: tlsConfigWithRoots(up), MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true}
	} else {
		u.Confidential = true
		u.Attestation = UpstreamAttestation{Evidence: kinds, SNPRootsFile: up.RootsFile, CAFile: up.CAFile,
			EvidenceURL: up.URL + "/.well-known/warden-attestation", Collateral: CollateralDocument}
	}
	cfg.Upstreams = []Upstream{u}
	cfg.Keys = []Key{
		{ID: "dev", SHA256: sha(agentKey), Classification: policy.Internal},
		{ID: "restr", SHA256: sha(restrKey), Classification: policy.Restricted},
	}
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := New(Options{Config: cfg, Policy: attestPolicyFor(up), Secrets: eng, Transport: tr,
		Getenv:         func(string) string { return "sk-provider" },
		PlaceholderKey: []byte("0123456789abcdef0123456789abcdef"),
		VendorClient:   &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfigWithRoots(up)}}})
	if err != nil {
		b.Fatal(err)
	}
	return g
}
