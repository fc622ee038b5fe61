// Package cli is warden's command line: commands, flags, exit codes and
// the choice of output. It turns arguments into calls on the core packages
// and their results into output; it holds no policy or detection logic.
package cli

import (
	"errors"
	"fmt"
)

// Exit codes, the same for every command.
const (
	ExitPass     = 0 // nothing blocks
	ExitFail     = 1 // the gate failed: blocking findings, a denied action, a broken audit log
	ExitUsage    = 2 // bad flag, argument, input or policy
	ExitInternal = 3 // warden itself failed
)

// UsageError is a mistake the user can fix: a bad flag, a bad policy file,
// unreadable input. It maps to exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef makes a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ErrGateFailed is returned by a command whose check failed; its output has
// already said why. It maps to exit code 1.
var ErrGateFailed = errors.New("gate failed")

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var ue *UsageError
	var he *hookExit
	switch {
	case err == nil:
		return ExitPass
	case errors.As(err, &he):
		return he.code
	case errors.Is(err, ErrGateFailed):
		return ExitFail
	case errors.As(err, &ue):
		return ExitUsage
	default:
		return ExitInternal
	}
}
