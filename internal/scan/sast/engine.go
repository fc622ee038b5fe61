// Package sast is warden's code-rule engine for Go, Python, JavaScript and
// TypeScript (with JSX/TSX). Go is parsed with go/parser, the others with
// tree-sitter; both are lowered into one small tree (ir.go) on which an
// intra-procedural taint analysis (analyze.go) and the rules (rules_*.go,
// each a row of data with a matcher) run.
package sast

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/redact"
	"github.com/wardenhq/warden/internal/scan"
)

// EngineName is the engine's id in policy and output.
const EngineName = "sast"

// MaxFileSize is the largest file the engine analyses; bigger files are
// generated or bundled code, not something a person or an agent wrote.
const MaxFileSize = 1 << 20

// Minified reports whether src looks like a minified bundle: at least 64 KiB
// with lines averaging over 300 bytes. Scan skips such files (as Semgrep
// does): they are build output, and parsing them costs a quarter of a
// node_modules scan for almost no lines of code. Check does not skip them,
// so content an agent writes is always analysed.
func Minified(src []byte) bool {
	if len(src) < 64<<10 {
		return false
	}
	lines := bytes.Count(src, []byte{'\n'}) + 1
	return len(src)/lines > 300
}

// Engine runs the code rules. It is safe for concurrent use.
type Engine struct {
	rules []*Rule
	sets  map[Lang]*ruleSet
	info  []finding.Rule
}

var _ scan.Engine = (*Engine)(nil)
var _ scan.PathFilter = (*Engine)(nil)

var (
	defaultOnce sync.Once
	defaultEng  *Engine
)

// New returns the engine with every built-in rule.
func New() *Engine {
	defaultOnce.Do(func() { defaultEng = newEngine(AllRules()) })
	return defaultEng
}

func newEngine(rules []*Rule) *Engine {
	e := &Engine{rules: rules, sets: map[Lang]*ruleSet{}}
	for _, l := range []Lang{LangGo, LangPython, LangJavaScript, LangTypeScript} {
		e.sets[l] = newRuleSet(rules, l)
	}
	for _, r := range rules {
		e.info = append(e.info, r.info())
	}
	sort.Slice(e.info, func(i, j int) bool { return e.info[i].ID < e.info[j].ID })
	return e
}

// Name implements scan.Engine.
func (e *Engine) Name() string { return EngineName }

// Rules implements scan.Engine.
func (e *Engine) Rules() []finding.Rule { return append([]finding.Rule(nil), e.info...) }

// LangOf says which language a path is, by its extension.
func LangOf(p string) (Lang, bool) {
	switch strings.ToLower(path.Ext(p)) {
	case ".go":
		return LangGo, true
	case ".py", ".pyw":
		return LangPython, true
	case ".js", ".jsx", ".mjs", ".cjs":
		return LangJavaScript, true
	case ".ts", ".tsx", ".mts", ".cts":
		if strings.HasSuffix(strings.ToLower(p), ".d.ts") {
			return 0, false
		}
		return LangTypeScript, true
	}
	return 0, false
}

// Wants implements scan.PathFilter.
func (e *Engine) Wants(p string) bool {
	_, ok := LangOf(p)
	return ok
}

// Parse lowers a file into the engine's tree.
func Parse(ctx context.Context, p string, src []byte) (*Unit, error) {
	inflight.Add(1)
	defer inflight.Add(-1)
	return parseUnit(ctx, p, src, 0)
}

// parseUnit is Parse with the lowering's split point (parallel.go).
func parseUnit(ctx context.Context, p string, src []byte, cut int) (*Unit, error) {
	l, ok := LangOf(p)
	if !ok {
		return nil, fmt.Errorf("%s: not a Go, Python, JavaScript or TypeScript file", p)
	}
	switch l {
	case LangGo:
		return parseGo(p, src)
	case LangPython:
		return parsePython(ctx, p, src, cut)
	default:
		grammars()
		g := gJS
		switch strings.ToLower(path.Ext(p)) {
		case ".ts", ".mts", ".cts":
			g = gTS
		case ".tsx":
			g = gTSX
		}
		return parseJS(ctx, p, src, l, g, cut)
	}
}

// Scan implements scan.Engine.
func (e *Engine) Scan(ctx context.Context, f scan.File, report func(finding.Finding)) error {
	if len(f.Content) > MaxFileSize || Minified(f.Content) {
		return nil
	}
	fs, err := e.Check(ctx, f.Path, f.Content)
	if err != nil {
		return err
	}
	for _, x := range fs {
		report(x)
	}
	return nil
}

// Check analyses one file and returns its findings in order.
func (e *Engine) Check(ctx context.Context, p string, src []byte) ([]finding.Finding, error) {
	inflight.Add(1)
	defer inflight.Add(-1)
	return e.check(ctx, p, src, cuts{})
}

// check is Check with the lowering's and the analysis's split points
// (parallel.go).
func (e *Engine) check(ctx context.Context, p string, src []byte, c cuts) ([]finding.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u, err := parseUnit(ctx, p, src, c.lower)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrParseBudget) {
			// Fail closed: a file built to stall the parser is not passed as clean.
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		// Otherwise tree-sitter and go/parser recover from syntax errors, and
		// what could not be parsed has no findings: it is not a tool error.
		return nil, nil
	}
	return e.findings(u, e.analyze(u, c.analyze)), nil
}

// analyze runs the taint analysis and the rules over u and returns the
// rule matches in order; cut is the analysis's split point (parallel.go).
func (e *Engine) analyze(u *Unit, cut int) []hit {
	a := &analyzer{u: u, rs: e.sets[u.Lang]}
	a.run(cut)
	return a.hits
}

func (e *Engine) findings(u *Unit, hits []hit) []finding.Finding {
	type key struct {
		id   string
		line int
	}
	seen := map[key]bool{}
	var out []finding.Finding
	for _, h := range hits {
		line, col := u.lineCol(h.off)
		k := key{h.rule.ID, line}
		if seen[k] {
			continue
		}
		seen[k] = true
		endLine, endCol := u.lineCol(max(h.end, h.off))
		text := strings.TrimSpace(u.lineText(line))
		f := finding.Finding{
			RuleID:   h.rule.ID,
			Engine:   EngineName,
			Severity: h.rule.Severity,
			Title:    h.rule.Title,
			Message:  h.rule.Message,
			CWE:      h.rule.CWE,
			Location: finding.Location{Path: u.Path, StartLine: line, StartColumn: col, EndLine: endLine, EndColumn: endCol},
		}
		if h.rule.Secret {
			// The line holds a credential: fingerprint its hash, show nothing.
			f.Fingerprint = finding.Fingerprint(h.rule.ID, u.Path, redact.Hash(text))
		} else {
			f.Snippet = truncate(text, 200)
			f.Fingerprint = finding.Fingerprint(h.rule.ID, u.Path, text)
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return finding.Less(out[i], out[j]) })
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
