package deps

import (
	"fmt"
	"github.com/wardenhq/warden/internal/lazyre"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/wardenhq/warden/internal/vulndb"
)

// parseRequirements reads a pip requirements file: one PEP 508
// requirement per logical line (with backslash continuations), comments,
// --hash options, environment markers, and options (-r, -c, -e, -i).
// Exact "==" pins are matched against the database; ranges are unpinned.
func parseRequirements(p string, data []byte) (*File, error) {
	f := &File{Kind: Manifest, Ecosystem: vulndb.PyPI, MatchVersions: true}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimRight(lines[i], "\r")
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimRight(lines[i], "\r")
		}
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "-") {
			opt, val, _ := strings.Cut(line, " ")
			opt, v2, hasEq := strings.Cut(opt, "=")
			if hasEq {
				val = v2
			}
			val = strings.TrimSpace(val)
			switch opt {
			case "-e", "--editable":
				if pkg, ok := parsePyPISpec(val); ok && pkg.Source != "" {
					pkg.Ecosystem, pkg.Line, pkg.Direct = vulndb.PyPI, start, true
					f.Packages = append(f.Packages, pkg)
				}
			}
			continue // -r/-c files are scanned on their own; -i/--hash need nothing
		}
		// Drop per-requirement options ("--hash=sha256:...").
		if j := strings.Index(line, " --"); j >= 0 {
			line = strings.TrimSpace(line[:j])
		}
		pkg, ok := parsePyPISpec(line)
		if !ok {
			return nil, fmt.Errorf("line %d: not a requirement: %q", start, truncate(line, 60))
		}
		pkg.Ecosystem, pkg.Line, pkg.Direct = vulndb.PyPI, start, true
		f.Packages = append(f.Packages, pkg)
	}
	return f, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// tomlLines finds, for TOML arrays of tables ([[package]]), the line of
// each `name = "..."` in order, so the i-th package is reported at its
// name line.
var tomlNameRE = lazyre.New(`(?m)^\s*name\s*=\s*["']([^"']*)["']`)

func nameLines(data []byte) map[string][]int {
	li := newLineIndex(data)
	out := map[string][]int{}
	for _, m := range tomlNameRE.FindAllSubmatchIndex(data, -1) {
		name := string(data[m[2]:m[3]])
		out[name] = append(out[name], li.line(int64(m[0]))+countLeadingNewlines(data[m[0]:m[1]]))
	}
	return out
}

func countLeadingNewlines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		} else if c != ' ' && c != '\t' && c != '\r' {
			break
		}
	}
	return n
}

// takeLine pops the first line recorded for name.
func takeLine(lines map[string][]int, name string) int {
	l := lines[name]
	if len(l) == 0 {
		return 0
	}
	lines[name] = l[1:]
	return l[0]
}

func decodeTOML(data []byte, v any) error {
	if _, err := toml.Decode(string(data), v); err != nil {
		return fmt.Errorf("invalid TOML: %v", err)
	}
	return nil
}

type poetryLock struct {
	Package []struct {
		Name    string `toml:"name"`
		Version string `toml:"version"`
		Source  struct {
			Type              string `toml:"type"`
			URL               string `toml:"url"`
			Reference         string `toml:"reference"`
			ResolvedReference string `toml:"resolved_reference"`
		} `toml:"source"`
	} `toml:"package"`
}

func parsePoetryLock(p string, data []byte) (*File, error) {
	var lock poetryLock
	if err := decodeTOML(data, &lock); err != nil {
		return nil, err
	}
	lines := nameLines(data)
	f := &File{Kind: Lockfile, Ecosystem: vulndb.PyPI, MatchVersions: true}
	for _, pk := range lock.Package {
		pkg := Package{Ecosystem: vulndb.PyPI, Name: pk.Name, Version: pk.Version, Line: takeLine(lines, pk.Name)}
		switch pk.Source.Type {
		case "git":
			pkg.Source, pkg.Ref, pkg.Resolved = "git", pk.Source.ResolvedReference, pk.Source.URL
		case "directory", "file":
			pkg.Source = "path"
		case "url":
			pkg.Source, pkg.Resolved = "url", pk.Source.URL
		case "legacy":
			pkg.Resolved = pk.Source.URL // a configured index
		default:
			pkg.Resolved = "https://pypi.org/simple"
		}
		f.Packages = append(f.Packages, pkg)
	}
	return f, nil
}

type pipfileLock struct {
	Meta struct {
		Sources []struct {
			URL string `json:"url"`
		} `json:"sources"`
	} `json:"_meta"`
	Default map[string]pipfileDep `json:"default"`
	Develop map[string]pipfileDep `json:"develop"`
}

type pipfileDep struct {
	Version  string `json:"version"`
	Git      string `json:"git"`
	Ref      string `json:"ref"`
	Path     string `json:"path"`
	File     string `json:"file"`
	Editable bool   `json:"editable"`
	Index    string `json:"index"`
}

func parsePipfileLock(p string, data []byte) (*File, error) {
	var lock pipfileLock
	lines, err := jsonKeyLines(data, &lock, 2)
	if err != nil {
		return nil, err
	}
	f := &File{Kind: Lockfile, Ecosystem: vulndb.PyPI, MatchVersions: true}
	for _, sec := range []struct {
		name string
		deps map[string]pipfileDep
	}{{"default", lock.Default}, {"develop", lock.Develop}} {
		for name, d := range sec.deps {
			pkg := Package{Ecosystem: vulndb.PyPI, Name: name, Version: strings.TrimPrefix(d.Version, "=="), Line: lines[jk(sec.name, name)]}
			switch {
			case d.Git != "":
				pkg.Source, pkg.Ref, pkg.Resolved, pkg.Version = "git", d.Ref, d.Git, ""
			case d.Path != "" || d.File != "":
				pkg.Source, pkg.Version = "path", ""
			}
			f.Packages = append(f.Packages, pkg)
		}
	}
	sortPackages(f.Packages)
	return f, nil
}

type uvLock struct {
	Package []struct {
		Name    string         `toml:"name"`
		Version string         `toml:"version"`
		Source  map[string]any `toml:"source"`
	} `toml:"package"`
}

func parseUVLock(p string, data []byte) (*File, error) {
	var lock uvLock
	if err := decodeTOML(data, &lock); err != nil {
		return nil, err
	}
	lines := nameLines(data)
	f := &File{Kind: Lockfile, Ecosystem: vulndb.PyPI, MatchVersions: true}
	for _, pk := range lock.Package {
		pkg := Package{Ecosystem: vulndb.PyPI, Name: pk.Name, Version: pk.Version, Line: takeLine(lines, pk.Name)}
		str := func(k string) string { s, _ := pk.Source[k].(string); return s }
		switch {
		case str("registry") != "":
			pkg.Resolved = str("registry")
		case str("git") != "":
			u := str("git")
			pkg.Source, pkg.Resolved = "git", u
			if _, c, ok := strings.Cut(u, "#"); ok {
				pkg.Ref = c
			}
		case str("url") != "":
			pkg.Source, pkg.Resolved = "url", str("url")
		case len(pk.Source) > 0:
			pkg.Source = "path" // editable, virtual, directory, path: the project itself
		}
		f.Packages = append(f.Packages, pkg)
	}
	return f, nil
}

type pyproject struct {
	Project struct {
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
		Poetry struct {
			Dependencies    map[string]any `toml:"dependencies"`
			DevDependencies map[string]any `toml:"dev-dependencies"`
			Group           map[string]struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

// parsePyproject reads the dependencies a pyproject.toml declares (PEP 621
// project.dependencies and optional-dependencies, PEP 735 dependency
// groups, Poetry's tool.poetry dependency tables).
func parsePyproject(p string, data []byte) (*File, error) {
	var pp pyproject
	if err := decodeTOML(data, &pp); err != nil {
		return nil, err
	}
	f := &File{Kind: Manifest, Ecosystem: vulndb.PyPI}
	text := string(data)
	li := newLineIndex(data)
	lineOf := func(needle string) int {
		if i := strings.Index(text, needle); i >= 0 {
			return li.line(int64(i))
		}
		return 0
	}
	add := func(spec string) {
		pkg, ok := parsePyPISpec(spec)
		if !ok {
			return
		}
		pkg.Ecosystem, pkg.Direct, pkg.Line = vulndb.PyPI, true, lineOf(spec)
		f.Packages = append(f.Packages, pkg)
	}
	for _, s := range pp.Project.Dependencies {
		add(s)
	}
	for _, deps := range pp.Project.OptionalDependencies {
		for _, s := range deps {
			add(s)
		}
	}
	for _, deps := range pp.DependencyGroups {
		for _, s := range deps {
			if str, ok := s.(string); ok {
				add(str)
			}
		}
	}
	poetry := []map[string]any{pp.Tool.Poetry.Dependencies, pp.Tool.Poetry.DevDependencies}
	for _, g := range pp.Tool.Poetry.Group {
		poetry = append(poetry, g.Dependencies)
	}
	keyRE := func(name string) int {
		re := regexp.MustCompile(`(?m)^\s*["']?` + regexp.QuoteMeta(name) + `["']?\s*=`)
		if loc := re.FindStringIndex(text); loc != nil {
			return li.line(int64(loc[0])) + countLeadingNewlines(data[loc[0]:loc[1]])
		}
		return 0
	}
	for _, deps := range poetry {
		for name, v := range deps {
			if strings.EqualFold(name, "python") {
				continue
			}
			pkg := Package{Ecosystem: vulndb.PyPI, Name: name, Direct: true, Line: keyRE(name)}
			switch t := v.(type) {
			case string:
				pkg.Constraint = t
			case map[string]any:
				s := func(k string) string { x, _ := t[k].(string); return x }
				switch {
				case s("git") != "":
					pkg.Source, pkg.Resolved = "git", s("git")
					pkg.Ref = s("rev")
				case s("path") != "":
					pkg.Source = "path"
				case s("url") != "":
					pkg.Source, pkg.Resolved = "url", s("url")
				default:
					pkg.Constraint = s("version")
				}
			}
			if pkg.Source == "" && exactConstraint(vulndb.PyPI, pkg.Constraint) {
				pkg.Version = strings.TrimLeft(pkg.Constraint, "=")
			}
			f.Packages = append(f.Packages, pkg)
		}
	}
	sortPackages(f.Packages)
	return f, nil
}
