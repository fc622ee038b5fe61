package deps

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/vulndb"
)

// parseFunc reads one dependency file. It never panics on bad input and
// returns an error that says what is wrong and, where it can, on which line.
type parseFunc func(path string, content []byte) (*File, error)

// parsers by file base name.
var parsers = map[string]parseFunc{
	"package-lock.json":           parsePackageLock,
	"npm-shrinkwrap.json":         parsePackageLock,
	"package.json":                parsePackageJSON,
	"yarn.lock":                   parseYarnLock,
	"pnpm-lock.yaml":              parsePnpmLock,
	"go.mod":                      parseGoMod,
	"go.sum":                      parseGoSum,
	"poetry.lock":                 parsePoetryLock,
	"Pipfile.lock":                parsePipfileLock,
	"uv.lock":                     parseUVLock,
	"pyproject.toml":              parsePyproject,
	"Cargo.lock":                  parseCargoLock,
	"Gemfile.lock":                parseGemfileLock,
	"gems.locked":                 parseGemfileLock,
	"composer.lock":               parseComposerLock,
	"pom.xml":                     parsePom,
	"gradle.lockfile":             parseGradleLock,
	"buildscript-gradle.lockfile": parseGradleLock,
}

// parserFor returns the parser for a path, or nil.
func parserFor(p string) parseFunc {
	base := path.Base(p)
	if f, ok := parsers[base]; ok {
		// package.json inside node_modules is a dependency's own manifest.
		if base == "package.json" && strings.Contains("/"+p, "/node_modules/") {
			return nil
		}
		return f
	}
	if isRequirements(p) {
		return parseRequirements
	}
	return nil
}

func isRequirements(p string) bool {
	base := path.Base(p)
	if !strings.HasSuffix(base, ".txt") {
		return false
	}
	return strings.HasPrefix(base, "requirements") || strings.HasSuffix(base, "-requirements.txt") ||
		strings.HasSuffix(base, "_requirements.txt") || strings.Contains("/"+p, "/requirements/")
}

// SupportedFiles lists the dependency file names the engine reads.
func SupportedFiles() []string {
	out := make([]string, 0, len(parsers)+1)
	for k := range parsers {
		out = append(out, k)
	}
	return append(out, "requirements*.txt")
}

func describe(p string) string {
	switch base := path.Base(p); {
	case isRequirements(p):
		return "pip requirements file"
	case strings.HasSuffix(base, ".lock") || strings.HasSuffix(base, "lockfile") || strings.HasSuffix(base, "-lock.json") || strings.HasSuffix(base, "-lock.yaml"):
		return "lockfile"
	}
	return "dependency manifest"
}

// lineIndex turns byte offsets into 1-based line numbers.
type lineIndex []int

func newLineIndex(b []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range b {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (li lineIndex) line(off int64) int {
	lo, hi := 0, len(li)
	for lo < hi {
		m := (lo + hi) / 2
		if int64(li[m]) <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// jsonKeyLines decodes JSON into v and returns, for every object key up to
// maxDepth deep, the line it is on, keyed by the path of keys joined with
// "\x00" (array elements contribute their index).
func jsonKeyLines(data []byte, v any, maxDepth int) (map[string]int, error) {
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("line %d: invalid JSON: %v", newLineIndex(data).line(se.Offset), err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("line %d: %s has the wrong type (%s, want %s)", newLineIndex(data).line(te.Offset), te.Field, te.Value, te.Type)
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	// The data is valid JSON (Unmarshal said so), so one pass over its
	// bytes finds the keys: a tenth of the cost of json.Decoder.Token.
	// path holds the current path; each open container's component
	// (its key, or its element's index) starts at its frame's start.
	type frame struct {
		obj   bool
		start int
		index int
	}
	lines := map[string]int{}
	var stack []frame
	var path []byte
	line := 1
	// enter makes the top frame's component current, before a value
	// nested in it is read.
	enter := func() {
		if n := len(stack); n > 0 && !stack[n-1].obj {
			path = strconv.AppendInt(path[:stack[n-1].start], int64(stack[n-1].index), 10)
		}
	}
	afterValue := func() {
		if n := len(stack); n > 0 && !stack[n-1].obj {
			stack[n-1].index++
		}
	}
	for i := 0; i < len(data); {
		switch c := data[i]; c {
		case '\n':
			line++
			i++
		case ' ', '\t', '\r', ',', ':':
			i++
		case '{', '[':
			enter()
			start := 0
			if len(stack) > 0 {
				path = append(path, 0)
				start = len(path)
			}
			stack = append(stack, frame{obj: c == '{', start: start})
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				path = path[:stack[len(stack)-1].start]
			}
			afterValue()
			i++
		case '"':
			j, esc := i+1, false
			for data[j] != '"' {
				if data[j] == '\\' {
					j++
					esc = true
				} else if data[j] >= utf8.RuneSelf {
					esc = true // decoded as json does (invalid UTF-8 -> U+FFFD)
				}
				j++
			}
			n := len(stack)
			// A string directly in an object, where the previous token
			// was not a colon, is a key.
			if n > 0 && stack[n-1].obj && !afterColon(data, i) {
				top := stack[n-1]
				path = path[:top.start]
				if esc {
					var k string
					_ = json.Unmarshal(data[i:j+1], &k)
					path = append(path, k...)
				} else {
					path = append(path, data[i+1:j]...)
				}
				if n <= maxDepth {
					lines[string(path)] = line
				}
				if len(path) == top.start {
					path = append(path, 1) // an empty key, in nested paths
				}
			} else {
				afterValue()
			}
			i = j + 1
		default: // number, true, false, null
			for i < len(data) && !strings.ContainsRune(",}] \t\r\n", rune(data[i])) {
				i++
			}
			afterValue()
		}
	}
	return lines, nil
}

// afterColon reports whether the token before data[i] is a colon.
func afterColon(data []byte, i int) bool {
	for i--; i >= 0; i-- {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return data[i] == ':'
	}
	return false
}

func jk(parts ...string) string { return strings.Join(parts, "\x00") }

// npm ---------------------------------------------------------------------

type npmLockDep struct {
	Version          string          `json:"version"`
	Resolved         string          `json:"resolved"`
	Dev              bool            `json:"dev"`
	Link             bool            `json:"link"`
	HasInstallScript bool            `json:"hasInstallScript"`
	Name             string          `json:"name"`
	Dependencies     json.RawMessage `json:"dependencies"`
}

type npmLock struct {
	LockfileVersion int                   `json:"lockfileVersion"`
	Packages        map[string]npmLockDep `json:"packages"`
	Dependencies    map[string]npmLockV1  `json:"dependencies"`
}

type npmLockV1 struct {
	Version      string               `json:"version"`
	Resolved     string               `json:"resolved"`
	Dev          bool                 `json:"dev"`
	Dependencies map[string]npmLockV1 `json:"dependencies"`
}

func parsePackageLock(p string, data []byte) (*File, error) {
	var lock npmLock
	lines, err := jsonKeyLines(data, &lock, 64)
	if err != nil {
		return nil, err
	}
	f := &File{Kind: Lockfile, Ecosystem: vulndb.NPM, MatchVersions: true}
	if len(lock.Packages) > 0 {
		root := lock.Packages[""]
		direct := map[string]bool{}
		var rootDeps map[string]json.RawMessage
		_ = json.Unmarshal(root.Dependencies, &rootDeps)
		for n := range rootDeps {
			direct[n] = true
		}
		for key, d := range lock.Packages {
			if key == "" || d.Link {
				continue
			}
			i := strings.LastIndex(key, "node_modules/")
			if i < 0 {
				continue // a workspace package's own entry
			}
			name := key[i+len("node_modules/"):]
			if d.Name != "" {
				name = d.Name // aliased install ("alias": "npm:real@1")
			}
			pkg := Package{Ecosystem: vulndb.NPM, Name: name, Version: d.Version, Resolved: d.Resolved,
				InstallScript: d.HasInstallScript, Line: lines[jk("packages", key)],
				Direct: direct[name] && !strings.Contains(key[:i], "node_modules/")}
			classifyNPMSource(&pkg)
			f.Packages = append(f.Packages, pkg)
		}
	} else {
		var walk func(prefix string, deps map[string]npmLockV1, top bool)
		walk = func(prefix string, deps map[string]npmLockV1, top bool) {
			for name, d := range deps {
				k := jk(prefix, "dependencies", name)
				if prefix == "" {
					k = jk("dependencies", name)
				}
				pkg := Package{Ecosystem: vulndb.NPM, Name: name, Version: d.Version, Resolved: d.Resolved, Line: lines[k]}
				classifyNPMSource(&pkg)
				f.Packages = append(f.Packages, pkg)
				walk(k, d.Dependencies, false)
			}
		}
		walk("", lock.Dependencies, true)
	}
	sortPackages(f.Packages)
	return f, nil
}

// classifyNPMSource reads where a locked npm package came from.
func classifyNPMSource(p *Package) {
	v, r := p.Version, p.Resolved
	switch {
	case strings.HasPrefix(v, "git") || strings.HasPrefix(r, "git") || strings.HasPrefix(v, "github:"):
		u := r
		if u == "" {
			u = v
		}
		p.Source = "git"
		if _, ref, ok := strings.Cut(u, "#"); ok {
			p.Ref = ref
		}
		p.Version = ""
	case strings.HasPrefix(v, "file:") || strings.HasPrefix(r, "file:"):
		p.Source, p.Version = "path", ""
	case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
		p.Source, p.Version = "url", ""
	case strings.HasPrefix(v, "npm:"):
		// alias: "npm:real@1.2.3"
		if real := strings.TrimPrefix(v, "npm:"); len(real) > 1 {
			if n, ver, ok := strings.Cut(real[1:], "@"); ok {
				p.Name, p.Version = real[:1]+n, ver
			}
		}
	}
}

type packageJSON struct {
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

func parsePackageJSON(p string, data []byte) (*File, error) {
	var pj packageJSON
	lines, err := jsonKeyLines(data, &pj, 2)
	if err != nil {
		return nil, err
	}
	f := &File{Kind: Manifest, Ecosystem: vulndb.NPM}
	for _, sec := range []struct {
		name string
		deps map[string]string
	}{{"dependencies", pj.Dependencies}, {"devDependencies", pj.DevDependencies}, {"optionalDependencies", pj.OptionalDependencies}} {
		for name, spec := range sec.deps {
			pkg := Package{Ecosystem: vulndb.NPM, Name: name, Direct: true, Line: lines[jk(sec.name, name)]}
			switch {
			case strings.HasPrefix(spec, "workspace:") || strings.HasPrefix(spec, "link:") || strings.HasPrefix(spec, "portal:"):
				pkg.Source = "path"
			default:
				if s, ok := sourceOf(spec); ok {
					pkg.Source, pkg.Ref, pkg.Resolved = s.Source, s.Ref, s.Resolved
				} else if npmGitShorthand.MatchString(spec) {
					u, ref, _ := strings.Cut(spec, "#")
					pkg.Source, pkg.Ref, pkg.Resolved = "git", ref, "github:"+u
				} else if real, ok := strings.CutPrefix(spec, "npm:"); ok {
					rp, _ := parseNPMSpec(real)
					pkg.Name, pkg.Constraint = rp.Name, rp.Version+rp.Constraint
					if rp.Constraint == "" && rp.Version == "" {
						pkg.Constraint = "latest"
					}
				} else {
					pkg.Constraint = spec
					if spec == "" {
						pkg.Constraint = "*"
					}
				}
			}
			f.Packages = append(f.Packages, pkg)
		}
	}
	sortPackages(f.Packages)
	return f, nil
}
