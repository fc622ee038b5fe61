// Package vulndb is warden's offline vulnerability database: OSV records
// imported from per-ecosystem archives or a directory of JSON files, kept in
// one index file that a scan opens cheaply and from which it reads only the
// packages it asks for. It does no network I/O itself: `warden db update`
// hands it a Fetcher.
package vulndb

import (
	"github.com/wardenhq/warden/internal/lazyre"
	"strings"
	"time"
)

// Vulnerability is the part of an OSV record (https://ossf.github.io/osv-schema/)
// that matching and reporting need. Fields the gate does not read (details,
// references, credits) are dropped when the index is built.
type Vulnerability struct {
	ID        string     `json:"id"`
	Aliases   []string   `json:"aliases,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Published time.Time  `json:"published,omitzero"`
	Modified  time.Time  `json:"modified,omitzero"`
	Withdrawn *time.Time `json:"withdrawn,omitempty"`
	Severity  []Severity `json:"severity,omitempty"`
	Affected  []Affected `json:"affected,omitempty"`
	// DatabaseSpecific carries GitHub's textual severity ("HIGH",
	// "MODERATE"...), used when no CVSS vector is present.
	DatabaseSpecific *DatabaseSpecific `json:"database_specific,omitempty"`
}

// DatabaseSpecific holds the few database-specific fields warden reads.
type DatabaseSpecific struct {
	Severity string `json:"severity,omitempty"`
}

// Severity is a scoring vector ("CVSS_V3", "CVSS:3.1/AV:N/...").
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected names one package and the versions of it a record affects.
type Affected struct {
	Package  Package  `json:"package"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
	// DatabaseSpecific and EcosystemSpecific may carry a severity too.
	DatabaseSpecific *DatabaseSpecific `json:"database_specific,omitempty"`
}

// Package identifies a package in an ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a sequence of events over versions of one ordering.
type Range struct {
	Type   string  `json:"type"` // SEMVER, ECOSYSTEM, GIT
	Events []Event `json:"events"`
}

// Event is one point of a range; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// The ecosystems warden reads lockfiles for, spelled as OSV spells them.
const (
	NPM       = "npm"
	PyPI      = "PyPI"
	Go        = "Go"
	CratesIO  = "crates.io"
	RubyGems  = "RubyGems"
	Packagist = "Packagist"
	Maven     = "Maven"
)

// DefaultEcosystems are fetched by `warden db update` unless told otherwise.
var DefaultEcosystems = []string{NPM, PyPI, Go, CratesIO, RubyGems, Packagist, Maven}

var pypiSep = lazyre.New(`[-_.]+`)

// NormalizeName returns the form of a package name under which two
// spellings of the same package compare equal: PEP 503 for PyPI, lower case
// for Packagist; other ecosystems' names are case-sensitive.
func NormalizeName(ecosystem, name string) string {
	switch baseEcosystem(ecosystem) {
	case PyPI:
		return pypiSep.ReplaceAllString(strings.ToLower(name), "-")
	case Packagist:
		return strings.ToLower(name)
	}
	return name
}

// baseEcosystem strips a release suffix ("Debian:12" -> "Debian").
func baseEcosystem(eco string) string {
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		return eco[:i]
	}
	return eco
}

func key(ecosystem, name string) string {
	return ecosystem + "\x00" + NormalizeName(ecosystem, name)
}
