package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/finding"
)

// auditRepo makes a repository directory and a HOME outside it, with a
// policy that checkpoints every 4 events.
func auditRepo(t *testing.T) (repo string, env map[string]string) {
	t.Helper()
	base := t.TempDir()
	repo = filepath.Join(base, "repo")
	home := filepath.Join(base, "home")
	writePolicyFiles(t, repo, map[string]string{"warden.yaml": "version: 1\naudit:\n  checkpoint_every: 4\n"})
	os.MkdirAll(home, 0o700)
	return repo, map[string]string{"HOME": home, "USER": "ana"}
}

// recordEvents appends events the way the guard and the gate do.
func recordEvents(t *testing.T, repo string, env map[string]string, events ...audit.Event) {
	t.Helper()
	e := &Env{Dir: repo, Getenv: func(k string) string { return env[k] }}
	eff, err := loadPolicy(e, "")
	if err != nil {
		t.Fatal(err)
	}
	l, err := openAuditLog(e, eff, repo)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, ev := range events {
		ev.PolicySHA256 = eff.SHA256
		if ev.Actor.User == "" {
			ev.Actor.User = auditActor(e).User
		}
		if _, err := l.Append(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func sampleEvents() []audit.Event {
	ts := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	return []audit.Event{
		{Time: ts, Kind: audit.KindAgentAction, Actor: audit.Actor{Agent: "claude", Session: "s1"},
			Action: &audit.Action{Kind: "read", Tool: "Read"}, Summary: "read .env", Paths: []string{".env"},
			Rules: []string{"agent.read-secret-file"}, Decision: audit.DecisionDeny, Reasons: []string{".env holds secrets"},
			Tags: []string{audit.TagUnauthorizedAccess}},
		{Time: ts.Add(time.Hour), Kind: audit.KindAgentAction, Actor: audit.Actor{Agent: "cursor", Session: "s2"},
			Action: &audit.Action{Kind: "exec", Tool: "Shell"}, Summary: "exec: go test ./...", Decision: audit.DecisionAllow},
		{Time: ts.Add(2 * time.Hour), Kind: audit.KindAgentAction, Actor: audit.Actor{Agent: "claude", Session: "s1"},
			Action: &audit.Action{Kind: "exec", Tool: "Bash"}, Summary: "exec: git push --force origin main",
			Rules: []string{"git.force-push"}, Decision: audit.DecisionAsk},
		{Time: ts.Add(3 * time.Hour), Kind: audit.KindScanGate, Repo: audit.Repo{Name: "acme/api", Commit: "c1"},
			Scan: &audit.Scan{Scope: audit.ScopeFull}, Decision: audit.DecisionFail,
			Findings: []audit.FindingRef{{Rule: "secrets.github-token", Engine: "secrets", Severity: finding.SeverityCritical, Fingerprint: "fp1", Path: "cfg.go"}}},
	}
}

func TestAuditKeygen(t *testing.T) {
	repo, env := auditRepo(t)
	code, out, errOut := runPolicyCLI(t, repo, env, "audit", "keygen")
	if code != 0 {
		t.Fatalf("keygen exit %d: %s", code, errOut)
	}
	key := filepath.Join(env["HOME"], ".config/warden/audit.key")
	fi, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", fi.Mode().Perm())
	}
	pub, err := os.ReadFile(filepath.Join(repo, DefaultAuditPub))
	if err != nil || !strings.HasPrefix(string(pub), "warden-audit+") {
		t.Fatalf("public key %q, %v", pub, err)
	}
	if strings.Contains(out, "PRIVATE") {
		t.Error("keygen printed the private key")
	}
	if code, _, errOut := runPolicyCLI(t, repo, env, "audit", "keygen"); code != ExitUsage || !strings.Contains(errOut, "already exists") {
		t.Errorf("second keygen: exit %d %q, want 2 and 'already exists'", code, errOut)
	}
	if code, _, errOut := runPolicyCLI(t, repo, env, "audit", "keygen", "--force", "--key", "keys/audit.key"); code != ExitUsage || !strings.Contains(errOut, "inside the repository") {
		t.Errorf("keygen into the repository: exit %d %q, want 2", code, errOut)
	}
}

func TestAuditVerifyShowExport(t *testing.T) {
	repo, env := auditRepo(t)
	if code, _, errOut := runPolicyCLI(t, repo, env, "audit", "keygen"); code != 0 {
		t.Fatal(errOut)
	}
	recordEvents(t, repo, env, sampleEvents()...)

	code, out, errOut := runPolicyCLI(t, repo, env, "audit", "verify")
	if code != 0 || !strings.Contains(out, "audit log intact") || !strings.Contains(out, "verified with") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}

	// show: filters combine.
	code, out, _ = runPolicyCLI(t, repo, env, "audit", "show", "--agent", "claude", "--decision", "deny")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "read .env") || !strings.Contains(out, "[agent.read-secret-file]") {
		t.Errorf("show --agent claude --decision deny:\n%s", out)
	}
	code, out, _ = runPolicyCLI(t, repo, env, "audit", "show", "--since", "2026-11-01T10:30:00Z", "--until", "2026-11-01T11:30:00Z", "--json")
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev audit.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("show --json line %q: %v", l, err)
		}
		got = append(got, ev.Summary)
	}
	if code != 0 || len(got) != 1 || got[0] != "exec: git push --force origin main" {
		t.Errorf("show --since/--until: %q\n%s", got, out)
	}
	if _, out, _ = runPolicyCLI(t, repo, env, "audit", "show", "--rule", "secrets.github-token"); !strings.Contains(out, "scan.gate") {
		t.Errorf("show --rule on a finding's rule:\n%s", out)
	}
	if code, _, errOut := runPolicyCLI(t, repo, env, "audit", "show", "--since", "yesterday"); code != ExitUsage || !strings.Contains(errOut, "--since") {
		t.Errorf("bad --since: exit %d %q", code, errOut)
	}

	// export: each event once.
	cursor := filepath.Join(repo, "siem.cursor")
	_, first, _ := runPolicyCLI(t, repo, env, "audit", "export", "--cursor", cursor)
	_, second, _ := runPolicyCLI(t, repo, env, "audit", "export", "--cursor", cursor)
	recordEvents(t, repo, env, sampleEvents()[:1]...)
	_, third, _ := runPolicyCLI(t, repo, env, "audit", "export", "--cursor", cursor)
	all, err := os.ReadFile(filepath.Join(repo, ".warden/audit/audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if first+second+third != string(all) {
		t.Errorf("three exports (%d, %d, %d bytes) are not the log (%d bytes) exactly once", len(first), len(second), len(third), len(all))
	}
	if second != "" || third == "" {
		t.Errorf("second export %q should be empty and third not", second)
	}

	// checkpoint + proofs.
	code, note, errOut := runPolicyCLI(t, repo, env, "audit", "checkpoint")
	if code != 0 || !strings.HasPrefix(note, "warden audit log v1\n") {
		t.Fatalf("checkpoint: exit %d %q %s", code, note, errOut)
	}
	os.WriteFile(filepath.Join(repo, "kept.note"), []byte(note), 0o644)
	recordEvents(t, repo, env, sampleEvents()...)
	runPolicyCLI(t, repo, env, "audit", "checkpoint")
	code, out, errOut = runPolicyCLI(t, repo, env, "audit", "verify", "--trusted", "kept.note", "--prove", "3")
	if code != 0 || strings.Count(out, ": verified") != 2 {
		t.Fatalf("verify with proofs: exit %d\n%s%s", code, out, errOut)
	}

	// Tampering: exit 1 and the first bad event named.
	logPath := filepath.Join(repo, ".warden/audit/audit.jsonl")
	now, _ := os.ReadFile(logPath)
	lines := bytes.SplitAfter(now, []byte("\n"))
	edited := 0
	for i, l := range lines {
		if bytes.Contains(l, []byte("go test")) {
			lines[i] = bytes.Replace(l, []byte("go test"), []byte("go vet "), 1)
			edited = i + 1
			break
		}
	}
	os.WriteFile(logPath, bytes.Join(lines, nil), 0o600)
	code, out, _ = runPolicyCLI(t, repo, env, "audit", "verify")
	if code != ExitFail || !strings.Contains(out, fmt.Sprintf("FIRST BAD EVENT: %d", edited)) || !strings.Contains(out, "edited") {
		t.Errorf("verify of an edited log: exit %d\n%s", code, out)
	}
	code, out, _ = runPolicyCLI(t, repo, env, "audit", "verify", "--json")
	var rep struct {
		Intact bool `json:"intact"`
		Report struct {
			Problem struct {
				Kind string `json:"kind"`
				Seq  uint64 `json:"seq"`
			} `json:"problem"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitFail || rep.Intact || rep.Report.Problem.Seq != uint64(edited) {
		t.Errorf("verify --json of an edited log: exit %d, %v\n%s", code, err, out)
	}
}

func TestAuditVerifyNoLogIsUsageError(t *testing.T) {
	repo, env := auditRepo(t)
	if code, _, errOut := runPolicyCLI(t, repo, env, "audit", "verify"); code != ExitUsage || !strings.Contains(errOut, "no audit log") {
		t.Errorf("verify without a log: exit %d %q", code, errOut)
	}
}

func TestRecordGateRun(t *testing.T) {
	repo, env := auditRepo(t)
	e := &Env{Dir: repo, Getenv: func(k string) string { return env[k] }}
	eff, err := loadPolicy(e, "")
	if err != nil {
		t.Fatal(err)
	}
	secret := "ghp_" + strings.Repeat("a1B2", 9)
	fs := []finding.Finding{
		{RuleID: "secrets.github-token", Engine: "secrets", Severity: finding.SeverityCritical, Fingerprint: "f1",
			Location: finding.Location{Path: "cfg.go", StartLine: 3}, Snippet: "token := " + secret, Metadata: map[string]string{"match": secret}}, // a careless engine
		{RuleID: "sast.weak-random", Engine: "sast", Severity: finding.SeverityMedium, Fingerprint: "f2", Location: finding.Location{Path: "x.go"}},
	}
	seq, err := recordGateRun(context.Background(), e, eff, gateRun{Root: repo, Scope: audit.ScopeFull, Engines: []string{"secrets", "sast"},
		Files: 2, Findings: fs, Suppressed: map[string]bool{"f2": true}, Failed: true, Repo: audit.Repo{Commit: "abc", Release: "v1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	var got audit.Event
	audit.Read(filepath.Join(repo, ".warden/audit/audit.jsonl"), audit.ReadOptions{}, func(r audit.Record) error {
		if r.Seq == seq {
			got = r.Event
		}
		if strings.Contains(string(r.Line), secret) {
			t.Errorf("event %d holds the secret", r.Seq)
		}
		return nil
	})
	if got.Kind != audit.KindScanGate || got.Decision != audit.DecisionFail || got.Repo.Release != "v1.0.0" || got.Repo.Name != "repo" ||
		len(got.Findings) != 2 || !got.Findings[1].Suppressed || got.Findings[0].Suppressed || got.PolicySHA256 != eff.SHA256 ||
		!strings.Contains(got.Summary, "2 finding(s), 1 blocking") {
		t.Errorf("recorded %+v", got)
	}
	// It feeds the report.
	code, out, _ := runPolicyCLI(t, repo, env, "report", "--format", "json")
	if code != 0 || !strings.Contains(out, `"release": "v1.0.0"`) || !strings.Contains(out, `"critical": 1`) {
		t.Errorf("report after a recorded gate run: exit %d\n%s", code, out)
	}
}

// TestRecordGateRunManyFindings: a gate run with more findings than fit in
// one audit event (a large lockfile's vulnerabilities) is still recorded,
// with the most severe findings and a summary that says what was left out.
func TestRecordGateRunManyFindings(t *testing.T) {
	repo, env := auditRepo(t)
	e := &Env{Dir: repo, Getenv: func(k string) string { return env[k] }}
	eff, err := loadPolicy(e, "")
	if err != nil {
		t.Fatal(err)
	}
	var fs []finding.Finding
	for i := range 1500 {
		sev := finding.SeverityLow
		if i%10 == 9 {
			sev = finding.SeverityCritical
		}
		fs = append(fs, finding.Finding{RuleID: "deps/vulnerable", Engine: "deps", Severity: sev, Fingerprint: fmt.Sprintf("fp-%04d", i),
			Location: finding.Location{Path: "package-lock.json", StartLine: i + 1},
			Metadata: map[string]string{"package": fmt.Sprintf("pkg-%d", i), "version": "1.0.0", "advisory": fmt.Sprintf("GHSA-%04d", i)}})
	}
	seq, err := recordGateRun(context.Background(), e, eff, gateRun{Root: repo, Scope: audit.ScopeFull, Engines: []string{"deps"}, Files: 1, Findings: fs, Failed: true})
	if err != nil {
		t.Fatalf("recordGateRun with %d findings: %v", len(fs), err)
	}
	var got audit.Event
	audit.Read(filepath.Join(repo, ".warden/audit/audit.jsonl"), audit.ReadOptions{}, func(r audit.Record) error {
		if r.Seq == seq {
			got = r.Event
		}
		return nil
	})
	crit := 0
	for _, r := range got.Findings {
		if r.Severity == finding.SeverityCritical {
			crit++
		}
	}
	n := len(got.Findings)
	if n == 0 || n >= len(fs) || crit != 150 || got.Findings[0].Severity != finding.SeverityCritical ||
		!strings.Contains(got.Summary, fmt.Sprintf("1500 finding(s), 150 blocking, 1 file(s); %d of 1500 findings recorded", n)) {
		t.Errorf("recorded %d findings (%d critical), summary %q", n, crit, got.Summary)
	}
}

// Events whose writer found another writer sealing, when that one was
// killed, wait in the journal; every reader seals them first, so show,
// export, verify and report all see them.
func TestAuditReadersSealPendingEvents(t *testing.T) {
	repo, env := auditRepo(t)
	recordEvents(t, repo, env, sampleEvents()[:2]...)
	logPath := filepath.Join(repo, ".warden/audit/audit.jsonl")
	pending := func(summary string) {
		t.Helper()
		// One journal record as Append writes it: RS, nonce, the event with
		// seq 0 and no prev, LF.
		rec := "\x1e00000000000000ab" + `{"v":1,"seq":0,"time":"2026-11-01T12:00:00Z","prev":"","kind":"agent.action","actor":{"agent":"claude","session":"s9"},"summary":"` + summary + `","decision":"deny"}` + "\n"
		f, err := os.OpenFile(audit.JournalPath(logPath), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(rec); err != nil {
			t.Fatal(err)
		}
	}
	pending("pending one")
	code, out, errOut := runPolicyCLI(t, repo, env, "audit", "show", "--session", "s9")
	if code != 0 || !strings.Contains(out, "pending one") {
		t.Fatalf("show: exit %d, out %q, err %q", code, out, errOut)
	}
	pending("pending two")
	code, out, errOut = runPolicyCLI(t, repo, env, "audit", "export", "--cursor", "c1")
	if code != 0 || !strings.Contains(out, `"summary":"pending two"`) {
		t.Fatalf("export: exit %d, err %q", code, errOut)
	}
	pending("pending three")
	code, out, errOut = runPolicyCLI(t, repo, env, "audit", "verify", "--json")
	if code != 0 || !strings.Contains(out, `"events": 5`) || strings.Contains(out, `"pending"`) {
		t.Fatalf("verify: exit %d, out %s, err %q", code, out, errOut)
	}
	pending("pending four")
	if code, _, errOut = runPolicyCLI(t, repo, env, "report", "--format", "json"); code != 0 {
		t.Fatalf("report: exit %d, err %q", code, errOut)
	}
	// Read the log itself (Read does not seal): report sealed the fourth.
	var last audit.Record
	n := 0
	if err := audit.Read(logPath, audit.ReadOptions{}, func(r audit.Record) error { n++; last = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 6 || last.Summary != "pending four" || last.Seq != 6 {
		t.Fatalf("after report the log has %d events, the last %d %q; want 6, \"pending four\"", n, last.Seq, last.Summary)
	}
}
