package install

import (
	"bytes"
	"fmt"
	"github.com/wardenhq/warden/internal/lazyre"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/policy"
)

// Detection is what init found in the repository and the user's home.
type Detection struct {
	Agents    []DetectedAgent
	Languages []string
	// License is the open-source license found ("" = none).
	License string
}

// DetectedAgent is an agent in use and the paths that show it.
type DetectedAgent struct {
	Name  string
	Where []string // "~/..." for the user's global configuration
}

// agentMarkers are the paths that show an agent in use: in the project,
// then (prefixed ~/) in the user's home.
var agentMarkers = map[string][]string{
	Claude:  {".claude", "CLAUDE.md", "~/.claude", "~/.claude.json"},
	Gemini:  {".gemini", "GEMINI.md", "~/.gemini"},
	Codex:   {".codex", "~/.codex"},
	Copilot: {".github/copilot-instructions.md", ".github/hooks", ".github/instructions", "~/.copilot"},
	Cursor:  {".cursor", ".cursorrules", "~/.cursor"},
}

var languageMarkers = []struct {
	lang  string
	files []string
}{
	{"Go", []string{"go.mod"}},
	{"JavaScript/TypeScript", []string{"package.json"}},
	{"Python", []string{"pyproject.toml", "requirements.txt", "setup.py", "setup.cfg", "Pipfile"}},
	{"Rust", []string{"Cargo.toml"}},
	{"Ruby", []string{"Gemfile"}},
	{"Java/Kotlin", []string{"pom.xml", "build.gradle", "build.gradle.kts"}},
	{"PHP", []string{"composer.json"}},
	{"C#", []string{"global.json", "Directory.Build.props"}},
	{"Terraform", []string{"main.tf"}},
	{"Docker", []string{"Dockerfile"}},
}

// Detect looks for agent configurations (project and global) and the
// languages of the repository at dir.
func Detect(dir, home string) Detection {
	var d Detection
	for _, a := range Agents {
		var where []string
		for _, m := range agentMarkers[a] {
			p := filepath.Join(dir, filepath.FromSlash(m))
			if rest, ok := strings.CutPrefix(m, "~/"); ok {
				if home == "" {
					continue
				}
				p = filepath.Join(home, filepath.FromSlash(rest))
			}
			if _, err := os.Stat(p); err == nil {
				where = append(where, m)
			}
		}
		if len(where) > 0 {
			d.Agents = append(d.Agents, DetectedAgent{Name: a, Where: where})
		}
	}
	for _, l := range languageMarkers {
		for _, f := range l.files {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				d.Languages = append(d.Languages, l.lang)
				break
			}
		}
	}
	d.License = detectLicense(dir)
	return d
}

var licenseRe = []struct {
	name string
	re   *lazyre.Regexp
}{
	{"Apache-2.0", lazyre.New(`(?i)apache license,?\s+version 2\.0`)},
	{"MIT", lazyre.New(`(?i)permission is hereby granted, free of charge`)},
	{"BSD", lazyre.New(`(?i)redistribution and use in source and binary forms`)},
	{"GPL", lazyre.New(`(?i)gnu (affero |lesser )?general public license`)},
	{"MPL-2.0", lazyre.New(`(?i)mozilla public license,?\s+v(ersion)?\.? ?2\.0`)},
	{"Unlicense", lazyre.New(`(?i)this is free and unencumbered software`)},
	{"ISC", lazyre.New(`(?i)permission to use, copy, modify, and(/or)? distribute this software`)},
}

func detectLicense(dir string) string {
	for _, name := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING", "LICENCE"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if len(data) > 64<<10 {
			data = data[:64<<10]
		}
		for _, l := range licenseRe {
			if l.re.Match(data) {
				return l.name
			}
		}
	}
	return ""
}

// StartingPolicy is the commented warden.yaml init writes when a
// repository has none. It sets only what a team is likely to change and
// leaves the rest to the built-in defaults (`warden policy show`).
func StartingPolicy(name string, d Detection) []byte {
	class, why := policy.Internal, "no open-source license was found"
	if d.License != "" {
		class, why = policy.Public, "an open-source license ("+d.License+") was found"
	}
	quoted, _ := yaml.Marshal(name)
	var b bytes.Buffer
	b.WriteString("# warden.yaml: the security policy for this repository, written by `warden init`.\n")
	b.WriteString("# Anything not set here comes from warden's built-in defaults (see them all\n")
	b.WriteString("# with `warden policy show`); docs/POLICY.md describes every key. Check a\n")
	b.WriteString("# change with `warden policy check`, then run `warden init` again to refresh\n")
	b.WriteString("# the agents' instruction files.\n")
	if len(d.Languages) > 0 {
		fmt.Fprintf(&b, "# Languages found: %s.\n", strings.Join(d.Languages, ", "))
	}
	b.WriteString("version: 1\n\nproject:\n")
	fmt.Fprintf(&b, "  name: %s", quoted)
	b.WriteString("  # How sensitive the code is: public, internal, confidential or restricted.\n")
	b.WriteString("  # It decides which models may see it (models.allow).\n")
	b.WriteString("  # Guessed by warden init: " + why + ".\n")
	fmt.Fprintf(&b, "  classification: %s\n", class)
	b.WriteString(`
gates:
  # Findings at or above this severity fail ` + "`warden scan`" + ` (pre-commit and CI).
  fail_on: high

agent:
  # An agent's write or edit whose new content has a finding at or above this
  # severity is denied, with the finding and its fix.
  write_fail_on: high
  # Before an agent stops, scan the files its session changed.
  scan_on_stop: true
  # Hosts an agent may fetch from or send to. Setting this list REPLACES the
  # built-in one (package registries and code hosts): start from the list
  # that ` + "`warden policy show`" + ` prints and add yours, e.g. "api.example.com".
  # network:
  #   allow_domains: [registry.npmjs.org, github.com, api.example.com]

instructions:
  # Markdown appended to the security guidance warden renders into CLAUDE.md,
  # AGENTS.md, GEMINI.md, .cursor/rules/warden.mdc and
  # .github/copilot-instructions.md, e.g. "- Use the db package for SQL."
  extra: ""
`)
	return b.Bytes()
}
