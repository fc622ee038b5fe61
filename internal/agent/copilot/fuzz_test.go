package copilot

import (
	"encoding/json"
	"testing"

	"github.com/wardenhq/warden/internal/agent"
)

// FuzzDecode: any input either decodes into a request whose answers are
// valid JSON, or fails with an error whose fail-closed answer blocks.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"sessionId":"s","toolName":"bash","toolArgs":{"command":"ls"}}`, `{"sessionId":"s","toolName":"bash","toolArgs":"{\"command\":\"ls\"}"}`, `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}`, `{}`, `null`, `[]`, `{"hook_event_name":1}`} {
		f.Add([]byte(s))
	}
	ad := Adapter{}
	getenv := func(string) string { return "" }
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ad.Decode(b, getenv)
		if err != nil {
			checkFail(t, ad.Fail(nil, err.Error()))
			return
		}
		for _, v := range []agent.Verdict{agent.Allow, agent.Ask, agent.Deny} {
			r := ad.Encode(req, agent.Decision{Verdict: v, Reasons: []string{"r"}, Context: "c"})
			if r.Exit != 0 || !json.Valid(r.Stdout) {
				t.Fatalf("Encode(%s) = exit %d stdout %q, want exit 0 and JSON", v, r.Exit, r.Stdout)
			}
		}
		checkFail(t, ad.Fail(req, "x"))
	})
}

func checkFail(t *testing.T, r agent.Response) {
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
