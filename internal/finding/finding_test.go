package finding

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSeverityRoundTrip(t *testing.T) {
	for _, s := range Severities() {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%v: round trip gave %v, %v", s, back, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted an unknown name")
	}
	if s, err := ParseSeverity(" HIGH "); err != nil || s != SeverityHigh {
		t.Errorf("ParseSeverity(HIGH) = %v, %v", s, err)
	}
	if _, err := json.Marshal(Severity(0)); err == nil {
		t.Error("the zero severity marshalled; a forgotten severity must be an error")
	}
	if !(SeverityCritical > SeverityHigh && SeverityHigh > SeverityMedium && SeverityLow > SeverityInfo) {
		t.Error("severities are not ordered")
	}
}

func TestFingerprintIgnoresWhitespaceNotContent(t *testing.T) {
	a := Fingerprint("r1", "a.go", "db.Query(\"SELECT \" + id)")
	if b := Fingerprint("r1", "a.go", "  db.Query(\"SELECT \"   + id)\n"); a != b {
		t.Error("re-indenting the matched code changed the fingerprint")
	}
	for name, other := range map[string]string{
		"rule":    Fingerprint("r2", "a.go", "db.Query(\"SELECT \" + id)"),
		"path":    Fingerprint("r1", "b.go", "db.Query(\"SELECT \" + id)"),
		"content": Fingerprint("r1", "a.go", "db.Query(\"SELECT \" + name)"),
		// the separator keeps ("ab","c") and ("a","bc") apart
		"boundary": Fingerprint("r", "1a.go", "db.Query(\"SELECT \" + id)"),
	} {
		if other == a {
			t.Errorf("a different %s gave the same fingerprint", name)
		}
	}
}

func TestLessIsATotalDeterministicOrder(t *testing.T) {
	fs := []Finding{
		{RuleID: "b", Location: Location{Path: "x.go", StartLine: 2}},
		{RuleID: "a", Location: Location{Path: "x.go", StartLine: 2, StartColumn: 1}},
		{RuleID: "a", Location: Location{Path: "a.go", StartLine: 9}},
		{RuleID: "a", Location: Location{Path: "x.go", StartLine: 1}},
		{RuleID: "a", Location: Location{Path: "x.go", StartLine: 2}, Fingerprint: "2"},
		{RuleID: "a", Location: Location{Path: "x.go", StartLine: 2}, Fingerprint: "1"},
	}
	sort.Slice(fs, func(i, j int) bool { return Less(fs[i], fs[j]) })
	var got []string
	for _, f := range fs {
		got = append(got, f.Path+":"+f.RuleID+":"+f.Fingerprint)
	}
	want := []string{"a.go:a:", "x.go:a:", "x.go:a:1", "x.go:a:2", "x.go:b:", "x.go:a:"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
