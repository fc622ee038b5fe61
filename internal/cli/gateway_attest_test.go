package cli

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/gateway"
	"github.com/wardenhq/warden/internal/gateway/confidentialtest"
)

func TestGatewayAttest(t *testing.T) {
	up := confidentialtest.New(t, http.NotFoundHandler())
	dir := t.TempDir()
	writePolicyFiles(t, dir, map[string]string{
		"gateway.yaml": "upstreams:\n" + up.ConfigYAML("tee", "anthropic"),
		"plain.yaml":   "upstreams:\n  - name: a\n    provider: anthropic\n    url: https://api.anthropic.com\n",
		"warden.yaml":  "version: 1\nmodels:\n" + up.PolicyYAML(),
	})
	code, out, errOut := runPolicyCLI(t, dir, nil, "gateway", "attest", "--config", filepath.Join(dir, "gateway.yaml"))
	if code != 0 || !strings.Contains(out, "tee: verified; TLS key sha256:") || !strings.Contains(out, "sev-snp measurement "+up.Measurement) ||
		!strings.Contains(out, "binding") {
		t.Errorf("good evidence: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	up.SetMode(confidentialtest.WrongMeasurement)
	code, out, _ = runPolicyCLI(t, dir, nil, "gateway", "attest", "--config", filepath.Join(dir, "gateway.yaml"), "--json")
	var reports []gateway.AttestationReport
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if code != 1 || len(reports) != 1 || reports[0].Verified || reports[0].Check != "measurement" || !strings.Contains(reports[0].Error, "not in the allowlist") {
		t.Errorf("wrong measurement: exit %d, %+v", code, reports)
	}

	if code, _, errOut := runPolicyCLI(t, dir, nil, "gateway", "attest", "--config", filepath.Join(dir, "plain.yaml")); code != 2 || !strings.Contains(errOut, "no confidential upstream") {
		t.Errorf("no confidential upstream: exit %d, stderr %s", code, errOut)
	}
	if code, _, errOut := runPolicyCLI(t, dir, nil, "gateway", "attest"); code != 2 || !strings.Contains(errOut, "--config is required") {
		t.Errorf("no --config: exit %d, stderr %s", code, errOut)
	}
}
