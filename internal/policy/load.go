package policy

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"go.yaml.in/yaml/v3"
)

// builtin_gen.go is generated from builtin.yaml:
//go:generate go test -run TestBuiltinGenerated -update .

//go:embed builtin.yaml
var builtinYAML []byte

// BuiltinYAML is the built-in policy as written: an example of every
// section with its default.
func BuiltinYAML() []byte { return append([]byte(nil), builtinYAML...) }

// BuiltinSource is the Sources value of a setting that comes from the
// built-in defaults.
const BuiltinSource = "builtin"

// Names of the repository policy file, in the order discovery reports them.
const (
	RepoFile    = "warden.yaml"
	RepoAltFile = ".warden/policy.yaml"
)

// LoadOptions says which files make up the effective policy.
type LoadOptions struct {
	// Dir is the repository root: warden.yaml or .warden/policy.yaml there
	// is the repository layer. "" = no discovery.
	Dir string
	// File is an explicit policy file (--policy); it replaces discovery in
	// Dir and must exist.
	File string
	// OrgPath is the organization baseline; "" = none. It must exist. The
	// CLI resolves WARDEN_ORG_POLICY, else /etc/warden/policy.yaml if it
	// exists.
	OrgPath string
}

// Load builds the effective policy: built-in defaults, then the
// organization baseline, then the repository file, checking the
// organization's locks. Errors the user can fix are (or wrap) *Error or
// *LockError; IsUserError tells them apart from warden's own failures.
func Load(opts LoadOptions) (*Effective, error) {
	// Files found by discovery are named relative to Dir in errors and
	// sources ("warden.yaml:3:5: ..."); explicit paths as given.
	repoPath, repoName := opts.File, opts.File
	if repoPath == "" && opts.Dir != "" {
		name, err := Discover(opts.Dir)
		if err != nil {
			return nil, err
		}
		if name != "" {
			repoPath, repoName = filepath.Join(opts.Dir, name), filepath.ToSlash(name)
		}
	}
	regexps := map[string]*regexp.Regexp{}
	var org, repo *parsedFile
	var err error
	if opts.OrgPath != "" {
		if org, err = readFile(opts.OrgPath, opts.OrgPath, regexps); err != nil {
			return nil, err
		}
	}
	if repoPath != "" {
		if repo, err = readFile(repoPath, repoName, regexps); err != nil {
			return nil, err
		}
	}
	return layer(org, repo, regexps)
}

// layer merges the built-in policy, the organization file and the
// repository file (either may be nil), checking the organization's locks.
func layer(org, repo *parsedFile, regexps map[string]*regexp.Regexp) (*Effective, error) {
	bf, err := builtinFile(regexps)
	if err != nil {
		return nil, err
	}
	var p Policy
	m := &merger{sources: map[string]string{}}
	m.apply(&p, bf, BuiltinSource)
	var layers []string
	orgName := ""
	if org != nil {
		m.apply(&p, org, org.name)
		layers = append(layers, org.name)
		orgName = org.name
	}
	if repo != nil {
		if n, ok := repo.present["locks"]; ok && len(repo.policy.Locks) > 0 {
			return nil, &Error{File: repo.name, Line: n.Line, Column: n.Column, Key: "locks",
				Msg: "only the organization policy (WARDEN_ORG_POLICY or /etc/warden/policy.yaml) may lock keys"}
		}
		if err := checkLocks(&p, orgName, repo); err != nil {
			return nil, err
		}
		m.apply(&p, repo, repo.name)
		layers = append(layers, repo.name)
	}
	return newEffective(p, m.sources, layers, regexps), nil
}

// builtinFile is builtin.yaml decoded at build time (builtin_gen.go), since
// parsing it would be most of a hook process's load time; or, should the
// generated file be stale (builtin.yaml edited without regenerating, which
// TestBuiltinGenerated catches), the YAML parsed now.
func builtinFile(regexps map[string]*regexp.Regexp) (*parsedFile, error) {
	if builtinGenFresh() {
		return &parsedFile{name: BuiltinSource, policy: builtinPolicy(), present: builtinPresent()}, nil
	}
	f, err := parseFile(BuiltinSource, builtinYAML, regexps)
	if err != nil {
		return nil, fmt.Errorf("built-in policy: %w", err) // a bug in warden, caught by its tests
	}
	return f, nil
}

var builtinGenFresh = sync.OnceValue(func() bool {
	sum := sha256.Sum256(builtinYAML)
	return hex.EncodeToString(sum[:]) == builtinYAMLSHA256
})

var builtinPresent = sync.OnceValue(func() map[string]*yaml.Node {
	m := make(map[string]*yaml.Node, len(builtinKeys))
	for _, k := range builtinKeys {
		m[k] = nil
	}
	return m
})

// Builtin is the effective policy when there is no file at all: secure and
// useful defaults.
func Builtin() *Effective {
	e, err := Load(LoadOptions{})
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return e
}

// Discover returns the name of the repository policy file in dir
// (relative to dir), "" when there is none. Both warden.yaml and .warden/policy.yaml present is an error, and so
// is a lone warden.yml, which would otherwise be silently ignored.
func Discover(dir string) (string, error) {
	alt := filepath.FromSlash(RepoAltFile)
	hasMain, hasAlt := exists(filepath.Join(dir, RepoFile)), exists(filepath.Join(dir, alt))
	switch {
	case hasMain && hasAlt:
		return "", &Error{File: RepoFile, Msg: fmt.Sprintf("both %s and %s exist; keep one", RepoFile, RepoAltFile)}
	case hasMain:
		return RepoFile, nil
	case hasAlt:
		return alt, nil
	}
	if exists(filepath.Join(dir, "warden.yml")) {
		return "", &Error{File: "warden.yml", Msg: "warden reads warden.yaml, not warden.yml: rename the file"}
	}
	return "", nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func readFile(path, name string, regexps map[string]*regexp.Regexp) (*parsedFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: name, Msg: "cannot read policy: " + describeFSError(err)}
	}
	if fi.IsDir() {
		return nil, &Error{File: name, Msg: "is a directory, not a policy file"}
	}
	if fi.Size() > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("file is %d bytes; a policy may be at most %d", fi.Size(), MaxFileSize)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: name, Msg: "cannot read policy: " + describeFSError(err)}
	}
	return parseFile(name, data, regexps)
}

func describeFSError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	default:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err.Error()
		}
		return err.Error()
	}
}
