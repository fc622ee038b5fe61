package scan_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/scan"
)

// noop wants every file and reports nothing: the pipeline's own cost.
type noop struct{}

func (noop) Name() string          { return "noop" }
func (noop) Rules() []finding.Rule { return nil }
func (noop) Scan(context.Context, scan.File, func(finding.Finding)) error {
	return nil
}

func benchRoot(b *testing.B) (*os.Root, string) {
	b.Helper()
	dir := filepath.Join(runtime.GOROOT(), "src")
	if d := os.Getenv("WARDEN_BENCH_DIR"); d != "" {
		dir = d
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		b.Fatalf("benchmark corpus: %v", err)
	}
	b.Cleanup(func() { r.Close() })
	return r, dir
}

// BenchmarkRun scans GOROOT/src (or $WARDEN_BENCH_DIR) with a no-op engine:
// walk, .gitignore, read, binary check, scheduling. Compare with
// BenchmarkReadAll, the same files read sequentially with no pipeline.
//
//	go test ./internal/scan -run '^$' -bench . -benchtime 3x
func BenchmarkRun(b *testing.B) {
	_, dir := benchRoot(b)
	src, err := scan.OpenDisk(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var bytes int64
	for b.Loop() {
		res, err := scan.Run(context.Background(), src, scan.Options{Engines: []scan.Engine{noop{}}})
		if err != nil {
			b.Fatal(err)
		}
		bytes = res.Stats.Bytes
	}
	b.SetBytes(bytes)
}

func BenchmarkReadAll(b *testing.B) {
	r, _ := benchRoot(b)
	fsys := r.FS()
	var total int64
	for b.Loop() {
		total = 0
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			data, err := fs.ReadFile(fsys, p)
			total += int64(len(data))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(total)
}
