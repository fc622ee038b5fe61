// Package agenttest holds the checks that every vendor adapter's tests
// share, so that the fail-closed contract is stated once.
package agenttest

import (
	"encoding/json"
	"testing"

	"github.com/wardenhq/warden/internal/agent"
)

// FuzzAdapter fuzzes an adapter from seed payloads: any input either
// decodes into a request whose answers (allow, ask, deny) exit 0 with JSON,
// or fails with an error whose fail-closed answer blocks.
func FuzzAdapter(f *testing.F, ad agent.Adapter, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	getenv := func(string) string { return "" }
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ad.Decode(b, getenv)
		if err != nil {
			CheckFail(t, ad.Fail(nil, err.Error()))
			return
		}
		for _, v := range []agent.Verdict{agent.Allow, agent.Ask, agent.Deny} {
			r := ad.Encode(req, agent.Decision{Verdict: v, Reasons: []string{"r"}, Context: "c"})
			if r.Exit != 0 || !json.Valid(r.Stdout) {
				t.Fatalf("Encode(%s) = exit %d stdout %q, want exit 0 and JSON", v, r.Exit, r.Stdout)
			}
		}
		CheckFail(t, ad.Fail(req, "x"))
	})
}

// CheckFail asserts that a fail-closed answer blocks: exit 0 with a deny
// on stdout, or exit 2; stdout, when present, is JSON.
func CheckFail(t testing.TB, r agent.Response) {
	t.Helper()
	if r.Exit != 0 && r.Exit != 2 {
		t.Fatalf("Fail exit %d, want 0 or 2", r.Exit)
	}
	if len(r.Stdout) > 0 && !json.Valid(r.Stdout) {
		t.Fatalf("Fail stdout is not JSON: %q", r.Stdout)
	}
	if r.Exit == 0 && len(r.Stdout) == 0 {
		t.Fatal("Fail answered exit 0 with no deny")
	}
}
