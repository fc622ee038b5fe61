package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
)

// TestGatewaySealsItsAuditJournal: appends seal in batches, so the
// gateway's request events first wait in the audit journal; the running
// gateway must seal them in the background (every 250 ms) without any
// reader's help. The test only reads the log (audit.Verify with no write
// access to seal), so a gateway that stopped sealing leaves the events
// pending and fails it.
func TestGatewaySealsItsAuditJournal(t *testing.T) {
	t.Parallel()
	up := newEchoUpstream(t)
	config := fmt.Sprintf(`upstreams:
  - name: fake-anthropic
    provider: anthropic
    url: %s
    api_key_env: E2E_PROVIDER_KEY
    models: ["claude-haiku-*"]
keys:
  - id: dev-internal
    sha256: %s
    team: payments
    classification: internal
`, up.srv.URL, gwKeyHash(gwKeyInternal))
	gw := startGateway(t, gwPolicy(""), config, "E2E_PROVIDER_KEY=sk-ant-e2e-provider-key")

	const requests = 3
	for i := range requests {
		body := fmt.Sprintf(`{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"seal test %d"}]}`, i)
		req, err := http.NewRequest(http.MethodPost, gw.url+"/v1/messages", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-api-key", gwKeyInternal)
		req.Header.Set("anthropic-version", "2023-06-01")
		req.Header.Set("content-type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d; gateway stderr:\n%s", i, resp.StatusCode, tail(gw.Stderr()))
		}
	}

	path := filepath.Join(gw.dir, ".warden", "audit", "audit.jsonl")
	deadline := time.Now().Add(20 * time.Second)
	for {
		rep, err := audit.Verify(path, audit.VerifyOptions{})
		if err != nil || !rep.Intact() {
			t.Fatalf("verify: %v %+v", err, rep.Problem)
		}
		if rep.Pending == 0 && rep.Events >= requests {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("20 s after %d requests the gateway's log holds %d sealed events and %d pending: the gateway does not seal its journal", requests, rep.Events, rep.Pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
