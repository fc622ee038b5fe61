package deps

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/scan/deps/internal/popidx"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		eco, name string
		intended  string // "" = not a suspect
		kind      string
	}{
		{"npm", "lodash", "", ""},
		{"npm", "lodahs", "lodash", "edit distance 1"},
		{"npm", "expresss", "express", "edit distance 1"},
		{"npm", "jquery.js", "jquery", "affix"},
		{"npm", "nodesass", "node-sass", "separators"},
		{"npm", "1odash", "lodash", "homoglyph"},
		{"npm", "rnongoose", "mongoose", "homoglyph"},
		{"npm", "nodemailer-js", "nodemailer", "affix"},
		{"npm", "@typess/node", "@types/node", "scope"},
		{"npm", "Lodash", "", ""}, // npm lower-cases: the same name
		{"npm", "my-company-internal-thing", "", ""},
		{"npm", "ab", "", ""}, // too short for edit distance
		{"PyPI", "reqeusts", "requests", "edit distance 1"},
		{"PyPI", "Requests", "", ""},
		{"PyPI", "python_dateutil", "", ""}, // PEP 503: the same package
		{"PyPI", "urlib3", "urllib3", "edit distance 1"},
		{"Go", "github.com/sirupsen/logrus", "", ""},
		{"Go", "github.com/Sirupsen/logrus", "", ""},            // case: the same module
		{"Go", "github.com/sirupsen/logrus/hooks/test", "", ""}, // a package of a known module
		{"Go", "github.com/cespare/xxhash/v2", "", ""},          // any major version
		{"Go", "github.com/azure/azure-sdk-for-go", "", ""},     // the repository of a known module
		{"Go", "github.com/gin-gonic/gin", "", ""},              // unknown, and like nothing known
		{"Go", "github.com/sirupsen/logruss", "github.com/sirupsen/logrus", "edit distance 1"},
		{"Go", "github.com/sirupsen/logruss/hooks", "github.com/sirupsen/logrus", "edit distance 1"},
		{"Go", "github.com/siruspen/logrus", "github.com/sirupsen/logrus", "owner"},
		{"Go", "github.com/spf13-go/pflag", "github.com/spf13/pflag", "owner"},
		{"Go", "github.com/sirupsen/go-logrus", "github.com/sirupsen/logrus", "affix"},
		{"Go", "golang.org/x/crypt0", "golang.org/x/crypto", "homoglyph"},
	}
	for _, tt := range tests {
		s, ok := CheckName(tt.eco, tt.name)
		if ok != (tt.intended != "") || s.Intended != tt.intended || (tt.kind != "" && s.Kind != tt.kind) {
			t.Errorf("CheckName(%s, %s) = %+v, %v; want intended %q (%s)", tt.eco, tt.name, s, ok, tt.intended, tt.kind)
		}
	}
	if PopularDate() != "2026-11-23" {
		t.Errorf("PopularDate = %q", PopularDate())
	}
}

func readTSV(t testing.TB, file string) [][]string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// TestTyposquatAccuracy measures the check on labelled corpora: known
// look-alikes (testdata/typosquat/squats.tsv, each with the package it
// imitates) and legitimate but less popular packages that are not in the
// embedded lists (legit.tsv). Figures go to docs/ACCURACY.md.
func TestTyposquatAccuracy(t *testing.T) {
	squats := readTSV(t, "testdata/typosquat/squats.tsv")
	legit := readTSV(t, "testdata/typosquat/legit.tsv")
	tp, fn, wrongTarget, fp := 0, 0, 0, 0
	var misses, falseAlarms []string
	type counts struct{ squats, flagged, legit, falseAlarms int }
	per := map[string]*counts{}
	at := func(eco string) *counts {
		if per[eco] == nil {
			per[eco] = &counts{}
		}
		return per[eco]
	}
	for _, r := range squats {
		s, ok := CheckName(r[0], r[1])
		at(r[0]).squats++
		if ok {
			at(r[0]).flagged++
		}
		switch {
		case !ok:
			fn++
			misses = append(misses, r[0]+"/"+r[1])
		case s.Intended != normalizeForSquat(r[0], r[2]):
			tp++
			wrongTarget++
			misses = append(misses, fmt.Sprintf("%s/%s->%s (want %s)", r[0], r[1], s.Intended, r[2]))
		default:
			tp++
		}
	}
	for _, r := range legit {
		at(r[0]).legit++
		if s, ok := CheckName(r[0], r[1]); ok {
			at(r[0]).falseAlarms++
			fp++
			falseAlarms = append(falseAlarms, fmt.Sprintf("%s/%s~%s(%s)", r[0], r[1], s.Intended, s.Kind))
		}
	}
	recall := float64(tp) / float64(tp+fn)
	fpRate := float64(fp) / float64(len(legit))
	targetRight := float64(tp-wrongTarget) / float64(tp)
	t.Logf("look-alikes: %d, flagged %d (recall %.3f), intended package named correctly %.3f", len(squats), tp, recall, targetRight)
	t.Logf("legitimate: %d, flagged %d (false-positive rate %.4f)", len(legit), fp, fpRate)
	t.Logf("missed or mis-targeted: %v", misses)
	t.Logf("false alarms: %v", falseAlarms)
	for _, eco := range []string{"npm", "PyPI", "Go"} {
		c := at(eco)
		t.Logf("%s: look-alikes %d, flagged %d; legitimate %d, flagged %d", eco, c.squats, c.flagged, c.legit, c.falseAlarms)
		if c.squats == 0 || c.legit == 0 {
			t.Errorf("%s: no labelled samples", eco)
		}
	}
	if recall < 0.90 {
		t.Errorf("recall %.3f below target 0.90", recall)
	}
	if targetRight < 0.90 {
		t.Errorf("intended package right in %.3f of hits, below 0.90", targetRight)
	}
	if fpRate > 0.06 {
		t.Errorf("false-positive rate %.4f above target 0.06", fpRate)
	}
}

func BenchmarkCheckName(b *testing.B) {
	popularFor("npm")
	popularFor("PyPI")
	popularFor("Go")
	names := []string{"lodahs", "express", "my-internal-package-name", "@typess/node", "reqeusts", "github.com/sirupsen/logruss"}
	ecos := []string{"npm", "npm", "npm", "npm", "PyPI", "Go"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		CheckName(ecos[i%len(names)], names[i%len(names)])
	}
}

// TestEmbeddedIndexes: every embedded popularity index opens, carries the
// lists' date, and finds each of its names at its rank.
func TestEmbeddedIndexes(t *testing.T) {
	for eco := range popularIndexes {
		ix := popularFor(eco)
		if ix.Date() != PopularDate() || ix.Targets() == 0 || ix.Targets() > ix.Len() {
			t.Errorf("%s: date %q (want %q), %d targets of %d names", eco, ix.Date(), PopularDate(), ix.Targets(), ix.Len())
		}
		for i := 0; i < ix.Len(); i += 97 {
			if n := ix.Name(i); ix.Find(n) != i || !IsPopular(eco, n) {
				t.Errorf("%s: %q at rank %d, Find says %d", eco, n, i, ix.Find(n))
			}
		}
	}
}

// forEachEdit calls f with every string one edit away from s: one byte
// deleted, inserted or substituted (from nameAlphabet), or two adjacent
// bytes swapped. It is the definition oneEdit is checked against.
func forEachEdit(s string, f func(v string)) {
	for i := 0; i < len(s); i++ {
		f(s[:i] + s[i+1:])
		if i+1 < len(s) && s[i] != s[i+1] {
			f(s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:])
		}
		for j := 0; j < len(nameAlphabet); j++ {
			if c := nameAlphabet[j]; c != s[i] {
				f(s[:i] + string(c) + s[i+1:])
			}
		}
	}
	for i := 0; i <= len(s); i++ {
		for j := 0; j < len(nameAlphabet); j++ {
			f(s[:i] + string(nameAlphabet[j]) + s[i:])
		}
	}
}

// TestOneEdit: oneEdit(s, t) holds exactly for the t forEachEdit makes
// from s, over names with repeats, separators and scopes.
func TestOneEdit(t *testing.T) {
	for _, s := range []string{"lodash", "aab", "mongoose", "@types/node", "a-b.c", "ab", "x"} {
		edits := map[string]bool{}
		forEachEdit(s, func(v string) {
			if v != s {
				edits[v] = true
			}
		})
		for v := range edits {
			if !oneEdit(s, v) {
				t.Errorf("oneEdit(%q, %q) = false, want true", s, v)
			}
		}
		// Strings near s that are not one edit away.
		others := []string{s, s + "@", "@" + s, s + "xy", "", strings.ToUpper(s)}
		forEachEdit(s, func(v string) { forEachEdit(v, func(w string) { others = append(others, w) }) })
		for _, w := range others {
			if got := oneEdit(s, w); got != edits[w] {
				t.Errorf("oneEdit(%q, %q) = %v, want %v", s, w, got, edits[w])
			}
		}
	}
}

// BenchmarkOpenPopular: what the first check of a process pays to open the
// largest embedded index (npm: a header read and a bounds check of every
// name offset).
func BenchmarkOpenPopular(b *testing.B) {
	for b.Loop() {
		if _, err := popidx.Open(popularNPM); err != nil {
			b.Fatal(err)
		}
	}
}
