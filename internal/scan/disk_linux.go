package scan

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

var errFastUnavailable = errors.New("openat2 unavailable")

type fastOpener struct {
	dirfd    int
	disabled atomic.Bool
}

func newFastOpener(dir string) *fastOpener {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	return &fastOpener{dirfd: fd}
}

func (o *fastOpener) close() { unix.Close(o.dirfd) }

// open opens name beneath the root without following any symbolic link.
// O_NONBLOCK keeps a FIFO from blocking the open; readOpened rejects
// anything that is not a regular file.
func (o *fastOpener) open(name string) (*os.File, error) {
	if o.disabled.Load() {
		return nil, errFastUnavailable
	}
	how := &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(o.dirfd, name, how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), name), nil
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM) && o.probeDenied():
			// Old kernel, or a sandbox that filters openat2.
			o.disabled.Store(true)
			return nil, errFastUnavailable
		case errors.Is(err, unix.ELOOP):
			return nil, fmt.Errorf("%s: %w", name, ErrSymlink)
		case errors.Is(err, unix.EXDEV):
			return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
		default:
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
	}
}

// probeDenied tells a seccomp filter that refuses openat2 (EPERM on the
// root itself) from a file the user may not read.
func (o *fastOpener) probeDenied() bool {
	fd, err := unix.Openat2(o.dirfd, ".", &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC | unix.O_DIRECTORY})
	if err == nil {
		unix.Close(fd)
		return false
	}
	return true
}
