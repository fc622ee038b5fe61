//go:build unix

package hookrpc

import (
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
)

const isDarwin = runtime.GOOS == "darwin" || runtime.GOOS == "ios"

func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

func inodeOf(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(uint64(st.Ino), 10)
	}
	return ""
}

// detach makes a started server its own session, so that it outlives the
// hook that started it and the agent's process group.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// Lock takes an exclusive, non-blocking lock on the file at path (created
// 0600): one server per socket. It fails when another process holds it.
func Lock(path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// SelfIdentity is the Identity of the running executable, from the file
// actually mapped on Linux (/proc/self/exe) so that a binary replaced
// after this process started is told apart.
func SelfIdentity() (string, error) {
	if runtime.GOOS == "linux" {
		if id, err := Identity("/proc/self/exe"); err == nil {
			return id, nil
		}
	}
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	return Identity(p)
}
