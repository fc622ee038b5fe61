package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/gitx"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

// scanHistory runs the secrets engine over the lines every commit of the
// repository added (git log --all -p): a secret that was committed and
// later deleted is still leaked, to anyone with a clone. Each finding
// carries the commit that introduced it (the oldest, when the same secret
// was added to the same file more than once). The other engines judge
// the current tree, not history, and do not run.
func scanHistory(ctx context.Context, root string, engines []scan.Engine, exclude []string, ignore *scan.Ignore) (*scan.Result, error) {
	var sec *secrets.Engine
	for _, en := range engines {
		if s, ok := en.(*secrets.Engine); ok {
			sec = s
		}
	}
	if sec == nil {
		return nil, Usagef("--history scans for secrets, but the secrets engine is not enabled (policy gates.engines or --engines)")
	}
	for _, p := range exclude {
		if !doublestar.ValidatePattern(p) {
			return nil, Usagef("invalid exclude pattern %q", p)
		}
	}
	repo, err := gitx.Open(ctx, root)
	if err != nil {
		return nil, Usagef("--history needs a git repository: %s is not in one", root)
	}
	res := &scan.Result{Stats: scan.Stats{Skipped: map[scan.SkipReason]int{}}}
	byFP := map[string]int{} // fingerprint -> index in res.Findings
	err = repo.History(ctx, func(p gitx.Patch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		path, ok := strings.CutPrefix(p.Path, repo.Prefix)
		if !ok || excludedPath(path, exclude, ignore) {
			res.Stats.Excluded++
			return nil
		}
		res.Stats.Files++
		res.Stats.Bytes += int64(len(p.Content))
		commit := p.Commit
		for _, f := range sec.Findings(path, p.Content) {
			f.StartLine = lineAt(p.Lines, f.StartLine)
			f.EndLine = lineAt(p.Lines, f.EndLine)
			f.Commit = &commit
			// Newest commits come first: a later (older) sighting of the
			// same secret in the same file replaces the earlier one.
			if i, seen := byFP[f.Fingerprint]; seen {
				res.Findings[i] = f
				continue
			}
			byFP[f.Fingerprint] = len(res.Findings)
			res.Findings = append(res.Findings, f)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	slices.SortFunc(res.Findings, func(a, b finding.Finding) int {
		switch {
		case finding.Less(a, b):
			return -1
		case finding.Less(b, a):
			return 1
		}
		return 0
	})
	return res, nil
}

// lineAt maps a line of a patch's added lines to the file's line number.
func lineAt(lines []int, n int) int {
	if n >= 1 && n <= len(lines) {
		return lines[n-1]
	}
	return n
}

func excludedPath(p string, exclude []string, ignore *scan.Ignore) bool {
	for _, pat := range exclude {
		if ok, _ := doublestar.Match(pat, p); ok {
			return true
		}
		if ok, _ := doublestar.Match(pat+"/**", p); ok {
			return true
		}
	}
	return ignore.MatchPath(p)
}
