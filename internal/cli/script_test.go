package cli

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the warden command inside scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"warden": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			code := Main(ctx, os.Args[1:], OSEnv())
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs every testdata/script/*.txtar: warden's command-line
// behaviour as a reviewer reads it (command, files, expected output and
// exit code). Add a script for a new command or flag; run one with
// go test ./internal/cli -run TestScripts/NAME, and regenerate expected
// files with -testwork to inspect the work directory.
//
// Scripts get git (user configured), HOME inside the work directory, and
// no CI or NO_COLOR unless they set them.
func TestScripts(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required by the CLI scripts (scripts/test-deps installs it)")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, ".home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			env.Setenv("GIT_AUTHOR_NAME", "Test")
			env.Setenv("GIT_AUTHOR_EMAIL", "test@example.com")
			env.Setenv("GIT_COMMITTER_NAME", "Test")
			env.Setenv("GIT_COMMITTER_EMAIL", "test@example.com")
			env.Setenv("WARDEN_ORG_POLICY", "")
			return nil
		},
	})
}
