// Package finding defines what every engine reports: a Finding at a
// Location, with a Severity, produced by a Rule, identified by a
// Fingerprint that survives unrelated edits.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Severity orders how bad a finding is. The zero value is invalid so that a
// forgotten severity is caught rather than read as "info".
type Severity uint8

const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"", "info", "low", "medium", "high", "critical"}

// Severities lists every valid severity, lowest first.
func Severities() []Severity {
	return []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
}

func (s Severity) String() string {
	if int(s) < len(severityNames) && s != 0 {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// Valid reports whether s is one of the defined severities.
func (s Severity) Valid() bool { return s >= SeverityInfo && s <= SeverityCritical }

// ParseSeverity reads a severity name (case-insensitive).
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i := 1; i < len(severityNames); i++ {
		if severityNames[i] == n {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of info, low, medium, high, critical)", name)
}

func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", uint8(s))
	}
	return []byte(s.String()), nil
}

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// SecuritySeverity is the numeric score GitHub code scanning reads from
// SARIF's security-severity property (critical >= 9, high >= 7, medium >= 4).
func (s Severity) SecuritySeverity() string {
	switch s {
	case SeverityCritical:
		return "9.5"
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.5"
	case SeverityLow:
		return "3.0"
	default:
		return "0.0"
	}
}

// Location is a span in a file. Lines and columns are 1-based; columns count
// bytes. EndLine is inclusive; EndColumn is exclusive (one past the last
// byte of the span), as SARIF's region.endColumn, so a one-byte span at
// column 5 has EndColumn 6. Path is slash-separated and relative to the
// scan root.
type Location struct {
	Path        string `json:"path"`
	StartLine   int    `json:"start_line"`
	StartColumn int    `json:"start_column,omitempty"`
	EndLine     int    `json:"end_line,omitempty"`
	EndColumn   int    `json:"end_column,omitempty"`
}

// Commit says where in git history a finding was introduced (scan --history).
type Commit struct {
	Hash   string    `json:"hash"`
	Author string    `json:"author"`
	Email  string    `json:"email,omitempty"`
	Date   time.Time `json:"date"`
}

// Rule describes a check an engine performs. Reports use it for rule help
// (SARIF rules, --help listings); findings refer to it by ID.
type Rule struct {
	ID       string   `json:"id"`
	Engine   string   `json:"engine"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	CWE      string   `json:"cwe,omitempty"` // "CWE-89"
	// Help says why it matters and how to fix it, in Markdown.
	Help    string   `json:"help"`
	HelpURI string   `json:"help_uri,omitempty"`
	Tags    []string `json:"tags,omitempty"`
}

// Finding is one problem at one place. It never holds a secret value:
// Snippet is already redacted by the engine that produced it.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Engine   string   `json:"engine"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title,omitempty"`
	// Message says what is wrong here and how to fix it.
	Message string `json:"message"`
	CWE     string `json:"cwe,omitempty"`
	Location
	Snippet     string `json:"snippet,omitempty"`
	Fingerprint string `json:"fingerprint"`
	// Commit is set for findings in git history.
	Commit *Commit `json:"commit,omitempty"`
	// Metadata holds engine-specific facts (package, version, fixed
	// version, advisory ids...). Values must be safe to print.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Fingerprint derives a stable identifier from what identifies a finding
// independently of its line number: the rule, the file and the content that
// matched (for a secret, a hash of its value; for code, the normalized
// statement). Moving unrelated lines does not change it.
func Fingerprint(ruleID, path, content string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write([]byte(strings.Join(strings.Fields(content), " ")))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Less orders findings deterministically: by path, position, rule, then
// fingerprint.
func Less(a, b Finding) bool {
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	if a.StartLine != b.StartLine {
		return a.StartLine < b.StartLine
	}
	if a.StartColumn != b.StartColumn {
		return a.StartColumn < b.StartColumn
	}
	if a.RuleID != b.RuleID {
		return a.RuleID < b.RuleID
	}
	return a.Fingerprint < b.Fingerprint
}
