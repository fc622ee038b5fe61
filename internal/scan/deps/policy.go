package deps

import (
	"fmt"
	"github.com/wardenhq/warden/internal/lazyre"
	"path"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/vulndb"
)

// internal reports whether name matches one of the policy's internal
// patterns ("@acme/*", "acme-*", "corp.example.com/*").
func (e *Engine) internal(name string) bool {
	for _, pat := range e.opt.InternalPatterns {
		if pat == name {
			return true
		}
		if ok, err := path.Match(pat, name); err == nil && ok {
			return true
		}
		// "@acme" and "@acme/" name a whole scope.
		if strings.HasPrefix(pat, "@") && !strings.Contains(strings.TrimSuffix(pat, "/"), "/") &&
			strings.HasPrefix(name, strings.TrimSuffix(pat, "/")+"/") {
			return true
		}
		// "corp.example.com/*" covers nested Go module paths too.
		if base, ok := strings.CutSuffix(pat, "/*"); ok && strings.HasPrefix(name, base+"/") {
			return true
		}
	}
	return false
}

// publicRegistries are hosts anyone can publish to.
var publicRegistries = []string{
	"registry.npmjs.org", "registry.yarnpkg.com", "registry.npmmirror.com",
	"pypi.org", "files.pythonhosted.org", "pypi.python.org",
	"proxy.golang.org", "crates.io", "static.crates.io", "index.crates.io",
	"rubygems.org", "repo.packagist.org", "packagist.org",
	"repo.maven.apache.org", "repo1.maven.org",
}

func isPublicURL(u string) bool {
	host := u
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/:"); i >= 0 {
		host = host[:i]
	}
	for _, h := range publicRegistries {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}

func (e *Engine) confusionFinding(where string, p Package) (finding.Finding, bool) {
	if p.Resolved == "" || !e.internal(p.Name) || !isPublicURL(p.Resolved) {
		return finding.Finding{}, false
	}
	meta := pkgMeta(p)
	meta["resolved"] = p.Resolved
	return e.newFinding(RuleConfusion, finding.SeverityHigh, where, p.Line, pkgKey(p),
		fmt.Sprintf("%s is an internal package (policy dependencies.internal_*) but was resolved from the public registry %s: someone may have published that name publicly. Configure the scope's registry, delete the lockfile entry and reinstall.", pkgLabel(p), hostOf(p.Resolved)), meta), true
}

func (e *Engine) installConfusion(in Install, p Package) (finding.Finding, bool) {
	if !e.internal(p.Name) || p.Source != "" {
		return finding.Finding{}, false
	}
	if in.Registry != "" && !isPublicURL(in.Registry) {
		return finding.Finding{}, false
	}
	if p.Ecosystem == vulndb.NPM && strings.HasPrefix(p.Name, "@") && in.Registry == "" {
		// A scoped npm name goes to whatever registry .npmrc maps the
		// scope to; the command line alone cannot tell, so say so.
		meta := pkgMeta(p)
		return e.newFinding(RuleConfusion, finding.SeverityMedium, "<install>", 0, pkgKey(p),
			fmt.Sprintf("%s is an internal package (policy dependencies.internal_*); make sure its scope is mapped to the internal registry in .npmrc, or pass --registry, so that it cannot resolve from the public registry.", pkgLabel(p)), meta), true
	}
	reg := in.Registry
	if reg == "" {
		reg = "the default public registry"
	}
	return e.newFinding(RuleConfusion, finding.SeverityHigh, "<install>", 0, pkgKey(p),
		fmt.Sprintf("%s is an internal package (policy dependencies.internal_*) but this command installs it from %s (dependency confusion). Install it from the internal registry (--registry / --index-url).", pkgLabel(p), reg), pkgMeta(p)), true
}

func hostOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		u = u[:i]
	}
	return u
}

var commitRE = lazyre.New(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

func isCommit(ref string) bool { return commitRE.MatchString(ref) }

// alwaysUnpinned: "latest", "*", "" ranges float even with a lockfile, the
// next `install`/`update` takes whatever is newest.
func alwaysUnpinned(p Package) bool {
	c := strings.TrimSpace(p.Constraint)
	return c == "latest" || c == "*" || c == "x" || c == "next"
}

// pinFinding reports an unpinned declaration. Ranges are reported only
// when no lockfile sits beside the manifest (decided in Finish).
func (e *Engine) pinFinding(df *File, p Package) (finding.Finding, bool) {
	sev, ok := severityOption(e.opt.Unpinned)
	if !ok {
		return finding.Finding{}, false
	}
	meta := pkgMeta(p)
	if df.Kind == Manifest && p.Source == "" && p.Version == "" && p.Constraint == "" && df.Ecosystem != vulndb.Maven {
		// A bare name ("flask" in requirements.txt) takes any version.
		// (Maven leaves versions to a parent's dependencyManagement.)
		p.Constraint = "any version"
	}
	switch {
	case p.Source == "git" && !isCommit(p.Ref):
		return e.newFinding(RuleUnpinned, sev, df.Path, p.Line, pkgKey(p),
			fmt.Sprintf("%s comes from a git URL without a full commit hash: the branch or tag can move. Pin it to a commit.", pkgLabel(p)), meta), true
	case df.Kind == Manifest && p.Source == "" && p.Constraint != "" && !exactConstraint(p.Ecosystem, p.Constraint):
		meta["constraint"] = p.Constraint
		if alwaysUnpinned(p) {
			return e.newFinding(RuleUnpinned, sev, df.Path, p.Line, pkgKey(p),
				fmt.Sprintf("%s is declared as %q: whatever is newest gets installed. Pin a version.", pkgLabel(p), p.Constraint), meta), true
		}
		return e.newFinding(RuleUnpinned, sev, df.Path, p.Line, pkgKey(p),
			fmt.Sprintf("%s is declared as the range %q and no lockfile sits beside %s: each install may get a different version. Commit a lockfile or pin the version.", pkgLabel(p), p.Constraint, path.Base(df.Path)), meta), true
	}
	return finding.Finding{}, false
}

var (
	exactRE  = lazyre.New(`^(==|===|=)?\s*v?[0-9][0-9A-Za-z.+\-_]*$`)
	xRangeRE = lazyre.New(`(^|\.)[xX*](\.|$)`)
)

// exactConstraint reports whether a declared requirement names one version.
func exactConstraint(eco, c string) bool {
	c = strings.TrimSpace(c)
	switch eco {
	case vulndb.Maven:
		// "[1.0]" is a hard pin; a plain "1.0" is what Maven resolves.
		if strings.HasPrefix(c, "[") && strings.HasSuffix(c, "]") && !strings.Contains(c, ",") {
			return true
		}
	case vulndb.CratesIO:
		// Cargo reads "1.2.3" as "^1.2.3"; only "=1.2.3" is exact.
		return strings.HasPrefix(c, "=") && exactRE.MatchString(c)
	}
	return exactRE.MatchString(c) && !xRangeRE.MatchString(c)
}
