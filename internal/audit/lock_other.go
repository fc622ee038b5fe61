//go:build !unix

package audit

import (
	"errors"
	"os"
)

// On systems without flock the log refuses to append rather than risk
// interleaved writes: fail closed.
func lockFile(*os.File) error {
	return errors.New("audit log locking is not supported on this system")
}

func unlockFile(*os.File) error { return nil }

func tryLockFile(*os.File) (bool, error) {
	return false, errors.New("audit log locking is not supported on this system")
}

func lockShared(*os.File) error {
	return errors.New("audit log locking is not supported on this system")
}

func fileIno(os.FileInfo) uint64 { return 0 }

func fileLinks(os.FileInfo) uint64 { return 1 }

func mapFlagPage(*os.File) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapFlagPage([]byte) error { return nil }
