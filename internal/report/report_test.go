package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/redact"
	"github.com/wardenhq/warden/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const plantedSecret = "ghp_R3alLookingTokenValue0123456789abcdEF"

func fixture() *report.Report {
	findings := []finding.Finding{
		{
			RuleID: "secrets/github-pat", Engine: "secrets", Severity: finding.SeverityCritical,
			Title: "GitHub personal access token", Message: "Revoke the token and load it from the environment.",
			CWE:         "CWE-798",
			Location:    finding.Location{Path: "config/app.yaml", StartLine: 3, StartColumn: 10, EndLine: 3, EndColumn: 50},
			Snippet:     "token: " + redact.Mask(plantedSecret),
			Fingerprint: "0123456789abcdef0123456789abcdef",
			Commit: &finding.Commit{Hash: "9f1c2d3e4b5a69788796a5b4c3d2e1f009182736", Author: "Dev One", Email: "dev@example.com",
				Date: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)},
		},
		{
			RuleID: "acme/no-eval", Engine: "custom", Severity: finding.SeverityMedium,
			Title: "Do not evaluate strings as code", Message: "Do not evaluate strings as code\nParse the data instead.",
			CWE:         "CWE-95",
			Location:    finding.Location{Path: "web/app.js", StartLine: 12, StartColumn: 5, EndLine: 12, EndColumn: 10},
			Snippet:     "x = eval(input) \x1b[31m// weird\x1b[0m",
			Fingerprint: "fedcba9876543210fedcba9876543210",
			Metadata:    map[string]string{report.MetaSuppressionExpired: "baseline entry by alice expired 2026-01-31 (legacy)"},
		},
		{
			RuleID: "deps/missing-lockfile", Engine: "deps", Severity: finding.SeverityLow,
			Message:  "package.json has no lockfile: installs are not reproducible.",
			Location: finding.Location{Path: "web/app.js", StartLine: 40}, Fingerprint: "aaaa",
		},
		{
			RuleID: "config/x", Engine: "config", Severity: finding.SeverityInfo,
			Message: "Repository-level note.", Fingerprint: "bbbb",
		},
	}
	r := &report.Report{
		ToolVersion:  "v0.0.0-test",
		PolicySHA256: "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
		Mode:         "tree",
		Findings:     findings,
		Rules: []finding.Rule{
			{ID: "secrets/github-pat", Engine: "secrets", Title: "GitHub personal access token", Severity: finding.SeverityCritical,
				CWE: "CWE-798", Help: "A GitHub token in code gives anyone who reads it your access.\n\n**Fix:** revoke it, use a secret store.",
				HelpURI: "https://docs.github.com/en/authentication"},
			{ID: "acme/no-eval", Engine: "custom", Title: "Do not evaluate strings as code", Severity: finding.SeverityMedium, CWE: "CWE-95",
				Help: "Do not evaluate strings as code", Tags: []string{"custom"}},
		},
		Summary: report.Summary{
			Engines: []string{"secrets", "custom", "deps", "config"},
			Files:   42, Bytes: 123456, Excluded: 7,
			Skipped:    map[string]int{"binary": 3, "too_large": 1},
			Suppressed: 2,
		},
	}
	r.Summary.Tally(r.Findings, finding.SeverityHigh)
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got); run go test ./internal/report -update if the change is intended:\n%s", name, d)
	}
}

func render(t *testing.T, f report.Format, r *report.Report, opts report.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, f, r, opts); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(plantedSecret)) || bytes.Contains(buf.Bytes(), []byte(plantedSecret[4:20])) {
		t.Fatalf("%s output contains the planted secret", f)
	}
	if !bytes.Contains(buf.Bytes(), []byte(r.PolicySHA256[:12])) {
		t.Errorf("%s output does not carry the policy sha256", f)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	r := fixture()
	golden(t, "report.txt", render(t, report.FormatText, r, report.Options{}))
	golden(t, "report.color.txt", render(t, report.FormatText, r, report.Options{Color: true}))
	golden(t, "report.json", render(t, report.FormatJSON, r, report.Options{}))
	golden(t, "report.sarif", render(t, report.FormatSARIF, r, report.Options{}))

	empty := &report.Report{ToolVersion: "v0.0.0-test", PolicySHA256: r.PolicySHA256, Mode: "diff"}
	empty.Summary.Tally(nil, finding.SeverityHigh)
	golden(t, "empty.txt", render(t, report.FormatText, empty, report.Options{}))
	golden(t, "empty.json", render(t, report.FormatJSON, empty, report.Options{}))
	golden(t, "empty.sarif", render(t, report.FormatSARIF, empty, report.Options{}))
}

func TestTextHasNoColorUnlessAsked(t *testing.T) {
	out := render(t, report.FormatText, fixture(), report.Options{})
	// The only escape byte allowed is none: even the one planted in a
	// snippet is neutralized.
	if bytes.IndexByte(out, 0x1b) >= 0 {
		t.Errorf("plain text output contains an escape sequence:\n%s", out)
	}
	colored := render(t, report.FormatText, fixture(), report.Options{Color: true})
	if !bytes.Contains(colored, []byte("\x1b[")) {
		t.Error("colour requested but none emitted")
	}
}

func TestTally(t *testing.T) {
	r := fixture()
	s := r.Summary
	want := map[string]int{"critical": 1, "high": 0, "medium": 1, "low": 1, "info": 1}
	if d := cmp.Diff(want, s.BySeverity); d != "" {
		t.Errorf("by severity (-want +got):\n%s", d)
	}
	if s.Findings != 4 || s.Blocking != 1 || s.Passed || s.Expired != 1 || s.FailOn != "high" {
		t.Errorf("summary = %+v", s)
	}
	s.Tally(r.Findings, finding.SeverityCritical)
	if s.Blocking != 1 || s.Passed {
		t.Errorf("fail_on critical: %+v", s)
	}
	s.Tally(r.Findings[1:], finding.SeverityCritical)
	if s.Blocking != 0 || !s.Passed {
		t.Errorf("no critical: %+v", s)
	}
	s.Tally(r.Findings, finding.SeverityInfo)
	if s.Blocking != 4 {
		t.Errorf("fail_on info: %+v", s)
	}
}

func TestJSONSchemaKeys(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(render(t, report.FormatJSON, fixture(), report.Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "policy_sha256", "findings", "summary", "tool", "mode"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("top-level key %q missing", k)
		}
	}
	if doc["version"] != float64(report.SchemaVersion) {
		t.Errorf("version = %v", doc["version"])
	}
	f0 := doc["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"rule_id", "engine", "severity", "path", "start_line", "message", "fingerprint"} {
		if _, ok := f0[k]; !ok {
			t.Errorf("finding key %q missing", k)
		}
	}
	// The empty report still has an empty list, not null.
	empty := &report.Report{}
	var buf bytes.Buffer
	if err := report.JSON(&buf, empty); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"findings": []`) {
		t.Errorf("empty findings not rendered as []:\n%s", buf.String())
	}
}

func TestSARIFFields(t *testing.T) {
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string         `json:"id"`
						Help       map[string]any `json:"help"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID              string            `json:"ruleId"`
				RuleIndex           int               `json:"ruleIndex"`
				Level               string            `json:"level"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
			Properties map[string]any `json:"properties"`
		} `json:"runs"`
	}
	r := fixture()
	if err := json.Unmarshal(render(t, report.FormatSARIF, r, report.Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if run.Properties["policy_sha256"] != r.PolicySHA256 {
		t.Errorf("run properties policy_sha256 = %v", run.Properties["policy_sha256"])
	}
	rules := run.Tool.Driver.Rules
	for _, res := range run.Results {
		if res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s: ruleIndex %d does not point at its rule", res.RuleID, res.RuleIndex)
		}
		if res.PartialFingerprints[report.FingerprintKey] == "" {
			t.Errorf("result %s has no partial fingerprint", res.RuleID)
		}
	}
	if rules[0].Properties["security-severity"] != "9.5" || rules[0].Help["markdown"] == nil {
		t.Errorf("rule 0 = %+v", rules[0])
	}
	if len(rules) != 4 {
		t.Errorf("want a rule entry for each of the 4 rules, got %d", len(rules))
	}
	levels := map[string]string{}
	for _, res := range run.Results {
		levels[res.RuleID] = res.Level
	}
	if d := cmp.Diff(map[string]string{"secrets/github-pat": "error", "acme/no-eval": "warning", "deps/missing-lockfile": "note", "config/x": "note"}, levels); d != "" {
		t.Errorf("levels (-want +got):\n%s", d)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []string{"text", "json", "sarif"} {
		if _, err := report.ParseFormat(f); err != nil {
			t.Errorf("ParseFormat(%q): %v", f, err)
		}
	}
	if _, err := report.ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) succeeded")
	}
}
