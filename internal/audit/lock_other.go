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
