//go:build unix

package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/scan"
)

func TestDiskSourceNeverFollowsSymlinks(t *testing.T) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	outside := t.TempDir()
	must(os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("TODO outside\n"), 0o644))
	root := t.TempDir()
	must(os.WriteFile(filepath.Join(root, "in.txt"), []byte("TODO inside\n"), 0o644))
	must(os.Mkdir(filepath.Join(root, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(root, "sub", "deep.txt"), []byte("TODO deep\n"), 0o644))
	must(os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "escape.txt")))
	must(os.Symlink(outside, filepath.Join(root, "escapedir")))
	must(os.Symlink("in.txt", filepath.Join(root, "alias.txt")))
	must(os.Symlink("sub", filepath.Join(root, "subalias")))
	must(syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))

	for _, list := range [][]string{
		nil, // walk
		{"in.txt", "escape.txt", "escapedir/secret.txt", "alias.txt", "subalias/deep.txt", "sub/deep.txt", "fifo", "../outside.txt"},
	} {
		src, err := scan.OpenDisk(root, list)
		must(err)
		res, err := scan.Run(context.Background(), src, scan.Options{Engines: []scan.Engine{&wordEngine{name: "w", word: "TODO"}}})
		must(err)
		must(src.Close())
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Path+": "+f.Snippet)
		}
		if d := cmp.Diff([]string{"in.txt: TODO inside", "sub/deep.txt: TODO deep"}, got); d != "" {
			t.Errorf("list %v: findings (-want +got):\n%s", list, d)
		}
		if res.Stats.Skipped[scan.SkipSymlink] < 2 {
			t.Errorf("list %v: symlinks not counted: %+v", list, res.Stats)
		}
	}
}
