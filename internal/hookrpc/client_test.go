package hookrpc_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/wardenhq/warden/internal/agent/agenttest"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/hookrpc"
)

// bin holds warden and warden-hook side by side, built once for the run.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "warden-hookrpc-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	// One go build for both (their links run side by side), without DWARF
	// (half the link time; panics still print their stacks).
	build := exec.Command("go", "build", "-ldflags=-s -w", "-o", dir+string(filepath.Separator), "./cmd/warden", "./cmd/warden-hook")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building warden and warden-hook: %v\n%s", err, out)
		os.Exit(1)
	}
	bin = dir
	if err := buildFastClients(root); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if asanBin != "" {
		os.RemoveAll(asanBin)
	}
	os.Exit(code)
}

// sandbox is one user's world: a HOME, a runtime directory for the
// server's socket, a project.
type sandbox struct {
	t       testing.TB
	env     []string
	runtime string
	proj    string
}

func newSandbox(t testing.TB) *sandbox {
	t.Helper()
	rt, err := os.MkdirTemp("", "wh") // short: the socket path must fit
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	s := &sandbox{t: t, runtime: rt, proj: filepath.Join(root, "proj")}
	home := filepath.Join(root, "home")
	for _, d := range []string{s.proj, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.env = []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + rt, "WARDEN_STATE_DIR=" + filepath.Join(root, "state"), "USER=dev", "PATH=/usr/bin:/bin", hookrpc.IdleEnv + "=20s"}
	t.Cleanup(func() {
		s.killServers()
		os.RemoveAll(rt)
	})
	return s
}

var pidRE = regexp.MustCompile(`msg=serving .* pid=(\d+)`)

// servers are the pids of the guard servers started in this sandbox, from
// their logs.
func (s *sandbox) servers() []int {
	logs, _ := filepath.Glob(filepath.Join(s.runtime, "warden", "*.log"))
	var pids []int
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		for _, m := range pidRE.FindAllStringSubmatch(string(data), -1) {
			pid, _ := strconv.Atoi(m[1])
			pids = append(pids, pid)
		}
	}
	return pids
}

// killServers stops the servers this sandbox started (by pid).
func (s *sandbox) killServers() {
	for _, pid := range s.servers() {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	}
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

func (s *sandbox) socket() string {
	return hookrpc.SocketPath(filepath.Join(s.runtime, "warden"), filepath.Join(bin, "warden"))
}

type answer struct {
	Exit           int
	Stdout, Stderr string
}

// run runs one hook command in the project with stdin.
// inDeletedDir runs argv with stdin in a working directory removed under it.
func (s *sandbox) inDeletedDir(stdin string, argv ...string) answer {
	script := `mkdir gone && cd gone && rmdir ../gone && exec "$@"`
	return s.run(append([]string{"/bin/sh", "-c", script, "sh"}, argv...), stdin)
}

func (s *sandbox) run(argv []string, stdin string, extraEnv ...string) answer {
	s.t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.proj
	cmd.Env = append(append([]string{}, s.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	a := answer{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok && ee.Exited() {
		a.Exit = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("%v: %v", argv, err)
	}
	return a
}

func (s *sandbox) full(args []string, stdin string, env ...string) answer {
	return s.run(append([]string{filepath.Join(bin, "warden"), "hook"}, args...), stdin, env...)
}

func (s *sandbox) thin(args []string, stdin string, env ...string) answer {
	return s.run(append([]string{filepath.Join(bin, "warden-hook")}, args...), stdin, env...)
}

// waitServer waits for a server to listen on the sandbox's socket.
func (s *sandbox) waitServer() {
	s.t.Helper()
	for range 300 {
		if c, err := net.Dial("unix", s.socket()); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("no guard server listening on %s", s.socket())
}

func bash(proj, command string) string {
	b, _ := json.Marshal(map[string]any{"session_id": "s", "cwd": proj, "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": map[string]any{"command": command}})
	return string(b)
}

type hookCase struct {
	name  string
	args  []string
	input string
}

// cases are the recorded payloads of all five dialects
// (internal/cli/testdata/hook), a sample of the labelled suite's shell
// commands, and usage errors.
func cases(t *testing.T, proj string) []hookCase {
	t.Helper()
	var cs []hookCase
	for _, r := range agenttest.RecordedPayloads(t, filepath.Join("..", "cli", "testdata", "hook"), proj) {
		cs = append(cs, hookCase{r.Agent + "/" + r.Name, []string{r.Agent}, r.Input})
	}
	for _, c := range agenttest.SuiteCommands(t, 4) {
		cs = append(cs, hookCase{fmt.Sprintf("actions.tsv:%d", c.Line), []string{"claude"}, bash(proj, c.Command)})
	}
	return append(cs,
		hookCase{"copilot --event", []string{"copilot", "--event", "postToolUse"}, `{"toolName":"bash","toolArgs":"{\"command\":\"ls\"}","toolResult":{"resultType":"success","textResultForLlm":"ok"},"cwd":"` + proj + `"}`},
		hookCase{"unknown agent", []string{"vim"}, "{}"},
		hookCase{"bad flag", []string{"claude", "--bogus"}, "{}"},
		hookCase{"no agent", nil, "{}"},
		hookCase{"garbage", []string{"cursor"}, "\x00\xff"},
		hookCase{"empty", []string{"codex"}, ""},
		hookCase{"too large", []string{"gemini", "--max-input", "8"}, `{"hook_event_name":"BeforeTool"}`},
	)
}

// TestThinClientEquivalent: `warden-hook <args>` and `warden-hook-c
// <args>` answered by the guard server are byte for byte `warden hook
// <args>`: stdout, stderr, exit code. Both run beside a warden-hook that
// only says it ran (fastOnly), so neither can pass by falling back.
func TestThinClientEquivalent(t *testing.T) {
	s := newSandbox(t)
	dir := fastOnly(t)
	s.serveFor(dir)
	cs := cases(t, s.proj)
	if len(cs) < 80 {
		t.Fatalf("only %d cases", len(cs))
	}
	for _, c := range cs {
		want := s.fullIn(dir, c.args, c.input)
		thin := s.run(append([]string{filepath.Join(dir, "warden-hook-go")}, c.args...), c.input, hookrpc.ServerEnv+"=require")
		if diff := cmp.Diff(want, thin); diff != "" {
			t.Errorf("%s: (-warden hook +warden-hook):\n%s", c.name, diff)
		}
		fast := s.fastIn(dir, c.args, c.input)
		if diff := cmp.Diff(want, fast); diff != "" {
			t.Errorf("%s: (-warden hook +warden-hook-c):\n%s", c.name, diff)
		}
	}
	// The Go client's switch to turn the server off holds for the C one.
	if got := s.fastIn(dir, []string{"claude"}, bash(s.proj, "ls"), hookrpc.ServerEnv+"=off"); got.Exit != 99 {
		t.Errorf("%s=off: %+v, want the Go client run", hookrpc.ServerEnv, got)
	}
}

// TestThinClientFallback: whatever happens to the server, the answer is
// warden hook's, or a deny; never an allow by default.
func TestThinClientFallback(t *testing.T) {
	deny := bash("", "rm -rf /")
	allow := bash("", "git status")
	t.Run("no server yet", func(t *testing.T) {
		s := newSandbox(t)
		for _, in := range []string{bash(s.proj, "rm -rf /"), bash(s.proj, "git status")} {
			if got, want := s.thin([]string{"claude"}, in), s.full([]string{"claude"}, in); got != want {
				t.Errorf("first call %+v, warden hook %+v", got, want)
			}
		}
		s.waitServer() // started by the first call, for the next
		if got, want := s.thin([]string{"claude"}, deny, hookrpc.ServerEnv+"=require"), s.full([]string{"claude"}, deny); got != want {
			t.Errorf("served %+v, warden hook %+v", got, want)
		}
	})
	t.Run("server off", func(t *testing.T) {
		s := newSandbox(t)
		if got, want := s.thin([]string{"gemini"}, allow, hookrpc.ServerEnv+"=off"), s.full([]string{"gemini"}, allow); got != want {
			t.Errorf("%+v, warden hook %+v", got, want)
		}
		if _, err := os.Stat(filepath.Join(s.runtime, "warden")); err == nil {
			t.Error("a server was started with " + hookrpc.ServerEnv + "=off")
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
		ln.Close() // the file stays, nobody listens
		if got, want := s.thin([]string{"claude"}, deny), s.full([]string{"claude"}, deny); got != want {
			t.Errorf("%+v, warden hook %+v", got, want)
		}
	})
	for name, reply := range map[string][]byte{
		"garbage":         []byte("HTTP/1.1 200 OK\r\n\r\n{}"),
		"truncated":       []byte("WDNH\x01\x00\x00\x00\x10\x00\x00"),
		"unknown status":  []byte("WDNH\x01\x00\x00\x00\x04\x09\x00\x00\x00"),
		"closes silently": nil,
	} {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t)
			stop := fakeServer(t, s.socket(), func(c net.Conn) { c.Write(reply) })
			got := s.thin([]string{"claude"}, deny)
			stop()
			if want := s.full([]string{"claude"}, deny); got != want {
				t.Errorf("%+v, warden hook %+v", got, want)
			}
		})
	}
	t.Run("server never answers", func(t *testing.T) {
		s := newSandbox(t)
		hold := make(chan struct{})
		stop := fakeServer(t, s.socket(), func(c net.Conn) { <-hold })
		start := time.Now()
		got := s.thin([]string{"claude", "--timeout", "300ms"}, allow)
		close(hold)
		stop()
		if got.Exit != 2 || !strings.Contains(got.Stderr, "did not answer") || got.Stdout != "" {
			t.Errorf("%+v, want Claude's deny (exit 2, reason on stderr)", got)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("deleted working directory", func(t *testing.T) {
		s := newSandbox(t)
		s.thin([]string{"claude"}, allow) // a server is running
		s.waitServer()
		// No server can stand in for a directory that has no name: both
		// paths run in it, and answer alike.
		got := s.inDeletedDir(deny, filepath.Join(bin, "warden-hook"), "claude")
		want := s.inDeletedDir(deny, filepath.Join(bin, "warden"), "hook", "claude")
		if got != want {
			t.Errorf("%+v, warden hook %+v", got, want)
		}
		if !strings.Contains(got.Stdout, `"permissionDecision":"deny"`) {
			t.Errorf("rm -rf / not denied: %+v", got)
		}
	})
	t.Run("no warden", func(t *testing.T) {
		s := newSandbox(t)
		lone := filepath.Join(t.TempDir(), "warden-hook")
		data, err := os.ReadFile(filepath.Join(bin, "warden-hook"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lone, data, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"claude", "gemini", "cursor", "codex", "copilot"} {
			got := s.run([]string{lone, a}, allow, "PATH=")
			want := hookrpc.Deny(a, "warden is not installed next to warden-hook or on PATH; the action is denied (fail closed)")
			if diff := cmp.Diff(answer{want.Exit, string(want.Stdout), string(want.Stderr)}, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", a, diff)
			}
		}
	})
}

// fakeServer listens on sock and handles each connection with h, after
// reading the request header. stop closes it.
func fakeServer(t testing.TB, sock string, h func(net.Conn)) (stop func()) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Read(make([]byte, 9))
				h(c)
			}()
		}
	}()
	return func() { ln.Close() }
}

// TestThinClientBinaryChange: after warden is replaced, the old server
// is not used: the client gets the new binary's answer, the old server
// exits and a new one takes over.
func TestThinClientBinaryChange(t *testing.T) {
	s := newSandbox(t)
	in := bash(s.proj, "rm -rf /")
	s.thin([]string{"claude"}, in)
	s.waitServer()
	old := s.servers()
	if len(old) != 1 {
		t.Fatalf("servers %v, want one", old)
	}
	// A new build: same path, new modification time.
	w := filepath.Join(bin, "warden")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(w, later, later); err != nil {
		t.Fatal(err)
	}
	if got, want := s.thin([]string{"claude"}, in), s.full([]string{"claude"}, in); got != want {
		t.Errorf("%+v, warden hook %+v", got, want)
	}
	for i := 0; alive(old[0]) && i < 200; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(old[0]) {
		t.Errorf("the old server (pid %d) still runs", old[0])
	}
	s.waitServer()
	if got := s.thin([]string{"claude"}, in, hookrpc.ServerEnv+"=require"); !strings.Contains(got.Stdout, `"permissionDecision":"deny"`) {
		t.Errorf("new server's answer %+v", got)
	}
}

// TestThinClientPolicyChange: with the server warm, editing warden.yaml
// changes the next decision.
func TestThinClientPolicyChange(t *testing.T) {
	s := newSandbox(t)
	in := bash(s.proj, "make deploy")
	s.thin([]string{"claude"}, in)
	s.waitServer()
	checkPolicyChange(t, s, func() answer { return s.thin([]string{"claude"}, in, hookrpc.ServerEnv+"=require") })
}

// checkPolicyChange rewrites the sandbox's warden.yaml between allowing
// and denying `make deploy` and checks that each ask (a client asking the
// warm server) answers by the policy just written.
func checkPolicyChange(t *testing.T, s *sandbox, ask func() answer) {
	t.Helper()
	policy := filepath.Join(s.proj, "warden.yaml")
	for i, want := range []string{"allow", "deny", "allow", "deny"} {
		content := "version: 1\n"
		if want == "deny" {
			content = "version: 1\nagent:\n  commands:\n    rules:\n      - id: no-deploy\n        command: make\n        args: '^deploy$'\n        decision: deny\n        reason: deploys need a human\n"
		}
		if err := os.WriteFile(policy, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got := ask()
		denied := strings.Contains(got.Stdout, `"permissionDecision":"deny"`) && strings.Contains(got.Stdout, "deploys need a human")
		if denied != (want == "deny") || got.Exit != 0 {
			t.Errorf("step %d: %+v, want %s", i, got, want)
		}
	}
}
