//go:build unix

package audit

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, waiting for it. flock
// locks belong to the open file description, so each Log holds its own.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// tryLockFile takes an exclusive advisory lock on f if it is free.
func tryLockFile(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch err {
		case nil:
			return true, nil
		case syscall.EWOULDBLOCK:
			return false, nil
		case syscall.EINTR:
			continue
		}
		return false, err
	}
}

// lockShared takes a shared advisory lock on f, waiting for it.
func lockShared(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
		if err != syscall.EINTR {
			return err
		}
	}
}

// fileIno is a file's inode number.
func fileIno(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// fileLinks is a file's link count.
func fileLinks(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// mapFlagPage maps the second page of the lock file (extending the file to
// two pages if needed) shared between every process that opens the log.
func mapFlagPage(f *os.File) ([]byte, error) {
	const page = 4096
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < 2*page {
		if err := f.Truncate(2 * page); err != nil {
			return nil, err
		}
	}
	return syscall.Mmap(int(f.Fd()), page, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
}

func unmapFlagPage(b []byte) error { return syscall.Munmap(b) }
