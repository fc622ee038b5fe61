package kpi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/finding"
)

func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("WARDEN_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// syntheticHistory writes n events: agents at work (5 agents, 20 rules,
// 10% denied, 3% asked), a full scan every 100 events with findings that
// come and go, a release every 10,000 events.
func syntheticHistory(b *testing.B, path string, n int) {
	b.Helper()
	l, err := audit.Open(path, audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	agents := []string{"claude", "cursor", "gemini", "codex", "copilot"}
	kinds := []string{"exec", "read", "write", "fetch", "mcp"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]audit.Event, 0, 10000)
	flush := func() {
		if _, err := l.AppendBatch(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range n {
		at := start.Add(time.Duration(i) * 30 * time.Second)
		var e audit.Event
		if i%100 == 99 {
			var fs []audit.FindingRef
			for j := range 20 {
				id := (i/100)/5 + j*7 // each finding lives about 5 scans
				sev := finding.Severity(2 + id%4)
				r := audit.FindingRef{Rule: fmt.Sprintf("sast.rule-%d", id%30), Engine: "sast", Severity: sev, Fingerprint: fmt.Sprintf("%032x", id)}
				switch id % 10 {
				case 0:
					r.Engine, r.Rule = "secrets", "secrets.generic"
				case 1:
					r.Engine, r.Rule, r.Package, r.Version, r.Advisory = "deps", "deps.vulnerable", fmt.Sprintf("pkg%d", id%50), "1.0.0", fmt.Sprintf("GHSA-%d", id)
				}
				fs = append(fs, r)
			}
			rel := ""
			if i%10000 == 9999 {
				rel = fmt.Sprintf("v1.%d.0", i/10000)
			}
			e = audit.Event{Time: at, Kind: audit.KindScanGate, Repo: audit.Repo{Name: "acme/api", Commit: fmt.Sprintf("%040x", i/100), Release: rel},
				Scan: &audit.Scan{Scope: audit.ScopeFull}, Findings: fs, Decision: audit.DecisionFail}
		} else {
			d := audit.DecisionAllow
			switch {
			case i%10 == 3:
				d = audit.DecisionDeny
			case i%33 == 5:
				d = audit.DecisionAsk
			}
			e = audit.Event{Time: at, Kind: audit.KindAgentAction, Actor: audit.Actor{Agent: agents[i%5], Session: strconv.Itoa(i / 500)},
				Action: &audit.Action{Kind: kinds[i%5]}, Decision: d, Rules: []string{fmt.Sprintf("agent.rule-%d", i%20)}, Summary: "x"}
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}

var benchLog struct {
	path string
	n    int
}

func benchSetup(b *testing.B) (string, int) {
	n := benchEvents()
	if benchLog.path == "" || benchLog.n != n {
		dir, err := os.MkdirTemp("", "warden-kpi-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchLog.path, benchLog.n = filepath.Join(dir, "audit.jsonl"), n
		syntheticHistory(b, benchLog.path, n)
	}
	return benchLog.path, n
}

// BenchmarkIndexBuild indexes the whole log from scratch.
func BenchmarkIndexBuild(b *testing.B) {
	path, n := benchSetup(b)
	cpu0 := cpuTime()
	for b.Loop() {
		db := filepath.Join(b.TempDir(), "kpi.db")
		x, err := OpenIndex(db)
		if err != nil {
			b.Fatal(err)
		}
		if res, err := x.Update(context.Background(), path); err != nil || res.Added != n {
			b.Fatalf("%+v %v", res, err)
		}
		x.Close()
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n), "events")
}

// BenchmarkReport computes the whole report over an up-to-date index, as
// `warden report` does once the index has caught up.
func BenchmarkReport(b *testing.B) {
	path, n := benchSetup(b)
	x, err := OpenIndex(filepath.Join(b.TempDir(), "kpi.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	if _, err := x.Update(ctx, path); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := x.Update(ctx, path); err != nil {
			b.Fatal(err)
		}
		r, err := x.Report(ctx, Query{})
		if err != nil || r.Events != n {
			b.Fatalf("%v %d", err, r.Events)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n), "events")
}
