package sast

import (
	"strings"
)

// Val is what the intra-procedural analysis knows about an expression's
// value at one program point.
type Val struct {
	// Taint: the value carries attacker-influenced data (request data,
	// environment, command-line arguments) that no sanitizer has cleaned.
	Taint bool
	// Req: the value derives from request data, even if sanitized (an id
	// parsed as an integer is still the caller's choice of record).
	Req bool
	// Raw: the value is request data itself, not converted or rebuilt (the
	// object an operator injection needs).
	Raw bool
	// Whole: the value is a whole request body or form (mass assignment).
	Whole bool
	// Const: the value is built only from literals and numbers.
	Const bool
	// Dyn: the value is a string built from parts that are not constant.
	Dyn bool
	// Src says where tainted data came from, for messages.
	Src string
}

func (v Val) join(w Val) Val {
	if w.Taint && !v.Taint {
		v.Src = w.Src
	}
	v.Taint = v.Taint || w.Taint
	v.Req = v.Req || w.Req
	v.Dyn = v.Dyn || w.Dyn
	return v
}

type binding struct {
	val  Val
	node *Node // the last value assigned, when it was a single expression
}

type env map[string]*binding

func (e env) clone() env {
	c := make(env, len(e))
	for k, v := range e {
		c[k] = v
	}
	return c
}

// hit is one rule match.
type hit struct {
	rule *Rule
	off  int
	end  int
	note string
}

// funcState is what the walk of one function collects for function-level rules.
type funcState struct {
	fn      *Func
	handler bool
	calls   []callRec
	words   map[string]bool
	returns []*Node
	retVals []Val
}

type callRec struct {
	n    *Node
	vals []Val // positional args then keyword values
	recv Val
}

// analyzer walks one Unit, tracks taint, and runs the rules.
type analyzer struct {
	u     *Unit
	rs    *ruleSet
	hits  []hit
	fs    *funcState
	tgts  []string // names being assigned by the current statement
	depth int
	// bodyReads are the places a JS handler reads a whole request body.
	bodyReads []*Node
	// global is the module scope; funcs and methods are the file's own
	// functions by name, for following tainted arguments into them
	// (summary.go).
	global    env
	funcs     map[string]*Func
	methods   map[string][]*Func
	followed  map[followKey]bool
	following int
	// newFollows lists the keys added to followed, in order (parallel.go).
	newFollows []followKey
	// recording: functions met at module level are recorded in tasks
	// instead of walked (parallel.go); bodyAt is how many had been recorded
	// when the module-level walk found its first whole-body read.
	recording bool
	tasks     []fnTask
	bodyAt    int
}

func (a *analyzer) report(r *Rule, n *Node, note string) {
	if n == nil {
		return
	}
	a.hits = append(a.hits, hit{rule: r, off: n.Off, end: n.End, note: note})
}

// Ctx is what a rule's matcher sees.
type Ctx struct {
	a *analyzer
	e env
}

// Val evaluates n at the current program point.
func (c *Ctx) Val(n *Node) Val { return c.a.eval(n, c.e, 0) }

// Resolve follows an identifier to the expression last assigned to it.
func (c *Ctx) Resolve(n *Node) *Node {
	for i := 0; i < 4 && n != nil && (n.Kind == KIdent || n.Kind == KMember); i++ {
		b := c.e[n.Name]
		if b == nil || b.node == nil {
			return n
		}
		n = b.node
	}
	return n
}

// Lang is the file's language.
func (c *Ctx) Lang() Lang { return c.a.u.Lang }

// Path is the file's path.
func (c *Ctx) Path() string { return c.a.u.Path }

// Unit is the file.
func (c *Ctx) Unit() *Unit { return c.a.u }

// FuncName is the enclosing function's name ("" at module level).
func (c *Ctx) FuncName() string {
	if c.a.fs == nil || c.a.fs.fn == nil {
		return ""
	}
	return c.a.fs.fn.Name
}

// Targets are the names the current statement assigns.
func (c *Ctx) Targets() []string { return c.a.tgts }

// InHandler reports whether the enclosing function handles a request.
func (c *Ctx) InHandler() bool { return c.a.fs != nil && c.a.fs.handler }

// run analyses the file; cut says where its functions and classes are
// split between two goroutines (parallel.go).
func (a *analyzer) run(cut int) {
	if cut == 0 {
		cut = -1
		if splitEnabled && len(a.u.Src) >= lowerSplitMin && spareCore() {
			cut = 0
		}
	}
	if cut == cutMiddle {
		cut = 0 // runSplit's middle
	}
	if cut >= 0 && a.runSplit(cut) {
		return
	}
	// Module-level statements first (constants, configuration), then the
	// functions and classes, each with its own copy of the module scope.
	global, deferred := a.moduleLevel()
	a.finishFunc()
	for _, s := range deferred {
		a.stmt(s, global)
	}
	a.fileRules()
}

func (a *analyzer) fileRules() {
	for _, r := range a.rs.file {
		for _, n := range r.File(&Ctx{a: a, e: a.global}) {
			a.report(r, n, "")
		}
	}
}

func (a *analyzer) block(ss []*Stmt, e env) {
	for _, s := range ss {
		a.stmt(s, e)
	}
}

// moduleLevel starts the analysis of the unit: it indexes its functions,
// opens the module scope and runs the module-level statements in it,
// returning that scope and the functions and classes it left for later.
func (a *analyzer) moduleLevel() (global env, deferred []*Stmt) {
	global = env{}
	a.global = global
	a.indexFuncs()
	a.fs = &funcState{words: map[string]bool{}}
	for _, s := range a.u.Top {
		if s.Kind == SFunc || s.Kind == SClass {
			deferred = append(deferred, s)
			continue
		}
		a.stmt(s, global)
	}
	return global, deferred
}

func (a *analyzer) stmt(s *Stmt, e env) {
	switch s.Kind {
	case SExpr, SExit:
		a.visit(s.X, e)
	case SReturn:
		a.visit(s.X, e)
		if s.X != nil && a.fs != nil {
			a.fs.returns = append(a.fs.returns, s.X)
			a.fs.retVals = append(a.fs.retVals, a.eval(s.X, e, 0))
			for _, r := range a.rs.ret {
				if r.Return(&Ctx{a: a, e: e}, s.X) {
					a.report(r, s.X, "")
				}
			}
		}
	case SAssign:
		a.assign(s, e)
	case SIf:
		a.visit(s.X, e)
		guards := guardVars(s.X)
		if len(guards) > 0 && exits(s.Body) {
			a.block(s.Body, e)
			for _, g := range guards {
				if b := e[g]; b != nil && b.val.Taint {
					nv := b.val
					nv.Taint, nv.Raw, nv.Whole = false, false, false
					e[g] = &binding{val: nv, node: b.node}
				}
			}
			a.block(s.Else, e)
			return
		}
		if len(guards) > 0 {
			saved := map[string]*binding{}
			for _, g := range guards {
				if b := e[g]; b != nil && b.val.Taint {
					saved[g] = b
					nv := b.val
					nv.Taint, nv.Raw, nv.Whole = false, false, false
					e[g] = &binding{val: nv, node: b.node}
				}
			}
			a.block(s.Body, e)
			for g, b := range saved {
				if cur := e[g]; cur != nil && !cur.val.Taint {
					e[g] = b
				}
			}
			a.block(s.Else, e)
			return
		}
		// Either branch may run: walk each on its own copy and merge, so a
		// default assigned in one branch does not hide the other's value.
		eb, ee := e.clone(), e.clone()
		a.block(s.Body, eb)
		a.block(s.Else, ee)
		if exits(s.Body) {
			eb = nil
		}
		if exits(s.Else) {
			ee = nil
		}
		mergeEnv(e, eb, ee)
	case SBlock:
		if s.X != nil {
			a.visit(s.X, e)
			v := a.eval(s.X, e, 0)
			v.Const = false
			v.Whole = false
			for _, l := range s.Lhs {
				a.bind(l, v, nil, e)
			}
		}
		a.block(s.Body, e)
		a.block(s.Else, e)
	case SFunc:
		a.function(s.Fn, e)
	case SClass:
		a.class(s.Cls, e)
	}
}

// mergeEnv sets e to what may hold after one of two branches (nil: the
// branch does not fall through).
func mergeEnv(e, a, b env) {
	switch {
	case a == nil && b == nil:
		return
	case a == nil:
		a = b
	case b == nil:
		b = a
	}
	for k, x := range a {
		y := b[k]
		if y == nil {
			y = e[k]
		}
		e[k] = joinBinding(x, y)
	}
	for k, y := range b {
		if _, ok := a[k]; !ok {
			e[k] = joinBinding(y, e[k])
		}
	}
}

func joinBinding(x, y *binding) *binding {
	if y == nil || x == y {
		return x
	}
	if x == nil {
		return y
	}
	v := x.val.join(y.val)
	v.Raw = x.val.Raw || y.val.Raw
	v.Whole = x.val.Whole || y.val.Whole
	v.Const = x.val.Const && y.val.Const
	var n *Node
	if x.node == y.node {
		n = x.node
	} else if !x.val.Const && y.val.Const {
		n = x.node
	} else if x.val.Const && !y.val.Const {
		n = y.node
	}
	return &binding{val: v, node: n}
}

func (a *analyzer) assign(s *Stmt, e env) {
	a.tgts = a.tgts[:0]
	for _, l := range s.Lhs {
		if l != nil {
			a.tgts = append(a.tgts, strings.ToLower(l.Name))
		}
	}
	for _, r := range s.Rhs {
		a.visit(r, e)
	}
	vals := make([]Val, len(s.Rhs))
	for i, r := range s.Rhs {
		vals[i] = a.eval(r, e, 0)
	}
	for i, l := range s.Lhs {
		if l == nil {
			continue
		}
		var v Val
		var rn *Node
		switch {
		case len(s.Rhs) == len(s.Lhs):
			v, rn = vals[i], s.Rhs[i]
		case len(s.Rhs) == 1:
			v = vals[0]
			if len(s.Lhs) == 1 {
				rn = s.Rhs[0]
			} else {
				// Unpacking: each name gets a part, not the whole.
				v.Whole = false
				v.Const = false
			}
		}
		if s.Op != "" && s.Op != "=" && s.Op != ":=" {
			old := a.eval(l, e, 0)
			nv := old.join(v)
			nv.Const = old.Const && v.Const
			nv.Dyn = old.Dyn || v.Dyn || (!v.Const && s.Op == "+=")
			nv.Raw, nv.Whole = false, false
			var built *Node
			if b := e[l.Name]; b != nil && b.node != nil && s.Op == "+=" && len(s.Rhs) == 1 {
				built = &Node{Kind: KBuild, Off: s.Off, End: s.End, Args: []*Node{b.node, s.Rhs[0]}}
			}
			v, rn = nv, built
		}
		// Index and member targets are visited for their sub-expressions.
		if l.Kind != KIdent {
			for _, sub := range l.Args {
				a.visit(sub, e)
			}
		}
		c := &Ctx{a: a, e: e}
		vn := rn
		if vn == nil && len(s.Rhs) == len(s.Lhs) {
			vn = s.Rhs[i]
		}
		if (a.u.Lang == LangJavaScript || a.u.Lang == LangTypeScript) && l.Kind == KIdent && v.Whole && v.Req && len(a.bodyReads) == 0 && vn != nil {
			a.bodyReads = append(a.bodyReads, vn)
			if a.following == 0 {
				a.bodyAt = len(a.tasks)
			}
		}
		for _, r := range a.rs.assignRules(l) {
			for _, p := range r.Assigns {
				if matchAny(p.Targets, targetPath(l)) && (p.When == nil || p.When(c, l, vn)) {
					a.report(r, l, "")
				}
			}
		}
		a.bind(l, v, rn, e)
	}
	a.tgts = a.tgts[:0]
}

func targetPath(l *Node) string {
	if l.Kind == KIndex && l.Name == "" {
		return "[]"
	}
	return l.Name
}

func (a *analyzer) bind(l *Node, v Val, rn *Node, e env) {
	switch l.Kind {
	case KIdent, KMember:
		if l.Name != "" {
			e[l.Name] = &binding{val: v, node: rn}
		}
	case KIndex:
		if l.Name != "" {
			e[l.Name] = &binding{val: v, node: rn}
		}
	case KArray, KOther, KObject:
		// Destructuring: every name gets the (part of the) value.
		pv := v
		pv.Whole = false
		for _, sub := range l.Args {
			a.bind(sub, pv, nil, e)
		}
		for _, sub := range l.Vals {
			a.bind(sub, pv, nil, e)
		}
	case KSpread:
		if len(l.Args) > 0 {
			a.bind(l.Args[0], v, nil, e)
		}
	}
}

func (a *analyzer) class(c *Class, outer env) {
	ce := outer.clone()
	ctx := &Ctx{a: a, e: ce}
	for _, r := range a.rs.class {
		for _, n := range r.Class(ctx, c) {
			a.report(r, n, "")
		}
	}
	saved := a.fs
	a.fs = &funcState{words: map[string]bool{}}
	for _, s := range c.Body {
		a.stmt(s, ce)
	}
	a.fs = saved
}

// function walks a function body with a copy of the enclosing scope
// (closures see the outer variables) and the parameters seeded as sources
// where the function handles a request.
func (a *analyzer) function(f *Func, outer env) {
	if f == nil || a.depth > 64 {
		return
	}
	if a.recording && a.depth == 0 && a.following == 0 {
		a.tasks = append(a.tasks, fnTask{fn: f, outer: outer.clone(), global: a.global.clone(), at: len(a.hits)})
		return
	}
	a.depth++
	defer func() { a.depth-- }()
	fe := outer.clone()
	handler := false
	for _, p := range f.Params {
		if p.Name == "" {
			continue
		}
		if v, ok := a.paramSource(f, p.Index, p); ok {
			fe[p.Name] = &binding{val: v}
			handler = handler || v.Req
		} else {
			delete(fe, p.Name)
		}
	}
	if a.u.Lang == LangPython && isRoute(f) {
		handler = true
	}
	saved, savedT := a.fs, a.tgts
	a.fs = &funcState{fn: f, handler: handler}
	if handler {
		a.fs.words = map[string]bool{}
	}
	a.tgts = nil
	a.block(f.Body, fe)
	a.finishFunc()
	a.fs, a.tgts = saved, savedT
}

func (a *analyzer) finishFunc() {
	if a.fs == nil {
		return
	}
	fc := &FuncCtx{fs: a.fs, u: a.u}
	for _, r := range a.rs.fn {
		for _, n := range r.Func(fc) {
			a.report(r, n, "")
		}
	}
}

// visit runs the expression-level rules on n and every sub-expression.
func (a *analyzer) visit(n *Node, e env) {
	if n == nil {
		return
	}
	switch n.Kind {
	case KFunc:
		a.function(n.Fn, e)
		return
	case KCall:
		if n.Fun != nil && n.Fun.Kind != KIdent {
			a.visit(n.Fun, e)
		}
		for _, x := range n.Args {
			a.visit(x, e)
		}
		for _, x := range n.Vals {
			a.visit(x, e)
		}
		a.call(n, e)
		return
	case KObject:
		for _, x := range n.Args {
			a.visit(x, e)
		}
		for _, x := range n.Vals {
			a.visit(x, e)
		}
		c := &Ctx{a: a, e: e}
		for _, r := range a.rs.objectRules(n) {
			for _, p := range r.Objects {
				if (len(p.Types) == 0 || matchAny(p.Types, n.Name)) && (p.Key == "" || n.kw(p.Key) != nil) && (p.When == nil || p.When(c, n)) {
					a.report(r, n, "")
				}
			}
		}
		if a.fs != nil && a.fs.words != nil {
			for _, k := range n.Keys {
				a.fs.words[strings.ToLower(k)] = true
			}
		}
		return
	case KAddr:
		// &x.UserID in a Scan is not an ownership check.
		if len(n.Args) == 1 && n.Args[0] != nil && (n.Args[0].Kind == KIdent || n.Args[0].Kind == KMember) {
			return
		}
	case KStr:
		if a.fs != nil && a.fs.words != nil && len(n.Str) < 512 {
			low := strings.ToLower(n.Str)
			// In SQL only the WHERE clause can check ownership, not the column list.
			if i := strings.Index(low, "where"); i >= 0 {
				low = low[i:]
			} else if len(low) > 40 {
				return
			}
			for _, w := range strings.FieldsFunc(low, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '_') }) {
				a.fs.words[w] = true
			}
		}
		return
	case KCompare:
		c := &Ctx{a: a, e: e}
		for _, r := range a.rs.cmp {
			if r.Compare(c, n) {
				a.report(r, n, "")
			}
		}
	case KIdent, KMember:
		if a.fs != nil && a.fs.words != nil {
			low := strings.ToLower(n.Name)
			a.fs.words[low] = true
			for seg := range strings.SplitSeq(low, ".") {
				a.fs.words[seg] = true
			}
		}
	}
	if n.Fun != nil {
		a.visit(n.Fun, e)
	}
	for _, x := range n.Args {
		a.visit(x, e)
	}
	for _, x := range n.Vals {
		a.visit(x, e)
	}
}

func (a *analyzer) call(n *Node, e env) {
	c := &Ctx{a: a, e: e}
	for _, r := range a.rs.callRules(n.Name) {
		for _, p := range r.Calls {
			if matchAny(p.Callees, n.Name) && (p.When == nil || p.When(c, n)) {
				a.report(r, n, "")
			}
		}
	}
	if a.fs != nil && a.fs.words != nil {
		for seg := range strings.SplitSeq(strings.ToLower(n.Name), ".") {
			a.fs.words[strings.TrimSuffix(seg, "()")] = true
		}
	}
	// Record the call for function-level rules, and bind out-parameters
	// (json.Unmarshal(body, &v), c.ShouldBindJSON(&v)) when the call reads
	// tainted input.
	rec := callRec{n: n}
	in := Val{}
	if n.Fun != nil && n.Fun.Kind == KMember && len(n.Fun.Args) > 0 && n.Fun.Args[0] != nil {
		rec.recv = a.eval(n.Fun.Args[0], e, 0)
		in = in.join(rec.recv)
	}
	for _, x := range n.Args {
		v := a.eval(x, e, 0)
		rec.vals = append(rec.vals, v)
		in = in.join(v)
	}
	for _, x := range n.Vals {
		v := a.eval(x, e, 0)
		rec.vals = append(rec.vals, v)
		in = in.join(v)
	}
	if a.fs != nil {
		a.fs.calls = append(a.fs.calls, rec)
	}
	if in.Taint {
		a.follow(n, rec.vals)
	}
	if in.Taint && a.u.Lang == LangGo {
		for _, x := range n.Args {
			if x.Kind == KAddr && len(x.Args) == 1 && x.Args[0] != nil && (x.Args[0].Kind == KIdent || x.Args[0].Kind == KMember) {
				e[x.Args[0].Name] = &binding{val: Val{Taint: true, Req: in.Req, Raw: true, Whole: true, Src: in.Src}}
			}
		}
	}
}

const maxEvalDepth = 48

// eval computes what is known about n's value.
func (a *analyzer) eval(n *Node, e env, d int) Val {
	if n == nil || d > maxEvalDepth {
		return Val{}
	}
	d++
	switch n.Kind {
	case KStr, KNum, KBool, KNull:
		return Val{Const: true}
	case KIdent:
		if b := e[n.Name]; b != nil {
			return b.val
		}
		if src, ok := a.sourcePath(n.Name); ok {
			return Val{Taint: true, Req: src == srcRequest, Raw: true, Src: src}
		}
		return Val{}
	case KMember, KIndex:
		if n.Name != "" {
			if b := e[n.Name]; b != nil {
				return b.val
			}
			if src, ok := a.sourcePath(n.Name); ok {
				v := Val{Taint: true, Req: src == srcRequest, Raw: a.rawSource(n.Name), Src: src}
				v.Whole = src == srcRequest && wholeSeg[lastSeg(n.Name)] && isSourceRoot(a, n)
				return v
			}
		}
		if len(n.Args) == 0 || n.Args[0] == nil {
			return Val{}
		}
		base := a.eval(n.Args[0], e, d)
		if n.Kind == KMember && base.Req && n.Args[0].Kind == KIdent && serverSide[lastSeg(n.Name)] {
			// req.user, req.session...: set by the server, not the caller.
			return Val{}
		}
		v := Val{Taint: base.Taint, Req: base.Req, Raw: base.Raw, Src: base.Src}
		if n.Kind == KMember && base.Raw && base.Req && n.Args[0].Kind == KIdent && wholeSeg[lastSeg(n.Name)] {
			v.Whole = true
		}
		if n.Kind == KIndex && len(n.Args) > 1 {
			iv := a.eval(n.Args[1], e, d)
			v = v.join(Val{Taint: iv.Taint && base.Raw, Src: iv.Src})
		}
		return v
	case KCall:
		return a.evalCall(n, e, d)
	case KBuild:
		v := Val{Const: true}
		for _, p := range n.Args {
			pv := a.eval(p, e, d)
			v = v.join(pv)
			if !pv.Const {
				v.Const = false
				v.Dyn = true
			}
		}
		return v
	case KObject, KArray:
		v := Val{}
		for _, x := range n.Args {
			v = v.join(a.eval(x, e, d))
		}
		for _, x := range n.Vals {
			v = v.join(a.eval(x, e, d))
		}
		v.Dyn = false
		return v
	case KCompare:
		v := Val{Const: true}
		for _, x := range n.Args {
			v.Req = v.Req || a.eval(x, e, d).Req
		}
		return v
	case KLogic:
		v := Val{Const: true}
		for _, x := range n.Args {
			xv := a.eval(x, e, d)
			v = v.join(xv)
			v.Const = v.Const && xv.Const
		}
		return v
	case KSpread, KAddr:
		if len(n.Args) > 0 {
			return a.eval(n.Args[0], e, d)
		}
		return Val{}
	case KFunc:
		return Val{}
	}
	if len(n.Args) == 1 {
		return a.eval(n.Args[0], e, d)
	}
	v := Val{Const: len(n.Args) > 0}
	for _, x := range n.Args {
		xv := a.eval(x, e, d)
		v = v.join(xv)
		v.Const = v.Const && xv.Const
	}
	return v
}

var serverSide = map[string]bool{"user": true, "session": true, "auth": true, "locals": true, "app": true, "method": true, "isAuthenticated": true, "logIn": true, "logout": true, "Context": true, "WithContext": true, "log": true, "id": false}

var wholeSeg = map[string]bool{"body": true, "json": true, "form": true, "values": true, "POST": true, "data": true, "get_json": true, "formData": true}

func isSourceRoot(a *analyzer, n *Node) bool {
	if len(n.Args) == 0 || n.Args[0] == nil {
		return true
	}
	return n.Args[0].Kind == KIdent
}

func (a *analyzer) evalCall(n *Node, e env, d int) Val {
	if src, ok := a.sourceCall(n); ok {
		v := Val{Taint: true, Req: src == srcRequest, Raw: a.rawSource(n.Name), Src: src}
		v.Whole = src == srcRequest && wholeSeg[lastSeg(n.Name)]
		return v
	}
	in := Val{Const: true}
	var recv Val
	hasRecv := false
	if n.Fun != nil && n.Fun.Kind == KMember && len(n.Fun.Args) > 0 && n.Fun.Args[0] != nil {
		recv = a.eval(n.Fun.Args[0], e, d)
		hasRecv = true
		in = in.join(recv)
		in.Const = recv.Const
		if r := n.Fun.Args[0]; r.Kind == KIdent && e[r.Name] == nil && !recv.Taint {
			// A global or module (Buffer, Math, JSON): its methods on constants are constant.
			in.Const = true
		}
	}
	for _, x := range n.Args {
		xv := a.eval(x, e, d)
		in = in.join(xv)
		in.Const = in.Const && xv.Const
	}
	for _, x := range n.Vals {
		xv := a.eval(x, e, d)
		in = in.join(xv)
		in.Const = in.Const && xv.Const
	}
	name := n.Name
	seg := lastSeg(name)
	switch sanitizerKind(a.u.Lang, name, seg) {
	case sanNumeric:
		return Val{Req: in.Req, Const: true}
	case sanEscape:
		return Val{Req: in.Req, Const: true}
	}
	if len(n.Args) == 0 && len(n.Vals) == 0 && !hasRecv {
		in.Const = false
	}
	// A body read from a request (await request.json(), req.body.dict()).
	if hasRecv && recv.Raw && recv.Req && (wholeSeg[seg] || seg == "dict" || seg == "copy") {
		in.Raw, in.Whole = true, true
		return in
	}
	in.Raw, in.Whole = false, false
	return in
}

type sanKind uint8

const (
	sanNone sanKind = iota
	sanNumeric
	sanEscape
)

var numericFuncs = map[string]bool{
	// Go
	"strconv.Atoi": true, "strconv.ParseInt": true, "strconv.ParseUint": true, "strconv.ParseFloat": true,
	"strconv.ParseBool": true, "strconv.Itoa": true, "strconv.FormatInt": true, "strconv.Quote": true,
	"len": true, "int": true, "int64": true, "int32": true, "uint": true, "float64": true,
	"github.com/google/uuid.Parse": true, "github.com/google/uuid.MustParse": true,
	// Python
	"float": true, "bool": true, "uuid.UUID": true,
	// JavaScript
	"parseInt": true, "parseFloat": true, "Number": true, "Boolean": true, "Number.parseInt": true, "Math.floor": true,
}

var escapeFuncs = map[string]bool{
	"path/filepath.Base": true, "path.Base": true, "os.path.basename": true, "path.basename": true,
	"werkzeug.utils.secure_filename": true, "secure_filename": true, "html.escape": true,
	"net/url.QueryEscape": true, "net/url.PathEscape": true, "shlex.quote": true, "pipes.quote": true,
	"encodeURIComponent": true, "encodeURI": true, "DOMPurify.sanitize": true, "dompurify.sanitize": true,
	"bleach.clean": true, "markupsafe.escape": true, "flask.escape": true, "re.escape": true,
	"regexp.QuoteMeta": true, "github.com/go-ldap/ldap/v3.EscapeFilter": true, "ldap3.utils.conv.escape_filter_chars": true,
	"escape_filter_chars": true, "_.escapeRegExp": true, "lodash.escapeRegExp": true, "validator.escape": true,
	"html/template.HTMLEscapeString": true, "text/template.HTMLEscapeString": true, "html.EscapeString": true,
	"sqlstring.escape": true, "mysql.escape": true, "pg-format": true, "quote_plus": true, "urllib.parse.quote": true,
	"urllib.parse.quote_plus": true, "xss": true, "sanitizeHtml": true, "sanitize-html": true,
}

func sanitizerKind(l Lang, name, seg string) sanKind {
	if numericFuncs[name] {
		return sanNumeric
	}
	if escapeFuncs[name] {
		return sanEscape
	}
	ls := strings.ToLower(seg)
	switch {
	case strings.HasPrefix(ls, "escape"), strings.HasPrefix(ls, "sanitize"), strings.HasPrefix(ls, "quote"):
		return sanEscape
	case ls == "tointeger" || ls == "toint" || ls == "isinteger":
		return sanNumeric
	}
	return sanNone
}

const (
	srcRequest = "request data"
	srcEnv     = "an environment variable"
	srcArgs    = "a command-line argument"
	srcBrowser = "the page URL or DOM"
)

// rawSource: whether data read at path p can be a structured object (JSON)
// rather than a string. Python's form and query values are strings.
func (a *analyzer) rawSource(p string) bool {
	if a.u.Lang != LangPython {
		return true
	}
	return strings.Contains(p, "json") || p == "flask.request"
}

// sourcePath says whether a name or member path reads attacker-influenced data.
func (a *analyzer) sourcePath(p string) (string, bool) {
	switch a.u.Lang {
	case LangGo:
		switch p {
		case "os.Args":
			return srcArgs, true
		}
	case LangPython:
		switch {
		case p == "flask.request" || strings.HasPrefix(p, "flask.request."):
			return srcRequest, true
		case p == "sys.argv" || strings.HasPrefix(p, "sys.argv"):
			return srcArgs, true
		case p == "os.environ" || strings.HasPrefix(p, "os.environ."):
			return srcEnv, true
		}
	case LangJavaScript, LangTypeScript:
		switch {
		case strings.HasPrefix(p, "process.env"):
			return srcEnv, true
		case strings.HasPrefix(p, "process.argv"):
			return srcArgs, true
		case strings.HasPrefix(p, "location.") || strings.HasPrefix(p, "window.location") || strings.HasPrefix(p, "document.location") ||
			p == "document.URL" || p == "document.referrer" || p == "window.name" || p == "document.cookie":
			return srcBrowser, true
		}
	}
	return "", false
}

func (a *analyzer) sourceCall(n *Node) (string, bool) {
	switch a.u.Lang {
	case LangGo:
		switch n.Name {
		case "os.Getenv", "os.LookupEnv":
			return srcEnv, true
		case "flag.Arg", "flag.Args":
			return srcArgs, true
		}
	case LangPython:
		switch n.Name {
		case "os.getenv", "os.environ.get", "getenv":
			return srcEnv, true
		case "input":
			return srcArgs, true
		}
		if strings.HasPrefix(n.Name, "flask.request.") {
			return srcRequest, true
		}
	}
	return "", false
}

// paramSource decides whether parameter i of f carries request data.
func (a *analyzer) paramSource(f *Func, i int, p Param) (Val, bool) {
	src := Val{Taint: true, Req: true, Raw: true, Src: srcRequest}
	switch a.u.Lang {
	case LangGo:
		t := strings.TrimPrefix(p.Type, "*")
		switch t {
		case "net/http.Request", "github.com/gin-gonic/gin.Context", "github.com/gofiber/fiber/v2.Ctx", "github.com/gofiber/fiber/v3.Ctx":
			return src, true
		}
		if strings.HasPrefix(t, "github.com/labstack/echo") && strings.HasSuffix(t, ".Context") {
			return src, true
		}
	case LangPython:
		if p.Name == "self" || p.Name == "cls" {
			return Val{}, false
		}
		if p.Default != nil && p.Default.Kind == KCall && (lastSeg(p.Default.Name) == "Depends" || lastSeg(p.Default.Name) == "Security") {
			return Val{}, false
		}
		if p.Name == "request" || p.Name == "req" {
			return src, true
		}
		route := isRoute(f)
		if !route {
			for _, q := range f.Params {
				if q.Name == "request" {
					route = true
				}
			}
		}
		if route {
			switch strings.ToLower(p.Type) {
			case "int", "float", "bool", "uuid", "uuid.uuid":
				return Val{Req: true, Const: true}, true
			case "session", "db", "asyncsession":
				return Val{}, false
			}
			if strings.Contains(p.Type, "Session") || strings.Contains(p.Type, "User") {
				return Val{}, false
			}
			return src, true
		}
	case LangJavaScript, LangTypeScript:
		switch p.Name {
		case "req", "request":
			return src, true
		}
		if strings.Contains(p.Type, "Request") {
			return src, true
		}
		if f.Exported && i == 1 && httpVerbs[f.Name] {
			return src, true
		}
	}
	return Val{}, false
}

var httpVerbs = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true}

var routeDecorators = map[string]bool{"route": true, "get": true, "post": true, "put": true, "patch": true, "delete": true, "api_route": true, "websocket": true, "api_view": true}

func isRoute(f *Func) bool {
	for _, d := range f.Decorators {
		name := d.Name
		if routeDecorators[lastSeg(name)] {
			return true
		}
	}
	return false
}

// guardVars lists the variables a condition checks against an allowlist,
// a prefix or a pattern: after `if !ok { return }` they are clean.
func guardVars(cond *Node) []string {
	var out []string
	walkNodes(cond, func(n *Node) bool {
		switch n.Kind {
		case KCall:
			seg := strings.ToLower(lastSeg(n.Name))
			if guardCalls[seg] || strings.HasPrefix(seg, "isvalid") || strings.HasPrefix(seg, "valid") || strings.HasPrefix(seg, "isallowed") || strings.HasPrefix(seg, "allowed") || strings.HasPrefix(seg, "is_valid") || strings.HasPrefix(seg, "is_allowed") || strings.HasPrefix(seg, "is_safe") || strings.HasPrefix(seg, "issafe") {
				for _, x := range n.Args {
					out = append(out, namesIn(x)...)
				}
				if n.Fun != nil && n.Fun.Kind == KMember && len(n.Fun.Args) > 0 {
					out = append(out, namesIn(n.Fun.Args[0])...)
				}
			}
		case KCompare:
			if n.Str == "in" || n.Str == "not in" {
				if len(n.Args) > 0 {
					out = append(out, namesIn(n.Args[0])...)
				}
			}
		case KIndex:
			// allowed[x] in a condition is a map lookup.
			if len(n.Args) > 1 {
				out = append(out, namesIn(n.Args[1])...)
			}
		}
		return true
	})
	return out
}

var guardCalls = map[string]bool{
	"hasprefix": true, "startswith": true, "includes": true, "has": true, "contains": true,
	"match": true, "matchstring": true, "fullmatch": true, "test": true, "isalnum": true, "isdigit": true,
	"isnumeric": true, "isidentifier": true, "is_relative_to": true, "validate": true, "slices.contains": true,
	"hasown": true, "hasownproperty": true, "__contains__": true, "isdecimal": true, "isalpha": true,
}

func namesIn(n *Node) []string {
	var out []string
	walkNodes(n, func(x *Node) bool {
		if (x.Kind == KIdent || x.Kind == KMember) && x.Name != "" {
			out = append(out, x.Name)
		}
		return x.Kind != KMember
	})
	return out
}

// exits reports whether a block always leaves the enclosing path.
func exits(ss []*Stmt) bool {
	if len(ss) == 0 {
		return false
	}
	last := ss[len(ss)-1]
	switch last.Kind {
	case SReturn, SExit:
		return true
	case SExpr:
		if last.X != nil && last.X.Kind == KCall {
			switch lastSeg(last.X.Name) {
			case "abort", "Fatal", "Fatalf", "Exit", "panic", "AbortWithStatus", "AbortWithStatusJSON", "Error", "sendStatus", "exit":
				return true
			}
		}
	}
	return false
}

// FuncCtx is what a function-level rule sees after the walk of a function.
type FuncCtx struct {
	fs *funcState
	u  *Unit
}

// Handler reports whether the function reads request data from its parameters.
func (f *FuncCtx) Handler() bool { return f.fs.handler }

// Mentions reports whether any identifier, member or key in the function
// contains one of the words.
func (f *FuncCtx) Mentions(words ...string) bool {
	for w := range f.fs.words {
		for _, x := range words {
			if strings.Contains(w, x) {
				return true
			}
		}
	}
	return false
}
