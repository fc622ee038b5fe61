package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCopilot runs one `copilot -p` session in a project set up by `warden
// init --agent copilot` (.github/hooks/warden.json, camelCase form), against
// the fake Chat Completions API, without a GitHub login (custom provider).
func runCopilot(t *testing.T, files map[string]string, plan map[string][]toolCall, prompt string) (dir, output string, fake *fakeModel) {
	t.Helper()
	bin := client(t, "copilot")
	dir, home := initProject(t, "copilot", files)
	fake = newFakeModel(t, chatFace{}, plan)
	copilotHome := filepath.Join(home, ".copilot")
	if err := os.MkdirAll(copilotHome, 0o755); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(home,
		"COPILOT_PROVIDER_BASE_URL="+fake.URL()+"/v1",
		"COPILOT_PROVIDER_API_KEY=x",
		"COPILOT_MODEL=gpt-5.4",
		"COPILOT_OFFLINE=true",
		"COPILOT_AUTO_UPDATE=false",
		"COPILOT_HOME="+copilotHome,
	)
	output = run(t, dir, env, bin, "-p", prompt, "--allow-all-tools", "--trust-folder", "--output-format", "json")
	return dir, output, fake
}

// TestCopilotCLI drives the real Copilot CLI 1.0.102 with the hooks warden
// init writes.
func TestCopilotCLI(t *testing.T) {
	t.Parallel()
	sub := parallelSubtests(t, 2)

	sub("dangerous command is denied and never runs", func(t *testing.T) {
		dir, out, fake := runCopilot(t, nil, map[string][]toolCall{
			"TASK-EXFIL": {shellCall("bash", dangerousCommand)},
		}, "TASK-EXFIL: back up my key")
		if exists(filepath.Join(dir, "ran-marker")) {
			t.Fatalf("the denied command ran (marker exists); copilot output:\n%s", tail(out))
		}
		reqs := fake.Requests()
		if len(reqs) < 2 {
			t.Fatalf("the model got no request after the tool call; copilot output:\n%s", tail(out))
		}
		mustContain(t, "the request after the denial", reqs[len(reqs)-1], "credential")
	})

	sub("benign command runs", func(t *testing.T) {
		dir, out, fake := runCopilot(t, nil, map[string][]toolCall{
			"TASK-LIST": {shellCall("bash", "touch benign-marker && ls -la")},
		}, "TASK-LIST: list the files")
		if !exists(filepath.Join(dir, "benign-marker")) {
			t.Fatalf("the benign command did not run; copilot output:\n%s", tail(out))
		}
		// .github/copilot-instructions.md, written by warden init, reaches the model.
		mustContain(t, "the model requests", strings.Join(fake.Requests(), "\n"), "Security rules (enforced by warden)")
	})

	sub("feedback after a tool call reaches the model", func(t *testing.T) {
		// Copilot's postToolUse answer (additionalContext) must reach the
		// model in the request that carries the tool result.
		_, out, fake := runCopilot(t, nil, map[string][]toolCall{
			"TASK-READ": {shellCall("bash", injectionCommand)},
		}, "TASK-READ: read the notes")
		mustContain(t, "the request after the tool result", requestWith(t, fake.Requests(), `"role":"tool"`, out), "SECURITY WARNING from warden")
	})

	sub("corrupted policy still blocks the dangerous command", func(t *testing.T) {
		dir, out, _ := runCopilot(t, map[string]string{"warden.yaml": corruptedPolicy}, map[string][]toolCall{
			"TASK-CREDS": {shellCall("bash", "touch creds-marker && cat ~/.aws/credentials")},
		}, "TASK-CREDS: check the AWS setup")
		if exists(filepath.Join(dir, "creds-marker")) {
			t.Fatalf("with a corrupted policy the dangerous command ran; copilot output:\n%s", tail(out))
		}
	})
}
