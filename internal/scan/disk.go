package scan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
)

// DiskSource scans a directory on disk. Symbolic links are never followed:
// a link is skipped and counted (what it points to inside the root is
// scanned under its own name; what lies outside is not warden's to read).
// On Linux each file is opened with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS), one system call that the kernel guarantees stays
// inside the root; elsewhere, or where openat2 is unavailable, through
// os.Root, which gives the same guarantee with more system calls.
type DiskSource struct {
	dir  string
	list []string
	root *os.Root
	fast *fastOpener // nil when openat2 is not available
}

// OpenDisk opens dir. list, when non-nil, is the exact set of candidate
// paths (from git); otherwise the tree is walked, honouring .gitignore.
// Close releases the directory handles.
func OpenDisk(dir string, list []string) (*DiskSource, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &DiskSource{dir: dir, list: list, root: root, fast: newFastOpener(dir)}, nil
}

// Close releases the source's directory handles.
func (d *DiskSource) Close() error {
	if d.fast != nil {
		d.fast.close()
	}
	return d.root.Close()
}

// Paths implements Source.
func (d *DiskSource) Paths(ctx context.Context, yield func(string) error) error {
	if d.list != nil {
		return (&FSSource{List: d.list}).Paths(ctx, yield)
	}
	return walkFS(ctx, os.DirFS(d.dir), yield)
}

// ReadFile implements Source.
func (d *DiskSource) ReadFile(name string, limit int64) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	if d.fast != nil {
		if f, err := d.fast.open(name); err != errFastUnavailable {
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return readOpened(f, name, limit)
		}
	}
	fi, err := d.root.Lstat(name)
	if err != nil {
		if isEscape(err) {
			return nil, fmt.Errorf("%s: %w", name, ErrSymlink)
		}
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrSymlink)
	}
	if !fi.Mode().IsRegular() {
		// Never open a FIFO or a device: opening one can block forever.
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	return readLimited(d.root.FS(), name, limit)
}
