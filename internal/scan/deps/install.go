package deps

import (
	"github.com/wardenhq/warden/internal/lazyre"
	"path"
	"strings"

	"github.com/wardenhq/warden/internal/vulndb"
)

// Install is what a package-manager command would fetch.
type Install struct {
	// Manager is the program: npm, pnpm, yarn, bun, pip, uv, poetry,
	// pipenv, go, cargo, gem, bundle, composer.
	Manager   string
	Ecosystem string
	// Packages are the packages named on the command line. Empty for a
	// plain "npm install" that installs what the lockfile pins.
	Packages []Package
	// Registry is the registry or index URL given on the command line
	// (--registry, -i/--index-url), if any.
	Registry string
	// ExtraIndexes are pip's --extra-index-url values: a package found on
	// several indexes may come from the public one.
	ExtraIndexes []string
	// Files are requirement or lock files the command installs from
	// (pip -r FILE); the guard may scan them with the engine.
	Files []string
}

// installSpec describes one package manager's command line.
type installSpec struct {
	eco string
	// verbs: the sub-commands that install ("" when the program itself
	// installs, none for pip's "-m pip").
	verbs map[string]bool
	// valueFlags take a value (the next argument unless written --f=v).
	valueFlags map[string]bool
	parse      func(arg string) (Package, bool)
}

func without(m map[string]bool, k string) map[string]bool {
	out := map[string]bool{}
	for x := range m {
		if x != k {
			out[x] = true
		}
	}
	return out
}

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

var npmValueFlags = set("--registry", "--save-prefix", "--tag", "-w", "--workspace", "--prefix", "--cache", "--userconfig", "--filter", "-F", "--dir", "-C", "--cwd", "--scope", "--omit", "--include", "--network-concurrency", "--modules-folder")
var pipValueFlags = set("-i", "--index-url", "--extra-index-url", "-r", "--requirement", "-c", "--constraint", "-t", "--target", "--prefix", "--root", "-f", "--find-links", "--platform", "--python-version", "--implementation", "--abi", "--src", "--upgrade-strategy", "--progress-bar", "--python", "-p", "--trusted-host", "--cache-dir", "--log", "--proxy", "--retries", "--timeout", "--exists-action", "--cert", "--client-cert", "--report", "--only-binary", "--no-binary", "--group", "-G", "--optional", "--extra", "--index", "--default-index", "--source", "--package", "--with", "--directory", "--project", "--rev", "--branch", "--tag", "--python-platform", "--config-file", "--resolution", "--prerelease", "--keyring-provider", "--dev-group")

var specs = map[string]installSpec{
	"npm":  {eco: vulndb.NPM, verbs: set("install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall"), valueFlags: npmValueFlags, parse: parseNPMSpec},
	"pnpm": {eco: vulndb.NPM, verbs: set("add", "install", "i"), valueFlags: without(npmValueFlags, "-w"), parse: parseNPMSpec},
	"yarn": {eco: vulndb.NPM, verbs: set("add", "install"), valueFlags: npmValueFlags, parse: parseNPMSpec},
	"bun":  {eco: vulndb.NPM, verbs: set("add", "install", "i", "a"), valueFlags: npmValueFlags, parse: parseNPMSpec},
	"pip":  {eco: vulndb.PyPI, verbs: set("install"), valueFlags: pipValueFlags, parse: parsePyPISpec},
	// "uv pip install" and "uv add" are normalized to verbs below.
	"uv":       {eco: vulndb.PyPI, verbs: set("add", "pip install", "tool install"), valueFlags: pipValueFlags, parse: parsePyPISpec},
	"poetry":   {eco: vulndb.PyPI, verbs: set("add"), valueFlags: pipValueFlags, parse: parsePoetrySpec},
	"pipenv":   {eco: vulndb.PyPI, verbs: set("install"), valueFlags: pipValueFlags, parse: parsePyPISpec},
	"pipx":     {eco: vulndb.PyPI, verbs: set("install", "inject"), valueFlags: pipValueFlags, parse: parsePyPISpec},
	"go":       {eco: vulndb.Go, verbs: set("get", "install"), valueFlags: set("-C", "-modfile", "-toolexec", "-tags", "-ldflags", "-gcflags", "-o", "-p", "-mod", "-pgo", "-overlay", "-asmflags", "-buildmode", "-compiler", "-pkgdir", "-installsuffix", "-exec"), parse: parseGoSpec},
	"cargo":    {eco: vulndb.CratesIO, verbs: set("add", "install"), valueFlags: set("--vers", "--version", "--git", "--branch", "--tag", "--rev", "--path", "--registry", "--index", "-p", "--package", "--features", "-F", "--rename", "--target", "--manifest-path", "--root", "--profile", "--jobs", "-j", "--target-dir", "--config", "-Z", "--bin", "--example", "--color"), parse: parseCargoSpec},
	"gem":      {eco: vulndb.RubyGems, verbs: set("install", "i"), valueFlags: set("-v", "--version", "-s", "--source", "--clear-sources", "-i", "--install-dir", "-n", "--bindir", "--platform", "-P", "--trust-policy", "-g", "--file", "--document"), parse: parseGemSpec},
	"bundle":   {eco: vulndb.RubyGems, verbs: set("add"), valueFlags: set("-v", "--version", "-s", "--source", "--group", "-g", "--git", "--branch", "--ref", "--path", "--github"), parse: parseGemSpec},
	"composer": {eco: vulndb.Packagist, verbs: set("require", "req", "r"), valueFlags: set("-d", "--working-dir", "--repository"), parse: parseComposerSpec},
}

var programAlias = map[string]string{"pip3": "pip", "pip3.9": "pip", "pip3.10": "pip", "pip3.11": "pip", "pip3.12": "pip", "pip3.13": "pip", "yarnpkg": "yarn", "bunx": ""}

// ParseInstall reads a package-manager command line (npm/pnpm/yarn/bun add
// or install, pip/pip3/python -m pip/uv pip install, uv add, poetry add,
// pipenv install, go get, go install, cargo add/install, gem install,
// bundle add, composer require) and returns what it would fetch. It
// returns false for any other command. A recognized install with no
// package named ("npm install", "pip install -r req.txt") returns true
// with no Packages (Files names requirement files).
func ParseInstall(argv []string) (Install, bool) {
	if len(argv) == 0 {
		return Install{}, false
	}
	prog := path.Base(argv[0])
	if a, ok := programAlias[prog]; ok {
		prog = a
	}
	args := argv[1:]
	// python -m pip install ... / python3 -m pip ...
	if strings.HasPrefix(prog, "python") && len(args) >= 2 && args[0] == "-m" && (args[1] == "pip" || args[1] == "pip3") {
		prog, args = "pip", args[2:]
	}
	spec, ok := specs[prog]
	if !ok {
		return Install{}, false
	}
	in := Install{Manager: prog, Ecosystem: spec.eco}
	// Find the verb, skipping global flags before it.
	verb := -1
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if spec.valueFlags[a] && !strings.Contains(a, "=") {
				i++
			}
			continue
		}
		verb = i
		break
	}
	if verb < 0 {
		// "yarn" alone installs the lockfile.
		if prog == "yarn" {
			return in, true
		}
		return Install{}, false
	}
	v := args[verb]
	rest := args[verb+1:]
	if prog == "uv" && (v == "pip" || v == "tool") && len(rest) > 0 {
		v, rest = v+" "+rest[0], rest[1:]
	}
	if !spec.verbs[v] {
		return Install{}, false
	}
	var version, gitURL, gitRef string // flags that qualify the packages
	var names []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			names = append(names, rest[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			flag, val, hasVal := strings.Cut(a, "=")
			if spec.valueFlags[flag] {
				if !hasVal {
					if i+1 >= len(rest) {
						break
					}
					i++
					val = rest[i]
				}
				switch flag {
				case "--registry", "-i", "--index-url", "--index", "--default-index", "-s", "--source":
					in.Registry = val
				case "--extra-index-url":
					in.ExtraIndexes = append(in.ExtraIndexes, val)
				case "-r", "--requirement":
					in.Files = append(in.Files, val)
				case "-v", "--version", "--vers":
					version = val
				case "--git":
					gitURL = val
				case "--rev", "--ref", "--tag", "--branch":
					if flag == "--rev" || flag == "--ref" {
						gitRef = val
					}
				}
			} else if flag == "-e" || flag == "--editable" {
				// pip -e PATH_OR_URL: the value is a source, not a flag
				if !hasVal && i+1 < len(rest) {
					i++
					names = append(names, rest[i])
				}
			}
			continue
		}
		names = append(names, a)
	}
	if prog == "go" && len(names) == 0 {
		return in, true
	}
	for _, n := range names {
		p, ok := spec.parse(n)
		if !ok {
			continue
		}
		p.Ecosystem = spec.eco
		p.Direct = true
		if version != "" && p.Version == "" && p.Constraint == "" && p.Source == "" {
			// A version flag (gem -v, cargo --version) names an exact
			// version unless it carries an operator.
			if exactRE.MatchString(version) {
				p.Version = strings.TrimLeft(version, "= ")
			} else {
				p.Constraint = version
			}
		}
		in.Packages = append(in.Packages, p)
	}
	if gitURL != "" {
		name := strings.TrimSuffix(path.Base(gitURL), ".git")
		if len(names) > 0 {
			in.Packages = nil
			name = names[0]
		}
		in.Packages = append(in.Packages, Package{Ecosystem: spec.eco, Name: name, Source: "git", Ref: gitRef, Resolved: gitURL, Direct: true})
	}
	return in, true
}

// sourceOf classifies a non-registry spec: a git URL (with the ref after
// '#' or '@'), an archive URL or a local path.
func sourceOf(spec string) (Package, bool) {
	s := spec
	switch {
	case strings.HasPrefix(s, "git+") || strings.HasPrefix(s, "git://") || strings.HasPrefix(s, "github:") ||
		strings.HasPrefix(s, "gitlab:") || strings.HasPrefix(s, "bitbucket:") || strings.HasSuffix(strings.SplitN(s, "#", 2)[0], ".git"):
		u, ref, _ := strings.Cut(s, "#")
		egg := ""
		if i := strings.Index(ref, "egg="); i >= 0 {
			// pip's "#egg=name" names the package; it is not a ref
			egg, ref = ref[i+4:], ""
			if j := strings.IndexByte(egg, '&'); j >= 0 {
				egg = egg[:j]
			}
		}
		if ref == "" && strings.Contains(u, "://") {
			// pip's git+https://host/repo@ref
			if i := strings.LastIndexByte(u, '@'); i > strings.LastIndexByte(u, '/') {
				u, ref = u[:i], u[i+1:]
			}
		}
		ref = strings.TrimPrefix(ref, "commit=")
		name := strings.TrimSuffix(path.Base(strings.TrimPrefix(u, "git+")), ".git")
		if egg != "" {
			name = egg
		}
		return Package{Name: name, Source: "git", Ref: ref, Resolved: s}, true
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		return Package{Name: path.Base(s), Source: "url", Resolved: s}, true
	case strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "file:") || strings.HasPrefix(s, "~") ||
		strings.HasSuffix(s, ".tgz") || strings.HasSuffix(s, ".whl") || strings.HasSuffix(s, ".tar.gz") || strings.HasSuffix(s, ".zip"):
		return Package{Name: s, Source: "path"}, true
	}
	return Package{}, false
}

var npmGitShorthand = lazyre.New(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(#.*)?$`)

func parseNPMSpec(s string) (Package, bool) {
	if p, ok := sourceOf(s); ok {
		return p, true
	}
	if npmGitShorthand.MatchString(s) && !strings.HasPrefix(s, "@") {
		// user/repo is a GitHub shorthand
		u, ref, _ := strings.Cut(s, "#")
		return Package{Name: path.Base(u), Source: "git", Ref: ref, Resolved: "github:" + s}, true
	}
	if i := strings.Index(s, "@npm:"); i > 0 {
		return parseNPMSpec(s[i+len("@npm:"):]) // alias@npm:real@version installs real
	}
	name, ver := s, ""
	at := strings.LastIndexByte(s, '@')
	if at > 0 {
		name, ver = s[:at], s[at+1:]
	}
	// alias@npm:real@version installs real.
	if real, ok := strings.CutPrefix(ver, "npm:"); ok {
		return parseNPMSpec(real)
	}
	if name == "" {
		return Package{}, false
	}
	p := Package{Name: name}
	switch {
	case ver == "":
	case exactConstraint(vulndb.NPM, ver):
		p.Version = strings.TrimLeft(strings.TrimPrefix(ver, "v"), "=")
	default:
		p.Constraint = ver
	}
	return p, true
}

var pep508 = lazyre.New(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$`)

func parsePyPISpec(s string) (Package, bool) {
	if name, url, ok := strings.Cut(s, "@"); ok && strings.Contains(url, "://") {
		p, _ := sourceOf(strings.TrimSpace(url))
		p.Name = strings.TrimSpace(name)
		return p, true
	}
	if p, ok := sourceOf(s); ok {
		return p, true
	}
	m := pep508.FindStringSubmatch(s)
	if m == nil {
		return Package{}, false
	}
	p := Package{Name: m[1]}
	req := strings.TrimSpace(strings.SplitN(m[3], ";", 2)[0])
	if v, ok := strings.CutPrefix(req, "=="); ok && !strings.ContainsAny(v, "*,") {
		p.Version = strings.TrimSpace(v)
	} else if v, ok := strings.CutPrefix(req, "==="); ok {
		p.Version = strings.TrimSpace(v)
	} else if req != "" {
		p.Constraint = req
	}
	return p, true
}

func parsePoetrySpec(s string) (Package, bool) {
	if name, ver, ok := strings.Cut(s, "@"); ok && !strings.Contains(ver, "://") && name != "" {
		p := Package{Name: name}
		if exactConstraint(vulndb.PyPI, ver) {
			p.Version = strings.TrimLeft(ver, "=")
		} else {
			p.Constraint = ver
		}
		return p, true
	}
	return parsePyPISpec(s)
}

func parseGoSpec(s string) (Package, bool) {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") {
		return Package{}, false // local packages
	}
	name, ver, _ := strings.Cut(s, "@")
	name = strings.TrimSuffix(name, "/...")
	if !strings.Contains(name, ".") || ver == "none" {
		return Package{}, false // standard library, or a removal
	}
	p := Package{Name: name}
	switch {
	case ver == "" || ver == "latest" || ver == "upgrade" || ver == "patch":
	case semverRE.MatchString(ver):
		p.Version = ver
	default:
		p.Constraint = ver // a branch or commit: the proxy resolves it
	}
	return p, true
}

var semverRE = lazyre.New(`^v\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)

func parseCargoSpec(s string) (Package, bool) {
	name, ver, _ := strings.Cut(s, "@")
	if name == "" {
		return Package{}, false
	}
	p := Package{Name: name}
	switch {
	case ver == "":
	case exactConstraint(vulndb.CratesIO, ver):
		p.Version = strings.TrimPrefix(ver, "=")
	default:
		p.Constraint = ver
	}
	return p, true
}

func parseGemSpec(s string) (Package, bool) {
	name, ver, _ := strings.Cut(s, ":")
	if name == "" {
		return Package{}, false
	}
	p := Package{Name: name}
	if ver != "" {
		if exactConstraint(vulndb.RubyGems, ver) {
			p.Version = ver
		} else {
			p.Constraint = ver
		}
	}
	return p, true
}

func parseComposerSpec(s string) (Package, bool) {
	name, ver, ok := strings.Cut(s, ":")
	if !ok {
		name, ver, _ = strings.Cut(s, "=")
	}
	if !strings.Contains(name, "/") {
		return Package{}, false // "php", "ext-json": platform requirements
	}
	p := Package{Name: strings.ToLower(name)}
	if ver != "" {
		if exactConstraint(vulndb.Packagist, ver) {
			p.Version = strings.TrimPrefix(ver, "v")
		} else {
			p.Constraint = ver
		}
	}
	return p, true
}
