package custom_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/scan/custom"
)

var rules = []policy.PatternRule{
	{
		ID: "acme/plain-http-api", Regex: `http://api\.internal\.example\.com`, Severity: finding.SeverityHigh,
		Message: "Call the internal API over https://", CWE: "CWE-319", Paths: []string{"*.go"},
	},
	{
		ID: "acme/no-eval", Regex: `\beval\(`, Severity: finding.SeverityMedium,
		Message: "Do not evaluate strings as code; parse the data instead.", CWE: "CWE-95", Paths: []string{"**/*.js", "*.ts"},
	},
}

type hit struct {
	Rule                       string
	Line, Col, EndLine, EndCol int
	Snippet                    string
}

func scanFile(t *testing.T, e *custom.Engine, path string, content []byte) []hit {
	t.Helper()
	var out []hit
	err := e.Scan(context.Background(), scan.File{Path: path, Content: content}, func(f finding.Finding) {
		if f.Engine != "custom" || f.Fingerprint == "" || f.Message == "" || !f.Severity.Valid() {
			t.Errorf("incomplete finding %+v", f)
		}
		out = append(out, hit{f.RuleID, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, f.Snippet})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSamples(t *testing.T) {
	e, err := custom.New(rules)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want []hit
	}{
		{"positive.go", []hit{{"acme/plain-http-api", 6, 12, 6, 43, `http.Get("http://api.internal.example.com/v1/users")`}}},
		{"negative.go", nil},
		{"positive.js", []hit{{"acme/no-eval", 1, 11, 1, 16, `const x = eval(userInput);`}}},
		{"negative.js", nil},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", "samples", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		got := scanFile(t, e, "src/"+tt.file, data)
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, d)
		}
	}
}

func TestPathsAndWants(t *testing.T) {
	e, err := custom.New(rules)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{"main.go": true, "a/b/c.go": true, "x.js": true, "web/x.js": true, "web/x.ts": true, "README.md": false} {
		if got := e.Wants(p); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
	// The Go rule does not fire in a JS file.
	if got := scanFile(t, e, "x.js", []byte(`fetch("http://api.internal.example.com")`)); len(got) != 0 {
		t.Errorf("rule applied outside its paths: %v", got)
	}
	all, err := custom.New([]policy.PatternRule{{ID: "x", Regex: "TODO"}})
	if err != nil {
		t.Fatal(err)
	}
	if !all.Wants("any/file.txt") {
		t.Error("a rule without paths must apply to every file")
	}
	if r := all.Rules(); len(r) != 1 || r[0].Severity != finding.SeverityMedium || r[0].Engine != "custom" {
		t.Errorf("default rule = %+v", r)
	}
}

func TestFingerprintStableWhenLinesMove(t *testing.T) {
	e, _ := custom.New(rules)
	fp := func(content string) string {
		var got string
		_ = e.Scan(context.Background(), scan.File{Path: "a.js", Content: []byte(content)}, func(f finding.Finding) { got = f.Fingerprint })
		return got
	}
	a := fp("x = eval(s)\n")
	b := fp("// new\n\n\nx  =  eval(s)\n")
	if a == "" || a != b {
		t.Errorf("fingerprint changed when the line moved: %q vs %q", a, b)
	}
	if c := fp("x = eval(t)\n"); c == a {
		t.Error("different code has the same fingerprint")
	}
}

func TestMultiLineAndCRLF(t *testing.T) {
	e, err := custom.New([]policy.PatternRule{{ID: "x", Regex: `(?s)BEGIN.*?END`, Severity: finding.SeverityLow}})
	if err != nil {
		t.Fatal(err)
	}
	got := scanFile(t, e, "f", []byte("a\r\nxx BEGIN\r\nmid\r\nEND\r\n"))
	want := []hit{{"x", 2, 4, 4, 4, "xx BEGIN"}} // end columns are exclusive, as in SARIF
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestNewRejectsBadRules(t *testing.T) {
	tests := []struct {
		rule policy.PatternRule
		want string
	}{
		{policy.PatternRule{Regex: "x"}, "rules.patterns[0]: id is required"},
		{policy.PatternRule{ID: "a", Regex: "("}, "rules.patterns[0] (a): invalid regex"},
		{policy.PatternRule{ID: "a"}, "regex is required"},
		{policy.PatternRule{ID: "a", Regex: "x*"}, "matches the empty string"},
		{policy.PatternRule{ID: "a", Regex: "x", Paths: []string{"[bad"}}, "invalid path glob"},
		{policy.PatternRule{ID: "a", Regex: "x", Severity: 9}, "invalid severity"},
	}
	for _, tt := range tests {
		_, err := custom.New([]policy.PatternRule{tt.rule})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want error containing %q", tt.rule, err, tt.want)
		}
	}
	_, err := custom.New([]policy.PatternRule{{ID: "a", Regex: "x"}, {ID: "a", Regex: "y"}})
	if err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate id: err = %v", err)
	}
}

func FuzzScan(f *testing.F) {
	f.Add(`\beval\(`, []byte("eval(x)\n"))
	f.Add(`(?m)^$x`, []byte("\n\n"))
	f.Fuzz(func(t *testing.T, re string, content []byte) {
		e, err := custom.New([]policy.PatternRule{{ID: "f", Regex: re}})
		if err != nil {
			return
		}
		_ = e.Scan(context.Background(), scan.File{Path: "f", Content: content}, func(fd finding.Finding) {
			if fd.StartLine < 1 || fd.EndLine < fd.StartLine || fd.StartColumn < 1 {
				t.Errorf("bad location %+v for %q in %q", fd.Location, re, content)
			}
		})
	})
}
