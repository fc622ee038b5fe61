package baseline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/baseline"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/report"
)

var now = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func fd(rule, path, fp string) finding.Finding {
	return finding.Finding{RuleID: rule, Location: finding.Location{Path: path}, Fingerprint: fp, Severity: finding.SeverityHigh}
}

func date(s string) policy.Date {
	var d policy.Date
	if err := d.UnmarshalText([]byte(s)); err != nil {
		panic(err)
	}
	return d
}

func TestNewParseRoundTrip(t *testing.T) {
	b, err := baseline.New([]finding.Finding{fd("r2", "b.go", "fp2"), fd("r1", "a.go", "fp1")}, "legacy", "alice", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), now)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := baseline.Parse("b.json", data)
	if err != nil {
		t.Fatal(err)
	}
	want := &baseline.File{Version: 1, Findings: []baseline.Entry{
		{Fingerprint: "fp1", RuleID: "r1", Path: "a.go", Reason: "legacy", Owner: "alice", Expires: "2026-09-01", Created: "2026-06-15"},
		{Fingerprint: "fp2", RuleID: "r2", Path: "b.go", Reason: "legacy", Owner: "alice", Expires: "2026-09-01", Created: "2026-06-15"},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestNewRequiresReasonOwnerFutureExpiry(t *testing.T) {
	exp := now.Add(48 * time.Hour)
	for _, tt := range []struct {
		reason, owner string
		expires       time.Time
		want          string
	}{
		{"", "o", exp, "reason"},
		{"r", " ", exp, "owner"},
		{"r", "o", now.Add(-time.Hour), "not in the future"},
	} {
		if _, err := baseline.New(nil, tt.reason, tt.owner, tt.expires, now); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %q, %v) = %v, want error about %s", tt.reason, tt.owner, tt.expires, err, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		{`{"version": 2, "findings": []}`, "unsupported baseline version 2"},
		{`{"version": 1, "findings": [], "extra": 1}`, `unknown field "extra"`},
		{`{"version": 1, "findings": [{"fingerprint": "", "reason": "r", "owner": "o", "expires": "2026-01-01"}]}`, "findings[0]: fingerprint is required"},
		{`{"version": 1, "findings": [{"fingerprint": "f", "reason": "", "owner": "o", "expires": "2026-01-01"}]}`, "findings[0] (f): reason is required"},
		{`{"version": 1, "findings": [{"fingerprint": "f", "reason": "r", "owner": "", "expires": "2026-01-01"}]}`, "owner is required"},
		{`{"version": 1, "findings": [{"fingerprint": "f", "reason": "r", "owner": "o", "expires": "soon"}]}`, `expires "soon" is not a date`},
		{`{"version": 1, "findings": []} {}`, "trailing data"},
		{`not json`, "invalid baseline"},
	} {
		_, err := baseline.Parse("x.json", []byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "x.json") {
			t.Errorf("Parse(%s) = %v, want an error naming x.json and containing %q", tt.data, err, tt.want)
		}
	}
}

func TestApply(t *testing.T) {
	base := &baseline.File{Version: 1, Findings: []baseline.Entry{
		{Fingerprint: "live", Reason: "r", Owner: "alice", Expires: "2026-06-15"}, // valid through today
		{Fingerprint: "old", Reason: "legacy", Owner: "bob", Expires: "2026-06-14"},
	}}
	exceptions := []policy.Exception{
		{Rule: "docs-rule", Path: "docs/**", Reason: "examples", Owner: "carol", Expires: date("2027-01-01")},
		{Fingerprint: "byfp", Reason: "accepted", Owner: "dan"},                              // no expiry
		{Rule: "old-rule", Reason: "was fine", Owner: "erin", Expires: date("2026-01-01")},   // expired
		{Fingerprint: "old", Reason: "renewed", Owner: "frank", Expires: date("2026-12-31")}, // renews an expired baseline entry
		{Reason: "matches nothing", Owner: "x"},                                              // neither rule nor path nor fp
	}
	in := []finding.Finding{
		fd("r", "a.go", "live"),
		fd("r", "a.go", "old"),
		fd("docs-rule", "docs/x/readme.md", "d1"),
		fd("docs-rule", "src/readme.md", "d2"),
		fd("r", "b.go", "byfp"),
		fd("old-rule", "c.go", "o1"),
		fd("r", "c.go", "new"),
	}
	out := baseline.Apply(in, base, exceptions, now)
	var kept []string
	for _, f := range out.Findings {
		kept = append(kept, f.Fingerprint+"|"+f.Metadata[report.MetaSuppressionExpired])
	}
	want := []string{
		"d2|",
		"o1|policy exception by erin expired 2026-01-01 (was fine)",
		"new|",
	}
	if d := cmp.Diff(want, kept); d != "" {
		t.Errorf("kept (-want +got):\n%s", d)
	}
	if out.Suppressed != 4 || out.Expired != 1 {
		t.Errorf("suppressed %d expired %d, want 4 and 1", out.Suppressed, out.Expired)
	}
	// The day after, the baseline entry "live" has expired too.
	out = baseline.Apply(in, base, nil, now.Add(24*time.Hour))
	if out.Expired != 2 || out.Suppressed != 0 {
		t.Errorf("next day: suppressed %d expired %d, want 0 and 2", out.Suppressed, out.Expired)
	}
	// Apply does not modify its input's metadata maps.
	for _, f := range in {
		if f.Metadata != nil {
			t.Errorf("input finding %s was modified", f.Fingerprint)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"findings":[{"fingerprint":"a","rule_id":"r","path":"p","reason":"x","owner":"o","expires":"2026-01-01","created":"2025-01-01"}]}`))
	f.Add([]byte(`{"version":1,"findings":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := baseline.Parse("f.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.json") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		// Whatever parses applies without panicking and round-trips.
		_ = baseline.Apply([]finding.Finding{fd("r", "p", "a")}, b, nil, now)
		out, err := b.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := baseline.Parse("f.json", out); err != nil {
			t.Errorf("re-parse of marshalled baseline: %v", err)
		}
	})
}
