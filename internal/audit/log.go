package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// SyncPolicy says when the log is flushed to stable storage with fsync.
type SyncPolicy int

const (
	// SyncCheckpoints (the default) fsyncs at every checkpoint, rotation and
	// repair. A write reaches the operating system before Append returns, so
	// a crashed or killed process loses nothing; a power loss or kernel crash
	// can lose the events after the last checkpoint, which verify then
	// reports as truncated against a saved checkpoint.
	SyncCheckpoints SyncPolicy = iota
	// SyncEveryEvent fsyncs after every event: nothing acknowledged is ever
	// lost, at the price of a disk flush per append (milliseconds on most
	// disks).
	SyncEveryEvent
)

// Options configures a Log. The zero value appends without checkpoints,
// rotation or retention.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Sync is the fsync policy.
	Sync SyncPolicy
	// RotateSize starts a new segment once the active one is at least this
	// many bytes (0: never).
	RotateSize int64
	// Retention removes closed segments whose last event is older than this
	// when the log rotates (0: keep forever).
	Retention time.Duration
	// CheckpointEvery signs a checkpoint once this many events were appended
	// since the last one (0: not by count).
	CheckpointEvery int
	// CheckpointInterval signs a checkpoint on the first append this long
	// after the last one (0: not by time).
	CheckpointInterval time.Duration
	// Signer signs checkpoints; nil disables them (the chain alone then
	// protects the log).
	Signer note.Signer
	// Logger receives notes about repairs and rotations (default: discard).
	Logger *slog.Logger
}

// Log appends events to an audit log. It is safe for concurrent use by
// goroutines, and any number of processes may append to the same path at
// once: appends are serialized with an exclusive flock on path+".lock".
type Log struct {
	path string
	opts Options

	mu          sync.Mutex
	lockf       *os.File
	f           *os.File
	closed      bool
	syncPending bool // a checkpoint was written: fsync after unlocking

	// The tail of the active segment as last seen; valid while the file
	// still has cacheSize bytes.
	cacheOK   bool
	cacheSize int64
	seq       uint64
	hash      string
}

// Open opens (creating it and its directory if needed) the audit log at
// path. It takes no lock until the first Append.
func Open(path string, opts Options) (*Log, error) {
	if path == "" {
		return nil, errors.New("audit log path is empty")
	}
	if opts.RotateSize < 0 || opts.Retention < 0 || opts.CheckpointEvery < 0 || opts.CheckpointInterval < 0 {
		return nil, errors.New("audit options must not be negative")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating audit log directory: %w", err)
	}
	lockf, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening audit log lock: %w", err)
	}
	f, err := openActive(path)
	if err != nil {
		lockf.Close()
		return nil, err
	}
	return &Log{path: path, opts: opts, lockf: lockf, f: f}, nil
}

func openActive(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening audit log: %w", err)
	}
	return f, nil
}

// Path is the active segment's path.
func (l *Log) Path() string { return l.path }

// Close releases the files. Appending after Close is an error.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return errors.Join(l.f.Close(), l.lockf.Close())
}

// Append writes e as the next event and returns its sequence number. It
// sets e's V, Seq and Prev, and Time when zero. It may first write a repair
// event (a torn last line was found), close the segment (rotation), and
// afterwards sign a checkpoint, each recorded as its own event.
//
// ctx is checked before waiting for the lock; once an append started it
// completes.
func (l *Log) Append(ctx context.Context, e Event) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := e.validate(); err != nil {
		return 0, err
	}
	// Encode before taking the lock, with a placeholder sequence number and
	// prev that write fills in: the less time under the lock, the shorter
	// the queue of concurrent writers.
	now := l.opts.Now().UTC()
	if e.Time.IsZero() {
		e.Time = now
	}
	e.V, e.Seq, e.Prev, e.Time = SchemaVersion, 0, "", e.Time.UTC()
	body, err := e.marshal()
	if err != nil {
		return 0, err
	}
	if len(body)+20+64 > MaxEventSize {
		return 0, fmt.Errorf("audit event of kind %s is too large (%d bytes): record paths, hashes and rule ids, not content", e.Kind, len(body))
	}
	var seq uint64
	err = l.locked(func() error {
		if err := l.prepare(now); err != nil {
			return err
		}
		var err error
		if seq, err = l.writeEncoded(body); err != nil {
			return err
		}
		if err := l.maybeCheckpoint(now, false); err != nil {
			// The event is written; a failed checkpoint is retried on the
			// next append, so report it without failing this one.
			l.opts.Logger.Warn("audit checkpoint failed", "err", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return seq, nil
}

// locked runs f holding both the in-process mutex and the file lock that
// serialize writers across processes. A checkpoint written under the lock
// is fsynced after the lock is released (syncAfterUnlock is deferred
// first, so it runs last).
func (l *Log) locked(f func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("audit log is closed")
	}
	if err := lockFile(l.lockf); err != nil {
		return fmt.Errorf("locking audit log: %w", err)
	}
	defer l.syncAfterUnlock()
	defer unlockFile(l.lockf)
	return f()
}

// AppendBatch writes events as consecutive events under one lock and
// returns the sequence number of the first. It is for importers and
// producers that buffer (a gateway, a migration): each event is validated
// first, so a bad one writes none of them. Checkpoints are signed after the
// batch as after any append.
func (l *Log) AppendBatch(ctx context.Context, events []Event) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	for i := range events {
		if err := events[i].validate(); err != nil {
			return 0, fmt.Errorf("event %d of the batch: %w", i, err)
		}
	}
	if len(events) == 0 {
		return 0, nil
	}
	var first uint64
	err := l.locked(func() error {
		now := l.opts.Now().UTC()
		if err := l.prepare(now); err != nil {
			return err
		}
		first = l.seq + 1
		seq, hash := l.seq, l.hash
		var buf []byte
		for i := range events {
			e := events[i]
			if e.Time.IsZero() {
				e.Time = now
			}
			e.V, e.Seq, e.Prev, e.Time = SchemaVersion, seq+1, hash, e.Time.UTC()
			b, err := e.marshal()
			if err != nil {
				return fmt.Errorf("event %d of the batch: %w", i, err)
			}
			buf = append(append(buf, b...), '\n')
			seq, hash = e.Seq, lineHash(b)
		}
		n, err := l.f.Write(buf)
		if err != nil {
			if n > 0 {
				_ = l.f.Truncate(l.cacheSize)
			}
			l.cacheOK = false
			return fmt.Errorf("writing audit log: %w", err)
		}
		if l.opts.Sync == SyncEveryEvent {
			if err := l.f.Sync(); err != nil {
				l.cacheOK = false
				return fmt.Errorf("syncing audit log: %w", err)
			}
		}
		l.seq, l.hash = seq, hash
		l.cacheSize += int64(len(buf))
		if err := l.maybeCheckpoint(now, false); err != nil {
			l.opts.Logger.Warn("audit checkpoint failed", "err", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return first, nil
}

// syncAfterUnlock flushes a checkpoint to disk after the file lock is
// released (deferred before the unlock, so it runs after it).
func (l *Log) syncAfterUnlock() {
	if l.syncPending {
		l.syncPending = false
		if err := l.f.Sync(); err != nil {
			l.opts.Logger.Warn("audit log: fsync after checkpoint failed", "err", err)
		}
	}
}

// Checkpoint signs a checkpoint of everything appended so far now, whatever
// the schedule. It fails when the log has no signer.
func (l *Log) Checkpoint(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if l.opts.Signer == nil {
		return 0, errors.New("no audit signing key configured (audit.key in the policy, or --key)")
	}
	var seq uint64
	err := l.locked(func() error {
		now := l.opts.Now().UTC()
		if err := l.prepare(now); err != nil {
			return err
		}
		if err := l.maybeCheckpoint(now, true); err != nil {
			return err
		}
		seq = l.seq
		return nil
	})
	if err != nil {
		return 0, err
	}
	return seq, nil
}

// prepare brings the cached tail up to date under the lock: it follows a
// rotation done by another process, repairs a torn last line, continues a
// segment whose opening was interrupted, and rotates when due.
func (l *Log) prepare(now time.Time) error {
	if err := l.follow(); err != nil {
		return err
	}
	torn, err := l.readTail()
	if err != nil {
		return err
	}
	if l.seq == 0 {
		// An empty active segment after closed ones: a rotation was
		// interrupted between closing the old segment and opening the new.
		segs, err := listSegments(l.path)
		if err != nil {
			return err
		}
		if len(segs) > 0 {
			if err := l.openSegment(now, segs[len(segs)-1], nil); err != nil {
				return err
			}
		}
	}
	if torn != nil {
		if _, err := l.write(&Event{Kind: KindRepair, Time: now, Segment: torn,
			Summary: fmt.Sprintf("cut off a torn last line of %d bytes (a writer was interrupted)", torn.Bytes)}); err != nil {
			return err
		}
		l.opts.Logger.Warn("audit log: repaired a torn last line", "path", l.path, "bytes", torn.Bytes)
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("syncing audit log: %w", err)
		}
	}
	if l.opts.RotateSize > 0 && l.cacheSize >= l.opts.RotateSize {
		return l.rotate(now)
	}
	return nil
}

// follow reopens the active path when another process rotated it.
func (l *Log) follow() error {
	cur, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	onDisk, err := os.Stat(l.path)
	if err == nil && os.SameFile(cur, onDisk) {
		return nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("audit log: %w", err)
	}
	f, err := openActive(l.path)
	if err != nil {
		return err
	}
	l.f.Close()
	l.f = f
	l.cacheOK = false
	return nil
}

// readTail finds the last complete event of the active segment. A last line
// without its newline is torn: it is cut off and described in the returned
// Segment so the caller records the repair.
func (l *Log) readTail() (*Segment, error) {
	fi, err := l.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	size := fi.Size()
	if l.cacheOK && size == l.cacheSize {
		return nil, nil
	}
	l.cacheOK = false
	if size == 0 {
		l.seq, l.hash, l.cacheSize, l.cacheOK = 0, "", 0, true
		return nil, nil
	}
	// Most events are well under 4 KiB: read that much first and only
	// read up to two maximal events when the last line is longer.
	window := min(size, 4096)
	buf := make([]byte, window)
	if _, err := l.f.ReadAt(buf, size-window); err != nil {
		return nil, fmt.Errorf("reading audit log tail: %w", err)
	}
	if window < size && bytes.IndexByte(buf[:len(buf)-1], '\n') < 0 {
		window = min(size, 2*MaxEventSize+1)
		buf = make([]byte, window)
		if _, err := l.f.ReadAt(buf, size-window); err != nil {
			return nil, fmt.Errorf("reading audit log tail: %w", err)
		}
	}
	var torn *Segment
	if buf[len(buf)-1] != '\n' {
		i := bytes.LastIndexByte(buf, '\n')
		if i < 0 && size > window {
			return nil, fmt.Errorf("audit log %s: the last %d bytes hold no event boundary; run 'warden audit verify'", l.path, window)
		}
		cut := size - window + int64(i+1)
		frag := buf[i+1:]
		sum := sha256.Sum256(frag)
		torn = &Segment{Name: filepath.Base(l.path), Bytes: int64(len(frag)), SHA256: hex.EncodeToString(sum[:])}
		if err := l.f.Truncate(cut); err != nil {
			return nil, fmt.Errorf("repairing torn audit log tail: %w", err)
		}
		buf, size = buf[:i+1], cut
		if size == 0 {
			l.seq, l.hash, l.cacheSize, l.cacheOK = 0, "", 0, true
			return torn, nil
		}
	}
	line := buf[:len(buf)-1]
	if j := bytes.LastIndexByte(line, '\n'); j >= 0 {
		line = line[j+1:]
	} else if size > int64(len(buf)) {
		return nil, fmt.Errorf("audit log %s: last event is longer than %d bytes; run 'warden audit verify'", l.path, MaxEventSize)
	}
	seq, err := lineSeq(line)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: last event is not valid (%v); run 'warden audit verify'", l.path, err)
	}
	l.seq, l.hash, l.cacheSize, l.cacheOK = seq, lineHash(line), size, true
	return torn, nil
}

// write appends one event after the cached tail and advances the cache.
func (l *Log) write(e *Event) (uint64, error) {
	e.V = SchemaVersion
	e.Seq = l.seq + 1
	e.Prev = l.hash
	e.Time = e.Time.UTC()
	b, err := e.marshal()
	if err != nil {
		return 0, err
	}
	line := append(b, '\n')
	n, err := l.f.Write(line)
	if err != nil {
		// Leave no torn line behind when we can help it.
		if n > 0 {
			_ = l.f.Truncate(l.cacheSize)
		}
		l.cacheOK = false
		return 0, fmt.Errorf("writing audit log: %w", err)
	}
	if l.opts.Sync == SyncEveryEvent {
		if err := l.f.Sync(); err != nil {
			l.cacheOK = false
			return 0, fmt.Errorf("syncing audit log: %w", err)
		}
	}
	l.seq, l.hash = e.Seq, lineHash(b)
	l.cacheSize += int64(len(line))
	return e.Seq, nil
}

// writeEncoded appends an event encoded with seq 0 and an empty prev,
// filling both in.
func (l *Log) writeEncoded(body []byte) (uint64, error) {
	const seq0, prev0 = `{"v":1,"seq":0,`, `,"prev":"",`
	i := bytes.Index(body, []byte(prev0))
	if !bytes.HasPrefix(body, []byte(seq0)) || i < 0 {
		return 0, errors.New("audit event encoding has an unexpected shape") // a bug in warden
	}
	seq := l.seq + 1
	line := make([]byte, 0, len(body)+96)
	line = append(line, `{"v":1,"seq":`...)
	line = strconv.AppendUint(line, seq, 10)
	line = append(line, ',')
	line = append(line, body[len(seq0):i]...)
	line = append(line, `,"prev":"`...)
	line = append(line, l.hash...)
	line = append(line, `",`...)
	line = append(line, body[i+len(prev0):]...)
	n := len(line)
	line = append(line, '\n')
	if w, err := l.f.Write(line); err != nil {
		if w > 0 {
			_ = l.f.Truncate(l.cacheSize)
		}
		l.cacheOK = false
		return 0, fmt.Errorf("writing audit log: %w", err)
	}
	if l.opts.Sync == SyncEveryEvent {
		if err := l.f.Sync(); err != nil {
			l.cacheOK = false
			return 0, fmt.Errorf("syncing audit log: %w", err)
		}
	}
	l.seq, l.hash = seq, lineHash(line[:n])
	l.cacheSize += int64(len(line))
	return seq, nil
}

func lineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// lineSeq reads the sequence number of an event line. Lines written by
// Append start with {"v":1,"seq":N, which is read without decoding the rest.
func lineSeq(line []byte) (uint64, error) {
	const prefix = `{"v":1,"seq":`
	if rest, ok := bytes.CutPrefix(line, []byte(prefix)); ok {
		if i := bytes.IndexByte(rest, ','); i > 0 {
			if n, err := strconv.ParseUint(string(rest[:i]), 10, 64); err == nil && n > 0 {
				return n, nil
			}
		}
	}
	e, err := ParseEvent(line)
	if err != nil {
		return 0, err
	}
	return e.Seq, nil
}

// Segments: the active segment is path; closed ones are named
// <stem>-<first seq, 20 digits><ext> beside it.

func segmentName(path string, firstSeq uint64) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%020d%s", strings.TrimSuffix(path, ext), firstSeq, ext)
}

// listSegments returns the closed segments of the log at path, oldest first.
func listSegments(path string) ([]string, error) {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(filepath.Base(path), ext)
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing audit log segments: %w", err)
	}
	var out []string
	for _, de := range entries {
		name := de.Name()
		mid, ok := strings.CutPrefix(name, stem+"-")
		if !ok {
			continue
		}
		num, ok := strings.CutSuffix(mid, ext)
		if !ok || len(num) != 20 {
			continue
		}
		if _, err := strconv.ParseUint(num, 10, 64); err != nil {
			continue
		}
		out = append(out, filepath.Join(filepath.Dir(path), name))
	}
	sort.Strings(out)
	return out, nil
}

// Segments lists the files of the log at path, oldest first, the active
// segment last (if it exists).
func Segments(path string) ([]string, error) {
	segs, err := listSegments(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err == nil {
		segs = append(segs, path)
	}
	return segs, nil
}

// rotate closes the active segment and opens a new one.
func (l *Log) rotate(now time.Time) error {
	if l.opts.Signer != nil {
		if err := l.maybeCheckpoint(now, true); err != nil {
			return err
		}
	}
	st, err := l.catchUp()
	if err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("syncing audit log: %w", err)
	}
	closed := segmentName(l.path, st.SegFirst)
	if err := os.Rename(l.path, closed); err != nil {
		return fmt.Errorf("rotating audit log: %w", err)
	}
	f, err := openActive(l.path)
	if err != nil {
		return err
	}
	l.f.Close()
	l.f = f
	l.seq, l.hash = st.Seq, st.Hash // the chain continues across segments
	l.cacheSize, l.cacheOK = 0, true
	tree := st.Tree.clone()
	if err := l.openSegment(now, closed, &tree); err != nil {
		return err
	}
	l.opts.Logger.Info("audit log rotated", "closed", closed)
	return l.applyRetention(now)
}

// openSegment writes the rotation event that starts the active segment
// after the closed segment prev. tree is the Merkle frontier of every event
// so far; nil recomputes it from prev.
func (l *Log) openSegment(now time.Time, prev string, tree *frontier) error {
	info, err := describeSegment(prev)
	if err != nil {
		return err
	}
	if tree == nil {
		t, err := frontierThrough(prev)
		if err != nil {
			return err
		}
		tree = &t
	}
	l.seq, l.hash = info.LastSeq, info.LastHash
	if _, err := l.write(&Event{Kind: KindRotation, Time: now, Segment: &info, Tree: tree.encode(),
		Summary: fmt.Sprintf("closed segment %s (events %d-%d)", info.Name, info.FirstSeq, info.LastSeq)}); err != nil {
		return err
	}
	st := state{SegFirst: l.seq, Offset: l.cacheSize, Seq: l.seq, Hash: l.hash, Tree: *tree}
	st.Tree.addRecord(mustLastLine(l))
	if old, err := l.loadStateFile(); err == nil {
		st.CheckpointSize, st.CheckpointTime = old.CheckpointSize, old.CheckpointTime
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("syncing audit log: %w", err)
	}
	return l.saveState(st)
}

// mustLastLine rereads the line just written (it is at most MaxEventSize).
func mustLastLine(l *Log) []byte {
	buf := make([]byte, min(l.cacheSize, MaxEventSize+1))
	if _, err := l.f.ReadAt(buf, l.cacheSize-int64(len(buf))); err != nil {
		return nil
	}
	line := buf[:len(buf)-1]
	if j := bytes.LastIndexByte(line, '\n'); j >= 0 {
		line = line[j+1:]
	}
	return line
}

// describeSegment reads a closed segment's first and last events and hash.
func describeSegment(path string) (Segment, error) {
	f, err := os.Open(path)
	if err != nil {
		return Segment{}, fmt.Errorf("audit segment: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	info := Segment{Name: filepath.Base(path)}
	var last []byte
	err = scanLines(io.TeeReader(f, h), func(line []byte, _ int64) error {
		if info.FirstSeq == 0 {
			s, err := lineSeq(line)
			if err != nil {
				return err
			}
			info.FirstSeq = s
		}
		last = append(last[:0], line...)
		return nil
	})
	if err != nil {
		return Segment{}, fmt.Errorf("audit segment %s: %w", info.Name, err)
	}
	if last == nil {
		return Segment{}, fmt.Errorf("audit segment %s is empty", info.Name)
	}
	if info.LastSeq, err = lineSeq(last); err != nil {
		return Segment{}, fmt.Errorf("audit segment %s: %w", info.Name, err)
	}
	info.LastHash = lineHash(last)
	fi, _ := f.Stat()
	info.Bytes = fi.Size()
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	return info, nil
}

// lastEventTime reads the time of a segment's last event.
func lastEventTime(path string) (time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return time.Time{}, err
	}
	window := min(fi.Size(), MaxEventSize+1)
	buf := make([]byte, window)
	if _, err := f.ReadAt(buf, fi.Size()-window); err != nil {
		return time.Time{}, err
	}
	line := bytes.TrimSuffix(buf, []byte("\n"))
	if j := bytes.LastIndexByte(line, '\n'); j >= 0 {
		line = line[j+1:]
	}
	e, err := ParseEvent(line)
	if err != nil {
		return time.Time{}, err
	}
	return e.Time, nil
}

// applyRetention removes closed segments whose last event is older than the
// retention period, and records what it removed.
func (l *Log) applyRetention(now time.Time) error {
	if l.opts.Retention <= 0 {
		return nil
	}
	segs, err := listSegments(l.path)
	if err != nil {
		return err
	}
	var removed []Segment
	for _, s := range segs {
		t, err := lastEventTime(s)
		if err != nil {
			return fmt.Errorf("audit retention: %s: %w", filepath.Base(s), err)
		}
		if now.Sub(t) < l.opts.Retention {
			break // segments are in order: the rest are newer
		}
		info, err := describeSegment(s)
		if err != nil {
			return err
		}
		removed = append(removed, info)
	}
	if len(removed) == 0 {
		return nil
	}
	for _, r := range removed {
		if err := os.Remove(filepath.Join(filepath.Dir(l.path), r.Name)); err != nil {
			return fmt.Errorf("audit retention: %w", err)
		}
	}
	_, err = l.write(&Event{Kind: KindRetention, Time: now, Removed: removed,
		Summary: fmt.Sprintf("removed %d segment(s) older than the retention period (events %d-%d)", len(removed), removed[0].FirstSeq, removed[len(removed)-1].LastSeq)})
	return err
}

// scanLines calls fn for each newline-terminated line of r with its offset.
// A last line without a newline is an error (a torn write).
func scanLines(r io.Reader, fn func(line []byte, off int64) error) error {
	buf := make([]byte, 0, 1<<20)
	var off int64
	chunk := make([]byte, 1<<20)
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		start := 0
		for {
			i := bytes.IndexByte(buf[start:], '\n')
			if i < 0 {
				break
			}
			if ferr := fn(buf[start:start+i], off); ferr != nil {
				return ferr
			}
			off += int64(i + 1)
			start += i + 1
		}
		buf = append(buf[:0], buf[start:]...)
		if err == io.EOF {
			if len(buf) > 0 {
				return &tornError{Bytes: len(buf), Offset: off}
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// state caches, beside the log, the Merkle frontier of the active segment up
// to Offset, so checkpoints need not reread the log. It is only a cache: it
// is checked against the log and rebuilt when it does not match.
type state struct {
	SegFirst       uint64
	Offset         int64
	Seq            uint64
	Hash           string
	Tree           frontier
	CheckpointSize uint64
	CheckpointTime time.Time
}

type stateJSON struct {
	SegFirst       uint64    `json:"segment_first_seq"`
	Offset         int64     `json:"offset"`
	Seq            uint64    `json:"seq"`
	Hash           string    `json:"hash"`
	Tree           []string  `json:"tree"`
	CheckpointSize uint64    `json:"checkpoint_size"`
	CheckpointTime time.Time `json:"checkpoint_time"`
}

func (l *Log) statePath() string { return l.path + ".state" }

func (l *Log) loadStateFile() (state, error) {
	b, err := os.ReadFile(l.statePath())
	if err != nil {
		return state{}, err
	}
	var sj stateJSON
	if err := json.Unmarshal(b, &sj); err != nil {
		return state{}, err
	}
	tree, err := decodeFrontier(int64(sj.Seq), sj.Tree)
	if err != nil {
		return state{}, err
	}
	return state{SegFirst: sj.SegFirst, Offset: sj.Offset, Seq: sj.Seq, Hash: sj.Hash, Tree: tree,
		CheckpointSize: sj.CheckpointSize, CheckpointTime: sj.CheckpointTime}, nil
}

func (l *Log) saveState(st state) error {
	b, err := json.Marshal(stateJSON{SegFirst: st.SegFirst, Offset: st.Offset, Seq: st.Seq, Hash: st.Hash,
		Tree: st.Tree.encode(), CheckpointSize: st.CheckpointSize, CheckpointTime: st.CheckpointTime})
	if err != nil {
		return err
	}
	return writeFileAtomic(l.statePath(), b)
}

func writeFileAtomic(path string, b []byte) error {
	tmp := fmt.Sprintf("%s.tmp%d", path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// catchUp returns the state of the active segment through its last event,
// folding in the events appended since the saved state, or rebuilding it
// from the segment's first event when the saved state does not match.
func (l *Log) catchUp() (state, error) {
	st, err := l.loadStateFile()
	if err != nil || st.Offset > l.cacheSize || !l.stateMatches(st) {
		st, err = l.rebuildState()
		if err != nil {
			return state{}, err
		}
	}
	if st.Offset == l.cacheSize {
		return st, nil
	}
	r := io.NewSectionReader(l.f, st.Offset, l.cacheSize-st.Offset)
	err = scanLines(r, func(line []byte, _ int64) error {
		st.Tree.addRecord(line)
		st.Offset += int64(len(line) + 1)
		st.Hash = lineHash(line)
		st.Seq++
		return nil
	})
	if err != nil {
		return state{}, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	if st.Seq != l.seq || st.Hash != l.hash {
		return state{}, fmt.Errorf("audit log %s: events are not numbered consecutively; run 'warden audit verify'", l.path)
	}
	return st, nil
}

// stateMatches checks that the event ending at st.Offset is the one the
// state says it is.
func (l *Log) stateMatches(st state) bool {
	if st.Offset == 0 {
		return false
	}
	n := min(st.Offset, MaxEventSize+1)
	buf := make([]byte, n)
	if _, err := l.f.ReadAt(buf, st.Offset-n); err != nil || buf[n-1] != '\n' {
		return false
	}
	line := buf[:n-1]
	if j := bytes.LastIndexByte(line, '\n'); j >= 0 {
		line = line[j+1:]
	}
	return lineHash(line) == st.Hash && st.Tree.n == int64(st.Seq)
}

// rebuildState folds the whole active segment. Its first event is either
// event 1 (a new log) or a rotation event carrying the tree so far.
func (l *Log) rebuildState() (state, error) {
	var st state
	r := io.NewSectionReader(l.f, 0, l.cacheSize)
	first := true
	err := scanLines(r, func(line []byte, _ int64) error {
		if first {
			first = false
			e, err := ParseEvent(line)
			if err != nil {
				return err
			}
			st.SegFirst = e.Seq
			switch {
			case e.Seq == 1:
			case e.Kind == KindRotation:
				t, err := decodeFrontier(int64(e.Seq-1), e.Tree)
				if err != nil {
					return fmt.Errorf("event %d: %w", e.Seq, err)
				}
				st.Tree = t
			default:
				return fmt.Errorf("segment starts at event %d, which is not a rotation event", e.Seq)
			}
			st.Seq = e.Seq - 1
			st.CheckpointTime = e.Time
		}
		if bytes.Contains(line, []byte(`"kind":"checkpoint"`)) {
			if e, err := ParseEvent(line); err == nil && e.Kind == KindCheckpoint {
				if c, err := parseCheckpointBody(e.Checkpoint); err == nil {
					st.CheckpointSize, st.CheckpointTime = uint64(c.Size), e.Time
				}
			}
		}
		st.Tree.addRecord(line)
		st.Offset += int64(len(line) + 1)
		st.Hash = lineHash(line)
		st.Seq++
		return nil
	})
	if err != nil {
		return state{}, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	return st, nil
}

// parseCheckpointBody reads the statement of a signed note without checking
// its signature (for scheduling only; verification checks signatures).
func parseCheckpointBody(msg string) (Checkpoint, error) {
	text, _, ok := strings.Cut(msg, "\n\n")
	if !ok {
		return Checkpoint{}, errors.New("not a signed note")
	}
	return parseCheckpointText(text + "\n")
}

// frontierThrough computes the Merkle frontier of every event up to the end
// of the closed segment path, from the segment's own first event.
func frontierThrough(path string) (frontier, error) {
	f, err := os.Open(path)
	if err != nil {
		return frontier{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return frontier{}, err
	}
	tmp := &Log{path: path, f: f, cacheSize: fi.Size()}
	st, err := tmp.rebuildState()
	return st.Tree, err
}

// maybeCheckpoint signs a checkpoint when one is due (or force is set).
func (l *Log) maybeCheckpoint(now time.Time, force bool) error {
	if l.opts.Signer == nil || l.seq == 0 {
		return nil
	}
	st, err := l.loadStateFile()
	due := force
	if !due {
		if err != nil {
			due = true // no state yet: build it now (and sign the first checkpoint)
		} else {
			since := l.seq - min(st.CheckpointSize, l.seq)
			due = (l.opts.CheckpointEvery > 0 && since >= uint64(l.opts.CheckpointEvery)) ||
				(l.opts.CheckpointInterval > 0 && since > 0 && now.Sub(st.CheckpointTime) >= l.opts.CheckpointInterval)
		}
	}
	if !due {
		return nil
	}
	st, err = l.catchUp()
	if err != nil {
		return err
	}
	if st.CheckpointSize == st.Seq && !force {
		return nil
	}
	c := Checkpoint{Size: int64(st.Seq), Root: st.Tree.root()}
	msg, err := signCheckpoint(c, l.opts.Signer)
	if err != nil {
		return err
	}
	if _, err := l.write(&Event{Kind: KindCheckpoint, Time: now, Checkpoint: msg,
		Summary: fmt.Sprintf("signed checkpoint of %d events", c.Size)}); err != nil {
		return err
	}
	// fsync once the lock is released (syncAfterUnlock): other writers
	// need not wait for the disk.
	l.syncPending = true
	st.Tree.addRecord(mustLastLine(l))
	st.Offset, st.Seq, st.Hash = l.cacheSize, l.seq, l.hash
	st.CheckpointSize, st.CheckpointTime = uint64(c.Size), now
	if err := writeFileAtomic(l.path+".checkpoint", []byte(msg)); err != nil {
		return fmt.Errorf("saving latest audit checkpoint: %w", err)
	}
	return l.saveState(st)
}

// LineHash is the hex SHA-256 of an event line (without its newline): the
// value the next event records as Prev.
func LineHash(line []byte) string { return lineHash(line) }
