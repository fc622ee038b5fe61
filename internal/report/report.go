// Package report renders a scan's outcome for people and machines: text
// (grouped by file, colour only when asked), JSON (a versioned schema,
// docs/JSON.md) and SARIF 2.1.0 (what GitHub code scanning reads). Every
// format carries the sha256 of the policy that was in force.
//
// The renderers only format: what is in a Report (which findings, which
// were suppressed, whether the gate passed) is decided before.
package report

import (
	"fmt"
	"io"
	"slices"

	"github.com/wardenhq/warden/internal/finding"
)

// SchemaVersion is the version of the JSON report format (docs/JSON.md).
// It changes only when a field is removed or changes meaning.
const SchemaVersion = 1

// Report is everything a renderer needs.
type Report struct {
	ToolVersion  string
	PolicySHA256 string
	// Mode: "tree", "diff", "staged", "stdin" or "history".
	Mode string
	// Findings are the findings reported (not the suppressed ones), in
	// finding.Less order.
	Findings []finding.Finding
	// Rules describes every rule of the engines that ran, for SARIF.
	Rules   []finding.Rule
	Summary Summary
}

// Summary is the tally that ends every report.
type Summary struct {
	// Findings counts reported findings; BySeverity splits them (every
	// severity present, zero included).
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"by_severity"`
	// Blocking counts findings at or above FailOn; Passed is the gate's
	// verdict.
	Blocking int    `json:"blocking"`
	FailOn   string `json:"fail_on"`
	Passed   bool   `json:"passed"`
	// Engines that ran.
	Engines []string `json:"engines"`
	// Files scanned and their bytes.
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
	// Excluded: paths left out by excludes, ignore files or because no
	// engine looks at them. Skipped: files not scanned, by reason
	// (binary, too_large, symlink, not_regular, unreadable).
	Excluded int            `json:"excluded"`
	Skipped  map[string]int `json:"skipped"`
	// Suppressed: findings hidden by the baseline or a policy exception
	// still in force. Expired: findings whose suppression has expired,
	// reported again (each carries metadata "suppression_expired").
	Suppressed int `json:"suppressed"`
	Expired    int `json:"expired"`
}

// Tally fills the finding counts and the gate verdict of s from findings:
// those at or above failOn block.
func (s *Summary) Tally(findings []finding.Finding, failOn finding.Severity) {
	s.Findings = len(findings)
	s.BySeverity = map[string]int{}
	for _, sev := range finding.Severities() {
		s.BySeverity[sev.String()] = 0
	}
	s.Blocking = 0
	s.Expired = 0
	for _, f := range findings {
		s.BySeverity[f.Severity.String()]++
		if failOn.Valid() && f.Severity >= failOn {
			s.Blocking++
		}
		if _, ok := f.Metadata[MetaSuppressionExpired]; ok {
			s.Expired++
		}
	}
	s.FailOn = failOn.String()
	if !failOn.Valid() {
		s.FailOn = "none"
	}
	s.Passed = s.Blocking == 0
	if s.Skipped == nil {
		s.Skipped = map[string]int{}
	}
	if s.Engines == nil {
		s.Engines = []string{}
	}
}

// MetaSuppressionExpired is the Finding.Metadata key set on a finding whose
// baseline entry or policy exception has expired; its value says which and
// when.
const MetaSuppressionExpired = "suppression_expired"

// Format names an output format.
type Format string

const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatSARIF Format = "sarif"
)

// Formats lists the formats, for flag help and completion.
func Formats() []string { return []string{string(FormatText), string(FormatJSON), string(FormatSARIF)} }

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	if slices.Contains(Formats(), s) {
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json or sarif)", s)
}

// Options tune rendering.
type Options struct {
	// Color adds ANSI colours to text output (the CLI sets it only on a
	// terminal without NO_COLOR).
	Color bool
}

// Write renders r in format f.
func Write(w io.Writer, f Format, r *Report, opts Options) error {
	switch f {
	case FormatText:
		return Text(w, r, opts)
	case FormatJSON:
		return JSON(w, r)
	case FormatSARIF:
		return SARIF(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}
