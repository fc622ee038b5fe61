package audit

// The journal lets appenders never wait for one another.
//
// An appender writes its event, encoded without seq and prev, as one
// write(2) on an O_APPEND descriptor of <log>.journal. Local filesystems
// place each such write at the end of the file atomically, so records never
// interleave and never need a lock to be positioned. The appender then TRIES
// the seal lock (<log>.lock, flock LOCK_NB). Whoever holds it "seals": reads
// the journal from the sealed position, gives each record the next sequence
// number and the previous event's SHA-256, appends the chained lines to the
// log in one write, and records the new sealed position in the lock file.
// An appender that finds the lock taken returns at once: the holder seals
// its record, because every holder looks at the journal again after it
// unlocked (see sealLoop for the argument).
//
// Journal file: a header record, then event records, each framed as in RFC
// 7464 (JSON text sequences):
//
//	RS "warden-journal v1 " <32 hex: journal id> LF
//	RS <16 hex: nonce> <event JSON with "seq":0 and "prev":""> LF
//
// RS (0x1E) cannot occur inside encoded JSON, so a record cut short (a
// writer killed mid-write, a full disk) is recognized by the RS of the next
// record arriving before its LF; it is skipped and recorded as a repair
// event. A record without its LF at the end of the file may still be being
// written: it waits.
//
// Compaction, on Linux: once the sealed part of the journal reaches
// journalCompactSize beyond what was last freed, or when the log rotates,
// the sealer punches a hole over it (fallocate PUNCH_HOLE|KEEP_SIZE): its
// disk blocks are freed, while the file's size and every offset stay as
// they were, so it cannot interfere with a concurrent append and writers
// need no lock at all. (ls shows the journal's logical size; du shows what
// it occupies.)
//
// Compaction elsewhere (no hole punching): once the journal is fully sealed
// and larger than journalCompactSize, or when the log rotates, the sealer
// removes it. Writers then hold a shared flock on the journal while
// writing and check, holding it, that their descriptor is still linked;
// the sealer removes the file only holding an exclusive flock (LOCK_NB: it
// skips compaction rather than wait) and only when every byte is sealed. So
// no write can land in a removed journal. A new journal gets a new id
// (created whole with its header, by link(2)), so a sealed position can
// never be applied to the wrong journal.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const (
	recordSep = 0x1e
	// maxJournalRecord bounds the records appended through the journal; a
	// larger event takes the locked path. Writes this small to a local file
	// are never split (the kernel holds the inode lock for the whole write).
	maxJournalRecord = 16 << 10
	// journalCompactSize is how large a fully sealed journal may grow before
	// the sealer removes it.
	journalCompactSize = 4 << 20
	// maxSealChunk bounds how much of the journal one round reads at once.
	maxSealChunk = 4 << 20

	journalMagic = "warden-journal v1 "
	// journalHeaderLen: RS, magic, 32 hex digits, LF.
	journalHeaderLen = 1 + len(journalMagic) + 32 + 1
	nonceLen         = 16
)

func journalPath(path string) string { return path + ".journal" }

// openJournal opens the journal, creating it with a fresh header when it
// does not exist. Creation is atomic (a temporary file with the header is
// linked into place), so nobody ever sees a journal without its header.
func openJournal(jp string) (*os.File, error) {
	for range 8 {
		f, err := os.OpenFile(jp, os.O_RDWR|os.O_APPEND, 0)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("opening audit journal: %w", err)
		}
		var id [16]byte
		rand.Read(id[:])
		tmp := fmt.Sprintf("%s.new%d-%x", jp, os.Getpid(), id[:4])
		hdr := fmt.Sprintf("%c%s%x\n", recordSep, journalMagic, id)
		if err := os.WriteFile(tmp, []byte(hdr), 0o600); err != nil {
			return nil, fmt.Errorf("creating audit journal: %w", err)
		}
		err = os.Link(tmp, jp)
		os.Remove(tmp)
		if err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("creating audit journal: %w", err)
		}
	}
	return nil, errors.New("creating audit journal: it keeps disappearing")
}

// journalID reads the id from a journal's header.
func journalID(f *os.File) (string, error) {
	buf := make([]byte, journalHeaderLen)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return "", fmt.Errorf("audit journal header: %w", err)
	}
	id, ok := bytes.CutPrefix(buf, []byte{recordSep})
	if ok {
		id, ok = bytes.CutPrefix(id, []byte(journalMagic))
	}
	if !ok || id[len(id)-1] != '\n' || !isHex(id[:len(id)-1]) {
		return "", fmt.Errorf("audit journal %s has no valid header: move it aside to continue (its events are not in the log)", f.Name())
	}
	return string(id[:len(id)-1]), nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return len(b) > 0
}

// journalRecord is one record of the journal as the sealer sees it.
type journalRecord struct {
	end   int64  // offset just past the record
	nonce []byte // nil for a torn or malformed record
	body  []byte // the event, "seq":0 and "prev":""
	torn  []byte // the bytes of a torn or malformed record
}

// parseJournal calls fn for each record of buf (journal bytes from offset
// base) and returns the offset after the last whole record: a record still
// without its LF at the end may be in the middle of being written.
func parseJournal(buf []byte, base int64, fn func(journalRecord) error) (int64, error) {
	p := 0
	for p < len(buf) {
		if buf[p] != recordSep {
			// Bytes that do not start a record: skip to the next one.
			q := bytes.IndexByte(buf[p:], recordSep)
			if q < 0 {
				break
			}
			if err := fn(journalRecord{end: base + int64(p+q), torn: buf[p : p+q]}); err != nil {
				return 0, err
			}
			p += q
			continue
		}
		rest := buf[p+1:]
		nl := bytes.IndexByte(rest, '\n')
		rs := bytes.IndexByte(rest, recordSep)
		if rs >= 0 && (nl < 0 || rs < nl) {
			// The next record started before this one ended: it was cut
			// short.
			if err := fn(journalRecord{end: base + int64(p+1+rs), torn: buf[p : p+1+rs]}); err != nil {
				return 0, err
			}
			p += 1 + rs
			continue
		}
		if nl < 0 {
			break
		}
		rec := journalRecord{end: base + int64(p+1+nl+1)}
		r := rest[:nl]
		if len(r) > nonceLen && isHex(r[:nonceLen]) && validBody(r[nonceLen:]) {
			rec.nonce, rec.body = r[:nonceLen], r[nonceLen:]
		} else {
			rec.torn = buf[p : p+1+nl+1]
		}
		if err := fn(rec); err != nil {
			return 0, err
		}
		p += 1 + nl + 1
	}
	return base + int64(p), nil
}

const seq0, prev0 = `{"v":1,"seq":0,`, `,"prev":"",`

// validBody checks that b looks like an event as Append encodes it: its
// opening, the empty prev, its closing brace, and no byte that encoded
// JSON never contains (control bytes: zeros left by a lost write, a stray
// RS or LF). It does not run a JSON parser over every record (that was
// the largest cost of sealing): a record damaged inside its text in a way
// that keeps all this is sealed as it is, and verify reports it as a
// malformed event.
func validBody(b []byte) bool {
	if !bytes.HasPrefix(b, []byte(seq0)) || b[len(b)-1] != '}' || !bytes.Contains(b, []byte(prev0)) {
		return false
	}
	for _, c := range b {
		if c < 0x20 {
			return false
		}
	}
	return true
}

// sealLine appends to dst the log line of an event encoded with seq 0 and an
// empty prev, with seq and prev filled in.
func sealLine(dst, body []byte, seq uint64, prev string) ([]byte, error) {
	i := bytes.Index(body, []byte(prev0))
	if !bytes.HasPrefix(body, []byte(seq0)) || i < 0 {
		return dst, errors.New("audit event encoding has an unexpected shape") // a bug in warden
	}
	dst = append(dst, `{"v":1,"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, ',')
	dst = append(dst, body[len(seq0):i]...)
	dst = append(dst, `,"prev":"`...)
	dst = append(dst, prev...)
	dst = append(dst, `",`...)
	dst = append(dst, body[i+len(prev0):]...)
	return dst, nil
}

// linePrev reads the prev field of a log line written by warden.
func linePrev(line []byte) (string, bool) {
	const key = `,"prev":"`
	i := bytes.Index(line, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := line[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// sealState is where sealing got to, kept in the lock file: the journal (by
// id) and the offset in it up to which every record is in the log, and the
// active segment (by inode) and its size when that was recorded. It also
// remembers the last checkpoint (size, time) so that appends need not read
// the .state file to know whether one is due.
type sealState struct {
	journal string
	offset  int64
	logIno  uint64
	logSize int64
	ckSize  uint64
	ckTime  int64 // unix nanoseconds
}

const (
	sealStateLen   = 192
	sealStateMagic = "warden-seal v1 "
)

func appendPadded(b []byte, v uint64) []byte {
	var d [20]byte
	n := strconv.AppendUint(d[:0], v, 10)
	for range 20 - len(n) {
		b = append(b, '0')
	}
	return append(append(b, n...), ' ')
}

func (s sealState) encode() []byte {
	b := make([]byte, 0, sealStateLen)
	b = append(b, sealStateMagic...)
	id := s.journal
	if len(id) != 32 {
		id = strings.Repeat("-", 32)
	}
	b = append(append(b, id...), ' ')
	for _, v := range []uint64{uint64(s.offset), s.logIno, uint64(s.logSize), s.ckSize, uint64(s.ckTime)} {
		b = appendPadded(b, v)
	}
	sum := crc32.ChecksumIEEE(b)
	b = fmt.Appendf(b, "%08x", sum)
	for len(b) < sealStateLen-1 {
		b = append(b, ' ')
	}
	return append(b, '\n')
}

func decodeSealState(b []byte) (sealState, bool) {
	const body = len(sealStateMagic) + 33 + 5*21
	if len(b) != sealStateLen || !bytes.HasPrefix(b, []byte(sealStateMagic)) {
		return sealState{}, false
	}
	sum, err := strconv.ParseUint(string(b[body:body+8]), 16, 32)
	if err != nil || uint32(sum) != crc32.ChecksumIEEE(b[:body]) {
		return sealState{}, false
	}
	var v [5]uint64
	p := len(sealStateMagic) + 33
	for i := range v {
		if v[i], err = strconv.ParseUint(string(b[p:p+20]), 10, 64); err != nil {
			return sealState{}, false
		}
		p += 21
	}
	s := sealState{journal: string(b[len(sealStateMagic) : len(sealStateMagic)+32]),
		offset: int64(v[0]), logIno: v[1], logSize: int64(v[2]), ckSize: v[3], ckTime: int64(v[4])}
	if s.journal == strings.Repeat("-", 32) {
		s.journal = ""
	}
	return s, true
}

func (l *Log) loadSealState() (sealState, bool) {
	buf := make([]byte, sealStateLen)
	if n, err := l.lockf.ReadAt(buf, 0); n != sealStateLen || (err != nil && err != io.EOF) {
		return sealState{}, false
	}
	return decodeSealState(buf)
}

// saveSealState overwrites the state in place with one small pwrite: a
// killed process cannot tear it; a torn one (power loss) fails its checksum
// and is rebuilt by matching the log against the journal.
func (l *Log) saveSealState(s sealState) error {
	if _, err := l.lockf.WriteAt(s.encode(), 0); err != nil {
		return fmt.Errorf("saving audit seal position: %w", err)
	}
	l.sealed = s
	return nil
}

var nonceSeed atomic.Uint64

func init() {
	var b [8]byte
	rand.Read(b[:])
	for _, c := range b {
		nonceSeed.Store(nonceSeed.Load()<<8 | uint64(c))
	}
}

// newNonce names one journal record, so the appender that wrote it learns
// its sequence number when it seals it itself.
func newNonce() [nonceLen]byte {
	const digits = "0123456789abcdef"
	var out [nonceLen]byte
	v := nonceSeed.Add(1)
	for i := nonceLen - 1; i >= 0; i-- {
		out[i] = digits[v&0xf]
		v >>= 4
	}
	return out
}

// journalWrite appends one record to the journal with one write(2).
func (l *Log) journalWrite(rec []byte, sync bool) error {
	if l.removeJournal {
		return l.journalWriteShared(rec, sync)
	}
	l.jmu.Lock()
	if l.jclosed {
		l.jmu.Unlock()
		return errors.New("audit log is closed")
	}
	if l.jw == nil {
		f, err := openJournal(journalPath(l.path))
		if err != nil {
			l.jmu.Unlock()
			return err
		}
		l.jw = f
	}
	jf := l.jw
	l.jmu.Unlock()
	n, err := jf.Write(rec)
	if err == nil && sync {
		err = jf.Sync()
	}
	return journalWriteError(n, len(rec), err)
}

func journalWriteError(n, want int, err error) error {
	if err == nil {
		return nil
	}
	if n > 0 {
		// A partial record stays: the sealer skips it and records a
		// repair.
		return fmt.Errorf("writing audit journal (%d of %d bytes): %w", n, want, err)
	}
	return fmt.Errorf("writing audit journal: %w", err)
}

// journalWriteShared appends one record holding a shared flock on the
// journal (compaction by removal, see above); goroutines of one process
// share the lock.
func (l *Log) journalWriteShared(rec []byte, sync bool) error {
	l.jmu.Lock()
	if l.jclosed {
		l.jmu.Unlock()
		return errors.New("audit log is closed")
	}
	if l.jusers == 0 {
		if err := l.journalEnter(); err != nil {
			l.jmu.Unlock()
			return err
		}
	}
	l.jusers++
	jf := l.jw
	l.jmu.Unlock()

	n, err := jf.Write(rec)
	if err == nil && sync {
		err = jf.Sync()
	}

	l.jmu.Lock()
	l.jusers--
	if l.jusers == 0 {
		unlockFile(jf)
	}
	l.jmu.Unlock()
	return journalWriteError(n, len(rec), err)
}

// journalEnter takes the shared journal lock on a descriptor that is (still)
// the journal at its path, reopening it when a sealer removed it. Called
// with jmu held and no writer of this process inside.
func (l *Log) journalEnter() error {
	jp := journalPath(l.path)
	for range 8 {
		if l.jw == nil {
			f, err := openJournal(jp)
			if err != nil {
				return err
			}
			l.jw = f
		}
		if err := lockShared(l.jw); err != nil {
			return fmt.Errorf("locking audit journal: %w", err)
		}
		// Still linked means still the journal: it only ever has one name
		// (it is created under a temporary name and linked into place, and
		// only the sealer's compaction removes it).
		if cur, err := l.jw.Stat(); err == nil && fileLinks(cur) > 0 {
			return nil
		}
		// Compacted away under us: nothing was written to it since it was
		// sealed; use the new one.
		unlockFile(l.jw)
		l.jw.Close()
		l.jw = nil
	}
	return errors.New("audit journal keeps being replaced")
}

// sealed journal reading (under the seal lock)

// journalForSeal returns the sealer's descriptor of the current journal
// and its id, or nil when there is no journal.
func (l *Log) journalForSeal() (*os.File, os.FileInfo, error) {
	jp := journalPath(l.path)
	if !l.removeJournal && l.jr != nil {
		// Never replaced (holes are punched instead): fstat is enough,
		// unless someone removed it by hand.
		if fi, err := l.jr.Stat(); err == nil && fileLinks(fi) > 0 {
			return l.jr, fi, nil
		}
	}
	fi, err := os.Stat(jp)
	if errors.Is(err, os.ErrNotExist) {
		if l.jr != nil {
			l.jr.Close()
			l.jr = nil
		}
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("audit journal: %w", err)
	}
	if l.jr == nil || !os.SameFile(fi, l.jrInfo) {
		if l.jr != nil {
			l.jr.Close()
			l.jr = nil
		}
		f, err := os.OpenFile(jp, os.O_RDWR, 0) // RDWR: to punch holes
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, nil, nil
			}
			return nil, nil, fmt.Errorf("audit journal: %w", err)
		}
		id, err := journalID(f)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		if fi, err = f.Stat(); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("audit journal: %w", err)
		}
		l.jr, l.jrInfo, l.jrID = f, fi, id
	}
	return l.jr, fi, nil
}

// sealJournal appends every whole journal record after the sealed position
// to the log. Called holding the seal lock, after prepare. own is the nonce
// of the caller's record (nil: none); ownSeq is its sequence number if this
// call sealed it. size is the journal size it read up to (for sealLoop's
// re-check).
//
// mine says this Log's last hold ended with the state it remembers written
// to the lock file: if the log is still exactly as it left it, nobody held
// the lock since (every holder that changes the state writes the log, or
// replaces the journal), and the lock file need not be read.
func (l *Log) sealJournal(now time.Time, own []byte, mine bool) (ownSeq uint64, size int64, err error) {
	jf, fi, err := l.journalForSeal()
	if err != nil {
		return 0, 0, err
	}
	if jf != nil {
		size = fi.Size()
		if mine && l.sealed.journal == l.jrID && l.sealed.logIno == l.logIno && l.sealed.logSize == l.cacheSize {
			l.sealedValid = true
		} else if _, err = l.reconcile(jf, size); err != nil {
			return 0, size, err
		}
	}
	if err := l.rotateIfDue(now); err != nil {
		return 0, size, err
	}
	if jf == nil {
		return 0, 0, nil
	}
	st := l.sealed
	if l.rotated {
		st.logIno, st.logSize = l.logIno, l.cacheSize
		if err := l.saveSealState(st); err != nil {
			return 0, size, err
		}
	}
	for st.offset < size {
		l.setSealFlag(true) // still sealing
		n := min(size-st.offset, maxSealChunk)
		buf := make([]byte, n)
		if _, err := jf.ReadAt(buf, st.offset); err != nil && err != io.EOF {
			return 0, size, fmt.Errorf("reading audit journal: %w", err)
		}
		seq, hash := l.seq, l.hash
		out := make([]byte, 0, len(buf)+len(buf)/4)
		var repairs int
		end, err := parseJournal(buf, st.offset, func(r journalRecord) error {
			start := len(out)
			var err error
			if r.nonce == nil {
				sum := sha256.Sum256(r.torn)
				e := Event{V: SchemaVersion, Seq: seq + 1, Prev: hash, Time: now, Kind: KindRepair,
					Segment: &Segment{Name: filepath.Base(journalPath(l.path)), Bytes: int64(len(r.torn)), SHA256: hex.EncodeToString(sum[:])},
					Summary: fmt.Sprintf("skipped a torn journal record of %d bytes (a writer was interrupted)", len(r.torn))}
				b, merr := e.marshal()
				if merr != nil {
					return merr
				}
				out = append(out, b...)
				repairs++
			} else {
				if out, err = sealLine(out, r.body, seq+1, hash); err != nil {
					return err
				}
				if own != nil && bytes.Equal(r.nonce, own) {
					ownSeq = seq + 1
				}
			}
			seq++
			hash = lineHash(out[start:])
			out = append(out, '\n')
			return nil
		})
		if err != nil {
			return 0, size, err
		}
		if end == st.offset {
			break // only a record still being written
		}
		if err := l.writeLines(out, seq, hash); err != nil {
			return 0, size, err
		}
		if repairs > 0 {
			l.opts.Logger.Warn("audit journal: skipped torn records", "path", journalPath(l.path), "records", repairs)
		}
		st.offset = end
		st.logSize = l.cacheSize
		if err := l.saveSealState(st); err != nil {
			return 0, size, err
		}
	}
	return ownSeq, size, nil
}

// writeLines appends whole lines to the active segment and advances the
// cached tail to seq and hash.
func (l *Log) writeLines(out []byte, seq uint64, hash string) error {
	if len(out) == 0 {
		return nil
	}
	if n, err := l.f.Write(out); err != nil {
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
	l.cacheSize += int64(len(out))
	return nil
}

// reconcile returns where sealing of the journal jf (size bytes) got to.
// Normally that is the state in the lock file. When the log does not end
// where that state says (a sealer was killed between writing the log and
// saving the state, or the state is missing or torn), the log lines after
// the state's position are matched against the journal records after its
// offset, in order, so that no record is sealed twice.
func (l *Log) reconcile(jf *os.File, size int64) (sealState, error) {
	st, ok := l.loadSealState()
	if ok && st.journal == l.jrID && st.logIno == l.logIno && st.logSize == l.cacheSize {
		l.sealed, l.sealedValid = st, true
		return st, nil
	}
	joff := int64(journalHeaderLen)
	if ok && st.journal == l.jrID {
		joff = st.offset
	} else {
		// No position for this journal (a new one, or the lock file was
		// lost): start after any punched hole, at the first record.
		var err error
		if joff, err = firstRecord(jf, joff, size); err != nil {
			return st, err
		}
	}
	var logFrom int64
	if ok && st.logIno == l.logIno && st.logSize <= l.cacheSize {
		logFrom = st.logSize
	}
	// Sealed records can only be at the end of the log: each line is at
	// most ~100 bytes longer than its record, and only checkpoint,
	// rotation, retention and repair lines come between them. So a log
	// with no usable position (a first append after an upgrade) is not
	// read whole; a partial first line matches nothing.
	if tail := 2*min(size-joff, 3*maxSealChunk) + 1<<20; l.cacheSize-logFrom > tail {
		logFrom = l.cacheSize - tail
	}
	ck, ckTime := st.ckSize, st.ckTime
	if !ok {
		ck, ckTime = 0, 0
	}
	st = sealState{journal: l.jrID, offset: joff, logIno: l.logIno, logSize: l.cacheSize, ckSize: ck, ckTime: ckTime}
	if joff < size && logFrom < l.cacheSize {
		// Records sealed without their position recorded are at most one
		// chunk (the position is saved after each), and the sealed part
		// not yet freed is at most a compaction size more.
		buf := make([]byte, min(size-joff, 3*maxSealChunk))
		if _, err := jf.ReadAt(buf, joff); err != nil && err != io.EOF {
			return st, fmt.Errorf("reading audit journal: %w", err)
		}
		var recs []journalRecord
		if _, err := parseJournal(buf, joff, func(r journalRecord) error {
			recs = append(recs, r)
			return nil
		}); err != nil {
			return st, err
		}
		i := 0
		var scratch []byte
		r := io.NewSectionReader(l.f, logFrom, l.cacheSize-logFrom)
		err := scanLines(r, func(line []byte, _ int64) error {
			if i >= len(recs) {
				return nil
			}
			if recs[i].nonce == nil && bytes.Contains(line, []byte(`"kind":"repair"`)) {
				sum := sha256.Sum256(recs[i].torn)
				if bytes.Contains(line, []byte(hex.EncodeToString(sum[:]))) {
					i++
					return nil
				}
			}
			k := i
			for k < len(recs) && recs[k].nonce == nil {
				k++
			}
			if k == len(recs) {
				return nil
			}
			seq, err := lineSeq(line)
			prev, ok := linePrev(line)
			if err != nil || !ok {
				return nil
			}
			scratch, err = sealLine(scratch[:0], recs[k].body, seq, prev)
			if err == nil && bytes.Equal(scratch, line) {
				i = k + 1
			}
			return nil
		})
		if err != nil {
			return st, fmt.Errorf("audit log %s: %w", l.path, err)
		}
		if i > 0 {
			st.offset = recs[i-1].end
			l.opts.Logger.Warn("audit journal: found records sealed by an interrupted writer", "records", i)
		}
	}
	if err := l.saveSealState(st); err != nil {
		return st, err
	}
	l.sealedValid = true
	return st, nil
}

// finishHold records, before the seal lock is released, where the log ends
// (checkpoints and locked appends write after the journal's records), and
// removes the journal when it is fully sealed and large, or the log rotated.
func (l *Log) finishHold() error {
	if !l.sealedValid || l.jr == nil {
		return nil
	}
	st := l.sealed
	if st.logIno != l.logIno || st.logSize != l.cacheSize {
		st.logIno, st.logSize = l.logIno, l.cacheSize
		if err := l.saveSealState(st); err != nil {
			return err
		}
	}
	if !l.removeJournal {
		// Everything sealed after the header: whole blocks are freed, the
		// partial ones at the edges zeroed, so the journal reads as the
		// header, zeros, and the records not sealed yet.
		end := st.offset
		if end > int64(journalHeaderLen) && end > l.punched && (end-l.punched >= l.compactSize || l.rotated) {
			if err := punchHole(l.jr, int64(journalHeaderLen), end); err != nil {
				l.opts.Logger.Warn("audit journal: could not free its sealed part", "err", err)
			}
			l.punched = end
		}
		return nil
	}
	if st.offset < l.compactSize && !l.rotated {
		return nil
	}
	fi, err := l.jr.Stat()
	if err != nil || fi.Size() != st.offset {
		return nil // not fully sealed: later
	}
	l.compactJournal(st.offset)
	return nil
}

// compactJournal removes the journal if, holding its exclusive lock (no
// writer is between taking its shared lock and releasing it), it still
// ends at sealed. Writers that were waiting for the shared lock then find
// the file gone from its path and write to a new journal.
func (l *Log) compactJournal(sealed int64) {
	jp := journalPath(l.path)
	f, err := os.Open(jp)
	if err != nil {
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !os.SameFile(fi, l.jrInfo) {
		return
	}
	if ok, err := tryLockFile(f); err != nil || !ok {
		return // a writer is inside: next time
	}
	defer unlockFile(f)
	if fi, err = f.Stat(); err != nil || fi.Size() != sealed {
		return
	}
	if err := os.Remove(jp); err != nil {
		l.opts.Logger.Warn("audit journal: compaction failed", "err", err)
		return
	}
	l.jr.Close()
	l.jr, l.jrInfo, l.jrID = nil, nil, ""
	l.opts.Logger.Info("audit journal compacted", "bytes", sealed)
}

// journalGrew reports whether the journal changed since a sealer read it
// (info, size): then records may wait for a sealer.
//
// jf, when not nil, is the sealer's descriptor of a journal that is never
// replaced (hole punching): its fstat answers.
func journalGrew(jp string, jf *os.File, info os.FileInfo, size int64) bool {
	if jf != nil {
		if fi, err := jf.Stat(); err == nil && fileLinks(fi) > 0 {
			return fi.Size() > size
		}
	}
	fi, err := os.Stat(jp)
	if err != nil {
		return false
	}
	if info == nil || !os.SameFile(fi, info) {
		return fi.Size() > int64(journalHeaderLen)
	}
	return fi.Size() > size
}

// JournalPath is the journal of the log at path.
func JournalPath(path string) string { return journalPath(path) }

// Pending counts the journal records of the log at path that are not
// sealed into the log yet (appended by writers whose sealer has not run, or
// was killed). It is an upper bound: a sealer killed between writing the
// log and recording its position leaves records counted here that the next
// seal finds already in the log. It reads only.
func Pending(path string) (int, error) {
	jf, err := os.Open(journalPath(path))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit journal: %w", err)
	}
	defer jf.Close()
	id, err := journalID(jf)
	if err != nil {
		return 0, err
	}
	fi, err := jf.Stat()
	if err != nil {
		return 0, fmt.Errorf("audit journal: %w", err)
	}
	size := fi.Size()
	off := int64(-1)
	if lf, err := os.Open(path + ".lock"); err == nil {
		buf := make([]byte, sealStateLen)
		if n, _ := lf.ReadAt(buf, 0); n == sealStateLen {
			if st, ok := decodeSealState(buf); ok && st.journal == id {
				off = st.offset
			}
		}
		lf.Close()
	}
	if off < 0 {
		if off, err = firstRecord(jf, int64(journalHeaderLen), size); err != nil {
			return 0, err
		}
	}
	n := 0
	for off < size {
		buf := make([]byte, min(size-off, maxSealChunk))
		if _, err := jf.ReadAt(buf, off); err != nil && err != io.EOF {
			return 0, fmt.Errorf("reading audit journal: %w", err)
		}
		end, _ := parseJournal(buf, off, func(journalRecord) error { n++; return nil })
		if end == off {
			break
		}
		off = end
	}
	if off < size {
		n++ // a record being written, or cut short at the end
	}
	return n, nil
}

// firstRecord returns where the first record at or after off starts,
// skipping punched holes (and zeros), and the remnant of the record a hole
// cut through (size when there is none).
func firstRecord(jf *os.File, off, size int64) (int64, error) {
	p := off
	buf := make([]byte, 64<<10)
	for p < size {
		data, err := seekData(jf, p)
		if err != nil {
			return 0, fmt.Errorf("audit journal: %w", err)
		}
		if data < 0 || data >= size {
			return size, nil
		}
		p = data
		n, err := jf.ReadAt(buf[:min(int64(len(buf)), size-p)], p)
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("reading audit journal: %w", err)
		}
		if n == 0 {
			break
		}
		chunk := buf[:n]
		i := 0
		for i < n && chunk[i] == 0 {
			i++
		}
		if i == n {
			p += int64(n) // zeros: look for the next data
			continue
		}
		if chunk[i] == recordSep {
			return p + int64(i), nil
		}
		// The remnant of a record cut by a hole: the next record.
		if j := bytes.IndexByte(chunk[i:], recordSep); j >= 0 {
			return p + int64(i+j), nil
		}
		p += int64(n)
	}
	return size, nil
}
