package kpi

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func h(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }

var (
	fA = audit.FindingRef{Rule: "secrets.github-token", Engine: "secrets", Severity: finding.SeverityCritical, Fingerprint: "sA", Path: "cfg.go"}
	fB = audit.FindingRef{Rule: "sast.sql-injection", Engine: "sast", Severity: finding.SeverityHigh, Fingerprint: "sB", Path: "db.go"}
	fC = audit.FindingRef{Rule: "deps.vulnerable", Engine: "deps", Severity: finding.SeverityHigh, Fingerprint: "dC", Path: "package-lock.json",
		Package: "lodash", Version: "4.17.0", Advisory: "GHSA-p6mc-m468-83gw", Published: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}
	fD = audit.FindingRef{Rule: "sast.weak-random", Engine: "sast", Severity: finding.SeverityMedium, Fingerprint: "sD", Path: "token.go"}
	fE = audit.FindingRef{Rule: "sast.path-traversal", Engine: "sast", Severity: finding.SeverityHigh, Fingerprint: "sE", Path: "files.go"}
	// fS is suppressed by an exception: not counted per release.
	fS = audit.FindingRef{Rule: "sast.sql-injection", Engine: "sast", Severity: finding.SeverityCritical, Fingerprint: "sS", Path: "legacy.go", Suppressed: true}
)

func scanEv(at time.Time, scope, commit, release string, fs ...audit.FindingRef) audit.Event {
	d := audit.DecisionPass
	if len(fs) > 0 {
		d = audit.DecisionFail
	}
	return audit.Event{Time: at, Kind: audit.KindScanGate, Repo: audit.Repo{Name: "acme/api", Commit: commit, Release: release},
		Scan: &audit.Scan{Scope: scope}, Findings: fs, Decision: d}
}

func agentEv(at time.Time, agent, kind, decision, rule string, tags ...string) audit.Event {
	e := audit.Event{Time: at, Kind: audit.KindAgentAction, Actor: audit.Actor{Agent: agent, Session: agent + "-1"},
		Action: &audit.Action{Kind: kind}, Decision: decision, Tags: tags, Summary: kind}
	if rule != "" {
		e.Rules = []string{rule}
	}
	return e
}

// history is a scripted month: two releases, a diff scan, fixes, and the
// agents at work.
func history() []audit.Event {
	guardWrite := agentEv(h(4), "cursor", "write", "deny", "secrets.aws-access-key")
	guardWrite.Findings = []audit.FindingRef{{Rule: "secrets.aws-access-key", Engine: "secrets", Severity: finding.SeverityCritical, Fingerprint: "g1", Path: "app.py"}}
	return []audit.Event{
		scanEv(h(0), audit.ScopeFull, "c1", "v1.0", fA, fB, fC, fD, fS),
		agentEv(h(1), "claude", "read", "deny", "agent.read-secret-file", audit.TagUnauthorizedAccess),
		agentEv(h(2), "claude", "exec", "ask", "git.force-push"),
		agentEv(h(3), "cursor", "fetch", "deny", "net.not-allowed"),
		guardWrite,
		agentEv(h(5), "gemini", "exec", "allow", ""),
		scanEv(h(24), audit.ScopeDiff, "c2", "", fE),
		scanEv(h(48), audit.ScopeFull, "c3", "v1.1", fC, fD, fE, fS),
		scanEv(h(72), audit.ScopeFull, "c4", "", fC, fS),
	}
}

func writeLog(t *testing.T, path string, evs []audit.Event) {
	t.Helper()
	l, err := audit.Open(path, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, e := range evs {
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	// Appends seal in batches: chain what waits, as `warden report` does
	// before it indexes.
	if _, err := l.Seal(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func indexOf(t *testing.T, dir, logPath string) *Index {
	t.Helper()
	x, err := OpenIndex(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	if _, err := x.Update(context.Background(), logPath); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestReportWholeHistory(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.jsonl")
	writeLog(t, logPath, history())
	x := indexOf(t, dir, logPath)
	got, err := x.Report(context.Background(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	end := h(72).Add(time.Millisecond)
	want := &Report{
		Window: Window{Until: end},
		Events: 9,
		Releases: []ReleaseFindings{
			{Release: "v1.0", Repo: "acme/api", Time: h(0), Critical: 1, High: 2},
			{Release: "v1.1", Repo: "acme/api", Time: h(48), Critical: 0, High: 2},
		},
		Open: map[string]int{"high": 1},
		MTTR: MTTR{Remediated: 4, MeanHours: 54, MedianHours: 48, BySeverity: map[string]SevMTTR{
			"critical": {1, 48}, "high": {2, 48}, "medium": {1, 72}}},
		SecretLeaks: SecretLeaks{Incidents: 1, Remediated: 1, StillOpen: 0, BlockedByGuard: 1, CriticalOrHigher: 1},
		Agent: AgentActions{Total: 5, Allowed: 1, Denied: 3, Asked: 1,
			DeniedByRule: []Count{{"agent.read-secret-file", 1}, {"net.not-allowed", 1}, {"secrets.aws-access-key", 1}},
			AskedByRule:  []Count{{"git.force-push", 1}},
			DeniedByAgnt: []Count{{"cursor", 2}, {"claude", 1}},
			AskedByAgent: []Count{{"claude", 1}}},
		Access: Unauth{Blocked: 2, ByAgent: []Count{{"claude", 1}, {"cursor", 1}}},
		Deps: VulnerableDeps{Open: 1, MeanAgeDays: 3, MaxAgeDays: 3, MeanPublishDays: 33,
			Oldest: []DepOpen{{Package: "lodash", Version: "4.17.0", Advisory: "GHSA-p6mc-m468-83gw", Severity: "high", FirstSeen: h(0), AgeDays: 3}}},
		IndexedTo:   9,
		Definitions: Definitions,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	golden(t, got)
}

func golden(t *testing.T, r *Report) {
	t.Helper()
	for _, g := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return r.WriteText(b) }},
		{"report.md", func(b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"report.json", func(b *bytes.Buffer) error { return r.WriteJSON(b) }},
	} {
		var b bytes.Buffer
		if err := g.write(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", g.file)
		if *update {
			os.WriteFile(path, b.Bytes(), 0o644)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if diff := cmp.Diff(string(want), b.String()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", g.file, diff)
		}
	}
}

func TestReportWindowAndCommitRange(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.jsonl")
	writeLog(t, logPath, history())
	x := indexOf(t, dir, logPath)
	ctx := context.Background()

	got, err := x.Report(ctx, Query{Since: h(30)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Releases) != 1 || got.Releases[0].Release != "v1.1" {
		t.Errorf("since h30: releases %+v, want only v1.1", got.Releases)
	}
	if got.MTTR.Remediated != 4 || got.Agent.Total != 0 || got.SecretLeaks.Incidents != 0 || got.Events != 2 {
		t.Errorf("since h30: remediated %d, agent %d, leaks %d, events %d; want 4, 0, 0, 2", got.MTTR.Remediated, got.Agent.Total, got.SecretLeaks.Incidents, got.Events)
	}

	got, err = x.Report(ctx, Query{Until: h(50)})
	if err != nil {
		t.Fatal(err)
	}
	// At h50, A and B are gone (h48), D and E still open; C open 50h.
	if got.MTTR.Remediated != 2 || !cmp.Equal(got.Open, map[string]int{"high": 2, "medium": 1}) {
		t.Errorf("until h50: remediated %d, open %v", got.MTTR.Remediated, got.Open)
	}
	if got.Deps.Open != 1 || got.Deps.MaxAgeDays != round1(50.0/24) {
		t.Errorf("until h50: deps %+v", got.Deps)
	}

	got, err = x.Report(ctx, Query{Commits: []string{"c3", "c4"}, Range: "v1.0..HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Releases) != 1 || got.MTTR.Remediated != 4 || got.Agent.Total != 0 || got.Events != 2 {
		t.Errorf("commits c3,c4: releases %+v, remediated %d, agent %d, events %d", got.Releases, got.MTTR.Remediated, got.Agent.Total, got.Events)
	}
}

func TestIndexIsIncrementalAndRebuildable(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.jsonl")
	evs := history()
	writeLog(t, logPath, evs[:5])
	x := indexOf(t, dir, logPath)
	ctx := context.Background()
	writeLog(t, logPath, evs[5:])
	res, err := x.Update(ctx, logPath)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 4 || res.Rebuilt || res.LastSeq != 9 {
		t.Fatalf("incremental update %+v, want 4 added up to 9", res)
	}
	inc, _ := x.Report(ctx, Query{})
	if _, err := x.Rebuild(ctx, logPath); err != nil {
		t.Fatal(err)
	}
	full, _ := x.Report(ctx, Query{})
	if diff := cmp.Diff(full, inc); diff != "" {
		t.Errorf("incremental index differs from a rebuild:\n%s", diff)
	}
	if res, err := x.Update(ctx, logPath); err != nil || res.Added != 0 {
		t.Fatalf("update with nothing new: %+v %v", res, err)
	}

	// A different log at the same path: the index notices and rebuilds.
	os.Remove(logPath)
	writeLog(t, logPath, evs[1:4])
	res, err = x.Update(ctx, logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rebuilt || res.LastSeq != 3 {
		t.Fatalf("update after the log was replaced: %+v, want a rebuild to 3", res)
	}
	r, _ := x.Report(ctx, Query{})
	if r.Agent.Total != 3 || len(r.Releases) != 0 {
		t.Errorf("after rebuild: %d agent actions, %d releases; want 3, 0", r.Agent.Total, len(r.Releases))
	}
}

// TestRollupsMatchEvents: for windows that start and end anywhere (on and
// off hour boundaries, open or closed), the report answered from the hourly
// rollups equals the one computed from the events alone.
func TestRollupsMatchEvents(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.jsonl")
	rnd := rand.New(rand.NewPCG(7, 7))
	evs := history()
	agents := []string{"claude", "cursor", "gemini"}
	for i := range 400 {
		at := t0.Add(time.Duration(rnd.Int64N(int64(96 * time.Hour))))
		d := []string{"allow", "deny", "ask"}[rnd.IntN(3)]
		e := agentEv(at, agents[rnd.IntN(3)], []string{"exec", "read", "fetch"}[rnd.IntN(3)], d, fmt.Sprintf("rule-%d", i%7))
		if i%5 == 0 {
			e.Tags = []string{audit.TagUnauthorizedAccess}
		}
		evs = append(evs, e)
	}
	writeLog(t, logPath, evs)
	x := indexOf(t, dir, logPath)
	ctx := context.Background()
	var windows []Query
	windows = append(windows, Query{}, Query{Since: h(2)}, Query{Until: h(50)}, Query{Since: h(3), Until: h(4)})
	for range 40 {
		a := t0.Add(time.Duration(rnd.Int64N(int64(100*time.Hour))) - 2*time.Hour)
		b := a.Add(time.Duration(rnd.Int64N(int64(60 * time.Hour))))
		switch rnd.IntN(4) {
		case 0:
			windows = append(windows, Query{Since: a})
		case 1:
			windows = append(windows, Query{Until: b})
		default:
			windows = append(windows, Query{Since: a, Until: b})
		}
	}
	for _, q := range windows {
		fast, err := x.Report(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		rq := q
		rq.raw = true
		slow, err := x.Report(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(slow, fast, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("window %v..%v: rollups differ from events (-events +rollups):\n%s", q.Since, q.Until, diff)
		}
	}
}
