package sast

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/scan"
)

func TestMinified(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  []byte
		want bool
	}{
		{"small long line", []byte(strings.Repeat("a", 10000)), false},
		{"bundle", []byte(strings.Repeat("var a=1;", 20000)), true},
		{"normal source", bytes.Repeat([]byte("const x = require('y');\n"), 5000), false},
	} {
		if got := Minified(tc.src); got != tc.want {
			t.Errorf("%s: Minified = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Scan skips a minified bundle; Check (what the agent guard calls) does not.
func TestScanSkipsMinifiedButCheckDoesNot(t *testing.T) {
	src := []byte("eval(location.hash.slice(1));" + strings.Repeat("var a=1;", 20000))
	e := New()
	var got []finding.Finding
	if err := e.Scan(context.Background(), scan.File{Path: "dist/app.min.js", Content: src}, func(f finding.Finding) { got = append(got, f) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("Scan reported %d findings in a minified bundle, want none", len(got))
	}
	fs, err := e.Check(context.Background(), "dist/app.min.js", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 || fs[0].RuleID != "js-code-injection" {
		t.Errorf("Check findings = %v, want js-code-injection", fs)
	}
}

func TestWants(t *testing.T) {
	e := New()
	got := map[string]bool{}
	for _, p := range []string{"a.go", "b.py", "c.js", "d.jsx", "e.mjs", "f.cjs", "g.ts", "h.tsx", "types.d.ts", "README.md", "x.json", "Makefile"} {
		got[p] = e.Wants(p)
	}
	want := map[string]bool{"a.go": true, "b.py": true, "c.js": true, "d.jsx": true, "e.mjs": true, "f.cjs": true, "g.ts": true, "h.tsx": true,
		"types.d.ts": false, "README.md": false, "x.json": false, "Makefile": false}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Wants (-want +got):\n%s", d)
	}
}

// A finding from a hard-coded-secret rule never carries the secret.
func TestSecretRulesRedact(t *testing.T) {
	const planted = "pl4nted-Secret-Value-9f8e7d"
	src := []byte("const jwt = require(\"jsonwebtoken\");\nexports.sign = (u) => jwt.sign({ id: u }, \"" + planted + "\");\n")
	fs, err := New().Check(context.Background(), "auth.js", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("no finding for a hard-coded JWT secret")
	}
	for _, f := range fs {
		for _, s := range []string{f.Snippet, f.Message, f.Title, f.Fingerprint} {
			if strings.Contains(s, planted) || strings.Contains(s, planted[:12]) {
				t.Errorf("finding %s leaks the secret", f.RuleID)
			}
		}
	}
}

// Findings are deterministic: same input, same output, sorted.
func TestDeterministic(t *testing.T) {
	cases := loadCases(t)
	e := New()
	for _, c := range cases[:40] {
		a, _ := e.Check(context.Background(), c.name, c.src)
		b, _ := e.Check(context.Background(), c.name, c.src)
		if d := cmp.Diff(a, b); d != "" {
			t.Fatalf("%s: two runs differ:\n%s", c.name, d)
		}
		for i := 1; i < len(a); i++ {
			if finding.Less(a[i], a[i-1]) {
				t.Fatalf("%s: findings not sorted", c.name)
			}
		}
	}
}

// Scan is called concurrently by the pipeline; run every case at once
// (under -race in the suite) and compare with sequential results.
func TestConcurrentScan(t *testing.T) {
	cases := loadCases(t)
	e := New()
	want := make([][]finding.Finding, len(cases))
	for i, c := range cases {
		want[i], _ = e.Check(context.Background(), c.name, c.src)
	}
	got := make([][]finding.Finding, len(cases))
	done := make(chan int)
	for i := range cases {
		go func(i int) {
			got[i], _ = e.Check(context.Background(), cases[i].name, cases[i].src)
			done <- i
		}(i)
	}
	for range cases {
		<-done
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("concurrent results differ:\n%s", d)
	}
}

// TestCancelledParseDoesNotLeak: parses cancelled at any moment leave no
// cancellation behind for the next file (arenas are reused).
func TestCancelledParseDoesNotLeak(t *testing.T) {
	src := genFile(".py", 600)
	for i := 0; i < 40; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		go cancel()
		New().Check(ctx, "a.py", src) // cancelled or not: either is fine
		fs, err := New().Check(context.Background(), "b.py", []byte("import pickle\nfrom flask import request\ndef f():\n    return pickle.loads(request.data)\n"))
		if err != nil || len(fs) != 1 {
			t.Fatalf("round %d: a parse after a cancelled one: %v, %d findings", i, err, len(fs))
		}
	}
}
