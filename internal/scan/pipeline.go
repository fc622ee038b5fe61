package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/sync/errgroup"

	"github.com/wardenhq/warden/internal/finding"
)

// Options configures one scan.
type Options struct {
	Engines []Engine
	// MaxFileSize: larger files are skipped and counted (<= 0: no limit).
	MaxFileSize int64
	// Exclude: doublestar globs of paths never scanned (policy gates.exclude).
	Exclude []string
	// Ignore: further gitignore-style patterns (.wardenignore).
	Ignore *Ignore
	// Workers bounds parallelism; <= 0 means GOMAXPROCS.
	Workers int
	// Lines, when set, keeps only findings that touch the changed lines of
	// a file (--diff, --staged): ok false means the file did not change
	// (it is not read); a nil set means all of it is new. Finisher findings
	// without a line are kept when their path changed.
	Lines func(path string) (set LineSet, ok bool)
	// Logger receives debug records about skipped files (never content).
	Logger *slog.Logger
	// Progress, when set, is updated as files complete.
	Progress *Progress
}

// LineSet is a set of 1-based line numbers.
type LineSet map[int]struct{}

// Touches reports whether any line in [start, end] is in the set (end < start
// is read as end = start).
func (s LineSet) Touches(start, end int) bool {
	if end < start {
		end = start
	}
	for l := start; l <= end; l++ {
		if _, ok := s[l]; ok {
			return true
		}
	}
	return false
}

// Progress counts files as a scan goes, for a progress bar. It is safe to
// read while the scan runs.
type Progress struct {
	Found atomic.Int64 // candidate paths seen so far
	Done  atomic.Int64 // paths finished (scanned or skipped)
	Bytes atomic.Int64 // bytes read
}

// SkipReason says why a file was not scanned.
type SkipReason string

const (
	SkipTooLarge   SkipReason = "too_large"
	SkipBinary     SkipReason = "binary"
	SkipNotRegular SkipReason = "not_regular"
	SkipSymlink    SkipReason = "symlink"
	SkipUnreadable SkipReason = "unreadable"
)

// Stats counts what a scan did.
type Stats struct {
	// Files is the number of files read and handed to engines.
	Files int `json:"files"`
	// Bytes is their total size.
	Bytes int64 `json:"bytes"`
	// Excluded counts paths dropped by excludes, ignore files or because no
	// engine wanted them.
	Excluded int `json:"excluded"`
	// Skipped counts files not scanned, by reason.
	Skipped map[SkipReason]int `json:"skipped,omitempty"`
}

// Result is what a scan found.
type Result struct {
	// Findings in finding.Less order, fingerprints unique per file.
	Findings []finding.Finding
	Stats    Stats
}

type fileResult struct {
	findings []finding.Finding
	skip     SkipReason
	bytes    int64
	excluded bool
}

// Run scans every file src yields with every engine that wants it. Each file
// is read once, engines run in parallel (bounded by Workers) and the result
// does not depend on scheduling. Run returns ctx's error promptly when ctx
// is cancelled.
func Run(ctx context.Context, src Source, opts Options) (*Result, error) {
	for _, p := range opts.Exclude {
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("invalid exclude pattern %q", p)
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers + 1) // the producer below takes one slot

	var (
		mu      sync.Mutex
		results []*fileResult // slotted by discovery order
	)
	g.Go(func() error {
		return src.Paths(gctx, func(p string) error {
			if opts.Progress != nil {
				opts.Progress.Found.Add(1)
			}
			res := &fileResult{}
			mu.Lock()
			results = append(results, res)
			mu.Unlock()
			g.Go(func() error {
				defer func() {
					if opts.Progress != nil {
						opts.Progress.Done.Add(1)
					}
				}()
				return scanOne(gctx, src, p, &opts, log, res)
			})
			return gctx.Err()
		})
	})
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}

	out := &Result{Stats: Stats{Skipped: map[SkipReason]int{}}}
	for _, r := range results {
		switch {
		case r.excluded:
			out.Stats.Excluded++
		case r.skip != "":
			out.Stats.Skipped[r.skip]++
		default:
			out.Stats.Files++
			out.Stats.Bytes += r.bytes
		}
		out.Findings = append(out.Findings, r.findings...)
	}

	for _, e := range opts.Engines {
		fin, ok := e.(Finisher)
		if !ok {
			continue
		}
		var got []finding.Finding
		err := fin.Finish(ctx, func(f finding.Finding) { got = append(got, normalize(e, f)) })
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("engine %s: %w", e.Name(), err)
		}
		if opts.Lines != nil {
			got = slices.DeleteFunc(got, func(f finding.Finding) bool {
				ls, ok := opts.Lines(f.Path)
				if !ok {
					return true
				}
				return ls != nil && f.StartLine > 0 && !ls.Touches(f.StartLine, f.EndLine)
			})
		}
		out.Findings = append(out.Findings, got...)
	}
	out.Findings = Order(out.Findings)
	return out, nil
}

func scanOne(ctx context.Context, src Source, p string, opts *Options, log *slog.Logger, res *fileResult) error {
	if excluded(p, opts) {
		res.excluded = true
		return nil
	}
	var wanted []Engine
	for _, e := range opts.Engines {
		if pf, ok := e.(PathFilter); ok && !pf.Wants(p) {
			continue
		}
		wanted = append(wanted, e)
	}
	var lines LineSet
	if opts.Lines != nil {
		var ok bool
		if lines, ok = opts.Lines(p); !ok {
			res.excluded = true
			return nil
		}
	}
	if len(wanted) == 0 {
		res.excluded = true
		return nil
	}
	content, err := src.ReadFile(p, opts.MaxFileSize)
	switch {
	case errors.Is(err, ErrTooLarge):
		res.skip = SkipTooLarge
		log.Debug("skipped file", "path", p, "reason", res.skip)
		return nil
	case errors.Is(err, ErrSymlink):
		res.skip = SkipSymlink
		log.Debug("skipped file", "path", p, "reason", res.skip)
		return nil
	case errors.Is(err, ErrNotRegular):
		res.skip = SkipNotRegular
		log.Debug("skipped file", "path", p, "reason", res.skip)
		return nil
	case errors.Is(err, fs.ErrNotExist):
		// Listed by git but deleted in the work tree: nothing to scan.
		res.excluded = true
		return nil
	case errors.Is(err, fs.ErrPermission):
		res.skip = SkipUnreadable
		log.Debug("skipped file", "path", p, "reason", res.skip, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("read %s: %w", p, err)
	}
	if IsBinary(content) {
		res.skip = SkipBinary
		return nil
	}
	res.bytes = int64(len(content))
	if opts.Progress != nil {
		opts.Progress.Bytes.Add(res.bytes)
	}
	f := File{Path: p, Content: content}
	for _, e := range wanted {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := e.Scan(ctx, f, func(fd finding.Finding) {
			fd = normalize(e, fd)
			if fd.Path == "" {
				fd.Path = p
			}
			if lines != nil && !lines.Touches(fd.StartLine, fd.EndLine) {
				return
			}
			res.findings = append(res.findings, fd)
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("engine %s on %s: %w", e.Name(), p, err)
		}
	}
	return nil
}

func excluded(p string, opts *Options) bool {
	for _, pat := range opts.Exclude {
		if ok, _ := doublestar.Match(pat, p); ok {
			return true
		}
		// A pattern naming a directory excludes what is inside it.
		if ok, _ := doublestar.Match(pat+"/**", p); ok {
			return true
		}
	}
	return opts.Ignore.MatchPath(p)
}

func normalize(e Engine, f finding.Finding) finding.Finding {
	if f.Engine == "" {
		f.Engine = e.Name()
	}
	return f
}

// IsBinary reports whether content looks like a binary file: a NUL byte in
// its first 8000 bytes, as git decides.
func IsBinary(content []byte) bool {
	head := content
	if len(head) > 8000 {
		head = head[:8000]
	}
	return bytes.IndexByte(head, 0) >= 0
}

// Order sorts findings with finding.Less and makes fingerprints unique per
// file: when one file holds several findings with the same fingerprint (the
// same secret pasted twice), the second gets "-2", the third "-3", in
// position order, so each can be baselined on its own.
func Order(fs []finding.Finding) []finding.Finding {
	for i := range fs {
		if fs[i].Fingerprint == "" {
			fs[i].Fingerprint = finding.Fingerprint(fs[i].RuleID, fs[i].Path, fs[i].Snippet)
		}
	}
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		switch {
		case finding.Less(a, b):
			return -1
		case finding.Less(b, a):
			return 1
		}
		return 0
	})
	seen := map[[2]string]int{}
	for i := range fs {
		k := [2]string{fs[i].Path, fs[i].Fingerprint}
		seen[k]++
		if n := seen[k]; n > 1 {
			fs[i].Fingerprint += "-" + strconv.Itoa(n)
		}
	}
	return fs
}
