package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCodex runs one `codex exec` session in a project set up by `warden
// init --agent codex`, against the fake Responses API. Codex skips
// untrusted hooks silently, so the project is marked trusted and the run
// uses --dangerously-bypass-hook-trust (what automation that vets its
// hooks does; warden init explains the interactive way).
func runCodex(t *testing.T, files map[string]string, plan map[string][]toolCall, prompt string) (dir, output string, fake *fakeModel) {
	t.Helper()
	bin := client(t, "codex")
	dir, home := initProject(t, "codex", files)
	fake = newFakeModel(t, responsesFace{}, plan)
	codexHome := filepath.Join(home, ".codex")
	if err := os.MkdirAll(codexHome, 0o755); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`model = "gpt-5.5"
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "danger-full-access"

[model_providers.fake]
name = "fake"
base_url = "%s/v1"
wire_api = "responses"
env_key = "FAKE_API_KEY"

[projects.%q]
trust_level = "trusted"
`, fake.URL(), dir)
	if err := os.WriteFile(filepath.Join(codexHome, "config.toml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(home, "CODEX_HOME="+codexHome, "FAKE_API_KEY=sk-test")
	output = run(t, dir, env, bin, "exec", "--skip-git-repo-check", "--dangerously-bypass-hook-trust", "--json", prompt)
	return dir, output, fake
}

func codexShell(cmd string) toolCall {
	return toolCall{Name: "exec_command", Input: map[string]any{"cmd": cmd}}
}

// TestCodex drives the real Codex CLI 0.169.0 with the hooks warden init
// writes (.codex/hooks.json).
func TestCodex(t *testing.T) {
	t.Parallel()
	sub := parallelSubtests(t, 2)

	sub("dangerous command is denied and never runs", func(t *testing.T) {
		dir, out, fake := runCodex(t, nil, map[string][]toolCall{
			"TASK-EXFIL": {codexShell(dangerousCommand)},
		}, "TASK-EXFIL: back up my key")
		if exists(filepath.Join(dir, "ran-marker")) {
			t.Fatalf("the denied command ran (marker exists); codex output:\n%s", tail(out))
		}
		reqs := fake.Requests()
		if len(reqs) < 2 {
			t.Fatalf("the model got no request after the tool call; codex output:\n%s", tail(out))
		}
		mustContain(t, "the request after the denial", reqs[len(reqs)-1], "credential")
	})

	sub("benign command runs", func(t *testing.T) {
		dir, out, fake := runCodex(t, nil, map[string][]toolCall{
			"TASK-LIST": {codexShell("touch benign-marker && ls -la")},
		}, "TASK-LIST: list the files")
		if !exists(filepath.Join(dir, "benign-marker")) {
			t.Fatalf("the benign command did not run; codex output:\n%s", tail(out))
		}
		// AGENTS.md, written by warden init, reaches the model.
		mustContain(t, "the model requests", strings.Join(fake.Requests(), "\n"), "Security rules (enforced by warden)")
	})

	sub("corrupted policy still blocks the dangerous command", func(t *testing.T) {
		dir, out, _ := runCodex(t, map[string]string{"warden.yaml": corruptedPolicy}, map[string][]toolCall{
			"TASK-CREDS": {codexShell("touch creds-marker && cat ~/.aws/credentials")},
		}, "TASK-CREDS: check the AWS setup")
		if exists(filepath.Join(dir, "creds-marker")) {
			t.Fatalf("with a corrupted policy the dangerous command ran; codex output:\n%s", tail(out))
		}
		mustContain(t, "codex's output", out, "policy")
	})
}
