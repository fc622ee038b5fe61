package sast

import (
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/lazyre"
)

func regexpMust(s string) *lazyre.Regexp { return lazyre.New(s) }

var logNeutralizers = regexpMust(`(?i)(mask|redact|len|hash|sanitize|count|bool|type|prefix|last4|fingerprint)`)

// logsSensitive: a logging call whose arguments include a secret-named
// variable (not a literal mentioning one), a "password"-style key followed
// by a value, or a whole request object.
func logsSensitive(c *Ctx, call *Node) bool {
	args := append(append([]*Node{}, call.Args...), call.Vals...)
	for i, a := range args {
		if a == nil {
			continue
		}
		if a.Kind == KStr && i+1 < len(args) && isSensitiveName(strings.Trim(a.Str, " :=")) && len(strings.Fields(a.Str)) == 1 && args[i+1].Kind != KStr {
			return true
		}
		if wholeRequest(c, a) {
			return true
		}
		found := false
		walkNodes(a, func(x *Node) bool {
			if found {
				return false
			}
			switch x.Kind {
			case KCall:
				if logNeutralizers.MatchString(lastSeg(x.Name)) {
					return false
				}
				return true
			case KIdent, KMember, KIndex:
				if x.Name != "" && isSensitiveName(x.Name) && !c.Val(x).Const {
					found = true
					return false
				}
				if wholeRequest(c, x) {
					found = true
					return false
				}
				return x.Kind == KIndex
			}
			return true
		})
		if found {
			return true
		}
	}
	return false
}

var requestParts = map[string]bool{"Header": true, "headers": true, "body": true, "Body": true, "cookies": true, "Cookies": true, "Form": true, "form": true, "POST": true, "META": true}

// wholeRequest: the request object itself, or its headers/body/cookies.
func wholeRequest(c *Ctx, n *Node) bool {
	switch n.Kind {
	case KIdent:
		if n.Name == "flask.request" {
			return true
		}
		if c.a.fs == nil || c.a.fs.fn == nil {
			return false
		}
		for _, p := range c.a.fs.fn.Params {
			if p.Name == n.Name {
				v := c.Val(n)
				return v.Req && v.Raw && v.Taint && (p.Name == "r" || p.Name == "req" || p.Name == "request" || strings.Contains(p.Type, "Request"))
			}
		}
	case KMember:
		if !requestParts[lastSeg(n.Name)] || len(n.Args) == 0 || n.Args[0] == nil {
			if n.Name == "flask.request.headers" || n.Name == "flask.request.form" || n.Name == "flask.request.json" || n.Name == "flask.request.cookies" {
				return true
			}
			return false
		}
		return wholeRequest(c, n.Args[0])
	}
	return false
}

// percentSyntax describes a printf-style format: Go's fmt verbs or Python's
// %-formatting.
type percentSyntax struct {
	mapping   bool   // %(name)s: a mapping key may follow the '%' (Python)
	flags     string // flag, width, precision and index characters
	numeric   string // verbs that print numbers: their argument cannot inject text
	verbInStr bool   // record the verb ("%d") in a numeric part's Str (Go)
}

// percentParts splits a %-format into literal parts and the arguments in
// order; an argument printed with a numeric verb becomes a KNum part.
// Arguments left over are appended (they are printed too, by Go's %!(EXTRA)
// or as a Python error, and may carry taint either way).
func percentParts(format *Node, args []*Node, syn percentSyntax) []*Node {
	f := format.Str
	var parts []*Node
	var lit strings.Builder
	ai := 0
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, &Node{Kind: KStr, Str: lit.String(), Off: format.Off, End: format.End})
			lit.Reset()
		}
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			lit.WriteByte(f[i])
			continue
		}
		if i+1 < len(f) && f[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		j := i + 1
		if syn.mapping && j < len(f) && f[j] == '(' {
			for j < len(f) && f[j] != ')' {
				j++
			}
			j++
		}
		for j < len(f) && strings.IndexByte(syn.flags, f[j]) >= 0 {
			j++
		}
		if j >= len(f) {
			break
		}
		verb := f[j]
		i = j
		flush()
		if ai >= len(args) {
			continue
		}
		a := args[ai]
		ai++
		if strings.IndexByte(syn.numeric, verb) >= 0 {
			n := &Node{Kind: KNum, Off: a.Off, End: a.End}
			if syn.verbInStr {
				n.Str = "%" + string(verb)
			}
			parts = append(parts, n)
			continue
		}
		parts = append(parts, a)
	}
	flush()
	parts = append(parts, args[min(ai, len(args)):]...)
	return parts
}

// pathOf names an expression for matching: a dotted path for names and
// members, "f()" for a call's result, "x[]" for an element.
func pathOf(n *Node) string {
	switch n.Kind {
	case KIdent, KMember:
		return n.Name
	case KCall:
		return n.Name + "()"
	case KIndex:
		if n.Name != "" {
			return n.Name
		}
		if len(n.Args) > 0 && n.Args[0] != nil {
			return pathOf(n.Args[0]) + "[]"
		}
	}
	return "?"
}

// concat fills n (a KBuild node) with the parts of l + r, flattening
// nested concatenations.
func concat(n, l, r *Node) *Node {
	for _, x := range []*Node{l, r} {
		if x != nil && x.Kind == KBuild {
			n.Args = append(n.Args, x.Args...)
		} else if x != nil {
			n.Args = append(n.Args, x)
		}
	}
	return n
}

// corsHeaders builds a function-level rule: the function sets
// Access-Control-Allow-Origin to "*" (or to a request value) and
// Access-Control-Allow-Credentials to true through calls named setters
// (w.Header().Set, res.setHeader...). It reports the origin call.
func corsHeaders(setters ...string) func(f *FuncCtx) []*Node {
	return func(f *FuncCtx) []*Node {
		var origin *Node
		creds := false
		for _, r := range f.fs.calls {
			if !slices.Contains(setters, lastSeg(r.n.Name)) {
				continue
			}
			k, v := r.n.arg(0), r.n.arg(1)
			if k == nil || v == nil || k.Kind != KStr {
				continue
			}
			switch strings.ToLower(k.Str) {
			case "access-control-allow-origin":
				if (v.Kind == KStr && v.Str == "*") || (len(r.vals) > 1 && r.vals[1].Taint) {
					origin = r.n
				}
			case "access-control-allow-credentials":
				creds = (v.Kind == KStr || v.Kind == KBool) && v.Str == "true"
			}
		}
		if origin != nil && creds {
			return []*Node{origin}
		}
		return nil
	}
}
