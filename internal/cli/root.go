package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Env is everything a command may touch of the outside world. Tests build
// one with buffers and a fake environment.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable.
	Getenv func(string) string
	// Dir is the working directory.
	Dir string
	// hookDeps, when set, replaces defaultHookDeps (the guard server's
	// policy cache).
	hookDeps *hookDeps
}

// Main runs warden with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, e *Env) (code int) {
	return run(ctx, args, e, newRootCmd)
}

// run is Main with the command tree built by newRoot.
func run(ctx context.Context, args []string, e *Env, newRoot func(*Env) *cobra.Command) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(e.Stderr, "warden: internal error: %v\n%s", r, debug.Stack())
			code = ExitInternal
		}
	}()
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.Stdin)
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	err := root.ExecuteContext(ctx)
	var he *hookExit
	if err != nil && !errors.Is(err, ErrGateFailed) && !errors.As(err, &he) {
		fmt.Fprintf(e.Stderr, "warden: %v\n", err)
	}
	return ExitCode(err)
}

// OSEnv is the Env of the running process.
func OSEnv() *Env {
	dir, err := os.Getwd()
	if err != nil {
		dir = "."
	}
	return &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Dir: dir}
}

func newRootCmd(e *Env) *cobra.Command {
	root := newRoot()
	root.AddCommand(
		newVersionCmd(e),
		newScanCmd(e),
		newBaselineCmd(e),
		newPolicyCmd(e),
		newHookCmd(e),
		newAuditCmd(e),
		newReportCmd(e),
		newDBCmd(e),
		newInitCmd(e),
		newGatewayCmd(e),
		newGuardCmd(e),
	)
	addCompletionCmd(root)
	return finishRoot(root)
}

// newHookRootCmd is the tree with only `warden hook`, which the guard
// server runs per request: the same flags, errors and output as the whole
// tree, without building every other command each time.
func newHookRootCmd(e *Env) *cobra.Command {
	root := newRoot()
	root.AddCommand(newHookCmd(e))
	return finishRoot(root)
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "warden",
		Short: "Security gates and an agent guard for AI-assisted coding",
		Long: `warden enforces one security policy (warden.yaml) wherever AI-written code
or an AI agent's action can do harm: it scans code for secrets, insecure code,
vulnerable or hallucinated dependencies and risky configuration; it decides
every agent action before it runs; and it keeps a tamper-evident record.

Exit codes: 0 pass, 1 the gate failed, 2 usage or configuration error,
3 internal error.`,
		Example: `  warden scan                      # scan this repository with its policy (or the built-in one)
  warden scan --diff origin/main   # only what a branch adds, in CI
  warden scan --staged             # what is about to be committed
  warden policy check              # validate warden.yaml
  warden <command> --help          # each command's options and examples`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	return root
}

func finishRoot(root *cobra.Command) *cobra.Command {
	// Unknown commands and bad arguments are usage errors.
	requireKnownSubcommands(root)
	wrapArgs(root) // recurses into every subcommand
	return root
}

// requireKnownSubcommands makes every command group (root included) treat
// an argument that names no subcommand as a usage error, and print its help
// when called alone. Without it cobra prints help and exits 0 for
// 'warden policy bogus' and reports 'warden bogus' as an internal error.
func requireKnownSubcommands(c *cobra.Command) {
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += fmt.Sprintf("; did you mean %q?", s[0])
				}
				return errors.New(msg)
			}
			return nil
		}
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	for _, sub := range c.Commands() {
		requireKnownSubcommands(sub)
	}
}

// wrapArgs turns cobra's argument validation errors into UsageErrors.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return &UsageError{Err: fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}
