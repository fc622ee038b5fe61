package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// A Source says which files a scan covers and reads them. The pipeline asks
// it for candidate paths, filters them (excludes, ignore files, engines'
// PathFilters) and reads only the files some engine wants, each once.
//
// Adapters provide sources backed by git (tracked and untracked files, the
// index, a diff); this package provides a walk over an fs.FS and a source
// over an explicit list of paths, so the core never runs a process.
type Source interface {
	// Paths calls yield with every candidate file, slash-separated and
	// relative to the scan root, in any order. It stops and returns the
	// error when yield returns one.
	Paths(ctx context.Context, yield func(path string) error) error
	// ReadFile returns the content of path. It returns an error wrapping
	// ErrTooLarge when the file has more than limit bytes (limit <= 0: no
	// limit) and one wrapping ErrNotRegular for a directory, device or a
	// symlink that leads outside the root.
	ReadFile(path string, limit int64) ([]byte, error)
}

// Errors a Source reports for files the pipeline skips and counts rather than
// failing on.
var (
	ErrTooLarge   = errors.New("file larger than the size limit")
	ErrNotRegular = errors.New("not a regular file inside the root")
	ErrSymlink    = errors.New("a symbolic link (not followed)")
)

// FSSource reads files from an fs.FS: in-memory trees, archives, tests. For
// a directory on disk use DiskSource, which never follows a symlink. List
// gives the candidates when set; otherwise the tree is walked, honouring
// .gitignore files (without git, the walk is the only way to know what git
// would ignore).
type FSSource struct {
	FS fs.FS
	// List, when non-nil, is the exact set of candidate paths (from git
	// ls-files, a diff, --stdin-filename).
	List []string
}

// Paths implements Source.
func (s *FSSource) Paths(ctx context.Context, yield func(string) error) error {
	if s.List != nil {
		for _, p := range s.List {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := yield(p); err != nil {
				return err
			}
		}
		return nil
	}
	return walkFS(ctx, s.FS, yield)
}

// ReadFile implements Source.
func (s *FSSource) ReadFile(name string, limit int64) ([]byte, error) {
	return readLimited(s.FS, name, limit)
}

func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		if isEscape(err) {
			return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
		}
		return nil, err
	}
	defer f.Close()
	return readOpened(f, name, limit)
}

// readOpened reads an open file, refusing one that is not regular or is
// larger than limit.
func readOpened(f fs.File, name string, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	if limit > 0 && fi.Size() > limit {
		return nil, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	// Size+1 so a file that grew since Stat is caught by the limit check
	// and a read of exactly Size bytes needs no second allocation.
	n := fi.Size()
	if limit > 0 && n > limit {
		n = limit
	}
	buf := make([]byte, 0, n+1)
	r := io.Reader(f)
	if limit > 0 {
		r = io.LimitReader(f, limit+1)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if limit > 0 && int64(len(buf)) > limit {
		return nil, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	return buf, nil
}

// isEscape recognizes os.Root's refusal to follow a path out of the root.
func isEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// walkFS walks fsys in lexical order, skipping .git directories, never
// descending through symlinks, and honouring every .gitignore on the way.
func walkFS(ctx context.Context, fsys fs.FS, yield func(string) error) error {
	var walk func(dir string, ign *Ignore) error
	walk = func(dir string, ign *Ignore) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if data, err := fs.ReadFile(fsys, path.Join(dir, ".gitignore")); err == nil {
			ign = ign.With(dir, data)
		}
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			p := name
			if dir != "." {
				p = dir + "/" + name
			}
			if e.IsDir() {
				if name == ".git" || ign.Match(p, true) {
					continue
				}
				if err := walk(p, ign); err != nil {
					return err
				}
				continue
			}
			if t := e.Type(); !t.IsRegular() && t&fs.ModeSymlink == 0 {
				continue // FIFOs, sockets, devices: not files to scan
			}
			if ign.Match(p, false) {
				continue
			}
			if err := yield(p); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(".", nil)
}

// MapSource is an in-memory Source (stdin, tests, index content read by an
// adapter). Paths are yielded in sorted order.
type MapSource map[string][]byte

// Paths implements Source.
func (m MapSource) Paths(ctx context.Context, yield func(string) error) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := yield(k); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile implements Source.
func (m MapSource) ReadFile(name string, limit int64) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	return b, nil
}
