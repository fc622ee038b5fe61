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
