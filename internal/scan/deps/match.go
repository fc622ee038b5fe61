package deps

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/vulndb"

	cvss2 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"
)

// Match is one vulnerability (a group of records that alias each other)
// affecting one package version.
type Match struct {
	// ID is the group's representative id (MAL- first, then GHSA-, then
	// the rest in order); IDs lists every id and alias of the group.
	ID      string
	IDs     []string
	Summary string
	// Severity is computed from the highest CVSS base score of the group;
	// Score is that score (0 when no vector was given).
	Severity  finding.Severity
	Score     float64
	Malicious bool
	// Fixed is the nearest version above the installed one that fixes
	// every record of the group ("" when none does).
	Fixed string
	// FixPublished is when the advisory naming the fix was published: the
	// offline approximation of when the fix itself was released.
	FixPublished time.Time
	// Published is when the group's first advisory was published.
	Published time.Time
}

// versionOf strips the "v" that Go module versions carry and OSV omits.
func versionOf(eco, v string) string {
	if eco == vulndb.Go {
		return strings.TrimPrefix(v, "v")
	}
	return v
}

type parsed struct {
	eco string
	raw string
	// triple is raw as MAJOR.MINOR.PATCH when it is exactly that (plain):
	// compared with another plain version without parsing either.
	triple [3]uint64
	plain  bool
	sem    semantic.Version // nil when the ecosystem or version is not parseable
	sv     semantic.Version // the version read as SemVer, for SEMVER ranges
	// cache holds the event versions parsed so far (they repeat across a
	// package's records), keyed by range type and version.
	cache map[string]semantic.Version
}

// semverEcosystems order versions as SemVer, so ECOSYSTEM and SEMVER
// ranges read them alike.
var semverEcosystems = map[string]bool{vulndb.NPM: true, vulndb.Go: true, vulndb.CratesIO: true}

func parseVersion(eco, v string) parsed {
	p := parsed{eco: eco, raw: v, cache: map[string]semantic.Version{}}
	p.triple, p.plain = plainTriple(v)
	p.sv = semantic.ParseSemverVersion(v)
	if semverEcosystems[eco] {
		p.sem = p.sv
	} else if s, err := semantic.Parse(v, eco); err == nil {
		p.sem = s
	}
	return p
}

// get parses an event version in a range's ordering (nil if it cannot).
func (p parsed) get(rangeType, s string) semantic.Version {
	k := rangeType + "\x00" + s
	if v, ok := p.cache[k]; ok {
		return v
	}
	var v semantic.Version
	if rangeType == "SEMVER" || semverEcosystems[p.eco] {
		v = semantic.ParseSemverVersion(s)
	} else if x, err := semantic.Parse(s, p.eco); err == nil {
		v = x
	}
	p.cache[k] = v
	return v
}

// semverOrder reports whether a range type orders this package's versions
// as SemVer.
func (p parsed) semverOrder(rangeType string) bool {
	return rangeType == "SEMVER" || rangeType == "ECOSYSTEM" && semverEcosystems[p.eco]
}

// plainTriple reads "MAJOR.MINOR.PATCH" of decimal numbers (at most 18
// digits each), the common shape of a version. SemVer orders two such
// versions by their numbers, so they are compared without osv-scalibr's
// big-integer parse (a third of the matching time); anything else (a
// prerelease, a build, four parts, a PEP 440 or Maven ordering) goes
// through semantic.
func plainTriple(s string) (t [3]uint64, ok bool) {
	part, digits := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits == 18 {
				return t, false
			}
			t[part] = t[part]*10 + uint64(c-'0')
			digits++
		case c == '.' && digits > 0 && part < 2:
			part++
			digits = 0
		default:
			return t, false
		}
	}
	return t, part == 2 && digits > 0
}

func cmpTriple(a, b [3]uint64) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// cmpVersions compares two event versions in a range's ordering.
func (p parsed) cmpVersions(rangeType, a, b string) (int, bool) {
	if p.semverOrder(rangeType) {
		ta, oka := plainTriple(a)
		tb, okb := plainTriple(b)
		if oka && okb {
			return cmpTriple(ta, tb), true
		}
	}
	va, vb := p.get(rangeType, a), p.get(rangeType, b)
	if va == nil || vb == nil {
		return 0, false
	}
	c, err := va.Compare(vb)
	return c, err == nil
}

func (p parsed) cmp(rangeType, other string) (int, bool) {
	if p.plain && p.semverOrder(rangeType) {
		if o, ok := plainTriple(other); ok {
			return cmpTriple(p.triple, o), true
		}
	}
	var v semantic.Version
	switch rangeType {
	case "SEMVER":
		v = p.sv
	case "ECOSYSTEM":
		v = p.sem
	}
	o := p.get(rangeType, other)
	if v == nil || o == nil {
		return 0, false
	}
	c, err := v.Compare(o)
	if err != nil {
		return 0, false
	}
	return c, true
}

// affects reports whether version v of the package is affected by a, and
// the smallest fixed version above v named by the range that affects it.
func affects(a vulndb.Affected, v parsed) (bool, string) {
	if slices.Contains(a.Versions, v.raw) {
		return true, nearestFixed(a, v)
	}
	for _, r := range a.Ranges {
		if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
			continue // GIT ranges name commits, not package versions
		}
		if inRange(r, v) {
			return true, nearestFixed(a, v)
		}
	}
	return false, ""
}

// inRange evaluates a range as the OSV schema specifies: the events sorted
// by version, "introduced" turns affected on, "fixed" (at or below v) and
// "last_affected" (below v) turn it off.
func inRange(r vulndb.Range, v parsed) bool {
	affected := false
	for _, e := range sortedEvents(r, v) {
		switch {
		case e.Introduced != "":
			if e.Introduced == "0" {
				affected = true
			} else if c, ok := v.cmp(r.Type, e.Introduced); ok && c >= 0 {
				affected = true
			}
		case e.Fixed != "":
			if c, ok := v.cmp(r.Type, e.Fixed); ok && c >= 0 {
				affected = false
			}
		case e.LastAffected != "":
			if c, ok := v.cmp(r.Type, e.LastAffected); ok && c > 0 {
				affected = false
			}
		case e.Limit != "":
			if c, ok := v.cmp(r.Type, e.Limit); ok && c >= 0 {
				affected = false
			}
		}
	}
	return affected
}

func eventVersion(e vulndb.Event) string {
	switch {
	case e.Introduced != "":
		return e.Introduced
	case e.Fixed != "":
		return e.Fixed
	case e.LastAffected != "":
		return e.LastAffected
	}
	return e.Limit
}

// sortedEvents orders a range's events by version using the range's own
// ordering. Events whose versions cannot be parsed keep their place.
func sortedEvents(r vulndb.Range, v parsed) []vulndb.Event {
	evs := slices.Clone(r.Events)
	if v.semverOrder(r.Type) {
		// All plain (or "0"): sort by the numbers, no parse.
		keys := make([][3]uint64, len(evs))
		plain := true
		for i, e := range evs {
			if ev := eventVersion(e); ev != "0" {
				if keys[i], plain = plainTriple(ev); !plain {
					break
				}
			}
		}
		if plain {
			idx := make([]int, len(evs))
			for i := range idx {
				idx[i] = i
			}
			sort.SliceStable(idx, func(i, j int) bool {
				switch {
				case eventVersion(evs[idx[i]]) == "0":
					return eventVersion(evs[idx[j]]) != "0"
				case eventVersion(evs[idx[j]]) == "0":
					return false
				}
				return cmpTriple(keys[idx[i]], keys[idx[j]]) < 0
			})
			out := make([]vulndb.Event, len(evs))
			for i, k := range idx {
				out[i] = evs[k]
			}
			return out
		}
	}
	parse := func(s string) semantic.Version { return v.get(r.Type, s) }
	vers := make([]semantic.Version, len(evs))
	for i, e := range evs {
		if ev := eventVersion(e); ev != "0" {
			vers[i] = parse(ev)
		}
	}
	idx := make([]int, len(evs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := vers[idx[i]], vers[idx[j]]
		switch {
		case eventVersion(evs[idx[i]]) == "0":
			return eventVersion(evs[idx[j]]) != "0"
		case eventVersion(evs[idx[j]]) == "0":
			return false
		case a == nil || b == nil:
			return false
		}
		c, err := a.Compare(b)
		return err == nil && c < 0
	})
	out := make([]vulndb.Event, len(evs))
	for i, k := range idx {
		out[i] = evs[k]
	}
	return out
}

// nearestFixed is the smallest fixed version above v among a's ranges.
func nearestFixed(a vulndb.Affected, v parsed) string {
	var best, bestType string
	for _, r := range a.Ranges {
		if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed == "" {
				continue
			}
			if c, ok := v.cmp(r.Type, e.Fixed); !ok || c >= 0 {
				continue
			}
			if best == "" {
				best, bestType = e.Fixed, r.Type
				continue
			}
			if c, ok := v.cmpVersions(bestType, e.Fixed, best); ok && c < 0 {
				best, bestType = e.Fixed, r.Type
			}
		}
	}
	return best
}

// laterVersion returns the larger of two versions in eco's ordering.
func laterVersion(eco, a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	pa := parseVersion(eco, a)
	if c, ok := pa.cmp("ECOSYSTEM", b); ok {
		if c < 0 {
			return b
		}
		return a
	}
	if c, ok := pa.cmp("SEMVER", b); ok && c < 0 {
		return b
	}
	return a
}

// Score computes the highest CVSS base score among a record's vectors.
func Score(sevs []vulndb.Severity) float64 {
	best := 0.0
	for _, s := range sevs {
		var score float64
		switch {
		case strings.HasPrefix(s.Score, "CVSS:3.1/"):
			if c, err := cvss31.ParseVector(s.Score); err == nil {
				score = c.BaseScore()
			}
		case strings.HasPrefix(s.Score, "CVSS:3.0/"):
			if c, err := cvss30.ParseVector(s.Score); err == nil {
				score = c.BaseScore()
			}
		case strings.HasPrefix(s.Score, "CVSS:4.0/"):
			if c, err := cvss40.ParseVector(s.Score); err == nil {
				score = c.Score()
			}
		case s.Type == "CVSS_V2":
			if c, err := cvss2.ParseVector(s.Score); err == nil {
				score = c.BaseScore()
			}
		}
		best = max(best, score)
	}
	return best
}

// severityOf maps a CVSS base score to a severity with the CVSS v3
// qualitative scale; with no vector, a textual database severity is used,
// and a record with neither is rated high so that an unrated advisory
// still blocks by default.
func severityOf(score float64, text string) finding.Severity {
	switch {
	case score >= 9:
		return finding.SeverityCritical
	case score >= 7:
		return finding.SeverityHigh
	case score >= 4:
		return finding.SeverityMedium
	case score > 0:
		return finding.SeverityLow
	}
	switch strings.ToUpper(text) {
	case "CRITICAL":
		return finding.SeverityCritical
	case "HIGH":
		return finding.SeverityHigh
	case "MODERATE", "MEDIUM":
		return finding.SeverityMedium
	case "LOW":
		return finding.SeverityLow
	}
	return finding.SeverityHigh
}

// MatchVulns returns the vulnerabilities among recs that affect version of
// a package, aliases merged, ordered by id.
func MatchVulns(eco, version string, recs []vulndb.Vulnerability) []Match {
	v := parseVersion(eco, versionOf(eco, version))
	type hit struct {
		rec   vulndb.Vulnerability
		fixed string
		// fixedAll: every affected entry that matched names a fix
		fixedAll bool
	}
	var hits []hit
	for _, r := range recs {
		if r.Withdrawn != nil && !r.Withdrawn.IsZero() {
			continue
		}
		matched, fixedAll, fixed := false, true, ""
		for _, a := range r.Affected {
			ok, f := affects(a, v)
			if !ok {
				continue
			}
			matched = true
			if f == "" {
				fixedAll = false
			}
			fixed = laterVersion(eco, fixed, f)
		}
		if matched {
			hits = append(hits, hit{rec: r, fixed: fixed, fixedAll: fixedAll})
		}
	}
	if len(hits) == 0 {
		return nil
	}
	// Union records that share an id or alias.
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, h := range hits {
		for _, id := range append([]string{h.rec.ID}, h.rec.Aliases...) {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	groups := map[int][]hit{}
	var roots []int
	for i, h := range hits {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], h)
	}
	var out []Match
	for _, r := range roots {
		g := groups[r]
		m := Match{}
		ids := map[string]bool{}
		var own []string
		fixedAll := true
		for _, h := range g {
			ids[h.rec.ID] = true
			own = append(own, h.rec.ID)
			for _, a := range h.rec.Aliases {
				ids[a] = true
			}
			if strings.HasPrefix(h.rec.ID, "MAL-") {
				m.Malicious = true
			}
			text := ""
			if h.rec.DatabaseSpecific != nil {
				text = h.rec.DatabaseSpecific.Severity
			}
			sc := Score(h.rec.Severity)
			sev := severityOf(sc, text)
			if sc > m.Score {
				m.Score = sc
			}
			if sev > m.Severity {
				m.Severity = sev
			}
			if m.Summary == "" {
				m.Summary = h.rec.Summary
			}
			if p := h.rec.Published; !p.IsZero() && (m.Published.IsZero() || p.Before(m.Published)) {
				m.Published = p
			}
			if !h.fixedAll {
				fixedAll = false
			}
			if h.fixed != "" {
				if nf := laterVersion(eco, m.Fixed, h.fixed); nf != m.Fixed || m.FixPublished.IsZero() {
					// The fix that clears the whole group is the latest one;
					// its advisory's publication dates the fix.
					m.Fixed, m.FixPublished = nf, h.rec.Published
				}
			}
		}
		if !fixedAll {
			// Some record of the group has no fix for this version: the
			// suggested upgrade would not clear it.
			m.Fixed, m.FixPublished = "", time.Time{}
		}
		if m.Malicious {
			m.Severity = finding.SeverityCritical
		}
		for id := range ids {
			m.IDs = append(m.IDs, id)
		}
		// The headline is one of the records' own ids (an alias may be a
		// CVE no record in the database carries), the others follow.
		slices.SortFunc(own, compareIDs)
		m.ID = own[0]
		slices.SortFunc(m.IDs, compareIDs)
		m.IDs = slices.DeleteFunc(m.IDs, func(s string) bool { return s == m.ID })
		m.IDs = append([]string{m.ID}, m.IDs...)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Match) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// compareIDs orders ids by how useful they are as a headline: MAL- first,
// then GHSA-, then CVE-, then the rest, alphabetically within each.
func compareIDs(a, b string) int {
	rank := func(s string) int {
		switch {
		case strings.HasPrefix(s, "MAL-"):
			return 0
		case strings.HasPrefix(s, "GHSA-"):
			return 1
		case strings.HasPrefix(s, "CVE-"):
			return 2
		}
		return 3
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}
