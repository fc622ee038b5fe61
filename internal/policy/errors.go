package policy

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a mistake in a policy file that its author can fix. It names the
// file, the position (1-based; 0 when unknown) and the dotted key.
type Error struct {
	File         string
	Line, Column int
	// Key is the dotted key, with list indexes: "agent.commands.rules[2].args".
	Key string
	Msg string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LockError is an attempt by a repository policy to loosen a setting that
// the organization policy locks. It names both files.
type LockError struct {
	// Key is the repository key that loosens; Lock is the organization's
	// lock entry that covers it ("gates" covers "gates.fail_on").
	Key, Lock string
	// OrgFile is the organization policy that holds the lock; RepoFile,
	// Line and Column locate the offending repository value.
	OrgFile, RepoFile string
	Line, Column      int
	Msg               string
}

func (e *LockError) Error() string {
	pos := e.RepoFile
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.RepoFile, e.Line, e.Column)
	}
	return fmt.Sprintf("%s: %s: %s; %q is locked by the organization policy %s, and a repository may only tighten it",
		pos, e.Key, e.Msg, e.Lock, e.OrgFile)
}

// Errors is every problem found in one load, in file order. errors.As finds
// the *Error or *LockError inside.
type Errors []error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

func (es Errors) Unwrap() []error { return es }

// IsUserError reports whether err is the policy author's mistake (a bad
// file, a loosened lock, a missing explicit file) rather than warden's.
func IsUserError(err error) bool {
	var pe *Error
	var le *LockError
	return errors.As(err, &pe) || errors.As(err, &le)
}

// maxErrors bounds how many problems one file reports, so a garbage file
// does not produce a wall of text.
const maxErrors = 25

// errorList collects problems for one file.
type errorList struct {
	file string
	errs Errors
}

func (l *errorList) add(n *yaml.Node, key, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		return
	}
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	l.errs = append(l.errs, &Error{File: l.file, Line: line, Column: col, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	if len(l.errs) == 1 {
		return l.errs[0]
	}
	return l.errs
}
