//go:build !linux

package scan

import (
	"errors"
	"os"
)

var errFastUnavailable = errors.New("openat2 unavailable")

type fastOpener struct{}

func newFastOpener(string) *fastOpener { return nil }

func (*fastOpener) close() {}

func (*fastOpener) open(string) (*os.File, error) { return nil, errFastUnavailable }
