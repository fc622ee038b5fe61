package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
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
	return runCodexTrust(t, files, plan, prompt, true)
}

func runCodexTrust(t *testing.T, files map[string]string, plan map[string][]toolCall, prompt string, bypass bool) (dir, output string, fake *fakeModel) {
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
	args := []string{"exec", "--skip-git-repo-check", "--json"}
	if bypass {
		args = append(args, "--dangerously-bypass-hook-trust")
	}
	output = run(t, dir, env, bin, append(args, prompt)...)
	return dir, output, fake
}

// wardenCheck runs `warden init --check --agent agent` in dir and checks
// its exit code: 0 when the hooks fired, 1 when they did not.
func wardenCheck(t *testing.T, dir, agent string, wantFired bool) string {
	t.Helper()
	c := exec.Command(wardenBin, "init", "--check", "--agent", agent)
	c.Dir = dir
	c.Env = baseEnv(t.TempDir())
	out, err := c.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("warden init --check: %v\n%s", err, out)
	}
	if want := map[bool]int{true: 0, false: 1}[wantFired]; code != want {
		t.Errorf("warden init --check exited %d, want %d:\n%s", code, want, out)
	}
	return string(out)
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
		mustContain(t, "warden init --check", wardenCheck(t, dir, "codex", true), "decision(s) recorded: the hooks fire")
	})

	sub("untrusted hooks are skipped silently and warden init --check tells", func(t *testing.T) {
		// Codex's own behaviour, which is why warden init explains trust:
		// without hook trust the command runs and nothing says so. The
		// check that the hooks fire is what catches it.
		dir, out, _ := runCodexTrust(t, nil, map[string][]toolCall{
			"TASK-EXFIL": {codexShell(dangerousCommand)},
		}, "TASK-EXFIL: back up my key", false)
		if !exists(filepath.Join(dir, "ran-marker")) {
			t.Fatalf("Codex ran warden's untrusted hooks: its trust behaviour changed, update warden init's note and docs/AGENTS.md; codex output:\n%s", tail(out))
		}
		mustContain(t, "warden init --check", wardenCheck(t, dir, "codex", false), "no decisions recorded yet (if a Codex session ran, its hooks are not trusted")
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

	sub("feedback after a tool call reaches the model", func(t *testing.T) {
		// Codex's PostToolUse answer (additionalContext) must reach the
		// model in the request that carries the tool output.
		_, out, fake := runCodex(t, nil, map[string][]toolCall{
			"TASK-READ": {codexShell(injectionCommand)},
		}, "TASK-READ: read the notes")
		mustContain(t, "the request after the tool result", requestWith(t, fake.Requests(), "function_call_output", out), "SECURITY WARNING from warden")
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

	sub("prompt containing a secret is blocked", func(t *testing.T) {
		_, out, fake := runCodex(t, nil, nil, "deploy with key "+plantedKeyID+" and secret "+plantedSecret)
		for _, q := range fake.Requests() {
			if strings.Contains(q, plantedSecret) {
				t.Fatalf("a request to the model carried the secret from the prompt; codex output:\n%s", tail(out))
			}
		}
	})
}
