package gitx

import (
	"context"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHead(t *testing.T) {
	const hash = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		in   string
		want Head
	}{
		{hash + "\x00HEAD -> main, tag: v1.2.0, origin/main", Head{Commit: hash, Ref: "refs/heads/main", Tag: "v1.2.0"}},
		{hash + "\x00HEAD, tag: v2", Head{Commit: hash, Tag: "v2"}},
		{hash + "\x00", Head{Commit: hash}},
	}
	for _, tt := range tests {
		got, err := parseHead(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
	if _, err := parseHead("garbage"); err == nil {
		t.Error("parseHead accepted garbage")
	}
}

func TestHeadOfARealRepository(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init", "-q", "-b", "trunk"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "one"},
		{"tag", "v0.1.0"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	r, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := r.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h.Ref != "refs/heads/trunk" || h.Tag != "v0.1.0" || len(h.Commit) != 40 {
		t.Errorf("Head = %+v", h)
	}
}
