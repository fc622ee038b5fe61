package gitx_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/gitx"
)

func TestParseHistory(t *testing.T) {
	log := "\x00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\x00Ann Author\x00ann@example.com\x002024-05-01T10:00:00+02:00\n" +
		"\n" +
		"diff --git a/config/app.env b/config/app.env\n" +
		"index 1111111..2222222 100644\n" +
		"--- a/config/app.env\n" +
		"+++ b/config/app.env\n" +
		"@@ -3,0 +4,2 @@ HOST=x\n" +
		"+TOKEN=abc\n" +
		"++++ not a header\n" +
		"@@ -10 +12 @@\n" +
		"-old\n" +
		"+new\n" +
		"diff --git a/gone.txt b/gone.txt\n" +
		"deleted file mode 100644\n" +
		"--- a/gone.txt\n" +
		"+++ /dev/null\n" +
		"@@ -1 +0,0 @@\n" +
		"-bye\n" +
		"diff --git a/img.png b/img.png\n" +
		"Binary files /dev/null and b/img.png differ\n" +
		"\x00bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\x00Bo\x00bo@example.com\x002024-04-01T00:00:00Z\n" +
		"diff --git \"a/sp ace\\tx\" \"b/sp ace\\tx\"\n" +
		"--- /dev/null\n" +
		"+++ \"b/sp ace\\tx\"\n" +
		"@@ -0,0 +1 @@\n" +
		"+first\n"
	var got []gitx.Patch
	err := gitx.ParseHistory(strings.NewReader(log), func(p gitx.Patch) error {
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ann := finding.Commit{Hash: strings.Repeat("a", 40), Author: "Ann Author", Email: "ann@example.com", Date: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)}
	bo := finding.Commit{Hash: strings.Repeat("b", 40), Author: "Bo", Email: "bo@example.com", Date: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)}
	want := []gitx.Patch{
		{Commit: ann, Path: "config/app.env", Content: []byte("TOKEN=abc\n+++ not a header\nnew\n"), Lines: []int{4, 5, 12}},
		{Commit: bo, Path: "sp ace\tx", Content: []byte("first\n"), Lines: []int{1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseHistory (-want +got):\n%s", diff)
	}
}

func TestParseHistoryErrors(t *testing.T) {
	for _, in := range []string{
		"\x00short\x00a\x00b\x00c\n",
		"\x00" + strings.Repeat("a", 40) + "\x00a\x00b\x00yesterday\n",
		"+++ b/x\n",
		"\x00" + strings.Repeat("a", 40) + "\x00a\x00b\x002024-01-01T00:00:00Z\ndiff --git a/x b/x\n+++ b/x\n@@ nonsense\n",
	} {
		if err := gitx.ParseHistory(strings.NewReader(in), func(gitx.Patch) error { return nil }); err == nil {
			t.Errorf("gitx.ParseHistory(%q) = nil error", in)
		}
	}
}

func FuzzParseHistory(f *testing.F) {
	f.Add([]byte("\x00" + strings.Repeat("a", 40) + "\x00a\x00b\x002024-01-01T00:00:00Z\ndiff --git a/x b/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+a\n+b\n"))
	f.Add([]byte("+++ \"b/\\303\"\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = gitx.ParseHistory(strings.NewReader(string(in)), func(p gitx.Patch) error {
			if strings.Count(string(p.Content), "\n") != len(p.Lines) {
				t.Fatalf("%d lines of content, %d line numbers", strings.Count(string(p.Content), "\n"), len(p.Lines))
			}
			return nil
		})
	})
}

func TestHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required (scripts/test-deps installs it)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, dir, "a.txt", "one\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "first")
	write(t, dir, "a.txt", "one\nsecret-line\n")
	git(t, dir, "commit", "-q", "-am", "add")
	write(t, dir, "a.txt", "one\n")
	git(t, dir, "commit", "-q", "-am", "remove")
	r, err := gitx.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := r.History(ctx, func(p gitx.Patch) error {
		got = append(got, p.Path+":"+strings.TrimSpace(string(p.Content))+":"+p.Commit.Author)
		if len(p.Commit.Hash) != 40 || p.Commit.Date.IsZero() {
			t.Errorf("commit = %+v", p.Commit)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.txt:secret-line:t", "a.txt:one:t"}, got); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
	empty := t.TempDir()
	git(t, empty, "init", "-q")
	re, err := gitx.Open(ctx, empty)
	if err != nil {
		t.Fatal(err)
	}
	if err := re.History(ctx, func(gitx.Patch) error { t.Error("patch in an empty repository"); return nil }); err != nil {
		t.Errorf("empty repository: %v", err)
	}
}
