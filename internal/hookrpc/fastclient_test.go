package hookrpc_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/hookrpc"
)

// asanBin holds warden and warden-hook (hard links to bin's) and a
// warden-hook-c built with -fsanitize=address,undefined; "" when the C
// toolchain has no sanitizers.
var asanBin string

const sanitizeFlags = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

// buildFastClients builds the C client into bin with
// scripts/install-hook-client (with -Werror), the way users install it,
// and, when the compiler supports it, a sanitizer build into asanBin. A
// missing compiler fails the tests: cgo needs one too.
func buildFastClients(root string) error {
	script := filepath.Join(root, "scripts", "install-hook-client")
	run := func(dir, cflags string) error {
		cmd := exec.Command(script, dir)
		cmd.Env = append(os.Environ(), "WARDEN_HOOK_CFLAGS="+cflags)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building the C hook client (%s): %v\n%s", script, err, out)
		}
		return nil
	}
	if err := run(bin, "-Werror"); err != nil {
		return err
	}
	cc, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		return fmt.Errorf("go env CC: %v", err)
	}
	probe, err := os.MkdirTemp("", "warden-asan-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(probe)
	src := filepath.Join(probe, "p.c")
	os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644)
	args := append(strings.Fields(sanitizeFlags), "-o", filepath.Join(probe, "p"), src)
	ccv := strings.Fields(string(cc))
	if err := exec.Command(ccv[0], append(ccv[1:], args...)...).Run(); err != nil {
		return nil // no sanitizer runtime: the garbage cases run on the plain build only
	}
	if err := exec.Command(filepath.Join(probe, "p")).Run(); err != nil {
		return nil // links but does not run here (ASan needs its address space)
	}
	dir, err := os.MkdirTemp("", "warden-hookrpc-asan-")
	if err != nil {
		return err
	}
	for _, c := range []string{"warden", "warden-hook"} {
		if err := os.Link(filepath.Join(bin, c), filepath.Join(dir, c)); err != nil {
			return err
		}
	}
	if err := run(dir, "-Werror "+sanitizeFlags); err != nil {
		os.RemoveAll(dir)
		return err
	}
	asanBin = dir
	return nil
}

// socketFor is the socket of the guard server for the warden in dir.
func (s *sandbox) socketFor(dir string) string {
	return hookrpc.SocketPath(filepath.Join(s.runtime, "warden"), filepath.Join(dir, "warden"))
}

// fast runs the C client in dir (bin by default).
func (s *sandbox) fastIn(dir string, args []string, stdin string, env ...string) answer {
	return s.run(append([]string{filepath.Join(dir, "warden-hook-c")}, args...), stdin, env...)
}

func (s *sandbox) fullIn(dir string, args []string, stdin string, env ...string) answer {
	return s.run(append([]string{filepath.Join(dir, "warden"), "hook"}, args...), stdin, env...)
}

// serveFor starts the guard server of the warden in dir, as warden-hook
// starts it, and waits until it listens; the sandbox stops it.
func (s *sandbox) serveFor(dir string) {
	s.t.Helper()
	sock := s.socketFor(dir)
	if err := hookrpc.EnsureDir(filepath.Dir(sock)); err != nil {
		s.t.Fatal(err)
	}
	logf, err := os.OpenFile(strings.TrimSuffix(sock, ".sock")+".log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(dir, "warden"), "guard", "serve", "--socket", sock, "--idle", "20s")
	cmd.Dir = "/"
	cmd.Env = s.env
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go cmd.Wait()
	for range 300 {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("no guard server on %s", sock)
}

// fastOnly is a directory with warden (a hard link to bin's), the C
// client, the Go client as warden-hook-go, and in place of warden-hook one
// that only says it ran: any answer of the C client that did not come from
// the server through its fast path shows.
func fastOnly(t testing.TB) string { return fastOnlyFrom(t, bin) }

// fastOnlyFrom is fastOnly with the binaries of from (bin or asanBin).
func fastOnlyFrom(t testing.TB, from string) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range []string{"warden", "warden-hook-c", "warden-hook"} {
		to := c
		if c == "warden-hook" {
			to = "warden-hook-go"
		}
		if err := os.Link(filepath.Join(from, c), filepath.Join(dir, to)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "warden-hook"), []byte("#!/bin/sh\necho 'FELL BACK to warden-hook' >&2\nexit 99\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// replies are server answers the C client must not trust: it hands the
// hook to the Go client, which asks again, then runs warden hook.
var replies = map[string][]byte{
	"garbage":          []byte("HTTP/1.1 200 OK\r\n\r\n{}"),
	"truncated":        []byte("WDNH\x01\x00\x00\x00\x10\x00\x00"),
	"unknown status":   []byte("WDNH\x01\x00\x00\x00\x04\x09\x00\x00\x00"),
	"stale":            []byte("WDNH\x01\x00\x00\x00\x04\x01\x00\x00\x00"),
	"closes silently":  nil,
	"other version":    []byte("WDNH\x02\x00\x00\x00\x04\x00\x00\x00\x00"),
	"trailing bytes":   []byte("WDNH\x01\x00\x00\x00\x06\x00\x00\x01{\x00!"),
	"stdout too long":  []byte("WDNH\x01\x00\x00\x00\x05\x00\x00\x7f{}"),
	"stderr too short": []byte("WDNH\x01\x00\x00\x00\x06\x00\x00\x00\x00ab"),
	"long length":      []byte("WDNH\x01\x00\x00\x00\x05\x00\x00\x81\x00{"),
	"huge varint":      []byte("WDNH\x01\x00\x00\x00\x0d\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x00"),
	"frame over limit": []byte("WDNH\x01\xff\xff\xff\xff\x00\x00\x00\x00"),
	"one byte body":    []byte("WDNH\x01\x00\x00\x00\x01\x00"),
	"empty body":       []byte("WDNH\x01\x00\x00\x00\x00"),
}

// TestFastClientFallback: whatever happens to the server, the C client's
// answer is warden hook's (through the Go client), or a deny: never an
// allow of its own. The bad answers also run against the sanitizer build.
func TestFastClientFallback(t *testing.T) {
	deny, allow := bash("", "rm -rf /"), bash("", "git status")
	builds := map[string]string{"plain": bin}
	if asanBin != "" {
		builds["asan"] = asanBin
	} else {
		t.Log("the C compiler has no address/undefined sanitizers: bad answers tested on the plain build only")
	}
	t.Run("no server yet", func(t *testing.T) {
		s := newSandbox(t)
		for _, in := range []string{deny, allow} {
			if got, want := s.fastIn(bin, []string{"claude"}, in), s.full([]string{"claude"}, in); got != want {
				t.Errorf("first call %+v, warden hook %+v", got, want)
			}
		}
		s.waitServer() // started by the Go client, for the next
		if got, want := s.fastIn(bin, []string{"claude"}, deny, hookrpc.ServerEnv+"=require"), s.full([]string{"claude"}, deny); got != want {
			t.Errorf("served %+v, warden hook %+v", got, want)
		}
	})
	t.Run("dead socket", func(t *testing.T) {
		s := newSandbox(t)
		os.MkdirAll(filepath.Dir(s.socket()), 0o700)
		ln, err := net.Listen("unix", s.socket())
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		ln.Close()
		if got, want := s.fastIn(bin, []string{"claude"}, deny), s.full([]string{"claude"}, deny); got != want {
			t.Errorf("%+v, warden hook %+v", got, want)
		}
	})
	t.Run("socket directory open to others", func(t *testing.T) {
		s := newSandbox(t)
		s.thin([]string{"claude"}, allow)
		s.waitServer()
		os.Chmod(filepath.Join(s.runtime, "warden"), 0o755)
		// Not asked; the Go client refuses it too and runs warden hook.
		if got, want := s.fastIn(bin, []string{"claude"}, deny), s.full([]string{"claude"}, deny); got != want {
			t.Errorf("%+v, warden hook %+v", got, want)
		}
	})
	for build, dir := range builds {
		for name, reply := range replies {
			t.Run(build+"/"+name, func(t *testing.T) {
				s := newSandbox(t)
				var conns atomic.Int32
				stop := fakeServer(t, s.socketFor(dir), func(c net.Conn) { conns.Add(1); c.Write(reply) })
				for _, in := range []string{deny, allow} {
					got := s.fastIn(dir, []string{"claude"}, in)
					if want := s.fullIn(dir, []string{"claude"}, in); got != want {
						t.Errorf("%+v, warden hook %+v", got, want)
					}
				}
				stop()
				if n := conns.Load(); n < 2 {
					t.Errorf("the server was asked %d times, want the C client and the Go client to ask", n)
				}
			})
		}
	}
	for build, dir := range builds {
		t.Run(build+"/server never answers", func(t *testing.T) {
			t.Parallel() // mostly waiting
			s := newSandbox(t)
			hold := make(chan struct{})
			var conns atomic.Int32
			stop := fakeServer(t, s.socketFor(dir), func(c net.Conn) { conns.Add(1); <-hold })
			got := s.fastIn(dir, []string{"codex", "--timeout", "300ms"}, allow)
			close(hold)
			stop()
			want := hookrpc.Deny("codex", "the warden guard server did not answer within 1.3s; the action is denied (fail closed)")
			if diff := cmp.Diff(answer{want.Exit, string(want.Stdout), string(want.Stderr)}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if n := conns.Load(); n != 1 {
				t.Errorf("the server was asked %d times: the decision must not be asked for twice", n)
			}
		})
	}
	t.Run("over-size input", func(t *testing.T) {
		t.Parallel() // with the waits above
		s := newSandbox(t)
		// Whitespace before the JSON: over the client's limit, so the input
		// must reach warden hook whole (read part + rest) for it to decide.
		in := strings.Repeat(" ", hookrpc.MaxStdin) + bash(s.proj, "rm -rf /")
		args := []string{"claude", "--max-input", fmt.Sprint(2 * hookrpc.MaxStdin)}
		got, want := s.fastIn(bin, args, in), s.full(args, in)
		if got != want || !strings.Contains(got.Stdout, `"permissionDecision":"deny"`) {
			t.Errorf("%+v, warden hook %+v", got, want)
		}
	})
	t.Run("input at the limit", func(t *testing.T) {
		t.Parallel() // with the waits above
		s := newSandbox(t)
		dir := fastOnly(t)
		s.serveFor(dir)
		// Exactly MaxStdin bytes: as the Go client, not the fast path.
		in := strings.Repeat(" ", hookrpc.MaxStdin)
		if got := s.fastIn(dir, []string{"claude"}, in); got.Exit != 99 {
			t.Errorf("%+v, want the Go client run", got)
		}
		// One byte under: the server answers (an allow, as warden hook).
		in = in[:len(in)-len(allow)-1] + allow
		if got := s.fastIn(dir, []string{"claude", "--max-input", "100000000"}, in); got != (answer{Stdout: "{}\n"}) {
			t.Errorf("%+v, want the server's allow", got)
		}
	})
	t.Run("timeout forms", func(t *testing.T) {
		s := newSandbox(t)
		dir := fastOnly(t)
		s.serveFor(dir)
		// Forms the C client reads itself are served; others go to the Go
		// client, which reads Go durations.
		for _, tc := range []struct {
			args   []string
			served bool
		}{
			{[]string{"claude", "--timeout", "2s"}, true},
			{[]string{"claude", "--timeout=1m30s"}, true},
			{[]string{"claude", "--timeout", "1.5s"}, true},
			{[]string{"claude", "--timeout", "0", "--timeout", "3s"}, true},
			{[]string{"claude", "--timeout", "1µs"}, false},
			{[]string{"claude", "--timeout", "soon"}, false},
		} {
			got := s.fastIn(dir, tc.args, allow)
			if served := got.Exit != 99; served != tc.served {
				t.Errorf("%v: %+v, served %v want %v", tc.args, got, served, tc.served)
			}
		}
	})
	t.Run("deleted working directory", func(t *testing.T) {
		s := newSandbox(t)
		s.thin([]string{"claude"}, allow) // a server is running
		s.waitServer()
		got := s.inDeletedDir(deny, filepath.Join(bin, "warden-hook-c"), "claude")
		want := s.inDeletedDir(deny, filepath.Join(bin, "warden"), "hook", "claude")
		if got != want || !strings.Contains(got.Stdout, `"permissionDecision":"deny"`) {
			t.Errorf("%+v, warden hook %+v", got, want)
		}
	})
	t.Run("nothing to run", func(t *testing.T) {
		s := newSandbox(t)
		lone := filepath.Join(t.TempDir(), "warden-hook-c")
		data, err := os.ReadFile(filepath.Join(bin, "warden-hook-c"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lone, data, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"claude", "gemini", "cursor", "codex", "copilot"} {
			got := s.run([]string{lone, a}, allow, "PATH=")
			want := answer{Exit: 2, Stderr: "warden: neither warden-hook nor warden can be run next to warden-hook-c; the action is denied (fail closed)\n"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", a, diff)
			}
		}
	})
}

// TestFastClientPolicyChange: with the server warm, editing warden.yaml
// changes the C client's next answer.
func TestFastClientPolicyChange(t *testing.T) {
	s := newSandbox(t)
	dir := fastOnly(t)
	s.serveFor(dir)
	in := bash(s.proj, "make deploy")
	checkPolicyChange(t, s, func() answer { return s.fastIn(dir, []string{"claude"}, in) })
}

// TestGoClientTimeoutHandOver: told by the C client that the server did
// not answer in time, the Go client denies in each agent's form without
// asking anyone (TestWithoutFastEnv: nor is it forwarded).
func TestGoClientTimeoutHandOver(t *testing.T) {
	s := newSandbox(t)
	for _, a := range []string{"claude", "gemini", "cursor", "codex", "copilot"} {
		got := s.thin([]string{a}, bash(s.proj, "git status"), hookrpc.FastEnv+"=timeout")
		want := hookrpc.Deny(a, "the warden guard server did not answer within 5s; the action is denied (fail closed)")
		if diff := cmp.Diff(answer{want.Exit, string(want.Stdout), string(want.Stderr)}, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", a, diff)
		}
	}
	if _, err := os.Stat(filepath.Join(s.runtime, "warden")); err == nil {
		t.Error("a server was started")
	}
}

// FuzzFastClientAnswer holds the C client's answer parser to the Go one
// (DecodeResponse via ReadResponse): for any bytes a server sends, the C
// client either writes exactly the answer Go decodes (status OK) or hands
// the hook to the Go client; nothing else. Each input is one run of the C
// client (and of the sanitizer build when there is one), so the seed corpus
// runs in go test and -fuzz is slow but works.
func FuzzFastClientAnswer(f *testing.F) {
	for _, r := range replies {
		f.Add(r)
	}
	for _, r := range []*hookrpc.Response{
		{Exit: 0, Stdout: []byte("{}\n")},
		{Exit: 2, Stderr: []byte("warden: denied\n")},
		{Exit: 255, Stdout: []byte(strings.Repeat("x", 300)), Stderr: []byte("é\x00\xff")},
		{Status: hookrpc.Stale},
	} {
		var b bytes.Buffer
		if err := hookrpc.WriteResponse(&b, r); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
		f.Add(append(b.Bytes(), "after the frame"...))
	}
	s := newSandbox(f)
	dirs := []string{fastOnlyFrom(f, bin)}
	if asanBin != "" {
		dirs = append(dirs, fastOnlyFrom(f, asanBin))
	}
	var reply atomic.Value
	for _, d := range dirs {
		fakeServer(f, s.socketFor(d), func(c net.Conn) { c.Write(reply.Load().([]byte)) })
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		reply.Store(frame)
		want := answer{Exit: 99, Stderr: "FELL BACK to warden-hook\n"}
		if r, err := hookrpc.ReadResponse(bytes.NewReader(frame)); err == nil && r.Status == hookrpc.OK {
			want = answer{Exit: r.Exit, Stdout: string(r.Stdout), Stderr: string(r.Stderr)}
		}
		s.t = t
		for _, d := range dirs {
			if got := s.fastIn(d, []string{"claude"}, "{}"); got != want {
				t.Errorf("%s: answer %q: C client %+v, Go decodes %+v", filepath.Base(d), frame, got, want)
			}
		}
	})
}
