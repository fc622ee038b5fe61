package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/agent/claude"
	"github.com/wardenhq/warden/internal/agent/codex"
	"github.com/wardenhq/warden/internal/agent/copilot"
	"github.com/wardenhq/warden/internal/agent/cursor"
	"github.com/wardenhq/warden/internal/agent/gemini"
	"github.com/wardenhq/warden/internal/agent/state"
)

// hookDeps are the parts of the hook that other packages provide; tests
// and later wiring (the policy loader, the engines, the audit log) replace
// them.
type hookDeps struct {
	// loadPolicy returns the effective policy for the project at dir.
	loadPolicy func(dir string, getenv func(string) string) (*hookPolicy, error)
	// configure completes the guard's config (scanners, install checker,
	// audit recorder); the returned function releases what it opened.
	configure func(cfg *agent.Config, hp *hookPolicy, dir string, e *Env) (func(), error)
	// auditLogUsed, when set (the guard server), is told the audit log
	// each decision appended to, so that events left in its journal are
	// sealed in the background (auditSealer).
	auditLogUsed func(path string)
	// self, when set (the guard server, whose executable does not move
	// under it), is the warden executable's path; else os.Executable.
	self string
}

var defaultHookDeps = hookDeps{loadPolicy: loadHookPolicy, configure: configureHook}

func adapters(event string) map[string]agent.Adapter {
	return map[string]agent.Adapter{
		"claude":  claude.Adapter{},
		"cursor":  cursor.Adapter{},
		"gemini":  gemini.Adapter{},
		"codex":   codex.Adapter{},
		"copilot": copilot.Adapter{Event: event},
	}
}

func agentNames() []string {
	names := make([]string, 0, 5)
	for n := range adapters("") {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func newHookCmd(e *Env) *cobra.Command {
	var (
		timeout  time.Duration
		maxInput int64
		event    string
	)
	cmd := &cobra.Command{
		Use:   "hook <agent>",
		Short: "Decide an agent's action: called by the agent's hook on every event",
		Long: `hook reads one hook event from stdin in the agent's own format, decides it
against the policy (warden.yaml, or the built-in policy) and answers on stdout
in that agent's format. Agents: ` + strings.Join(agentNames(), ", ") + `.

It fails closed: malformed input, a policy that does not load, an internal
error or running out of time all answer with a deny (exit 0 with the agent's
deny JSON, or exit 2 with the reason on stderr where that is what the agent
honours). It never prints anything else on stdout.

See docs/AGENTS.md for the configuration each agent needs.`,
		Example: `  # .claude/settings.json
  {"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"warden hook claude","timeout":10}]}]}}

  # try it by hand
  echo '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf /"},"cwd":"'$PWD'"}' | warden hook claude`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: agentNames(),
		RunE: func(cmd *cobra.Command, args []string) error {
			ad, ok := adapters(event)[args[0]]
			if !ok {
				return Usagef("unknown agent %q (want one of %s)", args[0], strings.Join(agentNames(), ", "))
			}
			deps := defaultHookDeps
			if e.hookDeps != nil {
				deps = *e.hookDeps
			}
			resp := runHook(cmd.Context(), e, ad, deps, timeout, maxInput)
			return writeHookResponse(e, resp)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", defaultHookTimeout, "deny if no decision is made within this time (keep it below the agent's hook timeout)")
	cmd.Flags().Int64Var(&maxInput, "max-input", defaultHookMaxInput, "deny hook input larger than this many bytes")
	cmd.Flags().StringVar(&event, "event", "", "event name for payloads that carry none (Copilot camelCase configs: preToolUse, postToolUse, ...)")
	return cmd
}

// The defaults of `warden hook`'s --timeout and --max-input.
const (
	defaultHookTimeout  = 4 * time.Second
	defaultHookMaxInput = 32 << 20
)

// runPlainHook is `warden hook <agent>` with no flags, as run would answer
// it through the command tree, without building the tree: the guard
// server's common request. ok is false for anything else (flags, an
// unknown agent), which goes through run.
func runPlainHook(ctx context.Context, e *Env, args []string, deps hookDeps) (code int, ok bool) {
	if len(args) != 1 {
		return 0, false
	}
	ad, known := adapters("")[args[0]]
	if !known {
		return 0, false
	}
	defer func() { // as run's
		if r := recover(); r != nil {
			fmt.Fprintf(e.Stderr, "warden: internal error: %v\n%s", r, debug.Stack())
			code = ExitInternal
		}
	}()
	// writeHookResponse returns nil or a hookExit, which run does not print.
	return ExitCode(writeHookResponse(e, runHook(ctx, e, ad, deps, defaultHookTimeout, defaultHookMaxInput))), true
}

// hookExit carries a hook's exit code (2) through cobra without a second
// message: the reason is already on stderr. ExitCode and Main know it.
type hookExit struct{ code int }

func (h *hookExit) Error() string { return fmt.Sprintf("hook exit %d", h.code) }

func writeHookResponse(e *Env, r agent.Response) error {
	if len(r.Stdout) > 0 {
		if _, err := e.Stdout.Write(r.Stdout); err != nil {
			// stdout is gone: the client will see a failure; exit 2 is the
			// strongest remaining signal.
			fmt.Fprintf(e.Stderr, "warden: cannot write the hook answer: %v\n", err)
			return &hookExit{code: ExitUsage}
		}
	}
	if r.Stderr != "" {
		io.WriteString(e.Stderr, r.Stderr)
	}
	if r.Exit == 0 {
		return nil
	}
	return &hookExit{code: r.Exit}
}

// runHook never panics and always returns an answer.
func runHook(ctx context.Context, e *Env, ad agent.Adapter, deps hookDeps, timeout time.Duration, maxInput int64) (resp agent.Response) {
	var req *agent.Request
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(e.Stderr, "warden: internal error: %v\n%s", r, debug.Stack())
			resp = ad.Fail(req, fmt.Sprintf("internal error in warden (%v); the action is denied (fail closed)", r))
		}
	}()
	if timeout <= 0 {
		timeout = 4 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	payload, err := io.ReadAll(io.LimitReader(e.Stdin, maxInput+1))
	if err != nil {
		return ad.Fail(nil, fmt.Sprintf("cannot read the hook input: %v", err))
	}
	if int64(len(payload)) > maxInput {
		return ad.Fail(nil, fmt.Sprintf("hook input is larger than %d bytes (--max-input); the action is denied", maxInput))
	}
	req, err = ad.Decode(payload, e.Getenv)
	if err != nil {
		return ad.Fail(nil, err.Error())
	}
	if req.Event == agent.EventOther {
		return ad.Encode(req, agent.Decision{Verdict: agent.Allow})
	}

	type result struct {
		d   agent.Decision
		err error
	}
	done := make(chan result, 1)
	// The decision may outlive runHook (a timeout answers without it), so
	// it writes to stderr through a gate that closes when runHook returns:
	// the caller owns its stderr again from then on.
	gate := &gatedWriter{w: e.Stderr}
	defer gate.close()
	de := *e
	de.Stderr = gate
	go func() {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(gate, "warden: internal error: %v\n%s", r, debug.Stack())
				done <- result{err: fmt.Errorf("internal error in warden (%v)", r)}
			}
		}()
		d, err := decideHook(ctx, &de, req, deps)
		done <- result{d: d, err: err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return ad.Fail(req, r.err.Error()+"; the action is denied (fail closed)")
		}
		return ad.Encode(req, r.d)
	case <-ctx.Done():
		return ad.Fail(req, fmt.Sprintf("warden did not decide within %s; the action is denied (fail closed)", timeout))
	}
}

// projectDir is the repository the action belongs to: what the client says
// (CLAUDE_PROJECT_DIR, workspace_roots...), else the nearest directory at or
// above the action's cwd holding warden.yaml, .warden or .git, else cwd.
func projectDir(e *Env, req *agent.Request) string {
	for _, a := range req.Actions {
		if a.ProjectDir != "" {
			return a.ProjectDir
		}
	}
	cwd := e.Dir
	for _, a := range req.Actions {
		if a.Cwd != "" {
			cwd = a.Cwd
			break
		}
	}
	for d := filepath.Clean(cwd); ; {
		for _, marker := range []string{"warden.yaml", "warden.yml", ".warden", ".git"} {
			if _, err := os.Stat(filepath.Join(d, marker)); err == nil {
				return d
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return cwd
		}
		d = parent
	}
}

func decideHook(ctx context.Context, e *Env, req *agent.Request, deps hookDeps) (agent.Decision, error) {
	dir := projectDir(e, req)
	for i := range req.Actions {
		if req.Actions[i].Cwd == "" {
			req.Actions[i].Cwd = dir
		}
		if req.Actions[i].ProjectDir == "" {
			req.Actions[i].ProjectDir = dir
		}
	}
	hp, err := deps.loadPolicy(dir, e.Getenv)
	if err != nil {
		return agent.Decision{}, fmt.Errorf("the policy does not load: %v", err)
	}
	home := e.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	self := deps.self
	if self == "" {
		self, _ = os.Executable()
	}
	cfg := agent.Config{
		Policy:     &hp.eff.Policy,
		PolicySHA:  hp.eff.SHA256,
		Store:      state.Dir{Path: state.DefaultDir(e.Getenv, home)},
		ReadFile:   os.ReadFile,
		Home:       filepath.ToSlash(home),
		Getenv:     e.Getenv,
		WardenPath: filepath.ToSlash(self),
		Compiled:   hp.compiledFor(filepath.ToSlash(home), filepath.ToSlash(self)),
		// Problems that do not change the decision (an audit append that
		// failed, unreadable session state) go to stderr, never stdout.
		Log: slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	closeFn, err := deps.configure(&cfg, hp, dir, e)
	if err != nil {
		return agent.Decision{}, err
	}
	defer closeFn()
	g, err := agent.New(cfg)
	if err != nil {
		return agent.Decision{}, fmt.Errorf("the policy is not usable: %v", err)
	}
	d := g.Decide(ctx, req)
	if err := ctx.Err(); err != nil {
		return agent.Decision{}, errors.New("warden ran out of time")
	}
	return d, nil
}

// gatedWriter forwards writes until it is closed, then drops them.
type gatedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gatedWriter) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
