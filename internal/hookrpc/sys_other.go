//go:build !unix

package hookrpc

import (
	"io/fs"
	"os"
	"os/exec"
)

const isDarwin = false

func ownerOf(fs.FileInfo) (int, bool) { return 0, false }

func inodeOf(fs.FileInfo) string { return "" }

func detach(*exec.Cmd) {}

// Lock is a no-op here: the listen itself fails for a second server.
func Lock(path string) (release func(), err error) { return func() {}, nil }

// SelfIdentity is the Identity of the running executable.
func SelfIdentity() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	return Identity(p)
}
