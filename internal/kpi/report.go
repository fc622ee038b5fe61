package kpi

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/finding"
)

// Query selects what a report covers. Zero Since/Until leave that side
// open; a non-nil Commits restricts events to those commits (a range of
// commits or tags, resolved by the caller with git).
type Query struct {
	Since, Until time.Time
	Commits      []string
	// Range is how the commits were named ("v1.2.0..v1.3.0"), for display.
	Range string
	// Now is the end of an open window (default: the last event's time).
	Now time.Time

	// raw computes every measure from the events, bypassing the hourly
	// rollups (tests compare the two).
	raw bool
}

// Report is the KPI report.
type Report struct {
	Window   Window            `json:"window"`
	Events   int               `json:"events"`
	Releases []ReleaseFindings `json:"releases"`
	// Open counts the findings open at the end of the window, by severity.
	Open        map[string]int    `json:"open_findings"`
	MTTR        MTTR              `json:"mttr"`
	SecretLeaks SecretLeaks       `json:"secret_leaks"`
	Agent       AgentActions      `json:"agent_actions"`
	Access      Unauth            `json:"unauthorized_access"`
	Deps        VulnerableDeps    `json:"vulnerable_dependencies"`
	IndexedTo   uint64            `json:"indexed_through_seq"`
	Definitions map[string]string `json:"definitions"`
}

type Window struct {
	Since   *time.Time `json:"since,omitempty"`
	Until   time.Time  `json:"until"`
	Range   string     `json:"range,omitempty"`
	Commits int        `json:"commits,omitempty"`
}

// ReleaseFindings is the critical and high findings of a release: the
// distinct unsuppressed fingerprints in its last full scan (or last scan).
type ReleaseFindings struct {
	Release  string    `json:"release"`
	Repo     string    `json:"repo,omitempty"`
	Time     time.Time `json:"scanned"`
	Critical int       `json:"critical"`
	High     int       `json:"high"`
}

// MTTR is the mean time to remediate findings remediated in the window:
// from the first scan that reported a fingerprint to the first full scan of
// the repository that no longer did.
type MTTR struct {
	Remediated  int                `json:"remediated"`
	MeanHours   float64            `json:"mean_hours"`
	MedianHours float64            `json:"median_hours"`
	BySeverity  map[string]SevMTTR `json:"by_severity"`
}

type SevMTTR struct {
	Remediated int     `json:"remediated"`
	MeanHours  float64 `json:"mean_hours"`
}

// SecretLeaks counts secrets found in code (incidents: distinct
// fingerprints first seen in the window), how many are gone, and the
// secrets the agent guard stopped before they were written.
type SecretLeaks struct {
	Incidents        int `json:"incidents"`
	Remediated       int `json:"remediated"`
	StillOpen        int `json:"still_open"`
	BlockedByGuard   int `json:"blocked_by_guard"`
	CriticalOrHigher int `json:"critical"`
}

// AgentActions counts agent decisions.
type AgentActions struct {
	Total        int     `json:"total"`
	Allowed      int     `json:"allowed"`
	Denied       int     `json:"denied"`
	Asked        int     `json:"asked"`
	DeniedByRule []Count `json:"denied_by_rule"`
	AskedByRule  []Count `json:"asked_by_rule"`
	DeniedByAgnt []Count `json:"denied_by_agent"`
	AskedByAgent []Count `json:"asked_by_agent"`
}

type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Unauth counts blocked unauthorized-access attempts by agent.
type Unauth struct {
	Blocked int     `json:"blocked"`
	ByAgent []Count `json:"by_agent"`
}

// VulnerableDeps describes vulnerable dependencies open at the end of the
// window and how long they have been known.
type VulnerableDeps struct {
	Open            int       `json:"open"`
	MeanAgeDays     float64   `json:"mean_age_days"`
	MaxAgeDays      float64   `json:"max_age_days"`
	MeanPublishDays float64   `json:"mean_days_since_advisory,omitempty"`
	Oldest          []DepOpen `json:"oldest"`
}

type DepOpen struct {
	Package   string    `json:"package"`
	Version   string    `json:"version,omitempty"`
	Advisory  string    `json:"advisory,omitempty"`
	Severity  string    `json:"severity"`
	FirstSeen time.Time `json:"first_seen"`
	AgeDays   float64   `json:"age_days"`
}

// Definitions says how each measure is computed; it is part of every
// report so that a reader can tell what a number means.
var Definitions = map[string]string{
	"releases":                "per release tag: distinct unsuppressed critical and high findings in its last full scan (scan.gate events with repo.release)",
	"open_findings":           "findings first seen before the end of the window and not gone by then, except those accepted by an exception or baseline",
	"mttr":                    "for findings gone in the window: time from the first scan that reported the fingerprint to the first full scan of the repository without it",
	"secret_leaks":            "distinct secrets-engine fingerprints first seen by a scan in the window; blocked_by_guard counts agent writes denied with a secrets finding",
	"agent_actions":           "agent.action events in the window by decision, rule and agent",
	"unauthorized_access":     "denied agent actions tagged unauthorized-access, or denied reads, fetches and MCP calls",
	"vulnerable_dependencies": "deps-engine findings open at the end of the window; age from first seen (days since the advisory was published when known)",
}

// q builds the window filter for events.
type filter struct {
	since, until int64
	commits      bool
}

// split covers the window [since, until) with whole hours, answered from
// the hourly rollups, and the partial hours at its edges, answered from the
// events themselves.
func (f filter) split(hours func(hLo, hHi int64) error, raw func(lo, hi int64) error) error {
	hLo, hHi := int64(math.MinInt64), int64(math.MaxInt64)
	if f.since != math.MinInt64 {
		hLo = -floorDiv(-f.since, hourMS) // ceiling
	}
	if f.until != math.MaxInt64 {
		hHi = floorDiv(f.until, hourMS)
	}
	if hLo >= hHi {
		return raw(f.since, f.until)
	}
	if err := hours(hLo, hHi); err != nil {
		return err
	}
	if f.since != math.MinInt64 && f.since < hLo*hourMS {
		if err := raw(f.since, hLo*hourMS); err != nil {
			return err
		}
	}
	if f.until != math.MaxInt64 && hHi*hourMS < f.until {
		if err := raw(hHi*hourMS, f.until); err != nil {
			return err
		}
	}
	return nil
}

// Report computes the KPIs over q.
func (x *Index) Report(ctx context.Context, q Query) (*Report, error) {
	conn, err := x.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	f := filter{since: math.MinInt64, until: math.MaxInt64}
	if !q.Since.IsZero() {
		f.since = q.Since.UnixMilli()
	}
	until := q.Until
	if until.IsZero() {
		until = q.Now
	}
	if until.IsZero() {
		var last sql.NullInt64
		if err := conn.QueryRowContext(ctx, `SELECT MAX(time) FROM events`).Scan(&last); err != nil {
			return nil, err
		}
		if last.Valid {
			until = time.UnixMilli(last.Int64 + 1).UTC()
		} else {
			until = time.Now().UTC()
		}
	}
	if !q.Until.IsZero() {
		f.until = q.Until.UnixMilli()
	}
	end := until.UnixMilli()
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS q_commits (c TEXT PRIMARY KEY)`); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM q_commits`); err != nil {
		return nil, err
	}
	if q.Commits != nil {
		f.commits = true
		for _, c := range q.Commits {
			if _, err := conn.ExecContext(ctx, `INSERT OR IGNORE INTO q_commits(c) VALUES (?)`, c); err != nil {
				return nil, err
			}
		}
	}
	r := &Report{
		Window:      Window{Until: until.UTC(), Range: q.Range, Commits: len(q.Commits)},
		Open:        map[string]int{},
		Definitions: Definitions,
		MTTR:        MTTR{BySeverity: map[string]SevMTTR{}},
	}
	if !q.Since.IsZero() {
		s := q.Since.UTC()
		r.Window.Since = &s
	}
	if err := conn.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='last_seq'`).Scan(&r.IndexedTo); err != nil {
		return nil, err
	}
	// The window filter names only the bounds that are set, so that an
	// open window costs no range scan.
	ev := `1=1`
	var evArgs []any
	if f.since != math.MinInt64 {
		ev += ` AND time >= ?`
		evArgs = append(evArgs, f.since)
	}
	if f.until != math.MaxInt64 {
		ev += ` AND time < ?`
		evArgs = append(evArgs, f.until)
	}
	if f.commits {
		ev += ` AND commit_id IN (SELECT c FROM q_commits)`
	}
	run := func(query string, args []any, scan func(*sql.Rows) error) error {
		rows, err := conn.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("KPI query: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if f.commits || q.raw {
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE `+ev, evArgs...).Scan(&r.Events); err != nil {
			return nil, err
		}
	} else if err := f.split(
		func(hLo, hHi int64) error {
			var n int
			err := conn.QueryRowContext(ctx, `SELECT COALESCE(SUM(n),0) FROM events_hourly WHERE hour >= ? AND hour < ?`, hLo, hHi).Scan(&n)
			r.Events += n
			return err
		},
		func(lo, hi int64) error {
			var n int
			err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM events INDEXED BY events_time WHERE time >= ? AND time < ?`, lo, hi).Scan(&n)
			r.Events += n
			return err
		}); err != nil {
		return nil, err
	}

	// Releases.
	type relScan struct {
		release, repo string
		seq, t        int64
	}
	var rels []relScan
	err = run(`SELECT release, repo,
	    COALESCE(MAX(CASE WHEN scope='full' THEN seq END), MAX(seq)),
	    MAX(time)
	  FROM events WHERE kind='scan.gate' AND release != '' AND `+ev+` GROUP BY release, repo`, evArgs,
		func(rows *sql.Rows) error {
			var s relScan
			if err := rows.Scan(&s.release, &s.repo, &s.seq, &s.t); err != nil {
				return err
			}
			rels = append(rels, s)
			return nil
		})
	if err != nil {
		return nil, err
	}
	sort.Slice(rels, func(i, j int) bool { return rels[i].seq < rels[j].seq })
	for _, s := range rels {
		rf := ReleaseFindings{Release: s.release, Repo: s.repo, Time: time.UnixMilli(s.t).UTC()}
		err := run(`SELECT severity, COUNT(DISTINCT fingerprint) FROM findings WHERE seq=? AND suppressed=0 AND severity>=? GROUP BY severity`,
			[]any{s.seq, int(finding.SeverityHigh)}, func(rows *sql.Rows) error {
				var sev, n int
				if err := rows.Scan(&sev, &n); err != nil {
					return err
				}
				switch finding.Severity(sev) {
				case finding.SeverityCritical:
					rf.Critical = n
				case finding.SeverityHigh:
					rf.High = n
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		r.Releases = append(r.Releases, rf)
	}

	// Open findings at the end of the window.
	if err := run(`SELECT severity, COUNT(*) FROM lifecycles WHERE suppressed=0 AND first_seen < ? AND (gone IS NULL OR gone >= ?) GROUP BY severity`,
		[]any{end, end}, func(rows *sql.Rows) error {
			var sev, n int
			if err := rows.Scan(&sev, &n); err != nil {
				return err
			}
			r.Open[finding.Severity(sev).String()] = n
			return nil
		}); err != nil {
		return nil, err
	}

	// MTTR.
	life := `gone IS NOT NULL AND gone >= ? AND gone < ?`
	lifeArgs := []any{f.since, f.until}
	if f.commits {
		life += ` AND gone_commit IN (SELECT c FROM q_commits)`
	}
	var all []float64
	bySev := map[string][]float64{}
	if err := run(`SELECT severity, gone - first_seen FROM lifecycles WHERE `+life, lifeArgs, func(rows *sql.Rows) error {
		var sev int
		var ms int64
		if err := rows.Scan(&sev, &ms); err != nil {
			return err
		}
		h := float64(ms) / 3.6e6
		all = append(all, h)
		name := finding.Severity(sev).String()
		bySev[name] = append(bySev[name], h)
		return nil
	}); err != nil {
		return nil, err
	}
	r.MTTR.Remediated = len(all)
	r.MTTR.MeanHours, r.MTTR.MedianHours = mean(all), median(all)
	for k, v := range bySev {
		r.MTTR.BySeverity[k] = SevMTTR{Remediated: len(v), MeanHours: mean(v)}
	}

	// Secret leaks.
	first := `first_seen >= ? AND first_seen < ?`
	firstArgs := []any{f.since, f.until}
	if f.commits {
		first += ` AND first_commit IN (SELECT c FROM q_commits)`
	}
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(gone IS NOT NULL AND gone < ?),0), COALESCE(SUM(severity >= ?),0)
	  FROM lifecycles WHERE engine='secrets' AND `+first, append([]any{end, int(finding.SeverityCritical)}, firstArgs...)...).
		Scan(&r.SecretLeaks.Incidents, &r.SecretLeaks.Remediated, &r.SecretLeaks.CriticalOrHigher); err != nil {
		return nil, err
	}
	r.SecretLeaks.StillOpen = r.SecretLeaks.Incidents - r.SecretLeaks.Remediated
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(DISTINCT f.seq) FROM findings f INDEXED BY findings_engine CROSS JOIN events e ON e.seq=f.seq
	  WHERE f.engine='secrets' AND e.kind='agent.action' AND e.decision='deny' AND `+prefixed(ev, "e."), evArgs...).
		Scan(&r.SecretLeaks.BlockedByGuard); err != nil {
		return nil, err
	}

	// Agent actions: one pass by decision, agent and access, one over the
	// rules of denied and asked actions.
	byAgent := map[string]map[string]int{"deny": {}, "ask": {}}
	access := map[string]int{}
	addAgent := func(rows *sql.Rows) error {
		var d, agent string
		var unauth bool
		var n int
		if err := rows.Scan(&d, &agent, &unauth, &n); err != nil {
			return err
		}
		r.Agent.Total += n
		switch d {
		case "allow":
			r.Agent.Allowed += n
		case "deny":
			r.Agent.Denied += n
		case "ask":
			r.Agent.Asked += n
		}
		if m := byAgent[d]; m != nil {
			m[agent] += n
		}
		if unauth {
			access[agent] += n
			r.Access.Blocked += n
		}
		return nil
	}
	byRule := map[string]map[string]int{"deny": {}, "ask": {}}
	addRule := func(rows *sql.Rows) error {
		var d, rule string
		var n int
		if err := rows.Scan(&d, &rule, &n); err != nil {
			return err
		}
		byRule[d][rule] += n
		return nil
	}
	const agentRaw = `SELECT decision, agent, unauthorized, COUNT(*) FROM events %s WHERE kind='agent.action' AND %s GROUP BY decision, agent, unauthorized`
	const ruleRaw = `SELECT e.decision, r.rule, COUNT(*) FROM events e %s JOIN event_rules r ON r.seq=e.seq
	  WHERE e.kind='agent.action' AND e.decision IN ('deny','ask') AND %s GROUP BY e.decision, r.rule`
	if f.commits || q.raw {
		if err := run(fmt.Sprintf(agentRaw, "", ev), evArgs, addAgent); err != nil {
			return nil, err
		}
		if err := run(fmt.Sprintf(ruleRaw, "", prefixed(ev, "e.")), evArgs, addRule); err != nil {
			return nil, err
		}
	} else if err := f.split(
		func(hLo, hHi int64) error {
			if err := run(`SELECT decision, agent, unauthorized, SUM(n) FROM agent_hourly WHERE hour >= ? AND hour < ? GROUP BY decision, agent, unauthorized`,
				[]any{hLo, hHi}, addAgent); err != nil {
				return err
			}
			return run(`SELECT decision, rule, SUM(n) FROM rule_hourly WHERE hour >= ? AND hour < ? GROUP BY decision, rule`, []any{hLo, hHi}, addRule)
		},
		func(lo, hi int64) error {
			if err := run(fmt.Sprintf(agentRaw, "INDEXED BY events_time", "time >= ? AND time < ?"), []any{lo, hi}, addAgent); err != nil {
				return err
			}
			return run(fmt.Sprintf(ruleRaw, "INDEXED BY events_time", "e.time >= ? AND e.time < ?"), []any{lo, hi}, addRule)
		}); err != nil {
		return nil, err
	}
	r.Agent.DeniedByRule, r.Agent.AskedByRule = sortedCounts(byRule["deny"]), sortedCounts(byRule["ask"])
	r.Agent.DeniedByAgnt, r.Agent.AskedByAgent = sortedCounts(byAgent["deny"]), sortedCounts(byAgent["ask"])
	r.Access.ByAgent = sortedCounts(access)

	// Vulnerable dependencies open at the end of the window.
	var ages, pubAges []float64
	if err := run(`SELECT package, version, advisory, severity, first_seen, published FROM lifecycles
	  WHERE engine='deps' AND suppressed=0 AND first_seen < ? AND (gone IS NULL OR gone >= ?) ORDER BY first_seen, id`, []any{end, end},
		func(rows *sql.Rows) error {
			var d DepOpen
			var sev int
			var fs int64
			var pub sql.NullInt64
			if err := rows.Scan(&d.Package, &d.Version, &d.Advisory, &sev, &fs, &pub); err != nil {
				return err
			}
			d.Severity = finding.Severity(sev).String()
			d.FirstSeen = time.UnixMilli(fs).UTC()
			d.AgeDays = round1(float64(end-fs) / 8.64e7)
			ages = append(ages, d.AgeDays)
			if pub.Valid {
				pubAges = append(pubAges, float64(end-pub.Int64)/8.64e7)
			}
			if len(r.Deps.Oldest) < 10 {
				r.Deps.Oldest = append(r.Deps.Oldest, d)
			}
			return nil
		}); err != nil {
		return nil, err
	}
	r.Deps.Open = len(ages)
	r.Deps.MeanAgeDays = round1(mean(ages))
	r.Deps.MeanPublishDays = round1(mean(pubAges))
	for _, a := range ages {
		r.Deps.MaxAgeDays = max(r.Deps.MaxAgeDays, a)
	}
	r.MTTR.MeanHours, r.MTTR.MedianHours = round1(r.MTTR.MeanHours), round1(r.MTTR.MedianHours)
	for k, v := range r.MTTR.BySeverity {
		v.MeanHours = round1(v.MeanHours)
		r.MTTR.BySeverity[k] = v
	}
	return r, nil
}

// sortedCounts orders counts by count, then key; an empty key is "(none)".
func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		if k == "" {
			k = "(none)"
		}
		out = append(out, Count{k, n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// prefixed qualifies the window filter's columns with a table alias.
func prefixed(cond, alias string) string {
	for _, col := range []string{"time", "commit_id"} {
		cond = strings.ReplaceAll(cond, col+" ", alias+col+" ")
	}
	return cond
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
