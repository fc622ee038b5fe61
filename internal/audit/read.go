package audit

import (
	"errors"
	"fmt"
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
	LineNo int    // 1-based within the segment
}

// ReadOptions selects what Read visits.
type ReadOptions struct {
	// AfterSeq skips events up to and including this sequence number,
	// skipping whole segments that end before it.
	AfterSeq uint64
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
	for _, seg := range segs[start:] {
		if err := readSegment(seg, opts, fn); err != nil {
			return err
		}
	}
	return nil
}

var errStop = errors.New("stop")

func readSegment(seg string, opts ReadOptions, fn func(Record) error) error {
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
	err = scanLines(f, func(line []byte, _ int64) error {
		lineNo++
		if opts.AfterSeq > 0 {
			if s, err := lineSeq(line); err == nil && s <= opts.AfterSeq {
				return nil
			}
		}
		e, err := ParseEvent(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		return fn(Record{Event: e, Line: line, File: name, LineNo: lineNo})
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
