package sast

import (
	"github.com/wardenhq/warden/internal/lazyre"
	"strings"
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
