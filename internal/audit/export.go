package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/wardenhq/warden/internal/policy"
)

// Filter selects events for `warden audit show`. Zero fields match all.
type Filter struct {
	Since, Until time.Time // Since inclusive, Until exclusive
	Agent        string
	Session      string
	Decision     string
	Rule         string
	Kind         Kind
}

// Match reports whether e passes the filter.
func (f Filter) Match(e *Event) bool {
	switch {
	case !f.Since.IsZero() && e.Time.Before(f.Since),
		!f.Until.IsZero() && !e.Time.Before(f.Until),
		f.Agent != "" && !strings.EqualFold(e.Actor.Agent, f.Agent),
		f.Session != "" && e.Actor.Session != f.Session,
		f.Decision != "" && !strings.EqualFold(e.Decision, f.Decision),
		f.Kind != "" && e.Kind != f.Kind:
		return false
	}
	if f.Rule != "" && !slices.Contains(e.Rules, f.Rule) &&
		!slices.ContainsFunc(e.Findings, func(r FindingRef) bool { return r.Rule == f.Rule }) {
		return false
	}
	return true
}

// Cursor remembers how far an export went: the last event sent and its
// hash, so that a log rewritten under it is noticed.
type Cursor struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// ReadCursor reads a cursor file; a missing file is the zero cursor (export
// everything).
func ReadCursor(path string) (Cursor, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("export cursor: %w", err)
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return Cursor{}, fmt.Errorf("export cursor %s is not valid (%v): remove it to export everything again", path, err)
	}
	return c, nil
}

// WriteCursor saves a cursor atomically.
func WriteCursor(path string, c Cursor) error {
	b, _ := json.Marshal(c)
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("saving export cursor: %w", err)
	}
	return nil
}

// Export writes every event after the cursor to w as JSON lines, exactly as
// they are in the log (so a SIEM can check the chain itself), and returns
// the new cursor and how many events it wrote. The caller saves the cursor
// only once w is flushed: then each event is sent exactly once, and a
// failed export is simply repeated. An event at the cursor whose hash
// differs means the log was rewritten: Export refuses.
func Export(path string, from Cursor, w io.Writer) (Cursor, int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	cur, n := from, 0
	checked := from.Seq == 0
	err := Read(path, ReadOptions{AfterSeq: max(from.Seq, 1) - 1}, func(r Record) error {
		if !checked && r.Seq == from.Seq {
			checked = true
			if lineHash(r.Line) != from.Hash {
				return fmt.Errorf("event %d is not the one exported before (its hash changed): the log was rewritten; run 'warden audit verify'", r.Seq)
			}
			return nil
		}
		if r.Seq <= cur.Seq {
			return nil
		}
		if r.Seq != cur.Seq+1 && cur.Seq != 0 && checked {
			return fmt.Errorf("event %d follows event %d: the log has a gap; run 'warden audit verify'", r.Seq, cur.Seq)
		}
		if _, err := bw.Write(r.Line); err != nil {
			return err
		}
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
		cur = Cursor{Seq: r.Seq, Hash: lineHash(r.Line)}
		n++
		return nil
	})
	if err != nil {
		return from, 0, err
	}
	if err := bw.Flush(); err != nil {
		return from, 0, err
	}
	return cur, n, nil
}

// OptionsFromPolicy turns the policy's audit section into Options. signer
// may be nil (no key configured or found).
func OptionsFromPolicy(a policy.Audit, signer note.Signer) Options {
	return Options{
		RotateSize:         int64(a.RotateSize),
		Retention:          time.Duration(a.Retention),
		CheckpointEvery:    a.CheckpointEvery,
		CheckpointInterval: time.Duration(a.CheckpointInterval),
		Signer:             signer,
	}
}
