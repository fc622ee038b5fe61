package hookrpc

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
)

// maxSocketPath is what a unix socket address holds (sun_path is 108
// bytes on Linux, 104 on macOS), with the terminating NUL.
const maxSocketPath = 103

// SocketDir is the per-user directory holding the server's socket:
// $XDG_RUNTIME_DIR/warden, else <user cache dir>/warden/run, else (when
// those paths are too long for a socket address) <temp dir>/warden-<uid>.
func SocketDir(getenv func(string) string) string {
	var cands []string
	if d := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		cands = append(cands, filepath.Join(d, "warden"))
	}
	if d := cacheDir(getenv); d != "" {
		cands = append(cands, filepath.Join(d, "warden", "run"))
	}
	for _, c := range cands {
		if len(c)+len("/hook-0123456789abcdef.sock") <= maxSocketPath {
			return c
		}
	}
	return filepath.Join(os.TempDir(), "warden-"+strconv.Itoa(os.Getuid()))
}

func cacheDir(getenv func(string) string) string {
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return d
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		if isDarwin {
			return filepath.Join(h, "Library", "Caches")
		}
		return filepath.Join(h, ".cache")
	}
	return ""
}

// SocketPath is the socket of the server for the warden binary at
// wardenPath: one server per user and per installed warden.
func SocketPath(dir, wardenPath string) string {
	h := fnv.New64a()
	h.Write([]byte(wardenPath))
	return filepath.Join(dir, "hook-"+strconv.FormatUint(h.Sum64(), 16)+".sock")
}

// EnsureDir creates the socket directory (0700) if needed and checks that
// it is safe: a real directory, owned by this user, closed to others.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return CheckDir(dir)
}

// CheckDir checks that dir is a directory (not a symbolic link) owned by
// this user and accessible to no one else; a socket in any other directory
// could be someone else's.
func CheckDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is open to other users (mode %v); it must be 0700", dir, fi.Mode().Perm())
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("%s belongs to uid %d, not to this user", dir, uid)
	}
	return nil
}

// Identity names one build of an executable: its device and inode, size
// and modification time (not its path, which may be reached through a
// symbolic link). Replacing the binary (an upgrade, `go install`) changes
// it, so a server started from the old binary is told apart.
func Identity(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", errors.New(path + " is not a regular file")
	}
	return inodeOf(fi) + "/" + strconv.FormatInt(fi.Size(), 10) + "/" + strconv.FormatInt(fi.ModTime().UnixNano(), 10), nil
}
