package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/wardenhq/warden/internal/agent/agenttest"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/hookrpc"
)

// testServer runs serveHooks in this process on a socket in a fresh
// directory and returns the socket and a channel closed when it returns.
func testServer(t testing.TB, idle time.Duration) (sock string, done <-chan struct{}) {
	t.Helper()
	dir, err := os.MkdirTemp("", "wg") // short: a socket path holds ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock = filepath.Join(dir, "run", "hook.sock")
	if err := hookrpc.EnsureDir(filepath.Dir(sock)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan struct{})
	var logb syncBuffer
	var serr error
	go func() {
		defer close(ch)
		serr = serveHooks(ctx, &Env{Stderr: &logb, Getenv: func(string) string { return "" }}, sock, idle)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ch:
			if serr != nil {
				t.Errorf("server: %v", serr)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("server did not stop; log:\n%s", logb.String())
		}
	})
	for range 500 {
		if _, err := os.Stat(sock); err == nil {
			return sock, ch
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server did not listen on %s; log:\n%s", sock, logb.String())
	return "", nil
}

// ask sends one request to the server at sock.
func ask(t testing.TB, sock string, req *hookrpc.Request) (*hookrpc.Response, error) {
	t.Helper()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	if err := hookrpc.WriteRequest(conn, req); err != nil {
		return nil, err
	}
	return hookrpc.ReadResponse(conn)
}

func selfID(t testing.TB) string {
	t.Helper()
	id, err := hookrpc.SelfIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// hookCase is one hook invocation: agent arguments and a payload.
type hookCase struct {
	name  string
	args  []string
	input string
}

// hookCases are every recorded payload of testdata/hook (all five
// dialects) and half the shell commands of the agent guard's labelled
// suite as Claude Code Bash calls.
func hookCases(t testing.TB, proj string) []hookCase {
	t.Helper()
	var cases []hookCase
	for i, r := range agenttest.RecordedPayloads(t, filepath.Join("testdata", "hook"), proj) {
		// Half with no flags: the server answers those without the
		// command tree (runPlainHook), the rest through it.
		args := []string{r.Agent, "--timeout", "1m"}
		if i%2 == 0 {
			args = args[:1]
		}
		cases = append(cases, hookCase{name: r.Agent + "/" + r.Name, args: args, input: r.Input})
	}
	// Every other shell command: the same code answers both ways, and
	// under -race each case costs two full decisions.
	for _, c := range agenttest.SuiteCommands(t, 2) {
		payload, _ := json.Marshal(map[string]any{
			"session_id": "guard-test", "cwd": proj, "hook_event_name": "PreToolUse",
			"tool_name": "Bash", "tool_input": map[string]any{"command": c.Command},
		})
		cases = append(cases, hookCase{name: fmt.Sprintf("actions.tsv:%d", c.Line), args: []string{"claude", "--timeout", "1m"}, input: string(payload)})
	}
	cases = append(cases,
		hookCase{name: "unknown agent", args: []string{"vim"}, input: "{}"},
		hookCase{name: "bad flag", args: []string{"claude", "--no-such-flag"}, input: "{}"},
		hookCase{name: "help", args: []string{"--help"}, input: ""},
		hookCase{name: "no agent", args: nil, input: "{}"},
		hookCase{name: "garbage", args: []string{"claude"}, input: "\x00not json"},
		hookCase{name: "too large", args: []string{"gemini", "--max-input", "10"}, input: `{"hook_event_name":"BeforeTool"}`},
	)
	return cases
}

func guardEnv(proj string) map[string]string {
	return map[string]string{"HOME": "/home/dev", "WARDEN_STATE_DIR": filepath.Join(proj, ".state"), "USER": "dev"}
}

func envList(m map[string]string) []string {
	var l []string
	for k, v := range m {
		l = append(l, k+"="+v)
	}
	return l
}

// TestGuardServerAnswersAsHook: the server's answer to every case is the
// answer of `warden hook` run in-process on the same input, byte for byte,
// and each decision reaches the audit log exactly once.
func TestGuardServerAnswersAsHook(t *testing.T) {
	sock, _ := testServer(t, time.Hour)
	proj := t.TempDir()
	env := guardEnv(proj)
	cases := hookCases(t, proj)
	if len(cases) < 120 {
		t.Fatalf("only %d cases: fixtures missing?", len(cases))
	}
	auditPath := filepath.Join(proj, ".warden", "audit", "audit.jsonl")
	for i, c := range cases {
		// Reading the log verifies its whole chain: count on a sample.
		counted := i%10 == 0
		b0 := 0
		if counted {
			b0 = countAudit(t, auditPath)
		}
		var out, errb bytes.Buffer
		e := &Env{Stdin: strings.NewReader(c.input), Stdout: &out, Stderr: &errb, Dir: proj, Getenv: func(k string) string { return env[k] }}
		code := Main(context.Background(), append([]string{"hook"}, c.args...), e)
		want := hookrpc.Response{Status: hookrpc.OK, Exit: code, Stdout: out.Bytes(), Stderr: errb.Bytes()}
		b1 := 0
		if counted {
			b1 = countAudit(t, auditPath)
		}

		got, err := ask(t, sock, &hookrpc.Request{Binary: selfID(t), Args: c.args, Dir: proj, Env: envList(env), Stdin: []byte(c.input)})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(string(want.Stdout)+"|"+string(want.Stderr), string(got.Stdout)+"|"+string(got.Stderr)); diff != "" || got.Exit != want.Exit {
			t.Errorf("%s: server exit %d, hook exit %d; output (-hook +server):\n%s", c.name, got.Exit, want.Exit, diff)
		}
		// The server records exactly what the hook process records.
		if !counted {
			continue
		}
		if b2 := countAudit(t, auditPath); b2-b1 != b1-b0 {
			t.Errorf("%s: the hook appended %d audit events, the server %d", c.name, b1-b0, b2-b1)
		}
	}
	if countAudit(t, auditPath) < len(cases) {
		t.Errorf("only %d audit events for %d cases run twice", countAudit(t, auditPath), len(cases))
	}
}

// countAudit counts the events of the log as a reader sees them: it seals
// what waits in the journal first (appends seal in batches), as the
// `warden audit` commands do.
func countAudit(t testing.TB, path string) int {
	t.Helper()
	if _, err := os.Stat(audit.JournalPath(path)); err == nil {
		l, err := audit.Open(path, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Seal(context.Background())
		l.Close()
		if err != nil {
			t.Fatalf("sealing %s: %v", path, err)
		}
	}
	n := 0
	err := audit.Read(path, audit.ReadOptions{}, func(audit.Record) error { n++; return nil })
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading %s: %v", path, err)
	}
	return n
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// BenchmarkGuardServer is one request to a warm server (the thin client's
// exchange without its process start): scripts/bench/hook-latency.sh
// measures the whole process.
func BenchmarkGuardServer(b *testing.B) {
	sock, _ := testServer(b, time.Hour)
	proj := b.TempDir()
	payload := `{"session_id":"s","transcript_path":"/tmp/t","cwd":"` + filepath.ToSlash(proj) + `","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status --short && go test ./... 2>&1 | tail -20","description":"Run the tests"},"tool_use_id":"t"}`
	req := &hookrpc.Request{Binary: selfID(b), Args: []string{"claude"}, Dir: proj, Env: envList(guardEnv(proj)), Stdin: []byte(payload)}
	cpu0 := benchCPU()
	for b.Loop() {
		r, err := ask(b, sock, req)
		if err != nil || r.Exit != 0 || string(r.Stdout) != "{}\n" {
			b.Fatalf("unexpected answer %+v %v", r, err)
		}
	}
	// CPU of both ends (one process): on a shared machine wall time
	// mostly measures the other tenants.
	b.ReportMetric(float64(benchCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// TestGuardServerPolicyChange: the server caches compiled policies, yet an
// edit to warden.yaml or to the organization baseline decides the very
// next request, and going back to an earlier file brings its decision back.
func TestGuardServerPolicyChange(t *testing.T) {
	sock, _ := testServer(t, time.Hour)
	proj := t.TempDir()
	org := filepath.Join(t.TempDir(), "org.yaml")
	env := guardEnv(proj)
	env["WARDEN_ORG_POLICY"] = org
	payload := `{"session_id":"s","cwd":"` + filepath.ToSlash(proj) + `","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"make deploy"}}`
	decide := func() string {
		t.Helper()
		r, err := ask(t, sock, &hookrpc.Request{Binary: selfID(t), Args: []string{"claude"}, Dir: proj, Env: envList(env), Stdin: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Exit == 0 && string(r.Stdout) == "{}\n":
			return "allow"
		case bytes.Contains(r.Stdout, []byte(`"permissionDecision":"deny"`)):
			return "deny"
		case bytes.Contains(r.Stdout, []byte(`"permissionDecision":"ask"`)):
			return "ask"
		}
		return fmt.Sprintf("exit %d %s %s", r.Exit, r.Stdout, r.Stderr)
	}
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	denyDeploy := "version: 1\nagent:\n  commands:\n    rules:\n      - id: no-deploy\n        command: make\n        args: '^deploy$'\n        decision: deny\n        reason: deploys need a human\n"
	askDeploy := strings.Replace(denyDeploy, "decision: deny", "decision: ask", 1)
	repo := filepath.Join(proj, "warden.yaml")

	write(org, "version: 1\n")
	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"no repository policy", func() {}, "allow"},
		{"repository denies", func() { write(repo, denyDeploy) }, "deny"},
		{"repository asks", func() { write(repo, askDeploy) }, "ask"},
		{"back to deny", func() { write(repo, denyDeploy) }, "deny"},
		{"repository policy removed", func() { os.Remove(repo) }, "allow"},
		{"organization denies", func() { write(org, denyDeploy) }, "deny"},
		{"organization relaxed", func() { write(org, "version: 1\n") }, "allow"},
		{"repository policy broken", func() { write(repo, "version: 1\nagent: [\n") }, "deny"},
	}
	for _, s := range steps {
		s.do()
		if got := decide(); got != s.want {
			t.Errorf("%s: %s, want %s", s.name, got, s.want)
		}
	}
}

// TestGuardServerStaleBinary: a client expecting another warden binary is
// told Stale, and the server stops (its socket goes away) so that the
// next client starts a server of the new binary.
func TestGuardServerStaleBinary(t *testing.T) {
	sock, done := testServer(t, time.Hour)
	r, err := ask(t, sock, &hookrpc.Request{Binary: "1:2/3/4", Args: []string{"claude"}, Dir: t.TempDir(), Stdin: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != hookrpc.Stale || len(r.Stdout) != 0 {
		t.Fatalf("answer %+v, want Stale and nothing else", r)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server still running after a stale request")
	}
	if _, err := os.Stat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

// TestGuardServerOtherVersion: a frame of another protocol version gets
// no answer (the client falls back) and stops the server.
func TestGuardServerOtherVersion(t *testing.T) {
	sock, done := testServer(t, time.Hour)
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("WDNH\x63\x00\x00\x00\x00"))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, _ := conn.Read(make([]byte, 10)); n != 0 {
		t.Errorf("server answered %d bytes to another protocol version", n)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server still running")
	}
}

// TestGuardServerGarbage: a malformed request gets no answer and leaves
// the server serving.
func TestGuardServerGarbage(t *testing.T) {
	sock, _ := testServer(t, time.Hour)
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, _ := conn.Read(make([]byte, 10)); n != 0 {
		t.Errorf("server answered %d bytes to garbage", n)
	}
	conn.Close()
	proj := t.TempDir()
	r, err := ask(t, sock, &hookrpc.Request{Binary: selfID(t), Args: []string{"claude"}, Dir: proj, Env: envList(guardEnv(proj)), Stdin: []byte(`{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf /"},"cwd":"` + proj + `"}`)})
	if err != nil {
		t.Fatalf("server gone after garbage: %v", err)
	}
	if !bytes.Contains(r.Stdout, []byte(`"permissionDecision":"deny"`)) {
		t.Errorf("rm -rf / not denied: %s", r.Stdout)
	}
}

// TestGuardServerNoDirectory: a server whose socket directory is gone
// (removed before it started) exits with an error rather than recreate it.
func TestGuardServerNoDirectory(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "gone", "hook.sock")
	err := serveHooks(context.Background(), &Env{Stderr: &syncBuffer{}, Getenv: func(string) string { return "" }}, sock, time.Hour)
	if err == nil {
		t.Fatal("served without a socket directory")
	}
	if _, err := os.Stat(filepath.Dir(sock)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the directory was recreated: %v", err)
	}
}

// TestGuardServerIdle: the server exits on its own after --idle.
func TestGuardServerIdle(t *testing.T) {
	sock, done := testServer(t, 200*time.Millisecond)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("server did not exit when idle")
	}
	if _, err := os.Stat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

// The guard server seals the events its decisions leave in the audit
// journal in the background: with no reader and no further append, every
// event reaches the chain shortly after the requests stop.
func TestGuardServerSealsTheAuditJournal(t *testing.T) {
	sock, _ := testServer(t, time.Hour)
	proj := t.TempDir()
	env := guardEnv(proj)
	auditPath := filepath.Join(proj, ".warden", "audit", "audit.jsonl")
	decide := func(n int) {
		t.Helper()
		for i := range n {
			payload, _ := json.Marshal(map[string]any{
				"session_id": "seal-test", "cwd": proj, "hook_event_name": "PreToolUse",
				"tool_name": "Bash", "tool_input": map[string]any{"command": fmt.Sprintf("echo %d", i)},
			})
			resp, err := ask(t, sock, &hookrpc.Request{Binary: selfID(t), Args: []string{"claude", "--timeout", "1m"}, Dir: proj, Env: envList(env), Stdin: payload})
			if err != nil || resp.Status != hookrpc.OK {
				t.Fatalf("request %d: %v %+v", i, err, resp)
			}
		}
	}
	sealedSoon := func(step string, want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			rep, err := audit.Verify(auditPath, audit.VerifyOptions{})
			if err != nil || !rep.Intact() {
				t.Fatalf("%s: Verify: %v %+v", step, err, rep.Problem)
			}
			if rep.Pending == 0 && rep.Events == want {
				return
			}
			if rep.Events > want || time.Now().After(deadline) {
				t.Fatalf("%s: %d events sealed, %d pending; want %d sealed by the server", step, rep.Events, rep.Pending, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	decide(5)
	sealedSoon("5 requests", 5)
	// The audit directory deleted: the server's sealer must not keep the
	// old lock file (it would seal beside the appenders, not with them).
	if err := os.RemoveAll(filepath.Dir(auditPath)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * auditSealEvery) // the sealer notices the log is gone
	decide(3)
	sealedSoon("3 requests after the audit directory was deleted", 3)
}

// TestGuardServerAuditLogs: the server keeps audit logs open between
// requests, yet every decision lands exactly once in the log `warden hook`
// would write: after the audit directory is deleted, after the lock file
// alone is replaced, after the policy moves the log, and with requests
// racing policy changes.
func TestGuardServerAuditLogs(t *testing.T) {
	sock, _ := testServer(t, time.Hour)
	proj := t.TempDir()
	env := guardEnv(proj)
	payload := `{"session_id":"s","cwd":"` + filepath.ToSlash(proj) + `","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"}}`
	decide := func() {
		t.Helper()
		r, err := ask(t, sock, &hookrpc.Request{Binary: selfID(t), Args: []string{"claude"}, Dir: proj, Env: envList(env), Stdin: []byte(payload)})
		if err != nil || r.Exit != 0 || string(r.Stdout) != "{}\n" || len(r.Stderr) != 0 {
			t.Fatalf("answer %+v, %v", r, err)
		}
	}
	dir := filepath.Join(proj, ".warden", "audit")
	def := filepath.Join(dir, "audit.jsonl")
	moved := filepath.Join(proj, "logs", "moved.jsonl")
	check := func(step string, path string, want int) {
		t.Helper()
		if got := countAudit(t, path); got != want {
			t.Errorf("%s: %d events in %s, want %d", step, got, path, want)
		}
	}
	decide()
	decide()
	check("warm", def, 2)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	decide()
	check("audit directory deleted", def, 1)
	if err := os.Remove(def + ".lock"); err != nil {
		t.Fatal(err)
	}
	decide()
	decide()
	check("lock file replaced", def, 3)
	policyFile := filepath.Join(proj, "warden.yaml")
	if err := os.WriteFile(policyFile, []byte("version: 1\naudit:\n  path: logs/moved.jsonl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	decide()
	check("policy moves the log", moved, 1)
	check("policy moves the log", def, 3)

	// Requests racing policy edits that move the log back and forth: each
	// decision is in one of the two logs, once.
	const workers, each = 4, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	stop := make(chan struct{})
	flipped := make(chan struct{})
	go func() {
		defer close(flipped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			content := "version: 1\n"
			if i%2 == 0 {
				content += "audit:\n  path: logs/moved.jsonl\n"
			}
			// Replaced whole (a truncated file is a policy that does not
			// load: denied, and not recorded).
			tmp := policyFile + ".tmp"
			os.WriteFile(tmp, []byte(content), 0o644)
			os.Rename(tmp, policyFile)
			time.Sleep(time.Millisecond)
		}
	}()
	for range workers {
		wg.Go(func() {
			for range each {
				r, err := ask(t, sock, &hookrpc.Request{Binary: selfID(t), Args: []string{"claude"}, Dir: proj, Env: envList(env), Stdin: []byte(payload)})
				if err == nil && (r.Exit != 0 || string(r.Stdout) != "{}\n" || len(r.Stderr) != 0) {
					err = fmt.Errorf("answer exit %d %s %s", r.Exit, r.Stdout, r.Stderr)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-flipped
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := countAudit(t, def) + countAudit(t, moved); got != 3+1+workers*each {
		t.Errorf("%d events in the two logs, want %d", got, 3+1+workers*each)
	}
}
