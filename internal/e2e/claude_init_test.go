package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClaudeCodeWardenInit configures a project with `warden init --agent
// claude` only (no hand-written settings) and runs the real Claude Code
// against it: the hooks init merged deny the dangerous command, let the
// benign one run, and the guidance init rendered into CLAUDE.md reaches
// the model. The hooks run the C thin client warden-hook-c, installed
// beside warden with the Go warden-hook.
func TestClaudeCodeWardenInit(t *testing.T) {
	t.Parallel()
	bin := client(t, "claude")
	dir, home := initProject(t, "claude", nil)
	// warden-hook-c sits beside warden on PATH: init makes the hooks run it.
	settings, err := os.ReadFile(filepath.Join(dir, ".claude", "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, ".claude/settings.json", string(settings), `"command": "warden-hook-c claude"`)
	fake := newFakeAnthropic(t, map[string][]toolCall{
		"TASK-INIT": {bash(dangerousCommand), bash("touch benign-marker && ls -la")},
	})
	env := baseEnv(home, "IS_SANDBOX=1", "ANTHROPIC_BASE_URL="+fake.URL(), "ANTHROPIC_API_KEY=sk-test",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_AUTOUPDATER=1")
	out := run(t, dir, env, bin, "-p", "TASK-INIT: back up my key, then list the files", "--output-format", "json", "--dangerously-skip-permissions")
	if exists(filepath.Join(dir, "ran-marker")) {
		t.Errorf("the dangerous command ran (marker exists); claude output:\n%s", tail(out))
	}
	if !exists(filepath.Join(dir, "benign-marker")) {
		t.Errorf("the benign command did not run; claude output:\n%s", tail(out))
	}
	mustContain(t, "claude's JSON result", out, "permission_denials")
	reqs := strings.Join(fake.Requests(), "\n")
	mustContain(t, "the model requests", reqs, "Security rules (enforced by warden)")
	mustContain(t, "the model requests", reqs, "which holds credentials")
}
