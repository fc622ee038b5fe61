package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/scan/deps"
	"github.com/wardenhq/warden/internal/vulndb"
)

type hookPolicy struct {
	eff *policy.Effective

	// The guard server keeps a hookPolicy for many requests: the agent
	// section compiled once per home and warden path.
	mu       sync.Mutex
	compiled map[[2]string]*agent.Compiled
}

// compiledFor returns the policy compiled for a Guard with this home and
// warden path, or nil when it does not compile (agent.New then reports why).
func (hp *hookPolicy) compiledFor(home, wardenPath string) *agent.Compiled {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	key := [2]string{home, wardenPath}
	if c, ok := hp.compiled[key]; ok {
		return c
	}
	c, err := agent.Compile(&hp.eff.Policy, home, wardenPath)
	if err != nil {
		return nil
	}
	if hp.compiled == nil || len(hp.compiled) >= 16 {
		hp.compiled = map[[2]string]*agent.Compiled{}
	}
	hp.compiled[key] = c
	return c
}

// loadHookPolicy loads the effective policy for the repository at dir:
// built-in defaults, the organization baseline, the repository file
// (WARDEN_POLICY names one explicitly).
func loadHookPolicy(dir string, getenv func(string) string) (*hookPolicy, error) {
	e := &Env{Getenv: getenv, Dir: dir}
	opts := policy.LoadOptions{Dir: dir, OrgPath: orgPolicyPath(e)}
	if f := getenv("WARDEN_POLICY"); f != "" {
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		opts.File = f
	}
	eff, err := policy.Load(opts)
	if err != nil {
		return nil, err
	}
	return &hookPolicy{eff: eff}, nil
}

// configureHook wires the real engines, the dependency gate and the audit
// log into the guard. Engines and the gate are built only when a decision
// needs them: a shell command pays for neither.
func configureHook(cfg *agent.Config, hp *hookPolicy, dir string, e *Env) (closeFn func(), err error) {
	return configureHookWith(cfg, hp, dir, e, func(e *Env, hp *hookPolicy, dir string) (*audit.Log, func(), error) {
		log, err := openAuditLog(e, hp.eff, dir)
		if err != nil {
			return nil, nil, err
		}
		return log, func() { log.Close() }, nil
	})
}

// configureHookWith is configureHook with the audit log opened by
// openLog (the guard server keeps its logs open: auditLogs).
func configureHookWith(cfg *agent.Config, hp *hookPolicy, dir string, e *Env, openLog func(*Env, *hookPolicy, string) (*audit.Log, func(), error)) (closeFn func(), err error) {
	eff := hp.eff
	cfg.Scanners = func() ([]scan.Engine, error) { return buildEngines(eff) }
	cfg.Installs = &installGate{eff: eff, getenv: e.Getenv}
	log, release, err := openLog(e, hp, dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open the audit log: %w", err)
	}
	// A hook process appends one event and exits without sealing it (it
	// waits in the journal for the next due append or reader: docs/AUDIT.md);
	// the guard server seals what its decisions leave in the background.
	if e.hookDeps != nil && e.hookDeps.auditLogUsed != nil {
		e.hookDeps.auditLogUsed(log.Path())
	}
	cfg.Recorder = &auditRecorder{log: log, actor: auditActor(e), repo: audit.Repo{Name: filepath.Base(dir)}}
	return release, nil
}

// installGate adapts the dependency gate to the guard.
type installGate struct {
	eff    *policy.Effective
	getenv func(string) string
	once   sync.Once
	eng    *deps.Engine
}

func (g *installGate) engine() *deps.Engine {
	g.once.Do(func() {
		opts := deps.OptionsFromPolicy(&g.eff.Policy)
		dir, err := vulndb.DefaultDir(g.getenv)
		if err == nil {
			opts.DB, err = vulndb.Open(dir)
		}
		opts.DBError = err
		g.eng = deps.New(opts)
	})
	return g.eng
}

func (g *installGate) CheckInstall(ctx context.Context, argv []string) (bool, []finding.Finding, error) {
	in, ok := deps.ParseInstall(argv)
	if !ok {
		return false, nil, nil
	}
	fs, err := g.engine().CheckInstall(ctx, in)
	return true, fs, err
}

// auditRecorder writes guard decisions to the audit log.
type auditRecorder struct {
	log   *audit.Log
	actor audit.Actor
	repo  audit.Repo
}

func (r *auditRecorder) Record(ctx context.Context, ev agent.AuditEvent) error {
	actor := r.actor
	actor.Agent, actor.Session = ev.Agent, ev.Session
	kind := string(ev.Kind)
	if kind == "" {
		kind = string(ev.Event)
	}
	summary := kind
	switch {
	case len(ev.Programs) > 0:
		summary += ": " + strings.Join(ev.Programs, ", ")
	case ev.Target != "":
		summary += ": " + ev.Target
	}
	ae := audit.Event{
		Kind:         audit.KindAgentAction,
		Time:         ev.Time,
		Actor:        actor,
		Repo:         r.repo,
		Summary:      summary,
		Action:       &audit.Action{Kind: kind, Tool: ev.Tool, Event: ev.HookEvent, Host: ev.Host},
		Rules:        ev.Rules,
		Decision:     string(ev.Verdict),
		PolicySHA256: ev.PolicySHA,
	}
	if ev.Reason != "" {
		ae.Reasons = []string{ev.Reason}
	}
	if ev.Target != "" && ev.Host == "" && ev.Kind != agent.KindMCP && ev.Kind != agent.KindUnknown {
		ae.Paths = []string{ev.Target}
	}
	if ev.CommandID != "" {
		ae.Hashes = []string{"sha256:" + ev.CommandID}
	}
	for _, f := range ev.Findings {
		ae.Findings = append(ae.Findings, audit.FindingRef{Rule: f.RuleID, Engine: f.Engine, Severity: f.Severity, Fingerprint: f.Fingerprint, Path: f.Path, Line: f.StartLine})
	}
	if ev.Verdict != agent.Allow {
		for _, rule := range ev.Rules {
			switch rule {
			case agent.RuleCredentialRead, agent.RuleNetworkUpload, agent.RuleFetchDomain, agent.RuleMCP, agent.RuleWardenTamper, agent.RuleTaintedSession:
				ae.Tags = []string{audit.TagUnauthorizedAccess}
			}
		}
	}
	_, err := r.log.Append(ctx, ae)
	return err
}
