// Package e2e drives the real AI agent clients (installed pinned by
// scripts/test-deps into e2e/node_modules) against fake model servers on
// 127.0.0.1, with warden's hooks configured, and checks what actually
// happened: which commands ran, which files exist, what reached the model.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/hookrpc"
)

// wardenBin is the warden binary built once for the whole run (with
// warden-hook and warden-hook-c beside it).
var wardenBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "warden-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	wardenBin = filepath.Join(dir, "warden")
	// warden-hook, the thin hook client, is installed beside warden.
	for _, c := range []string{"warden", "warden-hook"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, c), "./cmd/"+c)
		build.Dir = repoRoot()
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: building %s: %v\n%s", c, err, out)
			os.Exit(1)
		}
	}
	// And the C build of it, as scripts/install-hook-client installs it:
	// warden init then prefers it.
	install := exec.Command(filepath.Join(repoRoot(), "scripts", "install-hook-client"), dir)
	if out, err := install.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building warden-hook-c: %v\n%s", err, out)
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
		// Projects set up by warden init run warden-hook-c (it sits beside
		// warden); a guard server it starts exits soon after the test.
		"WARDEN_HOOK_SERVER_IDLE=20s",
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

// startGuardServer starts the guard server warden-hook uses, in a runtime
// directory of this test, and returns the environment that makes the
// hooks use it (and only it: WARDEN_HOOK_SERVER=require). The server is
// stopped by its pid when the test ends.
func startGuardServer(t *testing.T) []string {
	t.Helper()
	rt, err := os.MkdirTemp("", "wh") // short: a socket path holds ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	// Started without --socket, the server listens where warden-hook looks
	// for the warden beside it: the same path computed on both sides.
	sock := hookrpc.SocketPath(filepath.Join(rt, "warden"), wardenBin)
	cmd := exec.Command(wardenBin, "guard", "serve", "--idle", "10m")
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+rt)
	var logb bytes.Buffer
	cmd.Stderr = &logb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(rt)
	})
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i > 200 {
			t.Fatalf("the guard server did not listen on %s:\n%s", sock, logb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return []string{"XDG_RUNTIME_DIR=" + rt, hookrpc.ServerEnv + "=require"}
}
