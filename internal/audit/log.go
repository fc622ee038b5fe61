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
	// SealBytes: an append seals the journal into the chain itself once at
	// least this many bytes of records wait there (default
	// DefaultSealBytes; 1 seals at every append).
	SealBytes int64
	// SealAfter: an append also seals when the last seal read the journal
	// this long ago or more (default DefaultSealAfter, and never more than
	// CheckpointInterval). Readers, AppendSealed and SealPending seal
	// whatever waits.
	SealAfter time.Duration
}

const (
	// DefaultSealBytes is about 200 typical agent events: the batch one
	// sealing append chains, well under a millisecond of hashing.
	DefaultSealBytes = 64 << 10
	// DefaultSealAfter bounds how long an event waits in the journal while
	// appends go on.
	DefaultSealAfter = time.Second
)

// Log appends events to an audit log. It is safe for concurrent use by
// goroutines, and any number of processes may append to the same path at
// once: appends are serialized with an exclusive flock on path+".lock".
type Log struct {
	path string
	opts Options

	mu          sync.Mutex // held with the seal lock (the flock of lockf)
	lockf       *os.File   // also holds the seal position (sealState)
	f           *os.File
	logIno      uint64 // f's inode
	closed      bool
	syncPending bool // a checkpoint was written: fsync after unlocking

	// The journal as appenders see it: jw, shared-locked while jusers > 0.
	jmu     sync.Mutex
	jusers  int
	jw      *os.File
	jclosed bool
	// removeJournal: compact by removing the journal (writers hold a
	// shared flock on it) instead of punching holes in it.
	removeJournal bool
	punched       int64 // the journal's prefix this process freed
	compactSize   int64 // journalCompactSize; tests make it small
	// When an append seals (sealDue): Options.SealBytes and SealAfter with
	// their defaults.
	sealBytes int64
	sealAfter time.Duration

	// flag is the shared page holding the seal flag (sealflag.go); nil
	// when it could not be mapped.
	flagMu sync.RWMutex
	flag   []byte

	// The journal as the sealer sees it (under mu).
	jr          *os.File
	jrInfo      os.FileInfo
	jrID        string
	sealed      sealState
	sealedValid bool // sealed was checked against the log in this hold
	// sealedMine: sealed is what this Log wrote to the lock file at the end
	// of its last hold (so unless the log changed since, it is still there).
	sealedMine bool
	rotated    bool // the log rotated in this hold

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
	if opts.RotateSize < 0 || opts.Retention < 0 || opts.CheckpointEvery < 0 || opts.CheckpointInterval < 0 ||
		opts.SealBytes < 0 || opts.SealAfter < 0 {
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
	l := &Log{path: path, opts: opts, lockf: lockf, removeJournal: !punchHoles, compactSize: journalCompactSize,
		sealBytes: opts.SealBytes, sealAfter: opts.SealAfter}
	if l.sealBytes == 0 {
		l.sealBytes = DefaultSealBytes
	}
	if l.sealAfter == 0 {
		l.sealAfter = DefaultSealAfter
	}
	if opts.CheckpointInterval > 0 {
		l.sealAfter = min(l.sealAfter, opts.CheckpointInterval)
	}
	l.setActive(f)
	if flag, err := mapFlagPage(lockf); err == nil {
		l.flag = flag
	}
	return l, nil
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
	errs := []error{l.f.Close(), l.lockf.Close()}
	if l.jr != nil {
		errs = append(errs, l.jr.Close())
	}
	l.flagMu.Lock()
	if l.flag != nil {
		errs = append(errs, unmapFlagPage(l.flag))
		l.flag = nil
	}
	l.flagMu.Unlock()
	l.jmu.Lock()
	l.jclosed = true
	if l.jw != nil && l.jusers == 0 {
		errs = append(errs, l.jw.Close())
	}
	l.jmu.Unlock()
	return errors.Join(errs...)
}

// Append writes e as the next event. It sets e's V, Seq and Prev, and Time
// when zero.
//
// Append never waits for another writer: it writes the event to the
// journal beside the log (one write(2)) and returns 0: the event is handed
// to the kernel (and fsynced with SyncEveryEvent), and a later append or
// reader gives it its sequence number and chains it. Once sealing is due
// (Options.SealBytes of events wait, or the last seal is Options.SealAfter
// old), the append also tries the seal lock: if it gets it, it seals every
// waiting event, its own included, into the chain (sequence number,
// previous hash), possibly first repairing a torn line, rotating, and
// afterwards signing a checkpoint, each recorded as its own event, and
// returns its event's sequence number; if another writer holds the lock,
// that writer seals this event. Events larger than 16 KiB take the locked
// path of AppendSealed.
//
// ctx is checked before anything is written; once an append started it
// completes.
func (l *Log) Append(ctx context.Context, e Event) (uint64, error) {
	nonce := newNonce()
	rec, err := l.encodeRecord(ctx, &e, nonce)
	if err != nil {
		return 0, err
	}
	if len(rec) > maxJournalRecord {
		return l.appendLocked(rec[1+nonceLen : len(rec)-1])
	}
	if err := l.journalWrite(rec, l.opts.Sync == SyncEveryEvent); err != nil {
		return 0, err
	}
	if !l.appendedDue(len(rec)) {
		return 0, nil // a later append or reader seals it (sealflag.go)
	}
	// Before looking for a sealer: a holder looks at the journal again
	// when it finds this set after unlocking (sealLoop).
	l.setWanted()
	if l.sealerActive() {
		return 0, nil // that sealer seals this record (sealflag.go)
	}
	seq, err := l.sealLoop(nonce[:], true, nil, nil, 0, appendHolds)
	if err != nil {
		return seq, fmt.Errorf("the event is in the audit journal but sealing it into the log failed: %w", err)
	}
	return seq, nil
}

// AppendSealed writes e as the next event and seals it into the chain
// before returning its sequence number, waiting for the seal lock (with
// every event that waits in the journal before it). For events someone
// reads at once, such as the record of a gate run that a command reports.
func (l *Log) AppendSealed(ctx context.Context, e Event) (uint64, error) {
	rec, err := l.encodeRecord(ctx, &e, [nonceLen]byte{})
	if err != nil {
		return 0, err
	}
	return l.appendLocked(rec[1+nonceLen : len(rec)-1])
}

// encodeRecord validates e and encodes it, with a placeholder sequence
// number and prev (the sealer fills them in), as a journal record: RS,
// nonce, the event exactly as marshal encodes it, LF: by appendEventJSON
// for an agent decision, else by a json.Encoder (which writes what
// json.Marshal returns, plus the LF, straight after the prefix).
func (l *Log) encodeRecord(ctx context.Context, e *Event, nonce [nonceLen]byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := e.validate(); err != nil {
		return nil, err
	}
	if e.Time.IsZero() {
		e.Time = l.opts.Now()
	}
	e.V, e.Seq, e.Prev, e.Time = SchemaVersion, 0, "", e.Time.UTC()
	rec := make([]byte, 0, 640)
	rec = append(rec, recordSep)
	rec = append(rec, nonce[:]...)
	if b, ok := appendEventJSON(rec, e); ok {
		rec = append(b, '\n')
	} else {
		buf := bytes.NewBuffer(rec)
		if err := json.NewEncoder(buf).Encode(e); err != nil {
			return nil, fmt.Errorf("encoding audit event: %w", err)
		}
		rec = buf.Bytes()
	}
	n := len(rec) - 1 - nonceLen - 1 // the event's bytes
	if n+1 > MaxEventSize {
		return nil, fmt.Errorf("audit event of kind %s is %d bytes, more than the %d allowed: record paths, hashes and rule ids, not content", e.Kind, n+1, MaxEventSize)
	}
	if n+20+64 > MaxEventSize {
		return nil, fmt.Errorf("audit event of kind %s is too large (%d bytes): record paths, hashes and rule ids, not content", e.Kind, n)
	}
	return rec, nil
}

// appendLocked writes an encoded event under the seal lock, after sealing
// the journal.
func (l *Log) appendLocked(body []byte) (uint64, error) {
	var seq uint64
	err := l.lockedSeal(func(time.Time) error {
		var err error
		seq, err = l.writeEncoded(body)
		return err
	})
	return seq, err
}

// SealPending seals the events waiting in the journal, if any, without
// waiting: when another writer holds the seal lock, that writer seals
// them. Long-lived processes (the guard server, the gateway) call it on a
// timer (SealEvery) so that events do not wait for the next append or
// reader when appends stop.
func (l *Log) SealPending(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Stat(journalPath(l.path))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit journal: %w", err)
	}
	if !l.journalPending(fi.Size()) {
		return nil
	}
	l.setWanted()
	if l.sealerActive() {
		return nil
	}
	_, err = l.sealLoop(nil, true, nil, nil, 0, 0)
	return err
}

// SealEvery calls SealPending every d until ctx ends (failures go to the
// Logger): for long-lived processes.
func (l *Log) SealEvery(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.SealPending(ctx); err != nil && ctx.Err() == nil {
				l.opts.Logger.Warn("audit: sealing pending events failed", "err", err)
			}
		}
	}
}

// sealLoop seals the journal whenever the seal lock is free, as long as
// the journal grew since it was last read (info, size; first: try once
// regardless). It returns the sequence number of the record own when it
// sealed it.
//
// No record is stranded. A writer W finishes writing record R (at t1), then
// tries the lock (t2 > t1). If the try fails, a holder H holds it at t2, and
// H releases it at t3 > t2. H read the journal's size at some time ts during
// its hold: if ts >= t1, H sealed R; if ts < t1, H's re-check below, made
// after t3, sees the journal larger than what H read and H tries again. If
// that try fails, a later holder H2 took the lock after t3 and reads the
// size after that, so it sees R, and so on. The in-process mutex is
// released before the re-check too, so goroutines sharing a Log are
// covered by the same argument. A holder killed with the lock leaves
// records for the next writer or reader (Seal) to seal.
//
// With batching (sealDue), writers that are not due do not try the lock and
// rely on a later due append or reader; a due writer sets the wanted word
// before it looks for a holder, and a holder clears it when it takes the
// lock (before reading the journal), so the argument above holds for due
// writers: the re-check seals again when the journal grew and either
// sealing is due or a due writer left its record to this holder.
//
// An append seals in at most limit holds (0: no limit): under a steady
// stream of appends there is always more to seal, and one writer should
// not do it all while its caller waits. When it stops with the journal
// grown, it sets the wanted word, which makes the next append due: that
// one seals (the argument above, one holder later).
func (l *Log) sealLoop(own []byte, first bool, jf *os.File, info os.FileInfo, size int64, limit int) (uint64, error) {
	jp := journalPath(l.path)
	var ownSeq uint64
	for holds := 0; first || l.sealAgain(jp, jf, info, size); holds++ {
		first = false
		if limit > 0 && holds == limit {
			l.setWanted() // sealAgain took it, or found sealing due
			return ownSeq, nil
		}
		if !l.mu.TryLock() {
			return ownSeq, nil // that goroutine seals, then re-checks
		}
		if l.closed {
			l.mu.Unlock()
			return ownSeq, errors.New("audit log is closed")
		}
		ok, err := tryLockFile(l.lockf)
		if err != nil || !ok {
			l.mu.Unlock()
			if err != nil {
				return ownSeq, fmt.Errorf("locking audit log: %w", err)
			}
			return ownSeq, nil // the holder seals, then re-checks
		}
		var s uint64
		s, jf, info, size, err = l.hold(own, nil)
		if s != 0 {
			ownSeq = s
		}
		if err != nil {
			return ownSeq, err
		}
	}
	return ownSeq, nil
}

// appendHolds bounds the holds of one Append (sealLoop).
const appendHolds = 2

// sealAgain is sealLoop's re-check after a hold that read the journal
// (info, size).
func (l *Log) sealAgain(jp string, jf *os.File, info os.FileInfo, size int64) bool {
	if !journalGrew(jp, jf, info, size) {
		return false
	}
	return l.sealDue(l.addAppended(0)) || l.takeWanted()
}

// hold does a sealer's work holding l.mu and the file lock, and releases
// both: it repairs the log's tail, rotates when due, seals the journal,
// runs f (a locked append), signs a checkpoint when due, records the seal
// position and compacts the journal. The log is fsynced after unlocking
// when a checkpoint was written.
//
// It returns what sealLoop needs to re-check the journal: the journal's
// identity and the size read (and the descriptor, when the journal is never
// replaced).
func (l *Log) hold(own []byte, f func(now time.Time) error) (ownSeq uint64, jf *os.File, info os.FileInfo, size int64, err error) {
	defer l.mu.Unlock()
	defer l.syncAfterUnlock()
	defer unlockFile(l.lockf)
	l.setSealFlag(true)
	defer l.setSealFlag(false) // before unlocking (defers run last first)
	// Due writers from now on rely on this hold's re-check; those before
	// wrote their records before this hold reads the journal.
	l.takeWanted()
	// Every record written before now (and counted in appended) is sealed
	// by this hold: published at its end.
	appended := l.appended()
	now := l.opts.Now().UTC()
	l.sealedValid, l.rotated = false, false
	mine := l.sealedMine
	l.sealedMine = false
	if err := l.prepare(now); err != nil {
		return 0, nil, nil, 0, err
	}
	ownSeq, size, err = l.sealJournal(now, own, mine)
	info = l.jrInfo
	if !l.removeJournal {
		jf = l.jr
	}
	if err != nil {
		return ownSeq, jf, info, size, err
	}
	if f != nil {
		if err := f(now); err != nil {
			return ownSeq, jf, info, size, err
		}
	}
	if err := l.maybeCheckpoint(now, false); err != nil {
		// The events are written; a failed checkpoint is retried on the
		// next append, so report it without failing this one.
		l.opts.Logger.Warn("audit checkpoint failed", "err", err)
	}
	if err := l.finishHold(); err != nil {
		return ownSeq, jf, info, size, err
	}
	l.sealedMine = l.sealedValid && l.jr != nil
	off := int64(journalHeaderLen) // no journal, or a new one will start with its header
	if l.jr != nil && l.sealedValid {
		off = l.sealed.offset
	}
	l.publishSealed(off, appended, now)
	return ownSeq, jf, info, size, nil
}

// lockedSeal waits for the seal lock and runs f after sealing the journal
// (locked appends, checkpoints, Seal), then re-checks the journal like
// sealLoop.
func (l *Log) lockedSeal(f func(now time.Time) error) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errors.New("audit log is closed")
	}
	if err := lockFile(l.lockf); err != nil {
		l.mu.Unlock()
		return fmt.Errorf("locking audit log: %w", err)
	}
	_, jf, info, size, err := l.hold(nil, f)
	if err != nil {
		return err
	}
	_, err = l.sealLoop(nil, false, jf, info, size, 0)
	return err
}

// Seal numbers and chains every event still waiting in the journal and
// returns the last sequence number. Readers (verify, show, export, report)
// call it first so that they see every event appended so far; it waits for
// the seal lock.
func (l *Log) Seal(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var seq uint64
	err := l.lockedSeal(func(time.Time) error {
		seq = l.seq
		return nil
	})
	return seq, err
}

// AppendBatch writes events as consecutive events under the seal lock
// (waiting for it) and returns the sequence number of the first. It is for
// importers and producers that buffer (a gateway, a migration): each event
// is validated first, so a bad one writes none of them. Checkpoints are
// signed after the batch as after any append.
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
	err := l.lockedSeal(func(now time.Time) error {
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
		return l.writeLines(buf, seq, hash)
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
	err := l.lockedSeal(func(now time.Time) error {
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
// rotation done by another process, repairs a torn last line, and
// continues a segment whose opening was interrupted. (Rotation comes after
// the journal's seal position is reconciled with the log: sealJournal.)
func (l *Log) prepare(now time.Time) error {
	// One stat of the path tells whether the active segment is still the
	// file we hold (same inode) and how large it is.
	size := int64(-1)
	if onDisk, err := os.Stat(l.path); err == nil && l.logIno != 0 && fileIno(onDisk) == l.logIno {
		size = onDisk.Size()
	} else if err := l.follow(); err != nil {
		return err
	}
	torn, err := l.readTail(size)
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
	return nil
}

// rotateIfDue rotates when the active segment reached RotateSize.
func (l *Log) rotateIfDue(now time.Time) error {
	if l.opts.RotateSize > 0 && l.cacheSize >= l.opts.RotateSize {
		l.rotated = true
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
	l.setActive(f)
	l.cacheOK = false
	return nil
}

// setActive makes f the active segment.
func (l *Log) setActive(f *os.File) {
	l.f = f
	l.logIno = 0
	if fi, err := f.Stat(); err == nil {
		l.logIno = fileIno(fi)
	}
}

// readTail finds the last complete event of the active segment. A last line
// without its newline is torn: it is cut off and described in the returned
// Segment so the caller records the repair.
//
// size is the segment's size when the caller knows it (-1: stat it).
func (l *Log) readTail(size int64) (*Segment, error) {
	if size < 0 {
		fi, err := l.f.Stat()
		if err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		size = fi.Size()
	}
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
	line, err := sealLine(make([]byte, 0, len(body)+96), body, l.seq+1, l.hash)
	if err != nil {
		return 0, err
	}
	hash := lineHash(line)
	if err := l.writeLines(append(line, '\n'), l.seq+1, hash); err != nil {
		return 0, err
	}
	return l.seq, nil
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
	l.setActive(f)
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
	due := force
	if !due {
		// The last checkpoint is remembered in the seal position; the
		// .state file is read only when it is not.
		ckSize, ckTime := l.sealed.ckSize, time.Unix(0, l.sealed.ckTime)
		known := l.sealedValid && ckSize > 0
		if !known {
			if st, err := l.loadStateFile(); err == nil {
				ckSize, ckTime, known = st.CheckpointSize, st.CheckpointTime, true
				if l.sealedValid {
					l.sealed.ckSize, l.sealed.ckTime = ckSize, ckTime.UnixNano()
				}
			}
		}
		if !known {
			due = true // no state yet: build it now (and sign the first checkpoint)
		} else {
			since := l.seq - min(ckSize, l.seq)
			due = (l.opts.CheckpointEvery > 0 && since >= uint64(l.opts.CheckpointEvery)) ||
				(l.opts.CheckpointInterval > 0 && since > 0 && now.Sub(ckTime) >= l.opts.CheckpointInterval)
		}
	}
	if !due {
		return nil
	}
	st, err := l.catchUp()
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
	if l.sealedValid {
		l.sealed.ckSize, l.sealed.ckTime = uint64(c.Size), now.UnixNano()
	}
	if err := writeFileAtomic(l.path+".checkpoint", []byte(msg)); err != nil {
		return fmt.Errorf("saving latest audit checkpoint: %w", err)
	}
	return l.saveState(st)
}

// LineHash is the hex SHA-256 of an event line (without its newline): the
// value the next event records as Prev.
func LineHash(line []byte) string { return lineHash(line) }
