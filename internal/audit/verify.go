package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ProblemKind names how a log is not intact.
type ProblemKind string

const (
	ProblemEdited    ProblemKind = "edited"    // an event's content changed
	ProblemDeleted   ProblemKind = "deleted"   // events are missing
	ProblemInserted  ProblemKind = "inserted"  // an event was added between others
	ProblemReordered ProblemKind = "reordered" // events are out of order
	ProblemTruncated ProblemKind = "truncated" // the log ends early or mid-event
	ProblemMalformed ProblemKind = "malformed" // a line is not an event
	// ProblemForgedCheckpoint: a checkpoint's signature does not verify.
	ProblemForgedCheckpoint ProblemKind = "forged-checkpoint"
	// ProblemRewritten: the chain is consistent but does not match a signed
	// checkpoint: events were changed and the chain recomputed.
	ProblemRewritten ProblemKind = "rewritten"
)

// Problem is the first thing found wrong, with the event it concerns.
type Problem struct {
	Kind ProblemKind `json:"kind"`
	// Seq is the first bad event's sequence number.
	Seq     uint64 `json:"seq"`
	Segment string `json:"segment,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p *Problem) Error() string {
	loc := ""
	if p.Segment != "" {
		loc = fmt.Sprintf(" (%s:%d)", p.Segment, p.Line)
	}
	return fmt.Sprintf("%s: event %d%s: %s", p.Kind, p.Seq, loc, p.Message)
}

// VerifyOptions says what a verifier trusts.
type VerifyOptions struct {
	// Verifier is the public key checkpoints must be signed with. Without
	// it signatures are not checked (and a warning says so).
	Verifier note.Verifier
	// Trusted is a signed checkpoint the verifier kept from earlier (e.g. in
	// CI or a SIEM): the log must still contain and extend it. This is what
	// detects a log cut back to before its last checkpoint.
	Trusted string
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Segments    []string `json:"segments"`
	Events      int      `json:"events"`
	FirstSeq    uint64   `json:"first_seq"`
	LastSeq     uint64   `json:"last_seq"`
	Checkpoints int      `json:"checkpoints"`
	// LastCheckpoint is the size of the last checkpoint that verified.
	LastCheckpoint int64 `json:"last_checkpoint"`
	// Pending counts events appended to the journal and not yet sealed
	// into the chain (see Pending); they are not verified.
	Pending  int      `json:"pending,omitempty"`
	Problem  *Problem `json:"problem,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Intact reports whether no problem was found.
func (r *VerifyReport) Intact() bool { return r.Problem == nil }

// lineInfo is what the verifier keeps of each line while it looks for the
// cause of a broken chain.
type lineInfo struct {
	seq  uint64
	prev string
	hash string
	seg  string
	no   int
}

// Verify checks the log at path: every segment, the hash chain, sequence
// numbers, rotation and retention records, and every checkpoint's Merkle root
// and signature. It returns an error only when the log cannot be read; a
// log that is not intact is reported in VerifyReport.Problem.
func Verify(path string, opts VerifyOptions) (*VerifyReport, error) {
	segs, err := Segments(path)
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("no audit log at %s", path)
	}
	v := &verifier{opts: opts, rep: &VerifyReport{}, roots: map[int64]*tlog.Hash{}}
	defer func() {
		if n, err := Pending(path); err != nil {
			v.rep.Warnings = append(v.rep.Warnings, err.Error())
		} else if n > 0 {
			v.rep.Pending = n
			v.rep.Warnings = append(v.rep.Warnings, fmt.Sprintf("%d event(s) are in the journal %s and not sealed into the chain yet, so not verified: the next append or any 'warden audit' command with write access seals them", n, filepath.Base(journalPath(path))))
		}
	}()
	for _, s := range segs {
		v.rep.Segments = append(v.rep.Segments, filepath.Base(s))
	}
	// Checkpoints held outside the log: the latest one saved beside it and
	// the one the caller trusts. The log must reach and match both.
	type external struct {
		what string
		c    Checkpoint
	}
	var exts []external
	if b, err := os.ReadFile(path + ".checkpoint"); err == nil {
		c, err := v.openNote(string(b))
		if err != nil {
			v.rep.Problem = &Problem{Kind: ProblemForgedCheckpoint, Message: fmt.Sprintf("the latest checkpoint %s.checkpoint: %v", filepath.Base(path), err)}
			return v.rep, nil
		}
		exts = append(exts, external{filepath.Base(path) + ".checkpoint", c})
	}
	if opts.Trusted != "" {
		if opts.Verifier == nil {
			return nil, errors.New("a trusted checkpoint needs the public key to check it")
		}
		c, err := OpenCheckpoint(opts.Trusted, opts.Verifier)
		if err != nil {
			return nil, fmt.Errorf("trusted checkpoint: %w", err)
		}
		exts = append(exts, external{"the trusted checkpoint", c})
	}
	for _, x := range exts {
		v.roots[x.c.Size] = nil
	}
	for _, s := range segs {
		if err := v.segment(s); err != nil {
			return nil, err
		}
		if v.rep.Problem != nil {
			if v.bad != nil {
				v.explain(segs)
			}
			return v.rep, nil
		}
	}
	if v.rep.Events == 0 {
		v.rep.Warnings = append(v.rep.Warnings, "the log is empty")
		return v.rep, nil
	}
	if v.rep.FirstSeq > 1 && v.retainedThrough+1 < v.rep.FirstSeq {
		v.rep.Problem = &Problem{Kind: ProblemDeleted, Seq: v.retainedThrough + 1, Segment: v.rep.Segments[0], Line: 1,
			Message: fmt.Sprintf("the log starts at event %d but no retention event records the removal of events %d-%d", v.rep.FirstSeq, v.retainedThrough+1, v.rep.FirstSeq-1)}
		return v.rep, nil
	}
	for _, x := range exts {
		if uint64(x.c.Size) > v.rep.LastSeq {
			v.rep.Problem = &Problem{Kind: ProblemTruncated, Seq: v.rep.LastSeq + 1,
				Message: fmt.Sprintf("%s covers %d events but the log ends at event %d: events %d-%d were removed", x.what, x.c.Size, v.rep.LastSeq, v.rep.LastSeq+1, x.c.Size)}
			return v.rep, nil
		}
		if r := v.roots[x.c.Size]; r == nil || *r != x.c.Root {
			v.rep.Problem = &Problem{Kind: ProblemRewritten, Seq: 1,
				Message: fmt.Sprintf("the first %d events do not match %s: the log was rewritten", x.c.Size, x.what)}
			return v.rep, nil
		}
	}
	if opts.Verifier == nil && v.rep.Checkpoints > 0 {
		v.rep.Warnings = append(v.rep.Warnings, "checkpoint signatures were not checked: no public key (warden audit keygen writes one)")
	}
	if v.rep.Checkpoints == 0 {
		v.rep.Warnings = append(v.rep.Warnings, "the log has no signed checkpoint: only the hash chain protects it (set audit.key in the policy)")
	} else if tail := int64(v.rep.LastSeq) - v.rep.LastCheckpoint; tail > 1 {
		v.rep.Warnings = append(v.rep.Warnings, fmt.Sprintf("the last %d events come after the last signed checkpoint and are protected by the hash chain only", tail-1))
	}
	return v.rep, nil
}

type verifier struct {
	opts VerifyOptions
	rep  *VerifyReport

	started  bool
	expect   uint64 // next sequence number
	prevHash string
	tree     frontier
	treeOK   bool // tree holds every event so far (false before the first event when segments were removed)
	// roots records the Merkle root at the sizes of external checkpoints.
	roots           map[int64]*tlog.Hash
	retainedThrough uint64

	// bad is the line where the chain first broke, explained by explain.
	bad *lineInfo
}

func (v *verifier) openNote(msg string) (Checkpoint, error) {
	if v.opts.Verifier != nil {
		return OpenCheckpoint(msg, v.opts.Verifier)
	}
	return parseCheckpointBody(msg)
}

func (v *verifier) segment(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading audit log: %w", err)
	}
	defer f.Close()
	name := filepath.Base(path)
	no := 0
	err = hashedLines(f, func(line []byte, hash string, leaf tlog.Hash) error {
		no++
		if !v.line(line, hash, leaf, name, no) {
			return errStop
		}
		return nil
	})
	var torn *tornError
	switch {
	case errors.Is(err, errStop):
		return nil
	case errors.As(err, &torn):
		v.rep.Problem = &Problem{Kind: ProblemTruncated, Seq: v.expect, Segment: name, Line: no + 1,
			Message: fmt.Sprintf("the last line is cut off after %d bytes: a writer was interrupted or the file was truncated (the next append repairs an interrupted write)", torn.Bytes)}
		return nil
	}
	return err
}

// hashBatch is a run of whole lines whose two hashes (the chain's SHA-256
// and the Merkle leaf) workers compute while the verifier checks the
// previous batch.
type hashBatch struct {
	buf    []byte
	ends   []int // end offset of each line (excluding its newline)
	hashes []string
	leaves []tlog.Hash
	done   chan struct{}
}

// hashedLines calls fn for each line of r, in order, with both of its
// hashes computed in parallel ahead of it. A last line without a newline
// is a *tornError, as with scanLines.
func hashedLines(r io.Reader, fn func(line []byte, hash string, leaf tlog.Hash) error) error {
	const chunk = 4 << 20
	workers := max(runtime.GOMAXPROCS(0), 1)
	batches := make(chan *hashBatch, workers+1)
	work := make(chan *hashBatch, workers+1)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				start := 0
				for i, end := range b.ends {
					line := b.buf[start:end]
					b.hashes[i] = lineHash(line)
					b.leaves[i] = tlog.RecordHash(line)
					start = end + 1
				}
				close(b.done)
			}
		}()
	}
	stop := make(chan struct{})
	var readErr error
	var tornAt int64
	var tornLen int
	go func() {
		defer close(batches)
		defer close(work)
		var rest []byte
		var off int64
		for {
			buf := make([]byte, len(rest), len(rest)+chunk)
			copy(buf, rest)
			n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			last := bytes.LastIndexByte(buf, '\n')
			if last >= 0 {
				b := &hashBatch{buf: buf[:last+1], done: make(chan struct{})}
				for i := 0; i <= last; {
					j := bytes.IndexByte(buf[i:last+1], '\n')
					b.ends = append(b.ends, i+j)
					i += j + 1
				}
				b.hashes, b.leaves = make([]string, len(b.ends)), make([]tlog.Hash, len(b.ends))
				select {
				case work <- b:
				case <-stop:
					return
				}
				select {
				case batches <- b:
				case <-stop:
					return
				}
				off += int64(last + 1)
				rest = buf[last+1:]
			} else {
				rest = buf
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				if len(rest) > 0 {
					tornAt, tornLen = off, len(rest)
				}
				return
			}
			if err != nil {
				readErr = err
				return
			}
		}
	}()
	var err error
	for b := range batches {
		<-b.done
		start := 0
		for i, end := range b.ends {
			if err = fn(b.buf[start:end], b.hashes[i], b.leaves[i]); err != nil {
				break
			}
			start = end + 1
		}
		if err != nil {
			break
		}
	}
	close(stop)
	for range batches { // let the reader finish
	}
	wg.Wait()
	switch {
	case err != nil:
		return err
	case readErr != nil:
		return readErr
	case tornLen > 0:
		return &tornError{Bytes: tornLen, Offset: tornAt}
	}
	return nil
}

// line checks one line; false stops the walk at the first problem.
func (v *verifier) line(line []byte, hash string, leaf tlog.Hash, seg string, no int) bool {
	h, ok := parseHeader(line)
	if !ok {
		e, err := ParseEvent(line)
		if err != nil {
			v.rep.Problem = &Problem{Kind: ProblemMalformed, Seq: v.expect, Segment: seg, Line: no, Message: err.Error()}
			return false
		}
		h = header{seq: e.Seq, prev: e.Prev, kind: string(e.Kind)}
	}
	var ev *Event
	if special(h.kind) {
		e, err := ParseEvent(line)
		if err != nil {
			v.rep.Problem = &Problem{Kind: ProblemMalformed, Seq: h.seq, Segment: seg, Line: no, Message: err.Error()}
			return false
		}
		ev = &e
	}
	if !v.started {
		v.started = true
		v.rep.FirstSeq = h.seq
		switch {
		case h.seq == 1 && h.prev == "":
			v.treeOK = true
		case h.seq > 1 && ev != nil && ev.Kind == KindRotation:
			t, err := decodeFrontier(int64(h.seq-1), ev.Tree)
			if err != nil {
				v.rep.Problem = &Problem{Kind: ProblemMalformed, Seq: h.seq, Segment: seg, Line: no, Message: err.Error()}
				return false
			}
			v.tree, v.treeOK = t, true
		default:
			v.rep.Problem = &Problem{Kind: ProblemDeleted, Seq: 1, Segment: seg, Line: no,
				Message: fmt.Sprintf("the log starts with event %d, which is neither the first event nor the start of a segment", h.seq)}
			return false
		}
		v.expect, v.prevHash = h.seq, h.prev
	}
	if h.seq != v.expect || h.prev != v.prevHash {
		v.bad = &lineInfo{seq: h.seq, prev: h.prev, hash: hash, seg: seg, no: no}
		v.rep.Problem = &Problem{Kind: ProblemEdited, Seq: h.seq, Segment: seg, Line: no}
		return false
	}
	if ev != nil && !v.special(ev, seg, no) {
		return false
	}
	v.tree.add(leaf)
	if _, want := v.roots[v.tree.n]; want {
		r := v.tree.root()
		v.roots[v.tree.n] = &r
	}
	v.rep.Events++
	v.rep.LastSeq = h.seq
	v.expect, v.prevHash = h.seq+1, hash
	return true
}

func special(kind string) bool {
	switch Kind(kind) {
	case KindCheckpoint, KindRotation, KindRetention:
		return true
	}
	return false
}

// special checks checkpoint, rotation and retention events.
func (v *verifier) special(e *Event, seg string, no int) bool {
	switch e.Kind {
	case KindCheckpoint:
		c, err := v.openNote(e.Checkpoint)
		if err != nil {
			v.rep.Problem = &Problem{Kind: ProblemForgedCheckpoint, Seq: e.Seq, Segment: seg, Line: no, Message: err.Error()}
			return false
		}
		if c.Size != v.tree.n || c.Root != v.tree.root() {
			v.rep.Problem = &Problem{Kind: ProblemRewritten, Seq: uint64(v.rep.LastCheckpoint + 1), Segment: seg, Line: no,
				Message: fmt.Sprintf("the checkpoint at event %d (tree size %d) does not match the events before it: one of events %d-%d (after the last checkpoint that matched) was changed, inserted or removed and the chain recomputed", e.Seq, c.Size, v.rep.LastCheckpoint+1, e.Seq-1)}
			return false
		}
		v.rep.Checkpoints++
		v.rep.LastCheckpoint = c.Size
	case KindRotation:
		s := e.Segment
		if s == nil || s.LastSeq != e.Seq-1 || s.LastHash != v.prevHash {
			v.rep.Problem = &Problem{Kind: ProblemEdited, Seq: e.Seq, Segment: seg, Line: no,
				Message: "the rotation event does not describe the segment before it"}
			return false
		}
		if v.treeOK && !equalStrings(e.Tree, v.tree.encode()) {
			v.rep.Problem = &Problem{Kind: ProblemRewritten, Seq: e.Seq, Segment: seg, Line: no,
				Message: "the rotation event records a Merkle tree that does not match the events before it"}
			return false
		}
	case KindRetention:
		for _, r := range e.Removed {
			v.retainedThrough = max(v.retainedThrough, r.LastSeq)
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// explain classifies the first broken link from the whole rest of the log:
// which event was edited, deleted, inserted or moved.
func (v *verifier) explain(segs []string) {
	var lines []lineInfo
	start := -1
	for _, s := range segs {
		f, err := os.Open(s)
		if err != nil {
			continue
		}
		name := filepath.Base(s)
		no := 0
		_ = scanLines(f, func(line []byte, _ int64) error {
			no++
			h, ok := parseHeader(line)
			if !ok {
				e, err := ParseEvent(line)
				if err != nil {
					h = header{}
				} else {
					h = header{seq: e.Seq, prev: e.Prev}
				}
			}
			if name == v.bad.seg && no == v.bad.no {
				start = len(lines)
			}
			lines = append(lines, lineInfo{seq: h.seq, prev: h.prev, hash: lineHash(line), seg: name, no: no})
			return nil
		})
		f.Close()
	}
	p := v.rep.Problem
	if start < 0 {
		p.Message = "the hash chain is broken here"
		return
	}
	cur := lines[start]
	e, prevHash := v.expect, v.prevHash
	seqs := make(map[uint64]int)
	prevs := make(map[string]bool)
	for i, li := range lines {
		if _, dup := seqs[li.seq]; !dup || i < start {
			seqs[li.seq] = i
		}
		prevs[li.prev] = true
	}
	earlier := func(seq uint64) bool { i, ok := seqs[seq]; return ok && i < start }
	later := func(seq uint64) bool {
		for _, li := range lines[start+1:] {
			if li.seq == seq {
				return true
			}
		}
		return false
	}
	var next *lineInfo
	if start+1 < len(lines) {
		next = &lines[start+1]
	}
	switch {
	case next != nil && next.seq == e && next.prev == prevHash && !prevs[cur.hash]:
		p.Kind, p.Seq = ProblemInserted, cur.seq
		p.Message = fmt.Sprintf("an event numbered %d was inserted before event %d: no event follows from it and the chain continues without it", cur.seq, e)
	case cur.seq > e && later(e):
		p.Kind, p.Seq = ProblemReordered, cur.seq
		p.Message = fmt.Sprintf("event %d appears before event %d", cur.seq, e)
	case cur.seq > e:
		p.Kind, p.Seq = ProblemDeleted, e
		if cur.seq == e+1 {
			p.Message = fmt.Sprintf("event %d is missing (deleted) before this event %d", e, cur.seq)
		} else {
			p.Message = fmt.Sprintf("events %d-%d are missing (deleted) before this event %d", e, cur.seq-1, cur.seq)
		}
	case cur.seq < e && earlier(cur.seq):
		p.Kind, p.Seq = ProblemInserted, cur.seq
		p.Message = fmt.Sprintf("a second event numbered %d: an event was inserted", cur.seq)
		// Of the two, the inserted one is the one no later event follows from.
		if first := lines[seqs[cur.seq]]; !prevs[first.hash] {
			p.Segment, p.Line = first.seg, first.no
			p.Message = fmt.Sprintf("an event numbered %d was inserted: no event follows from it", cur.seq)
		}
	case cur.seq < e:
		p.Kind, p.Seq = ProblemReordered, cur.seq
		p.Message = fmt.Sprintf("event %d appears after event %d", cur.seq, e-1)
	case start > 0:
		p.Kind, p.Seq = ProblemEdited, e-1
		p.Segment, p.Line = lines[start-1].seg, lines[start-1].no
		p.Message = fmt.Sprintf("event %d was changed: its hash is not the one event %d recorded", e-1, e)
	default:
		p.Message = "the first event does not start the chain"
	}
}

type header struct {
	seq  uint64
	prev string
	kind string
}

// parseHeader reads seq, prev and kind from a line as Append writes it:
// {"v":1,"seq":N,"time":"...","prev":"HEX","kind":"K",... without decoding
// the rest. Lines in any other shape fall back to a full decode.
func parseHeader(line []byte) (header, bool) {
	var h header
	rest, ok := bytes.CutPrefix(line, []byte(`{"v":1,"seq":`))
	if !ok {
		return h, false
	}
	i := bytes.IndexByte(rest, ',')
	if i <= 0 {
		return h, false
	}
	n, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	if err != nil || n == 0 {
		return h, false
	}
	h.seq = n
	rest, ok = bytes.CutPrefix(rest[i:], []byte(`,"time":"`))
	if !ok {
		return h, false
	}
	i = bytes.IndexByte(rest, '"')
	if i < 0 {
		return h, false
	}
	rest, ok = bytes.CutPrefix(rest[i+1:], []byte(`,"prev":"`))
	if !ok {
		return h, false
	}
	i = bytes.IndexByte(rest, '"')
	if i != 0 && i != 64 {
		return h, false
	}
	if i == 64 {
		var dst [32]byte
		if _, err := hex.Decode(dst[:], rest[:64]); err != nil {
			return h, false
		}
		h.prev = string(rest[:64])
	}
	rest, ok = bytes.CutPrefix(rest[i+1:], []byte(`,"kind":"`))
	if !ok {
		return h, false
	}
	i = bytes.IndexByte(rest, '"')
	if i <= 0 || bytes.IndexByte(rest[:i], '\\') >= 0 {
		return h, false
	}
	h.kind = string(rest[:i])
	return h, true
}
