package agent

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/shell"
)

// programs lists the program names a command runs (for audit).
func programs(cmd string, getenv func(string) string) []string {
	s, err := shell.Parse(cmd, shell.Options{Env: getenv})
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range s.Commands {
		if n := c.Name(); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func (g *Guard) shellEnv(cwd string) func(string) string {
	return func(name string) string {
		switch name {
		case "HOME":
			return g.cfg.Home
		case "PWD":
			return cwd
		case "TMPDIR", "USER", "LOGNAME", "SHELL", "LANG", "TERM", "PATH", "GOPATH", "GOBIN", "CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR", "CURSOR_PROJECT_DIR", "COPILOT_PROJECT_DIR":
			return g.cfg.Getenv(name)
		}
		return ""
	}
}

// exec judges a shell command by every simple command it would run.
func (g *Guard) exec(ctx context.Context, a Action, cwd, project string, st SessionState) Decision {
	if strings.TrimSpace(a.Command) == "" {
		return Decision{Verdict: Allow}
	}
	if forkBomb(a.Command) {
		return g.hit(RuleDiskTools, "this is a fork bomb: a function that pipes into itself in the background until the machine stops")
	}
	s, err := shell.Parse(a.Command, shell.Options{Env: g.shellEnv(cwd)})
	if err != nil {
		v := g.pol.unparseable
		if v == Allow {
			return Decision{Verdict: Allow}
		}
		return Decision{Verdict: v, Rules: []string{RuleUnparseable}, Reasons: []string{fmt.Sprintf("this shell command cannot be parsed (%s), so warden it cannot tell what it would run; rewrite it as plain commands", truncate(err.Error(), 200))}}
	}
	e := &execCheck{g: g, a: a, s: s, cwd: cwd, project: project, st: st, ctx: ctx}
	d := Decision{Verdict: Allow}
	for i := range s.Commands {
		d = Merge(d, e.command(i))
	}
	return d
}

// forkBomb spots `f(){ f|f& };f` in any spelling of spaces and names.
func forkBomb(cmd string) bool {
	s := strings.Join(strings.Fields(cmd), "")
	for i := 0; ; {
		j := strings.Index(s[i:], "(){")
		if j < 0 {
			return false
		}
		j += i
		k := j
		for k > 0 && !strings.ContainsRune(";&|({} \n", rune(s[k-1])) {
			k--
		}
		if name := s[k:j]; name != "" && strings.Contains(s[j:], name+"|"+name+"&") {
			return true
		}
		i = j + 3
	}
}

type execCheck struct {
	g       *Guard
	a       Action
	s       *shell.Script
	cwd     string
	project string
	st      SessionState
	ctx     context.Context
}

func (e *execCheck) hit(rule, format string, args ...any) Decision {
	return e.g.hit(rule, fmt.Sprintf(format, args...))
}

func (e *execCheck) abs(p string) string {
	if strings.Contains(p, shell.Unknown) {
		return p
	}
	return e.g.abs(p, e.cwd)
}

var (
	netTools     = map[string]bool{"curl": true, "wget": true, "fetch": true, "http": true, "https": true, "xh": true, "aria2c": true, "lynx": true, "links": true, "httpie": true, "Invoke-WebRequest": true, "iwr": true}
	rawNetTools  = map[string]bool{"nc": true, "ncat": true, "netcat": true, "socat": true, "telnet": true, "openssl": false}
	copyTools    = map[string]bool{"scp": true, "sftp": true, "rsync": true, "ftp": true, "lftp": true, "rclone": true}
	decoderTools = map[string]bool{"base64": true, "base32": true, "xxd": true, "openssl": true, "gzip": true, "gunzip": true, "zcat": true, "bzip2": true, "xz": true, "uudecode": true, "rev": true, "tr": true, "perl": true, "python": true, "python3": true, "printf": true, "od": true}
	// readOnly programs may mention a protected file without changing it.
	readOnly = map[string]bool{
		"cat": true, "less": true, "more": true, "head": true, "tail": true, "grep": true, "egrep": true, "fgrep": true,
		"rg": true, "ag": true, "ls": true, "stat": true, "file": true, "wc": true, "diff": true, "cmp": true, "sha256sum": true,
		"sha1sum": true, "md5sum": true, "bat": true, "test": true, "[": true, "[[": true, "tree": true, "du": true, "realpath": true,
		"readlink": true, "sort": true, "uniq": true, "cut": true, "echo": true, "printf": true, "jq": true, "view": true,
		"nl": true, "od": true, "hexdump": true, "strings": true, "xxd": true, "basename": true, "dirname": true, "warden": true,
		"git": true, "find": true, "awk": true, "sed": true, "yq": true, "column": true, "type": true, "which": true, "cd": true,
	}
	// metaOnly programs touch a file's metadata or name but never reveal its content.
	metaOnly = map[string]bool{
		"ls": true, "stat": true, "test": true, "[": true, "[[": true, "file": true, "du": true, "chmod": true, "chown": true,
		"realpath": true, "readlink": true, "dirname": true, "basename": true, "touch": true, "mkdir": true, "cd": true,
		"source": true, ".": true, "export": true, "wc": true, "ssh-add": true, "ssh-keygen": true, "sha256sum": true, "md5sum": true,
		"ssh": true, "git": true, "find": true, "docker": true, "kubectl": true, "helm": true, "aws": true, "gcloud": true,
		"dotenv": true, "env": true, "direnv": true,
	}
	printers   = map[string]bool{"echo": true, "printf": true, "printenv": true, "print": true, "cat": true, "tee": true, "logger": true, "say": true, "declare": true, "typeset": true}
	shellNames = map[string]bool{"sh": true, "bash": true, "zsh": true, "dash": true, "ksh": true, "ash": true, "mksh": true, "fish": true, "busybox": true, "rbash": true, "tcsh": true, "csh": true, "source": true, ".": true, "eval": true, "python": true, "python3": true, "perl": true, "ruby": true, "node": true, "php": true, "lua": true, "deno": true, "bun": true, "pwsh": true, "osascript": true}
	systemDirs = []string{"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root", "/sbin", "/srv", "/sys", "/usr", "/var", "/Users", "/System", "/Applications", "/Library", "/private", "/mnt", "/media", "/snap"}
)

// filtered reports whether command i's output only reaches a grep that
// selects no secret (env | grep PATH, env | grep -c X): the dump is not shown.
func (e *execCheck) filtered(i int) bool {
	var next []shell.Command
	for _, c := range e.s.Commands {
		if slices.Contains(c.StdinFrom, i) {
			next = append(next, c)
		}
	}
	if len(next) == 0 {
		return false
	}
	for _, c := range next {
		n := c.Name()
		if n != "grep" && n != "egrep" && n != "rg" && n != "wc" {
			return false
		}
		if n == "wc" || hasShortFlag(c.Args(), 'c') || hasShortFlag(c.Args(), 'q') || slices.Contains(c.Args(), "--count") {
			continue
		}
		ops := operands(c.Args(), "efm")
		if len(ops) == 0 || hasShortFlag(c.Args(), 'v') {
			return false
		}
		pat := ops[0]
		if secretVar(pat) || secretish(pat) || strings.ContainsAny(pat, ".*[]|\\") && !isPlainName(pat) {
			return false
		}
	}
	return true
}

// secretish reports whether a search pattern aims at secret-looking names.
func secretish(pat string) bool {
	u := strings.ToUpper(pat)
	for _, w := range []string{"KEY", "TOKEN", "SECRET", "PASS", "PWD", "AUTH", "CRED", "SESSION", "COOKIE", "PRIVATE", "AWS", "GITHUB", "GH_", "OPENAI", "ANTHROPIC", "DATABASE", "DB_"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

func isPlainName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '^' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// secretVar reports whether an environment variable's name says it holds a
// secret.
func secretVar(name string) bool {
	if strings.HasPrefix(name, "__warden_unknown_") {
		return false
	}
	u := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "TOKEN", "PASSWORD", "PASSWD", "APIKEY", "API_KEY", "ACCESSKEY", "ACCESS_KEY", "PRIVATEKEY", "PRIVATE_KEY", "CREDENTIAL", "AUTH_KEY", "SESSION_KEY", "DATABASE_URL", "DB_PASS", "CONNECTION_STRING"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return u == "PAT" || strings.HasSuffix(u, "_PAT")
}

func (e *execCheck) command(i int) Decision {
	c := e.s.Commands[i]
	d := Decision{Verdict: Allow}
	add := func(x Decision) { d = Merge(d, x) }
	name := c.Name()
	args := c.Args()

	if slices.Contains(c.Via, shell.Decoded) {
		add(e.hit(RuleObfuscatedExec, "%s comes from a script decoded at run time (%s); run commands directly instead of hiding them", name, strings.Join(c.Via, " > ")))
	}
	if c.Dynamic() {
		add(e.hit(RuleDynamicCommand, "the program %q is only known when the command runs, so warden cannot judge it; use the program's name directly", c.Argv[0]))
	}
	add(e.scriptSource(c))
	add(e.redirects(c))
	add(e.secretVars(c, name))
	add(e.customRules(c, name))

	if strings.HasPrefix(name, "mkfs") || strings.HasPrefix(name, "mkswap") || strings.HasPrefix(name, "mkfs.") {
		add(e.hit(RuleDiskTools, "%s creates a filesystem, destroying what the device held", name))
	}
	switch name {
	case "rm", "rmdir", "unlink", "shred", "srm", "trash", "trash-put":
		add(e.deleteTargets(c, name, operands(args, "")))
		if name == "shred" {
			for _, t := range operands(args, "nsu") {
				if strings.HasPrefix(e.abs(t), "/dev/") {
					add(e.hit(RuleDiskTools, "shred of device %s destroys a disk", t))
				}
			}
		}
	case "find":
		if slices.Contains(args, "-delete") {
			var roots []string
			for _, x := range args {
				if strings.HasPrefix(x, "-") || x == "!" || x == "(" {
					break
				}
				roots = append(roots, x)
			}
			if len(roots) == 0 {
				roots = []string{"."}
			}
			if findFilters(args) {
				// Selected files under each root: harmful only when the root
				// is outside the repository.
				for _, r := range roots {
					p := e.abs(r)
					if strings.Contains(p, shell.Unknown) || !within(p, e.project) && !e.g.tempDir(p) && !e.g.tempDir(p+"/x") {
						add(e.deleteTargets(c, "find -delete", []string{r}))
					}
				}
			} else {
				add(e.deleteTargets(c, "find -delete", roots))
			}
		}
	case "mke2fs", "mkswap", "fdisk", "sfdisk", "cfdisk", "parted", "gdisk", "sgdisk", "wipefs", "blkdiscard", "mkdosfs", "mkntfs", "format", "diskpart", "zpool", "lvremove", "vgremove", "pvremove", "cryptsetup", "hdparm":
		add(e.hit(RuleDiskTools, "%s changes disks or filesystems; agents may not run it", name))
	case "dd":
		for _, x := range args {
			if v, ok := strings.CutPrefix(x, "of="); ok && (strings.HasPrefix(v, "/dev/") && !harmlessDev(v)) {
				add(e.hit(RuleDiskTools, "dd writing to device %s destroys its data", v))
			}
		}
	case "diskutil":
		if len(args) > 0 && (strings.HasPrefix(strings.ToLower(args[0]), "erase") || strings.HasPrefix(strings.ToLower(args[0]), "partition") || args[0] == "zeroDisk" || args[0] == "randomDisk") {
			add(e.hit(RuleDiskTools, "diskutil %s erases a disk", args[0]))
		}
	case "shutdown", "reboot", "halt", "poweroff":
		add(e.hit(RuleSystemPower, "%s stops the machine", name))
	case "init", "telinit":
		if len(args) > 0 && (args[0] == "0" || args[0] == "6") {
			add(e.hit(RuleSystemPower, "%s %s stops the machine", name, args[0]))
		}
	case "systemctl":
		for _, x := range args {
			if x == "poweroff" || x == "reboot" || x == "halt" || x == "kexec" {
				add(e.hit(RuleSystemPower, "systemctl %s stops the machine", x))
			}
		}
	case "kill", "pkill", "killall":
		for _, x := range args {
			if x == "-1" && name == "kill" {
				add(e.hit(RuleSystemPower, "kill -1 kills every process of the user"))
			}
		}
		if name != "kill" && slices.ContainsFunc(args, func(s string) bool { return strings.Contains(s, "warden") }) {
			add(e.hit(RuleWardenTamper, "stopping warden processes is not allowed"))
		}
	case "chmod":
		add(e.chmod(c, args))
	case "git":
		add(e.git(c, args))
	case "printenv":
		if len(operands(args, "")) == 0 && !e.filtered(i) {
			add(e.hit(RuleCredentialRead, "printenv prints every environment variable, including secrets; print only the variable you need (not a secret)"))
		}
		for _, v := range operands(args, "") {
			if secretVar(v) {
				add(e.hit(RuleCredentialRead, "printing %s reveals a secret", v))
			}
		}
	case "env":
		if envDumps(args) && !e.filtered(i) {
			add(e.hit(RuleCredentialRead, "env with no command prints every environment variable, including secrets"))
		}
	case "set", "export", "declare", "typeset":
		if len(args) == 0 || (len(args) == 1 && (args[0] == "-p" || args[0] == "-x" || args[0] == "-px")) {
			add(e.hit(RuleCredentialRead, "%s %s prints the environment, including secrets", name, strings.Join(args, " ")))
		}
	case "compgen":
		if slices.Contains(args, "-v") || slices.Contains(args, "-e") {
			add(e.hit(RuleCredentialRead, "compgen lists environment variables"))
		}
	case "security":
		if len(args) > 0 && strings.HasPrefix(args[0], "find-") && strings.Contains(args[0], "password") {
			add(e.hit(RuleCredentialRead, "security %s reads the keychain", args[0]))
		}
	case "secret-tool", "pass", "gopass", "op", "vault", "keyring":
		if len(args) > 0 && slices.Contains([]string{"lookup", "show", "get", "read", "item", "kv", "cat"}, args[0]) {
			add(e.hit(RuleCredentialRead, "%s %s reads a stored secret", name, args[0]))
		}
	case "gh":
		if len(args) >= 2 && args[0] == "auth" && args[1] == "token" {
			add(e.hit(RuleCredentialRead, "gh auth token prints the GitHub token"))
		}
		if len(args) >= 2 && args[0] == "gist" && args[1] == "create" {
			add(e.upload("gist.github.com", "gh gist create publishes files", true))
		}
	case "aws":
		if len(args) >= 2 && args[0] == "configure" && (args[1] == "get" || args[1] == "export-credentials") || len(args) >= 2 && args[0] == "sts" && args[1] == "get-session-token" || len(args) >= 2 && args[0] == "ecr" && args[1] == "get-login-password" && len(c.StdinFrom) == 0 {
			add(e.hit(RuleCredentialRead, "aws %s %s prints credentials", args[0], args[1]))
		}
		if len(args) >= 3 && args[0] == "s3" && (args[1] == "cp" || args[1] == "sync" || args[1] == "mv") && strings.HasPrefix(args[len(args)-1], "s3://") {
			add(e.upload("s3.amazonaws.com", "aws s3 uploads to "+args[len(args)-1], true))
		}
	case "gcloud":
		if slices.Contains(args, "print-access-token") || slices.Contains(args, "print-identity-token") {
			add(e.hit(RuleCredentialRead, "gcloud prints an access token"))
		}
	case "gsutil":
		if len(args) >= 2 && (args[0] == "cp" || args[0] == "rsync") && strings.HasPrefix(args[len(args)-1], "gs://") {
			add(e.upload("storage.googleapis.com", "gsutil uploads to "+args[len(args)-1], true))
		}
	case "kubectl":
		if len(args) >= 2 && args[0] == "config" && args[1] == "view" && slices.Contains(args, "--raw") {
			add(e.hit(RuleCredentialRead, "kubectl config view --raw prints cluster credentials"))
		}
		if len(args) >= 2 && args[0] == "get" && strings.HasPrefix(args[1], "secret") && slices.ContainsFunc(args, func(s string) bool {
			return strings.Contains(s, "yaml") || strings.Contains(s, "json") || strings.Contains(s, "jsonpath")
		}) {
			add(e.hit(RuleCredentialRead, "kubectl get secret -o prints secret values"))
		}
	case "warden":
		if len(args) > 0 && (args[0] == "uninstall" || args[0] == "baseline" && !slices.Contains(args, "--help")) {
			add(e.hit(RuleWardenTamper, "warden %s changes what warden enforces; ask the user to run it", args[0]))
		}
	}
	if uninstallsWarden(name, args) {
		add(e.hit(RuleWardenTamper, "uninstalling warden is not allowed"))
	}
	if netTools[name] {
		add(e.http(c, name, args))
	}
	if rawNetTools[name] {
		add(e.rawNet(c, name, args))
	}
	if copyTools[name] {
		add(e.copyRemote(name, args))
	}
	if name == "ssh" {
		if host := sshHost(args); host != "" && (len(c.StdinFrom) > 0 || hasInputRedirect(c)) {
			add(e.upload(host, "ssh sends piped data to "+host, true))
		} else if host != "" && e.st.Tainted && !e.g.pol.hostAllowed(host) {
			add(e.tainted("ssh to " + host))
		}
	}
	if e.g.pol.install != "allow" {
		add(e.install(c, name, args))
	}
	// Credentials named as arguments or read through redirections.
	if !metaOnly[name] || name == "git" && len(args) > 0 && args[0] == "add" {
		srcs := pathArgs(name, args)
		switch name {
		case "cp", "mv", "install", "ln", "rsync", "scp":
			// The last operand is the destination, not something read.
			if len(srcs) > 1 {
				srcs = srcs[:len(srcs)-1]
			}
		}
		for _, x := range srcs {
			p := e.abs(x)
			if e.g.secretPath(p, e.project) {
				add(e.secretRead(p, name))
			}
		}
	}
	for _, r := range c.Redirects {
		if r.Reads() && e.g.secretPath(e.abs(r.Target), e.project) {
			add(e.secretRead(e.abs(r.Target), name))
		}
	}
	// Changing protected files with any program that is not read-only.
	if !readOnly[name] || writesInPlace(name, args) || name == "git" && gitWritesFiles(args) || name == "find" && (slices.Contains(args, "-delete") || slices.Contains(args, "-exec")) {
		for _, x := range args {
			if strings.HasPrefix(x, "-") && !strings.Contains(x, "=") {
				continue
			}
			if _, v, ok := strings.Cut(x, "="); ok && strings.HasPrefix(x, "-") {
				x = v
			}
			p := e.abs(x)
			if e.g.protectedPath(p, e.project) {
				add(e.hit(RuleWardenTamper, "%s would change %s, which configures warden or the agent's hooks; ask the user to change it", name, p))
			}
			if isGitHookPath(p) {
				add(e.hit(RuleGitHooksTamper, "%s would change git hook %s", name, p))
			}
		}
		add(e.guidance(name, args))
		if e.g.cfg.WardenPath != "" && (name == "rm" || name == "mv" || name == "unlink" || name == "shred") {
			for _, x := range args {
				if p := e.abs(x); p == e.g.cfg.WardenPath || p == path.Join(path.Dir(e.g.cfg.WardenPath), "warden-hook") || p == path.Join(path.Dir(e.g.cfg.WardenPath), "warden-hook-c") {
					add(e.hit(RuleWardenTamper, "removing the warden binary is not allowed"))
				}
			}
		}
	}
	if interpreterNames[name] {
		code := strings.Join(args, " ")
		if runsDecoded(code) {
			add(e.hit(RuleObfuscatedExec, "%s code decodes data and runs it (e.g. os.system(b64decode(...))), which hides what it does; run the commands directly", name))
		}
		for _, q := range quotedStrings(code) {
			if p := e.abs(q); e.g.secretPath(p, e.project) {
				add(e.secretRead(p, name))
			}
		}
	}
	if shellNames[name] && len(args) > 0 {
		// Inline code that names a protected file (python -c "open('.claude/settings.json','w')").
		code := strings.Join(args, " ")
		for _, pf := range []string{".claude/settings", ".cursor/hooks.json", ".gemini/settings.json", ".codex/config.toml", ".codex/hooks.json", ".github/hooks", "warden.yaml", ".warden/", ".git/hooks", "core.hooksPath"} {
			if strings.Contains(code, pf) && !shellInterpretersOnlyRead(code) {
				add(e.hit(RuleWardenTamper, "%s code touches %s, which configures warden, the agent's hooks or git hooks", name, pf))
				break
			}
		}
	}
	return d
}

// runsDecoded reports whether inline code both decodes data and executes
// something: the shape of a hidden payload.
func runsDecoded(code string) bool {
	low := strings.ToLower(code)
	execs := false
	for _, w := range []string{"system(", "popen(", "subprocess", "exec(", "eval(", "execsync", "spawn", "child_process", "`", "%x(", "shell_exec", "passthru(", "os.exec", "runtime.exec"} {
		if strings.Contains(low, w) {
			execs = true
			break
		}
	}
	if !execs {
		return false
	}
	for _, w := range []string{"b64decode", "base64", "atob(", "unhexlify", "fromhex", "codecs.decode", "fromcharcode", "decode('hex", "decode(\"hex", "pack(", "unpack(", "zlib.decompress", "gzip.decompress", "rot13", "rot_13", "[::-1]", "reverse()"} {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

var interpreterNames = map[string]bool{"python": true, "python3": true, "python2": true, "perl": true, "ruby": true, "node": true, "php": true, "deno": true, "bun": true, "lua": true}

// quotedStrings returns the '...' and "..." literals in inline code.
func quotedStrings(code string) []string {
	var out []string
	for i := 0; i < len(code); i++ {
		q := code[i]
		if q != '\'' && q != '"' {
			continue
		}
		j := strings.IndexByte(code[i+1:], q)
		if j < 0 {
			break
		}
		if s := code[i+1 : i+1+j]; s != "" && !strings.ContainsAny(s, " \n") {
			out = append(out, s)
		}
		i += j + 1
	}
	return out
}

func shellInterpretersOnlyRead(code string) bool {
	for _, w := range []string{"'w'", "\"w\"", "'a'", "\"a\"", "write", "unlink", "remove", "rmtree", "rename", "replace", ">", "sed -i", "truncate", "dump(", "rm "} {
		if strings.Contains(code, w) {
			return false
		}
	}
	return true
}

func findFilters(args []string) bool {
	for _, a := range args {
		switch a {
		case "-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-type", "-mtime", "-mmin", "-newer", "-size", "-empty", "-user", "-perm", "-wholename":
			return true
		}
	}
	return false
}

func harmlessDev(p string) bool {
	switch p {
	case "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero", "/dev/random", "/dev/urandom":
		return true
	}
	return strings.HasPrefix(p, "/dev/fd/") || strings.HasPrefix(p, "/dev/pts/") || strings.HasPrefix(p, "/dev/shm/")
}

func isGitHookPath(p string) bool {
	return strings.Contains(p, "/.git/hooks/") || strings.HasSuffix(p, "/.git/hooks") || strings.HasSuffix(p, "/.git/config")
}

// operands are the non-option arguments (options in withArg take a value).
func operands(args []string, withArg string) []string {
	var out []string
	end := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if end || a == "-" || !strings.HasPrefix(a, "-") {
			out = append(out, a)
			continue
		}
		if a == "--" {
			end = true
			continue
		}
		if len(a) == 2 && strings.Contains(withArg, a[1:]) {
			i++
		}
	}
	return out
}

func hasFlag(args []string, short byte, long ...string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if strings.HasPrefix(a, "--") {
			if slices.Contains(long, a) {
				return true
			}
			continue
		}
		if strings.HasPrefix(a, "-") && short != 0 && strings.IndexByte(a[1:], short) >= 0 {
			return true
		}
	}
	return false
}

func (e *execCheck) deleteTargets(c shell.Command, what string, targets []string) Decision {
	d := Decision{Verdict: Allow}
	recursive := what == "find -delete" || hasFlag(c.Args(), 'r', "--recursive") || hasFlag(c.Args(), 'R')
	home := e.g.cfg.Home
	for _, t := range targets {
		if strings.Contains(t, shell.Unknown) {
			if recursive {
				d = Merge(d, e.hit(RuleDynamicCommand, "%s %s: the target is only known when the command runs; name the path directly", what, strings.ReplaceAll(t, shell.Unknown, "$")))
			}
			continue
		}
		p := e.abs(t)
		base := path.Base(p)
		if strings.ContainsAny(base, "*?[") {
			// A glob deletes what is in its directory.
			p = path.Dir(p)
			recursive = true
		}
		switch {
		case slices.Contains(systemDirs, p) || p == "/":
			d = Merge(d, e.hit(RuleDestructiveDelete, "%s %s would delete a system directory", what, p))
		case home != "" && (p == home || within(home, p)):
			d = Merge(d, e.hit(RuleDestructiveDelete, "%s %s would delete the home directory", what, p))
		case within(e.project, p):
			// The repository itself or one of its parents.
			d = Merge(d, e.hit(RuleDestructiveDelete, "%s %s would delete the whole repository", what, p))
		case e.g.protectedPath(p, e.project) || e.g.holdsProtected(p, e.project):
			d = Merge(d, e.hit(RuleWardenTamper, "%s %s would remove warden's configuration", what, p))
		case isGitHookPath(p) || strings.HasSuffix(p, "/.git"):
			if strings.HasSuffix(p, "/.git") {
				d = Merge(d, e.hit(RuleDestructiveDelete, "%s %s would delete the repository's history", what, p))
			} else {
				d = Merge(d, e.hit(RuleGitHooksTamper, "%s %s would remove git hooks", what, p))
			}
		case within(p, e.project), e.g.tempDir(p):
		default:
			d = Merge(d, e.hit(RuleDestructiveDelete, "%s %s deletes outside the repository (%s); agents may delete only inside it or in temp directories", what, p, e.project))
		}
	}
	return d
}

// octalWorldWritable reports whether an octal mode gives others write.
func octalWorldWritable(mode string) bool {
	if len(mode) < 3 || len(mode) > 4 {
		return false
	}
	for _, c := range mode {
		if c < '0' || c > '7' {
			return false
		}
	}
	o := mode[len(mode)-1] - '0'
	return o&2 != 0
}

func (e *execCheck) chmod(c shell.Command, args []string) Decision {
	ops := operands(args, "")
	if len(ops) < 2 {
		return Decision{Verdict: Allow}
	}
	mode := ops[0]
	world := octalWorldWritable(mode) || strings.Contains(mode, "o+w") || strings.Contains(mode, "a+w") || strings.Contains(mode, "a+rwx") || strings.Contains(mode, "o+rwx") || mode == "+w" || mode == "ugo+w" || mode == "ugo+rwx"
	if !world {
		return Decision{Verdict: Allow}
	}
	if hasFlag(args, 'R', "--recursive") {
		return e.hit(RuleChmodWorld, "chmod -R %s makes a whole tree world-writable; grant only the permission needed (e.g. u+x)", mode)
	}
	for _, t := range ops[1:] {
		p := e.abs(t)
		if !within(p, e.project) && !e.g.tempDir(p) {
			return e.hit(RuleChmodWorld, "chmod %s %s makes a file outside the repository world-writable", mode, p)
		}
	}
	return Decision{Verdict: Allow}
}

// scriptSource judges code a command runs from another command's output.
func (e *execCheck) scriptSource(c shell.Command) Decision {
	if len(c.ScriptFrom) == 0 {
		return Decision{Verdict: Allow}
	}
	up := e.upstream(c.ScriptFrom)
	for _, j := range up {
		n := e.s.Commands[j].Name()
		if netTools[n] || rawNetTools[n] || n == "ssh" || n == "scp" {
			return e.hit(RuleRemoteCodeExec, "%s would run code downloaded by %s without review; download it to a file, read it, then run that file", c.Name(), n)
		}
	}
	for _, j := range up {
		n := e.s.Commands[j].Name()
		if decoderTools[n] || e.s.Commands[j].Dynamic() {
			return e.hit(RuleObfuscatedExec, "%s would run code decoded at run time by %s, which hides what it does; run the commands directly", c.Name(), n)
		}
	}
	if c.Name() == "eval" || strings.HasSuffix(strings.Join(c.Via, " "), "-c") {
		return e.hit(RuleDynamicCommand, "%s runs code that is only known when the command runs", c.Name())
	}
	return Decision{Verdict: Allow}
}

// upstream returns the commands feeding idx, transitively through pipes.
func (e *execCheck) upstream(start []int) []int {
	seen := map[int]bool{}
	var out []int
	var walk func(list []int)
	walk = func(list []int) {
		for _, j := range list {
			if j < 0 || j >= len(e.s.Commands) || seen[j] {
				continue
			}
			seen[j] = true
			out = append(out, j)
			walk(e.s.Commands[j].StdinFrom)
			walk(e.s.Commands[j].ScriptFrom)
		}
	}
	walk(start)
	return out
}

func (e *execCheck) redirects(c shell.Command) Decision {
	d := Decision{Verdict: Allow}
	for _, r := range c.Redirects {
		if !r.Writes() || r.Target == "" {
			continue
		}
		if strings.HasPrefix(r.Target, "/dev/tcp/") || strings.HasPrefix(r.Target, "/dev/udp/") {
			parts := strings.Split(r.Target, "/")
			host := ""
			if len(parts) > 3 {
				host = parts[3]
			}
			d = Merge(d, e.upload(host, "redirection to "+r.Target+" opens a raw network connection", true))
			continue
		}
		p := e.abs(r.Target)
		switch {
		case strings.HasPrefix(p, "/dev/") && !harmlessDev(p):
			d = Merge(d, e.hit(RuleDiskTools, "writing to device %s destroys its data", p))
		case e.g.protectedPath(p, e.project):
			d = Merge(d, e.hit(RuleWardenTamper, "writing to %s changes warden's or the agent's hook configuration; ask the user to", p))
		case isGitHookPath(p):
			d = Merge(d, e.hit(RuleGitHooksTamper, "writing to %s changes git hooks", p))
		case guidanceFile(p) && r.Op != ">>" && r.Op != "&>>" && e.g.holdsGuidance(p):
			// Appending leaves the block as it is; truncating does not.
			d = Merge(d, e.hit(RuleGuidanceTamper, "writing to %s replaces warden's guidance block in it; append with >> or edit outside the markers", p))
		case strings.HasPrefix(p, "/dev/"):
		default:
			if x := e.g.writeWhere(p, e.project); x.Verdict != Allow {
				d = Merge(d, x)
			}
		}
	}
	for _, r := range c.Redirects {
		if r.Op == "<" || r.Op == "<>" {
			if strings.HasPrefix(r.Target, "/dev/tcp/") || strings.HasPrefix(r.Target, "/dev/udp/") {
				d = Merge(d, e.upload(strings.Split(r.Target, "/")[3%len(strings.Split(r.Target, "/"))], "redirection from "+r.Target+" opens a raw network connection", true))
			}
		}
	}
	return d
}

// guidance flags a program that changes an instruction file holding
// warden's guidance block: what a shell command does to the file cannot be
// seen, so it could rewrite the block (sed -i, perl -pi, mv, rm, cp onto
// it). Sources of cp and similar are only read.
func (e *execCheck) guidance(name string, args []string) Decision {
	ops := pathArgs(name, args)
	switch name {
	case "cp", "install", "ln", "rsync", "scp":
		if len(ops) == 0 {
			return Decision{Verdict: Allow}
		}
		ops = ops[len(ops)-1:]
	}
	for _, x := range ops {
		p := e.abs(x)
		if guidanceFile(p) && e.g.holdsGuidance(p) {
			return e.hit(RuleGuidanceTamper, "%s would change %s, which holds warden's guidance block; edit the file with the edit tool, outside the markers", name, p)
		}
	}
	return Decision{Verdict: Allow}
}

// secretVars flags commands that print or send secret environment variables.
func (e *execCheck) secretVars(c shell.Command, name string) Decision {
	var secret []string
	for _, v := range c.Vars {
		if secretVar(v) {
			secret = append(secret, v)
		}
	}
	if len(secret) == 0 {
		return Decision{Verdict: Allow}
	}
	if printers[name] {
		return e.hit(RuleCredentialRead, "%s would print the secret $%s into the conversation; use it without printing it", name, secret[0])
	}
	return Decision{Verdict: Allow}
}

func (e *execCheck) customRules(c shell.Command, name string) Decision {
	d := Decision{Verdict: Allow}
	joined := strings.Join(c.Args(), " ")
	for _, r := range e.g.pol.commandRules {
		if r.Command != "" && r.Command != name {
			continue
		}
		if r.args != nil && !r.args.MatchString(joined) {
			continue
		}
		v, _ := verdictOf(r.Decision, Deny)
		if v == Allow {
			continue
		}
		reason := r.Reason
		if reason == "" {
			reason = fmt.Sprintf("%s is restricted by policy rule %s", name, r.ID)
		}
		id := r.ID
		if id == "" {
			id = "agent.commands." + name
		}
		d = Merge(d, Decision{Verdict: v, Rules: []string{id}, Reasons: []string{reason}})
	}
	return d
}

func (e *execCheck) secretRead(p, name string) Decision {
	if e.st.Tainted {
		// Already denied by default; under taint even an allowed read asks.
		if e.g.pol.verdict(RuleCredentialRead) == Allow {
			return e.tainted(name + " reading " + p)
		}
	}
	return e.hit(RuleCredentialRead, "%s would read %s, which holds credentials; ask the user for what you need instead", name, p)
}

func (e *execCheck) tainted(what string) Decision {
	return e.g.hit(RuleTaintedSession, fmt.Sprintf("this session read content with prompt injection (%s); %s could leak data, so a human must approve it", e.st.TaintReason, what))
}

// upload judges sending data to host.
func (e *execCheck) upload(host, what string, sends bool) Decision {
	if host == "" {
		return e.hit(RuleNetworkUpload, "%s to a host warden cannot determine", what)
	}
	if e.g.pol.hostAllowed(host) {
		if e.st.Tainted && sends && !isLocal(host) {
			return e.tainted(what)
		}
		return Decision{Verdict: Allow}
	}
	return e.hit(RuleNetworkUpload, "%s, which is not on agent.network.allow_domains; data may only be sent to allowed hosts", what)
}

func isLocal(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || h == "0.0.0.0" || strings.HasSuffix(h, ".localhost")
}

func hostOf(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.Contains(raw, shell.Unknown) {
		return ""
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// http judges curl/wget-like commands.
func (e *execCheck) http(c shell.Command, name string, args []string) Decision {
	var urls []string
	sends := false
	withValue := map[string]bool{"-o": true, "-O": false, "-H": true, "-A": true, "-u": true, "-e": true, "-x": true, "--output": true, "--header": true, "--user": true, "--proxy": true, "-w": true, "--write-out": true, "-m": true, "--max-time": true, "--connect-timeout": true, "-r": true, "--retry": true, "-c": true, "-b": true, "--cookie": true, "--cookie-jar": true, "-P": true, "--user-agent": true, "--cacert": true, "--cert": true, "--key": true, "--resolve": true, "-K": true, "--config": true, "-E": false}
	sendFlags := map[string]bool{"-d": true, "--data": true, "--data-raw": true, "--data-binary": true, "--data-urlencode": true, "--data-ascii": true, "-F": true, "--form": true, "--form-string": true, "-T": true, "--upload-file": true, "--json": true, "--post-data": true, "--post-file": true, "--body-data": true, "--body-file": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		flag, val, hasVal := strings.Cut(a, "=")
		switch {
		case sendFlags[a] || (hasVal && sendFlags[flag]):
			sends = true
			if !hasVal {
				i++
			}
		case strings.HasPrefix(a, "-d") && len(a) > 2 && !strings.HasPrefix(a, "--"):
			sends = true
		case a == "-X" || a == "--request" || a == "--method":
			if i+1 < len(args) {
				m := strings.ToUpper(args[i+1])
				if m != "GET" && m != "HEAD" && m != "OPTIONS" {
					sends = true
				}
				i++
			}
		case strings.HasPrefix(a, "-X") && len(a) > 2:
			m := strings.ToUpper(a[2:])
			if m != "GET" && m != "HEAD" {
				sends = true
			}
		case strings.HasPrefix(a, "--method="):
			if m := strings.ToUpper(val); m != "GET" && m != "HEAD" {
				sends = true
			}
		case withValue[a]:
			i++
		case strings.HasPrefix(a, "-"):
		default:
			urls = append(urls, a)
		}
	}
	if len(c.StdinFrom) > 0 && (slices.Contains(args, "@-") || slices.ContainsFunc(args, func(s string) bool { return strings.HasSuffix(s, "@-") })) {
		sends = true
	}
	for _, v := range c.Vars {
		if secretVar(v) {
			// A secret in a request is fine to its own service; to anything
			// off the allowlist it is exfiltration.
			for _, u := range urls {
				if h := hostOf(u); h != "" && !e.g.pol.hostAllowed(h) {
					sends = true
				}
			}
		}
	}
	d := Decision{Verdict: Allow}
	if len(urls) == 0 {
		if sends {
			d = Merge(d, e.upload("", name+" sends data", true))
		}
		return d
	}
	for _, u := range urls {
		h := hostOf(u)
		if sends {
			d = Merge(d, e.upload(h, fmt.Sprintf("%s sends data to %s", name, orUnknown(h)), true))
			continue
		}
		if h == "" {
			if strings.Contains(u, shell.Unknown) {
				d = Merge(d, e.g.hit(RuleFetchDomain, fmt.Sprintf("%s fetches a URL that is only known when the command runs", name)))
			}
			continue
		}
		if !e.g.pol.hostAllowed(h) {
			if e.st.Tainted {
				d = Merge(d, e.tainted(name+" to "+h))
				continue
			}
			v := e.g.pol.netDefault
			if r, ok := e.g.pol.builtin[RuleFetchDomain]; ok {
				v = r
			}
			if v != Allow {
				d = Merge(d, Decision{Verdict: v, Rules: []string{RuleFetchDomain}, Reasons: []string{fmt.Sprintf("%s fetches from %s, which is not on agent.network.allow_domains", name, h)}})
			}
		}
	}
	return d
}

func orUnknown(h string) string {
	if h == "" {
		return "an unknown host"
	}
	return h
}

func (e *execCheck) rawNet(c shell.Command, name string, args []string) Decision {
	ops := operands(args, "pwqsiecx")
	if slices.Contains(args, "-l") || slices.Contains(args, "-lp") || slices.Contains(args, "-lvp") || slices.Contains(args, "-lnvp") {
		return e.hit(RuleNetworkUpload, "%s listening opens the machine to the network", name)
	}
	host := ""
	for _, o := range ops {
		if strings.Contains(o, ":") && name == "socat" {
			parts := strings.Split(o, ":")
			if len(parts) >= 2 && (strings.EqualFold(parts[0], "TCP") || strings.EqualFold(parts[0], "TCP4") || strings.EqualFold(parts[0], "UDP") || strings.EqualFold(parts[0], "OPENSSL")) {
				host = parts[1]
			}
			continue
		}
		if host == "" && !isNumber(o) {
			host = o
		}
	}
	if slices.ContainsFunc(args, func(s string) bool { return s == "-e" || s == "-c" || strings.Contains(strings.ToUpper(s), "EXEC:") }) {
		return e.hit(RuleRemoteCodeExec, "%s -e gives a remote host a shell", name)
	}
	return e.upload(host, fmt.Sprintf("%s opens a raw connection to %s", name, orUnknown(host)), true)
}

func isNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func (e *execCheck) copyRemote(name string, args []string) Decision {
	ops := operands(args, "iPFoelJcSs")
	if len(ops) == 0 {
		if name == "sftp" || name == "ftp" || name == "lftp" {
			return e.hit(RuleNetworkUpload, "%s opens an interactive transfer session", name)
		}
		return Decision{Verdict: Allow}
	}
	dst := ops[len(ops)-1]
	host := remoteHost(dst)
	if name == "sftp" || name == "ftp" || name == "lftp" {
		host = remoteHost(ops[0])
		if host == "" {
			host = ops[0]
		}
		return e.upload(host, fmt.Sprintf("%s to %s can upload files", name, host), true)
	}
	if name == "rclone" {
		if len(ops) >= 3 && (ops[0] == "copy" || ops[0] == "sync" || ops[0] == "move" || ops[0] == "copyto") && strings.Contains(dst, ":") {
			return e.upload(dst[:strings.Index(dst, ":")], "rclone uploads to "+dst, true)
		}
		return Decision{Verdict: Allow}
	}
	if host == "" {
		// Downloading from a remote host is a fetch; secrets read locally
		// are caught as reads.
		return Decision{Verdict: Allow}
	}
	return e.upload(host, fmt.Sprintf("%s uploads to %s", name, host), true)
}

// remoteHost returns the host of "user@host:path" or "host:path".
func remoteHost(s string) string {
	if strings.Contains(s, "://") {
		return hostOf(s)
	}
	i := strings.Index(s, ":")
	if i <= 0 || strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return ""
	}
	h := s[:i]
	if j := strings.LastIndex(h, "@"); j >= 0 {
		h = h[j+1:]
	}
	if strings.Contains(h, "/") {
		return ""
	}
	return strings.ToLower(h)
}

func sshHost(args []string) string {
	ops := operands(args, "bcDEeFIiJLlmOopQRSWw")
	if len(ops) == 0 {
		return ""
	}
	h := ops[0]
	if j := strings.LastIndex(h, "@"); j >= 0 {
		h = h[j+1:]
	}
	return strings.ToLower(h)
}

func hasInputRedirect(c shell.Command) bool {
	for _, r := range c.Redirects {
		if r.Op == "<" || r.Op == "<<" || r.Op == "<<<" {
			return true
		}
	}
	return false
}

// pathArgs are the arguments that may name files a program reads.
func pathArgs(name string, args []string) []string {
	var out []string
	skipNext := false
	for _, a := range args {
		if skipNext {
			skipNext = false
			continue
		}
		if (name == "ssh" || name == "scp" || name == "sftp" || name == "rsync") && a == "-i" {
			skipNext = true
			continue
		}
		if strings.HasPrefix(a, "-") {
			if _, v, ok := strings.Cut(a, "="); ok {
				out = append(out, strings.TrimPrefix(v, "@"))
			}
			continue
		}
		out = append(out, strings.TrimPrefix(a, "@"))
	}
	return out
}

func envDumps(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-u" || a == "--unset" || a == "-C" || a == "--chdir":
			i++
		case strings.HasPrefix(a, "-"):
		case strings.Contains(a, "="):
		default:
			return false
		}
	}
	return true
}

func writesInPlace(name string, args []string) bool {
	switch name {
	case "sed", "perl":
		return slices.ContainsFunc(args, func(a string) bool {
			return strings.HasPrefix(a, "-i") || a == "--in-place" || strings.HasPrefix(a, "--in-place=")
		})
	case "awk", "gawk":
		return slices.Contains(args, "inplace")
	case "yq":
		return slices.Contains(args, "-i") || slices.Contains(args, "--inplace")
	case "find":
		return slices.Contains(args, "-delete")
	}
	return false
}

func gitWritesFiles(args []string) bool {
	sub := gitSub(args)
	switch sub.name {
	case "checkout", "restore", "rm", "mv", "apply", "am", "reset", "stash", "clean":
		return true
	}
	return false
}

type gitCmd struct {
	name   string
	args   []string
	config []string // -c key=value
}

func gitSub(args []string) gitCmd {
	var g gitCmd
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-c":
			if i+1 < len(args) {
				g.config = append(g.config, args[i+1])
			}
			i++
		case a == "-C" || a == "--git-dir" || a == "--work-tree" || a == "--namespace":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			g.name = a
			g.args = args[i+1:]
			return g
		}
	}
	return g
}

func (e *execCheck) git(c shell.Command, args []string) Decision {
	d := Decision{Verdict: Allow}
	g := gitSub(args)
	for _, kv := range g.config {
		if strings.HasPrefix(strings.ToLower(kv), "core.hookspath") {
			d = Merge(d, e.hit(RuleGitHooksTamper, "git -c core.hooksPath bypasses the repository's git hooks"))
		}
	}
	switch g.name {
	case "config":
		for i, a := range g.args {
			if strings.EqualFold(a, "core.hooksPath") {
				rest := operands(g.args[i+1:], "")
				getter := slices.ContainsFunc(g.args, func(s string) bool { return s == "--get" || s == "--get-all" || s == "-l" || s == "--list" })
				if len(rest) > 0 || slices.Contains(g.args, "--unset") || slices.Contains(g.args, "--unset-all") {
					if !getter {
						d = Merge(d, e.hit(RuleGitHooksTamper, "changing core.hooksPath redirects or disables git hooks"))
					}
				}
			}
		}
	case "commit", "merge", "rebase", "am", "cherry-pick", "revert", "pull":
		if slices.Contains(g.args, "--no-verify") || (g.name == "commit" && hasShortFlag(g.args, 'n')) {
			d = Merge(d, e.hit(RuleGitNoVerify, "git %s --no-verify skips the repository's hooks (including warden's); fix what the hook reports instead", g.name))
		}
	case "push":
		if slices.Contains(g.args, "--no-verify") {
			d = Merge(d, e.hit(RuleGitNoVerify, "git push --no-verify skips the repository's hooks; fix what the hook reports instead"))
		}
		d = Merge(d, e.push(g.args))
		if e.st.Tainted {
			d = Merge(d, e.tainted("git push"))
		}
	}
	if g.name == "commit" || g.name == "push" || g.name == "merge" || g.name == "rebase" {
		for _, kv := range c.Env {
			k, v, _ := strings.Cut(kv, "=")
			if (k == "HUSKY" && v == "0") || k == "HUSKY_SKIP_HOOKS" || (k == "SKIP" && v != "") || k == "PRE_COMMIT_ALLOW_NO_CONFIG" || k == "LEFTHOOK" && v == "0" {
				d = Merge(d, e.hit(RuleGitNoVerify, "%s turns the repository's git hooks off for this %s; fix what the hook reports instead", k, g.name))
			}
			if strings.HasPrefix(k, "GIT_CONFIG_") && strings.Contains(strings.ToLower(v), "hookspath") {
				d = Merge(d, e.hit(RuleGitHooksTamper, "%s redirects git hooks", k))
			}
		}
	}
	return d
}

func hasShortFlag(args []string, f byte) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") {
			// -m takes a value: "-nm msg" still has n, "-m" alone does not.
			if strings.IndexByte(a[1:], f) >= 0 {
				return true
			}
		}
	}
	return false
}

func (e *execCheck) push(args []string) Decision {
	force := false
	var refs []string
	for _, a := range args {
		switch {
		case a == "-f" || a == "--force" || strings.HasPrefix(a, "--force-with-lease") || a == "--force-if-includes" || a == "--mirror" || a == "--delete" || a == "-d":
			force = true
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "f"):
			force = true
		case strings.HasPrefix(a, "-"):
		default:
			refs = append(refs, a)
		}
	}
	if len(refs) > 0 {
		refs = refs[1:] // the remote
	}
	var targets []string
	for _, r := range refs {
		if strings.HasPrefix(r, "+") {
			force = true
			r = r[1:]
		}
		if strings.HasPrefix(r, ":") {
			force = true // deleting a remote branch
		}
		_, dst, ok := strings.Cut(r, ":")
		if !ok {
			dst = r
		}
		targets = append(targets, dst)
	}
	if !force {
		return Decision{Verdict: Allow}
	}
	if len(targets) == 0 {
		return e.hit(RuleGitForcePush, "git push --force without a branch may rewrite a protected branch; push a named feature branch")
	}
	for _, t := range targets {
		if strings.Contains(t, shell.Unknown) || t == "HEAD" || e.g.pol.protectedBranch(t) {
			return e.hit(RuleGitForcePush, "force-pushing to %s rewrites a protected branch's history", strings.ReplaceAll(t, shell.Unknown, "$"))
		}
	}
	return Decision{Verdict: Allow}
}

func uninstallsWarden(name string, args []string) bool {
	mentions := slices.ContainsFunc(args, func(s string) bool {
		b := path.Base(s)
		return b == "warden" || b == "warden-hook" || b == "warden-hook-c" || strings.HasPrefix(b, "warden@") || strings.HasSuffix(s, "wardenhq/warden") || strings.Contains(s, "wardenhq/warden/cmd/warden")
	})
	if !mentions || len(args) == 0 {
		return false
	}
	switch name {
	case "brew", "npm", "pnpm", "yarn", "pip", "pip3", "pipx", "cargo", "gem", "apt", "apt-get", "dnf", "yum", "snap", "go":
		for _, a := range args {
			switch a {
			case "uninstall", "remove", "rm", "purge", "erase", "un", "r", "unlink", "clean":
				return true
			}
		}
	}
	return false
}

// installCommands recognises package installs by manager and subcommand.
var installCommands = map[string][]string{
	"npm": {"install", "i", "add", "isntall", "in", "ci"}, "pnpm": {"add", "install", "i"}, "yarn": {"add", "install"},
	"bun": {"add", "install", "i"}, "pip": {"install"}, "pip3": {"install"}, "pipx": {"install"}, "uv": {"add", "pip"},
	"poetry": {"add"}, "go": {"get", "install"}, "cargo": {"add", "install"}, "gem": {"install"}, "bundle": {"add"},
	"composer": {"require"}, "dotnet": {"add"}, "npx": nil, "bunx": nil,
}

func (e *execCheck) install(c shell.Command, name string, args []string) Decision {
	subs, ok := installCommands[name]
	if !ok {
		if (name == "python" || name == "python3") && len(args) >= 3 && args[0] == "-m" && args[1] == "pip" && args[2] == "install" {
			ok = true
		} else {
			return Decision{Verdict: Allow}
		}
	}
	isInstall := name == "python" || name == "python3" || subs == nil
	sub := ""
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			sub = a
			break
		}
	}
	if !isInstall && slices.Contains(subs, sub) {
		isInstall = true
	}
	if !isInstall {
		return Decision{Verdict: Allow}
	}
	switch e.g.pol.install {
	case "ask", "deny":
		v := Ask
		if e.g.pol.install == "deny" {
			v = Deny
		}
		return Decision{Verdict: v, Rules: []string{RulePackageInstall}, Reasons: []string{fmt.Sprintf("agent.packages.install is %s: %s installs packages", e.g.pol.install, name)}}
	}
	if e.g.cfg.Installs == nil {
		return Decision{Verdict: Allow}
	}
	inst, fs, err := e.g.cfg.Installs.CheckInstall(e.ctx, c.Argv)
	if err != nil {
		return e.hit(RulePackageInstall, "the dependency gate could not check this install (%v), so it is denied (fail closed)", err)
	}
	if !inst {
		return Decision{Verdict: Allow}
	}
	var lines []string
	var blocking []finding.Finding
	for _, f := range fs {
		if f.Severity >= e.g.pol.writeFailOn {
			blocking = append(blocking, f)
			pkg := f.Metadata["package"]
			if pkg == "" {
				pkg = f.Path
			}
			lines = append(lines, fmt.Sprintf("%s: %s (%s): %s", pkg, f.RuleID, f.Severity, oneLine(f.Message)))
		}
	}
	if len(blocking) == 0 {
		return Decision{Verdict: Allow}
	}
	d := e.hit(RulePackageInstall, "the dependency gate blocks this install:\n%s", strings.Join(lines, "\n"))
	d.Findings = blocking
	return d
}
