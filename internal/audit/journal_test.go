package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// journalRec frames an event body as Append writes it to the journal.
func journalRec(t *testing.T, e Event) []byte {
	t.Helper()
	e.V, e.Seq, e.Prev, e.Time = SchemaVersion, 0, "", t0
	b, err := e.marshal()
	if err != nil {
		t.Fatal(err)
	}
	n := newNonce()
	return append(append(append([]byte{recordSep}, n[:]...), b...), '\n')
}

func appendToJournal(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(journalPath(path), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func summaries(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Kind)+":"+r.Summary)
	}
	return out
}

// A record cut short in the journal (its writer killed mid-write) is
// skipped, recorded as a repair event with its size and hash, and the
// records around it are sealed in order.
func TestJournalTornRecordIsSkippedAndRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	c := &clock{t: t0}
	l := openTest(t, path, Options{Now: c.now})
	appendN(t, l, 2, DecisionAllow)
	whole := journalRec(t, Event{Kind: KindAgentAction, Summary: "whole"})
	torn := whole[:len(whole)/2]
	appendToJournal(t, path, torn)
	if _, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "after"}); err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	want := []string{"agent.action:exec: step 0", "agent.action:exec: step 1",
		"repair:skipped a torn journal record of " + fmt.Sprint(len(torn)) + " bytes (a writer was interrupted)", "agent.action:after"}
	if diff := cmp.Diff(want, summaries(recs)); diff != "" {
		t.Fatalf("log (-want +got):\n%s", diff)
	}
	sum := sha256.Sum256(torn)
	wantSeg := &Segment{Name: "audit.jsonl.journal", Bytes: int64(len(torn)), SHA256: hex.EncodeToString(sum[:])}
	if diff := cmp.Diff(wantSeg, recs[2].Segment); diff != "" {
		t.Errorf("repair event segment (-want +got):\n%s", diff)
	}
	if rep, err := Verify(path, VerifyOptions{}); err != nil || !rep.Intact() || rep.Pending != 0 {
		t.Fatalf("Verify: %v %+v pending %d", err, rep.Problem, rep.Pending)
	}
	// A malformed but complete record (not an event) is skipped the same way.
	malformed := []byte("\x1e0123456789abcdef{\"v\":1,\"seq\":0,not json}\n")
	appendToJournal(t, path, malformed)
	appendN(t, l, 1, DecisionDeny)
	recs = readAll(t, path)
	checkChain(t, recs)
	if got := summaries(recs[4:]); !strings.HasPrefix(got[0], fmt.Sprintf("repair:skipped a torn journal record of %d bytes", len(malformed))) || got[1] != "agent.action:exec: step 0" {
		t.Fatalf("after a malformed record: %q", got)
	}
}

// A record whose writer found the seal lock taken, when the holder then
// died, waits in the journal: Verify counts it as pending and Seal (what
// the readers call) puts it in the chain.
func TestPendingRecordsAreReportedAndSealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: (&clock{t: t0}).now})
	appendN(t, l, 3, DecisionAllow)
	appendToJournal(t, path, journalRec(t, Event{Kind: KindAgentAction, Summary: "waiting 1"}))
	appendToJournal(t, path, journalRec(t, Event{Kind: KindAgentAction, Summary: "waiting 2"}))
	// And one still being written (no LF yet): counted, not sealed.
	partial := journalRec(t, Event{Kind: KindAgentAction, Summary: "in flight"})
	appendToJournal(t, path, partial[:20])

	rep, err := Verify(path, VerifyOptions{})
	if err != nil || !rep.Intact() {
		t.Fatalf("Verify: %v %+v", err, rep.Problem)
	}
	if rep.Pending != 3 || rep.Events != 3 {
		t.Fatalf("Verify: %d events, %d pending; want 3 and 3", rep.Events, rep.Pending)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "3 event(s) are in the journal") {
		t.Errorf("no warning about pending events: %q", rep.Warnings)
	}
	l2 := openTest(t, path, Options{})
	seq, err := l2.Seal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if seq != 5 {
		t.Fatalf("Seal returned %d, want 5", seq)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	if got := summaries(recs[3:]); !cmp.Equal(got, []string{"agent.action:waiting 1", "agent.action:waiting 2"}) {
		t.Fatalf("sealed %q", got)
	}
	if n, err := Pending(path); err != nil || n != 1 {
		t.Fatalf("Pending after Seal = %d, %v; want 1 (the record being written)", n, err)
	}
	// The record completes: the next append seals it before its own event.
	appendToJournal(t, path, partial[20:])
	if seq, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "last"}); err != nil || seq != 7 {
		t.Fatalf("Append: %d %v; want 7", seq, err)
	}
	if got := summaries(readAll(t, path)[5:]); !cmp.Equal(got, []string{"agent.action:in flight", "agent.action:last"}) {
		t.Fatalf("sealed %q", got)
	}
}

// A sealer killed after writing the log but before recording how far it
// sealed the journal: the next sealer finds the records already in the log
// (it matches them) and does not seal them twice.
func TestSealPositionIsReconciledAfterACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{Now: (&clock{t: t0}).now})
	appendN(t, l, 2, DecisionAllow)
	stale, err := os.ReadFile(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3, DecisionDeny)
	for name, state := range map[string][]byte{
		"stale position": stale,
		"torn position":  append([]byte("warden-seal v1 garbage"), bytes.Repeat([]byte{' '}, 170)...),
		"no position":    nil,
	} {
		t.Run(name, func(t *testing.T) {
			before := len(readAll(t, path))
			if err := os.WriteFile(path+".lock", state, 0o600); err != nil {
				t.Fatal(err)
			}
			l2 := openTest(t, path, Options{})
			if _, err := l2.Append(context.Background(), Event{Kind: KindAgentAction, Summary: name}); err != nil {
				t.Fatal(err)
			}
			recs := readAll(t, path)
			checkChain(t, recs)
			if len(recs) != before+1 || recs[len(recs)-1].Summary != name {
				t.Fatalf("log has %d events after one more append (want %d): %q", len(recs), before+1, summaries(recs[max(0, before-3):]))
			}
		})
	}
}

// Goroutines sharing one Log (a resident daemon) never lose an event.
func TestGoroutinesShareOneLog(t *testing.T) {
	const writers, each = 16, 300
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := Event{Kind: KindAgentAction, Actor: Actor{Session: fmt.Sprint(w)}, Summary: fmt.Sprintf("exec: step %d", i)}
				if _, err := l.Append(context.Background(), e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// No Seal: every event must be in the log when the last Append returns.
	checkWriters(t, path, writers*each)
}

// checkWriters checks that the log at path is one valid chain of n events
// from writers that each appended "exec: step 0", "exec: step 1"... under
// their own session: each writer's events all there, once, in order.
func checkWriters(t *testing.T, path string, n int) {
	t.Helper()
	recs := readAll(t, path)
	checkChain(t, recs)
	if len(recs) != n {
		t.Fatalf("log has %d events, want %d", len(recs), n)
	}
	next := map[string]int{}
	for _, r := range recs {
		if want := fmt.Sprintf("exec: step %d", next[r.Actor.Session]); r.Summary != want {
			t.Fatalf("writer %s: %q, want %q (lost, duplicated or reordered)", r.Actor.Session, r.Summary, want)
		}
		next[r.Actor.Session]++
	}
}

// Events too large for one journal record take the locked path, in order
// with the journal's.
func TestLargeEventTakesTheLockedPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{})
	appendN(t, l, 1, DecisionAllow)
	appendToJournal(t, path, journalRec(t, Event{Kind: KindAgentAction, Summary: "waiting"}))
	big := Event{Kind: KindAgentAction, Summary: "big"}
	for i := range 400 {
		big.Paths = append(big.Paths, fmt.Sprintf("src/some/rather/long/directory/name/file%04d.go", i))
	}
	seq, err := l.Append(context.Background(), big)
	if err != nil {
		t.Fatal(err)
	}
	if seq != 3 {
		t.Fatalf("large event got seq %d, want 3 (after the waiting one)", seq)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	if got := summaries(recs); !cmp.Equal(got, []string{"agent.action:exec: step 0", "agent.action:waiting", "agent.action:big"}) {
		t.Fatalf("log %q", got)
	}
	if len(recs[2].Line) <= maxJournalRecord {
		t.Fatalf("the large event is only %d bytes: the test does not exercise the locked path", len(recs[2].Line))
	}
}

// Compaction never loses a concurrent write: processes append while the
// journal is compacted over and over (a tiny compaction size), by hole
// punching and by removal.
func TestJournalCompactionLosesNothing(t *testing.T) {
	modes := map[string]bool{"remove": true}
	if punchHoles {
		modes["punch"] = false
	}
	for name, remove := range modes {
		t.Run(name, func(t *testing.T) {
			const procs, each = 6, 400
			dir := t.TempDir()
			path := filepath.Join(dir, "audit.jsonl")
			l, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			l.removeJournal, l.compactSize = remove, 8<<10
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			var ps []*os.Process
			for w := range procs {
				env := append(os.Environ(), fmt.Sprintf("WARDEN_AUDIT_HELPER=%s|%d|%d", path, w, each), "WARDEN_AUDIT_HELPER_COMPACT=8192")
				if remove {
					env = append(env, "WARDEN_AUDIT_HELPER_REMOVE=1")
				}
				p, err := os.StartProcess(exe, []string{exe, "-test.run=^$"}, &os.ProcAttr{Env: env, Files: []*os.File{nil, os.Stdout, os.Stderr}})
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, p)
			}
			// This process appends too, compacting in the same mode.
			for i := range each {
				if _, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Actor: Actor{Session: "local"}, Summary: fmt.Sprintf("exec: step %d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			for w, p := range ps {
				if st, err := p.Wait(); err != nil || !st.Success() {
					t.Fatalf("writer %d: %v %v", w, st, err)
				}
			}
			// The writers batch their seals: the last events wait in the
			// journal for a reader.
			if _, err := l.Seal(context.Background()); err != nil {
				t.Fatal(err)
			}
			recs := readAll(t, path)
			checkChain(t, recs)
			if len(recs) != (procs+1)*each {
				t.Fatalf("log has %d events, want %d", len(recs), (procs+1)*each)
			}
			fi, err := os.Stat(journalPath(path))
			if remove {
				// 2,800 events of about 200 bytes went through journals of
				// at most a few compaction sizes each (or the last one was
				// removed too).
				if err == nil && fi.Size() > 64<<10 {
					t.Errorf("journal is %d bytes: it was never removed", fi.Size())
				}
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if used := diskUsage(fi); used > 64<<10 || fi.Size() < 256<<10 {
				t.Errorf("journal of %d bytes uses %d on disk: holes were not punched", fi.Size(), used)
			}
		})
	}
}

func TestSealStateRoundTrip(t *testing.T) {
	for _, s := range []sealState{
		{},
		{journal: strings.Repeat("ab", 16), offset: 1 << 40, logIno: 1<<64 - 1, logSize: 12345, ckSize: 1000, ckTime: 1_700_000_000_123_456_789},
	} {
		b := s.encode()
		if len(b) != sealStateLen {
			t.Fatalf("encoded state is %d bytes, want %d", len(b), sealStateLen)
		}
		got, ok := decodeSealState(b)
		if !ok || got != s {
			t.Fatalf("round trip of %+v: %+v %v", s, got, ok)
		}
		b[40] ^= 1
		if _, ok := decodeSealState(b); ok {
			t.Fatalf("a state with a flipped bit decoded")
		}
	}
}

// FuzzParseJournal: no input panics; records are reported in order, within
// the input, and the returned end is where the last whole one stops.
func FuzzParseJournal(f *testing.F) {
	rec := "\x1e0123456789abcdef" + `{"v":1,"seq":0,"time":"2026-11-01T12:00:00Z","prev":"","kind":"agent.action"}` + "\n"
	f.Add([]byte(rec + rec))
	f.Add([]byte(rec[:30] + rec))
	f.Add([]byte("garbage" + rec + rec[:10]))
	f.Add([]byte("\x1e\x1e\n\n"))
	f.Add(append(make([]byte, 64), rec...))
	f.Fuzz(func(t *testing.T, b []byte) {
		const base = 100
		last := int64(base)
		end, err := parseJournal(b, base, func(r journalRecord) error {
			if r.end <= last || r.end > base+int64(len(b)) {
				t.Fatalf("record ends at %d after %d (input %d bytes)", r.end, last, len(b))
			}
			if (r.nonce == nil) == (r.torn == nil) {
				t.Fatalf("record is both or neither torn and whole: %+v", r)
			}
			if r.nonce != nil && !validBody(r.body) {
				t.Fatalf("invalid body accepted: %q", r.body)
			}
			last = r.end
			return nil
		})
		// Nothing is passed over without being reported (zeros where
		// records should be, e.g. lost after a power failure, are torn
		// records too: holes are skipped before parsing, by firstRecord).
		if err != nil || end != last {
			t.Fatalf("end %d, last record end %d, err %v", end, last, err)
		}
	})
}

// A writer that sees the seal flag set (a sealer at work) leaves its record
// to that sealer. A flag left behind by a sealer that was killed goes
// stale, and the next writer seals everything.
func TestSealFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openTest(t, path, Options{})
	if l.flag == nil {
		t.Fatal("the seal flag page could not be mapped")
	}
	appendN(t, l, 1, DecisionAllow)
	if l.sealerActive() {
		t.Fatal("the flag is still set after the sealer finished")
	}
	// A killed sealer's flag: set, and never cleared.
	l2 := openTest(t, path, Options{})
	l2.setSealFlag(true)
	if !l.sealerActive() {
		t.Fatal("a flag set by another Log of the log is not seen")
	}
	seq, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "left to the sealer"})
	if err != nil || seq != 0 {
		t.Fatalf("Append with the flag set: %d, %v; want 0 (sealed by the flag's owner)", seq, err)
	}
	if n, _ := Pending(path); n != 1 {
		t.Fatalf("%d pending, want 1", n)
	}
	// The owner never clears it: once stale, appends seal again.
	for deadline := time.Now().Add(10 * time.Second); l.sealerActive(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the flag never went stale")
		}
	}
	if seq, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "after"}); err != nil || seq != 3 {
		t.Fatalf("Append after the flag went stale: %d, %v; want 3", seq, err)
	}
	recs := readAll(t, path)
	checkChain(t, recs)
	if got := summaries(recs[1:]); !cmp.Equal(got, []string{"agent.action:left to the sealer", "agent.action:after"}) {
		t.Fatalf("log %q", got)
	}
	// Someone truncating the lock file does not crash a writer.
	if err := os.Truncate(path+".lock", 0); err != nil {
		t.Fatal(err)
	}
	if l.sealerActive() {
		t.Error("a truncated flag page reads as a sealer at work")
	}
	if _, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "after truncation"}); err != nil {
		t.Fatal(err)
	}
}

// The journal is compacted when the log rotates, however small it is.
func TestJournalIsCompactedAtRotation(t *testing.T) {
	modes := map[string]bool{"remove": true}
	if punchHoles {
		modes["punch"] = false
	}
	for name, remove := range modes {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			l := openTest(t, path, Options{Now: (&clock{t: t0}).now, RotateSize: 8 << 10})
			l.removeJournal = remove // compactSize stays 4 MiB: only rotation compacts
			appendN(t, l, 200, DecisionAllow)
			if segs, _ := Segments(path); len(segs) < 3 {
				t.Fatalf("%d segments: the log did not rotate", len(segs))
			}
			checkChain(t, readAll(t, path))
			fi, err := os.Stat(journalPath(path))
			if remove {
				if err == nil && fi.Size() > 16<<10 {
					t.Errorf("journal is %d bytes after rotations: it was not removed", fi.Size())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if used := diskUsage(fi); fi.Size() < 40<<10 || used > 16<<10 {
				t.Errorf("journal of %d bytes uses %d on disk after rotations: no hole was punched", fi.Size(), used)
			}
		})
	}
}

// Someone deletes the lock file (it looks like a stale lock): the seal
// position is lost. The next append finds where sealing got to from the
// log, without reading the journal's punched holes as torn records and
// without sealing anything twice.
func TestLostSealPositionAfterHolesWerePunched(t *testing.T) {
	modes := map[string]bool{"remove": true}
	if punchHoles {
		modes["punch"] = false
	}
	for name, remove := range modes {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			l := openTest(t, path, Options{Now: (&clock{t: t0}).now})
			l.removeJournal, l.compactSize = remove, 8<<10
			appendN(t, l, 300, DecisionAllow)
			if !remove {
				fi, err := os.Stat(journalPath(path))
				if err != nil {
					t.Fatal(err)
				}
				if used := diskUsage(fi); used > fi.Size()/2 {
					t.Fatalf("journal of %d bytes uses %d: no holes, the test tests nothing", fi.Size(), used)
				}
			}
			if err := os.Remove(path + ".lock"); err != nil {
				t.Fatal(err)
			}
			l2 := openTest(t, path, Options{})
			l2.removeJournal = remove
			if _, err := l2.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "after"}); err != nil {
				t.Fatal(err)
			}
			recs := readAll(t, path)
			checkChain(t, recs)
			if len(recs) != 301 || recs[300].Summary != "after" {
				t.Fatalf("log has %d events (want 301), last %q: %q", len(recs), recs[len(recs)-1].Summary, summaries(recs[295:]))
			}
		})
	}
}

// A journal whose sealed part was freed long ago is mostly a hole. With no
// seal position, sealing starts at the first record after the hole (not
// at the remnant of the record the hole cut through) and does not read
// the hole.
func TestSealingSkipsAPunchedHole(t *testing.T) {
	if !punchHoles {
		return // holes are only punched on Linux
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	f, err := os.Create(journalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	hdr := fmt.Sprintf("%c%s%032x\n", recordSep, journalMagic, 7)
	const hole = 1 << 30
	rec := journalRec(t, Event{Kind: KindAgentAction, Summary: "after the hole"})
	// Sparse: the header, 1 GiB of nothing, the tail of a record, a record.
	if _, err := f.WriteString(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(append(rec[len(rec)-30:], rec...), hole); err != nil {
		t.Fatal(err)
	}
	f.Close()
	l := openTest(t, path, Options{})
	if _, err := l.Append(context.Background(), Event{Kind: KindAgentAction, Summary: "new"}); err != nil {
		t.Fatal(err)
	}
	if got := summaries(readAll(t, path)); !cmp.Equal(got, []string{"agent.action:after the hole", "agent.action:new"}) {
		t.Fatalf("log %q", got)
	}
}

// A journal record holds the event exactly as marshal encodes it (the
// sealer splices seq and prev into those bytes), framed by RS, the nonce
// and LF.
func TestJournalRecordHoldsTheMarshalledEvent(t *testing.T) {
	l := openTest(t, filepath.Join(t.TempDir(), "audit.jsonl"), Options{Now: (&clock{t: t0}).now})
	for i := range 120 {
		e := realisticEvent(i)
		e.Excerpts = []string{"<a href=\"x\">&amp; \u2028 é</a>"} // what json escapes
		nonce := newNonce()
		rec, err := l.encodeRecord(context.Background(), &e, nonce)
		if err != nil {
			t.Fatal(err)
		}
		want, err := e.marshal()
		if err != nil {
			t.Fatal(err)
		}
		if rec[0] != recordSep || string(rec[1:1+nonceLen]) != string(nonce[:]) || rec[len(rec)-1] != '\n' {
			t.Fatalf("event %d: record framing %q", i, rec)
		}
		if got := rec[1+nonceLen : len(rec)-1]; string(got) != string(want) {
			t.Fatalf("event %d: record body\n%s\nwant\n%s", i, got, want)
		}
	}
}
