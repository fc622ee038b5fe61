//go:build !unix

package vulndb

import (
	"errors"
	"os"
)

// mapFile is not available here: the index is read with ReadAt.
func mapFile(*os.File, int64) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapFile([]byte) error { return nil }
