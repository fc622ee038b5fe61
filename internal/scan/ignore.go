package scan

import (
	"bufio"
	"bytes"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Ignore matches paths against gitignore-style patterns: the syntax of
// .gitignore and .wardenignore. Patterns are read relative to the directory
// of the file that holds them; the last matching pattern wins and "!"
// re-includes. A nil *Ignore ignores nothing. Ignore values are immutable:
// With returns a new one, so a walk can hand each subdirectory its own.
type Ignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	base    string // directory the pattern is relative to; "." for the root
	pattern string // doublestar pattern
	negate  bool
	dirOnly bool
	// anchored patterns match the whole path below base; others match
	// the last element at any depth.
	anchored bool
}

// ParseIgnore reads patterns that apply from the root.
func ParseIgnore(data []byte) *Ignore { return (*Ignore)(nil).With(".", data) }

// With returns an Ignore with the patterns in data (the content of an
// ignore file in directory dir, slash-separated, "." for the root) added
// after the existing ones. Lines that are not valid patterns are dropped, as
// git does.
func (ig *Ignore) With(dir string, data []byte) *Ignore {
	var rules []ignoreRule
	if ig != nil {
		rules = ig.rules[:len(ig.rules):len(ig.rules)]
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if r, ok := parseIgnoreLine(dir, sc.Text()); ok {
			rules = append(rules, r)
		}
	}
	return &Ignore{rules: rules}
}

func parseIgnoreLine(dir, line string) (ignoreRule, bool) {
	line = strings.TrimSuffix(line, "\r")
	// Trailing spaces are dropped unless escaped with a backslash.
	for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
		line = line[:len(line)-1]
	}
	if line == "" || strings.HasPrefix(line, "#") {
		return ignoreRule{}, false
	}
	r := ignoreRule{base: dir}
	if strings.HasPrefix(line, "!") {
		r.negate = true
		line = line[1:]
	} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if line == "" {
		return ignoreRule{}, false
	}
	if strings.Contains(line, "/") {
		r.anchored = true
		line = strings.TrimPrefix(line, "/")
	}
	line = strings.ReplaceAll(line, `\ `, " ")
	if !doublestar.ValidatePattern(line) {
		return ignoreRule{}, false
	}
	r.pattern = line
	return r, true
}

// Match reports whether p (slash-separated, relative to the root) is
// ignored by a pattern naming it directly. It does not look at p's parent
// directories: a walk that prunes ignored directories needs no more.
func (ig *Ignore) Match(p string, isDir bool) bool {
	if ig == nil {
		return false
	}
	ignored := false
	for i := range ig.rules {
		r := &ig.rules[i]
		if r.dirOnly && !isDir {
			continue
		}
		if r.negate != ignored {
			// This rule cannot change the outcome.
			continue
		}
		if r.match(p) {
			ignored = !r.negate
		}
	}
	return ignored
}

// MatchPath reports whether p is ignored itself or lies in an ignored
// directory; use it for paths that come from a list rather than a walk.
func (ig *Ignore) MatchPath(p string) bool {
	if ig == nil {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && ig.Match(p[:i], true) {
			return true
		}
	}
	return ig.Match(p, false)
}

func (r *ignoreRule) match(p string) bool {
	rel := p
	if r.base != "." {
		var ok bool
		rel, ok = strings.CutPrefix(p, r.base+"/")
		if !ok {
			return false
		}
	}
	if !r.anchored {
		rel = path.Base(rel)
	}
	ok, _ := doublestar.Match(r.pattern, rel)
	return ok
}
