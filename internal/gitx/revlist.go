package gitx

import (
	"context"
	"fmt"
	"strings"
)

// RevList lists the full hashes of the commits in a range ("v1.0..v1.1",
// "main~20..HEAD", or a single revision for its whole history), newest
// first: git rev-list RANGE.
func (r *Repo) RevList(ctx context.Context, spec string) ([]string, error) {
	if spec == "" || strings.HasPrefix(spec, "-") {
		return nil, fmt.Errorf("invalid commit range %q (example: v1.2.0..v1.3.0)", spec)
	}
	out, err := run(ctx, r.Dir, nil, "rev-list", spec, "--")
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}
