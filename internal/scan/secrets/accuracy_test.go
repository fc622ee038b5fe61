package secrets_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/scan/secrets"
	"github.com/wardenhq/warden/internal/scan/secrets/corpus"
)

var accuracyReport = flag.Bool("accuracy-report", false, "print the accuracy table and every miss and false positive")

// TestAccuracy scans the labelled corpus and fails when recall or
// precision of any detector family drops below 95%.
func TestAccuracy(t *testing.T) {
	c, err := corpus.Generate(corpus.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Secrets) < 500 || len(c.Negatives) < 500 {
		t.Fatalf("corpus has %d secrets and %d negatives; want at least 500 of each", len(c.Secrets), len(c.Negatives))
	}
	exts := map[string]bool{}
	for _, f := range c.Files {
		ext := filepath.Ext(f.Path)
		if ext == "" {
			ext = filepath.Base(f.Path)
		}
		exts[ext] = true
	}
	for _, want := range []string{".go", ".py", ".ts", ".java", ".yaml", ".json", ".env", "Dockerfile", ".sh", ".md"} {
		if !exts[want] {
			t.Errorf("corpus has no %s file", want)
		}
	}
	e := newEngine(t, secrets.Options{})
	var hits []corpus.Hit
	for _, f := range c.Files {
		for _, fd := range e.Findings(f.Path, f.Content) {
			hits = append(hits, corpus.Hit{Path: f.Path, StartLine: fd.StartLine, EndLine: fd.EndLine, RuleID: fd.RuleID, Family: fd.Metadata["family"]})
		}
	}
	s := c.Score(hits)
	if *accuracyReport {
		var b strings.Builder
		corpus.WriteTable(&b, []string{"warden"}, []*corpus.Score{s})
		t.Logf("%d secrets, %d negatives, %d files\n%s", len(c.Secrets), len(c.Negatives), len(c.Files), b.String())
		for _, m := range s.Missed {
			t.Logf("missed %s (%s) at %s:%d", m.Detector, m.Family, m.Path, m.StartLine)
		}
		for _, fp := range s.FalsePositives {
			t.Logf("false positive %s at %s:%d", fp.RuleID, fp.Path, fp.StartLine)
		}
		t.Logf("false positives by negative kind: %v; duplicates %d", s.FPKinds, s.Duplicates)
	}
	for _, name := range s.FamilyNames() {
		f := s.Families[name]
		if f.Recall() < 0.95 || f.Precision() < 0.95 {
			t.Errorf("family %s: recall %.1f%% (%d/%d), precision %.1f%% (%d false positives); want both >= 95%% (run with -accuracy-report for details)",
				name, 100*f.Recall(), f.Found, f.Labels, 100*f.Precision(), f.FP)
		}
	}
	if s.Total.Recall() < 0.95 || s.Total.Precision() < 0.95 {
		t.Errorf("overall: recall %.1f%%, precision %.1f%%", 100*s.Total.Recall(), 100*s.Total.Precision())
	}
	_ = os.Stdout
}
