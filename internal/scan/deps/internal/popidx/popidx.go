// Package popidx is the on-disk form of the popular-package lists that the
// typosquat check compares names against: one file per ecosystem, built by
// `go generate` (internal/genpopular) and embedded in the binary, that is
// searched where it lies. Opening an index reads a 64-byte header; a lookup
// hashes the key and probes a few slots of a pre-built open-addressing
// table. Nothing is decoded or copied at start-up, so a process that never
// checks a name pays nothing for the data, and one that does pays only for
// the pages it touches.
//
// Layout (all integers little-endian uint32):
//
//	0   magic "WPOP", version (4)
//	8   number of names, number of targets (the first names, by rank)
//	16  offset of the names blob, offset of the name offsets (n+1 entries)
//	24  offset and length of the date string (YYYY-MM-DD)
//	32  slot width in bytes (2 when there are fewer than 65,535 names, else 4)
//	36  for each of the NumTables tables: offset, number of slots (power of 2)
//
// A table slot holds a name's index plus one (0: empty). Slots are found
// by linear probing from hash(key) & (slots-1); a slot matches when the
// key function of the table, applied to the name it points at, equals the
// key, so the tables need no keys of their own.
package popidx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Table is one of an index's hash tables; each maps a key derived from a
// name to names.
type Table int

const (
	// Exact holds every name (targets and known names) under itself.
	Exact Table = iota
	// Sepless holds each target under Sepless(name), the most popular
	// target only.
	Sepless
	// Skeleton holds each target under Skeleton(name), the most popular
	// target only.
	Skeleton
	// Scopes holds, for each npm scope of a target, its most popular
	// scoped target, under the scope.
	Scopes
	// Dropped holds the DroppedScopeTargets most popular scoped targets
	// (except @types, named after the bare package) under their bare
	// name: a bare name equal to one is a dropped scope.
	Dropped
	// Bare holds every scoped target under its bare name.
	Bare
	// Repo holds each target of the form host/owner/repo[/...] under
	// host/repo: the Go modules that a look-alike owner would imitate.
	Repo
	// Deletes holds every target under each string one byte shorter
	// that deleting one of its bytes gives ("lodash" under "odash",
	// "ldash", ..., "lodas"): with it, the names one edit away from a
	// name are found with about twice its length in probes (symmetric
	// deletion) instead of one probe per possible edit.
	Deletes
	// NumTables is how many tables an index has.
	NumTables
)

// DroppedScopeTargets is how many of the most popular scoped targets go
// into the Dropped table.
const DroppedScopeTargets = 1500

const (
	magic      = "WPOP"
	version    = 4
	headerSize = 36 + 8*int(NumTables)
)

// Key is the key a table files a name under; ok is false when the name is
// not in that table at all.
func Key(t Table, name string) (key string, ok bool) {
	switch t {
	case Exact:
		return name, true
	case Sepless:
		return SeplessOf(name), true
	case Skeleton:
		return SkeletonOf(name), true
	case Scopes:
		scope, _, ok := SplitScope(name)
		return scope, ok
	case Dropped, Bare:
		_, bare, ok := SplitScope(name)
		return bare, ok
	case Repo:
		if host, _, repo, ok := SplitRepo(name); ok {
			return host + "/" + repo, true
		}
	}
	return "", false
}

// SplitRepo splits a module path on a code host, "host/owner/repo/...",
// into its host, owner and repository.
func SplitRepo(s string) (host, owner, repo string, ok bool) {
	host, rest, ok1 := strings.Cut(s, "/")
	owner, rest, ok2 := strings.Cut(rest, "/")
	repo, _, _ = strings.Cut(rest, "/")
	switch host {
	case "github.com", "gitlab.com", "bitbucket.org":
	default:
		return "", "", "", false
	}
	return host, owner, repo, ok1 && ok2 && owner != "" && repo != ""
}

// NormalizeGo is the form a Go module path is compared in: lower case
// (the code hosts are case-insensitive, as the proxy's !-escaping
// acknowledges) and without a major-version suffix (/v2, gopkg.in's .v3):
// every major version of a module is the same project.
func NormalizeGo(p string) string {
	p = strings.ToLower(p)
	if i := strings.LastIndexAny(p, "/."); i > 0 && strings.HasPrefix(p[i+1:], "v") && allDigits(p[i+2:]) {
		if p[i] == '/' || strings.HasPrefix(p, "gopkg.in/") {
			return p[:i]
		}
	}
	return p
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// filed reports whether name is filed under key in table t.
func filed(t Table, name, key string) bool {
	if t == Deletes {
		return IsDeletion(key, name)
	}
	k, ok := Key(t, name)
	return ok && k == key
}

// IsDeletion reports whether deleting one byte of name gives d.
func IsDeletion(d, name string) bool {
	if len(name) != len(d)+1 {
		return false
	}
	i := 0
	for i < len(d) && d[i] == name[i] {
		i++
	}
	return d[i:] == name[i+1:]
}

// SeplessOf drops the separators - _ and . from s.
func SeplessOf(s string) string {
	if !strings.ContainsAny(s, "-_.") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' {
			return -1
		}
		return r
	}, s)
}

var homoglyphs = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d", "0", "o", "1", "l", "i", "l", "!", "l", "|", "l", "5", "s", "$", "s", "3", "e", "@", "a")

// SkeletonOf folds characters that look alike (l/1/i, 0/o, rn/m, vv/w)
// and drops separators, so that look-alike spellings share a skeleton.
func SkeletonOf(s string) string {
	if sc, bare, ok := SplitScope(s); ok {
		return "@" + homoglyphs.Replace(SeplessOf(sc)) + "/" + homoglyphs.Replace(SeplessOf(bare))
	}
	return homoglyphs.Replace(SeplessOf(s))
}

// SplitScope splits an npm scoped name "@scope/bare".
func SplitScope(s string) (scope, bare string, ok bool) {
	if !strings.HasPrefix(s, "@") {
		return "", "", false
	}
	scope, bare, ok = strings.Cut(s[1:], "/")
	return scope, bare, ok && scope != "" && bare != ""
}

// hash is 32-bit FNV-1a.
func hash[S ~string | ~[]byte](s S) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// Index is an opened index file. Its methods only read data.
type Index struct {
	data     string
	n, nt    int
	blob     int // offset of the names blob
	offs     int // offset of the name offsets
	date     string
	wide     bool // 4-byte slots
	tables   [NumTables]struct{ off, mask int }
	hasTable [NumTables]bool
}

func u32(s string, off int) int { return int(binary.LittleEndian.Uint32([]byte(s[off : off+4]))) }

// u32 reads a stored integer without converting the string.
func (ix *Index) u32(off int) uint32 {
	d := ix.data[off : off+4]
	return uint32(d[0]) | uint32(d[1])<<8 | uint32(d[2])<<16 | uint32(d[3])<<24
}

// slot reads slot s of table t.
func (ix *Index) slot(t Table, s int) int {
	off := ix.tables[t].off
	if ix.wide {
		return int(ix.u32(off + 4*s))
	}
	d := ix.data[off+2*s : off+2*s+2]
	return int(d[0]) | int(d[1])<<8
}

// Open checks data's header and bounds and returns the index over it.
// data is not copied.
func Open(data string) (*Index, error) {
	if len(data) < headerSize || data[:4] != magic {
		return nil, errors.New("popidx: not a popular-package index")
	}
	if v := u32(data, 4); v != version {
		return nil, fmt.Errorf("popidx: index version %d, want %d", v, version)
	}
	ix := &Index{data: data, n: u32(data, 8), nt: u32(data, 12), blob: u32(data, 16), offs: u32(data, 20)}
	if ix.nt > ix.n || ix.offs < headerSize || ix.offs+4*(ix.n+1) > len(data) || ix.blob > len(data) {
		return nil, errors.New("popidx: corrupt header")
	}
	dOff, dLen := u32(data, 24), u32(data, 28)
	if dOff+dLen > len(data) {
		return nil, errors.New("popidx: corrupt header")
	}
	ix.date = data[dOff : dOff+dLen]
	// The name offsets are checked where they are read (Name), so that
	// opening costs the same whatever the index's size.
	if first, end := int(ix.u32(ix.offs)), int(ix.u32(ix.offs+4*ix.n)); first != 0 || ix.blob+end > len(data) {
		return nil, errors.New("popidx: corrupt name offsets")
	}
	width := u32(data, 32)
	if width != 2 && width != 4 || width == 2 && ix.n >= 1<<16-1 {
		return nil, errors.New("popidx: corrupt slot width")
	}
	ix.wide = width == 4
	for t := range NumTables {
		off, slots := u32(data, 36+8*int(t)), u32(data, 40+8*int(t))
		if slots == 0 {
			continue
		}
		if slots&(slots-1) != 0 || off+width*slots > len(data) {
			return nil, fmt.Errorf("popidx: corrupt table %d", t)
		}
		ix.tables[t] = struct{ off, mask int }{off, slots - 1}
		ix.hasTable[t] = true
	}
	return ix, nil
}

// Len is the number of names; Targets how many of the first are the
// names compared against (the rest are only known to exist).
func (ix *Index) Len() int     { return ix.n }
func (ix *Index) Targets() int { return ix.nt }

// Date is when the lists the index was built from were taken.
func (ix *Index) Date() string { return ix.date }

// Name returns the i-th name (0 is the most popular); "" if the index is
// damaged there.
func (ix *Index) Name(i int) string {
	a, b := int(ix.u32(ix.offs+4*i)), int(ix.u32(ix.offs+4*i+4))
	if a > b || ix.blob+b > len(ix.data) {
		return ""
	}
	return ix.data[ix.blob+a : ix.blob+b]
}

// Each calls f with the index of every name filed under key in table t,
// until f returns false.
func (ix *Index) Each(t Table, key string, f func(i int) bool) {
	if !ix.hasTable[t] {
		return
	}
	tb := ix.tables[t]
	for s, n := int(hash(key))&tb.mask, 0; n <= tb.mask; s, n = (s+1)&tb.mask, n+1 {
		v := ix.slot(t, s)
		if v == 0 || v > ix.n {
			return
		}
		i := v - 1
		if filed(t, ix.Name(i), key) && !f(i) {
			return
		}
	}
}

// First returns the lowest index filed under key in table t, or -1.
func (ix *Index) First(t Table, key string) int {
	best := -1
	ix.Each(t, key, func(i int) bool {
		if best < 0 || i < best {
			best = i
		}
		return true
	})
	return best
}

// Find returns the index of name in the Exact table, or -1.
func (ix *Index) Find(name string) int { return find(ix, name) }

// FindBytes is Find for a name held in a byte slice, without allocating.
func (ix *Index) FindBytes(name []byte) int { return find(ix, name) }

func find[S string | []byte](ix *Index, name S) int {
	if !ix.hasTable[Exact] {
		return -1
	}
	tb := ix.tables[Exact]
	for s, n := int(hash(name))&tb.mask, 0; n <= tb.mask; s, n = (s+1)&tb.mask, n+1 {
		v := ix.slot(Exact, s)
		if v == 0 || v > ix.n {
			return -1
		}
		if ix.Name(v-1) == string(name) {
			return v - 1
		}
	}
	return -1
}

// Build writes the index of names (unique, normalized; the first targets
// of them by rank, most popular first) dated date.
func Build(names []string, targets int, date string) ([]byte, error) {
	if targets > len(names) {
		return nil, errors.New("popidx: more targets than names")
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || seen[n] {
			return nil, fmt.Errorf("popidx: empty or duplicate name %q", n)
		}
		seen[n] = true
	}
	type entry struct {
		key string
		i   int
	}
	var entries [NumTables][]entry
	firstOnly := func(t Table, m map[string]bool, key string, i int) {
		if !m[key] {
			m[key] = true
			entries[t] = append(entries[t], entry{key, i})
		}
	}
	sep, skel, scopes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, n := range names {
		entries[Exact] = append(entries[Exact], entry{n, i})
		if i >= targets {
			continue
		}
		firstOnly(Sepless, sep, SeplessOf(n), i)
		firstOnly(Skeleton, skel, SkeletonOf(n), i)
		if scope, bare, ok := SplitScope(n); ok {
			firstOnly(Scopes, scopes, scope, i)
			if scope != "types" && i < DroppedScopeTargets {
				entries[Dropped] = append(entries[Dropped], entry{bare, i})
			}
			entries[Bare] = append(entries[Bare], entry{bare, i})
		}
		if k, ok := Key(Repo, n); ok {
			entries[Repo] = append(entries[Repo], entry{k, i})
		}
		for j := range len(n) {
			if j == 0 || n[j] != n[j-1] { // "aab": one entry for "ab"
				entries[Deletes] = append(entries[Deletes], entry{n[:j] + n[j+1:], i})
			}
		}
	}

	var out []byte
	put := func(v int) { out = binary.LittleEndian.AppendUint32(out, uint32(v)) }
	out = append(out, magic...)
	put(version)
	put(len(names))
	put(targets)
	out = append(out, make([]byte, headerSize-len(out))...)
	at := func(off, v int) { binary.LittleEndian.PutUint32(out[off:], uint32(v)) }

	width := 4
	if len(names) < 1<<16-1 {
		width = 2
	}
	at(32, width)
	at(24, len(out))
	at(28, len(date))
	out = append(out, date...)
	at(20, len(out))
	o := 0
	for _, n := range names {
		put(o)
		o += len(n)
	}
	put(o)
	at(16, len(out))
	for _, n := range names {
		out = append(out, n...)
	}
	for t := range NumTables {
		es := entries[t]
		if len(es) == 0 {
			continue
		}
		slots := 8
		for 3*slots < 4*len(es) { // load factor at most 3/4
			slots *= 2
		}
		tab := make([]uint32, slots)
		for _, e := range es {
			s := int(hash(e.key)) & (slots - 1)
			for tab[s] != 0 {
				s = (s + 1) & (slots - 1)
			}
			tab[s] = uint32(e.i + 1)
		}
		at(36+8*int(t), len(out))
		at(40+8*int(t), slots)
		for _, v := range tab {
			if width == 2 {
				out = binary.LittleEndian.AppendUint16(out, uint16(v))
			} else {
				put(int(v))
			}
		}
	}
	return out, nil
}
