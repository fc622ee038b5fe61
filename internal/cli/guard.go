package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/hookrpc"
)

func newGuardCmd(e *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "guard",
		Short:  "The resident decision process behind warden-hook",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	var (
		socket string
		idle   time.Duration
	)
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Answer warden-hook's requests with the decisions of `warden hook`",
		Long: `serve is started by warden-hook (the thin hook client) when it finds no
server for its warden binary; you do not need to run it yourself. It listens
on a per-user unix socket (in a 0700 directory under $XDG_RUNTIME_DIR, else
the user cache directory), answers only processes of the same user, decides
each request with exactly the code of 'warden hook' (policies are cached by
the content of their files, so an edit applies to the next request), writes
each decision to the audit log, and exits after --idle without requests or
as soon as a client expects another warden binary (after an upgrade).`,
		Example: `  # run a server in the foreground, for debugging
  warden guard serve --idle 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if idle <= 0 {
				return Usagef("--idle must be positive")
			}
			dir := ""
			if socket == "" {
				self, err := os.Executable()
				if err != nil {
					return fmt.Errorf("cannot find the warden executable: %w", err)
				}
				dir = hookrpc.SocketDir(e.Getenv)
				socket = hookrpc.SocketPath(dir, self)
			}
			// With --socket (as warden-hook starts it) the directory must
			// already exist: a server starting after its directory was
			// removed exits rather than recreate it.
			if dir != "" {
				if err := hookrpc.EnsureDir(dir); err != nil {
					return fmt.Errorf("socket directory: %w", err)
				}
			}
			return serveHooks(cmd.Context(), e, socket, idle)
		},
	}
	serve.Flags().StringVar(&socket, "socket", "", "unix socket `PATH` to listen on (default: the one warden-hook uses for this binary)")
	serve.Flags().DurationVar(&idle, "idle", 15*time.Minute, "exit after this long without a request")
	cmd.AddCommand(serve)
	return cmd
}

// hookServer answers warden-hook's requests.
type hookServer struct {
	id string // hookrpc.SelfIdentity
	// socket and sockInfo: the file this server listens on; when it is
	// removed or replaced, clients can no longer reach this server.
	socket   string
	sockInfo os.FileInfo
	uid      int
	deps     hookDeps
	log      *slog.Logger
	idle     time.Duration
	ln       net.Listener
	conns    sync.WaitGroup

	mu     sync.Mutex
	active int
	last   time.Time
	done   chan struct{}
	once   sync.Once
}

func serveHooks(ctx context.Context, e *Env, socket string, idle time.Duration) error {
	log := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	id, err := hookrpc.SelfIdentity()
	if err != nil {
		return fmt.Errorf("cannot identify the warden executable: %w", err)
	}
	if err := hookrpc.CheckDir(filepath.Dir(socket)); err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	release, err := hookrpc.Lock(strings.TrimSuffix(socket, ".sock") + ".lock")
	if err != nil {
		// Another server holds the socket: it answers.
		log.Info("another server is running", "socket", socket)
		return nil
	}
	defer release()
	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the stale socket: %w", err)
	}
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", socket, err)
	}
	if err := os.Chmod(socket, 0o600); err != nil {
		ln.Close()
		return err
	}
	fi, err := os.Stat(socket)
	if err != nil {
		ln.Close()
		return err
	}
	// What os.Executable says for every decision: a replaced binary keeps
	// its path (Linux reports it " (deleted)", which os.Executable trims),
	// and the server stops at the first client that expects the new one.
	self, _ := os.Executable()
	logs := &auditLogs{}
	defer logs.close()
	sealer := newAuditSealer(log)
	s := &hookServer{
		id: id, uid: os.Getuid(), log: log, idle: idle, ln: ln, socket: socket, sockInfo: fi,
		deps: hookDeps{
			loadPolicy: (&policyCache{}).load,
			configure: func(cfg *agent.Config, hp *hookPolicy, dir string, e *Env) (func(), error) {
				return configureHookWith(cfg, hp, dir, e, logs.open)
			},
			auditLogUsed: sealer.used,
			self:         self,
		},
		last: time.Now(), done: make(chan struct{}),
	}
	log.Info("serving", "socket", socket, "pid", os.Getpid())
	go s.watch(ctx)
	sealCtx, stopSealing := context.WithCancel(ctx)
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		sealer.run(sealCtx, auditSealEvery)
	}()
	defer func() {
		stopSealing()
		<-sealed
		sealer.close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
			default:
				log.Error("accept", "err", err)
				s.stop("accept failed")
			}
			break
		}
		s.begin()
		s.conns.Go(func() {
			defer s.end()
			s.handle(ctx, conn)
		})
	}
	s.conns.Wait()
	return nil
}

func (s *hookServer) begin() {
	s.mu.Lock()
	s.active++
	s.mu.Unlock()
}

func (s *hookServer) end() {
	s.mu.Lock()
	s.active--
	s.last = time.Now()
	s.mu.Unlock()
}

// stop closes the listener (which removes the socket file): clients start
// a new server or run `warden hook`; requests in flight finish.
func (s *hookServer) stop(why string) {
	s.once.Do(func() {
		s.log.Info("stopping", "why", why)
		close(s.done)
		s.ln.Close()
	})
}

// watch stops the server after idle without requests, when its socket
// file goes away, or when ctx ends.
func (s *hookServer) watch(ctx context.Context) {
	tick := time.NewTicker(min(s.idle/4+time.Millisecond, 5*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			s.stop("interrupted")
			return
		case <-s.done:
			return
		case <-tick.C:
			if fi, err := os.Stat(s.socket); err != nil || !os.SameFile(fi, s.sockInfo) {
				s.stop("the socket was removed or replaced")
				return
			}
			s.mu.Lock()
			idle := s.active == 0 && time.Since(s.last) >= s.idle
			s.mu.Unlock()
			if idle {
				s.stop("idle")
				return
			}
		}
	}
}

// requestTimeout bounds reading a request; the decision has its own
// (--timeout), and writing the answer the rest.
const requestTimeout = 10 * time.Second

func (s *hookServer) handle(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	if uid, ok, err := peerUID(conn); err != nil || ok && uid != s.uid {
		s.log.Warn("refused a connection from another user", "uid", uid, "err", err)
		return
	}
	conn.SetDeadline(time.Now().Add(requestTimeout))
	req, err := hookrpc.ReadRequest(conn)
	if errors.Is(err, hookrpc.ErrVersion) {
		s.stop("a client of another warden version")
		return
	}
	if err != nil {
		s.log.Warn("bad request", "err", err)
		return
	}
	if req.Binary != s.id {
		hookrpc.WriteResponse(conn, &hookrpc.Response{Status: hookrpc.Stale})
		s.stop("the warden binary changed")
		return
	}
	conn.SetDeadline(time.Now().Add(hookrpc.HookTimeout(req.Args) + requestTimeout))
	resp := s.decide(ctx, req)
	if err := hookrpc.WriteResponse(conn, resp); err != nil {
		s.log.Warn("writing the answer", "err", err)
	}
}

// decide runs `warden hook <args>` in this process, on the request's
// input, directory and environment: the very code a hook process runs.
func (s *hookServer) decide(ctx context.Context, req *hookrpc.Request) *hookrpc.Response {
	env := make(map[string]string, len(req.Env))
	for _, kv := range req.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, dup := env[k]; !dup { // the first wins, as in getenv(3)
				env[k] = v
			}
		}
	}
	var out, errb bytes.Buffer
	e := &Env{
		Stdin: bytes.NewReader(req.Stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, Dir: req.Dir,
		hookDeps: &s.deps,
	}
	code, ok := runPlainHook(ctx, e, req.Args, s.deps)
	if !ok {
		code = run(ctx, append([]string{"hook"}, req.Args...), e, newHookRootCmd)
	}
	return &hookrpc.Response{Status: hookrpc.OK, Exit: code, Stdout: out.Bytes(), Stderr: errb.Bytes()}
}

// auditSealEvery is how often long-lived processes (the guard server, the
// gateway) seal the events their appends left in the audit journal.
const auditSealEvery = 250 * time.Millisecond

// auditSealer seals, in the background, the audit logs the guard server's
// decisions appended to: appends seal in batches, so without it the last
// events of a burst would wait in the journal for the next append or
// reader. It only seals (no signer, no rotation: the appenders do those
// with the policy's options), and forgets a log unused for auditSealForget.
type auditSealer struct {
	log  *slog.Logger
	mu   sync.Mutex
	logs map[string]*sealedLog
}

type sealedLog struct {
	l    *audit.Log  // nil until the first tick
	lock os.FileInfo // the lock file l holds
	last time.Time
}

const auditSealForget = 10 * time.Minute

func newAuditSealer(log *slog.Logger) *auditSealer {
	return &auditSealer{log: log, logs: map[string]*sealedLog{}}
}

// used notes that a decision appended to the log at path.
func (a *auditSealer) used(path string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.logs[path]; ok {
		s.last = time.Now()
		return
	}
	a.logs[path] = &sealedLog{last: time.Now()}
}

// run seals every d until ctx ends.
func (a *auditSealer) run(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.tick(ctx)
		}
	}
}

// tick seals each log. The mutex guards the map and the times only, so a
// decision noting its log never waits for a seal; the Logs belong to the
// goroutine running run (and then close).
func (a *auditSealer) tick(ctx context.Context) {
	a.mu.Lock()
	logs := make(map[string]*sealedLog, len(a.logs))
	for path, s := range a.logs {
		logs[path] = s
	}
	a.mu.Unlock()
	for path, s := range logs {
		// A Log cannot follow its lock file being removed or replaced (the
		// audit directory deleted): it would lock a file nobody else
		// locks. Reopen it then; and never create a log that is gone.
		lockPath := path + ".lock"
		cur, err := os.Stat(lockPath)
		if s.l != nil && (err != nil || !os.SameFile(cur, s.lock)) {
			s.l.Close()
			s.l = nil
		}
		if err != nil {
			continue
		}
		if s.l == nil {
			l, err := audit.Open(path, audit.Options{})
			if err != nil {
				a.log.Warn("audit: cannot open the log to seal it", "path", path, "err", err)
				a.forget(path, s)
				continue
			}
			if after, err := os.Stat(lockPath); err != nil || !os.SameFile(cur, after) {
				l.Close() // replaced meanwhile: next tick
				continue
			}
			s.l, s.lock = l, cur
		}
		if err := s.l.SealPending(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("audit: sealing pending events failed", "path", path, "err", err)
		}
		a.mu.Lock()
		idle := time.Since(s.last) > auditSealForget
		a.mu.Unlock()
		if idle {
			a.forget(path, s)
		}
	}
}

func (a *auditSealer) forget(path string, s *sealedLog) {
	if s.l != nil {
		s.l.Close()
		s.l = nil
	}
	a.mu.Lock()
	if a.logs[path] == s {
		delete(a.logs, path)
	}
	a.mu.Unlock()
}

// close seals what is left and releases the logs.
func (a *auditSealer) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for path, s := range a.logs {
		if s.l == nil {
			continue
		}
		if err := s.l.SealPending(context.Background()); err != nil {
			a.log.Warn("audit: sealing pending events failed", "path", path, "err", err)
		}
		s.l.Close()
	}
	a.logs = map[string]*sealedLog{}
}
