package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/install"
	"github.com/wardenhq/warden/internal/policy"
)

// DefaultManagedSettings is where Claude Code reads organization-wide
// managed settings on Linux.
const DefaultManagedSettings = "/etc/claude-code/managed-settings.json"

type initFlags struct {
	dryRun      bool
	agents      []string
	managed     bool
	managedPath string
	command     string
	noPreCommit bool
	noCI        bool
	check       bool
	noThin      bool
}

func newInitCmd(e *Env) *cobra.Command {
	var fl initFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Set a repository up: policy, agent hooks, instruction files, pre-commit and CI",
		Long: `init sets warden up in the repository (the git top level, else the current
directory):

  - warden.yaml, a commented starting policy, when the repository has none;
  - warden's hooks merged into each agent's configuration (.claude/settings.json,
    .gemini/settings.json, .codex/hooks.json, .github/hooks/warden.json,
    .cursor/hooks.json), leaving other settings and hooks as they are;
  - the policy's security guidance in CLAUDE.md, AGENTS.md, GEMINI.md,
    .cursor/rules/warden.mdc and .github/copilot-instructions.md, between
    <!-- warden:begin --> and <!-- warden:end --> (re-runs update it in place);
  - a git pre-commit hook running 'warden scan --staged' (core.hooksPath is
    honoured; an existing hook is kept and still runs);
  - .github/workflows/warden.yml: the gate in CI, findings uploaded as SARIF.

Agents are those found in the repository or in your home directory (all of
them when none is found); --agent chooses. Running init again changes
nothing unless the policy changed. Every file it changes is first copied to
<file>.warden-bak. A configuration file that is not valid JSON is refused
with its line and column, and nothing at all is written.

The hooks run a thin client when one is installed next to warden:
'warden-hook-c <agent>' (the C build, scripts/install-hook-client, Linux),
else 'warden-hook <agent>' (go install ./cmd/...). Both answer in about the
time a process takes to start, from a per-user warden process they start
themselves. Without one the hooks run 'warden hook <agent>';
--no-thin-client keeps that. A re-run moves hooks written for warden hook
or warden-hook to the best client installed.

--check reports, per agent (those detected, or --agent), whether warden's
hooks are configured, which client they run (and whether it can run), and
whether they have fired (decisions from that agent
in the audit log); it exits 1 unless every one is configured and has fired.`,
		Example: `  # see what init would change, as a diff, without writing anything
  warden init --dry-run

  # set up Claude Code and Codex only
  warden init --agent claude,codex

  # organization-wide Claude Code hooks (run as root)
  sudo warden init --managed --agent claude --no-pre-commit --no-ci

  # are the hooks in place, and do they fire?
  warden init --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fl.check {
				return runInitCheck(cmd.Context(), e, &fl)
			}
			return runInit(cmd.Context(), e, &fl)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&fl.dryRun, "dry-run", "n", false, "print the diff of every change and write nothing")
	f.StringSliceVar(&fl.agents, "agent", nil, "configure only these agents (comma-separated: "+strings.Join(install.Agents, ", ")+", or all)")
	f.BoolVar(&fl.managed, "managed", false, "also merge Claude Code's hooks into the organization's managed settings ("+DefaultManagedSettings+")")
	f.StringVar(&fl.managedPath, "managed-path", "", "managed settings `FILE` to use with --managed instead of "+DefaultManagedSettings)
	f.StringVar(&fl.command, "command", "warden", "how the agents' hooks call warden (a `PATH` to the binary if it is not on the agents' PATH)")
	f.BoolVar(&fl.noPreCommit, "no-pre-commit", false, "do not install the git pre-commit hook")
	f.BoolVar(&fl.noCI, "no-ci", false, "do not write the GitHub Actions workflow")
	f.BoolVar(&fl.noThin, "no-thin-client", false, "make the hooks run 'warden hook <agent>' even when a thin client (warden-hook-c, warden-hook) is installed next to warden")
	f.BoolVar(&fl.check, "check", false, "report whether each agent's hooks are configured and have fired; change nothing")
	_ = cmd.RegisterFlagCompletionFunc("agent", cobra.FixedCompletions(append(append([]string{}, install.Agents...), "all"), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// thinClientFor is how hooks call the thin client when one is installed
// next to the warden that command names: warden-hook-c (the C build, Linux
// only, see scripts/install-hook-client) when it is there together with
// the Go warden-hook it hands over to, else warden-hook; spelled by its
// name when that is what PATH finds, else by its absolute path; "" when
// there is none.
func thinClientFor(command string) string {
	if len(strings.Fields(command)) != 1 {
		return "" // a wrapper command line: keep it as it is
	}
	w, err := exec.LookPath(command)
	if err != nil {
		return ""
	}
	dir, ext := filepath.Dir(w), filepath.Ext(w)
	executable := func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
	}
	goThin := filepath.Join(dir, "warden-hook"+ext)
	if !executable(goThin) {
		return ""
	}
	name, thin := "warden-hook", goThin
	if c := filepath.Join(dir, "warden-hook-c"+ext); executable(c) {
		name, thin = "warden-hook-c", c
	}
	if !strings.ContainsAny(command, `/\`) {
		if p, err := exec.LookPath(name); err == nil && p == thin {
			return name
		}
	}
	if abs, err := filepath.Abs(thin); err == nil {
		return abs
	}
	return thin
}

// hookClient names the program a hook command runs warden's hook with
// ("warden hook", "warden-hook", "warden-hook-c", as spelled) and says why
// it cannot run: its program is not found, or warden-hook-c lacks the
// warden-hook and warden it needs next to it (problem "" when it can).
func hookClient(command string) (client, problem string) {
	f := strings.Fields(command)
	for i, w := range f {
		base := strings.TrimSuffix(filepath.Base(w), ".exe")
		if base != "warden" && base != "warden-hook" && base != "warden-hook-c" {
			continue
		}
		if base == "warden" && (i+1 >= len(f) || f[i+1] != "hook") {
			continue
		}
		client = w
		if base == "warden" {
			client += " hook"
		}
		p, err := exec.LookPath(w)
		if err != nil {
			return client, fmt.Sprintf("%s is not found (the agent would run no hook at all)", w)
		}
		if base == "warden-hook-c" {
			for _, need := range []string{"warden-hook", "warden"} {
				if fi, err := os.Stat(filepath.Join(filepath.Dir(p), need)); err != nil || !fi.Mode().IsRegular() {
					return client, fmt.Sprintf("%s needs %s next to it (reinstall: go install ./cmd/... and scripts/install-hook-client)", p, need)
				}
			}
		}
		return client, ""
	}
	return command, ""
}

// gitPaths returns the repository's top level and hooks directory, or
// ("", "") outside a git repository.
func gitPaths(ctx context.Context, dir string) (top, hooks string) {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-toplevel", "--git-path", "hooks").Output()
	if err != nil {
		return "", ""
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return "", ""
	}
	top, hooks = lines[0], lines[1]
	if !filepath.IsAbs(hooks) {
		hooks = filepath.Join(dir, hooks)
	}
	return top, filepath.Clean(hooks)
}

func (fl *initFlags) options(ctx context.Context, e *Env) (install.Options, error) {
	if fl.managedPath != "" && !fl.managed {
		return install.Options{}, &UsageError{Err: errors.New("--managed-path needs --managed")}
	}
	dir := e.Dir
	top, hooks := gitPaths(ctx, e.Dir)
	if top != "" {
		dir = top
	}
	home := e.Getenv("HOME")
	o := install.Options{
		Dir: dir, Home: home, Agents: fl.agents, HooksDir: hooks,
		WardenCommand: fl.command, NoPreCommit: fl.noPreCommit, NoCI: fl.noCI,
	}
	if !fl.noThin {
		o.HookCommand = thinClientFor(fl.command)
	}
	if v := version(); strings.HasPrefix(v, "v") {
		o.Version = v
	}
	if fl.managed {
		o.Managed = DefaultManagedSettings
		if fl.managedPath != "" {
			o.Managed = fl.managedPath
			if !filepath.IsAbs(o.Managed) {
				o.Managed = filepath.Join(e.Dir, o.Managed)
			}
		}
	}
	return o, nil
}

func runInit(ctx context.Context, e *Env, fl *initFlags) error {
	o, err := fl.options(ctx, e)
	if err != nil {
		return err
	}
	pe := *e
	pe.Dir = o.Dir
	name, err := policy.Discover(o.Dir)
	if err != nil {
		return policyError(err)
	}
	if name == "" {
		det := install.Detect(o.Dir, o.Home)
		o.PolicyFile = install.StartingPolicy(filepath.Base(o.Dir), det)
		eff, err := loadCandidatePolicy(&pe, o.PolicyFile)
		if err != nil {
			return fmt.Errorf("the starting policy does not load (a bug in warden): %w", err)
		}
		o.Policy = eff
	} else {
		eff, err := loadPolicy(&pe, "")
		if err != nil {
			return err
		}
		o.Policy = eff
	}
	plan, err := install.Make(o)
	if err != nil {
		var fe *install.FileError
		if errors.As(err, &fe) || strings.Contains(err.Error(), "unknown agent") {
			return &UsageError{Err: fmt.Errorf("nothing was written: %w", err)}
		}
		return fmt.Errorf("nothing was written: %w", err)
	}
	out := e.Stdout
	if fl.dryRun {
		for _, c := range plan.Changes {
			out.Write(c.Diff())
		}
		if len(plan.Changes) == 0 {
			fmt.Fprintln(e.Stderr, "warden init: nothing to change")
		} else {
			fmt.Fprintf(e.Stderr, "warden init: dry run, %d file(s) would change; nothing was written\n", len(plan.Changes))
		}
		return nil
	}
	backups, err := install.Apply(plan.Changes)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "warden init in %s\n", o.Dir)
	if len(plan.Detection.Languages) > 0 {
		fmt.Fprintf(out, "languages: %s\n", strings.Join(plan.Detection.Languages, ", "))
	}
	var agents []string
	for _, a := range plan.Agents {
		agents = append(agents, a)
	}
	fmt.Fprintf(out, "agents: %s\n", strings.Join(agents, ", "))
	for _, c := range plan.Changes {
		verb := "updated"
		if c.Old == nil {
			verb = "created"
		}
		fmt.Fprintf(out, "  %s %s: %s\n", verb, c.Display, c.What)
	}
	for _, u := range plan.Unchanged {
		fmt.Fprintf(out, "  unchanged %s\n", u)
	}
	if len(backups) > 0 {
		fmt.Fprintf(out, "backups: %d file(s) saved as <file>%s\n", len(backups), install.BackupSuffix)
	}
	if len(plan.Changes) == 0 {
		fmt.Fprintln(out, "nothing to change: warden is set up")
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	return nil
}

// loadCandidatePolicy loads the effective policy as it will be once the
// starting warden.yaml is written, without writing it to the repository.
func loadCandidatePolicy(e *Env, data []byte) (*policy.Effective, error) {
	dir, err := os.MkdirTemp("", "warden-init-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, policy.RepoFile)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return nil, err
	}
	return policy.Load(policy.LoadOptions{File: p, OrgPath: orgPolicyPath(e)})
}

// runInitCheck reports, per agent, whether warden's hooks are configured
// and whether the audit log holds decisions from that agent: only an event
// proves that the agent really calls warden (Codex, for one, skips an
// untrusted hook without a word).
func runInitCheck(ctx context.Context, e *Env, fl *initFlags) error {
	o, err := fl.options(ctx, e)
	if err != nil {
		return err
	}
	pe := *e
	pe.Dir = o.Dir
	eff, err := loadPolicy(&pe, "")
	if err != nil {
		return err
	}
	agents, err := install.SelectAgents(o.Agents, install.Detect(o.Dir, o.Home))
	if err != nil {
		return &UsageError{Err: err}
	}
	seen := map[string]int{}
	logPath := auditLogPath(eff, o.Dir, "")
	// A hook's event may still wait in the journal (appends seal in
	// batches): seal first, as every reader does.
	sealPending(e, eff, logPath)
	logErr := audit.Read(logPath, audit.ReadOptions{}, func(r audit.Record) error {
		if a := r.Actor.Agent; a != "" {
			seen[a]++
		}
		return nil
	})
	out := e.Stdout
	if _, err := exec.LookPath(strings.Fields(o.WardenCommand + " x")[0]); err != nil {
		fmt.Fprintf(out, "warning: %q is not on PATH: the agents' hooks cannot run it (use --command)\n", o.WardenCommand)
	}
	problems := 0
	for _, a := range agents {
		file := filepath.Join(o.Dir, filepath.FromSlash(install.HookFile(a)))
		have, missing, err := install.Configured(a, file)
		status := "configured"
		switch {
		case err != nil:
			status = "error: " + err.Error()
			problems++
		case len(have) == 0:
			status = "not configured (run warden init --agent " + a + ")"
			problems++
		case len(missing) > 0:
			status = "partly configured (missing " + strings.Join(missing, ", ") + "; run warden init)"
			problems++
		}
		if err == nil && len(have) > 0 {
			cmds, _ := install.WardenCommands(a, file)
			var clients []string
			for _, c := range cmds {
				client, p := hookClient(c)
				if p != "" {
					status = "broken: " + p
					problems++
					break
				}
				clients = append(clients, client)
			}
			if len(clients) == len(cmds) && len(clients) > 0 {
				slices.Sort(clients)
				status += " (runs " + strings.Join(slices.Compact(clients), ", ") + ")"
			}
		}
		fired := "no decisions recorded yet"
		if n := seen[a]; n > 0 {
			fired = fmt.Sprintf("%d decision(s) recorded: the hooks fire", n)
		} else {
			problems++
			if a == install.Codex && len(have) > 0 {
				fired += " (if a Codex session ran, its hooks are not trusted: see warden init's note)"
			}
		}
		fmt.Fprintf(out, "%-8s %s: %s; %s\n", a, install.HookFile(a), status, fired)
	}
	if logErr != nil && !errors.Is(logErr, os.ErrNotExist) {
		fmt.Fprintf(out, "warning: reading the audit log %s: %v\n", logPath, logErr)
	}
	if problems > 0 {
		fmt.Fprintln(out, "not proven: configure the agents above, start a session with each, run a command, and check again")
		return ErrGateFailed
	}
	fmt.Fprintln(out, "every agent's hooks are configured and fire")
	return nil
}
