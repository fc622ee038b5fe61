package audit

import (
	"os"
	"syscall"
)

// punchHoles: on Linux the sealer frees the sealed part of the journal by
// punching a hole in it (fallocate), so the journal is never removed and
// appenders write to it without any lock.
const punchHoles = true

const (
	fallocKeepSize  = 0x1 // FALLOC_FL_KEEP_SIZE
	fallocPunchHole = 0x2 // FALLOC_FL_PUNCH_HOLE
)

// punchHole frees the disk blocks of f's bytes [off, end) without changing
// its size or any other byte's offset.
func punchHole(f *os.File, off, end int64) error {
	for {
		err := syscall.Fallocate(int(f.Fd()), fallocPunchHole|fallocKeepSize, off, end-off)
		if err != syscall.EINTR {
			return err
		}
	}
}

// seekData returns the first offset at or after off that is not in a hole
// (-1: none).
func seekData(f *os.File, off int64) (int64, error) {
	const seekData = 3 // SEEK_DATA
	n, err := syscall.Seek(int(f.Fd()), off, seekData)
	if err == syscall.ENXIO {
		return -1, nil
	}
	return n, err
}
