// Command warden is the security gate and agent guard for AI-assisted
// coding. Everything lives in internal/; see internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/wardenhq/warden/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
