// Package scan finds the files to check, hands each one, read once, to every
// engine in parallel, and collects their findings in a deterministic order.
// The engines themselves live in sub-packages (secrets, sast, deps, config)
// and in the custom-rule engine; they know nothing of files on disk, git or
// output formats.
package scan

import (
	"context"

	"github.com/wardenhq/warden/internal/finding"
)

// File is one file's content as an engine sees it.
type File struct {
	// Path is slash-separated and relative to the scan root (or the name
	// given with --stdin-filename).
	Path    string
	Content []byte
}

// Engine checks files. Scan is called concurrently for different files and
// must be safe for that; it reports each finding through report (which is
// safe to call from the calling goroutine only) and returns an error only
// when it could not do its job (not for a finding). It should return
// promptly when ctx is cancelled.
type Engine interface {
	// Name is the engine's id as used in policy and output: "secrets",
	// "sast", "deps", "config", "custom".
	Name() string
	// Rules lists every rule the engine may report, for SARIF and docs.
	Rules() []finding.Rule
	Scan(ctx context.Context, f File, report func(finding.Finding)) error
}

// PathFilter is implemented by engines that only look at some files (a
// lockfile parser, a Dockerfile checker). The pipeline does not hand them
// other files, and does not read a file no engine wants.
type PathFilter interface {
	Wants(path string) bool
}

// Finisher is implemented by engines that report on the tree as a whole
// (a manifest without a lockfile, say). Finish is called once, after every
// file has been scanned.
type Finisher interface {
	Finish(ctx context.Context, report func(finding.Finding)) error
}
