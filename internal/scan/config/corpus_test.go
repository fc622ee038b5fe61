package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/scan"
)

// corpusCase is one labelled case from testdata/corpus/<format>/*.txtar.
// Its comment holds the labels:
//
//	want RULE PATH:LINE   the rule must report at that line
//	negative RULE         the case is a near miss: RULE must not fire
//
// Every other finding in the case counts as a false positive.
type corpusCase struct {
	name      string
	format    string
	files     []txtar.File
	wants     map[hit]bool
	negatives []string
}

type hit struct {
	rule, path string
	line       int
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "corpus", "*", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := corpusCase{
			name:   filepath.ToSlash(strings.TrimPrefix(p, filepath.Join("testdata", "corpus")+string(filepath.Separator))),
			format: filepath.Base(filepath.Dir(p)),
			files:  a.Files,
			wants:  map[hit]bool{},
		}
		for _, l := range strings.Split(string(a.Comment), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) == 3 && f[0] == "want":
				path, ln, ok := strings.Cut(f[2], ":")
				n, err := strconv.Atoi(ln)
				if !ok || err != nil {
					t.Fatalf("%s: bad want line %q", p, l)
				}
				if _, known := ruleIndex[f[1]]; !known {
					t.Fatalf("%s: unknown rule %q", p, f[1])
				}
				c.wants[hit{f[1], path, n}] = true
			case len(f) == 2 && f[0] == "negative":
				if _, known := ruleIndex[f[1]]; !known {
					t.Fatalf("%s: unknown rule %q", p, f[1])
				}
				c.negatives = append(c.negatives, f[1])
			case len(f) > 0 && (f[0] == "want" || f[0] == "negative"):
				t.Fatalf("%s: malformed label %q", p, l)
			}
		}
		if len(c.files) == 0 {
			t.Fatalf("%s: no files", p)
		}
		cases = append(cases, c)
	}
	return cases
}

// scanCase runs the engine over every file of a case the way the pipeline
// would: only files the engine wants.
func scanCase(t testing.TB, e *Engine, c corpusCase) []finding.Finding {
	t.Helper()
	var out []finding.Finding
	for _, f := range c.files {
		if !e.Wants(f.Name) {
			continue
		}
		err := e.Scan(context.Background(), scan.File{Path: f.Name, Content: f.Data}, func(fd finding.Finding) { out = append(out, fd) })
		if err != nil {
			t.Fatalf("%s: %s: %v", c.name, f.Name, err)
		}
	}
	return out
}

// TestRuleSamples runs every rule's positive and negative samples: each
// rule must fire where a case wants it and stay silent in a case that
// names it as a near miss.
func TestRuleSamples(t *testing.T) {
	e := New()
	cases := loadCorpus(t)
	positive := map[string]int{}
	negative := map[string]int{}
	for _, c := range cases {
		got := map[hit]bool{}
		fired := map[string]bool{}
		for _, f := range scanCase(t, e, c) {
			got[hit{f.RuleID, f.Path, f.StartLine}] = true
			fired[f.RuleID] = true
		}
		for w := range c.wants {
			if got[w] {
				positive[w.rule]++
			}
		}
		for _, r := range c.negatives {
			if fired[r] {
				t.Errorf("%s: negative sample for %s, but it fired", c.name, r)
			} else {
				negative[r]++
			}
		}
	}
	for _, r := range ruleTable {
		if r.id == ruleUnparsable {
			continue
		}
		if positive[r.id] == 0 {
			t.Errorf("rule %s has no passing positive sample in testdata/corpus", r.id)
		}
		if negative[r.id] == 0 {
			t.Errorf("rule %s has no passing negative sample in testdata/corpus", r.id)
		}
	}
}

type counts struct{ tp, fp, fn int }

func (c counts) precision() float64 {
	if c.tp+c.fp == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}

func (c counts) recall() float64 {
	if c.tp+c.fn == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fn)
}

// TestCorpusAccuracy measures precision and recall over the labelled
// corpus, per rule and per format, and fails below the targets
// (recall 80%, precision 90%) for any format, overall, or any rule with at
// least three labelled findings. Run with -v to
// see the table recorded in docs/ACCURACY.md.
func TestCorpusAccuracy(t *testing.T) {
	const minCases = 100
	e := New()
	cases := loadCorpus(t)
	if len(cases) < minCases {
		t.Errorf("corpus has %d cases, want at least %d", len(cases), minCases)
	}
	perRule := map[string]*counts{}
	perFormat := map[string]*counts{}
	var total counts
	add := func(rule, format string, tp, fp, fn int) {
		rc := perRule[rule]
		if rc == nil {
			rc = &counts{}
			perRule[rule] = rc
		}
		fc := perFormat[format]
		if fc == nil {
			fc = &counts{}
			perFormat[format] = fc
		}
		for _, c := range []*counts{rc, fc, &total} {
			c.tp += tp
			c.fp += fp
			c.fn += fn
		}
	}
	positives, negatives := 0, 0
	for _, c := range cases {
		if len(c.wants) > 0 {
			positives++
		} else {
			negatives++
		}
		got := map[hit]bool{}
		for _, f := range scanCase(t, e, c) {
			got[hit{f.RuleID, f.Path, f.StartLine}] = true
		}
		for h := range got {
			if c.wants[h] {
				add(h.rule, c.format, 1, 0, 0)
			} else {
				add(h.rule, c.format, 0, 1, 0)
				t.Logf("false positive: %s: %s at %s:%d", c.name, h.rule, h.path, h.line)
			}
		}
		for w := range c.wants {
			if !got[w] {
				add(w.rule, c.format, 0, 0, 1)
				t.Logf("false negative: %s: %s at %s:%d", c.name, w.rule, w.path, w.line)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "corpus: %d cases (%d with findings, %d clean)\n\n", len(cases), positives, negatives)
	fmt.Fprintf(&b, "| format | TP | FP | FN | precision | recall |\n|---|---:|---:|---:|---:|---:|\n")
	for _, k := range sortedKeys(perFormat) {
		c := perFormat[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.1f%% | %.1f%% |\n", k, c.tp, c.fp, c.fn, 100*c.precision(), 100*c.recall())
	}
	fmt.Fprintf(&b, "| **all** | %d | %d | %d | %.1f%% | %.1f%% |\n\n", total.tp, total.fp, total.fn, 100*total.precision(), 100*total.recall())
	fmt.Fprintf(&b, "| rule | TP | FP | FN | precision | recall |\n|---|---:|---:|---:|---:|---:|\n")
	for _, k := range sortedKeys(perRule) {
		c := perRule[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.1f%% | %.1f%% |\n", k, c.tp, c.fp, c.fn, 100*c.precision(), 100*c.recall())
	}
	t.Log("\n" + b.String())
	if os.Getenv("WARDEN_ACCURACY_OUT") != "" {
		if err := os.WriteFile(os.Getenv("WARDEN_ACCURACY_OUT"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, c counts) {
		if c.recall() < 0.80 {
			t.Errorf("%s recall %.1f%% is below 80%%", what, 100*c.recall())
		}
		if c.precision() < 0.90 {
			t.Errorf("%s precision %.1f%% is below 90%%", what, 100*c.precision())
		}
	}
	check("overall", total)
	for _, k := range sortedKeys(perFormat) {
		check("format "+k, *perFormat[k])
	}
	// Per rule, once a rule has enough labelled findings for a ratio to
	// mean something.
	for _, k := range sortedKeys(perRule) {
		c := *perRule[k]
		if c.tp+c.fn >= 3 && c.recall() < 0.80 {
			t.Errorf("rule %s recall %.1f%% is below 80%%", k, 100*c.recall())
		}
		if c.tp+c.fp >= 3 && c.precision() < 0.90 {
			t.Errorf("rule %s precision %.1f%% is below 90%%", k, 100*c.precision())
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
