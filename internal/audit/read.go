package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Record is one event as read back, with where it was found.
type Record struct {
	Event
	// Line is the raw line (without its newline); its SHA-256 is the next
	// event's Prev.
	Line   []byte
	File   string // segment file name
	LineNo int    // 1-based within the segment (counted from From when given)
	// Next is where the event after this one starts: pass it as
	// ReadOptions.From to resume without rereading.
	Next Position
}

// Position is a place in the log: a segment (named by its first event)
// and a byte offset in it.
type Position struct {
	Segment uint64 `json:"segment"`
	Offset  int64  `json:"offset"`
}

// ReadOptions selects what Read visits.
type ReadOptions struct {
	// AfterSeq skips events up to and including this sequence number,
	// skipping whole segments that end before it.
	AfterSeq uint64
	// From, when set, is where event AfterSeq+1 starts (a Record.Next seen
	// earlier): reading resumes there. If it does not point at that event
	// (the log was rotated away or changed), Read falls back to a scan.
	From *Position
}

// Read calls fn for every event of the log at path (all segments, oldest
// first). An event that does not parse stops the walk with an error naming
// the file and line; use Verify to learn whether the log is intact. A torn
// last line of the active segment (a writer interrupted) is not reported.
func Read(path string, opts ReadOptions, fn func(Record) error) error {
	segs, err := Segments(path)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return fmt.Errorf("no audit log at %s: %w", path, os.ErrNotExist)
	}
	// Skip segments wholly before AfterSeq: segment i holds events from
	// its first seq (in its name) up to the next segment's first seq.
	start := 0
	if opts.AfterSeq > 0 {
		for i := 0; i+1 < len(segs); i++ {
			if next, ok := segmentFirstSeq(path, segs[i+1]); ok && next <= opts.AfterSeq+1 {
				start = i + 1
			}
		}
	}
	if opts.From != nil {
		for i, seg := range segs {
			first, ok := segFirst(path, seg)
			if !ok || first != opts.From.Segment {
				continue
			}
			err := readSegment(seg, first, opts.From.Offset, opts, fn)
			if errors.Is(err, errBadHint) {
				break // fall back to a scan
			}
			if err != nil {
				return err
			}
			for _, seg := range segs[i+1:] {
				if err := readSegment(seg, 0, 0, opts, fn); err != nil {
					return err
				}
			}
			return nil
		}
	}
	for _, seg := range segs[start:] {
		if err := readSegment(seg, 0, 0, opts, fn); err != nil {
			return err
		}
	}
	return nil
}

var errBadHint = errors.New("position does not point at the next event")

// segFirst is the first sequence number of a segment: from its name for a
// closed one, from its first line for the active one.
func segFirst(path, seg string) (uint64, bool) {
	if n, ok := segmentFirstSeq(path, seg); ok {
		return n, true
	}
	f, err := os.Open(seg)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, _ := f.Read(buf)
	line := buf[:n]
	if i := bytes.IndexByte(line, ','); i > 0 {
		if s, err := lineSeq(append(line[:i:i], ',')); err == nil {
			return s, true
		}
	}
	return 0, false
}

var errStop = errors.New("stop")

// readSegment reads seg from offset (first is the segment's first seq, or 0
// when unknown and offset is 0).
func readSegment(seg string, first uint64, offset int64, opts ReadOptions, fn func(Record) error) error {
	f, err := os.Open(seg)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // rotated away while we listed; its events are in the next one
		}
		return err
	}
	defer f.Close()
	name := filepath.Base(seg)
	lineNo := 0
	var r io.Reader = f
	hinted := offset > 0
	if hinted {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if offset > fi.Size() {
			return errBadHint
		}
		r = io.NewSectionReader(f, offset, fi.Size()-offset)
	}
	err = scanLines(r, func(line []byte, off int64) error {
		lineNo++
		if first == 0 && lineNo == 1 {
			if s, err := lineSeq(line); err == nil {
				first = s
			}
		}
		if hinted {
			hinted = false
			if s, err := lineSeq(line); err != nil || s != opts.AfterSeq+1 {
				return errBadHint
			}
		}
		next := Position{Segment: first, Offset: offset + off + int64(len(line)) + 1}
		if opts.AfterSeq > 0 {
			if s, err := lineSeq(line); err == nil && s <= opts.AfterSeq {
				return nil
			}
		}
		e, err := ParseEvent(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		return fn(Record{Event: e, Line: line, File: name, LineNo: lineNo, Next: next})
	})
	if err != nil && isTorn(err) {
		return nil
	}
	return err
}

func isTorn(err error) bool {
	var t *tornError
	return errors.As(err, &t)
}

// tornError is a last line without its newline.
type tornError struct {
	Bytes  int
	Offset int64
}

func (e *tornError) Error() string {
	return fmt.Sprintf("torn last line of %d bytes at offset %d", e.Bytes, e.Offset)
}

func segmentFirstSeq(path, seg string) (uint64, bool) {
	if seg == path {
		return 0, false
	}
	ext := filepath.Ext(path)
	base := filepath.Base(seg)
	num := base[len(base)-len(ext)-20 : len(base)-len(ext)]
	var n uint64
	if _, err := fmt.Sscanf(num, "%d", &n); err != nil {
		return 0, false
	}
	return n, true
}
