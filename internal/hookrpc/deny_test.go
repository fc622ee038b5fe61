package hookrpc

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/agent/claude"
	"github.com/wardenhq/warden/internal/agent/codex"
	"github.com/wardenhq/warden/internal/agent/copilot"
	"github.com/wardenhq/warden/internal/agent/cursor"
	"github.com/wardenhq/warden/internal/agent/gemini"
)

// TestDenyMatchesAdapters: the thin client's own deny (it links no
// adapter) is byte for byte the adapter's fail-closed answer.
func TestDenyMatchesAdapters(t *testing.T) {
	const reason = `warden is not installed next to warden-hook or on PATH; "the action" <is> denied & logged`
	for _, ad := range []agent.Adapter{claude.Adapter{}, codex.Adapter{}, copilot.Adapter{}, cursor.Adapter{}, gemini.Adapter{}} {
		want := ad.Fail(nil, reason)
		got := Deny(ad.Name(), reason)
		if diff := cmp.Diff(string(want.Stdout), string(got.Stdout)); diff != "" {
			t.Errorf("%s stdout (-adapter +thin):\n%s", ad.Name(), diff)
		}
		if diff := cmp.Diff(want.Stderr, string(got.Stderr)); diff != "" {
			t.Errorf("%s stderr (-adapter +thin):\n%s", ad.Name(), diff)
		}
		if got.Exit != want.Exit || got.Exit != 2 {
			t.Errorf("%s exit %d, adapter %d (want 2)", ad.Name(), got.Exit, want.Exit)
		}
	}
	if r := Deny("vim", "x"); r.Exit != 2 || string(r.Stderr) != "warden: x\n" || len(r.Stdout) != 0 {
		t.Errorf("unknown agent: %+v", r)
	}
}
