package deps

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/vulndb"
)

// benchInputs builds an index of records over npm packages and a v3
// package-lock.json with lock of them (a quarter at affected versions).
// The full-size run (200,000 records) is scripts/bench/deps.sh; the scan's
// cost depends on the lockfile, not on the database size.
func benchInputs(b *testing.B, records, packages, lock int) (*vulndb.DB, []byte) {
	bl := vulndb.NewBuilder("bench")
	for i := 0; i < records; i++ {
		r := i / packages
		rec := fmt.Sprintf(`{"id":"GHSA-%d","aliases":["CVE-2026-%d"],"modified":"2026-10-01T00:00:00Z","published":"2026-01-01T00:00:00Z","summary":"synthetic","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],"affected":[{"package":{"ecosystem":"npm","name":"bench-pkg-%06d"},"ranges":[{"type":"SEMVER","events":[{"introduced":"%d.0.0"},{"fixed":"%d.5.0"}]}]}]}`, i, i, i%packages, r, r)
		if err := bl.AddJSON("x", []byte(rec)); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	if _, err := bl.WriteDir(dir, time.Now()); err != nil {
		b.Fatal(err)
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	pk := map[string]any{"": map[string]any{"name": "app"}}
	for j := 0; j < lock; j++ {
		pk[fmt.Sprintf("node_modules/bench-pkg-%06d", j*(packages/lock))] = map[string]any{"version": fmt.Sprintf("%d.%d.0", j%2, j%20), "resolved": "https://registry.npmjs.org/x.tgz"}
	}
	lf, _ := json.MarshalIndent(map[string]any{"lockfileVersion": 3, "packages": pk}, "", "  ")
	return db, lf
}

// BenchmarkScanLockfile2000 scans a 2,000-package lockfile, warm (the
// index open, the OS cache hot), as one scan does after start-up.
func BenchmarkScanLockfile2000(b *testing.B) {
	db, lf := benchInputs(b, 40000, 20000, 2000)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		e := New(Options{DB: db, Typosquat: true})
		n = 0
		if err := e.Scan(context.Background(), scan.File{Path: "package-lock.json", Content: lf}, func(finding.Finding) { n++ }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "findings")
}

func BenchmarkParsePackageLock2000(b *testing.B) {
	_, lf := benchInputs(b, 1, 20000, 2000)
	b.SetBytes(int64(len(lf)))
	for b.Loop() {
		if _, err := parsePackageLock("package-lock.json", lf); err != nil {
			b.Fatal(err)
		}
	}
}
