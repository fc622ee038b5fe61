package sast

// Following tainted arguments into the file's own functions.
//
// The analysis is intra-procedural, but AI-written services often split a
// handler from the helper that does the work: Proxy(w, r) passes a request
// URL to FetchFeed(url), which calls client.Get(url). When a call passes a
// tainted value to a function or method defined in the same file, that
// function's body is walked once more with the parameter tainted, and the
// sinks it reaches are reported where they are (in the helper). Each
// (function, parameter) is followed once per file, two calls deep at most;
// the helper is not treated as a request handler (its parameters are
// tainted, not request-shaped), so handler-only rules do not fire in it.

type followKey struct {
	fn  *Func
	arg int
}

// maxFollow is how many calls deep tainted arguments are followed.
const maxFollow = 2

func (a *analyzer) indexFuncs() {
	a.funcs = map[string]*Func{}
	a.methods = map[string][]*Func{}
	a.followed = map[followKey]bool{}
	for _, s := range a.u.Top {
		switch s.Kind {
		case SFunc:
			if s.Fn == nil || s.Fn.Name == "" {
				continue
			}
			if s.Fn.Recv {
				a.methods[s.Fn.Name] = append(a.methods[s.Fn.Name], s.Fn)
			} else {
				a.funcs[s.Fn.Name] = s.Fn
			}
		case SClass:
			if s.Cls == nil {
				continue
			}
			for _, m := range s.Cls.Body {
				if m.Kind == SFunc && m.Fn != nil && m.Fn.Name != "" {
					a.methods[m.Fn.Name] = append(a.methods[m.Fn.Name], m.Fn)
				}
			}
		case SAssign:
			// const fetchFeed = async (url) => {...}
			if len(s.Lhs) == 1 && len(s.Rhs) == 1 && s.Lhs[0] != nil && s.Lhs[0].Kind == KIdent &&
				s.Rhs[0] != nil && s.Rhs[0].Kind == KFunc && s.Rhs[0].Fn != nil {
				a.funcs[s.Lhs[0].Name] = s.Rhs[0].Fn
			}
		}
	}
}

// callee finds the function a call runs, when the file defines it: a plain
// name, or a method called on an object (not an import) whose name only one
// method in the file has. method says the callee takes a receiver or
// self/cls first.
func (a *analyzer) callee(n *Node) (fn *Func, method bool) {
	if n.Fun == nil {
		return nil, false
	}
	switch n.Fun.Kind {
	case KIdent:
		return a.funcs[n.Name], false
	case KMember:
		if len(n.Fun.Args) == 0 || n.Fun.Args[0] == nil {
			return nil, false // resolved to an import
		}
		ms := a.methods[lastSeg(n.Name)]
		if len(ms) != 1 {
			return nil, false
		}
		return ms[0], true
	}
	return nil, false
}

// follow walks the callee of n again for each tainted positional argument
// (vals holds the arguments' values, positional first).
func (a *analyzer) follow(n *Node, vals []Val) {
	if a.following >= maxFollow || a.funcs == nil {
		return
	}
	fn, method := a.callee(n)
	if fn == nil || (a.fs != nil && a.fs.fn == fn) {
		return
	}
	skip := 0
	if method && (fn.Recv || (a.u.Lang == LangPython && len(fn.Params) > 0 && (fn.Params[0].Name == "self" || fn.Params[0].Name == "cls"))) {
		skip = 1
	}
	for i := range n.Args {
		if i >= len(vals) || !vals[i].Taint {
			continue
		}
		if n.Args[i] != nil && n.Args[i].Kind == KSpread {
			return // positions after a spread are unknown
		}
		k := followKey{fn, i}
		if a.followed[k] {
			continue
		}
		a.followed[k] = true
		a.newFollows = append(a.newFollows, k)
		a.walkTainted(fn, i+skip, vals[i])
	}
}

// walkTainted walks fn's body with parameter index p bound to v (as plain
// tainted data: not a request object) and its other parameters unknown.
func (a *analyzer) walkTainted(fn *Func, p int, v Val) {
	fe := a.global.clone()
	found := false
	for _, q := range fn.Params {
		if q.Name == "" {
			continue
		}
		if q.Index == p {
			fe[q.Name] = &binding{val: Val{Taint: true, Raw: v.Raw, Dyn: v.Dyn, Src: v.Src}}
			found = true
		} else {
			delete(fe, q.Name)
		}
	}
	if !found {
		return
	}
	saved, savedT, savedB := a.fs, a.tgts, a.bodyReads
	a.following++
	a.fs = &funcState{fn: fn}
	a.tgts = nil
	a.block(fn.Body, fe)
	a.following--
	a.fs, a.tgts, a.bodyReads = saved, savedT, savedB
}
