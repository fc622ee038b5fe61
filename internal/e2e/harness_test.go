// Package e2e drives the real AI agent clients (installed pinned by
// scripts/test-deps into e2e/node_modules) against fake model servers on
// 127.0.0.1, with warden's hooks configured, and checks what actually
// happened: which commands ran, which files exist, what reached the model.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// wardenBin is the warden binary built once for the whole run.
var wardenBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "warden-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	wardenBin = filepath.Join(dir, "warden")
	build := exec.Command("go", "build", "-o", wardenBin, "./cmd/warden")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building warden: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// client returns the path of an installed agent client's executable, or
// fails the test saying how to install it. It never skips: the end-to-end
// suite is only honest if it really runs the clients.
func client(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(), "e2e", "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("agent client %q is not installed at %s: run scripts/test-deps (it installs the pinned clients with npm ci)", name, p)
	}
	return p
}

// project makes a temporary git repository with the given files, and a
// HOME beside it. It returns both.
func project(t *testing.T, files map[string]string) (dir, home string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "repo")
	home = filepath.Join(root, "home")
	for _, d := range []string{dir, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := exec.Command("git", "init", "-q", dir)
	if out, err := git.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	return dir, home
}

// run executes a client with a deadline and returns its combined output.
// A client that does not finish in time fails the test.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = nil
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within the deadline; output:\n%s", filepath.Base(name), tail(out.String()))
	}
	_ = err // clients exit non-zero in some denied flows; tests assert effects instead
	return out.String()
}

// baseEnv is a minimal environment: PATH with warden first, a fake HOME,
// nothing of the developer's own credentials or configuration.
func baseEnv(home string, extra ...string) []string {
	env := []string{
		"HOME=" + home,
		"PATH=" + filepath.Dir(wardenBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"TERM=dumb",
		"NO_COLOR=1",
		"CI=true",
	}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		env = append(env, "TMPDIR="+tmp)
	}
	return append(env, extra...)
}

func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "..." + s[len(s)-max:]
	}
	return s
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func mustContain(t *testing.T, what, haystack, needle string) {
	t.Helper()
	if !strings.Contains(haystack, needle) {
		t.Errorf("%s does not contain %q; got:\n%s", what, needle, tail(haystack))
	}
}
