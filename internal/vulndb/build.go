package vulndb

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// File is the name of the index inside a database directory.
const File = "osv.idx"

const (
	magic         = "WARDENDB"
	formatVersion = 2
	entrySize     = 24
)

// Meta describes a database: when it was built, from where, and what it holds.
type Meta struct {
	Built      time.Time                 `json:"built"`
	Source     string                    `json:"source"`
	Ecosystems map[string]EcosystemStats `json:"ecosystems"`
	// Withdrawn counts records skipped because they were withdrawn.
	Withdrawn int `json:"withdrawn"`
}

// EcosystemStats counts one ecosystem's records.
type EcosystemStats struct {
	Records  int `json:"records"`
	Packages int `json:"packages"`
	// Newest is the latest "modified" time among the records.
	Newest time.Time `json:"newest,omitzero"`
}

// Records is the total number of records over all ecosystems.
func (m Meta) Records() int {
	n := 0
	for _, s := range m.Ecosystems {
		n += s.Records
	}
	return n
}

// Builder collects OSV records and writes an index. It keeps, per package,
// the compacted records that affect it.
type Builder struct {
	blobs     map[string][][]byte
	seen      map[string]bool // record ids, to reject duplicates across archives
	meta      Meta
	perEcoPkg map[string]map[string]bool
}

// NewBuilder starts an empty database described as coming from source.
func NewBuilder(source string) *Builder {
	return &Builder{
		blobs:     map[string][][]byte{},
		seen:      map[string]bool{},
		meta:      Meta{Source: source, Ecosystems: map[string]EcosystemStats{}},
		perEcoPkg: map[string]map[string]bool{},
	}
}

// ErrInvalidRecord is wrapped by errors about a record that is not OSV.
var ErrInvalidRecord = errors.New("invalid OSV record")

// AddJSON parses one OSV record and adds it. name says where it came from,
// for errors.
func (b *Builder) AddJSON(name string, data []byte) error {
	var v Vulnerability
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrInvalidRecord, err)
	}
	if v.ID == "" {
		return fmt.Errorf("%s: %w: no id", name, ErrInvalidRecord)
	}
	return b.Add(v)
}

// Add adds one record. A withdrawn record is counted and skipped. A second
// record with the same id replaces nothing: the one modified last wins only
// within a single Builder's input order, so duplicate ids are ignored.
func (b *Builder) Add(v Vulnerability) error {
	if v.Withdrawn != nil && !v.Withdrawn.IsZero() {
		b.meta.Withdrawn++
		return nil
	}
	if b.seen[v.ID] {
		return nil
	}
	b.seen[v.ID] = true
	// One compacted copy per distinct package, holding only that
	// package's affected entries.
	byKey := map[string][]Affected{}
	var order []string
	ecos := map[string]bool{}
	for _, a := range v.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue
		}
		k := key(a.Package.Ecosystem, a.Package.Name)
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], a)
		eco := baseEcosystem(a.Package.Ecosystem)
		ecos[eco] = true
		if b.perEcoPkg[eco] == nil {
			b.perEcoPkg[eco] = map[string]bool{}
		}
		b.perEcoPkg[eco][k] = true
	}
	for _, k := range order {
		c := v
		c.Affected = byKey[k]
		b.blobs[k] = append(b.blobs[k], encodeRecord(nil, &c))
	}
	for eco := range ecos {
		s := b.meta.Ecosystems[eco]
		s.Records++
		if v.Modified.After(s.Newest) {
			s.Newest = v.Modified
		}
		b.meta.Ecosystems[eco] = s
	}
	return nil
}

// Meta returns what has been collected so far (Built is set by Write).
func (b *Builder) Meta() Meta {
	m := b.meta
	for eco, pk := range b.perEcoPkg {
		s := m.Ecosystems[eco]
		s.Packages = len(pk)
		m.Ecosystems[eco] = s
	}
	return m
}

// WriteDir writes the index into dir atomically: it is written to a
// temporary file beside the index and renamed over it, so a scan running at
// the same time sees the old database or the new one, never a mix.
func (b *Builder) WriteDir(dir string, built time.Time) (Meta, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Meta{}, fmt.Errorf("creating database directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".osv.idx.*.tmp")
	if err != nil {
		return Meta{}, fmt.Errorf("creating database file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	meta := b.Meta()
	meta.Built = built.UTC()
	if err := b.write(tmp, meta); err != nil {
		tmp.Close()
		return Meta{}, fmt.Errorf("writing database: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return Meta{}, fmt.Errorf("writing database: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Meta{}, fmt.Errorf("writing database: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Meta{}, fmt.Errorf("writing database: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, File)); err != nil {
		return Meta{}, fmt.Errorf("installing database: %w", err)
	}
	return meta, nil
}

func (b *Builder) write(f *os.File, meta Meta) error {
	keys := make([]string, 0, len(b.blobs))
	for k := range b.blobs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	var keyPool []byte
	entries := make([]byte, len(keys)*entrySize)
	// Blobs start after header, meta, entry table and key pool.
	keysLen := 0
	for _, k := range keys {
		keysLen += len(k)
	}
	headerLen := len(magic) + 4 + 4 + len(metaJSON) + 4 + len(entries) + 4 + keysLen
	blobOff := uint64(headerLen)
	blobData := make([][]byte, len(keys))
	for i, k := range keys {
		blob := encodeBlob(b.blobs[k])
		blobData[i] = blob
		e := entries[i*entrySize:]
		binary.LittleEndian.PutUint32(e[0:], uint32(len(keyPool)))
		binary.LittleEndian.PutUint32(e[4:], uint32(len(k)))
		binary.LittleEndian.PutUint64(e[8:], blobOff)
		binary.LittleEndian.PutUint32(e[16:], uint32(len(blob)))
		keyPool = append(keyPool, k...)
		blobOff += uint64(len(blob))
	}
	w := bufio.NewWriterSize(f, 1<<20)
	u32 := func(n int) { _ = binary.Write(w, binary.LittleEndian, uint32(n)) }
	w.WriteString(magic)
	u32(formatVersion)
	u32(len(metaJSON))
	w.Write(metaJSON)
	u32(len(keys))
	w.Write(entries)
	u32(len(keyPool))
	w.Write(keyPool)
	for _, blob := range blobData {
		w.Write(blob)
	}
	return w.Flush()
}

// encodeBlob joins a package's encoded records behind their count.
func encodeBlob(recs [][]byte) []byte {
	n := binary.MaxVarintLen64
	for _, r := range recs {
		n += len(r)
	}
	out := binary.AppendUvarint(make([]byte, 0, n), uint64(len(recs)))
	for _, r := range recs {
		out = append(out, r...)
	}
	return out
}
