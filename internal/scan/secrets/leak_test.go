package secrets_test

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/report"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/scan/secrets"
	"github.com/wardenhq/warden/internal/scan/secrets/secretgen"
)

// TestNoLeakInReports plants a secret of every detector's format and
// renders the findings in every report format: no rendered byte sequence
// may contain a planted value.
func TestNoLeakInReports(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	r := rand.New(rand.NewPCG(11, 13))
	var planted []string
	var src strings.Builder
	for _, d := range secrets.Detectors() {
		s, err := secretgen.ForDetector(r, &d)
		if err != nil {
			t.Fatal(err)
		}
		line := sampleLine(&d, s)
		if d.Family == secrets.FamilyGeneric {
			line = "SERVICE_PASSWORD=" + s.Value
		}
		planted = append(planted, s.Value)
		src.WriteString(line + "\n\n")
	}
	var fs []finding.Finding
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	err := e.Scan(context.Background(), scan.File{Path: "leaks.txt", Content: []byte(src.String())}, func(f finding.Finding) {
		fs = append(fs, f)
		log.Info("finding", "rule", f.RuleID, "message", f.Message, "snippet", f.Snippet)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) < len(planted)*9/10 {
		t.Fatalf("%d findings for %d planted secrets", len(fs), len(planted))
	}
	rep := &report.Report{ToolVersion: "test", PolicySHA256: strings.Repeat("0", 64), Mode: "tree", Findings: fs, Rules: e.Rules()}
	rep.Summary.Tally(fs, finding.SeverityHigh)
	outs := map[string]string{"slog": logs.String()}
	for _, f := range []report.Format{report.FormatText, report.FormatJSON, report.FormatSARIF} {
		var b bytes.Buffer
		if err := report.Write(&b, f, rep, report.Options{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		outs[string(f)] = b.String()
	}
	for name, out := range outs {
		for i, p := range planted {
			// A long secret's tail is as good as the secret: check a
			// 12-byte window at its end too.
			if strings.Contains(out, p) || (len(p) > 24 && strings.Contains(out, p[len(p)-12:])) {
				t.Errorf("%s output contains planted secret #%d (%s)", name, i, secrets.Detectors()[i].ID)
			}
		}
	}
}

func TestRedact(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	gh := fakeGitHubToken()
	in := "please deploy with token " + gh + " and DB_PASSWORD=Tr0ub4dor3x9Q ok"
	out, ms := e.Redact([]byte(in), func(m secrets.Match) string { return "[" + m.RuleID + "]" })
	want := "please deploy with token [github-pat] and DB_PASSWORD=[generic-password] ok"
	if string(out) != want || len(ms) != 2 {
		t.Errorf("Redact = %q (%d matches), want %q", out, len(ms), want)
	}
	clean := []byte("nothing to see here")
	if out, ms := e.Redact(clean, nil); string(out) != string(clean) || ms != nil {
		t.Errorf("Redact(clean) = %q, %v", out, ms)
	}
	out, _ = e.Redact([]byte(gh), nil)
	if strings.Contains(string(out), gh) || !strings.Contains(string(out), "github-pat") {
		t.Errorf("default placeholder: %q", out)
	}
}
