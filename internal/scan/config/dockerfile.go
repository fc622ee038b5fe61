package config

import (
	"encoding/json"
	"github.com/wardenhq/warden/internal/lazyre"
	"strings"
)

// instruction is one Dockerfile instruction after joining continuation
// lines and heredocs.
type instruction struct {
	cmd  string // upper-cased keyword: FROM, RUN, USER...
	args string // the rest, continuation lines joined with a space
	// body is the text of any heredocs the instruction carries.
	body string
	line int // where the keyword is
	col  int
}

var (
	heredocStart    = lazyre.New(`<<(-?)\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?`)
	escapeDirective = lazyre.New(`(?i)^#\s*escape\s*=\s*(\S)`)
)

// maxInstructions bounds the work on a hostile file.
const maxInstructions = 100000

// parseDockerfile splits a Dockerfile into instructions. It never fails:
// Docker's own parser accepts almost anything and so does this one, keeping
// what it can place.
func parseDockerfile(src []byte) []instruction {
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	escape := byte('\\')
	var out []instruction
	directives := true
	for i := 0; i < len(lines) && len(out) < maxInstructions; i++ {
		raw := lines[i]
		trimmed := strings.TrimSpace(raw)
		if strings.HasPrefix(trimmed, "#") {
			if directives {
				if m := escapeDirective.FindStringSubmatch(trimmed); m != nil && (m[1] == "`" || m[1] == "\\") {
					escape = m[1][0]
				}
			}
			continue
		}
		if trimmed == "" {
			continue
		}
		directives = false
		start := i
		col := len(raw) - len(strings.TrimLeft(raw, " \t")) + 1
		var b strings.Builder
		text := trimmed
		for {
			t := strings.TrimRight(text, " \t")
			if len(t) > 0 && t[len(t)-1] == escape && i+1 < len(lines) {
				b.WriteString(t[:len(t)-1])
				b.WriteByte(' ')
				i++
				// Comment lines inside a continuation are dropped.
				for i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
					i++
				}
				text = strings.TrimSpace(lines[i])
				continue
			}
			b.WriteString(t)
			break
		}
		full := b.String()
		kw, rest, _ := strings.Cut(full, " ")
		if k2, r2, ok := strings.Cut(kw, "\t"); ok {
			kw, rest = k2, r2+" "+rest
		}
		in := instruction{cmd: strings.ToUpper(kw), args: strings.TrimSpace(rest), line: start + 1, col: col}
		// Heredocs: RUN <<EOF ... EOF (BuildKit).
		if in.cmd == "RUN" || in.cmd == "COPY" || in.cmd == "ADD" {
			var body strings.Builder
			for _, m := range heredocStart.FindAllStringSubmatch(in.args, 4) {
				dash, word := m[1] == "-", m[2]
				for i+1 < len(lines) {
					i++
					l := lines[i]
					if dash {
						l = strings.TrimLeft(l, "\t")
					}
					if strings.TrimRight(l, " \r") == word {
						break
					}
					body.WriteString(lines[i])
					body.WriteByte('\n')
				}
			}
			in.body = body.String()
		}
		out = append(out, in)
	}
	return out
}

// runText is a RUN instruction's command: exec form joined, heredoc body
// appended.
func runText(in instruction) string {
	args := stripFlags(in.args)
	if strings.HasPrefix(args, "[") {
		var argv []string
		if json.Unmarshal([]byte(args), &argv) == nil {
			args = strings.Join(argv, " ")
		}
	}
	if in.body != "" {
		args += "\n" + in.body
	}
	return args
}

// stripFlags drops leading --flag=value options (RUN --mount=..., COPY
// --chown=..., FROM --platform=...).
func stripFlags(args string) string {
	for strings.HasPrefix(args, "--") {
		_, rest, ok := strings.Cut(args, " ")
		if !ok {
			return ""
		}
		args = strings.TrimSpace(rest)
	}
	return args
}

// flagValue returns the value of a leading --name=value flag.
func flagValue(args, name string) (string, bool) {
	for strings.HasPrefix(args, "--") {
		f, rest, _ := strings.Cut(args, " ")
		if k, v, ok := strings.Cut(f[2:], "="); ok && k == name {
			return v, true
		}
		args = strings.TrimSpace(rest)
	}
	return "", false
}

type dockerStage struct {
	name     string
	from     instruction
	base     string
	lastUser *instruction
	// inheritsUser is true when the stage is built on an earlier stage
	// whose user is not root.
	inheritsNonRoot bool
	nonRootBase     bool
}

var dockerVar = lazyre.New(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}?`)

func (s *scanner) dockerfile() error {
	ins := parseDockerfile(s.src)
	globalArgs := map[string]string{}
	var stages []*dockerStage
	byName := map[string]*dockerStage{}
	for idx := range ins {
		in := ins[idx]
		switch in.cmd {
		case "ARG":
			name, val, hasVal := strings.Cut(in.args, "=")
			name = strings.TrimSpace(name)
			val = unquote(strings.TrimSpace(val))
			if len(stages) == 0 && hasVal {
				globalArgs[name] = val
			}
			if hasVal && isSecretName(name) && isLiteralSecret(val) {
				s.emit("docker-secret-in-env", in.line, in.col, "ARG "+name+" has a hard-coded default value", val)
			}
		case "ENV":
			for _, kv := range envPairs(in.args) {
				if isSecretName(kv[0]) && isLiteralSecret(kv[1]) {
					s.emit("docker-secret-in-env", in.line, in.col, "ENV "+kv[0]+" holds a hard-coded value", kv[1])
				}
			}
		case "FROM":
			args := stripFlags(in.args)
			fields := strings.Fields(args)
			if len(fields) == 0 {
				continue
			}
			img := dockerVar.ReplaceAllStringFunc(fields[0], func(v string) string {
				m := dockerVar.FindStringSubmatch(v)
				if val, ok := globalArgs[m[1]]; ok {
					return val
				}
				if m[3] != "" {
					return m[3]
				}
				return v
			})
			st := &dockerStage{from: in, base: img}
			if len(fields) >= 3 && strings.EqualFold(fields[1], "as") {
				st.name = strings.ToLower(fields[2])
			}
			if prev, ok := byName[strings.ToLower(img)]; ok {
				st.inheritsNonRoot = prev.endsNonRoot()
			} else {
				s.checkBaseImage(in, img)
				st.nonRootBase = nonRootImage(img)
			}
			stages = append(stages, st)
			if st.name != "" {
				byName[st.name] = st
			}
		case "USER":
			if len(stages) > 0 {
				u := in
				stages[len(stages)-1].lastUser = &u
			}
		case "RUN":
			cmd := runText(in)
			lower := asciiLower(cmd)
			if pipeToShell(lower) >= 0 {
				s.emit("docker-pipe-to-shell", in.line, in.col, "RUN pipes a downloaded script into an interpreter")
			}
			if tlsOff(lower) {
				s.emit("docker-tls-disabled", in.line, in.col, "RUN turns off TLS or signature verification")
			}
			if worldWritable(lower) {
				s.emit("docker-chmod-777", in.line, in.col, "RUN makes files world-writable")
			}
			if sudoCall(lower) {
				s.emit("docker-sudo", in.line, in.col, "RUN calls sudo")
			}
		case "ADD":
			args := in.args
			if _, ok := flagValue(args, "checksum"); ok {
				continue
			}
			for _, f := range strings.Fields(stripFlags(args)) {
				lf := strings.ToLower(strings.Trim(f, `[",`))
				// A git source (repo.git#ref) is cloned, not downloaded: out of scope.
				if (strings.HasPrefix(lf, "http://") || strings.HasPrefix(lf, "https://")) && !strings.Contains(lf, ".git#") && !strings.HasSuffix(lf, ".git") {
					s.emit("docker-add-url", in.line, in.col, "ADD fetches a remote URL with no checksum")
					break
				}
			}
		case "EXPOSE":
			for _, p := range strings.Fields(in.args) {
				if p == "22" || strings.HasPrefix(p, "22/") {
					s.emit("docker-expose-ssh", in.line, in.col, "EXPOSE publishes port 22")
				}
			}
		}
	}
	if len(stages) == 0 {
		return nil
	}
	final := stages[len(stages)-1]
	switch {
	case final.lastUser != nil && isRootUser(final.lastUser.args):
		s.emit("docker-user-root", final.lastUser.line, final.lastUser.col, "the final stage's last USER is root")
	case final.lastUser == nil && !final.inheritsNonRoot && !final.nonRootBase:
		s.emit("docker-no-user", final.from.line, final.from.col, "the final stage (FROM "+final.base+") never sets USER, so the container runs as root")
	}
	return nil
}

func (st *dockerStage) endsNonRoot() bool {
	if st.lastUser != nil {
		return !isRootUser(st.lastUser.args)
	}
	return st.inheritsNonRoot || st.nonRootBase
}

func isRootUser(u string) bool {
	u = strings.TrimSpace(u)
	name, _, _ := strings.Cut(u, ":")
	return name == "root" || name == "0"
}

// nonRootImage recognises base images documented to run as a non-root user.
func nonRootImage(img string) bool {
	l := strings.ToLower(img)
	return strings.Contains(l, ":nonroot") || strings.Contains(l, "-nonroot") || strings.Contains(l, "rootless") ||
		strings.HasPrefix(l, "cgr.dev/chainguard/")
}

// checkBaseImage reports latest or missing tags on a FROM image.
func (s *scanner) checkBaseImage(in instruction, img string) {
	if strings.EqualFold(img, "scratch") || strings.Contains(img, "$") {
		return
	}
	repo, tag, digest := splitImage(img)
	switch {
	case digest:
		return
	case tag == "latest":
		s.emit("docker-latest-tag", in.line, in.col, "FROM "+repo+":latest follows whatever the tag points at today")
	case tag == "":
		s.emit("docker-untagged-image", in.line, in.col, "FROM "+repo+" has no tag, so it means latest")
	}
}

// splitImage splits an image reference into repository, tag and whether it
// has a digest. A registry port (host:5000/img) is not a tag.
func splitImage(img string) (repo, tag string, digest bool) {
	if i := strings.Index(img, "@"); i >= 0 {
		return img[:i], "", true
	}
	slash := strings.LastIndex(img, "/")
	if c := strings.LastIndex(img, ":"); c > slash {
		return img[:c], img[c+1:], false
	}
	return img, "", false
}

// envPairs reads ENV arguments: "K=V K2=V2" or the legacy "K V".
func envPairs(args string) [][2]string {
	args = strings.TrimSpace(args)
	if args == "" {
		return nil
	}
	first := strings.Fields(args)[0]
	if !strings.Contains(first, "=") {
		k, v, _ := strings.Cut(args, " ")
		return [][2]string{{k, unquote(strings.TrimSpace(v))}}
	}
	var out [][2]string
	for _, tok := range shellWords(args) {
		k, v, ok := strings.Cut(tok, "=")
		if ok {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// shellWords splits on blanks outside quotes, dropping the quotes.
func shellWords(s string) []string {
	var out []string
	var b strings.Builder
	var quote byte
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else {
				b.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, b.String())
				b.Reset()
				inWord = false
			}
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			inWord = true
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, b.String())
	}
	return out
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}
