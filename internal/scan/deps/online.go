package deps

import (
	"context"
	"fmt"

	"github.com/wardenhq/warden/internal/finding"
)

// onlineFindings asks the registry whether the package exists and how old
// it is. A registry error is returned: the caller (the guard) fails closed.
func (e *Engine) onlineFindings(ctx context.Context, where string, p Package) ([]finding.Finding, error) {
	info, err := e.opt.Registry.Lookup(ctx, p.Ecosystem, p.Name)
	if err != nil {
		return nil, fmt.Errorf("checking %s in its registry: %w", pkgLabel(p), err)
	}
	meta := pkgMeta(p)
	if !info.Exists {
		return []finding.Finding{e.newFinding(RuleNotFound, finding.SeverityHigh, where, p.Line, pkgKey(p),
			fmt.Sprintf("%s does not exist in the registry. It may be a name an AI assistant made up, which anyone could register with malware: do not install it; find the real package name.", pkgLabel(p)), meta)}, nil
	}
	var out []finding.Finding
	if !info.Created.IsZero() {
		age := e.opt.Now().Sub(info.Created)
		meta["first_published"] = info.Created.UTC().Format("2006-01-02")
		if age < e.opt.NewPackageAge {
			days := max(int(age.Hours()/24), 0)
			meta["age_days"] = fmt.Sprint(days)
			sev := finding.SeverityMedium
			msg := fmt.Sprintf("%s was first published %d days ago. Most malicious packages are days old when they are caught: check who publishes it and what it contains before installing.", pkgLabel(p), days)
			if info.InstallScripts {
				sev = finding.SeverityHigh
				meta["install_scripts"] = "true"
				msg = fmt.Sprintf("%s was first published %d days ago and runs scripts on install: a new package that executes code when installed is the shape of most npm malware. Review it first, or install with --ignore-scripts.", pkgLabel(p), days)
			}
			out = append(out, e.newFinding(RuleNewPackage, sev, where, p.Line, pkgKey(p), msg, meta))
		}
	}
	return out, nil
}
