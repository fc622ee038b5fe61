package deps

//go:generate go run ./internal/genpopular -o popular

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/wardenhq/warden/internal/scan/deps/internal/popidx"
	"github.com/wardenhq/warden/internal/vulndb"
)

// The popularity indexes are embedded as strings: read-only data in the
// binary, searched in place (see popidx), never decoded or copied.
var (
	//go:embed popular/npm.idx
	popularNPM string
	//go:embed popular/pypi.idx
	popularPyPI string
	//go:embed popular/go.idx
	popularGo string
)

// Suspect is a name that looks like a popular package.
type Suspect struct {
	// Intended is the popular package the name most likely means.
	Intended string
	// Kind says how the two differ: "edit distance 1", "separators",
	// "homoglyph", "affix", "scope", "owner" (Go: the same repository
	// under a look-alike owner).
	Kind string
}

// popularIndexes opens each ecosystem's index the first time that
// ecosystem is checked; opening reads a header and checks bounds.
var popularIndexes = map[string]func() *popidx.Index{
	vulndb.NPM:  sync.OnceValue(func() *popidx.Index { return mustOpen("npm", popularNPM) }),
	vulndb.PyPI: sync.OnceValue(func() *popidx.Index { return mustOpen("PyPI", popularPyPI) }),
	vulndb.Go:   sync.OnceValue(func() *popidx.Index { return mustOpen("Go", popularGo) }),
}

func mustOpen(eco, data string) *popidx.Index {
	ix, err := popidx.Open(data)
	if err != nil {
		// The data is compiled in and checked by the tests: a failure
		// here is a broken build, not bad input.
		panic("deps: embedded popularity index for " + eco + " is corrupt: " + err.Error())
	}
	return ix
}

func popularFor(eco string) *popidx.Index {
	if open := popularIndexes[eco]; open != nil {
		return open()
	}
	return nil
}

// PopularDate is when the embedded popularity lists were taken.
func PopularDate() string {
	return popularFor(vulndb.NPM).Date()
}

func normalizeForSquat(eco, name string) string {
	switch eco {
	case vulndb.PyPI:
		return vulndb.NormalizeName(eco, name)
	case vulndb.Go:
		return popidx.NormalizeGo(name)
	}
	return strings.ToLower(name)
}

// goModuleOf is the part of a Go package path that names its module, as
// far as can be told without the network: a known module that is a
// prefix of the path, or host/owner/repo on a code host. ok is false when
// a prefix is a known module (the path is a package of it).
func goModuleOf(ix *popidx.Index, p string) (mod string, ok bool) {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' && ix.Find(popidx.NormalizeGo(p[:i])) >= 0 {
			return "", false
		}
	}
	if host, owner, repo, ok := popidx.SplitRepo(p); ok {
		// A repository that holds a known module (azure-sdk-for-go and
		// its sdk/azcore) is known too.
		same := false
		ix.Each(popidx.Repo, host+"/"+repo, func(id int) bool {
			_, o2, _, _ := popidx.SplitRepo(ix.Name(id))
			same = o2 == owner
			return !same
		})
		return host + "/" + owner + "/" + repo, !same
	}
	return p, true
}

// goAffixes are decorations a look-alike Go owner or repository adds:
// github.com/boltdb-go/bolt for github.com/boltdb/bolt.
var goAffixes = []string{"go-", "golang-", "-go", "-golang", "go", "-dev", "-io", "-lib", "-labs", "-hq"}

// stripGoAffix removes one decoration from s, or returns "".
func stripGoAffix(s string) string {
	for _, a := range goAffixes {
		if strings.HasSuffix(a, "-") || a == "go" {
			if t, ok := strings.CutPrefix(s, a); ok && len(t) >= 3 {
				return t
			}
		}
		if !strings.HasSuffix(a, "-") {
			if t, ok := strings.CutSuffix(s, a); ok && len(t) >= 3 {
				return t
			}
		}
	}
	return ""
}

// minEditLen: names shorter than this are only checked by transforms, not
// by edit distance, whose neighbourhoods are crowded for short names.
const minEditLen = 5

// minTargetLen: targets shorter than this are not indexed for edit
// distance ("uuid" is, "ms" is not).
const minTargetLen = 4

// nameAlphabet is what package names are made of (after lower-casing).
const nameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-._"

// oneEdit reports whether t is s with one edit: one byte deleted, one
// byte of nameAlphabet inserted or substituted, or two adjacent different
// bytes swapped (forEachEdit in the tests generates exactly these).
func oneEdit(s, t string) bool {
	i := 0
	for i < len(s) && i < len(t) && s[i] == t[i] {
		i++
	}
	switch len(t) - len(s) {
	case -1: // deletion
		return s[i+1:] == t[i:]
	case 1: // insertion of t[i]
		return strings.IndexByte(nameAlphabet, t[i]) >= 0 && s[i:] == t[i+1:]
	case 0:
		if i == len(s) {
			return false // the same name
		}
		if i+1 < len(s) && s[i] == t[i+1] && s[i+1] == t[i] && s[i+2:] == t[i+2:] {
			return true // adjacent swap
		}
		return strings.IndexByte(nameAlphabet, t[i]) >= 0 && s[i+1:] == t[i+1:]
	}
	return false
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

// IsPopular reports whether name is among the ecosystem's popular
// packages in the embedded lists.
func IsPopular(ecosystem, name string) bool {
	ix := popularFor(ecosystem)
	return ix != nil && ix.Find(normalizeForSquat(ecosystem, name)) >= 0
}

// CheckName reports whether name looks like a typosquat or hallucination
// of a popular package of the ecosystem, and which one. Popular names
// themselves, and ecosystems without popularity data, are never suspects.
func CheckName(ecosystem, name string) (Suspect, bool) {
	ix := popularFor(ecosystem)
	if ix == nil || name == "" {
		return Suspect{}, false
	}
	n := normalizeForSquat(ecosystem, name)
	if ix.Find(n) >= 0 {
		return Suspect{}, false
	}
	if ecosystem == vulndb.Go {
		var ok bool
		if n, ok = goModuleOf(ix, n); !ok || ix.Find(n) >= 0 {
			return Suspect{}, false
		}
	}
	// Transforms are tried from the most to the least specific; the first
	// that finds a popular name wins, the most popular one within it.
	// A name's index is its rank: lower is more popular.
	best := -1
	consider := func(id int) {
		if id >= 0 && id < ix.Targets() && ix.Name(id) != n && (best < 0 || id < best) {
			best = id
		}
	}
	steps := []struct {
		kind string
		try  func()
	}{
		{"separators", func() { consider(ix.First(popidx.Sepless, popidx.SeplessOf(n))) }},
		{"homoglyph", func() { consider(ix.First(popidx.Skeleton, popidx.SkeletonOf(n))) }},
		{"scope", func() {
			if scope, bare, ok := popidx.SplitScope(n); ok {
				// A typo in the scope of a popular scoped package.
				if ix.First(popidx.Scopes, scope) < 0 {
					ix.Each(popidx.Bare, bare, func(id int) bool {
						if s2, _, _ := popidx.SplitScope(ix.Name(id)); osaDistance(s2, scope) == 1 {
							consider(id)
						}
						return true
					})
				}
			} else if len(n) >= minEditLen {
				// A dropped scope: "core" alone is too vague, so only
				// longer bare names of very popular scoped packages.
				ix.Each(popidx.Dropped, n, func(id int) bool { consider(id); return true })
			}
		}},
		{"affix", func() {
			if a := stripAffixes(ecosystem, n); a != n {
				consider(ix.Find(a))
			}
			if host, owner, repo, ok := popidx.SplitRepo(n); ok && ecosystem == vulndb.Go {
				if r := stripGoAffix(repo); r != "" {
					consider(ix.Find(host + "/" + owner + "/" + r))
				}
			}
		}},
		{"owner", func() {
			// Go: the same repository under a look-alike owner (the
			// usual shape of Go typosquats: boltdb-go/bolt for
			// boltdb/bolt).
			host, owner, repo, ok := popidx.SplitRepo(n)
			if !ok {
				return
			}
			bare := stripGoAffix(owner)
			ix.Each(popidx.Repo, host+"/"+repo, func(id int) bool {
				if _, o2, _, _ := popidx.SplitRepo(ix.Name(id)); o2 != owner && (o2 == bare || len(o2) >= 4 && osaDistance(o2, owner) <= 2) {
					consider(id)
				}
				return true
			})
		}},
		{"edit distance 1", func() {
			if len(n) < minEditLen {
				return
			}
			// A popular name t one edit away from n shares a one-byte
			// deletion with it (symmetric deletion): t is a deletion of
			// n, n a deletion of t, or both lose the byte that differs
			// (substitution) or one of the two swapped. About 2*len(n)
			// probes of the pre-built tables; oneEdit confirms.
			check := func(id int) bool {
				if id >= 0 && id < ix.Targets() {
					if t := ix.Name(id); len(t) >= minTargetLen && oneEdit(n, t) {
						consider(id)
					}
				}
				return true
			}
			ix.Each(popidx.Deletes, n, check)
			for i := range len(n) {
				if i > 0 && n[i] == n[i-1] {
					continue // the same deletion as the byte before
				}
				d := n[:i] + n[i+1:]
				check(ix.Find(d))
				ix.Each(popidx.Deletes, d, check)
			}
		}},
	}
	for _, st := range steps {
		st.try()
		if best >= 0 {
			return Suspect{Intended: ix.Name(best), Kind: st.kind}, true
		}
	}
	return Suspect{}, false
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
