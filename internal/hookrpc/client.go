package hookrpc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Timeouts of the client's steps. The decision itself is bounded by the
// hook's --timeout (default 4 s) inside the server or `warden hook`.
const (
	// answerGrace is how long past the hook's own timeout the client waits
	// for the server's answer; the server answers a deny at the timeout.
	answerGrace = time.Second
	// execGrace is the same for `warden hook` run as a process, which also
	// has to start.
	execGrace      = 3 * time.Second
	defaultTimeout = 4 * time.Second
)

// ServerEnv set to "off" turns the server off: every hook then runs
// `warden hook` as a process (slower, nothing resident). Set to "require",
// only a server's answer counts: without one the action is denied (for
// tests and for checking a setup).
const ServerEnv = "WARDEN_HOOK_SERVER"

// FastEnv is set by the C client (clients/warden-hook-c) when it hands a
// hook over to this one. "timeout": the server took the request and did not
// answer within the hook's timeout plus the grace; the answer is the same
// deny this client gives then, without deciding again (which would double
// the wait). The variable is never forwarded to a decision.
const FastEnv = "WARDEN_HOOK_FAST_FAILED"

// IdleEnv is how long a server started by warden-hook waits for requests
// before it exits (a Go duration; default 15m).
const IdleEnv = "WARDEN_HOOK_SERVER_IDLE"

// Client is one run of warden-hook.
type Client struct {
	// Args are the arguments after the program name: the agent, then the
	// flags of `warden hook`.
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Environ is the environment forwarded to the decision (KEY=VALUE).
	Environ []string
	// Dir is the working directory; "" when it cannot be named (deleted):
	// no server can then stand in for it, so `warden hook` runs here.
	Dir string
	// Warden is the warden executable to use; "" = the one next to Self,
	// else "warden" on PATH.
	Warden string
	// Self is this executable.
	Self string
}

// Run answers the hook and returns the exit code: the server's answer
// when one is running for this warden binary, else `warden hook` run as a
// process (and a server started for next time), else a deny.
func (c *Client) Run(ctx context.Context) int {
	agent := agentOf(c.Args)
	timeout := HookTimeout(c.Args)
	if c.Getenv(FastEnv) == "timeout" {
		return c.write(timeoutDeny(agent, timeout))
	}
	c.Environ = withoutFastEnv(c.Environ)
	stdin, rest, err := readUpTo(c.Stdin, MaxStdin)
	if err != nil {
		return c.write(Deny(agent, "cannot read the hook input: "+err.Error()+"; the action is denied (fail closed)"))
	}
	warden := c.Warden
	if warden == "" {
		warden = c.findWarden()
	}
	if warden == "" {
		return c.write(Deny(agent, "warden is not installed next to warden-hook or on PATH; the action is denied (fail closed)"))
	}
	mode := c.Getenv(ServerEnv)
	spawn := false
	if rest == nil && mode != "off" && c.Dir != "" {
		var resp *Response
		resp, spawn = c.ask(warden, stdin, timeout)
		if resp != nil {
			return c.write(resp)
		}
	}
	if mode == "require" {
		if spawn {
			c.startServer(warden)
		}
		return c.write(Deny(agent, "no warden guard server answered ("+ServerEnv+"=require); the action is denied (fail closed)"))
	}
	in := io.Reader(bytes.NewReader(stdin))
	if rest != nil {
		in = io.MultiReader(in, rest)
	}
	// The server for next time starts while `warden hook` decides this
	// request, not before it: the agent waits for one process start only.
	started := func() {}
	if spawn {
		started = func() { c.startServer(warden) }
	}
	return c.write(c.exec(ctx, warden, in, timeout, started))
}

// ask sends the request to the server. It returns the answer, or nil and
// whether a server should be started (none answered, or a stale one).
func (c *Client) ask(warden string, stdin []byte, timeout time.Duration) (*Response, bool) {
	id, err := Identity(warden)
	if err != nil {
		return nil, false
	}
	dir := SocketDir(c.Getenv)
	if err := CheckDir(dir); err != nil {
		// Missing: no server yet. Unsafe: the server refuses it too, so
		// starting one is pointless; `warden hook` still decides.
		return nil, errors.Is(err, os.ErrNotExist)
	}
	conn, err := dial(SocketPath(dir, warden), timeout+answerGrace)
	if err != nil {
		return nil, true
	}
	defer conn.Close()
	req := &Request{Binary: id, Args: c.Args, Dir: c.Dir, Env: c.Environ, Stdin: stdin}
	if err := WriteRequest(conn, req); err != nil {
		return nil, true
	}
	resp, err := ReadResponse(conn)
	switch {
	case errors.Is(err, errTimeout):
		// The server took the request and did not decide in time; running
		// the decision again would double the wait the agent sees.
		return timeoutDeny(agentOf(c.Args), timeout), false
	case err != nil:
		// Dead or garbled: never trusted as an answer.
		return nil, true
	case resp.Status == Stale:
		return nil, true
	}
	return resp, false
}

// timeoutDeny is the answer when the server took the request and did not
// answer in time.
func timeoutDeny(agent string, timeout time.Duration) *Response {
	return Deny(agent, "the warden guard server did not answer within "+(timeout+answerGrace).String()+"; the action is denied (fail closed)")
}

// withoutFastEnv is env without FastEnv.
func withoutFastEnv(env []string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, FastEnv+"=") {
			out := append([]string{}, env[:i]...)
			for _, kv := range env[i+1:] {
				if !strings.HasPrefix(kv, FastEnv+"=") {
					out = append(out, kv)
				}
			}
			return out
		}
	}
	return env
}

// exec runs `warden hook` with the same arguments and input;
// started runs once the process has started (or failed to).
func (c *Client) exec(ctx context.Context, warden string, stdin io.Reader, timeout time.Duration, started func()) *Response {
	ctx, cancel := context.WithTimeout(ctx, timeout+execGrace)
	defer cancel()
	cmd := exec.CommandContext(ctx, warden, append([]string{"hook"}, c.Args...)...)
	cmd.Dir = c.Dir
	cmd.Env = c.Environ
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Start()
	started()
	if err == nil {
		err = cmd.Wait()
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return Deny(agentOf(c.Args), "warden hook did not answer within "+(timeout+execGrace).String()+"; the action is denied (fail closed)")
	case errors.As(err, &ee) && ee.Exited():
		return &Response{Exit: ee.ExitCode(), Stdout: out.Bytes(), Stderr: errb.Bytes()}
	case err != nil:
		// Not started, or killed by a signal: no answer to pass on.
		return Deny(agentOf(c.Args), "cannot run warden hook: "+err.Error()+"; the action is denied (fail closed)")
	}
	return &Response{Stdout: out.Bytes(), Stderr: errb.Bytes()}
}

// startServer starts `warden guard serve` for next time, detached; it
// does not wait for it. A server already starting wins its lock and the
// second exits.
func (c *Client) startServer(warden string) {
	dir := SocketDir(c.Getenv)
	if err := EnsureDir(dir); err != nil {
		return
	}
	sock := SocketPath(dir, warden)
	args := []string{"guard", "serve", "--socket", sock}
	if d, err := time.ParseDuration(c.Getenv(IdleEnv)); err == nil && d > 0 {
		args = append(args, "--idle", d.String())
	}
	cmd := exec.Command(warden, args...)
	cmd.Dir = "/"
	cmd.Env = c.Environ
	if f, err := os.OpenFile(strings.TrimSuffix(sock, ".sock")+".log", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
		cmd.Stderr = f
		defer f.Close()
	}
	detach(cmd)
	if cmd.Start() == nil {
		cmd.Process.Release()
	}
}

func (c *Client) findWarden() string {
	if c.Self != "" {
		p := filepath.Join(filepath.Dir(c.Self), "warden"+exeSuffix())
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	p, err := exec.LookPath("warden")
	if err != nil {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func (c *Client) write(r *Response) int {
	c.Stdout.Write(r.Stdout)
	c.Stderr.Write(r.Stderr)
	return r.Exit
}

// readUpTo reads r to its end, or max bytes; rest is nil when it read
// everything, else the reader holding what remains.
func readUpTo(r io.Reader, max int64) (data []byte, rest io.Reader, err error) {
	data, err = io.ReadAll(io.LimitReader(r, max))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) < max {
		return data, nil, nil
	}
	return data, r, nil
}

// hookTimeout is the --timeout among the hook's flags (default 4s).
func HookTimeout(args []string) time.Duration {
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "--timeout=")
		if !ok && a == "--timeout" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok {
			if d, err := time.ParseDuration(v); err == nil && d > 0 {
				return d
			}
		}
	}
	return defaultTimeout
}

func agentOf(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}

func exeSuffix() string {
	if filepath.Separator == '\\' {
		return ".exe"
	}
	return ""
}
