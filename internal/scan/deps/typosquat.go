package deps

//go:generate go run ./internal/genpopular -o popular.txt.gz

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/wardenhq/warden/internal/vulndb"
)

//go:embed popular.txt.gz
var popularGz []byte

// Suspect is a name that looks like a popular package.
type Suspect struct {
	// Intended is the popular package the name most likely means.
	Intended string
	// Kind says how the two differ: "edit distance 1", "separators",
	// "homoglyph", "affix", "scope".
	Kind string
}

// popular is one ecosystem's popular names, most popular first, with
// indexes of their normalized forms.
type popular struct {
	rank         map[string]int      // target name -> rank (0 = most popular)
	names        []string            // the names compared against, by rank
	known        []string            // further names known to exist, sorted
	deletes      map[string][]int32  // every one-character deletion of a target (and itself) -> targets
	sepless      map[string]int32    // name without - _ . -> most popular target
	skeleton     map[string]int32    // homoglyph-folded name -> most popular target
	scoped       map[string][]int32  // npm: bare name of a very popular scoped package -> targets (dropped scope)
	scopedByBare map[string][]int32  // npm: bare name of any scoped target -> targets (scope typos)
	scopes       map[string]struct{} // npm: popular scopes
}

var (
	popularOnce sync.Once
	popularData map[string]*popular
	// PopularDate is the date of the package lists the embedded data was
	// built from.
	popularDate string
)

// PopularDate is when the embedded popularity lists were taken.
func PopularDate() string {
	loadPopular()
	return popularDate
}

func loadPopular() {
	popularOnce.Do(func() {
		popularData = map[string]*popular{}
		zr, err := gzip.NewReader(bytes.NewReader(popularGz))
		if err != nil {
			panic("deps: embedded popular.txt.gz is corrupt: " + err.Error())
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			panic("deps: embedded popular.txt.gz is corrupt: " + err.Error())
		}
		// Names are substrings of one string: no allocation per name. The
		// generator wrote them normalized, targets by rank, known sorted.
		data := string(raw)
		var cur *popular
		known := false
		for len(data) > 0 {
			var line string
			line, data, _ = strings.Cut(data, "\n")
			switch {
			case strings.HasPrefix(line, "# "):
				if i := strings.Index(line, "dated "); i >= 0 {
					popularDate = strings.TrimSpace(line[i+6:])
				}
			case strings.HasPrefix(line, "@") && !strings.Contains(line, "/"):
				// "@npm" starts the names compared against, "@npm known"
				// the further names that are merely known to exist.
				eco, rest, _ := strings.Cut(line[1:], " ")
				known = rest == "known"
				if popularData[eco] == nil {
					popularData[eco] = &popular{rank: make(map[string]int, 20000)}
				}
				cur = popularData[eco]
			case line != "" && cur != nil:
				if known {
					cur.known = append(cur.known, line)
				} else if _, dup := cur.rank[line]; !dup {
					cur.rank[line] = len(cur.names)
					cur.names = append(cur.names, line)
				}
			}
		}
		for eco, p := range popularData {
			if !slices.IsSorted(p.known) {
				slices.Sort(p.known)
			}
			p.index(eco)
		}
	})
}

// isKnown reports whether n is a target or a known name.
func (p *popular) isKnown(n string) bool {
	if _, ok := p.rank[n]; ok {
		return true
	}
	_, ok := slices.BinarySearch(p.known, n)
	return ok
}

func normalizeForSquat(eco, name string) string {
	if eco == vulndb.PyPI {
		return vulndb.NormalizeName(eco, name)
	}
	return strings.ToLower(name)
}

// minEditLen: names shorter than this are only checked by transforms, not
// by edit distance, whose neighbourhoods are crowded for short names.
const minEditLen = 5

// minTargetLen: targets shorter than this are not indexed for edit
// distance ("uuid" is, "ms" is not).
const minTargetLen = 4

// scopeTargets: only this many most popular scoped packages are compared
// against bare names (a dropped scope).
const scopeTargets = 1500

func (p *popular) index(eco string) {
	p.sepless = map[string]int32{}
	p.skeleton = map[string]int32{}
	p.scoped = map[string][]int32{}
	p.scopedByBare = map[string][]int32{}
	p.scopes = map[string]struct{}{}
	first := func(m map[string]int32, k string, i int32) {
		if _, ok := m[k]; !ok {
			m[k] = i
		}
	}
	for i, n := range p.names {
		id := int32(i)
		first(p.sepless, sepless(n), id)
		first(p.skeleton, skeleton(n), id)
		if scope, bare, ok := splitScope(n); ok {
			// @types/x is named after x, so a bare x is not a dropped scope.
			if scope != "types" && i < scopeTargets {
				p.scoped[bare] = append(p.scoped[bare], id)
			}
			p.scopes[scope] = struct{}{}
			p.scopedByBare[bare] = append(p.scopedByBare[bare], id)
		}
	}
}

// nameAlphabet is what package names are made of (after lower-casing).
const nameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-._"

// forEachEdit calls f with every string one edit away from s: one byte
// deleted, inserted or substituted, or two adjacent bytes swapped. The
// slice is reused between calls (f must not keep it), so that a caller
// looking it up in a map as m[string(v)] allocates nothing.
func forEachEdit(s string, f func(v []byte)) {
	buf := make([]byte, 0, len(s)+1)
	for i := 0; i < len(s); i++ {
		f(append(append(buf[:0], s[:i]...), s[i+1:]...))
		if i+1 < len(s) && s[i] != s[i+1] {
			f(append(append(append(buf[:0], s[:i]...), s[i+1], s[i]), s[i+2:]...))
		}
		for j := 0; j < len(nameAlphabet); j++ {
			if c := nameAlphabet[j]; c != s[i] {
				f(append(append(append(buf[:0], s[:i]...), c), s[i+1:]...))
			}
		}
	}
	for i := 0; i <= len(s); i++ {
		for j := 0; j < len(nameAlphabet); j++ {
			f(append(append(append(buf[:0], s[:i]...), nameAlphabet[j]), s[i:]...))
		}
	}
}

func sepless(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' {
			return -1
		}
		return r
	}, s)
}

var homoglyphs = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d", "0", "o", "1", "l", "i", "l", "!", "l", "|", "l", "5", "s", "$", "s", "3", "e", "@", "a")

// skeleton folds characters that look alike (l/1/i, 0/o, rn/m, vv/w) and
// drops separators, so that look-alike spellings share a skeleton.
func skeleton(s string) string {
	if sc, bare, ok := splitScope(s); ok {
		return "@" + homoglyphs.Replace(sepless(sc)) + "/" + homoglyphs.Replace(sepless(bare))
	}
	return homoglyphs.Replace(sepless(s))
}

var (
	prefixAffixes = map[string][]string{
		vulndb.NPM:  {"node-", "js-", "node"},
		vulndb.PyPI: {"python3-", "python-", "py-", "python"},
	}
	suffixAffixes = map[string][]string{
		vulndb.NPM:  {".js", "-js", "-node", "js"},
		vulndb.PyPI: {"-python", "-py", "-python3"},
	}
)

// stripAffixes removes one ecosystem decoration ("node-", ".js",
// "python-") so that "jquery.js" and "jquery" compare equal.
func stripAffixes(eco, s string) string {
	for _, a := range suffixAffixes[eco] {
		if t, ok := strings.CutSuffix(s, a); ok && len(t) >= 2 {
			return t
		}
	}
	for _, a := range prefixAffixes[eco] {
		if t, ok := strings.CutPrefix(s, a); ok && len(t) >= 3 {
			return t
		}
	}
	return s
}

func splitScope(s string) (scope, bare string, ok bool) {
	if !strings.HasPrefix(s, "@") {
		return "", "", false
	}
	scope, bare, ok = strings.Cut(s[1:], "/")
	return scope, bare, ok && scope != "" && bare != ""
}

// IsPopular reports whether name is among the ecosystem's popular
// packages in the embedded lists.
func IsPopular(ecosystem, name string) bool {
	loadPopular()
	p := popularData[ecosystem]
	if p == nil {
		return false
	}
	return p.isKnown(normalizeForSquat(ecosystem, name))
}

// CheckName reports whether name looks like a typosquat or hallucination
// of a popular package of the ecosystem, and which one. Popular names
// themselves, and ecosystems without popularity data, are never suspects.
func CheckName(ecosystem, name string) (Suspect, bool) {
	loadPopular()
	p := popularData[ecosystem]
	if p == nil || name == "" {
		return Suspect{}, false
	}
	n := normalizeForSquat(ecosystem, name)
	if p.isKnown(n) {
		return Suspect{}, false
	}
	// Transforms are tried from the most to the least specific; the first
	// that finds a popular name wins, the most popular one within it.
	best := int32(-1)
	consider := func(id int32) {
		if id >= 0 && p.names[id] != n && (best < 0 || id < best) {
			best = id
		}
	}
	lookup := func(m map[string]int32, k string) int32 {
		if id, ok := m[k]; ok {
			return id
		}
		return -1
	}
	steps := []struct {
		kind string
		try  func()
	}{
		{"separators", func() { consider(lookup(p.sepless, sepless(n))) }},
		{"homoglyph", func() { consider(lookup(p.skeleton, skeleton(n))) }},
		{"scope", func() {
			if scope, bare, ok := splitScope(n); ok {
				// A typo in the scope of a popular scoped package.
				if _, known := p.scopes[scope]; !known {
					for _, id := range p.scopedAll(bare) {
						s2, _, _ := splitScope(p.names[id])
						if osaDistance(s2, scope) == 1 {
							consider(id)
						}
					}
				}
			} else if len(n) >= minEditLen {
				// A dropped scope: "core" alone is too vague, so only
				// longer bare names of very popular scoped packages.
				for _, id := range p.scoped[n] {
					consider(id)
				}
			}
		}},
		{"affix", func() {
			if a := stripAffixes(ecosystem, n); a != n {
				if id, ok := p.rank[a]; ok && id < len(p.names) {
					consider(int32(id))
				}
			}
		}},
		{"edit distance 1", func() {
			if len(n) < minEditLen {
				return
			}
			// Every name one edit away (deletion, insertion, substitution,
			// adjacent swap) is looked up: a few hundred map probes, no
			// index to build at start-up.
			forEachEdit(n, func(v []byte) {
				if id, ok := p.rank[string(v)]; ok && id < len(p.names) && len(v) >= minTargetLen {
					consider(int32(id))
				}
			})
		}},
	}
	for _, st := range steps {
		st.try()
		if best >= 0 {
			return Suspect{Intended: p.names[best], Kind: st.kind}, true
		}
	}
	return Suspect{}, false
}

// scopedAll returns every target whose bare name (after the scope) is
// bare, for scope-typo checks.
func (p *popular) scopedAll(bare string) []int32 {
	return p.scopedByBare[bare]
}

// osaDistance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions), on bytes.
func osaDistance(a, b string) int {
	if a == b {
		return 0
	}
	la, lb := len(a), len(b)
	if la == 0 {
		return lb
	}
	if lb == 0 {
		return la
	}
	prev2 := make([]int, lb+1)
	prev := make([]int, lb+1)
	cur := make([]int, lb+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}
