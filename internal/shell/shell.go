// Package shell turns a shell command line into every simple command it
// would run, so that the agent guard can judge each one. It looks through
// pipes, lists, subshells, command and process substitution, functions,
// aliases, `bash -c` / `sh -c` / `eval`, wrappers (`env`, `sudo`, `nohup`,
// `timeout`, `xargs`, `find -exec`, ...), here-documents fed to a shell, and
// literal pipelines that decode a script (`echo ... | base64 -d | sh`).
// Quoting and variable tricks (`r”m`, `\rm`, `$IFS`, `${x:-rm}`,
// `$'\x72m'`) are expanded the way the shell would expand them; values that
// cannot be known statically are marked with Unknown.
//
// Parsing is done by mvdan.cc/sh; the package runs nothing and touches no
// file system.
package shell

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// Unknown marks the part of a word whose value cannot be known without
// running the command (an unset variable, a command substitution warden
// cannot evaluate). It is the Unicode noncharacter U+FFFF, which no real
// command uses (NUL would be dropped by the expander, as bash drops it).
const Unknown = "\uFFFF"

// Limits that keep a hostile command from making the parser work forever.
const (
	maxDepth    = 8       // nested bash -c / eval / base64 levels
	maxCommands = 4096    // simple commands recorded
	maxSource   = 1 << 20 // bytes of shell source accepted
)

// Decoded is the Via step of commands that come from a script decoded at
// run time (`echo ... | base64 -d | sh`): warden sees them, but hiding a
// command that way is itself a red flag.
const Decoded = "decoded"

// Redirect is a redirection of one command.
type Redirect struct {
	// Op is the operator as written: ">", ">>", "<", "<>", "&>", ">&", "<<", "<<<".
	Op string
	// Target is the expanded file name (or fd for >&2); empty for here-documents.
	Target string
}

// Writes reports whether the redirection writes to its target.
func (r Redirect) Writes() bool {
	switch r.Op {
	case ">", ">>", "&>", "&>>", ">|", "<>":
		return true
	case ">&":
		return !isFD(r.Target)
	}
	return false
}

// Reads reports whether the redirection reads its target.
func (r Redirect) Reads() bool { return r.Op == "<" || r.Op == "<>" }

func isFD(s string) bool {
	if s == "-" || s == "" {
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Command is one simple command the line would run.
type Command struct {
	// Argv is the expanded argument list; argv[0] is the program as written
	// (a path or a name). Parts that cannot be known contain Unknown.
	Argv []string
	// Redirects of this command (including those of enclosing blocks).
	Redirects []Redirect
	// StdinFrom lists the commands (indexes into Script.Commands) whose
	// output this command reads through a pipe.
	StdinFrom []int
	// ScriptFrom lists the commands whose output this command runs as
	// code: `curl ... | sh`, `bash <(curl ...)`, `eval "$(...)"`.
	ScriptFrom []int
	// Via says how the command was reached, outermost first: "sudo",
	// "bash -c", "eval", "$()", "xargs", "find -exec", "base64", "alias"...
	Via []string
	// Vars are the parameter names the command's words reference.
	Vars []string
	// Env holds the NAME=value assignments the command runs with
	// (`HUSKY=0 git commit`, `env HUSKY=0 git commit`).
	Env []string
}

// Name is the basename of the program, "" when it is unknown.
func (c Command) Name() string {
	if len(c.Argv) == 0 || strings.Contains(c.Argv[0], Unknown) {
		return ""
	}
	return path.Base(c.Argv[0])
}

// Dynamic reports whether the program itself cannot be known statically.
func (c Command) Dynamic() bool {
	return len(c.Argv) > 0 && strings.Contains(c.Argv[0], Unknown)
}

// Args is argv without the program.
func (c Command) Args() []string {
	if len(c.Argv) < 2 {
		return nil
	}
	return c.Argv[1:]
}

// String renders the command for a human: unknown parts are shown as "?".
func (c Command) String() string {
	parts := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		a = strings.ReplaceAll(a, Unknown, "?")
		if a == "" || strings.ContainsAny(a, " \t\n'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// Script is everything a command line would run.
type Script struct {
	Commands []Command
	// Opaque lists code warden could see would run but not inspect (an
	// interpreter fed by an undecodable pipeline, eval of an unknown value).
	Opaque []string
}

// Options give the values of the environment the command would run in.
type Options struct {
	// Env resolves variables the command does not set itself (HOME, PWD,
	// TMPDIR...). Unset names are treated as unknown.
	Env func(name string) string
}

// ParseError is a command line the parser rejected.
type ParseError struct{ Err error }

func (e *ParseError) Error() string { return "cannot parse shell command: " + e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

// Parse returns every simple command src would run.
func Parse(src string, opts Options) (s *Script, err error) {
	if len(src) > maxSource {
		return nil, &ParseError{Err: fmt.Errorf("command is %d bytes, over the %d byte limit", len(src), maxSource)}
	}
	defer func() {
		// mvdan.cc/sh must never take warden down with it: a panic on a
		// hostile input is reported as an unparseable command.
		if r := recover(); r != nil {
			s, err = nil, &ParseError{Err: fmt.Errorf("parser failure: %v", r)}
		}
	}()
	p := &parser{env: opts.Env, vars: map[string]string{}, aliases: map[string]string{}}
	p.script = &Script{}
	if err := p.parseSource(src, nil, 0); err != nil {
		return nil, err
	}
	return p.script, nil
}

type parser struct {
	env     func(string) string
	vars    map[string]string
	aliases map[string]string
	script  *Script
	// depth of nested sources (bash -c, eval...)
	depth int
	err   error
	// decoded holds outputs of pipelines that decoded data (base64 -d,
	// xxd -r): a script built from one is obfuscated.
	decoded []string
}

// ctx is the context a statement runs in.
type ctx struct {
	via    []string
	stdin  []int // producing commands when stdin is a pipe
	redirs []Redirect
	// stdinText is the statically known content of stdin, if any.
	stdinText *string
}

func (p *parser) parseSource(src string, via []string, depth int) error {
	if depth > maxDepth {
		return &ParseError{Err: fmt.Errorf("commands nested more than %d levels deep", maxDepth)}
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil {
		return &ParseError{Err: err}
	}
	saved := p.depth
	p.depth = depth
	defer func() { p.depth = saved }()
	for _, st := range f.Stmts {
		p.stmt(st, ctx{via: via})
		if p.err != nil {
			return p.err
		}
	}
	return nil
}

func (p *parser) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// stmt records the commands of one statement and returns their indexes.
func (p *parser) stmt(st *syntax.Stmt, c ctx) []int {
	if st == nil || p.err != nil {
		return nil
	}
	start := len(p.script.Commands)
	inner := c
	inner.redirs = slices.Clone(c.redirs)
	for _, r := range st.Redirs {
		rd, text := p.redirect(r, c)
		inner.redirs = append(inner.redirs, rd)
		if text != nil {
			inner.stdinText = text
			inner.stdin = nil
		}
	}
	p.command(st.Cmd, inner)
	return seq(start, len(p.script.Commands))
}

func seq(a, b int) []int {
	out := make([]int, 0, b-a)
	for i := a; i < b; i++ {
		out = append(out, i)
	}
	return out
}

var redirOps = map[syntax.RedirOperator]string{
	syntax.RdrOut: ">", syntax.AppOut: ">>", syntax.RdrIn: "<", syntax.RdrInOut: "<>",
	syntax.DplIn: "<&", syntax.DplOut: ">&", syntax.RdrClob: ">|", syntax.Hdoc: "<<",
	syntax.DashHdoc: "<<", syntax.WordHdoc: "<<<", syntax.RdrAll: "&>", syntax.AppAll: "&>>",
}

// redirect expands a redirection; for here-documents and here-strings it
// also returns the text fed to stdin.
func (p *parser) redirect(r *syntax.Redirect, c ctx) (Redirect, *string) {
	op, ok := redirOps[r.Op]
	if !ok {
		op = r.Op.String()
	}
	rd := Redirect{Op: op}
	switch r.Op {
	case syntax.Hdoc, syntax.DashHdoc:
		if r.Hdoc == nil {
			return rd, nil
		}
		// A quoted delimiter keeps the body literal; otherwise it expands.
		var text string
		if r.Word != nil && isQuoted(r.Word) {
			text = literalText(r.Hdoc)
		} else {
			text = p.document(r.Hdoc, c)
		}
		return rd, &text
	case syntax.WordHdoc:
		text := p.literal(r.Word, c) + "\n"
		return rd, &text
	}
	rd.Target = p.literal(r.Word, c)
	return rd, nil
}

func isQuoted(w *syntax.Word) bool {
	for _, part := range w.Parts {
		switch part.(type) {
		case *syntax.SglQuoted, *syntax.DblQuoted:
			return true
		case *syntax.Lit:
			if strings.Contains(part.(*syntax.Lit).Value, `\`) {
				return true
			}
		}
	}
	return false
}

func literalText(w *syntax.Word) string {
	var b strings.Builder
	for _, part := range w.Parts {
		if l, ok := part.(*syntax.Lit); ok {
			b.WriteString(l.Value)
		}
	}
	return b.String()
}

func (p *parser) command(cmd syntax.Command, c ctx) {
	if p.err != nil {
		return
	}
	switch x := cmd.(type) {
	case nil:
		// A statement of redirections only (`> file`).
		if len(c.redirs) > 0 {
			p.add(Command{Argv: []string{":"}, Redirects: c.redirs, Via: c.via})
		}
	case *syntax.CallExpr:
		p.call(x, c)
	case *syntax.BinaryCmd:
		switch x.Op {
		case syntax.Pipe, syntax.PipeAll:
			left := p.stmt(x.X, c)
			rc := c
			rc.stdin = left
			rc.stdinText = nil
			if text, ok := p.eval(x.X, c.stdinText); ok {
				rc.stdinText = &text
			}
			p.stmt(x.Y, rc)
		default:
			p.stmt(x.X, c)
			p.stmt(x.Y, c)
		}
	case *syntax.Block:
		p.stmts(x.Stmts, c)
	case *syntax.Subshell:
		p.stmts(x.Stmts, c)
	case *syntax.IfClause:
		for cl := x; cl != nil; cl = cl.Else {
			p.stmts(cl.Cond, c)
			p.stmts(cl.Then, c)
		}
	case *syntax.WhileClause:
		p.stmts(x.Cond, c)
		p.stmts(x.Do, c)
	case *syntax.ForClause:
		if wi, ok := x.Loop.(*syntax.WordIter); ok {
			vals := p.fields(wi.Items, c)
			if wi.Name != nil {
				if len(vals) == 1 {
					p.vars[wi.Name.Value] = vals[0]
				} else {
					// Each iteration binds a different value: unknown.
					p.vars[wi.Name.Value] = Unknown + wi.Name.Value
				}
			}
		} else {
			p.substs(x.Loop, c)
		}
		p.stmts(x.Do, c)
	case *syntax.CaseClause:
		p.literal(x.Word, c)
		for _, it := range x.Items {
			p.stmts(it.Stmts, c)
		}
	case *syntax.FuncDecl:
		// The body runs when the function is called; judge it as if it did.
		p.stmt(x.Body, c)
	case *syntax.TimeClause:
		p.stmt(x.Stmt, c)
	case *syntax.CoprocClause:
		p.stmt(x.Stmt, c)
	case *syntax.DeclClause:
		p.decl(x, c)
	default:
		// Arithmetic, tests, let: nothing runs but substitutions inside.
		p.substs(x, c)
	}
}

func (p *parser) stmts(list []*syntax.Stmt, c ctx) {
	for _, st := range list {
		p.stmt(st, c)
	}
}

// substs records the commands run by substitutions anywhere inside node.
func (p *parser) substs(node syntax.Node, c ctx) {
	syntax.Walk(node, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.CmdSubst:
			p.stmts(x.Stmts, ctx{via: append(slices.Clone(c.via), "$()")})
			return false
		case *syntax.ProcSubst:
			p.stmts(x.Stmts, ctx{via: append(slices.Clone(c.via), "<()")})
			return false
		}
		return true
	})
}

func (p *parser) decl(d *syntax.DeclClause, c ctx) {
	// The declaration is a command too: `export -p` prints the environment.
	argv := []string{d.Variant.Value}
	for _, a := range d.Args {
		switch {
		case a.Naked && a.Name != nil:
			argv = append(argv, a.Name.Value)
		case a.Naked && a.Value != nil:
			argv = append(argv, p.literal(a.Value, c))
		case a.Name != nil:
			argv = append(argv, a.Name.Value+"=")
		}
	}
	p.add(Command{Argv: argv, Redirects: c.redirs, Via: c.via})
	for _, a := range d.Args {
		if a.Name != nil && a.Value != nil {
			p.vars[a.Name.Value] = p.literal(a.Value, c)
		} else if a.Name != nil && a.Value == nil && a.Array == nil && !a.Naked {
			p.vars[a.Name.Value] = ""
		} else if a.Value != nil {
			p.literal(a.Value, c)
		} else if a.Array != nil {
			p.substs(a.Array, c)
		}
	}
}

func (p *parser) add(cmd Command) int {
	if len(p.script.Commands) >= maxCommands {
		p.fail(&ParseError{Err: fmt.Errorf("more than %d commands", maxCommands)})
		return -1
	}
	p.script.Commands = append(p.script.Commands, cmd)
	return len(p.script.Commands) - 1
}

// call records a simple command and whatever it runs in turn.
func (p *parser) call(x *syntax.CallExpr, c ctx) {
	if len(x.Args) == 0 {
		// Assignments only: remember them for later expansions.
		for _, a := range x.Assigns {
			if a.Name == nil {
				continue
			}
			switch {
			case a.Value != nil:
				p.vars[a.Name.Value] = p.literal(a.Value, c)
			case a.Array != nil:
				p.substs(a.Array, c)
				p.vars[a.Name.Value] = Unknown + a.Name.Value
			default:
				p.vars[a.Name.Value] = ""
			}
		}
		if len(c.redirs) > 0 {
			p.add(Command{Argv: []string{":"}, Redirects: c.redirs, Via: c.via})
		}
		return
	}
	// Prefix assignments (`X=1 cmd`) apply to the command only.
	saved := map[string]*string{}
	var envList []string
	for _, a := range x.Assigns {
		if a.Name == nil {
			continue
		}
		if old, ok := p.vars[a.Name.Value]; ok {
			saved[a.Name.Value] = &old
		} else {
			saved[a.Name.Value] = nil
		}
		if a.Value != nil {
			p.vars[a.Name.Value] = p.literal(a.Value, c)
		}
		envList = append(envList, a.Name.Value+"="+p.vars[a.Name.Value])
	}
	defer func() {
		for k, v := range saved {
			if v == nil {
				delete(p.vars, k)
			} else {
				p.vars[k] = *v
			}
		}
	}()
	scriptFrom := []int{}
	mark := len(p.script.Commands)
	argv := p.fields(x.Args, c)
	// Commands recorded while expanding the words ran inside $(...) or <(...).
	substCmds := seq(mark, len(p.script.Commands))
	if len(argv) == 0 {
		return
	}
	var vars []string
	for _, w := range x.Args {
		vars = append(vars, paramNames(w)...)
	}
	cmd := Command{Argv: argv, Redirects: c.redirs, StdinFrom: c.stdin, Via: c.via, Vars: vars, Env: envList}
	_ = scriptFrom
	p.unwrap(cmd, c, substCmds, 0)
}

// paramNames lists the parameter names a word references.
func paramNames(w *syntax.Word) []string {
	var out []string
	syntax.Walk(w, func(n syntax.Node) bool {
		if pe, ok := n.(*syntax.ParamExp); ok && pe.Param != nil {
			out = append(out, pe.Param.Value)
		}
		return true
	})
	return out
}

// shells run a script given with -c, a file, or stdin.
var shells = map[string]bool{
	"sh": true, "bash": true, "zsh": true, "dash": true, "ksh": true, "ash": true,
	"mksh": true, "fish": true, "busybox": true, "rbash": true, "tcsh": true, "csh": true,
}

// interpreters run code read from stdin when given no script.
var interpreters = map[string]bool{
	"python": true, "python3": true, "python2": true, "perl": true, "ruby": true,
	"node": true, "php": true, "lua": true, "deno": true, "bun": true, "osascript": true, "pwsh": true,
}

// unwrap records cmd and, when it is a wrapper or a shell, the command it
// runs.
func (p *parser) unwrap(cmd Command, c ctx, substCmds []int, depth int) {
	if p.err != nil {
		return
	}
	idx := p.add(cmd)
	if idx < 0 || depth > maxDepth {
		return
	}
	name := cmd.Name()
	args := cmd.Args()
	via := func(v string) []string { return append(slices.Clone(cmd.Via), v) }
	inner := func(argv []string, v string) {
		if len(argv) == 0 {
			return
		}
		sub := cmd
		sub.Argv = argv
		sub.Via = via(v)
		p.unwrap(sub, c, substCmds, depth+1)
	}
	if a, ok := p.aliases[name]; ok && depth == 0 {
		p.nested(a+" "+strings.Join(quoteAll(args), " "), idx, via("alias"), substCmds)
		return
	}
	switch name {
	case "sudo", "doas":
		inner(skipOpts(args, "uUgpCDhrtT", nil), name)
	case "nohup", "setsid", "exec", "builtin", "unbuffer", "caffeinate", "time", "chronic":
		inner(skipOpts(args, "", nil), name)
	case "command":
		if !hasAnyFlag(args, "v", "V") {
			inner(skipOpts(args, "", nil), name)
		}
	case "nice":
		inner(skipOpts(args, "n", nil), name)
	case "ionice":
		inner(skipOpts(args, "cnp", nil), name)
	case "stdbuf":
		inner(skipOpts(args, "ioe", nil), name)
	case "chroot":
		rest := skipOpts(args, "", nil)
		if len(rest) > 1 {
			inner(rest[1:], name)
		}
	case "timeout":
		rest := skipOpts(args, "sk", nil)
		if len(rest) > 1 {
			inner(rest[1:], name)
		}
	case "flock":
		rest := skipOpts(args, "wEc", nil)
		if len(rest) > 1 {
			inner(rest[1:], name)
		}
	case "watch":
		rest := skipOpts(args, "nd", nil)
		p.nested(strings.Join(rest, " "), idx, via("watch"), substCmds)
	case "env":
		rest := envCommand(args)
		if len(rest) > 0 {
			sub := cmd
			sub.Argv = rest
			sub.Via = via(name)
			sub.Env = slices.Clone(cmd.Env)
			for _, a := range args[:len(args)-len(rest)] {
				if strings.Contains(a, "=") && !strings.HasPrefix(a, "-") {
					sub.Env = append(sub.Env, a)
				}
			}
			p.unwrap(sub, c, substCmds, depth+1)
		}
	case "xargs":
		rest := skipOpts(args, "IiLlnPsdEa", []string{"--max-args", "--max-procs", "--delimiter", "--arg-file", "--replace", "--max-lines", "--eof", "--max-chars"})
		if len(rest) == 0 {
			rest = []string{"echo"}
		}
		inner(append(rest, Unknown+"xargs"), name)
	case "find":
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case "-exec", "-execdir", "-ok", "-okdir":
				j := i + 1
				for j < len(args) && args[j] != ";" && args[j] != "+" {
					j++
				}
				inner(slices.Clone(args[i+1:j]), "find "+args[i])
				i = j
			}
		}
	case "eval":
		p.nested(strings.Join(args, " "), idx, via("eval"), substCmds)
	case "alias":
		for _, a := range args {
			if k, v, ok := strings.Cut(a, "="); ok {
				p.aliases[k] = v
				p.nested(v, idx, via("alias"), substCmds)
			}
		}
	case "su":
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-c" || args[i] == "--command" {
				p.nested(args[i+1], idx, via("su -c"), substCmds)
			}
		}
	case "ssh":
		// The remote command runs elsewhere but is still the agent's doing.
		if rest := sshCommand(args); len(rest) > 0 {
			p.nested(strings.Join(rest, " "), idx, via("ssh"), substCmds)
		}
	default:
		if shells[name] {
			p.shell(cmd, idx, c, substCmds)
		} else if interpreters[trimVersion(name)] {
			p.interpreter(cmd, idx, c, substCmds)
		}
	}
}

func trimVersion(name string) string {
	return strings.TrimRight(name, "0123456789.")
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

// nested parses src as a script run by cmd. If src holds unknown parts
// coming from command substitutions, the commands that produced them are
// recorded as the script's source.
func (p *parser) nested(src string, idx int, via []string, substCmds []int) {
	if strings.Contains(src, Unknown) {
		p.script.Commands[idx].ScriptFrom = append(p.script.Commands[idx].ScriptFrom, substCmds...)
		p.script.Opaque = append(p.script.Opaque, fmt.Sprintf("%s runs code that is only known when it runs", strings.Join(via, " > ")))
	}
	for _, d := range p.decoded {
		if strings.TrimSpace(d) != "" && strings.Contains(src, strings.TrimSpace(d)) {
			via = append(slices.Clone(via), Decoded)
			break
		}
	}
	// Unknown parts stay unknown in the nested script: each marker is
	// followed by an identifier, so it becomes an unset variable there.
	clean := strings.ReplaceAll(src, Unknown, "$__warden_unknown_")
	if err := p.parseSource(clean, via, p.depth+1); err != nil {
		p.fail(err)
	}
}

// shell handles sh/bash/...: `-c script`, a here-document, or stdin.
func (p *parser) shell(cmd Command, idx int, c ctx, substCmds []int) {
	args := cmd.Args()
	name := cmd.Name()
	if name == "busybox" {
		if len(args) == 0 || !shells[args[0]] {
			if len(args) > 0 {
				sub := cmd
				sub.Argv = args
				sub.Via = append(slices.Clone(cmd.Via), "busybox")
				p.unwrap(sub, c, substCmds, 1)
			}
			return
		}
		args = args[1:]
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			args = args[i+1:]
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 && !strings.HasPrefix(a, "--") && strings.Contains(a, "c") {
			if i+1 < len(args) {
				p.nested(args[i+1], idx, append(slices.Clone(cmd.Via), name+" -c"), substCmds)
			}
			return
		}
		if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+") {
			if a == "-o" || a == "+o" || a == "--rcfile" || a == "--init-file" {
				i++
			}
			continue
		}
		// A script file: its content is not ours to see, unless it is a
		// process substitution.
		if strings.Contains(a, Unknown+"procsubst") {
			p.script.Commands[idx].ScriptFrom = append(p.script.Commands[idx].ScriptFrom, substCmds...)
		}
		return
	}
	p.fromStdin(cmd, idx, c, name)
}

// fromStdin: an interpreter with no script argument runs its stdin.
func (p *parser) fromStdin(cmd Command, idx int, c ctx, name string) {
	for _, r := range cmd.Redirects {
		if r.Op == "<" {
			return // runs a file
		}
	}
	if c.stdinText != nil {
		if shells[name] || name == "busybox" {
			p.nested(*c.stdinText, idx, append(slices.Clone(cmd.Via), name+" <stdin"), nil)
		}
		return
	}
	if len(c.stdin) > 0 {
		p.script.Commands[idx].ScriptFrom = append(p.script.Commands[idx].ScriptFrom, c.stdin...)
		p.script.Opaque = append(p.script.Opaque, name+" runs code read from a pipe")
	}
}

// interpreter handles python/perl/node...: code from -c/-e is not shell,
// but a script read from a pipe is still code from that pipe.
func (p *parser) interpreter(cmd Command, idx int, c ctx, substCmds []int) {
	args := cmd.Args()
	for _, a := range args {
		if a == "-" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			if strings.Contains(a, Unknown+"procsubst") {
				p.script.Commands[idx].ScriptFrom = append(p.script.Commands[idx].ScriptFrom, substCmds...)
			}
			return
		}
		switch a {
		case "-c", "-e", "-E", "--eval", "-p", "--print", "-r", "-m":
			for _, s := range embeddedShell(strings.Join(args, " ")) {
				p.nested(s, idx, append(slices.Clone(cmd.Via), cmd.Name()+" "+a), substCmds)
			}
			return
		}
	}
	p.fromStdin(cmd, idx, c, cmd.Name())
}

// embeddedShell finds shell commands an inline script hands to the system
// (os.system("..."), subprocess.run("...", shell=True), system '...',
// execSync("...")), so that `python -c "import os; os.system('rm -rf /')"`
// is judged like the shell command it runs.
func embeddedShell(code string) []string {
	var out []string
	for _, fn := range []string{"system(", "popen(", "execSync(", "exec(", "spawnSync(", "check_output(", "check_call(", "run(", "call(", "Popen(", "getoutput(", "getstatusoutput(", "`", "system ", "%x(", "shell_exec(", "passthru("} {
		rest := code
		for {
			i := strings.Index(rest, fn)
			if i < 0 {
				break
			}
			rest = rest[i+len(fn):]
			s := strings.TrimLeft(rest, " [")
			if fn == "`" {
				if j := strings.IndexByte(rest, '`'); j >= 0 {
					out = append(out, rest[:j])
					rest = rest[j+1:]
				}
				continue
			}
			if s == "" {
				break
			}
			q := s[0]
			if q != '"' && q != '\'' {
				continue
			}
			if j := strings.IndexByte(s[1:], q); j >= 0 {
				out = append(out, s[1:1+j])
			}
		}
	}
	return out
}

func hasAnyFlag(args []string, flags ...string) bool {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "--" {
			return false
		}
		for _, f := range flags {
			if strings.Contains(a[1:], f) {
				return true
			}
		}
	}
	return false
}

// skipOpts drops leading options; short options in withArg and long ones
// in longWithArg take a value.
func skipOpts(args []string, withArg string, longWithArg []string) []string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return args[i+1:]
		case strings.HasPrefix(a, "--"):
			if !strings.Contains(a, "=") && slices.Contains(longWithArg, a) {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			last := a[len(a)-1:]
			if len(a) == 2 && strings.Contains(withArg, last) {
				i++
			}
		default:
			return args[i:]
		}
	}
	return nil
}

// envCommand skips env's options and NAME=value pairs.
func envCommand(args []string) []string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return args[i+1:]
		case a == "-u" || a == "--unset" || a == "-C" || a == "--chdir":
			i++
		case a == "-S" || a == "--split-string":
			if i+1 < len(args) {
				return append(strings.Fields(args[i+1]), args[i+2:]...)
			}
			return nil
		case strings.HasPrefix(a, "-S"):
			return append(strings.Fields(a[2:]), args[i+1:]...)
		case strings.HasPrefix(a, "-"):
		case strings.Contains(a, "=") && !strings.HasPrefix(a, "="):
		default:
			return args[i:]
		}
	}
	return nil
}

func sshCommand(args []string) []string {
	rest := skipOpts(args, "bcDEeFIiJLlmOopQRSWw", nil)
	if len(rest) > 1 {
		return rest[1:]
	}
	return nil
}

// environ resolves variables: first those the script set, then the
// caller's environment; unset ones are unset (so ${x:-rm} gives rm).
type environ struct{ p *parser }

func (e environ) Get(name string) expand.Variable {
	if v, ok := e.p.vars[name]; ok {
		return expand.Variable{Set: true, Kind: expand.String, Str: v}
	}
	if name == "IFS" {
		return expand.Variable{Set: true, Kind: expand.String, Str: " \t\n"}
	}
	if e.p.env != nil {
		if v := e.p.env(name); v != "" {
			return expand.Variable{Set: true, Exported: true, Kind: expand.String, Str: v}
		}
	}
	return expand.Variable{}
}

func (e environ) Each(func(string, expand.Variable) bool) {}

// known reports whether a plain $name has a value warden knows.
func (p *parser) known(name string) bool {
	if _, ok := p.vars[name]; ok {
		return true
	}
	if name == "IFS" {
		return true
	}
	return p.env != nil && p.env(name) != ""
}

// markUnknown replaces plain references to unknown variables ($X, ${X})
// with an Unknown marker so that `rm -rf $DIR/` is not read as `rm -rf /`.
// Expansions with an operator (${x:-rm}) are left to the expander.
func (p *parser) markUnknown(w *syntax.Word) *syntax.Word {
	w = cloneWord(w)
	var fix func(parts []syntax.WordPart) []syntax.WordPart
	fix = func(parts []syntax.WordPart) []syntax.WordPart {
		for i, part := range parts {
			switch x := part.(type) {
			case *syntax.ParamExp:
				if x.Param == nil || !plain(x) {
					continue
				}
				name := x.Param.Value
				if special(name) || !p.known(name) {
					parts[i] = &syntax.Lit{ValuePos: x.Pos(), ValueEnd: x.End(), Value: Unknown + name}
				}
			case *syntax.DblQuoted:
				x.Parts = fix(x.Parts)
			}
		}
		return parts
	}
	w.Parts = fix(w.Parts)
	return w
}

func plain(x *syntax.ParamExp) bool {
	return !x.Excl && !x.Length && !x.Width && x.Index == nil && x.Slice == nil &&
		x.Repl == nil && x.Exp == nil && x.Names == 0 && x.NestedParam == nil && len(x.Modifiers) == 0
}

func special(name string) bool {
	switch name {
	case "@", "*", "#", "?", "$", "!", "-", "_":
		return true
	}
	return len(name) == 1 && name[0] >= '0' && name[0] <= '9'
}

// cloneWord copies the parts slices we may rewrite (shallowly elsewhere).
func cloneWord(w *syntax.Word) *syntax.Word {
	nw := *w
	nw.Parts = make([]syntax.WordPart, len(w.Parts))
	for i, part := range w.Parts {
		if dq, ok := part.(*syntax.DblQuoted); ok {
			ndq := *dq
			ndq.Parts = slices.Clone(dq.Parts)
			nw.Parts[i] = &ndq
			continue
		}
		nw.Parts[i] = part
	}
	return &nw
}

func (p *parser) config(c ctx) *expand.Config {
	return &expand.Config{
		Env: environ{p},
		CmdSubst: func(w io.Writer, cs *syntax.CmdSubst) error {
			p.stmts(cs.Stmts, ctx{via: append(slices.Clone(c.via), "$()")})
			if len(cs.Stmts) == 1 {
				if out, ok := p.eval(cs.Stmts[0], nil); ok {
					_, err := io.WriteString(w, strings.TrimRight(out, "\n"))
					return err
				}
			}
			_, err := io.WriteString(w, Unknown+"cmdsubst")
			return err
		},
		ProcSubst: func(ps *syntax.ProcSubst) (string, error) {
			p.stmts(ps.Stmts, ctx{via: append(slices.Clone(c.via), "<()")})
			return Unknown + "procsubst", nil
		},
	}
}

// fields expands words into arguments as the shell would (quotes removed,
// unquoted expansions split, braces expanded; no globbing).
func (p *parser) fields(words []*syntax.Word, c ctx) []string {
	if len(words) == 0 {
		return nil
	}
	marked := make([]*syntax.Word, len(words))
	for i, w := range words {
		marked[i] = p.markUnknown(w)
	}
	out, err := expand.Fields(p.config(c), marked...)
	if err != nil {
		// Expansion errors (bad arithmetic, ${x:?}) leave the words as
		// literal as we can get them.
		out = out[:0]
		for _, w := range marked {
			out = append(out, p.literal(w, c))
		}
	}
	return out
}

func (p *parser) literal(w *syntax.Word, c ctx) string {
	if w == nil {
		return ""
	}
	s, err := expand.Literal(p.config(c), p.markUnknown(w))
	if err != nil {
		var b bytes.Buffer
		syntax.NewPrinter().Print(&b, w)
		return b.String()
	}
	return s
}

func (p *parser) document(w *syntax.Word, c ctx) string {
	s, err := expand.Document(p.config(c), p.markUnknown(w))
	if err != nil {
		return literalText(w)
	}
	return s
}

// eval computes the output of a statement when it is a pipeline of
// commands whose output is known without running anything: echo, printf,
// cat of stdin, base64 -d, xxd -r -p, rev. It does not record commands.
func (p *parser) eval(st *syntax.Stmt, stdin *string) (string, bool) {
	if st == nil {
		return "", false
	}
	for _, r := range st.Redirs {
		switch r.Op {
		case syntax.WordHdoc:
			s, err := expand.Literal(&expand.Config{Env: environ{p}}, p.markUnknown(r.Word))
			if err != nil {
				return "", false
			}
			s += "\n"
			stdin = &s
		case syntax.Hdoc, syntax.DashHdoc:
			if r.Hdoc == nil {
				return "", false
			}
			s := literalText(r.Hdoc)
			stdin = &s
		default:
			return "", false
		}
	}
	switch x := st.Cmd.(type) {
	case *syntax.BinaryCmd:
		if x.Op != syntax.Pipe {
			return "", false
		}
		left, ok := p.eval(x.X, stdin)
		if !ok {
			return "", false
		}
		return p.eval(x.Y, &left)
	case *syntax.CallExpr:
		cfg := &expand.Config{Env: environ{p}} // no substitutions: nested ones are unknown
		words := make([]*syntax.Word, len(x.Args))
		for i, w := range x.Args {
			words[i] = p.markUnknown(w)
		}
		argv, err := expand.Fields(cfg, words...)
		if err != nil || len(argv) == 0 {
			return "", false
		}
		for _, a := range argv {
			if strings.Contains(a, Unknown) {
				return "", false
			}
		}
		out, ok := evalCall(argv, stdin)
		if ok && decodes(argv) {
			p.decoded = append(p.decoded, out)
		}
		return out, ok
	}
	return "", false
}

// decodes reports whether a command turns encoded data back into text.
func decodes(argv []string) bool {
	switch path.Base(argv[0]) {
	case "base64", "base32", "xxd", "rev":
		return true
	case "printf", "echo":
		// printf '\x72\x6d' spells a command byte by byte.
		for _, a := range argv[1:] {
			if strings.Contains(a, `\x`) || strings.Contains(a, `\0`) || strings.Contains(a, `\u`) {
				return true
			}
		}
	}
	return false
}

func evalCall(argv []string, stdin *string) (string, bool) {
	args := argv[1:]
	switch path.Base(argv[0]) {
	case "echo":
		nl, esc := true, false
		for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
			nl = nl && !strings.Contains(args[0], "n")
			esc = esc || strings.Contains(args[0], "e")
			args = args[1:]
		}
		s := strings.Join(args, " ")
		if esc {
			if f, _, err := expand.Format(&expand.Config{}, "%b", []string{s}); err == nil {
				s = f
			}
		}
		if nl {
			s += "\n"
		}
		return s, true
	case "printf":
		if len(args) == 0 {
			return "", false
		}
		s, _, err := expand.Format(&expand.Config{}, args[0], args[1:])
		return s, err == nil
	case "cat":
		if len(args) == 0 && stdin != nil {
			return *stdin, true
		}
	case "rev":
		if stdin != nil && len(args) == 0 {
			lines := strings.Split(strings.TrimSuffix(*stdin, "\n"), "\n")
			for i, l := range lines {
				r := []rune(l)
				slices.Reverse(r)
				lines[i] = string(r)
			}
			return strings.Join(lines, "\n") + "\n", true
		}
	case "base64", "base32":
		if stdin == nil || !hasAnyFlag(args, "d", "D") && !slices.Contains(args, "--decode") {
			return "", false
		}
		clean := strings.Join(strings.Fields(*stdin), "")
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(clean); err == nil {
				return string(b), true
			}
		}
	case "xxd":
		if stdin != nil && hasAnyFlag(args, "r") {
			clean := strings.Join(strings.Fields(*stdin), "")
			if b, err := hex.DecodeString(clean); err == nil {
				return string(b), true
			}
		}
	}
	return "", false
}

// IsParseError reports whether err means the command could not be parsed.
func IsParseError(err error) bool {
	var pe *ParseError
	return errors.As(err, &pe)
}
