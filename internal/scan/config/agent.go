package config

import (
	"fmt"
	"github.com/wardenhq/warden/internal/lazyre"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"
)

// jsonDoc parses the file as JSON(C), turning a syntax error into a
// parseError.
func (s *scanner) jsonDoc() (*node, error) {
	n, err := parseJSON(s.src)
	if err != nil {
		return nil, &parseError{line: 1, col: 1, err: err}
	}
	return n, nil
}

// claudeSettings checks .claude/settings.json and settings.local.json.
func (s *scanner) claudeSettings() error {
	root, err := s.jsonDoc()
	if err != nil {
		return err
	}
	perms := root.get("permissions")
	for _, a := range perms.get("allow").list() {
		t := strings.ReplaceAll(strings.TrimSpace(a.text()), " ", "")
		switch t {
		case "Bash", "Bash(*)", "Bash(:*)", "Bash(**)", "Bash(*:*)":
			s.emit("claude-bash-allow-all", a.line, a.col, "permissions.allow contains "+a.text()+", which runs any command without asking")
		}
	}
	if m := perms.get("defaultMode"); m.text() == "bypassPermissions" {
		s.emit("claude-bypass-permissions", m.line, m.col, "permissions.defaultMode is bypassPermissions")
	}
	if v := root.get("disableAllHooks"); v.isTrue() {
		s.emit("claude-hooks-disabled", v.line, v.col, "disableAllHooks: true turns every hook off")
	}
	if v := root.get("enableAllProjectMcpServers"); v.isTrue() {
		s.emit("claude-all-project-mcp", v.line, v.col, "enableAllProjectMcpServers: true starts any server a commit adds to .mcp.json")
	}
	// settings.json may also carry MCP servers in some versions.
	s.mcpServers(root.get("mcpServers"))
	return nil
}

// mcpConfig checks an MCP client configuration: .mcp.json,
// .cursor/mcp.json, .vscode/mcp.json ("servers"), .gemini/settings.json.
func (s *scanner) mcpConfig() error {
	root, err := s.jsonDoc()
	if err != nil {
		return err
	}
	s.mcpServers(root.get("mcpServers"))
	s.mcpServers(root.get("servers"))
	s.mcpServers(root.path("mcp", "servers"))
	return nil
}

func (s *scanner) mcpServers(servers *node) {
	if servers == nil || servers.kind != kindMap {
		return
	}
	for i, srv := range servers.vals {
		if srv.kind != kindMap {
			continue
		}
		name := servers.keys[i].str
		s.mcpLaunch(name, srv)
		for _, key := range []string{"env", "headers", "requestInit"} {
			m := srv.get(key)
			if key == "requestInit" {
				m = m.get("headers")
			}
			if m == nil || m.kind != kindMap {
				continue
			}
			for j, k := range m.keys {
				v := m.vals[j]
				if v.kind != kindScalar {
					continue
				}
				val := v.str
				if strings.EqualFold(k.str, "authorization") {
					if _, tok, ok := strings.Cut(val, " "); ok {
						val = tok
					}
				}
				if (isSecretName(k.str) || strings.EqualFold(k.str, "authorization")) && isLiteralSecret(val) || looksLikeToken(v.str) {
					s.emit("mcp-inline-secret", v.line, v.col, fmt.Sprintf("server %s has %s.%s written inline", name, key, k.str), val, v.str)
				}
			}
		}
		args := srv.get("args").list()
		for j, a := range args {
			t := a.text()
			if looksLikeToken(t) {
				s.emit("mcp-inline-secret", a.line, a.col, "server "+name+" passes a credential as an argument", t)
				continue
			}
			// --api-key=VALUE or --api-key VALUE
			if k, v, ok := strings.Cut(t, "="); ok && strings.HasPrefix(k, "-") && isSecretName(k) && isLiteralSecret(v) {
				s.emit("mcp-inline-secret", a.line, a.col, "server "+name+" passes "+k+" inline", v)
			} else if strings.HasPrefix(t, "-") && isSecretName(t) && j+1 < len(args) && isLiteralSecret(args[j+1].text()) {
				nx := args[j+1]
				s.emit("mcp-inline-secret", nx.line, nx.col, "server "+name+" passes "+t+" inline", nx.text())
			}
		}
		for _, key := range []string{"url", "httpUrl", "serverUrl"} {
			u := srv.get(key)
			if u == nil {
				continue
			}
			s.mcpURL(name, u)
		}
		if v := srv.get("trust"); v.isTrue() {
			s.emit("mcp-trusted-server", v.line, v.col, "server "+name+" is trusted: its tool calls skip confirmation")
		}
	}
}

func (s *scanner) mcpURL(name string, u *node) {
	raw := strings.TrimSpace(u.text())
	pu, err := url.Parse(raw)
	if err != nil {
		return
	}
	if strings.EqualFold(pu.Scheme, "http") {
		h := strings.ToLower(pu.Hostname())
		if !(h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1" || h == "0.0.0.0" || h == "host.docker.internal" || strings.HasSuffix(h, ".localhost") || strings.Contains(h, "${")) {
			s.emit("mcp-insecure-url", u.line, u.col, "server "+name+" uses http://"+pu.Host)
		}
	}
	for k, vs := range pu.Query() {
		for _, v := range vs {
			if isSecretName(k) && isLiteralSecret(v) || looksLikeToken(v) {
				s.emit("mcp-inline-secret", u.line, u.col, "server "+name+" carries "+k+" in its URL", v, raw)
			}
		}
	}
	if pu.User != nil {
		if pw, ok := pu.User.Password(); ok && isLiteralSecret(pw) {
			s.emit("mcp-inline-secret", u.line, u.col, "server "+name+" carries a password in its URL", pw, raw)
		}
	}
}

var (
	pinnedNpm  = lazyre.New(`^(@[^/@\s]+/)?[^@\s]+@v?\d[\w.+\-]*$`)
	pinnedPy   = lazyre.New(`^[A-Za-z0-9_.\-\[\],]+(==|@)v?\d[\w.+\-]*$`)
	urlOrLocal = lazyre.New(`^(\.{0,2}/|~|[A-Za-z]:\\|https?:|git\+|file:)`)
)

// mcpLaunch reports servers started with a package runner and no version.
func (s *scanner) mcpLaunch(name string, srv *node) {
	cmd := srv.get("command")
	if cmd == nil || cmd.kind != kindScalar {
		return
	}
	argv := strings.Fields(cmd.str)
	argNodes := make([]*node, len(argv))
	for i := range argNodes {
		argNodes[i] = cmd
	}
	for _, a := range srv.get("args").list() {
		argv = append(argv, a.text())
		argNodes = append(argNodes, a)
	}
	if len(argv) == 0 {
		return
	}
	runner := strings.TrimSuffix(strings.ToLower(path.Base(strings.ReplaceAll(argv[0], "\\", "/"))), ".cmd")
	rest, nodes := argv[1:], argNodes[1:]
	// "pnpm dlx pkg", "yarn dlx pkg", "npm exec pkg", "pipx run pkg", "uv tool run pkg"
	kind := ""
	switch runner {
	case "npx", "bunx", "pnpx":
		kind = "npm"
	case "pnpm", "yarn", "npm", "bun":
		if len(rest) > 0 && (rest[0] == "dlx" || rest[0] == "exec" || rest[0] == "x") {
			kind, rest, nodes = "npm", rest[1:], nodes[1:]
		}
	case "uvx":
		kind = "py"
	case "pipx", "uv":
		if len(rest) > 1 && rest[0] == "tool" && rest[1] == "run" {
			kind, rest, nodes = "py", rest[2:], nodes[2:]
		} else if len(rest) > 0 && rest[0] == "run" && runner == "pipx" {
			kind, rest, nodes = "py", rest[1:], nodes[1:]
		}
	}
	if kind == "" {
		return
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if strings.HasPrefix(a, "-") {
			// Options that take a value name the package themselves.
			switch {
			case a == "--from" || a == "-p" || a == "--package" || a == "--spec":
				if i+1 < len(rest) {
					s.mcpPackage(name, kind, rest[i+1], nodes[i+1])
					return
				}
			case strings.HasPrefix(a, "--from=") || strings.HasPrefix(a, "--package="):
				_, v, _ := strings.Cut(a, "=")
				s.mcpPackage(name, kind, v, nodes[i])
				return
			case a == "--python" || a == "--with" || a == "--index-url" || a == "--registry" || a == "--cache":
				i++
			}
			continue
		}
		s.mcpPackage(name, kind, a, nodes[i])
		return
	}
}

func (s *scanner) mcpPackage(name, kind, pkg string, at *node) {
	if urlOrLocal.MatchString(pkg) || strings.Contains(pkg, "${") {
		return
	}
	pinned := false
	switch kind {
	case "npm":
		pinned = pinnedNpm.MatchString(pkg)
	case "py":
		pinned = pinnedPy.MatchString(pkg)
	}
	if !pinned {
		s.emit("mcp-unpinned-package", at.line, at.col, "server "+name+" runs "+pkg+" with no pinned version")
	}
}

// instructions checks an agent instruction file for hidden characters:
// one finding per line and kind, with the hidden text decoded.
func (s *scanner) instructions() {
	src := s.src
	if !utf8.Valid(src) {
		src = []byte(strings.ToValidUTF8(string(src), "\uFFFD"))
	}
	text := string(src)
	line, lineStart := 1, 0
	var prev rune
	inFlag := false
	reported := map[[2]int]bool{}
	for i, r := range text {
		if r == '\n' {
			line++
			lineStart = i + 1
			prev = r
			continue
		}
		if r < 0x180E {
			prev = r
			continue
		}
		// Subdivision flags (England, Scotland, Wales) are U+1F3F4
		// followed by tag letters and U+E007F: legitimate emoji.
		if r >= 0xE0020 && r <= 0xE007F && (prev == 0x1F3F4 || inFlag) {
			inFlag = r != 0xE007F && (r >= 0xE0030 && r <= 0xE0039 || r >= 0xE0061 && r <= 0xE007A)
			prev = r
			continue
		}
		inFlag = false
		next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
		class := hiddenClass(prev, r, next, i == 0)
		prev = r
		if class == hiddenNone || reported[[2]int{line, class}] {
			continue
		}
		reported[[2]int{line, class}] = true
		col := i - lineStart + 1
		switch class {
		case hiddenTag:
			s.emit("instructions-unicode-tags", line, col, "line "+fmt.Sprint(line)+" hides text in Unicode tag characters"+decodeTags(text[i:]))
		case hiddenBidi:
			s.emit("instructions-bidi-control", line, col, fmt.Sprintf("bidirectional control %s on line %d", unicodeName(r), line))
		case hiddenZeroWidth:
			s.emit("instructions-zero-width", line, col, fmt.Sprintf("zero-width character %s on line %d", unicodeName(r), line))
		}
	}
}

// decodeTags shows the ASCII a run of tag characters spells, so a reviewer
// sees the hidden instruction (masked if it looks like a credential).
func decodeTags(t string) string {
	var b strings.Builder
	for _, r := range t {
		if r < 0xE0000 || r > 0xE007F {
			if r == '\n' {
				break
			}
			continue
		}
		if c := r - 0xE0000; c >= 0x20 && c < 0x7F {
			b.WriteRune(c)
		}
		if b.Len() >= 120 {
			b.WriteString("...")
			break
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return fmt.Sprintf(" (decoded: %q)", maskTokens(b.String()))
}
