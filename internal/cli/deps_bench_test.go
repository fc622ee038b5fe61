package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScanDepsCLI runs `warden scan --engines deps --format json` in
// process on the data scripts/bench/deps.sh generates (a 2,000-package
// package-lock.json and an index of 200,000 OSV records): everything the
// process does after start-up, so that `-cpuprofile` shows the whole
// command. Point WARDEN_BENCH_DEPS at that directory, e.g.
//
//	WARDEN_BENCH_DEPS=~/.cache/warden-bench/deps-200000 go test -run '^$' \
//	  -bench ScanDepsCLI -cpuprofile cpu.prof ./internal/cli/
//
// Each iteration is a fresh command (policy, database open, parse, match,
// typosquat checks, report, audit event), as each process is.
func BenchmarkScanDepsCLI(b *testing.B) {
	dir := os.Getenv("WARDEN_BENCH_DEPS")
	if dir == "" {
		b.Fatal("set WARDEN_BENCH_DEPS to the directory scripts/bench/deps.sh generates (e.g. ~/.cache/warden-bench/deps-200000)")
	}
	repo := filepath.Join(dir, "repo")
	if _, err := os.Stat(filepath.Join(dir, "warden-db", "osv.idx")); err != nil {
		b.Fatalf("%v: run scripts/bench/deps.sh first", err)
	}
	// The scan's deps engine reads the process environment.
	b.Setenv("WARDEN_DB_DIR", filepath.Join(dir, "warden-db"))
	out := filepath.Join(b.TempDir(), "w.json")
	for _, audit := range []bool{true, false} {
		name := "audit"
		args := []string{"scan", "--engines", "deps", "--format", "json", "-o", out, repo}
		if !audit {
			name = "no-audit"
			args = append([]string{"scan", "--no-audit"}, args[1:]...)
		}
		b.Run(name, func(b *testing.B) {
			var errOut bytes.Buffer
			e := &Env{Stdin: bytes.NewReader(nil), Stdout: io.Discard, Stderr: &errOut, Dir: repo, Getenv: os.Getenv}
			for b.Loop() {
				errOut.Reset()
				if code := Main(context.Background(), args, e); code != ExitFail {
					b.Fatalf("exit %d (want 1, the gate fails on the vulnerabilities): %s", code, errOut.String())
				}
			}
		})
	}
}
