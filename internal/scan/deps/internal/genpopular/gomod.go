package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/wardenhq/warden/internal/scan/deps/internal/popidx"
)

// runGo builds go.idx from Go's own module ecosystem as far as it can be
// seen offline: the go.mod files in a module download cache (fetched from
// the Go module proxy by `go mod download`, `go build`, `go install`).
// A module's popularity is how many distinct modules of the cache require
// it (its dependents in that graph, as deps.dev counts dependents over the
// whole ecosystem). Modules required by at least minDependents modules are
// compared against; every other module seen (the requirers, and modules
// required once) is known to exist and never a suspect. The date is that
// of the newest go.mod file read.
func runGo(cache, out string, minDependents int) error {
	dependents := map[string]map[string]bool{}
	seen := map[string]bool{}
	var newest time.Time
	err := filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == cache {
				return err
			}
			return nil // an unreadable corner of a cache: skip it
		}
		if d.IsDir() || !strings.HasSuffix(p, ".mod") || filepath.Base(filepath.Dir(p)) != "@v" {
			return nil
		}
		rel, err := filepath.Rel(cache, filepath.Dir(filepath.Dir(p)))
		if err != nil {
			return nil
		}
		mod, err := module.UnescapePath(filepath.ToSlash(rel))
		if err != nil {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		f, err := modfile.ParseLax(p, data, nil)
		if err != nil {
			return nil // a damaged go.mod says nothing reliable
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
		from := popidx.NormalizeGo(mod)
		seen[from] = true
		for _, r := range f.Require {
			to := popidx.NormalizeGo(r.Mod.Path)
			if to == from {
				continue
			}
			seen[to] = true
			if dependents[to] == nil {
				dependents[to] = map[string]bool{}
			}
			dependents[to][from] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading go.mod files under %s: %w", cache, err)
	}
	if len(seen) == 0 {
		return fmt.Errorf("no go.mod files under %s: run go mod download (or go build) first", cache)
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := len(dependents[b]) - len(dependents[a]); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	targets := 0
	for targets < len(names) && len(dependents[names[targets]]) >= minDependents {
		targets++
	}
	b, err := popidx.Build(names, targets, newest.UTC().Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("Go: %w", err)
	}
	fmt.Fprintf(os.Stderr, "genpopular: Go: %d modules from %s, %d with at least %d dependents\n", len(names), cache, targets, minDependents)
	return os.WriteFile(filepath.Join(out, "go.idx"), b, 0o644)
}
