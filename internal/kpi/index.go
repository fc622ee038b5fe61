// Package kpi computes the security measures leaders track (critical and
// high findings per release, time to remediate, secret leak incidents,
// denied and asked agent actions, blocked unauthorized access, vulnerable
// dependency age) from the audit log, through an embedded SQLite index
// (modernc.org/sqlite, pure Go) that is built from the log and can be
// rebuilt from it at any time.
package kpi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/wardenhq/warden/internal/audit"
)

// indexSchema is bumped whenever the tables change; an index of another
// version is rebuilt.
const indexSchema = 3

const schemaSQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL,
  agent TEXT NOT NULL, session TEXT NOT NULL, decision TEXT NOT NULL,
  action_kind TEXT NOT NULL, repo TEXT NOT NULL, commit_id TEXT NOT NULL,
  release TEXT NOT NULL, scope TEXT NOT NULL, unauthorized INTEGER NOT NULL);
CREATE INDEX events_time ON events(time);
CREATE INDEX events_agent ON events(kind, decision, agent, unauthorized, time);
CREATE TABLE event_rules (seq INTEGER NOT NULL, rule TEXT NOT NULL);
CREATE INDEX event_rules_seq ON event_rules(seq);
CREATE TABLE findings (
  seq INTEGER NOT NULL, fingerprint TEXT NOT NULL, rule TEXT NOT NULL,
  engine TEXT NOT NULL, severity INTEGER NOT NULL, suppressed INTEGER NOT NULL);
CREATE INDEX findings_seq ON findings(seq);
CREATE INDEX findings_engine ON findings(engine, seq);
CREATE TABLE lifecycles (
  id INTEGER PRIMARY KEY, repo TEXT NOT NULL, fingerprint TEXT NOT NULL,
  rule TEXT NOT NULL, engine TEXT NOT NULL, severity INTEGER NOT NULL,
  package TEXT NOT NULL, version TEXT NOT NULL, advisory TEXT NOT NULL,
  published INTEGER, first_seen INTEGER NOT NULL, first_seq INTEGER NOT NULL,
  first_commit TEXT NOT NULL, gone INTEGER, gone_seq INTEGER, gone_commit TEXT,
  suppressed INTEGER NOT NULL);
CREATE INDEX lifecycles_open ON lifecycles(repo, fingerprint, gone);
CREATE TABLE events_hourly (hour INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE agent_hourly (hour INTEGER NOT NULL, decision TEXT NOT NULL, agent TEXT NOT NULL,
  unauthorized INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (hour, decision, agent, unauthorized)) WITHOUT ROWID;
CREATE TABLE rule_hourly (hour INTEGER NOT NULL, decision TEXT NOT NULL, rule TEXT NOT NULL,
  n INTEGER NOT NULL, PRIMARY KEY (hour, decision, rule)) WITHOUT ROWID;
`

// Index is the SQLite index of one audit log.
type Index struct {
	db   *sql.DB
	path string
}

// OpenIndex opens (creating it if needed) the index database at path.
func OpenIndex(path string) (*Index, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating index directory: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("opening KPI index %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	x := &Index{db: db, path: path}
	if err := x.ensureSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return x, nil
}

// Close closes the database.
func (x *Index) Close() error { return x.db.Close() }

func (x *Index) ensureSchema() error {
	var v string
	err := x.db.QueryRow(`SELECT value FROM meta WHERE key='schema'`).Scan(&v)
	if err == nil && v == strconv.Itoa(indexSchema) {
		return nil
	}
	return x.reset()
}

// reset drops everything and creates empty tables.
func (x *Index) reset() error {
	rows, err := x.db.Query(`SELECT name FROM sqlite_master WHERE type='table'`)
	if err != nil {
		return fmt.Errorf("KPI index %s: %w", x.path, err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, n)
	}
	rows.Close()
	tx, err := x.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range tables {
		// Identifiers cannot be query parameters; these come from the
		// index's own sqlite_master and are quoted all the same.
		if _, err := tx.Exec(`DROP TABLE IF EXISTS "` + strings.ReplaceAll(t, `"`, `""`) + `"`); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(schemaSQL); err != nil {
		return fmt.Errorf("creating KPI index: %w", err)
	}
	if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES ('schema', ?), ('last_seq', '0'), ('last_hash', ''), ('last_pos', '')`, strconv.Itoa(indexSchema)); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateResult says what Update did.
type UpdateResult struct {
	Added   int
	Rebuilt bool
	LastSeq uint64
}

// Update indexes the events appended to the log since the last update. If
// the event the index stopped at is no longer the same (the log was
// replaced or rewritten) it rebuilds the index from the whole log.
func (x *Index) Update(ctx context.Context, logPath string) (UpdateResult, error) {
	res, err := x.update(ctx, logPath)
	if errors.Is(err, errStale) {
		if err := x.reset(); err != nil {
			return UpdateResult{}, err
		}
		res, err = x.update(ctx, logPath)
		res.Rebuilt = true
	}
	return res, err
}

// Rebuild drops the index and builds it again from the log.
func (x *Index) Rebuild(ctx context.Context, logPath string) (UpdateResult, error) {
	if err := x.reset(); err != nil {
		return UpdateResult{}, err
	}
	res, err := x.update(ctx, logPath)
	res.Rebuilt = true
	return res, err
}

var errStale = errors.New("index does not match the log")

type openKey struct{ repo, fp string }

// openLife is an open lifecycle: its row and whether the finding is
// currently accepted by an exception or baseline.
type openLife struct {
	id         int64
	suppressed bool
}

func (x *Index) update(ctx context.Context, logPath string) (UpdateResult, error) {
	var lastSeqS, lastHash string
	if err := x.db.QueryRow(`SELECT value FROM meta WHERE key='last_seq'`).Scan(&lastSeqS); err != nil {
		return UpdateResult{}, fmt.Errorf("KPI index: %w", err)
	}
	if err := x.db.QueryRow(`SELECT value FROM meta WHERE key='last_hash'`).Scan(&lastHash); err != nil {
		return UpdateResult{}, fmt.Errorf("KPI index: %w", err)
	}
	lastSeq, _ := strconv.ParseUint(lastSeqS, 10, 64)
	var posS string
	var from *audit.Position
	if err := x.db.QueryRow(`SELECT value FROM meta WHERE key='last_pos'`).Scan(&posS); err == nil && posS != "" {
		var p audit.Position
		if json.Unmarshal([]byte(posS), &p) == nil {
			from = &p
		}
	}

	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return UpdateResult{}, err
	}
	defer tx.Rollback()
	w, err := newWriter(ctx, tx)
	if err != nil {
		return UpdateResult{}, err
	}
	defer w.close()

	res := UpdateResult{LastSeq: lastSeq}
	checked := lastSeq == 0
	opts := audit.ReadOptions{AfterSeq: max(lastSeq, 1) - 1}
	if from != nil && lastSeq > 0 {
		// Resume at the last indexed event (whose hash is checked below)
		// without rereading the log before it.
		opts.From = from
	}
	var pos audit.Position
	prevHash := lastHash
	err = audit.Read(logPath, opts, func(r audit.Record) error {
		if r.Seq <= lastSeq {
			if r.Seq == lastSeq {
				checked = true
				if audit.LineHash(r.Line) != lastHash {
					return errStale
				}
			}
			return nil
		}
		if !checked {
			// The event the index stopped at is gone: either retention
			// removed it (the log moved on) or the log was replaced.
			checked = true
			if r.Seq <= lastSeq {
				return errStale
			}
		}
		if r.Seq == lastSeq+1 && lastSeq > 0 && r.Prev != prevHash {
			return errStale // the event after the indexed one does not follow it
		}
		if err := w.add(&r.Event); err != nil {
			return err
		}
		res.Added++
		res.LastSeq, lastHash = r.Seq, audit.LineHash(r.Line)
		pos = audit.Position{Segment: r.Next.Segment, Offset: r.Next.Offset - int64(len(r.Line)) - 1}
		if res.Added%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return UpdateResult{}, err
	}
	if lastSeq > 0 && !checked {
		return UpdateResult{}, errStale // the log is shorter than the index
	}
	if err := w.flush(); err != nil {
		return UpdateResult{}, err
	}
	if _, err := tx.Exec(`UPDATE meta SET value=? WHERE key='last_seq'`, strconv.FormatUint(res.LastSeq, 10)); err != nil {
		return UpdateResult{}, err
	}
	if _, err := tx.Exec(`UPDATE meta SET value=? WHERE key='last_hash'`, lastHash); err != nil {
		return UpdateResult{}, err
	}
	if res.Added > 0 {
		b, _ := json.Marshal(pos)
		if _, err := tx.Exec(`UPDATE meta SET value=? WHERE key='last_pos'`, string(b)); err != nil {
			return UpdateResult{}, err
		}
	}
	return res, tx.Commit()
}

// writer inserts events with prepared statements inside one transaction and
// follows each finding's lifecycle per repository.
type writer struct {
	ctx                           context.Context
	tx                            *sql.Tx
	ev, rule, find, life, goneStm *sql.Stmt
	suppStm                       *sql.Stmt
	open                          map[openKey]openLife
	byRepo                        map[string]map[string]int64
	evHourly                      map[int64]int
	agentHourly, ruleHourly       map[agentKey]int
}

func newWriter(ctx context.Context, tx *sql.Tx) (*writer, error) {
	w := &writer{ctx: ctx, tx: tx, open: map[openKey]openLife{}, byRepo: map[string]map[string]int64{},
		evHourly: map[int64]int{}, agentHourly: map[agentKey]int{}, ruleHourly: map[agentKey]int{}}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = tx.PrepareContext(ctx, q)
		return s
	}
	w.ev = prep(`INSERT INTO events(seq,time,kind,agent,session,decision,action_kind,repo,commit_id,release,scope,unauthorized) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
	w.rule = prep(`INSERT INTO event_rules(seq,rule) VALUES (?,?)`)
	w.find = prep(`INSERT INTO findings(seq,fingerprint,rule,engine,severity,suppressed) VALUES (?,?,?,?,?,?)`)
	w.life = prep(`INSERT INTO lifecycles(repo,fingerprint,rule,engine,severity,package,version,advisory,published,first_seen,first_seq,first_commit,suppressed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	w.suppStm = prep(`UPDATE lifecycles SET suppressed=? WHERE id=?`)
	w.goneStm = prep(`UPDATE lifecycles SET gone=?, gone_seq=?, gone_commit=? WHERE id=?`)
	if err != nil {
		w.close()
		return nil, fmt.Errorf("KPI index: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, repo, fingerprint, suppressed FROM lifecycles WHERE gone IS NULL`)
	if err != nil {
		w.close()
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ol openLife
		var k openKey
		if err := rows.Scan(&ol.id, &k.repo, &k.fp, &ol.suppressed); err != nil {
			w.close()
			return nil, err
		}
		w.setOpen(k, ol)
	}
	return w, rows.Err()
}

func (w *writer) setOpen(k openKey, ol openLife) {
	w.open[k] = ol
	m := w.byRepo[k.repo]
	if m == nil {
		m = map[string]int64{}
		w.byRepo[k.repo] = m
	}
	m[k.fp] = ol.id
}

func (w *writer) close() {
	for _, s := range []*sql.Stmt{w.ev, w.rule, w.find, w.life, w.goneStm, w.suppStm} {
		if s != nil {
			s.Close()
		}
	}
}

// hourMS is the width of the rollup buckets.
const hourMS = 3_600_000

type agentKey struct {
	hour           int64
	decision, name string
	unauthorized   int
}

// flush adds the batch's hourly rollups (kept in memory while indexing) to
// the rollup tables.
func (w *writer) flush() error {
	for h, n := range w.evHourly {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO events_hourly(hour, n) VALUES (?, ?)
		  ON CONFLICT(hour) DO UPDATE SET n = n + excluded.n`, h, n); err != nil {
			return err
		}
	}
	for k, n := range w.agentHourly {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO agent_hourly(hour, decision, agent, unauthorized, n) VALUES (?, ?, ?, ?, ?)
		  ON CONFLICT(hour, decision, agent, unauthorized) DO UPDATE SET n = n + excluded.n`, k.hour, k.decision, k.name, k.unauthorized, n); err != nil {
			return err
		}
	}
	for k, n := range w.ruleHourly {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO rule_hourly(hour, decision, rule, n) VALUES (?, ?, ?, ?)
		  ON CONFLICT(hour, decision, rule) DO UPDATE SET n = n + excluded.n`, k.hour, k.decision, k.name, n); err != nil {
			return err
		}
	}
	return nil
}

// Unauthorized reports whether an agent event counts as a blocked
// unauthorized-access attempt: denied, and either tagged so by the guard or
// a read, fetch or MCP call (a file, host or server outside the policy).
func Unauthorized(e *audit.Event) bool {
	if e.Kind != audit.KindAgentAction || e.Decision != audit.DecisionDeny {
		return false
	}
	if slices.Contains(e.Tags, audit.TagUnauthorizedAccess) {
		return true
	}
	if e.Action != nil {
		switch e.Action.Kind {
		case "read", "fetch", "mcp":
			return true
		}
	}
	return false
}

func (w *writer) add(e *audit.Event) error {
	t := e.Time.UnixMilli()
	actionKind, scope := "", ""
	if e.Action != nil {
		actionKind = e.Action.Kind
	}
	if e.Scan != nil {
		scope = e.Scan.Scope
	}
	unauth := 0
	if Unauthorized(e) {
		unauth = 1
	}
	if _, err := w.ev.ExecContext(w.ctx, int64(e.Seq), t, string(e.Kind), e.Actor.Agent, e.Actor.Session, e.Decision,
		actionKind, e.Repo.Name, e.Repo.Commit, e.Repo.Release, scope, unauth); err != nil {
		return fmt.Errorf("indexing event %d: %w", e.Seq, err)
	}
	for _, r := range e.Rules {
		if _, err := w.rule.ExecContext(w.ctx, int64(e.Seq), r); err != nil {
			return err
		}
	}
	hour := floorDiv(t, hourMS)
	w.evHourly[hour]++
	if e.Kind == audit.KindAgentAction {
		w.agentHourly[agentKey{hour, e.Decision, e.Actor.Agent, unauth}]++
		if e.Decision == audit.DecisionDeny || e.Decision == audit.DecisionAsk {
			for _, r := range e.Rules {
				w.ruleHourly[agentKey{hour: hour, decision: e.Decision, name: r}]++
			}
		}
	}
	for _, f := range e.Findings {
		if _, err := w.find.ExecContext(w.ctx, int64(e.Seq), f.Fingerprint, f.Rule, f.Engine, int(f.Severity), b2i(f.Suppressed)); err != nil {
			return err
		}
	}
	if e.Kind != audit.KindScanGate {
		return nil
	}
	// Lifecycles: a finding is open from the first scan that reports it
	// until the first full scan of the same repository that does not.
	present := make(map[string]bool, len(e.Findings))
	for _, f := range e.Findings {
		present[f.Fingerprint] = true
		k := openKey{e.Repo.Name, f.Fingerprint}
		if ol, ok := w.open[k]; ok {
			if ol.suppressed != f.Suppressed {
				if _, err := w.suppStm.ExecContext(w.ctx, b2i(f.Suppressed), ol.id); err != nil {
					return err
				}
				ol.suppressed = f.Suppressed
				w.open[k] = ol
			}
			continue
		}
		var pub any
		if !f.Published.IsZero() {
			pub = f.Published.UnixMilli()
		}
		res, err := w.life.ExecContext(w.ctx, e.Repo.Name, f.Fingerprint, f.Rule, f.Engine, int(f.Severity),
			f.Package, f.Version, f.Advisory, pub, t, int64(e.Seq), e.Repo.Commit, b2i(f.Suppressed))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		w.setOpen(k, openLife{id, f.Suppressed})
	}
	if scope == audit.ScopeFull {
		for fp, id := range w.byRepo[e.Repo.Name] {
			if present[fp] {
				continue
			}
			if _, err := w.goneStm.ExecContext(w.ctx, t, int64(e.Seq), e.Repo.Commit, id); err != nil {
				return err
			}
			delete(w.byRepo[e.Repo.Name], fp)
			delete(w.open, openKey{e.Repo.Name, fp})
		}
	}
	return nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
