package gitx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/finding"
)

// Patch is what one commit added to one file: the added lines, joined by
// newlines, and for each of them its line number in the file at that
// commit. Secrets that were committed and later deleted are still in some
// commit's Patch.
type Patch struct {
	Commit finding.Commit
	Path   string
	// Content holds the added lines, each ending in "\n".
	Content []byte
	// Lines[i] is the file line number of Content's line i+1.
	Lines []int
}

// historyFormat starts each commit with a NUL-separated header line that
// no diff line can look like (diff lines never start with NUL).
const historyFormat = "--format=%x00%H%x00%an%x00%ae%x00%aI"

// maxPatchLine bounds one diff line; longer lines (minified bundles,
// inline data) are cut, which keeps memory bounded.
const maxPatchLine = 1 << 20

// History streams every commit reachable from any ref (git log --all),
// newest first, calling fn with each file's added lines. Merge commits
// are not diffed (their changes are in the commits they merge); binary
// files are skipped. fn's error stops the walk and is returned.
func (r *Repo) History(ctx context.Context, fn func(Patch) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "log", "--all", "-p", "-U0", "--no-color", "--no-ext-diff",
		"--no-textconv", "--no-renames", "--full-history", historyFormat)
	cmd.Dir = r.Dir
	cmd.Env = append(cmd.Environ(), "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git log: %w", err)
	}
	perr := ParseHistory(out, fn)
	if perr != nil {
		cancel()
		_ = cmd.Wait()
		return perr
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "does not have any commits") || strings.Contains(msg, "bad default revision") {
			return nil // an empty repository has no history
		}
		return fmt.Errorf("git log: %s", msg)
	}
	return nil
}

// ParseHistory reads `git log -p -U0` output in historyFormat and calls
// fn for each file of each commit that adds lines.
func ParseHistory(r io.Reader, fn func(Patch) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		commit  finding.Commit
		haveCmt bool
		cur     *Patch
		newLine int
		inHunk  bool
	)
	flush := func() error {
		if cur != nil && len(cur.Lines) > 0 {
			if err := fn(*cur); err != nil {
				return err
			}
		}
		cur = nil
		return nil
	}
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			switch {
			case line[0] == 0:
				if err := flush(); err != nil {
					return err
				}
				c, perr := parseCommitHeader(line)
				if perr != nil {
					return perr
				}
				commit, haveCmt, inHunk = c, true, false
			case bytes.HasPrefix(line, []byte("diff --git ")):
				if err := flush(); err != nil {
					return err
				}
				inHunk = false
			case bytes.HasPrefix(line, []byte("+++ ")) && !inHunk:
				name := string(line[4:])
				if name == "/dev/null" {
					break // a deletion adds nothing
				}
				p, uerr := unquote(name)
				if uerr != nil {
					return uerr
				}
				if !haveCmt {
					return fmt.Errorf("git log output: a diff before any commit header")
				}
				cur = &Patch{Commit: commit, Path: strings.TrimPrefix(p, "b/")}
			case bytes.HasPrefix(line, []byte("@@ ")):
				n, herr := hunkNewStart(string(line))
				if herr != nil {
					return herr
				}
				newLine, inHunk = n, true
			case inHunk && cur != nil && line[0] == '+':
				cur.Content = append(cur.Content, line[1:]...)
				cur.Content = append(cur.Content, '\n')
				cur.Lines = append(cur.Lines, newLine)
				newLine++
			case inHunk && line[0] == ' ':
				newLine++ // context (absent with -U0, but harmless)
			}
		}
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns the next line without its newline, cut at
// maxPatchLine bytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line) < maxPatchLine {
			line = append(line, chunk[:min(len(chunk), maxPatchLine-len(line))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if err == nil && len(line) == 0 {
			line = []byte{'\n'} // an empty line: not a header, not an addition
		}
		return line, err
	}
}

// hunkNewStart reads c from "@@ -a[,b] +c[,d] @@". Unlike the work-tree
// diff, history has no limit on a hunk's size: a commit may add a huge
// file, and its lines stream through without being held as a set.
func hunkNewStart(s string) (int, error) {
	rest := strings.TrimPrefix(s, "@@ ")
	end := strings.Index(rest, " @@")
	fields := strings.Fields(rest[:max(end, 0)])
	if end < 0 || len(fields) != 2 || !strings.HasPrefix(fields[1], "+") {
		return 0, fmt.Errorf("git log output: malformed hunk header %q", s)
	}
	start, _, err := parseRange(fields[1][1:])
	if err != nil {
		return 0, fmt.Errorf("git log output: malformed hunk header %q", s)
	}
	return start, nil
}

func parseCommitHeader(line []byte) (finding.Commit, error) {
	f := strings.Split(string(line[1:]), "\x00")
	if len(f) != 4 || len(f[0]) < 7 {
		return finding.Commit{}, fmt.Errorf("git log output: malformed commit header")
	}
	date, err := time.Parse(time.RFC3339, f[3])
	if err != nil {
		return finding.Commit{}, fmt.Errorf("git log output: commit %s: bad date %q", f[0], f[3])
	}
	return finding.Commit{Hash: f[0], Author: f[1], Email: f[2], Date: date.UTC()}, nil
}
