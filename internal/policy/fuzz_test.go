package policy

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// FuzzParse: whatever the bytes, Parse never panics, and it either returns
// a policy or errors that are all *Error.
func FuzzParse(f *testing.F) {
	f.Add(builtinYAML)
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "version: 1\n", "version: 1\ngates: {fail_on: x}\n", "- a\n", "version: 1\n---\n",
		"version: 1\nx: &a [*a]\n", "version: 1\ngates:\n  exclude: &e [a]\nagent:\n  files:\n    read_deny: *e\n",
		"version: 1\nexceptions: [{rule: r}]\n", "version: 1\nmodels:\n  allow: {public: [\"[\"]}\n",
		"version: 1\nagent: {builtin: {x: allow, x: deny}}\n", "\t", "version: !!binary aGk=\n",
		"version: 1\naudit: {retention: 99999999999999999999d}\n", "version: 1\ngates: {max_file_size: 99999999999GiB}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err == nil {
			if p == nil {
				t.Fatal("nil policy without an error")
			}
			return
		}
		if p != nil {
			t.Fatal("policy returned with an error")
		}
		var list Errors
		if errors.As(err, &list) {
			if len(list) < 2 {
				t.Fatalf("Errors with %d entries", len(list))
			}
			for _, e := range list {
				var pe *Error
				if !errors.As(e, &pe) {
					t.Fatalf("%T in Errors: %v", e, e)
				}
			}
			return
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("error is %T, not *Error: %v", err, err)
		}
		if pe.File != "fuzz.yaml" {
			t.Fatalf("error names file %q", pe.File)
		}
	})
}

// FuzzLayer: any organization and repository files that parse can be
// layered without a panic; a refusal is a *LockError or an *Error, and an
// accepted repository never loosens the organization's fail_on lock.
func FuzzLayer(f *testing.F) {
	org := "version: 1\nlocks: [gates, models, agent, exceptions, rules, dependencies, audit, project, instructions]\ngates:\n  fail_on: medium\n"
	f.Add([]byte(org), []byte("version: 1\ngates:\n  fail_on: low\n"))
	f.Add([]byte(org), []byte("version: 1\ngates:\n  fail_on: critical\n"))
	f.Add([]byte(org), []byte("version: 1\nagent:\n  commands:\n    rules:\n      - {id: git-push-force, command: git, decision: allow}\n"))
	f.Add([]byte(org), []byte("version: 1\nmodels:\n  allow: {internal: [\"x/*\"]}\nagent:\n  builtin: {a: allow}\n"))
	f.Add([]byte(org), []byte("version: 1\nexceptions: [{rule: r, reason: x}]\naudit: {retention: 1d}\n"))
	f.Add([]byte("version: 1\n"), builtinYAML)
	f.Fuzz(func(t *testing.T, orgData, repoData []byte) {
		of, err := parseFile("org.yaml", orgData, nil)
		if err != nil {
			return
		}
		rf, err := parseFile("warden.yaml", repoData, nil)
		if err != nil {
			return
		}
		e, err := layer(of, rf, map[string]*regexp.Regexp{})
		if err != nil {
			if !IsUserError(err) {
				t.Fatalf("layer error is not a user error: %T %v", err, err)
			}
			return
		}
		if len(e.SHA256) != 64 {
			t.Fatalf("bad sha256 %q", e.SHA256)
		}
		if slices.Contains(of.policy.Locks, "gates.fail_on") || slices.Contains(of.policy.Locks, "gates") {
			base, err := layer(of, nil, map[string]*regexp.Regexp{})
			if err != nil {
				t.Fatal(err)
			}
			if e.Gates.FailOn > base.Gates.FailOn {
				t.Fatalf("repository loosened a locked fail_on: %v > %v", e.Gates.FailOn, base.Gates.FailOn)
			}
		}
	})
}
