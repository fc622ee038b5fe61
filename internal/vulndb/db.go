package vulndb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"
)

// mapIndex maps an index file (a variable so that the tests also run the
// ReadAt path).
var mapIndex = mapFile

// ErrNoDatabase is returned by Open when the directory holds no index.
var ErrNoDatabase = errors.New("no vulnerability database")

// DB is an open index. Lookups read only the requested packages' records
// from disk; it is safe for concurrent use.
type DB struct {
	f       *os.File
	path    string
	meta    Meta
	entries []byte
	keys    []byte
	// data is the whole file mapped read-only, or nil (then records are
	// read with ReadAt). The mapping outlives Close, which may race with
	// a lookup in a long-running process; it is released when the DB is
	// garbage.
	data []byte
}

// Open opens the index in dir. It reads the header, the package table and
// the key pool (a few bytes per package), not the records.
func Open(dir string) (*DB, error) {
	path := filepath.Join(dir, File)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoDatabase, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("opening vulnerability database: %w", err)
	}
	db, err := readIndex(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return db, nil
}

func readIndex(f *os.File, path string) (*DB, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	corrupt := func(what string) error {
		return fmt.Errorf("vulnerability database %s is corrupt (%s); run 'warden db update' or 'warden db import' to rebuild it", path, what)
	}
	r := io.NewSectionReader(f, 0, size)
	hdr := make([]byte, len(magic)+8)
	if _, err := io.ReadFull(r, hdr); err != nil || string(hdr[:len(magic)]) != magic {
		return nil, corrupt("bad header")
	}
	if v := binary.LittleEndian.Uint32(hdr[len(magic):]); v != formatVersion {
		return nil, fmt.Errorf("vulnerability database %s has format %d, this warden reads %d; run 'warden db update' to rebuild it", path, v, formatVersion)
	}
	metaLen := int64(binary.LittleEndian.Uint32(hdr[len(magic)+4:]))
	pos := int64(len(hdr))
	if metaLen > size-pos {
		return nil, corrupt("bad metadata length")
	}
	metaJSON := make([]byte, metaLen)
	if _, err := io.ReadFull(r, metaJSON); err != nil {
		return nil, corrupt("short metadata")
	}
	var meta Meta
	if err := json.Unmarshal(metaJSON, &meta); err != nil {
		return nil, corrupt("bad metadata")
	}
	pos += metaLen
	var n4 [4]byte
	if _, err := io.ReadFull(r, n4[:]); err != nil {
		return nil, corrupt("short table")
	}
	count := int64(binary.LittleEndian.Uint32(n4[:]))
	pos += 4
	if count*entrySize > size-pos {
		return nil, corrupt("bad table length")
	}
	data, mapErr := mapIndex(f, size)
	var entries []byte
	if mapErr == nil {
		entries = data[pos : pos+count*entrySize]
	} else {
		entries = make([]byte, count*entrySize)
		if _, err := r.ReadAt(entries, pos); err != nil {
			return nil, corrupt("short table")
		}
	}
	pos += int64(len(entries))
	if _, err := r.ReadAt(n4[:], pos); err != nil {
		unmapFile(data)
		return nil, corrupt("short key pool")
	}
	keysLen := int64(binary.LittleEndian.Uint32(n4[:]))
	pos += 4
	if keysLen > size-pos {
		unmapFile(data)
		return nil, corrupt("bad key pool length")
	}
	var keys []byte
	if mapErr == nil {
		keys = data[pos : pos+keysLen]
	} else {
		keys = make([]byte, keysLen)
		if _, err := r.ReadAt(keys, pos); err != nil {
			return nil, corrupt("short key pool")
		}
	}
	for i := int64(0); i < count; i++ {
		e := entries[i*entrySize:]
		ko, kl := int64(binary.LittleEndian.Uint32(e)), int64(binary.LittleEndian.Uint32(e[4:]))
		bo, bl := int64(binary.LittleEndian.Uint64(e[8:])), int64(binary.LittleEndian.Uint32(e[16:]))
		if ko+kl > keysLen || bo < 0 || bo+bl > size {
			unmapFile(data)
			return nil, corrupt("entry out of bounds")
		}
	}
	db := &DB{f: f, path: path, meta: meta, entries: entries, keys: keys}
	if mapErr == nil {
		db.data = data
		runtime.AddCleanup(db, func(b []byte) { unmapFile(b) }, data)
	}
	return db, nil
}

// Close releases the file.
func (db *DB) Close() error { return db.f.Close() }

// Meta describes the database.
func (db *DB) Meta() Meta { return db.meta }

// Path is the index file.
func (db *DB) Path() string { return db.path }

// Age is how long ago the database was built.
func (db *DB) Age(now time.Time) time.Duration { return now.Sub(db.meta.Built) }

func (db *DB) count() int { return len(db.entries) / entrySize }

func (db *DB) keyAt(i int) []byte {
	e := db.entries[i*entrySize:]
	ko, kl := binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:])
	return db.keys[ko : ko+kl]
}

// Lookup returns the records that affect the named package. The records'
// Affected lists hold only that package's entries.
func (db *DB) Lookup(ecosystem, name string) ([]Vulnerability, error) {
	k := []byte(key(ecosystem, name))
	n := db.count()
	i := sort.Search(n, func(i int) bool { return bytes.Compare(db.keyAt(i), k) >= 0 })
	if i == n || !bytes.Equal(db.keyAt(i), k) {
		return nil, nil
	}
	e := db.entries[i*entrySize:]
	off, l := int64(binary.LittleEndian.Uint64(e[8:])), binary.LittleEndian.Uint32(e[16:])
	var buf []byte
	if db.data != nil {
		buf = db.data[off : off+int64(l)] // bounds checked by Open
	} else {
		buf = make([]byte, l)
		if _, err := db.f.ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("reading vulnerability database %s: %w", db.path, err)
		}
	}
	out, err := decodeBlob(buf) // copies what it keeps
	if err != nil {
		return nil, fmt.Errorf("vulnerability database %s is corrupt (record of %s); rebuild it with 'warden db update': %w", db.path, name, err)
	}
	return out, nil
}

// DefaultDir is where the database lives unless configured: $WARDEN_DB_DIR,
// else warden/vulndb under the user's cache directory.
func DefaultDir(getenv func(string) string) (string, error) {
	if d := getenv("WARDEN_DB_DIR"); d != "" {
		return d, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory (%v); set WARDEN_DB_DIR", err)
	}
	return filepath.Join(cache, "warden", "vulndb"), nil
}
