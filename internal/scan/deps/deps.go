// Package deps is the dependency gate (engine "deps"): it reads lockfiles
// and manifests, and the package-manager commands an agent is about to run,
// and reports vulnerable and malicious versions (from the offline OSV
// database), names that look like typosquats or hallucinations of popular
// packages, internal names resolved from a public registry (dependency
// confusion), unpinned dependencies and install scripts.
package deps

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/vulndb"
)

// EngineName is the engine's id in policy and output.
const EngineName = "deps"

// Package is one dependency as a lockfile, a manifest or an install
// command names it.
type Package struct {
	// Ecosystem is spelled as OSV spells it: npm, PyPI, Go, crates.io,
	// RubyGems, Packagist, Maven.
	Ecosystem string
	Name      string
	// Version is the exact version that is (or would be) installed; empty
	// when only a constraint is known.
	Version string
	// Constraint is the declared requirement ("^1.2.0", ">=2,<3",
	// "latest"), for manifests and install commands.
	Constraint string
	// Source says where the package comes from: "" for the ecosystem's
	// registry, "git", "url", "path".
	Source string
	// Ref is the commit a git source is pinned to, if any.
	Ref string
	// Resolved is the URL a lockfile says the package was fetched from.
	Resolved string
	// Direct is true when the project itself declares the package.
	Direct bool
	// InstallScript is true when the lockfile records that the package
	// runs scripts on install.
	InstallScript bool
	// Line is the 1-based line that declares the package (0: unknown).
	Line int
}

// Kind says what a dependency file is.
type Kind int

const (
	// Lockfile pins every package's exact version.
	Lockfile Kind = iota + 1
	// Manifest declares direct dependencies, often as ranges.
	Manifest
)

// File is a parsed dependency file.
type File struct {
	Path      string
	Kind      Kind
	Ecosystem string
	Packages  []Package
	// MatchVersions is true when the file's exact versions are what gets
	// installed, so they are checked against the vulnerability database
	// (lockfiles, go.mod, pinned requirements, pom.xml).
	MatchVersions bool
}

// Registry answers --online questions about a package. It is implemented
// outside the core (internal/registry) over HTTP.
type Registry interface {
	Lookup(ctx context.Context, ecosystem, name string) (RegistryInfo, error)
}

// VersionDater is a Registry that can also say when one version of a
// package was published (--online): it dates the fix of a vulnerability
// (the "days since the fix was published" figure) from the release itself
// rather than from the advisory. found is false when the registry does not
// know the version.
type VersionDater interface {
	VersionTime(ctx context.Context, ecosystem, name, version string) (t time.Time, found bool, err error)
}

// RegistryInfo is what a registry knows about a package.
type RegistryInfo struct {
	Exists bool
	// Created is when the package was first published (zero: unknown).
	Created time.Time
	// InstallScripts is true when its latest version runs install scripts
	// (npm preinstall/install/postinstall).
	InstallScripts bool
}

// Options configure an Engine. Build them from a policy with
// OptionsFromPolicy.
type Options struct {
	// DB is the vulnerability database; nil when none could be opened, in
	// which case DBError says why.
	DB      *vulndb.DB
	DBError error
	// MaxDBAge and DBAgeAction ("warn" or "fail") govern a stale database;
	// DBAgeAction also decides how loud a missing database is.
	MaxDBAge    time.Duration
	DBAgeAction string
	// Typosquat enables the look-alike check.
	Typosquat bool
	// Unpinned and InstallScripts are severities ("off" disables).
	Unpinned       string
	InstallScripts string
	// InternalPatterns are globs of internal package names
	// (dependencies.internal_scopes and internal_names).
	InternalPatterns []string
	// Registry enables --online checks; nil keeps the engine offline.
	Registry Registry
	// NewPackageAge: packages first published more recently are flagged
	// (online only). Default 30 days.
	NewPackageAge time.Duration
	Now           func() time.Time
	Logger        *slog.Logger
}

// OptionsFromPolicy reads the dependency settings of an effective policy,
// filling what it leaves empty with warden's defaults.
func OptionsFromPolicy(p *policy.Policy) Options {
	o := Options{
		Typosquat:      p.Dependencies.Typosquat,
		Unpinned:       p.Dependencies.Unpinned,
		InstallScripts: p.Dependencies.InstallScripts,
		MaxDBAge:       time.Duration(p.Gates.MaxDBAge),
		DBAgeAction:    p.Gates.DBAgeAction,
	}
	o.InternalPatterns = append(append(o.InternalPatterns, p.Dependencies.InternalScopes...), p.Dependencies.InternalNames...)
	if o.MaxDBAge == 0 {
		// gates.max_db_age: 0 means no limit (New reads a zero Options
		// value as the 7-day default).
		o.MaxDBAge = noLimit
	}
	return o
}

// noLimit is an age no database reaches.
const noLimit = time.Duration(1<<63 - 1)

// Engine is the dependency gate. It is safe for concurrent use.
type Engine struct {
	opt Options

	mu        sync.Mutex
	fixTimes  sync.Map        // ecosystem\x00name\x00version -> fixTime (online)
	lockDirs  map[string]bool // dir + "\x00" + ecosystem of every lockfile seen
	pending   []pendingFinding
	sawDeps   bool
	dbChecked bool
}

type pendingFinding struct {
	dir, eco string
	f        finding.Finding
}

// New makes an engine.
func New(opt Options) *Engine {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxDBAge == 0 {
		opt.MaxDBAge = 7 * 24 * time.Hour
	}
	if opt.DBAgeAction == "" {
		opt.DBAgeAction = "warn"
	}
	if opt.Unpinned == "" {
		opt.Unpinned = "medium"
	}
	if opt.InstallScripts == "" {
		opt.InstallScripts = "low"
	}
	if opt.NewPackageAge == 0 {
		opt.NewPackageAge = 30 * 24 * time.Hour
	}
	return &Engine{opt: opt, lockDirs: map[string]bool{}}
}

// SetRegistry turns on --online checks (existence and age of direct
// dependencies) with r. Call it before scanning.
func (e *Engine) SetRegistry(r Registry) { e.opt.Registry = r }

var (
	_ scan.Engine     = (*Engine)(nil)
	_ scan.PathFilter = (*Engine)(nil)
	_ scan.Finisher   = (*Engine)(nil)
)

// Name implements scan.Engine.
func (e *Engine) Name() string { return EngineName }

// Wants implements scan.PathFilter: only dependency files.
func (e *Engine) Wants(p string) bool { return parserFor(p) != nil }

// Scan implements scan.Engine.
func (e *Engine) Scan(ctx context.Context, f scan.File, report func(finding.Finding)) error {
	parse := parserFor(f.Path)
	if parse == nil {
		return nil
	}
	df, err := parse(f.Path, f.Content)
	if err != nil {
		report(e.newFinding(RuleUnparseable, finding.SeverityHigh, f.Path, 1, "",
			fmt.Sprintf("Cannot read %s as a %s: %v. Its dependencies were not checked; fix the file or exclude it in the policy.", path.Base(f.Path), describe(f.Path), err), nil))
		return nil
	}
	df.Path = f.Path
	e.mu.Lock()
	e.sawDeps = true
	if df.Kind == Lockfile {
		e.lockDirs[path.Dir(f.Path)+"\x00"+lockGroup(df.Ecosystem)] = true
	}
	e.mu.Unlock()
	fs, err := e.checkFile(ctx, df)
	for _, x := range fs {
		report(x)
	}
	return err
}

// Finish implements scan.Finisher: manifests' ranges with no lockfile
// beside them, and the database notice.
func (e *Engine) Finish(ctx context.Context, report func(finding.Finding)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.pending {
		if !e.lockDirs[p.dir+"\x00"+lockGroup(p.eco)] {
			report(p.f)
		}
	}
	e.pending = nil
	if e.sawDeps {
		if f, ok := e.dbFinding(""); ok {
			report(f)
		}
	}
	return nil
}

// lockGroup is the ecosystem a lockfile covers, for pairing manifests with
// lockfiles.
func lockGroup(eco string) string { return eco }

// matchAll looks every package up in the database, in parallel (bounded
// by GOMAXPROCS), each name@version once; findings come back in the
// packages' order.
func (e *Engine) matchAll(ctx context.Context, where string, pkgs []Package) ([][]finding.Finding, error) {
	out := make([][]finding.Finding, len(pkgs))
	if e.opt.DB == nil {
		return out, nil
	}
	seen := map[string]bool{}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, p := range pkgs {
		if p.Version == "" || p.Source != "" {
			continue
		}
		k := p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version
		if seen[k] {
			continue
		}
		seen[k] = true
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			fs, err := e.vulnFindings(ctx, where, p)
			out[i] = fs
			return err
		})
	}
	return out, g.Wait()
}

func (e *Engine) checkFile(ctx context.Context, df *File) ([]finding.Finding, error) {
	var out []finding.Finding
	var vulns [][]finding.Finding
	if df.MatchVersions {
		var err error
		if vulns, err = e.matchAll(ctx, df.Path, df.Packages); err != nil {
			return nil, err
		}
	}
	for i, p := range df.Packages {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if vulns != nil {
			out = append(out, vulns[i]...)
		}
		if (df.Kind == Manifest || p.Direct) && e.opt.Typosquat && p.Source == "" {
			if s, ok := CheckName(p.Ecosystem, p.Name); ok {
				out = append(out, e.typosquatFinding(df.Path, p, s))
			}
		}
		if e.opt.Registry != nil && p.Source == "" && (df.Kind == Manifest || p.Direct) {
			fs, err := e.onlineFindings(ctx, df.Path, p)
			if err != nil {
				return out, err
			}
			out = append(out, fs...)
		}
		if f, ok := e.confusionFinding(df.Path, p); ok {
			out = append(out, f)
		}
		if f, ok := e.pinFinding(df, p); ok {
			if df.Kind == Manifest && p.Source == "" && !alwaysUnpinned(p) {
				e.mu.Lock()
				e.pending = append(e.pending, pendingFinding{dir: path.Dir(df.Path), eco: df.Ecosystem, f: f})
				e.mu.Unlock()
			} else {
				out = append(out, f)
			}
		}
		if p.InstallScript {
			if sev, ok := severityOption(e.opt.InstallScripts); ok {
				out = append(out, e.newFinding(RuleInstallScript, sev, df.Path, p.Line, pkgKey(p),
					fmt.Sprintf("%s runs scripts when it is installed. Review what they do, or install with scripts disabled (npm --ignore-scripts) and allow them per package.", pkgLabel(p)),
					pkgMeta(p)))
			}
		}
	}
	return out, nil
}

// CheckInstall runs the gate on what an install command would fetch,
// before anything is downloaded: known vulnerabilities of the pinned
// version, malicious packages, typosquats, dependency confusion, git
// sources without a commit, and (online) names that do not exist or are
// only days old.
func (e *Engine) CheckInstall(ctx context.Context, in Install) ([]finding.Finding, error) {
	const where = "<install>"
	var out []finding.Finding
	for _, p := range in.Packages {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if p.Source == "" {
			// Without an explicit version the registry's latest is
			// fetched; the database can still say it is malicious.
			fs, err := e.vulnFindings(ctx, where, p)
			if err != nil {
				return out, err
			}
			out = append(out, fs...)
			if e.opt.Typosquat {
				if s, ok := CheckName(p.Ecosystem, p.Name); ok {
					out = append(out, e.typosquatFinding(where, p, s))
				}
			}
		}
		if f, ok := e.installConfusion(in, p); ok {
			out = append(out, f)
		}
		if p.Source == "git" && !isCommit(p.Ref) {
			if sev, ok := severityOption(e.opt.Unpinned); ok {
				out = append(out, e.newFinding(RuleUnpinned, sev, where, 0, pkgKey(p),
					fmt.Sprintf("%s is installed from a git URL without a commit hash; pin it to a full commit so that what was reviewed is what runs.", pkgLabel(p)), pkgMeta(p)))
			}
		}
		if e.opt.Registry != nil && p.Source == "" {
			fs, err := e.onlineFindings(ctx, where, p)
			if err != nil {
				return out, err
			}
			out = append(out, fs...)
		}
	}
	if f, ok := e.dbFinding(where); ok {
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return finding.Less(out[i], out[j]) })
	return out, nil
}

func (e *Engine) vulnFindings(ctx context.Context, where string, p Package) ([]finding.Finding, error) {
	if e.opt.DB == nil {
		return nil, nil
	}
	recs, err := e.opt.DB.Lookup(p.Ecosystem, p.Name)
	// "go install example.com/mod/cmd/tool@v1" names a package; its
	// module is one of the path's prefixes.
	for name := p.Name; err == nil && len(recs) == 0 && p.Ecosystem == vulndb.Go && strings.Count(name, "/") > 1; {
		name = name[:strings.LastIndexByte(name, '/')]
		recs, err = e.opt.DB.Lookup(p.Ecosystem, name)
	}
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	if p.Version == "" {
		// Unknown version: only malicious packages (every version is bad)
		// can be told.
		var out []finding.Finding
		for _, m := range maliciousAnyVersion(recs) {
			out = append(out, e.matchFinding(ctx, where, p, m))
		}
		return out, nil
	}
	var out []finding.Finding
	for _, m := range MatchVulns(p.Ecosystem, p.Version, recs) {
		out = append(out, e.matchFinding(ctx, where, p, m))
	}
	return out, nil
}

// maliciousAnyVersion returns the MAL- records, which flag a package
// whatever version is fetched.
func maliciousAnyVersion(recs []vulndb.Vulnerability) []Match {
	var out []Match
	for _, r := range recs {
		if strings.HasPrefix(r.ID, "MAL-") && (r.Withdrawn == nil || r.Withdrawn.IsZero()) {
			ids := append([]string{r.ID}, r.Aliases...)
			out = append(out, Match{ID: r.ID, IDs: ids, Summary: r.Summary, Severity: finding.SeverityCritical, Malicious: true})
		}
	}
	return out
}

func (e *Engine) matchFinding(ctx context.Context, where string, p Package, m Match) finding.Finding {
	meta := pkgMeta(p)
	meta["vuln_id"] = m.ID
	// "advisory" and "published" are what the audit log's finding
	// references (and so the KPI report) read.
	meta["advisory"] = m.ID
	if !m.Published.IsZero() {
		meta["published"] = m.Published.UTC().Format(time.DateOnly)
	}
	meta["aliases"] = strings.Join(m.IDs, ",")
	if m.Score > 0 {
		meta["cvss_score"] = fmt.Sprintf("%.1f", m.Score)
	}
	if m.Fixed != "" {
		meta["fixed_version"] = m.Fixed
	}
	// When the fix was published: offline, approximated by the
	// publication of the advisory that names it (fix_published_source
	// "advisory"); online, the registry's release time of the fixed
	// version ("registry").
	fixed, source := m.FixPublished, "advisory"
	if t, ok := e.fixReleased(ctx, p, m.Fixed); ok {
		fixed, source = t, "registry"
	}
	if !fixed.IsZero() {
		days := int(e.opt.Now().Sub(fixed).Hours() / 24)
		meta["fix_available_days"] = fmt.Sprint(max(days, 0))
		meta["fix_published"] = fixed.UTC().Format(time.DateOnly)
		meta["fix_published_source"] = source
	}
	summary := m.Summary
	if summary == "" {
		summary = "known vulnerability"
	}
	others := ""
	if len(m.IDs) > 1 {
		others = " (" + strings.Join(m.IDs[1:], ", ") + ")"
	}
	if m.Malicious {
		meta["malicious"] = "true"
		return e.newFinding(RuleMalicious, finding.SeverityCritical, where, p.Line, pkgKey(p)+"\x00"+m.ID,
			fmt.Sprintf("%s is a known malicious package: %s%s: %s. Remove it, and treat any machine that installed it as compromised: rotate the credentials it could reach.", pkgLabel(p), m.ID, others, summary), meta)
	}
	fix := "No fixed version is known: replace the package or mitigate, and record an exception with a reason."
	if m.Fixed != "" {
		fix = fmt.Sprintf("Upgrade to %s or later.", m.Fixed)
	}
	return e.newFinding(RuleVulnerable, m.Severity, where, p.Line, pkgKey(p)+"\x00"+m.ID,
		fmt.Sprintf("%s has a known vulnerability: %s%s: %s. %s", pkgLabel(p), m.ID, others, summary, fix), meta)
}

func (e *Engine) typosquatFinding(where string, p Package, s Suspect) finding.Finding {
	meta := pkgMeta(p)
	meta["intended_package"] = s.Intended
	meta["typo_kind"] = s.Kind
	return e.newFinding(RuleTyposquat, finding.SeverityHigh, where, p.Line, pkgKey(p),
		fmt.Sprintf("%s is not a popular %s package but looks like %q (%s). Typosquats and AI-hallucinated names are how malware gets installed: check the name; if you meant %s, use that.", pkgLabel(p), p.Ecosystem, s.Intended, s.Kind, s.Intended), meta)
}

// dbFinding explains a missing or stale database once per scan.
func (e *Engine) dbFinding(where string) (finding.Finding, bool) {
	if where == "" {
		where = "."
	}
	failing := e.opt.DBAgeAction == "fail"
	sev := finding.SeverityInfo
	if failing {
		sev = finding.SeverityHigh
	}
	if e.opt.DB == nil {
		why := "there is no vulnerability database"
		if e.opt.DBError != nil {
			why = e.opt.DBError.Error()
		}
		return e.newFinding(RuleNoDatabase, sev, where, 0, "no-database",
			fmt.Sprintf("Dependencies were not checked for known vulnerabilities: %s. Run 'warden db update' (or 'warden db import PATH' offline) and scan again.", why), nil), true
	}
	age := e.opt.DB.Age(e.opt.Now())
	if age > e.opt.MaxDBAge {
		sev := finding.SeverityLow
		if failing {
			sev = finding.SeverityHigh
		}
		return e.newFinding(RuleStaleDatabase, sev, where, 0, "stale-database",
			fmt.Sprintf("The vulnerability database is %d days old (gates.max_db_age is %s): recent advisories are missing. Run 'warden db update'.", int(age.Hours()/24), policy.Duration(e.opt.MaxDBAge)),
			map[string]string{"db_age_days": fmt.Sprint(int(age.Hours() / 24))}), true
	}
	return finding.Finding{}, false
}

func (e *Engine) newFinding(rule string, sev finding.Severity, where string, line int, content, msg string, meta map[string]string) finding.Finding {
	r := ruleByID[rule]
	return finding.Finding{
		RuleID:      rule,
		Engine:      EngineName,
		Severity:    sev,
		Title:       r.Title,
		Message:     msg,
		CWE:         r.CWE,
		Location:    finding.Location{Path: where, StartLine: max(line, 1)},
		Fingerprint: finding.Fingerprint(rule, where, content),
		Metadata:    meta,
	}
}

func pkgKey(p Package) string { return p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version }

func pkgLabel(p Package) string {
	if p.Version != "" {
		return fmt.Sprintf("%s %s@%s", p.Ecosystem, p.Name, p.Version)
	}
	return fmt.Sprintf("%s %s", p.Ecosystem, p.Name)
}

func pkgMeta(p Package) map[string]string {
	m := map[string]string{"ecosystem": p.Ecosystem, "package": p.Name}
	if p.Version != "" {
		m["version"] = p.Version
	}
	if p.Constraint != "" {
		m["constraint"] = p.Constraint
	}
	return m
}

func severityOption(s string) (finding.Severity, bool) {
	if s == "off" {
		return 0, false
	}
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return finding.SeverityMedium, true
	}
	return sev, true
}

// fixTime is a cached answer of VersionDater.
type fixTime struct {
	t  time.Time
	ok bool
}

// fixReleased asks the registry (online only) when the fixed version was
// published. A registry that does not know the version, or fails, leaves
// the offline approximation in place: the date is a figure for reports,
// not a gate decision, so it does not fail the scan; the failure is
// logged.
func (e *Engine) fixReleased(ctx context.Context, p Package, fixed string) (time.Time, bool) {
	d, ok := e.opt.Registry.(VersionDater)
	if !ok || fixed == "" {
		return time.Time{}, false
	}
	k := p.Ecosystem + "\x00" + p.Name + "\x00" + fixed
	if v, ok := e.fixTimes.Load(k); ok {
		ft := v.(fixTime)
		return ft.t, ft.ok
	}
	t, found, err := d.VersionTime(ctx, p.Ecosystem, p.Name, fixed)
	if err != nil {
		e.opt.Logger.Warn("dating the fixed version from its registry; using the advisory's date", "package", p.Name, "version", fixed, "error", err)
		found = false
	}
	ft := fixTime{t, found && !t.IsZero()}
	e.fixTimes.Store(k, ft)
	return ft.t, ft.ok
}
