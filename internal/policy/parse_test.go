package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/finding"
)

// wantErr is what a test expects of one *Error: position, key and a part
// of the message.
type wantErr struct {
	Line, Column int
	Key          string
	Msg          string // substring
}

func errorsOf(t *testing.T, err error) []*Error {
	t.Helper()
	var out []*Error
	var list Errors
	switch {
	case err == nil:
		return nil
	case errors.As(err, &list):
		for _, e := range list {
			var pe *Error
			if !errors.As(e, &pe) {
				t.Fatalf("error %v is not a *Error", e)
			}
			out = append(out, pe)
		}
	default:
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("error %v (%T) is not a *Error", err, err)
		}
		out = append(out, pe)
	}
	return out
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []wantErr
	}{
		{"empty file", "", []wantErr{{0, 0, "", "empty policy"}}},
		{"missing version", "gates:\n  fail_on: high\n", []wantErr{{1, 1, "version", "missing"}}},
		{"version 2", "version: 2\n", []wantErr{{1, 10, "version", "unsupported version 2"}}},
		{"version string", "version: one\n", []wantErr{{1, 10, "version", "want a whole number"}}},
		{"not a mapping", "- a\n- b\n", []wantErr{{1, 1, "", "want a mapping"}}},
		{"syntax error", "version: 1\ngates: [\n", []wantErr{{2, 1, "", "invalid YAML"}}},
		{"two documents", "version: 1\n---\nversion: 1\n", []wantErr{{2, 1, "", "one YAML document"}}},
		{"unknown top key", "version: 1\ngate:\n  fail_on: high\n", []wantErr{{2, 1, "gate", `did you mean "gates"?`}}},
		{"unknown nested key", "version: 1\ngates:\n  fial_on: high\n", []wantErr{{3, 3, "gates.fial_on", `did you mean "fail_on"?`}}},
		{"unknown far key lists valid", "version: 1\naudit:\n  zzzzzzzz: 1\n", []wantErr{{3, 3, "audit.zzzzzzzz", "valid: path, retention"}}},
		{"duplicate key", "version: 1\ngates:\n  fail_on: high\n  fail_on: low\n", []wantErr{{4, 3, "gates.fail_on", "duplicate key (first at line 3)"}}},
		{"duplicate map key", "version: 1\nmodels:\n  allow:\n    public: []\n    public: []\n", []wantErr{{5, 5, "models.allow.public", "duplicate key"}}},
		{"empty scalar", "version: 1\ngates:\n  fail_on:\n  exclude:\n", []wantErr{{3, 11, "gates.fail_on", "no value"}}},
		{"bad severity", "version: 1\ngates:\n  fail_on: hihg\n", []wantErr{{3, 12, "gates.fail_on", `unknown severity "hihg"`}}},
		{"severity as list", "version: 1\ngates:\n  fail_on: [high]\n", []wantErr{{3, 12, "gates.fail_on", "want a severity"}}},
		{"wrong type string", "version: 1\nproject:\n  name: 42\n", []wantErr{{3, 9, "project.name", `want a string, got the number 42 (quote it: "42")`}}},
		{"wrong type bool", "version: 1\nagent:\n  scan_on_stop: yes\n", []wantErr{{3, 17, "agent.scan_on_stop", "want true or false"}}},
		{"wrong type list", "version: 1\ngates:\n  engines: secrets\n", []wantErr{{3, 12, "gates.engines", "want a list"}}},
		{"wrong type mapping", "version: 1\ngates: high\n", []wantErr{{2, 8, "gates", "want a mapping"}}},
		{"negative number", "version: 1\naudit:\n  checkpoint_every: -1\n", []wantErr{{3, 21, "audit.checkpoint_every", "at least 0"}}},
		{"bad engine", "version: 1\ngates:\n  engines: [secrets, sat]\n", []wantErr{{3, 22, "gates.engines[1]", `unknown engine "sat"`}}},
		{"bad glob", "version: 1\ngates:\n  exclude: ['a/[b']\n", []wantErr{{3, 13, "gates.exclude[0]", "bad glob"}}},
		{"empty glob", "version: 1\nagent:\n  files:\n    read_deny: ['']\n", []wantErr{{4, 17, "agent.files.read_deny[0]", "bad glob"}}},
		{"bad regex", "version: 1\nrules:\n  patterns:\n    - {id: r1, regex: '((', severity: high, message: m}\n", []wantErr{{4, 23, "rules.patterns[0].regex", "bad regular expression: missing closing )"}}},
		{"bad duration", "version: 1\ngates:\n  max_db_age: 7days\n", []wantErr{{3, 15, "gates.max_db_age", `invalid duration "7days"`}}},
		{"bad size", "version: 1\ngates:\n  max_file_size: 1 megabyte\n", []wantErr{{3, 18, "gates.max_file_size", "invalid size"}}},
		{"bad date", "version: 1\nexceptions:\n  - {rule: r, reason: x, expires: 2025-13-01}\n", []wantErr{{3, 35, "exceptions[0].expires", "invalid date"}}},
		{"bad classification", "version: 1\nproject:\n  classification: secret\n", []wantErr{{3, 19, "project.classification", `unknown classification "secret"`}}},
		{"bad classification key", "version: 1\nmodels:\n  allow:\n    internl: []\n", []wantErr{{4, 5, "models.allow.internl", `did you mean "internal"?`}}},
		{"bad decision", "version: 1\nagent:\n  network:\n    default: block\n", []wantErr{{4, 14, "agent.network.default", `unknown decision "block"`}}},
		{"bad builtin decision", "version: 1\nagent:\n  builtin:\n    curl-pipe-shell: maybe\n", []wantErr{{4, 22, "agent.builtin.curl-pipe-shell", "unknown decision"}}},
		{"bad enum", "version: 1\nmodels:\n  secrets: strip\n", []wantErr{{3, 12, "models.secrets", `unknown value "strip" (want one of redact, block)`}}},
		{"exception without reason", "version: 1\nexceptions:\n  - rule: r1\n    path: a/**\n", []wantErr{{3, 5, "exceptions[0].reason", "every exception needs a reason"}}},
		{"exception without target", "version: 1\nexceptions:\n  - reason: fine\n", []wantErr{{3, 5, "exceptions[0]", "needs a fingerprint, or a rule"}}},
		{"bad fingerprint", "version: 1\nexceptions:\n  - {fingerprint: XYZ, reason: r}\n", []wantErr{{3, 19, "exceptions[0].fingerprint", "bad fingerprint"}}},
		{"command rule missing fields", "version: 1\nagent:\n  commands:\n    rules:\n      - id: r1\n", []wantErr{
			{5, 9, "agent.commands.rules[0].command", "missing command"},
			{5, 9, "agent.commands.rules[0].decision", "missing decision"},
		}},
		{"duplicate rule id", "version: 1\nrules:\n  secrets:\n    - {id: a, regex: x, severity: high}\n    - {id: a, regex: y, severity: high}\n", []wantErr{{5, 7, "rules.secrets[1].id", `duplicate id "a"`}}},
		{"bad cwe", "version: 1\nrules:\n  patterns:\n    - {id: a, regex: x, severity: high, message: m, cwe: '89'}\n", []wantErr{{4, 58, "rules.patterns[0].cwe", "bad CWE"}}},
		{"entropy out of range", "version: 1\nrules:\n  secrets:\n    - {id: a, regex: x, severity: high, entropy: 9}\n", []wantErr{{4, 50, "rules.secrets[0].entropy", "between 0 and 8"}}},
		{"bad url", "version: 1\ndependencies:\n  db_url: ftp://x\n", []wantErr{{3, 11, "dependencies.db_url", "bad URL"}}},
		{"bad measurement", "version: 1\nmodels:\n  attestation:\n    measurements:\n      sev-snp: [zz, abab]\n", []wantErr{{5, 17, "models.attestation.measurements.sev-snp[0]", "bad measurement"}, {5, 21, "models.attestation.measurements.sev-snp[1]", "bad measurement"}}},
		{"bad TDX TEE_TCB_SVN", "version: 1\nmodels:\n  attestation:\n    tdx_minimum_tee_tcb_svn: abcd\n", []wantErr{{4, 30, "models.attestation.tdx_minimum_tee_tcb_svn", "bad TEE_TCB_SVN"}}},
		{"bad jwks url", "version: 1\nmodels:\n  attestation:\n    jwks_url: nras\n", []wantErr{{4, 15, "models.attestation.jwks_url", "bad URL"}}},
		{"unknown lock", "version: 1\nlocks: [gates.fail_onn]\n", []wantErr{{2, 9, "locks[0]", `did you mean "gates.fail_on"?`}}},
		{"merge key rejected", "version: 1\ngates:\n  <<: {fail_on: high}\n", []wantErr{{3, 3, "gates.<<", "unknown key"}}},
		{"several errors reported together", "version: 1\ngates:\n  fail_on: x\n  max_db_age: y\n", []wantErr{
			{3, 12, "gates.fail_on", "unknown severity"},
			{4, 15, "gates.max_db_age", "invalid duration"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("warden.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want errors %+v", p, tt.want)
			}
			if p != nil {
				t.Errorf("Parse returned a policy along with the error")
			}
			var got []wantErr
			for _, e := range errorsOf(t, err) {
				if e.File != "warden.yaml" {
					t.Errorf("error %q names file %q", e, e.File)
				}
				got = append(got, wantErr{e.Line, e.Column, e.Key, e.Msg})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i := range got {
				if !strings.Contains(got[i].Msg, tt.want[i].Msg) {
					t.Errorf("error %d message %q does not contain %q", i, got[i].Msg, tt.want[i].Msg)
				}
				got[i].Msg = tt.want[i].Msg
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nfull error:\n%v", diff, err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Parse("repo/warden.yaml", []byte("version: 1\ngates:\n  fial_on: high\n"))
	want := `repo/warden.yaml:3:3: gates.fial_on: unknown key (did you mean "fail_on"?)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestParseValid(t *testing.T) {
	src := `version: 1
project: {name: shop, classification: confidential}
models:
  allow:
    confidential: ["anthropic/claude-*"]
  require_attestation: [restricted]
agent:
  commands:
    rules:
      - id: no-terraform-destroy
        command: terraform
        args: '^destroy\b'
        decision: deny
        reason: destroys infrastructure
  scan_on_stop: false
gates:
  fail_on: medium
  max_db_age: 2w
  max_file_size: 512KiB
exceptions:
  - rule: custom.todo
    path: "legacy/**"
    reason: legacy code, tracked in JIRA-1
    owner: alice
    expires: 2030-01-31
`
	p, err := Parse("warden.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Version: 1,
		Project: Project{Name: "shop", Classification: Confidential},
		Models: Models{
			Allow:              map[Classification][]string{Confidential: {"anthropic/claude-*"}},
			RequireAttestation: []Classification{Restricted},
		},
		Agent: Agent{Commands: AgentCommands{Rules: []CommandRule{{
			ID: "no-terraform-destroy", Command: "terraform", Args: `^destroy\b`, Decision: Deny, Reason: "destroys infrastructure",
		}}}},
		Gates: Gates{FailOn: finding.SeverityMedium, MaxDBAge: Duration(14 * 24 * time.Hour), MaxFileSize: 512 << 10},
		Exceptions: []Exception{{
			Rule: "custom.todo", Path: "legacy/**", Reason: "legacy code, tracked in JIRA-1", Owner: "alice",
			Expires: Date{time.Date(2030, 1, 31, 0, 0, 0, 0, time.UTC)},
		}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseAliasExpansionLimit(t *testing.T) {
	// One anchored list of 1000 globs referenced by 500 rules expands to
	// half a million values from a 20 KB file; a larger file of the same
	// shape would expand to billions. The decoder stops at its budget.
	var b strings.Builder
	b.WriteString("version: 1\ngates:\n  exclude: &globs [")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "g%d/**", i)
	}
	b.WriteString("]\nrules:\n  patterns:\n")
	for i := range 500 {
		fmt.Fprintf(&b, "    - {id: r%d, regex: x, severity: low, message: m, paths: *globs}\n", i)
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Errorf("error = %v, want the expansion limit", err)
	}
}

// TestErrorsNeverEchoSecrets: a credential pasted into the wrong place of a
// policy does not reappear in the errors (which end up in CI logs).
func TestErrorsNeverEchoSecrets(t *testing.T) {
	const secret = "ghp_R8x2Kq9Zt4Lm7Vb3Nc6Wd1Yf5Hj0Pa2Se9Ug"
	docs := []string{
		"version: 1\nproject:\n  name: [" + secret + "]\n",
		"version: 1\n" + secret + ": 1\n",
		"version: 1\ngates:\n  " + secret + ": x\n",
		"version: 1\nmodels:\n  secrets: " + secret + "\n",
		"version: 1\ngates:\n  fail_on: " + secret + "\n",
		"version: 1\ngates:\n  max_db_age: " + secret + "\n",
		"version: 1\nproject:\n  classification: " + secret + "\n",
		"version: 1\nagent:\n  network:\n    default: " + secret + "\n",
		"version: 1\nagent:\n  builtin:\n    " + secret + ": allow\n    " + secret + ": deny\n",
		"version: 1\nmodels:\n  allow:\n    " + secret + ": []\n",
		"version: 1\ndependencies:\n  registry_url:\n    npm: https://user:" + secret + "@npm.example.com\n",
		"version: 1\ndependencies:\n  db_url: 'htp://" + secret + "'\n",
		"version: 1\nagent:\n  commands:\n    rules:\n      - {id: a, command: x, args: '(" + secret + "', decision: deny}\n",
		"version: 1\nexceptions:\n  - {fingerprint: " + secret + ", reason: x}\n",
		"version: 1\ngates:\n  engines: [" + secret + "]\n",
		"version: 1\ngates:\n  exclude: ['[" + secret + "']\n",
		"version: 1\nlocks: [" + secret + "]\n",
		"version: 1\nagent:\n  scan_on_stop: " + secret + "\n",
		"version: 1\naudit:\n  checkpoint_every: " + secret + "\n",
	}
	for i, doc := range docs {
		_, err := Parse("warden.yaml", []byte(doc))
		if err == nil {
			t.Errorf("doc %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:20]) {
			t.Errorf("doc %d: the error reveals the planted secret: %s", i, strings.ReplaceAll(err.Error(), secret, "<SECRET>"))
		}
	}
}

func TestValidators(t *testing.T) {
	tests := []struct {
		f    func(string) bool
		in   string
		want bool
	}{
		{validID, "acme-no-destroy", true},
		{validID, "sast.go.sql-injection", true},
		{validID, "a", true},
		{validID, "", false},
		{validID, "-leading", false},
		{validID, "has space", false},
		{validID, "ünïcode", false},
		{validCWE, "CWE-798", true},
		{validCWE, "CWE-", false},
		{validCWE, "cwe-798", false},
		{validCWE, "CWE-79a", false},
		{validFingerprint, "0123456789abcdef", true},
		{validFingerprint, "0123456789abcde", false},
		{validFingerprint, "0123456789ABCDEF", false},
		{validFingerprint, strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("validator(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
