package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
)

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func runIn(t *testing.T, dir string, stdout io.Writer, args ...string) (int, string) {
	t.Helper()
	var errb bytes.Buffer
	e := &Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: &errb, Dir: dir, Getenv: func(string) string { return "" }}
	return Main(context.Background(), args, e), errb.String()
}

func TestExitCodeInternalError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// warden cannot write its report: its own failure, exit 3.
	code, stderr := runIn(t, dir, failingWriter{}, "scan")
	if code != ExitInternal || !strings.Contains(stderr, "disk full") {
		t.Errorf("code = %d, stderr = %q; want 3 and the cause", code, stderr)
	}
}

func TestExitCodes(t *testing.T) {
	for err, want := range map[error]int{
		nil:                             ExitPass,
		ErrGateFailed:                   ExitFail,
		Usagef("bad"):                   ExitUsage,
		errors.New("boom"):              ExitInternal,
		context.Canceled:                ExitInternal,
		&UsageError{Err: ErrGateFailed}: ExitFail,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestScanCancelledStopsPromptly(t *testing.T) {
	dir := t.TempDir()
	for i := range 200 {
		if err := os.WriteFile(filepath.Join(dir, "f"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+".txt"), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	start := time.Now()
	code := Main(ctx, []string{"scan", dir}, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: dir, Getenv: func(string) string { return "" }})
	if code == ExitPass || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled scan: code %d after %v", code, time.Since(start))
	}
	if out.Len() != 0 {
		t.Errorf("a cancelled scan wrote a report:\n%s", out.String())
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "r.json")
	if err := writeFileAtomic(name, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(name, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(name)
	if string(got) != "two" {
		t.Errorf("content = %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := writeFileAtomic(filepath.Join(dir, "no", "such", "dir"), []byte("x"), 0o644); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestBuildEngines(t *testing.T) {
	eff := policy.Builtin()
	engines, err := buildEngines(eff)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range engines {
		names = append(names, e.Name())
	}
	if !strings.Contains(strings.Join(names, ","), "custom") {
		t.Errorf("built-in policy engines = %v, want custom among them", names)
	}
	eff.Gates.Engines = []string{"secrets"}
	engines, err = buildEngines(eff)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range engines {
		if e.Name() != "secrets" {
			t.Errorf("engine %s built though gates.engines is [secrets]", e.Name())
		}
	}
	eff.Gates.Engines = []string{"bogus"}
	if _, err := buildEngines(eff); err == nil || ExitCode(err) != ExitUsage {
		t.Errorf("unknown engine: err = %v", err)
	}
	var _ scan.Engine = noopEngine{}
}

func TestPolicyDirStopsAtTheRepositoryRoot(t *testing.T) {
	top := t.TempDir()
	mk := func(rel string, file bool) string {
		p := filepath.Join(top, filepath.FromSlash(rel))
		if file {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("version: 1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mk("outer/warden.yaml", true) // above the repository: never used
	repo := mk("outer/repo", false)
	mk("outer/repo/.git", false)
	deep := mk("outer/repo/a/b", false)
	if got := policyDir(deep); got != deep {
		t.Errorf("no policy in the repository: policyDir = %s, want the scan root %s", got, deep)
	}
	mk("outer/repo/.warden/policy.yaml", true)
	if got := policyDir(deep); got != repo {
		t.Errorf("policyDir = %s, want the repository root %s", got, repo)
	}
	mk("outer/repo/a/warden.yaml", true)
	if got := policyDir(deep); got != filepath.Join(repo, "a") {
		t.Errorf("policyDir = %s, want the nearest parent with a policy", got)
	}
}
