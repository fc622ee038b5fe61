// Package baseline records accepted findings and applies suppressions. A
// baseline (.warden/baseline.json, written by `warden baseline`) lists
// findings by fingerprint with the reason they were accepted, who owns the
// decision and when it expires; the policy's exceptions do the same by
// fingerprint or by rule and path glob. A suppression in force hides a
// finding and is counted; an expired one lets the finding through, marked.
package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/report"
)

// Version is the baseline file format.
const Version = 1

// DefaultPath is where the baseline lives, relative to the scan root.
const DefaultPath = ".warden/baseline.json"

// File is a baseline file.
type File struct {
	Version  int     `json:"version"`
	Findings []Entry `json:"findings"`
}

// Entry accepts one finding.
type Entry struct {
	Fingerprint string `json:"fingerprint"`
	// RuleID and Path say what was accepted, for a reviewer; matching is by
	// fingerprint only.
	RuleID  string `json:"rule_id"`
	Path    string `json:"path"`
	Reason  string `json:"reason"`
	Owner   string `json:"owner"`
	Expires string `json:"expires"` // YYYY-MM-DD, valid through that day (UTC)
	Created string `json:"created"` // YYYY-MM-DD
}

// Parse reads a baseline file strictly: unknown fields, a wrong version,
// an entry without fingerprint, reason, owner or a valid expiry are errors
// naming the file and the entry.
func Parse(name string, data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: invalid baseline: %v", name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: invalid baseline: trailing data after the JSON document", name)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%s: unsupported baseline version %d (want %d)", name, f.Version, Version)
	}
	for i, e := range f.Findings {
		where := fmt.Sprintf("%s: findings[%d]", name, i)
		switch {
		case e.Fingerprint == "":
			return nil, fmt.Errorf("%s: fingerprint is required", where)
		case strings.TrimSpace(e.Reason) == "":
			return nil, fmt.Errorf("%s (%s): reason is required", where, e.Fingerprint)
		case strings.TrimSpace(e.Owner) == "":
			return nil, fmt.Errorf("%s (%s): owner is required", where, e.Fingerprint)
		}
		if _, err := time.Parse(time.DateOnly, e.Expires); err != nil {
			return nil, fmt.Errorf("%s (%s): expires %q is not a date YYYY-MM-DD", where, e.Fingerprint, e.Expires)
		}
	}
	return &f, nil
}

// New makes a baseline accepting findings, all with one reason, owner and
// expiry, created on day now.
func New(findings []finding.Finding, reason, owner string, expires, now time.Time) (*File, error) {
	switch {
	case strings.TrimSpace(reason) == "":
		return nil, errors.New("a reason is required")
	case strings.TrimSpace(owner) == "":
		return nil, errors.New("an owner is required")
	case !expires.After(now):
		return nil, fmt.Errorf("expiry %s is not in the future", expires.Format(time.DateOnly))
	}
	f := &File{Version: Version, Findings: []Entry{}}
	for _, fd := range findings {
		f.Findings = append(f.Findings, Entry{
			Fingerprint: fd.Fingerprint,
			RuleID:      fd.RuleID,
			Path:        fd.Path,
			Reason:      reason,
			Owner:       owner,
			Expires:     expires.UTC().Format(time.DateOnly),
			Created:     now.UTC().Format(time.DateOnly),
		})
	}
	slices.SortFunc(f.Findings, func(a, b Entry) int {
		return strings.Compare(a.Path+"\x00"+a.Fingerprint, b.Path+"\x00"+b.Fingerprint)
	})
	return f, nil
}

// Marshal renders f as indented JSON, stable for review in a diff.
func (f *File) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Outcome is what Apply did.
type Outcome struct {
	// Findings to report: not suppressed, or suppressed by an expired
	// entry (then marked with report.MetaSuppressionExpired).
	Findings []finding.Finding
	// Suppressed counts findings hidden by a suppression in force.
	Suppressed int
	// Expired counts findings reported again because every suppression
	// matching them has expired.
	Expired int
}

// Apply suppresses findings matched by the baseline (may be nil) or a
// policy exception, as of now. A finding matched by any suppression in
// force is hidden; one matched only by expired ones is reported, marked.
func Apply(findings []finding.Finding, base *File, exceptions []policy.Exception, now time.Time) Outcome {
	byFP := map[string]Entry{}
	if base != nil {
		for _, e := range base.Findings {
			byFP[e.Fingerprint] = e
		}
	}
	out := Outcome{Findings: make([]finding.Finding, 0, len(findings))}
	for _, f := range findings {
		var expired []string
		inForce := false
		if e, ok := byFP[f.Fingerprint]; ok {
			if entryExpired(e.Expires, now) {
				expired = append(expired, fmt.Sprintf("baseline entry by %s expired %s (%s)", e.Owner, e.Expires, e.Reason))
			} else {
				inForce = true
			}
		}
		for _, ex := range exceptions {
			if inForce {
				break
			}
			if !exceptionMatches(ex, f) {
				continue
			}
			if ex.Expires.Expired(now) {
				expired = append(expired, fmt.Sprintf("policy exception by %s expired %s (%s)", ownerOr(ex.Owner), ex.Expires, ex.Reason))
			} else {
				inForce = true
			}
		}
		switch {
		case inForce:
			out.Suppressed++
			continue
		case len(expired) > 0:
			md := make(map[string]string, len(f.Metadata)+1)
			for k, v := range f.Metadata {
				md[k] = v
			}
			md[report.MetaSuppressionExpired] = strings.Join(expired, "; ")
			f.Metadata = md
			out.Expired++
		}
		out.Findings = append(out.Findings, f)
	}
	return out
}

func ownerOr(s string) string {
	if s == "" {
		return "(no owner)"
	}
	return s
}

func entryExpired(date string, now time.Time) bool {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return true // Parse rejects these; an unreadable date never suppresses
	}
	return policy.Date{Time: t}.Expired(now)
}

func exceptionMatches(ex policy.Exception, f finding.Finding) bool {
	if ex.Fingerprint != "" {
		return ex.Fingerprint == f.Fingerprint
	}
	if ex.Rule == "" && ex.Path == "" {
		return false // matches nothing rather than everything
	}
	if ex.Rule != "" && ex.Rule != f.RuleID {
		return false
	}
	if ex.Path != "" {
		ok, _ := doublestar.Match(ex.Path, f.Path)
		if !ok {
			return false
		}
	}
	return true
}
