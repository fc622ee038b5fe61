//go:build unix

package vulndb

import (
	"os"
	"syscall"
)

// mapFile maps the index read-only, so that a lookup reads its package's
// records straight from the page cache instead of with a pread each, and
// opening does not copy the package table.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, syscall.EINVAL
	}
	return syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmapFile(b []byte) error { return syscall.Munmap(b) }
