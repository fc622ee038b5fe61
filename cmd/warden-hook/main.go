// Command warden-hook is the thin client agents run on every hook event:
// `warden-hook <agent> [flags]` answers exactly as `warden hook <agent>
// [flags]` would, asking a resident per-user `warden guard serve` so that
// no engine has to start. It links only the standard library and
// internal/hookrpc; see docs/AGENTS.md.
package main

import (
	"context"
	"os"

	"github.com/wardenhq/warden/internal/hookrpc"
)

func main() {
	dir, err := os.Getwd()
	if err != nil {
		dir = "" // the client then runs `warden hook` in this directory itself
	}
	self, _ := os.Executable()
	c := &hookrpc.Client{
		Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Environ: os.Environ(), Dir: dir, Self: self,
	}
	os.Exit(c.Run(context.Background()))
}
