package deps

import (
	"fmt"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/wardenhq/warden/internal/vulndb"
)

// parseGoMod reads go.mod: the required modules with their selected
// versions (after replace directives), which is what a Go build uses.
func parseGoMod(p string, data []byte) (*File, error) {
	mf, err := modfile.Parse(p, data, nil)
	if err != nil {
		return nil, fmt.Errorf("%v", err)
	}
	f := &File{Kind: Lockfile, Ecosystem: vulndb.Go, MatchVersions: true}
	repl := map[string]*modfile.Replace{}
	for _, r := range mf.Replace {
		if r.Old.Version == "" {
			repl[r.Old.Path] = r
		} else {
			repl[r.Old.Path+"@"+r.Old.Version] = r
		}
	}
	for _, r := range mf.Require {
		pkg := Package{Ecosystem: vulndb.Go, Name: r.Mod.Path, Version: r.Mod.Version, Direct: !r.Indirect}
		if r.Syntax != nil {
			pkg.Line = r.Syntax.Start.Line
		}
		rep := repl[r.Mod.Path+"@"+r.Mod.Version]
		if rep == nil {
			rep = repl[r.Mod.Path]
		}
		if rep != nil {
			if rep.New.Version == "" {
				pkg.Source, pkg.Version = "path", "" // a local directory
			} else {
				pkg.Name, pkg.Version = rep.New.Path, rep.New.Version
			}
		}
		f.Packages = append(f.Packages, pkg)
	}
	sortPackages(f.Packages)
	return f, nil
}

// parseGoSum reads go.sum. It lists every version the module graph
// touched, including ones the build does not select, so its versions are
// not matched against the database (go.mod's are).
func parseGoSum(p string, data []byte) (*File, error) {
	f := &File{Kind: Lockfile, Ecosystem: vulndb.Go}
	for i, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 || !strings.HasPrefix(fields[2], "h1:") {
			return nil, fmt.Errorf("line %d: expected 'module version h1:hash'", i+1)
		}
		f.Packages = append(f.Packages, Package{Ecosystem: vulndb.Go, Name: fields[0], Version: strings.TrimSuffix(fields[1], "/go.mod"), Line: i + 1})
	}
	f.Packages = dedupe(f.Packages)
	return f, nil
}
