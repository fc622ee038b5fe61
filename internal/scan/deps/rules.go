package deps

import "github.com/wardenhq/warden/internal/finding"

// Rule ids.
const (
	RuleVulnerable    = "deps/vulnerable"
	RuleMalicious     = "deps/malicious"
	RuleTyposquat     = "deps/typosquat"
	RuleConfusion     = "deps/confusion"
	RuleUnpinned      = "deps/unpinned"
	RuleInstallScript = "deps/install-script"
	RuleNotFound      = "deps/not-found"
	RuleNewPackage    = "deps/new-package"
	RuleNoDatabase    = "deps/no-database"
	RuleStaleDatabase = "deps/stale-database"
	RuleUnparseable   = "deps/unparseable"
)

var rules = []finding.Rule{
	{ID: RuleVulnerable, Title: "Dependency with a known vulnerability", Severity: finding.SeverityHigh, CWE: "CWE-1395",
		Help: "The installed version is affected by an OSV advisory. The finding's severity is computed from the advisory's CVSS vector; its metadata names the nearest fixed version and how many days a fix has been available. Upgrade, or record an exception with a reason and an expiry."},
	{ID: RuleMalicious, Title: "Known malicious package", Severity: finding.SeverityCritical, CWE: "CWE-506",
		Help: "The package is listed as malicious (an OSV MAL- record). Remove it; a machine that installed it must be treated as compromised and the credentials it could read rotated."},
	{ID: RuleTyposquat, Title: "Look-alike of a popular package", Severity: finding.SeverityHigh, CWE: "CWE-1357",
		Help: "The name is not among the ecosystem's popular packages but is one typo (swapped, missing or doubled letter, a homoglyph, a -/_/. swap, a changed or dropped scope) away from one. Attackers register such names, including names AI assistants hallucinate. Check that you meant this package."},
	{ID: RuleConfusion, Title: "Internal package resolved from a public registry", Severity: finding.SeverityHigh, CWE: "CWE-427",
		Help: "The policy lists this name as internal (dependencies.internal_scopes / internal_names), but it resolves, or would be installed, from a public registry: anyone can publish that name there (dependency confusion). Point the scope at the internal registry."},
	{ID: RuleUnpinned, Title: "Unpinned dependency", Severity: finding.SeverityMedium, CWE: "CWE-1357",
		Help: "A range with no lockfile beside it, `latest`, `*`, or a git URL without a commit: what is installed can change without review. Commit a lockfile or pin the version or commit. Severity is set by dependencies.unpinned."},
	{ID: RuleInstallScript, Title: "Package runs install scripts", Severity: finding.SeverityLow, CWE: "CWE-506",
		Help: "The package runs code when it is installed (npm preinstall/install/postinstall). Review it or install with scripts disabled. Severity is set by dependencies.install_scripts."},
	{ID: RuleNotFound, Title: "Package does not exist in its registry", Severity: finding.SeverityHigh, CWE: "CWE-1357",
		Help: "With --online, the registry says there is no such package: it may be an AI hallucination that an attacker can register at any time. Do not install it."},
	{ID: RuleNewPackage, Title: "Very new package", Severity: finding.SeverityMedium, CWE: "CWE-1357",
		Help: "With --online, the registry says the package was first published only days ago. New packages are where most malware is found; check its publisher and code first."},
	{ID: RuleNoDatabase, Title: "No vulnerability database", Severity: finding.SeverityInfo,
		Help: "Dependencies were not checked for known vulnerabilities because there is no database. Run `warden db update` (or `warden db import PATH` offline). With gates.db_age_action: fail, this blocks."},
	{ID: RuleStaleDatabase, Title: "Vulnerability database too old", Severity: finding.SeverityLow,
		Help: "The database is older than gates.max_db_age (default 7d): recent advisories are missing. Run `warden db update`. With gates.db_age_action: fail, this blocks."},
	{ID: RuleUnparseable, Title: "Dependency file cannot be read", Severity: finding.SeverityHigh,
		Help: "A lockfile or manifest is malformed, so none of its dependencies were checked. Fix or regenerate it."},
}

var ruleByID = func() map[string]finding.Rule {
	m := map[string]finding.Rule{}
	for i := range rules {
		rules[i].Engine = EngineName
		m[rules[i].ID] = rules[i]
	}
	return m
}()

// Rules implements scan.Engine.
func (e *Engine) Rules() []finding.Rule { return append([]finding.Rule(nil), rules...) }
