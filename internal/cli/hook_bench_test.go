package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/agent/claude"
)

// BenchmarkHookClaude measures one hook decision in-process (without the
// process start that scripts/bench/hook-latency.sh includes): policy load,
// decoding, the guard, the audit append and the answer.
func BenchmarkHookClaude(b *testing.B) {
	dir := b.TempDir()
	payload := []byte(`{"session_id":"s","transcript_path":"/tmp/t","cwd":"` + filepath.ToSlash(dir) + `","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status --short && go test ./... 2>&1 | tail -20","description":"Run the tests"},"tool_use_id":"t"}`)
	env := map[string]string{"HOME": dir, "WARDEN_STATE_DIR": filepath.Join(dir, "state")}
	for _, bc := range []struct {
		name string
		deps hookDeps
	}{{"full", defaultHookDeps}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				var out bytes.Buffer
				e := &Env{Stdin: bytes.NewReader(payload), Stdout: &out, Stderr: os.Stderr, Getenv: func(k string) string { return env[k] }, Dir: dir}
				r := runHook(context.Background(), e, claude.Adapter{}, bc.deps, 4*time.Second, 32<<20)
				if r.Exit != 0 || string(r.Stdout) != "{}\n" {
					b.Fatalf("unexpected answer %q exit %d", r.Stdout, r.Exit)
				}
			}
		})
	}
}
