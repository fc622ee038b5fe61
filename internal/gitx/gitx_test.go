package gitx_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/gitx"
	"github.com/wardenhq/warden/internal/scan"
)

func lines(ls ...int) scan.LineSet {
	s := scan.LineSet{}
	for _, l := range ls {
		s[l] = struct{}{}
	}
	return s
}

func TestParseUnifiedDiff(t *testing.T) {
	diff := `diff --git a/a.go b/a.go
index 1111111..2222222 100644
--- a/a.go
+++ b/a.go
@@ -1,0 +2,2 @@ func main() {
+added one
+added two
@@ -10 +12 @@
-old
+new
@@ -20,3 +22,0 @@
-gone
-gone
-gone
diff --git a/new file.txt b/new file.txt
new file mode 100644
--- /dev/null
+++ b/new file.txt
@@ -0,0 +1 @@
+++ looks like a header but is content
diff --git "a/caf\303\251.txt" "b/caf\303\251.txt"
--- "a/caf\303\251.txt"
+++ "b/caf\303\251.txt"
@@ -1 +1 @@
-x
+y
\ No newline at end of file
diff --git a/deleted.txt b/deleted.txt
deleted file mode 100644
--- a/deleted.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
`
	got, err := gitx.ParseUnifiedDiff([]byte(diff))
	if err != nil {
		t.Fatal(err)
	}
	want := gitx.Changes{
		"a.go":         lines(2, 3, 12),
		"new file.txt": lines(1),
		"café.txt":     lines(1),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseUnifiedDiffErrors(t *testing.T) {
	for _, d := range []string{
		"+++ b/x\n@@ -1 +1\n",                // unterminated header
		"+++ b/x\n@@ -a +1 @@\n",             // not a number
		"+++ b/x\n@@ -1 +1,99999999999 @@\n", // absurd count
		"+++ b/x\n@@ -1,2 +1,2 @@\n+a\nnot a hunk line\n",
		"+++ \"b/unterminated\n",
	} {
		if _, err := gitx.ParseUnifiedDiff([]byte(d)); err == nil {
			t.Errorf("ParseUnifiedDiff(%q) succeeded", d)
		}
	}
}

func FuzzParseUnifiedDiff(f *testing.F) {
	f.Add([]byte("+++ b/a\n@@ -1 +1,2 @@\n+x\n+y\n"))
	f.Add([]byte("+++ \"b/\\303\\251\"\n@@ -0,0 +1 @@\n+++ x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ch, err := gitx.ParseUnifiedDiff(data)
		if err != nil {
			return
		}
		for p, set := range ch {
			for l := range set {
				if l < 0 {
					t.Errorf("%s: negative line %d", p, l)
				}
			}
		}
	})
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRepo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required (scripts/test-deps installs it)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, dir, ".gitignore", "*.log\n")
	write(t, dir, "a.txt", "1\n2\n3\n")
	write(t, dir, "sub/b.txt", "b\n")
	write(t, dir, "sub/with space.txt", "s\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "base")

	if _, err := gitx.Open(ctx, t.TempDir()); err != gitx.ErrNotRepo {
		t.Errorf("Open outside a repo: %v, want ErrNotRepo", err)
	}
	repo, err := gitx.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}

	write(t, dir, "untracked.txt", "u\n")
	write(t, dir, "ignored.log", "i\n")
	files, err := repo.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{".gitignore", "a.txt", "sub/b.txt", "sub/with space.txt", "untracked.txt"}, files); d != "" {
		t.Errorf("Files (-want +got):\n%s", d)
	}

	// Work tree against HEAD: changed lines plus untracked files (nil: all lines).
	write(t, dir, "a.txt", "1\nTWO\n3\n4\n")
	ch, err := repo.DiffWorkTree(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(gitx.Changes{"a.txt": lines(2, 4), "untracked.txt": nil}, ch); d != "" {
		t.Errorf("DiffWorkTree (-want +got):\n%s", d)
	}
	if _, err := repo.DiffWorkTree(ctx, "nope"); err == nil || !strings.Contains(err.Error(), `unknown revision "nope"`) {
		t.Errorf("unknown rev: %v", err)
	}
	if _, err := repo.DiffWorkTree(ctx, "--output=/tmp/x"); err == nil {
		t.Error("a revision that looks like an option was accepted")
	}

	// Staged: the index, not the work tree.
	write(t, dir, "sub/with space.txt", "s\nstaged\n")
	git(t, dir, "add", "sub/with space.txt")
	write(t, dir, "sub/with space.txt", "s\nwork tree only\n")
	sub, err := gitx.Open(ctx, filepath.Join(dir, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if sub.Prefix != "sub/" {
		t.Errorf("Prefix = %q", sub.Prefix)
	}
	ch, err = sub.DiffStaged(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(gitx.Changes{"with space.txt": lines(2)}, ch); d != "" {
		t.Errorf("DiffStaged (-want +got):\n%s", d)
	}
	content, tooLarge, err := sub.ReadIndex(ctx, []string{"with space.txt", "b.txt", "missing.txt"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string][]byte{"b.txt": []byte("b\n")}, content); d != "" {
		t.Errorf("ReadIndex content (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"with space.txt"}, tooLarge); d != "" {
		t.Errorf("ReadIndex tooLarge (-want +got):\n%s", d)
	}
	content, _, err = sub.ReadIndex(ctx, []string{"with space.txt"}, 0)
	if err != nil || string(content["with space.txt"]) != "s\nstaged\n" {
		t.Errorf("ReadIndex = %q, %v; want the staged content", content, err)
	}
}

func TestDiffStagedWithoutCommits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	write(t, dir, "first.txt", "a\nb\n")
	git(t, dir, "add", ".")
	repo, err := gitx.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := repo.DiffStaged(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(gitx.Changes{"first.txt": lines(1, 2)}, ch); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
