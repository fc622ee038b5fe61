// Package config is the configuration engine: it checks the files that set
// up where code runs and what an AI agent may do (Dockerfiles, GitHub
// Actions workflows, Kubernetes manifests, Docker Compose files, Terraform,
// CloudFormation, agent settings, MCP server configurations and agent
// instruction files) against rules kept as data in rules.go.
//
// Every check works on a parsed tree (YAML and JSON nodes, HCL syntax, a
// Dockerfile instruction list), so findings point at the line and column of
// the offending key or value. No finding carries a secret value: snippets
// are masked with redact.Mask.
package config

import (
	"context"
	"errors"
	"fmt"
	"github.com/wardenhq/warden/internal/lazyre"
	"path"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/redact"
	"github.com/wardenhq/warden/internal/scan"
)

// EngineName is the engine's id in policy and output.
const EngineName = "config"

// maxFileSize is the largest file the engine parses; configuration files
// are small, and a larger one is a generated artefact or data.
const maxFileSize = 4 << 20

// Engine is the configuration engine. Its zero value is not usable; call
// New. It holds no per-scan state and is safe for concurrent use.
type Engine struct{}

var (
	_ scan.Engine     = (*Engine)(nil)
	_ scan.PathFilter = (*Engine)(nil)
)

// New returns the configuration engine with every built-in rule.
func New() *Engine { return &Engine{} }

// Name implements scan.Engine.
func (*Engine) Name() string { return EngineName }

// Rules implements scan.Engine: every rule the engine may report.
func (*Engine) Rules() []finding.Rule {
	out := make([]finding.Rule, 0, len(ruleTable))
	for _, r := range ruleTable {
		out = append(out, r.rule())
	}
	return out
}

// Wants implements scan.PathFilter: only files whose name says they may
// be configuration are read.
func (*Engine) Wants(p string) bool { return detect(p) != formatNone }

// Scan implements scan.Engine.
func (e *Engine) Scan(ctx context.Context, f scan.File, report func(finding.Finding)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	format := detect(f.Path)
	if format == formatNone || len(f.Content) > maxFileSize {
		return nil
	}
	s := &scanner{path: f.Path, src: f.Content, report: report}
	s.lines = newLineIndex(f.Content)
	var err error
	switch format {
	case formatDockerfile:
		err = s.dockerfile()
	case formatWorkflow:
		err = s.workflow()
	case formatCompose:
		err = s.compose()
	case formatTerraform:
		err = s.terraform()
	case formatClaudeSettings:
		err = s.claudeSettings()
	case formatMCP:
		err = s.mcpConfig()
	case formatInstructions:
		s.instructions()
	case formatYAML, formatJSON:
		s.genericDocument(format)
	}
	if err != nil {
		// The file is certainly configuration of this kind and cannot be
		// read: say so rather than pass it silently.
		var pe *parseError
		line, col := 1, 1
		if errors.As(err, &pe) {
			line, col = pe.line, pe.col
		}
		s.emit(ruleUnparsable, line, col, fmt.Sprintf("%s could not be parsed (%s), so no configuration rule checked it", f.Path, sanitizeErr(err)))
	}
	return nil
}

// parseError carries the position of a syntax error when the parser gave one.
type parseError struct {
	line, col int
	err       error
}

func (e *parseError) Error() string { return e.err.Error() }
func (e *parseError) Unwrap() error { return e.err }

// sanitizeErr shortens a parser's error and masks anything in it that could
// be a secret (parsers quote the offending text).
func sanitizeErr(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return maskTokens(msg)
}

// scanner holds one file while its checks run.
type scanner struct {
	path   string
	src    []byte
	lines  lineIndex
	report func(finding.Finding)
	// seen drops a second report of one rule at one position (a check
	// reached twice through YAML aliases, say).
	seen map[[3]int]bool
	ids  map[string]int
}

// emit reports rule id at line:col with detail, the finding-specific part
// of the message; the rule's fix is appended.
func (s *scanner) emit(id string, line, col int, detail string, secrets ...string) {
	r, ok := ruleIndex[id]
	if !ok {
		panic("config: unknown rule " + id) // a programming error, not input
	}
	if s.seen == nil {
		s.seen = map[[3]int]bool{}
		s.ids = map[string]int{}
	}
	idn, ok := s.ids[id]
	if !ok {
		idn = len(s.ids)
		s.ids[id] = idn
	}
	key := [3]int{idn, line, col}
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	snippet := s.snippet(line, secrets)
	msg := detail
	if msg != "" && !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	msg = strings.TrimSpace(msg + " " + r.fix)
	for _, sec := range secrets {
		if sec != "" {
			msg = strings.ReplaceAll(msg, sec, redact.Mask(sec))
		}
	}
	f := finding.Finding{
		RuleID:   r.id,
		Engine:   EngineName,
		Severity: r.severity,
		Title:    r.title,
		Message:  msg,
		CWE:      r.cwe,
		Location: finding.Location{
			Path:        s.path,
			StartLine:   line,
			StartColumn: col,
			EndLine:     line,
		},
		Snippet:     snippet,
		Fingerprint: finding.Fingerprint(r.id, s.path, snippet),
	}
	if line >= 1 && line <= len(s.lines) {
		f.EndColumn = len(s.lineText(line)) + 1
	}
	s.report(f)
}

// lineText returns line n (1-based) without its newline.
func (s *scanner) lineText(n int) string {
	if n < 1 || n > len(s.lines) {
		return ""
	}
	start := s.lines[n-1]
	end := len(s.src)
	if n < len(s.lines) {
		end = s.lines[n] - 1
	}
	if end < start {
		return ""
	}
	return strings.TrimRight(string(s.src[start:end]), "\r")
}

// snippet is the finding's line, trimmed and shortened, with known secrets
// and anything that looks like a credential masked.
func (s *scanner) snippet(line int, secrets []string) string {
	t := strings.TrimSpace(s.lineText(line))
	for _, sec := range secrets {
		if sec != "" {
			t = strings.ReplaceAll(t, sec, redact.Mask(sec))
		}
	}
	t = maskTokens(t)
	t = stripInvisible(t)
	if len(t) > 200 {
		cut := 200
		for cut > 0 && !isRuneStart(t[cut]) {
			cut--
		}
		t = t[:cut] + "..."
	}
	return t
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// credentialish matches long tokens mixing letters and digits: API keys,
// tokens, hex digests. They are masked in snippets because the line a
// config rule points at may also hold a credential no rule looked at.
var credentialish = lazyre.New(`[A-Za-z0-9_\-+/=.]{20,}`)

func maskTokens(t string) string {
	idx := credentialish.FindAllStringIndex(t, -1)
	if idx == nil {
		return t
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		tok := t[m[0]:m[1]]
		before := t[:m[0]]
		switch {
		case strings.Contains(tok, "****(") || !hasLetterAndDigit(tok) || strings.Count(tok, "/") > 2 || strings.Count(tok, ".") > 3:
			continue // a path, a version, an already masked value
		case isHex(tok) && (strings.HasSuffix(before, "sha256:") || strings.HasSuffix(before, "sha512:") || strings.HasSuffix(before, "@") && len(tok) == 40):
			continue // an image digest or a commit pin: what the rules ask for
		}
		b.WriteString(t[last:m[0]])
		b.WriteString(redact.Mask(tok))
		last = m[1]
	}
	b.WriteString(t[last:])
	return b.String()
}

func isHex(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func hasLetterAndDigit(t string) bool {
	var l, d bool
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			d = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			l = true
		}
	}
	return l && d
}

// format is the kind of configuration a path holds.
type format uint8

const (
	formatNone format = iota
	formatDockerfile
	formatWorkflow
	formatCompose
	formatTerraform
	formatClaudeSettings
	formatMCP
	formatInstructions
	// formatYAML and formatJSON may be Kubernetes or CloudFormation; the
	// content decides.
	formatYAML
	formatJSON
)

// detect classifies a slash-separated path.
func detect(p string) format {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	base := path.Base(p)
	lower := strings.ToLower(base)
	dir := path.Dir(p)
	ext := strings.ToLower(path.Ext(base))
	switch {
	case lower == "dockerfile" || lower == "containerfile" ||
		(strings.HasPrefix(lower, "dockerfile.") || strings.HasPrefix(lower, "containerfile.")) && !notDockerfileExt[ext] ||
		strings.HasSuffix(lower, ".dockerfile") || strings.HasSuffix(lower, ".containerfile"):
		return formatDockerfile
	case (ext == ".yml" || ext == ".yaml") && (dir == ".github/workflows" || strings.HasSuffix(dir, "/.github/workflows")):
		return formatWorkflow
	case isComposeName(lower):
		return formatCompose
	case ext == ".tf":
		return formatTerraform
	case (base == "settings.json" || base == "settings.local.json") && inDir(dir, ".claude"):
		return formatClaudeSettings
	case base == ".mcp.json" || lower == "claude_desktop_config.json" ||
		(base == "mcp.json" && (inDir(dir, ".cursor") || inDir(dir, ".vscode") || inDir(dir, ".roo"))) ||
		(base == "settings.json" && inDir(dir, ".gemini")):
		return formatMCP
	case isInstructions(p, base, dir):
		return formatInstructions
	case ext == ".yml" || ext == ".yaml":
		return formatYAML
	case ext == ".json" || ext == ".template":
		return formatJSON
	}
	return formatNone
}

// notDockerfileExt are extensions that make "Dockerfile.x" source code or
// documentation about Dockerfiles (dockerfile.go, Dockerfile.md), not a
// Dockerfile variant (Dockerfile.prod, Dockerfile.alpine).
var notDockerfileExt = map[string]bool{
	".go": true, ".md": true, ".py": true, ".js": true, ".ts": true, ".rs": true, ".java": true, ".rb": true,
	".json": true, ".yaml": true, ".yml": true, ".txt": true, ".toml": true, ".sh": true, ".html": true,
	".lock": true, ".snap": true, ".golden": true, ".orig": true, ".rej": true, ".swp": true, ".bak": true,
}

func inDir(dir, name string) bool { return dir == name || strings.HasSuffix(dir, "/"+name) }

func isComposeName(lower string) bool {
	for _, pre := range []string{"docker-compose", "compose"} {
		if !strings.HasPrefix(lower, pre) {
			continue
		}
		rest := lower[len(pre):]
		if rest == ".yml" || rest == ".yaml" {
			return true
		}
		if strings.HasPrefix(rest, ".") && (strings.HasSuffix(rest, ".yml") || strings.HasSuffix(rest, ".yaml")) {
			return true // docker-compose.prod.yml
		}
	}
	return false
}

func isInstructions(p, base, dir string) bool {
	switch base {
	case "CLAUDE.md", "CLAUDE.local.md", "AGENTS.md", "AGENT.md", "GEMINI.md", ".cursorrules", ".windsurfrules", ".clinerules":
		return true
	case "copilot-instructions.md":
		return inDir(dir, ".github")
	}
	if strings.HasSuffix(base, ".instructions.md") && strings.Contains("/"+dir+"/", "/.github/instructions/") {
		return true
	}
	return strings.Contains("/"+p, "/.cursor/rules/") || strings.Contains("/"+p, "/.windsurf/rules/") || strings.Contains("/"+p, "/.clinerules/")
}
