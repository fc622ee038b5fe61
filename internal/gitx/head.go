package gitx

import (
	"context"
	"fmt"
	"strings"
)

// Head is where a work tree's HEAD is.
type Head struct {
	Commit string // full hash
	Ref    string // "refs/heads/main"; empty when detached
	Tag    string // a tag pointing at HEAD ("v1.2.0"), if any
}

// Head reads HEAD's commit, branch and tag in one git call. It fails in a
// repository without commits.
func (r *Repo) Head(ctx context.Context) (Head, error) {
	out, err := run(ctx, r.Dir, nil, "log", "-1", "--format=%H%x00%D", "HEAD", "--")
	if err != nil {
		return Head{}, err
	}
	return parseHead(strings.TrimRight(string(out), "\n"))
}

// parseHead reads "HASH\x00HEAD -> main, tag: v1.2.0, origin/main".
func parseHead(s string) (Head, error) {
	hash, decorations, ok := strings.Cut(s, "\x00")
	if !ok || len(hash) < 40 {
		return Head{}, fmt.Errorf("unexpected git log output %q", s)
	}
	h := Head{Commit: hash}
	for _, d := range strings.Split(decorations, ", ") {
		switch {
		case strings.HasPrefix(d, "HEAD -> "):
			h.Ref = "refs/heads/" + strings.TrimPrefix(d, "HEAD -> ")
		case strings.HasPrefix(d, "tag: ") && h.Tag == "":
			h.Tag = strings.TrimPrefix(d, "tag: ")
		}
	}
	return h, nil
}
