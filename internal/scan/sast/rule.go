package sast

import (
	"github.com/wardenhq/warden/internal/lazyre"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// Rule is one code rule: its description, the languages it applies to and
// its matcher. A matcher is one or more patterns (calls, assignments,
// object literals, comparisons, returns) with a condition, or a function-
// or file-level check. Every rule has positive and negative samples in
// testdata/rules/<id>.txtar that the test suite runs.
type Rule struct {
	ID       string
	Title    string
	Severity finding.Severity
	CWE      string
	// Message says what is wrong and how to fix it.
	Message string
	Langs   []Lang
	// Secret rules match hard-coded credentials: their findings carry no snippet.
	Secret bool

	Calls   []CallPat
	Assigns []AssignPat
	Objects []ObjPat
	Compare func(c *Ctx, n *Node) bool
	Return  func(c *Ctx, x *Node) bool
	Class   func(c *Ctx, cl *Class) []*Node
	Func    func(f *FuncCtx) []*Node
	File    func(c *Ctx) []*Node
}

// CallPat matches calls by callee. A callee pattern is an exact path
// ("os/exec.Command", "subprocess.run") or "*.name" / "*.a.name" to match
// any receiver ending so.
type CallPat struct {
	Callees []string
	When    func(c *Ctx, call *Node) bool
}

// AssignPat matches assignments by target path ("*.innerHTML", "DEBUG";
// "[]" is any computed index).
type AssignPat struct {
	Targets []string
	When    func(c *Ctx, target, value *Node) bool
}

// ObjPat matches object, dict, composite and JSX literals by type and/or key.
type ObjPat struct {
	Types []string
	Key   string
	When  func(c *Ctx, obj *Node) bool
}

func (r *Rule) info() finding.Rule {
	tags := []string{"security"}
	for _, l := range r.Langs {
		tags = append(tags, l.String())
	}
	return finding.Rule{ID: r.ID, Engine: EngineName, Title: r.Title, Severity: r.Severity, CWE: r.CWE, Help: r.Message, Tags: tags}
}

func (r *Rule) appliesTo(l Lang) bool {
	for _, x := range r.Langs {
		if x == l {
			return true
		}
	}
	return false
}

func matchAny(pats []string, name string) bool {
	for _, p := range pats {
		if matchPat(p, name) {
			return true
		}
	}
	return false
}

func matchPat(p, name string) bool {
	if rest, ok := strings.CutPrefix(p, "*."); ok {
		return name == rest || strings.HasSuffix(name, "."+rest)
	}
	return p == name
}

// ruleSet indexes a language's rules for dispatch.
type ruleSet struct {
	calls   map[string][]*Rule
	assigns map[string][]*Rule
	objKey  map[string][]*Rule
	objType map[string][]*Rule
	objAny  []*Rule
	cmp     []*Rule
	ret     []*Rule
	class   []*Rule
	fn      []*Rule
	file    []*Rule
}

func newRuleSet(rules []*Rule, l Lang) *ruleSet {
	rs := &ruleSet{calls: map[string][]*Rule{}, assigns: map[string][]*Rule{}, objKey: map[string][]*Rule{}, objType: map[string][]*Rule{}}
	add := func(m map[string][]*Rule, k string, r *Rule) {
		for _, x := range m[k] {
			if x == r {
				return
			}
		}
		m[k] = append(m[k], r)
	}
	for _, r := range rules {
		if !r.appliesTo(l) {
			continue
		}
		for _, p := range r.Calls {
			for _, c := range p.Callees {
				add(rs.calls, lastSeg(c), r)
			}
		}
		for _, p := range r.Assigns {
			for _, t := range p.Targets {
				add(rs.assigns, lastSeg(t), r)
			}
		}
		anyObj := false
		for _, p := range r.Objects {
			switch {
			case p.Key != "":
				add(rs.objKey, p.Key, r)
			case len(p.Types) > 0:
				for _, t := range p.Types {
					add(rs.objType, lastSeg(t), r)
				}
			default:
				anyObj = true
			}
		}
		if anyObj {
			rs.objAny = append(rs.objAny, r)
		}
		if r.Compare != nil {
			rs.cmp = append(rs.cmp, r)
		}
		if r.Return != nil {
			rs.ret = append(rs.ret, r)
		}
		if r.Class != nil {
			rs.class = append(rs.class, r)
		}
		if r.Func != nil {
			rs.fn = append(rs.fn, r)
		}
		if r.File != nil {
			rs.file = append(rs.file, r)
		}
	}
	return rs
}

func (rs *ruleSet) callRules(name string) []*Rule { return rs.calls[lastSeg(name)] }

func (rs *ruleSet) assignRules(l *Node) []*Rule { return rs.assigns[lastSeg(targetPath(l))] }

func (rs *ruleSet) objectRules(n *Node) []*Rule {
	var out []*Rule
	seen := map[*Rule]bool{}
	for _, k := range n.Keys {
		for _, r := range rs.objKey[k] {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	for _, r := range rs.objType[lastSeg(n.Name)] {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return append(out, rs.objAny...)
}

// ---- helpers the rule tables are written with ----

var sqlStart = lazyre.New(`(?is)^\s*\(?\s*(select|insert|update|delete|replace|upsert|with|create|drop|alter|truncate|merge|call|exec)\b`)
var sqlWords = lazyre.New(`(?i)\b(select\s.+\sfrom|insert\s+into|update\s.+\sset|delete\s+from|where\s|order\s+by)`)

// constText is the literal text of n (for a Build, its literal parts).
func constText(c *Ctx, n *Node) string {
	n = c.Resolve(n)
	if n == nil {
		return ""
	}
	switch n.Kind {
	case KStr:
		return n.Str
	case KBuild:
		var b strings.Builder
		for _, p := range n.Args {
			b.WriteString(constText(c, p))
			b.WriteByte(' ')
		}
		return b.String()
	}
	return ""
}

func looksSQL(c *Ctx, n *Node) bool {
	t := constText(c, n)
	return sqlStart.MatchString(t) || sqlWords.MatchString(t)
}

// dynamic: a string built from non-constant parts, or tainted data.
func dynamic(c *Ctx, n *Node) bool {
	if n == nil {
		return false
	}
	v := c.Val(n)
	return v.Dyn || v.Taint
}

func tainted(c *Ctx, n *Node) bool {
	return n != nil && c.Val(n).Taint
}

// nonLiteral: anything but a literal (after following a variable).
func nonLiteral(c *Ctx, n *Node) bool {
	if n == nil {
		return false
	}
	r := c.Resolve(n)
	switch r.Kind {
	case KStr, KNum, KBool, KNull:
		return false
	}
	v := c.Val(n)
	return !v.Const
}

func isLit(c *Ctx, n *Node, kind Kind, vals ...string) bool {
	n = c.Resolve(n)
	if n == nil || n.Kind != kind {
		return false
	}
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if strings.EqualFold(n.Str, v) {
			return true
		}
	}
	return false
}

func isTrue(c *Ctx, n *Node) bool  { return isLit(c, n, KBool, "true") }
func isFalse(c *Ctx, n *Node) bool { return isLit(c, n, KBool, "false") }

// strIs: a string literal equal (case-insensitively) to one of vals.
func strIs(c *Ctx, n *Node, vals ...string) bool { return isLit(c, n, KStr, vals...) }

// strLit: the literal string value, if n is (or was assigned) one.
func strLit(c *Ctx, n *Node) (string, bool) {
	n = c.Resolve(n)
	if n == nil {
		return "", false
	}
	switch n.Kind {
	case KStr:
		return n.Str, true
	case KCall:
		// []byte("..."), Buffer.from("..."), b"..." conversions.
		if (n.Name == "[]byte" || n.Name == "Buffer.from" || n.Name == "str.encode" || lastSeg(n.Name) == "encode") && len(n.Args) >= 1 {
			if n.Name != "[]byte" && n.Name != "Buffer.from" && n.Fun != nil && n.Fun.Kind == KMember && len(n.Fun.Args) > 0 {
				return strLit(c, n.Fun.Args[0])
			}
			return strLit(c, n.Args[0])
		}
		if lastSeg(n.Name) == "encode" && n.Fun != nil && n.Fun.Kind == KMember && len(n.Fun.Args) > 0 {
			return strLit(c, n.Fun.Args[0])
		}
	}
	return "", false
}

// numLit: the literal integer value of n.
func numLit(c *Ctx, n *Node) (int64, bool) {
	n = c.Resolve(n)
	if n == nil || n.Kind != KNum {
		return 0, false
	}
	s := strings.ReplaceAll(n.Str, "_", "")
	s = strings.TrimSuffix(s, "n")
	if strings.HasPrefix(s, "0") && len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
		s = "0o" + s[1:]
	}
	v, err := strconv.ParseInt(s, 0, 64)
	return v, err == nil
}

// hardcoded: a non-empty string literal (or a `x || "fallback"` default).
func hardcoded(c *Ctx, n *Node) bool {
	if n == nil {
		return false
	}
	r := c.Resolve(n)
	if r != nil && r.Kind == KLogic {
		for _, x := range r.Args[1:] {
			if s, ok := strLit(c, x); ok && len(s) > 0 {
				return true
			}
		}
		return false
	}
	s, ok := strLit(c, n)
	return ok && len(s) > 0
}

var sensitiveName = lazyre.New(`(?i)(passw|passwd|pwd|secret|token|api_?key|apikey|authorization|credential|private_?key|access_?key|session_?id|cookie|ssn|credit_?card|card_?number|cvv)`)
var sensitiveExclude = lazyre.New(`(?i)(_?(len|length|count|expir|expires|type|name_?field|url|uri|endpoint|id_?field|ttl|header_?name|prefix|enabled|required|hash_?algo|max|min)$|^(has|is|num|no)_?|token_?type)`)

func isSensitiveName(name string) bool {
	seg := lastSeg(name)
	return sensitiveName.MatchString(seg) && !sensitiveExclude.MatchString(seg)
}

var passwordName = lazyre.New(`(?i:passw|pwd|passphrase|^pw$|_pw$)|[a-z]Pw$`)

// mentionsName: n (or one of its sub-expressions) names an identifier or
// member matching re.
func mentionsName(n *Node, re *lazyre.Regexp) bool {
	found := false
	walkNodes(n, func(x *Node) bool {
		if found {
			return false
		}
		if (x.Kind == KIdent || x.Kind == KMember || x.Kind == KIndex) && x.Name != "" && re.MatchString(lastSeg(x.Name)) {
			found = true
		}
		return x.Kind != KCall || true
	})
	return found
}

var tokenContext = lazyre.New(`(?i)(token|secret|password|passwd|nonce|salt|otp|session|csrf|api_?key|apikey|reset|verification|verify_code|invite|auth_?code|magic)`)

// tokenish: the current function or assignment is about a secret value.
func tokenish(c *Ctx) bool {
	if tokenContext.MatchString(c.FuncName()) {
		return true
	}
	for _, t := range c.Targets() {
		if tokenContext.MatchString(lastSeg(t)) {
			return true
		}
	}
	return false
}

// firstArg picks positional argument i or keyword k.
func argOrKw(n *Node, i int, k string) *Node {
	if v := n.kw(k); v != nil {
		return v
	}
	return n.arg(i)
}

// objKey returns the value of key k of the object literal n refers to.
func objKey(c *Ctx, n *Node, k string) *Node {
	n = c.Resolve(n)
	if n == nil || n.Kind != KObject {
		return nil
	}
	return n.kw(k)
}

func isObj(c *Ctx, n *Node) bool {
	n = c.Resolve(n)
	return n != nil && n.Kind == KObject
}
