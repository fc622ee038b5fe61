package sast

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite golden files")

// A labelled case is one file inside a txtar archive under testdata/rules
// (one archive per rule, holding its positive and negative samples) or
// testdata/corpus (whole CRUD-style files). A finding is expected exactly on
// lines carrying a `want: rule-id[,rule-id]` comment; any other finding is a
// false positive.
type labelledCase struct {
	archive string
	name    string
	lang    Lang
	src     []byte
	want    map[ruleLine]bool
}

type ruleLine struct {
	rule string
	line int
}

var wantRe = regexp.MustCompile(`(?://|#|/\*|\{/\*)\s*want:\s*([a-z0-9,\- ]+)`)

func loadCases(t testing.TB) []labelledCase {
	t.Helper()
	var out []labelledCase
	for _, dir := range []string{"testdata/rules", "testdata/corpus"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			ar, err := txtar.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ar.Files {
				l, ok := LangOf(m.Name)
				if !ok {
					t.Fatalf("%s: member %s: unknown language", f, m.Name)
				}
				c := labelledCase{archive: f, name: m.Name, lang: l, src: m.Data, want: map[ruleLine]bool{}}
				for i, line := range strings.Split(string(m.Data), "\n") {
					if mm := wantRe.FindStringSubmatch(line); mm != nil {
						for _, id := range strings.Split(mm[1], ",") {
							if id = strings.TrimSpace(id); id != "" {
								c.want[ruleLine{id, i + 1}] = true
							}
						}
					}
				}
				out = append(out, c)
			}
		}
	}
	return out
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

func TestCorpusAccuracy(t *testing.T) {
	cases := loadCases(t)
	e := New()
	known := map[string]*Rule{}
	for _, r := range e.rules {
		known[r.ID] = r
	}
	perRule := map[string]*counts{}
	perLang := map[Lang]*counts{}
	total := &counts{}
	get := func(m map[string]*counts, k string) *counts {
		if m[k] == nil {
			m[k] = &counts{}
		}
		return m[k]
	}
	var problems []string
	for _, c := range cases {
		for rl := range c.want {
			if known[rl.rule] == nil {
				t.Errorf("%s/%s:%d: want names unknown rule %q", c.archive, c.name, rl.line, rl.rule)
			}
		}
		fs, err := e.Check(context.Background(), c.name, c.src)
		if err != nil {
			t.Fatalf("%s/%s: %v", c.archive, c.name, err)
		}
		got := map[ruleLine]bool{}
		for _, f := range fs {
			got[ruleLine{f.RuleID, f.StartLine}] = true
		}
		if perLang[c.lang] == nil {
			perLang[c.lang] = &counts{}
		}
		lc := perLang[c.lang]
		for rl := range got {
			rc := get(perRule, rl.rule)
			if c.want[rl] {
				rc.tp++
				lc.tp++
				total.tp++
			} else {
				rc.fp++
				lc.fp++
				total.fp++
				problems = append(problems, fmt.Sprintf("false positive %s at %s/%s:%d", rl.rule, c.archive, c.name, rl.line))
			}
		}
		for rl := range c.want {
			if !got[rl] {
				rc := get(perRule, rl.rule)
				rc.fn++
				lc.fn++
				total.fn++
				problems = append(problems, fmt.Sprintf("missed %s at %s/%s:%d", rl.rule, c.archive, c.name, rl.line))
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Log(p)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "cases: %d, rules: %d\n\n", len(cases), len(e.rules))
	fmt.Fprintf(&b, "| language | cases | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|---|\n")
	langCases := map[Lang]int{}
	for _, c := range cases {
		langCases[c.lang]++
	}
	for _, l := range []Lang{LangGo, LangPython, LangJavaScript, LangTypeScript} {
		c := perLang[l]
		if c == nil {
			c = &counts{}
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %.1f%% | %.1f%% |\n", l, langCases[l], c.tp, c.fp, c.fn, 100*c.precision(), 100*c.recall())
		if c.recall() < 0.80 || c.precision() < 0.90 {
			t.Errorf("%s: precision %.1f%%, recall %.1f%%: below the 90%%/80%% targets", l, 100*c.precision(), 100*c.recall())
		}
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d | %.1f%% | %.1f%% |\n\n", len(cases), total.tp, total.fp, total.fn, 100*total.precision(), 100*total.recall())
	if total.recall() < 0.80 || total.precision() < 0.90 {
		t.Errorf("overall precision %.1f%%, recall %.1f%%: below the 90%%/80%% targets", 100*total.precision(), 100*total.recall())
	}
	fmt.Fprintf(&b, "| rule | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|\n")
	ids := make([]string, 0, len(known))
	for id := range known {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := perRule[id]
		if c == nil {
			c = &counts{}
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.0f%% | %.0f%% |\n", id, c.tp, c.fp, c.fn, 100*c.precision(), 100*c.recall())
	}
	golden := filepath.Join("testdata", "accuracy.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCorpusAccuracy -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("accuracy table changed; review and run with -update:\n%s", b.String())
	}
}

// Every rule carries evidence: an archive testdata/rules/<id>.txtar with at
// least one sample that must produce it and one that must not.
func TestEveryRuleHasSamples(t *testing.T) {
	cases := loadCases(t)
	byArchive := map[string][]labelledCase{}
	for _, c := range cases {
		byArchive[c.archive] = append(byArchive[c.archive], c)
	}
	e := New()
	for _, r := range e.rules {
		cs := byArchive[filepath.Join("testdata", "rules", r.ID+".txtar")]
		pos, neg := 0, 0
		for _, c := range cs {
			has := false
			for rl := range c.want {
				if rl.rule == r.ID {
					has = true
				}
			}
			if has {
				pos++
			} else {
				neg++
			}
			if !c.lang.in(r.Langs) {
				t.Errorf("%s: sample %s is %s, rule is for %v", r.ID, c.name, c.lang, r.Langs)
			}
		}
		if pos == 0 || neg == 0 {
			t.Errorf("rule %s: %d positive and %d negative samples in testdata/rules/%s.txtar; want at least one of each", r.ID, pos, neg, r.ID)
		}
	}
}

func (l Lang) in(ls []Lang) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}

func TestRuleMetadata(t *testing.T) {
	seen := map[string]bool{}
	idRe := regexp.MustCompile(`^(go|py|js)-[a-z0-9-]+$`)
	for _, r := range AllRules() {
		if !idRe.MatchString(r.ID) {
			t.Errorf("rule id %q: want <go|py|js>-kebab-case", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || len(r.Message) < 40 || !r.Severity.Valid() || !strings.HasPrefix(r.CWE, "CWE-") || len(r.Langs) == 0 {
			t.Errorf("rule %s: incomplete metadata (title, message with a fix, severity, CWE, languages)", r.ID)
		}
		if len(r.Calls)+len(r.Assigns)+len(r.Objects) == 0 && r.Compare == nil && r.Return == nil && r.Class == nil && r.Func == nil && r.File == nil {
			t.Errorf("rule %s has no matcher", r.ID)
		}
	}
	if len(seen) < 85 {
		t.Errorf("%d rules; the engine must ship at least 85", len(seen))
	}
}
