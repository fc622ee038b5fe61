//go:build !unix

package hookrpc

import (
	"errors"
	"time"
)

var errTimeout = errors.New("timed out")

type sockFile struct{}

func (*sockFile) Read([]byte) (int, error)  { return 0, errors.ErrUnsupported }
func (*sockFile) Write([]byte) (int, error) { return 0, errors.ErrUnsupported }
func (*sockFile) Close() error              { return nil }

// dial: no guard server on this system; warden-hook runs `warden hook`.
func dial(string, time.Duration) (*sockFile, error) { return nil, errors.ErrUnsupported }
