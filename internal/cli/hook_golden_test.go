package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update-hook", false, "rewrite testdata/hook/*/*.golden")

// TestHookGolden runs every recorded payload in testdata/hook/<agent>/ (as
// each client sends it; Cursor's are shaped as Cursor documents them since
// it cannot run here) through `warden hook <agent>` with the built-in policy
// and compares stdout, stderr and the exit code with the .golden file.
// Regenerate with: go test ./internal/cli -run TestHookGolden -update-hook
func TestHookGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "hook", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		agentName := filepath.Base(filepath.Dir(f))
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(agentName+"/"+name, func(t *testing.T) {
			proj := t.TempDir()
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			payload := strings.ReplaceAll(string(raw), "$PROJECT", filepath.ToSlash(proj))
			var out, errb bytes.Buffer
			e := &Env{
				Stdin: strings.NewReader(payload), Stdout: &out, Stderr: &errb, Dir: proj,
				Getenv: func(k string) string {
					switch k {
					case "HOME":
						return "/home/dev"
					case "WARDEN_STATE_DIR":
						return filepath.Join(proj, ".state")
					}
					return ""
				},
			}
			r := runHook(context.Background(), e, adapters("")[agentName], defaultHookDeps, time.Minute, 1<<20) // generous: -race on a loaded machine
			got := fmt.Sprintf("exit: %d\nstdout: %s\nstderr: %s\n", r.Exit, strings.TrimSuffix(string(r.Stdout), "\n"), strings.TrimSuffix(r.Stderr, "\n"))
			got = strings.ReplaceAll(got, filepath.ToSlash(proj), "$PROJECT")
			golden := strings.TrimSuffix(f, ".json") + ".golden"
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-hook)", err)
			}
			if got != string(want) {
				t.Errorf("%s: answer changed:\n--- want\n%s--- got\n%s", f, want, got)
			}
		})
	}
}
