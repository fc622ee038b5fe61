// Package gitx is warden's adapter to git: it runs the git command to list
// the files of a work tree, the lines a diff adds, and the content staged in
// the index. The scan core never runs a process; it receives what this
// package finds as a scan.Source and a set of changed lines.
package gitx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/scan"
)

// ErrNotRepo is returned when dir is not inside a git work tree (or git is
// not installed).
var ErrNotRepo = errors.New("not a git work tree")

// Repo is a git work tree, seen from a directory inside it.
type Repo struct {
	// Dir is the directory commands run in; paths are relative to it.
	Dir string
	// Top is the work tree's root.
	Top string
	// Prefix is Dir relative to Top ("" or "sub/dir/").
	Prefix string
}

// Open finds the work tree that contains dir.
func Open(ctx context.Context, dir string) (*Repo, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, ErrNotRepo
	}
	out, err := run(ctx, dir, nil, "rev-parse", "--is-inside-work-tree", "--show-toplevel", "--show-prefix")
	if err != nil {
		return nil, ErrNotRepo
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) < 2 || lines[0] != "true" {
		return nil, ErrNotRepo
	}
	r := &Repo{Dir: dir, Top: lines[1]}
	if len(lines) > 2 {
		r.Prefix = lines[2]
	}
	return r, nil
}

// Files lists tracked files and untracked files git does not ignore,
// relative to r.Dir: git ls-files -co --exclude-standard.
func (r *Repo) Files(ctx context.Context) ([]string, error) {
	out, err := run(ctx, r.Dir, nil, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate")
	if err != nil {
		return nil, err
	}
	files := splitZ(out)
	sortStrings(files)
	return files, nil
}

// Untracked lists untracked, not ignored files relative to r.Dir.
func (r *Repo) Untracked(ctx context.Context) ([]string, error) {
	out, err := run(ctx, r.Dir, nil, "ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	return splitZ(out), nil
}

// Changes maps each changed file to the lines it adds or changes; a nil
// LineSet means every line (an untracked file).
type Changes map[string]scan.LineSet

// Lines implements the scan.Options.Lines contract.
func (c Changes) Lines(path string) (scan.LineSet, bool) {
	s, ok := c[path]
	return s, ok
}

// Paths lists the changed files in sorted order.
func (c Changes) Paths() []string {
	out := make([]string, 0, len(c))
	for p := range c {
		out = append(out, p)
	}
	sortStrings(out)
	return out
}

// DiffWorkTree returns the lines of the work tree that differ from rev,
// plus every untracked file, relative to r.Dir. rev must name a commit.
func (r *Repo) DiffWorkTree(ctx context.Context, rev string) (Changes, error) {
	if strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("invalid revision %q", rev)
	}
	if _, err := run(ctx, r.Dir, nil, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return nil, fmt.Errorf("unknown revision %q: %w", rev, err)
	}
	out, err := run(ctx, r.Dir, nil, "diff", "--src-prefix=a/", "--dst-prefix=b/", "--no-color", "--no-ext-diff", "--no-renames", "-U0", "--relative", "--diff-filter=AM", rev, "--")
	if err != nil {
		return nil, err
	}
	ch, err := ParseUnifiedDiff(out)
	if err != nil {
		return nil, err
	}
	untracked, err := r.Untracked(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range untracked {
		ch[p] = nil
	}
	return ch, nil
}

// DiffStaged returns the lines the index adds or changes relative to HEAD
// (all lines of every file when there is no commit yet), relative to r.Dir.
func (r *Repo) DiffStaged(ctx context.Context) (Changes, error) {
	args := []string{"diff", "--cached", "--src-prefix=a/", "--dst-prefix=b/", "--no-color", "--no-ext-diff", "--no-renames", "-U0", "--relative", "--diff-filter=AM"}
	if _, err := run(ctx, r.Dir, nil, "rev-parse", "--verify", "--quiet", "HEAD"); err != nil {
		// No commit yet: diff against the empty tree.
		args = append(args, "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
	}
	out, err := run(ctx, r.Dir, nil, append(args, "--")...)
	if err != nil {
		return nil, err
	}
	return ParseUnifiedDiff(out)
}

// ReadIndex reads the staged content of paths (relative to r.Dir) with one
// git cat-file process. Files larger than limit (> 0) are left out and
// returned in tooLarge.
func (r *Repo) ReadIndex(ctx context.Context, paths []string, limit int64) (content map[string][]byte, tooLarge []string, err error) {
	var in bytes.Buffer
	for _, p := range paths {
		if strings.ContainsAny(p, "\n") {
			return nil, nil, fmt.Errorf("path with a newline is not supported: %q", p)
		}
		fmt.Fprintf(&in, ":%s%s\n", r.Prefix, p)
	}
	cmd := exec.CommandContext(ctx, "git", "cat-file", "--batch")
	cmd.Dir = r.Dir
	cmd.Stdin = &in
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("git cat-file: %w", err)
	}
	content = map[string][]byte{}
	br := bufio.NewReader(stdout)
	for _, p := range paths {
		header, err := br.ReadString('\n')
		if err != nil {
			_ = cmd.Wait()
			return nil, nil, fmt.Errorf("git cat-file: reading %s: %w", p, err)
		}
		f := strings.Fields(header)
		if len(f) == 2 && f[1] == "missing" {
			continue
		}
		if len(f) != 3 {
			_ = cmd.Wait()
			return nil, nil, fmt.Errorf("git cat-file: unexpected header %q", header)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 {
			_ = cmd.Wait()
			return nil, nil, fmt.Errorf("git cat-file: unexpected header %q", header)
		}
		if limit > 0 && size > limit {
			if _, err := io.CopyN(io.Discard, br, size+1); err != nil {
				_ = cmd.Wait()
				return nil, nil, err
			}
			tooLarge = append(tooLarge, p)
			continue
		}
		buf := make([]byte, size+1)
		if _, err := io.ReadFull(br, buf); err != nil {
			_ = cmd.Wait()
			return nil, nil, fmt.Errorf("git cat-file: reading %s: %w", p, err)
		}
		if f[1] == "blob" {
			content[p] = buf[:size]
		}
	}
	if err := cmd.Wait(); err != nil {
		return nil, nil, fmt.Errorf("git cat-file: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return content, tooLarge, nil
}

func run(ctx context.Context, dir string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	// A user's configuration must not change what these commands print.
	cmd.Env = append(cmd.Environ(), "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("git %s: %w", args[0], err)
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}

func splitZ(b []byte) []string {
	var out []string
	for _, p := range bytes.Split(b, []byte{0}) {
		if len(p) > 0 {
			out = append(out, string(p))
		}
	}
	return out
}
