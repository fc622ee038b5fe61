// Package custom is the engine for an organization's own pattern rules: the
// policy's rules.patterns, each a regular expression with an id, a severity,
// a message, an optional CWE and optional path globs.
//
// Patterns are for code and configuration ("no eval", "no http:// URLs to
// our API"). Credentials belong in rules.secrets, which the secrets engine
// matches and redacts; this engine shows the matched line as it is.
package custom

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
)

// Name is the engine's id in policy and output.
const Name = "custom"

// maxSnippet bounds how much of a matched line a finding shows.
const maxSnippet = 200

// Engine matches the policy's pattern rules. It is safe for concurrent use.
type Engine struct {
	rules []rule
}

type rule struct {
	finding.Rule
	message string
	re      *regexp.Regexp
	paths   []string
}

// New compiles rules. A bad regex, glob, severity or a duplicate id is an
// error naming the rule.
func New(patterns []policy.PatternRule) (*Engine, error) {
	e := &Engine{}
	seen := map[string]bool{}
	for i, p := range patterns {
		where := fmt.Sprintf("rules.patterns[%d]", i)
		if p.ID == "" {
			return nil, fmt.Errorf("%s: id is required", where)
		}
		where = fmt.Sprintf("rules.patterns[%d] (%s)", i, p.ID)
		if seen[p.ID] {
			return nil, fmt.Errorf("%s: duplicate rule id", where)
		}
		seen[p.ID] = true
		if p.Regex == "" {
			return nil, fmt.Errorf("%s: regex is required", where)
		}
		re, err := regexp.Compile(p.Regex)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid regex: %v", where, err)
		}
		if re.MatchString("") {
			return nil, fmt.Errorf("%s: regex %q matches the empty string, so it would match every line", where, p.Regex)
		}
		sev := p.Severity
		if sev == 0 {
			sev = finding.SeverityMedium
		}
		if !sev.Valid() {
			return nil, fmt.Errorf("%s: invalid severity", where)
		}
		for _, g := range p.Paths {
			if !doublestar.ValidatePattern(g) {
				return nil, fmt.Errorf("%s: invalid path glob %q", where, g)
			}
		}
		msg := strings.TrimSpace(p.Message)
		if msg == "" {
			msg = fmt.Sprintf("matches the organization's pattern rule %s", p.ID)
		}
		title, _, _ := strings.Cut(msg, "\n")
		e.rules = append(e.rules, rule{
			Rule: finding.Rule{
				ID:       p.ID,
				Engine:   Name,
				Title:    title,
				Severity: sev,
				CWE:      p.CWE,
				Help:     msg + "\n\nThis rule comes from the policy's `rules.patterns`; regex: `" + p.Regex + "`.",
				Tags:     []string{"custom"},
			},
			message: msg,
			re:      re,
			paths:   p.Paths,
		})
	}
	return e, nil
}

// Name implements scan.Engine.
func (e *Engine) Name() string { return Name }

// Rules implements scan.Engine.
func (e *Engine) Rules() []finding.Rule {
	out := make([]finding.Rule, len(e.rules))
	for i, r := range e.rules {
		out[i] = r.Rule
	}
	return out
}

// Wants implements scan.PathFilter: a file no rule applies to is not read.
func (e *Engine) Wants(path string) bool {
	for i := range e.rules {
		if e.rules[i].applies(path) {
			return true
		}
	}
	return false
}

func (r *rule) applies(path string) bool {
	if len(r.paths) == 0 {
		return true
	}
	for _, g := range r.paths {
		if ok, _ := doublestar.Match(g, path); ok {
			return true
		}
		// A glob without a slash also matches the file name at any depth,
		// as in .gitignore: "*.py" covers "src/app.py".
		if !strings.Contains(g, "/") {
			if ok, _ := doublestar.Match(g, path[strings.LastIndexByte(path, '/')+1:]); ok {
				return true
			}
		}
	}
	return false
}

// Scan implements scan.Engine.
func (e *Engine) Scan(ctx context.Context, f scan.File, report func(finding.Finding)) error {
	var lines lineIndex
	for i := range e.rules {
		r := &e.rules[i]
		if !r.applies(f.Path) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, m := range r.re.FindAllIndex(f.Content, -1) {
			if lines == nil {
				lines = newLineIndex(f.Content)
			}
			sl, sc := lines.pos(m[0])
			end := m[1]
			if end > m[0] {
				end-- // the last byte of the match, not one past it
			}
			el, ec := lines.pos(end)
			line := lines.line(f.Content, sl)
			report(finding.Finding{
				RuleID:   r.ID,
				Engine:   Name,
				Severity: r.Severity,
				Title:    r.Title,
				Message:  r.message,
				CWE:      r.CWE,
				Location: finding.Location{
					Path: f.Path, StartLine: sl, StartColumn: sc, EndLine: el, EndColumn: ec + 1,
				},
				Snippet:     snippet(line),
				Fingerprint: finding.Fingerprint(r.ID, f.Path, string(line)+"\x00"+string(f.Content[m[0]:m[1]])),
			})
		}
	}
	return nil
}

func snippet(line []byte) string {
	s := strings.TrimSpace(string(line))
	if len(s) > maxSnippet {
		cut := maxSnippet
		for cut > 0 && (s[cut]&0xC0) == 0x80 { // keep UTF-8 whole
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// lineIndex holds the offset at which each line starts.
type lineIndex []int

func newLineIndex(b []byte) lineIndex {
	idx := lineIndex{0}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return idx
		}
		i += j + 1
		idx = append(idx, i)
	}
}

// pos returns the 1-based line and column of byte offset off.
func (l lineIndex) pos(off int) (line, col int) {
	i := sort.SearchInts(l, off+1) - 1
	return i + 1, off - l[i] + 1
}

func (l lineIndex) line(b []byte, n int) []byte {
	start := l[n-1]
	end := len(b)
	if n < len(l) {
		end = l[n] - 1
	}
	return bytes.TrimSuffix(b[start:end], []byte("\r"))
}
