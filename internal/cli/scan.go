package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/baseline"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/gitx"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/report"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/scan/config"
	"github.com/wardenhq/warden/internal/scan/custom"
	"github.com/wardenhq/warden/internal/scan/sast"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

// engineNames lists every engine a policy may enable, in the order they
// run and are listed.
var engineNames = []string{"secrets", "sast", "deps", "config", "custom"}

// buildEngines builds the engines the effective policy enables
// (gates.engines; all of them when the list is empty). It is the one place
// that knows every engine's constructor: each engine adds its case here.
// An engine the policy enables but this build does not have yet is left
// out (the report's summary lists the engines that ran).
func buildEngines(p *policy.Effective) ([]scan.Engine, error) {
	enabled := p.Gates.Engines
	if len(enabled) == 0 {
		enabled = engineNames
	}
	var out []scan.Engine
	for _, name := range engineNames {
		if !slices.Contains(enabled, name) {
			continue
		}
		switch name {
		case "custom":
			e, err := custom.New(p.Rules.Patterns)
			if err != nil {
				return nil, &UsageError{Err: fmt.Errorf("policy: %w", err)}
			}
			out = append(out, e)
		case "secrets":
			e, err := secrets.New(secrets.Options{Custom: p.Rules.Secrets})
			if err != nil {
				return nil, &UsageError{Err: fmt.Errorf("policy: %w", err)}
			}
			out = append(out, e)
		case "sast":
			out = append(out, sast.New())
		case "deps":
			out = append(out, newDepsEngine(p))
		case "config":
			out = append(out, config.New())
		}
	}
	for _, name := range enabled {
		if !slices.Contains(engineNames, name) {
			return nil, &UsageError{Err: fmt.Errorf("policy: gates.engines: unknown engine %q (want %s)", name, strings.Join(engineNames, ", "))}
		}
	}
	return out, nil
}

type scanFlags struct {
	online        bool
	format        string
	output        string
	diff          string
	staged        bool
	stdinFilename string
	policyFile    string
	baselineFile  string
	noBaseline    bool
	noAudit       bool
	failOn        string
	engines       []string
	jobs          int
	noProgress    bool
	noColor       bool
	history       bool
}

func newScanCmd(e *Env) *cobra.Command {
	var fl scanFlags
	cmd := &cobra.Command{
		Use:   "scan [PATH | -]",
		Short: "Scan code for secrets, insecure code, risky dependencies and configuration",
		Long: `Scan a directory (default: the current one), a single file, or standard
input ("-") with the engines the policy enables, and fail (exit 1) when a
finding reaches the policy's gates.fail_on severity.

Inside a git work tree warden scans tracked files and untracked files git
does not ignore; elsewhere it walks the tree and honours .gitignore files.
A .wardenignore file (gitignore syntax) at the root and the policy's
gates.exclude leave more paths out. Binary files and files larger than
gates.max_file_size are skipped and counted in the summary.

--diff REV reports only findings on lines added or changed since REV (work
tree against REV, plus untracked files); --staged scans what is staged in
the index (not the work tree) and reports findings on staged lines only:
what a pre-commit hook needs.

The policy is warden.yaml (or .warden/policy.yaml) in PATH or the nearest
parent directory up to the repository root, else the built-in one; --policy
names another file. Findings recorded with 'warden baseline'
(PATH/.warden/baseline.json) and the policy's exceptions are suppressed
until they expire, then reported again, marked as expired. The summary
counts both.

Exit codes: 0 pass, 1 blocking findings, 2 usage or policy error,
3 internal error.`,
		Example: `  # scan the current repository with the built-in or repository policy
  warden scan

  # SARIF for GitHub code scanning, written atomically
  warden scan --format sarif --output warden.sarif

  # in CI on a pull request: only what the branch adds
  warden scan --diff origin/main

  # in a pre-commit hook: what is about to be committed
  warden scan --staged

  # every secret ever committed, on any branch, with commit and author
  warden scan --history --engines secrets

  # content from another program, named so the right rules apply
  git show HEAD:app.py | warden scan - --stdin-filename app.py

  # only the custom pattern rules, as JSON
  warden scan --engines custom --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			return runScan(cmd.Context(), e, target, &fl)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&fl.format, "format", "f", "text", "output format: text, json or sarif")
	f.StringVarP(&fl.output, "output", "o", "", "write the report to `FILE` (atomically) instead of standard output")
	f.StringVar(&fl.diff, "diff", "", "report only findings on lines added or changed since `REV`")
	f.BoolVar(&fl.staged, "staged", false, "scan the content staged in the git index (pre-commit)")
	f.BoolVar(&fl.history, "history", false, "scan every commit's added lines for secrets (git log --all), reporting commit, author and date")
	f.StringVar(&fl.stdinFilename, "stdin-filename", "", "the `NAME` of the content read from standard input with '-'")
	f.StringVar(&fl.policyFile, "policy", "", "policy `FILE` to use instead of warden.yaml or .warden/policy.yaml")
	f.StringVar(&fl.baselineFile, "baseline", "", "baseline `FILE` (default PATH/"+baseline.DefaultPath+" when present)")
	f.BoolVar(&fl.noBaseline, "no-baseline", false, "ignore the baseline file (policy exceptions still apply)")
	f.BoolVar(&fl.noAudit, "no-audit", false, "do not record this gate run in the audit log (audit.path)")
	f.StringVar(&fl.failOn, "fail-on", "", "fail at this `SEVERITY` or above; may only be stricter than the policy's gates.fail_on")
	f.BoolVar(&fl.online, "online", false, "deps: also ask the package registries (dependencies.registry_url) whether direct dependencies exist and how new they are")
	f.StringSliceVar(&fl.engines, "engines", nil, "run only these of the policy's engines (comma-separated: "+strings.Join(engineNames, ", ")+")")
	f.IntVarP(&fl.jobs, "jobs", "j", 0, "files scanned in parallel (default: the number of CPUs)")
	f.BoolVar(&fl.noProgress, "no-progress", false, "never show a progress bar")
	f.BoolVar(&fl.noColor, "no-color", false, "no colour in text output (NO_COLOR is honoured too)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.Formats(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("engines", cobra.FixedCompletions(engineNames, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"info", "low", "medium", "high", "critical"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// scanRun is one scan's inputs, resolved from flags and the policy.
type scanRun struct {
	root    string // absolute directory paths are relative to
	mode    string
	source  scan.Source
	lines   func(string) (scan.LineSet, bool)
	skipped map[string]int // files skipped before the pipeline (index blobs too large)
}

func runScan(ctx context.Context, e *Env, target string, fl *scanFlags) error {
	format, err := report.ParseFormat(fl.format)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--format: %w", err)}
	}
	if err := checkModeFlags(target, fl); err != nil {
		return err
	}
	root, single, err := resolveTarget(e, target)
	if err != nil {
		return err
	}
	eff, err := loadPolicyAt(e, root, fl.policyFile)
	if err != nil {
		return err
	}
	engines, err := selectEngines(eff, fl.engines)
	if err != nil {
		return err
	}
	if fl.online {
		enableOnline(engines, eff)
	}
	failOn := eff.Gates.FailOn
	if fl.failOn != "" {
		sev, err := finding.ParseSeverity(fl.failOn)
		if err != nil {
			return &UsageError{Err: fmt.Errorf("--fail-on: %w", err)}
		}
		if failOn.Valid() && sev > failOn {
			return &UsageError{Err: fmt.Errorf("--fail-on %s is looser than the policy's gates.fail_on %s; a flag may only make the gate stricter", sev, failOn)}
		}
		failOn = sev
	}

	if fl.history && single != "" {
		return Usagef("--history scans a repository: give a directory, not the file %s", target)
	}
	run := &scanRun{root: root, mode: "history"}
	if !fl.history {
		if run, err = selectSource(ctx, e, root, single, target, fl, int64(eff.Gates.MaxFileSize)); err != nil {
			return err
		}
	}
	if c, ok := run.source.(io.Closer); ok {
		defer c.Close()
	}
	ignore, err := readWardenignore(run.root)
	if err != nil {
		return err
	}
	var base *baseline.File
	if !fl.noBaseline {
		if base, err = readBaseline(e, run.root, fl.baselineFile); err != nil {
			return err
		}
	}

	started := time.Now()
	top := repoRoot(ctx, run.root)
	prog := &scan.Progress{}
	stopProgress := startProgress(e, fl.noProgress || fl.history, prog)
	var res *scan.Result
	if fl.history {
		res, err = scanHistory(ctx, run.root, engines, append(wardenExcludes(eff), wardenState(eff, top, run.root)...), ignore)
	} else {
		res, err = scan.Run(ctx, hideFiles{run.source, wardenState(eff, top, run.root)}, scan.Options{
			Engines:     engines,
			MaxFileSize: int64(eff.Gates.MaxFileSize),
			Exclude:     wardenExcludes(eff),
			Ignore:      ignore,
			Workers:     fl.jobs,
			Lines:       run.lines,
			Logger:      slog.New(slog.DiscardHandler),
			Progress:    prog,
		})
	}
	stopProgress()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("scan interrupted: %w", ctx.Err())
		}
		return err
	}

	outcome := baseline.Apply(res.Findings, base, eff.Exceptions, time.Now())
	rep := &report.Report{
		ToolVersion:  version(),
		PolicySHA256: eff.SHA256,
		Mode:         run.mode,
		Findings:     outcome.Findings,
		Rules:        rulesOf(engines),
	}
	rep.Summary = summaryOf(res, run, engines, outcome.Suppressed)
	rep.Summary.Tally(outcome.Findings, failOn)

	if err := writeReport(e, fl, format, rep); err != nil {
		return err
	}
	if !fl.noAudit {
		if err := recordScan(ctx, e, eff, top, run, engines, res, outcome, rep, time.Since(started)); err != nil {
			return fmt.Errorf("recording the gate run in the audit log: %w (use --no-audit to scan without recording)", err)
		}
	}
	if !rep.Summary.Passed {
		return ErrGateFailed
	}
	return nil
}

// recordScan appends the gate run to the audit log: every finding
// (suppressed ones flagged), the verdict and where in git it ran, so that
// `warden report` can compute findings per release and time to remediate.
func recordScan(ctx context.Context, e *Env, eff *policy.Effective, top string, run *scanRun, engines []scan.Engine,
	res *scan.Result, outcome baseline.Outcome, rep *report.Report, took time.Duration) error {
	reported := make(map[string]bool, len(outcome.Findings))
	for _, f := range outcome.Findings {
		reported[f.Fingerprint] = true
	}
	suppressed := map[string]bool{}
	for _, f := range res.Findings {
		if !reported[f.Fingerprint] {
			suppressed[f.Fingerprint] = true
		}
	}
	scope := run.mode
	if scope == "tree" {
		scope = audit.ScopeFull
	}
	names := make([]string, len(engines))
	for i, en := range engines {
		names[i] = en.Name()
	}
	_, err := recordGateRun(ctx, e, eff, gateRun{
		Root:       top,
		Scope:      scope,
		Engines:    names,
		Files:      rep.Summary.Files,
		Duration:   took,
		Findings:   res.Findings,
		Suppressed: suppressed,
		Failed:     !rep.Summary.Passed,
		Repo:       gitHead(ctx, run.root),
	})
	return err
}

// gitHead says where in git a scan ran: the commit, the branch and, when
// HEAD is tagged, the release. Outside git (or before the first commit)
// it is empty.
func gitHead(ctx context.Context, dir string) audit.Repo {
	r, err := gitx.Open(ctx, dir)
	if err != nil {
		return audit.Repo{}
	}
	h, err := r.Head(ctx)
	if err != nil {
		return audit.Repo{}
	}
	return audit.Repo{Commit: h.Commit, Ref: h.Ref, Release: h.Tag}
}

func checkModeFlags(target string, fl *scanFlags) error {
	modes := 0
	if fl.diff != "" {
		modes++
	}
	if fl.staged {
		modes++
	}
	if fl.history {
		modes++
	}
	if target == "-" {
		modes++
	}
	if modes > 1 {
		return Usagef("--diff, --staged, --history and '-' (standard input) exclude each other")
	}
	if fl.stdinFilename != "" && target != "-" {
		return Usagef("--stdin-filename needs '-' as the path to read standard input")
	}
	if fl.jobs < 0 {
		return Usagef("--jobs must be positive")
	}
	return nil
}

// resolveTarget returns the absolute directory the scan is rooted at and,
// when target names one file, that file's name inside it.
func resolveTarget(e *Env, target string) (root, single string, err error) {
	if target == "-" {
		return e.Dir, "", nil
	}
	abs := target
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(e.Dir, target)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", "", Usagef("path %s does not exist", target)
		}
		return "", "", Usagef("path %s: %v", target, err)
	}
	if fi.IsDir() {
		return abs, "", nil
	}
	if !fi.Mode().IsRegular() {
		return "", "", Usagef("path %s is neither a directory nor a regular file", target)
	}
	return filepath.Dir(abs), filepath.Base(abs), nil
}

// loadPolicyAt loads the effective policy for a scan rooted at dir, or the
// explicit file. The repository policy is the one in dir or, failing that,
// in the nearest parent directory up to the repository root (the first
// directory holding .git): scanning a subdirectory or a single file of a
// repository applies the repository's policy.
func loadPolicyAt(e *Env, dir, file string) (*policy.Effective, error) {
	return loadPolicyFrom(e, policyDir(dir), file)
}

// policyDir returns the directory whose policy applies to a scan of dir.
func policyDir(dir string) string {
	for d := dir; ; {
		for _, name := range []string{"warden.yaml", filepath.Join(".warden", "policy.yaml")} {
			if _, err := os.Stat(filepath.Join(d, name)); err == nil {
				return d
			}
		}
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return dir // the repository root has no policy either
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// selectEngines builds the policy's engines, or only those --engines names
// (each must be enabled by the policy: the flag narrows, never widens), so
// that an engine not asked for costs nothing.
func selectEngines(eff *policy.Effective, names []string) ([]scan.Engine, error) {
	if len(names) == 0 {
		return buildEngines(eff)
	}
	enabled := eff.Gates.Engines
	if len(enabled) == 0 {
		enabled = engineNames
	}
	var want []string
	noop := false
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == noopEngineName:
			// Hidden: the benchmark harness measures the pipeline alone.
			noop = true
		case !slices.Contains(engineNames, n):
			return nil, Usagef("--engines: unknown engine %q (want %s)", n, strings.Join(engineNames, ", "))
		case !slices.Contains(enabled, n):
			return nil, Usagef("--engines: engine %q is not enabled by the policy (gates.engines)", n)
		case !slices.Contains(want, n):
			want = append(want, n)
		}
	}
	var out []scan.Engine
	if len(want) > 0 {
		// Narrow the policy's list for buildEngines, then put it back: the
		// report's policy sha256 is of the policy as loaded.
		saved := eff.Gates.Engines
		eff.Gates.Engines = want
		built, err := buildEngines(eff)
		eff.Gates.Engines = saved
		if err != nil {
			return nil, err
		}
		for _, n := range want {
			if !slices.ContainsFunc(built, func(e scan.Engine) bool { return e.Name() == n }) {
				return nil, Usagef("--engines: engine %q is not in this build yet", n)
			}
		}
		out = built
	}
	if noop {
		out = append(out, noopEngine{})
	}
	return out, nil
}

// selectSource decides which files the scan covers and where their content
// comes from. A --history mode (commits' added lines) belongs here too: a
// source yielding one entry per commit and path, its findings carrying
// Finding.Commit.
func selectSource(ctx context.Context, e *Env, root, single, target string, fl *scanFlags, maxSize int64) (*scanRun, error) {
	switch {
	case target == "-":
		name := fl.stdinFilename
		if name == "" {
			name = "stdin"
		}
		name = filepath.ToSlash(filepath.Clean(name))
		if name == "." || strings.HasPrefix(name, "../") || filepath.IsAbs(name) {
			return nil, Usagef("--stdin-filename %q must be a relative path inside the repository", fl.stdinFilename)
		}
		r := io.Reader(e.Stdin)
		if maxSize > 0 {
			r = io.LimitReader(r, maxSize+1)
		}
		content, err := io.ReadAll(r)
		if err != nil {
			return nil, Usagef("reading standard input: %v", err)
		}
		run := &scanRun{root: root, mode: "stdin", source: scan.MapSource{name: content}}
		return run, nil

	case fl.staged:
		repo, err := gitx.Open(ctx, root)
		if err != nil {
			return nil, Usagef("--staged needs a git work tree: %s is not in one", root)
		}
		changes, err := repo.DiffStaged(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the staged changes: %w", err)
		}
		content, tooLarge, err := repo.ReadIndex(ctx, changes.Paths(), maxSize)
		if err != nil {
			return nil, err
		}
		run := &scanRun{root: root, mode: "staged", source: scan.MapSource(content), lines: changes.Lines}
		if len(tooLarge) > 0 {
			run.skipped = map[string]int{string(scan.SkipTooLarge): len(tooLarge)}
		}
		return run, nil
	}

	if single != "" {
		src, err := openDisk(root, []string{single})
		return &scanRun{root: root, mode: "tree", source: src}, err
	}
	repo, gitErr := gitx.Open(ctx, root)
	if fl.diff != "" {
		if gitErr != nil {
			return nil, Usagef("--diff needs a git work tree: %s is not in one", root)
		}
		changes, err := repo.DiffWorkTree(ctx, fl.diff)
		if err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--diff %s: %w", fl.diff, err)}
		}
		src, err := openDisk(root, changes.Paths())
		return &scanRun{root: root, mode: "diff", source: src, lines: changes.Lines}, err
	}
	var list []string // nil: walk the tree
	if gitErr == nil {
		files, err := repo.Files(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing files: %w", err)
		}
		list = files
		if list == nil {
			list = []string{}
		}
	}
	src, err := openDisk(root, list)
	return &scanRun{root: root, mode: "tree", source: src}, err
}

// openDisk opens the scan root; no path, symlinks included, leads outside it.
func openDisk(dir string, list []string) (*scan.DiskSource, error) {
	src, err := scan.OpenDisk(dir, list)
	if err != nil {
		return nil, Usagef("cannot open %s: %v", dir, err)
	}
	return src, nil
}

func readWardenignore(root string) (*scan.Ignore, error) {
	data, err := os.ReadFile(filepath.Join(root, ".wardenignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, Usagef("reading .wardenignore: %v", err)
	}
	return scan.ParseIgnore(data), nil
}

func readBaseline(e *Env, root, file string) (*baseline.File, error) {
	explicit := file != ""
	if !explicit {
		file = filepath.Join(root, filepath.FromSlash(baseline.DefaultPath))
	} else if !filepath.IsAbs(file) {
		file = filepath.Join(e.Dir, file)
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, nil
	}
	if err != nil {
		return nil, Usagef("reading baseline: %v", err)
	}
	b, err := baseline.Parse(file, data)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	return b, nil
}

// wardenExcludes is the policy's excludes plus the baseline, which holds
// fingerprints (hex strings a secret detector could take for keys) and
// nothing a scan should judge.
func wardenExcludes(eff *policy.Effective) []string {
	return append(slices.Clip(eff.Gates.Exclude), baseline.DefaultPath)
}

// wardenState lists globs, relative to the scan root, of the files warden
// itself writes while it runs in a repository: the audit log with its lock
// and closed segments, and the cache. They are not the user's files; a scan
// does not list them at all (they are not "excluded" either).
func wardenState(eff *policy.Effective, repoRoot, scanRoot string) []string {
	var globs []string
	add := func(abs string) {
		rel, err := filepath.Rel(scanRoot, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return // outside what this scan covers
		}
		globs = append(globs, filepath.ToSlash(rel))
	}
	add(filepath.Join(repoRoot, ".warden", "cache", "**"))
	if p := eff.Audit.Path; p != "" && !strings.HasPrefix(p, "~") {
		log := absUnder(repoRoot, p)
		ext := filepath.Ext(log)
		add(log)
		add(log + ".*")
		add(strings.TrimSuffix(log, ext) + "-*" + ext)
	}
	return globs
}

// repoRoot is where a scan of dir keeps warden's state (the audit log):
// the top of the git work tree; outside git, the directory whose policy
// applies (dir itself when there is none).
func repoRoot(ctx context.Context, dir string) string {
	if r, err := gitx.Open(ctx, dir); err == nil {
		return r.Top
	}
	return policyDir(dir)
}

// hideFiles is a Source without the paths some glob matches.
type hideFiles struct {
	scan.Source
	globs []string
}

func (h hideFiles) Paths(ctx context.Context, yield func(string) error) error {
	return h.Source.Paths(ctx, func(p string) error {
		if policy.MatchAny(h.globs, p) {
			return nil
		}
		return yield(p)
	})
}

func rulesOf(engines []scan.Engine) []finding.Rule {
	var rules []finding.Rule
	for _, en := range engines {
		rules = append(rules, en.Rules()...)
	}
	return rules
}

func summaryOf(res *scan.Result, run *scanRun, engines []scan.Engine, suppressed int) report.Summary {
	s := report.Summary{
		Files:      res.Stats.Files,
		Bytes:      res.Stats.Bytes,
		Excluded:   res.Stats.Excluded,
		Skipped:    map[string]int{},
		Suppressed: suppressed,
		Engines:    []string{},
	}
	for k, v := range res.Stats.Skipped {
		s.Skipped[string(k)] += v
	}
	for k, v := range run.skipped {
		s.Skipped[k] += v
	}
	for _, en := range engines {
		s.Engines = append(s.Engines, en.Name())
	}
	return s
}

func writeReport(e *Env, fl *scanFlags, format report.Format, rep *report.Report) error {
	var buf bytes.Buffer
	opts := report.Options{}
	if fl.output == "" && format == report.FormatText {
		opts.Color = colorWanted(e, e.Stdout, fl.noColor)
	}
	if err := report.Write(&buf, format, rep, opts); err != nil {
		return fmt.Errorf("rendering the report: %w", err)
	}
	if fl.output == "" {
		_, err := e.Stdout.Write(buf.Bytes())
		return err
	}
	out := fl.output
	if !filepath.IsAbs(out) {
		out = filepath.Join(e.Dir, out)
	}
	if err := writeFileAtomic(out, buf.Bytes(), 0o644); err != nil {
		return Usagef("--output: %v", err)
	}
	return nil
}

const noopEngineName = "noop"

// noopEngine wants every file and reports nothing: with it a scan measures
// discovery, reading and scheduling alone (scripts/bench/pipeline.sh).
type noopEngine struct{}

func (noopEngine) Name() string          { return noopEngineName }
func (noopEngine) Rules() []finding.Rule { return nil }
func (noopEngine) Scan(ctx context.Context, f scan.File, report func(finding.Finding)) error {
	return nil
}
