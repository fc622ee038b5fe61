package agent_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/agent/claude"
	"github.com/wardenhq/warden/internal/agent/codex"
	"github.com/wardenhq/warden/internal/agent/copilot"
	"github.com/wardenhq/warden/internal/agent/cursor"
	"github.com/wardenhq/warden/internal/agent/gemini"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/scan/custom"
)

const (
	home    = "/home/dev"
	project = "/home/dev/proj"
)

// suiteAction is one labelled row of testdata/actions.tsv.
type suiteAction struct {
	line      int
	dangerous bool
	kind      string
	fields    []string
}

func (s suiteAction) String() string {
	return fmt.Sprintf("actions.tsv:%d %s %q", s.line, s.kind, strings.Join(s.fields, " | "))
}

func loadSuite(t testing.TB) []suiteAction {
	t.Helper()
	f, err := os.Open("testdata/actions.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []suiteAction
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 3 || (cols[0] != "D" && cols[0] != "B") {
			t.Fatalf("actions.tsv:%d: malformed row", n)
		}
		for i := range cols {
			cols[i] = unescape(cols[i])
		}
		out = append(out, suiteAction{line: n, dangerous: cols[0] == "D", kind: cols[1], fields: cols[2:]})
	}
	return out
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i+1])
			}
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// existing is the fixture project's current content, for edits.
var existing = map[string]string{
	project + "/src/settings.py":       "import os\nDEBUG = True\n",
	project + "/src/store.py":          "def get(ident):\n    return None\n",
	project + "/README.md":             "# Project\n",
	project + "/CLAUDE.md":             "# Project\n\nBuild with make.\n\n<!-- warden:begin -->\nNever hard-code secrets.\n<!-- warden:end -->\n",
	project + "/src/legacy.py":         "API_KEY = 'AKIAIOSFODNN7EXAMPLF'\n\ndef old():\n    pass\n",
	project + "/.claude/settings.json": "{\"hooks\": {}}\n",
	project + "/warden.yaml":           "version: 1\n",
	project + "/.git/hooks/pre-commit": "#!/bin/sh\nwarden scan --staged\n",
	home + "/.zshrc":                   "export PATH=$PATH:/usr/local/bin\n",
}

func readExisting(p string) ([]byte, error) {
	if s, ok := existing[p]; ok {
		return []byte(s), nil
	}
	return nil, fs.ErrNotExist
}

// suiteEngines are real engines configured the way a policy would: custom
// pattern rules for well-known secret shapes and SQL built by concatenation.
func suiteEngines(t testing.TB) []scan.Engine {
	t.Helper()
	e, err := custom.New([]policy.PatternRule{
		{ID: "aws-access-key", Regex: `\bAKIA[0-9A-Z]{16}\b`, Severity: finding.SeverityCritical, Message: "AWS access key: read it from the environment"},
		{ID: "private-key", Regex: `-----BEGIN [A-Z ]*PRIVATE KEY-----`, Severity: finding.SeverityCritical, Message: "private key: keep it out of the repository"},
		{ID: "github-token", Regex: `\bghp_[A-Za-z0-9]{36}\b`, Severity: finding.SeverityCritical, Message: "GitHub token: use a secret store"},
		{ID: "sql-concat", Regex: `(?i)execute\(\s*"[^"]*\b(select|insert|update|delete)\b[^"]*'?"\s*\+`, Severity: finding.SeverityHigh, Message: "SQL built by concatenation: use a parameterized query"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return []scan.Engine{e}
}

func suitePolicy() *policy.Policy {
	p := policy.Builtin().Policy
	p.Agent.MCP.AllowServers = []string{"github", "filesystem"}
	return &p
}

func newSuiteGuard(t testing.TB) *agent.Guard {
	t.Helper()
	engs := suiteEngines(t)
	g, err := agent.New(agent.Config{
		Policy:   suitePolicy(),
		Scanners: func() ([]scan.Engine, error) { return engs, nil },
		ReadFile: readExisting,
		Home:     home,
		Getenv: func(k string) string {
			if k == "TMPDIR" {
				return "/tmp"
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func abs(p string) string {
	switch {
	case strings.HasPrefix(p, "~/"):
		return path.Join(home, p[2:])
	case path.IsAbs(p):
		return p
	}
	return path.Join(project, p)
}

func js(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// vendorPayload renders a suite action as the vendor's hook payload, or
// returns nil when the vendor has no such action.
func vendorPayload(vendor string, a suiteAction) []byte {
	f := a.fields
	type m = map[string]any
	claudeTool := func(tool string, in m) []byte {
		return js(m{"session_id": "s1", "hook_event_name": "PreToolUse", "cwd": project, "tool_name": tool, "tool_input": in, "tool_use_id": "t1", "permission_mode": "default", "transcript_path": "/tmp/t.jsonl"})
	}
	switch vendor {
	case "claude":
		switch a.kind {
		case "exec":
			return claudeTool("Bash", m{"command": f[0], "description": "run"})
		case "read":
			return claudeTool("Read", m{"file_path": abs(f[0])})
		case "write":
			return claudeTool("Write", m{"file_path": abs(f[0]), "content": f[1]})
		case "edit":
			return claudeTool("Edit", m{"file_path": abs(f[0]), "old_string": f[1], "new_string": f[2], "replace_all": false})
		case "fetch":
			return claudeTool("WebFetch", m{"url": f[0], "prompt": "summarize"})
		case "mcp":
			return claudeTool("mcp__"+f[0]+"__"+f[1], m{"q": "x"})
		case "prompt":
			return js(m{"session_id": "s1", "hook_event_name": "UserPromptSubmit", "cwd": project, "prompt": f[0]})
		case "result":
			return js(m{"session_id": "s1", "hook_event_name": "PostToolUse", "cwd": project, "tool_name": "WebFetch", "tool_input": m{"url": "https://x"}, "tool_response": m{"result": f[0], "code": 200}})
		}
	case "gemini":
		tool := func(name string, in m) []byte {
			return js(m{"session_id": "s1", "hook_event_name": "BeforeTool", "cwd": project, "timestamp": "2026-11-23T00:00:00Z", "tool_name": name, "tool_input": in})
		}
		switch a.kind {
		case "exec":
			return tool("run_shell_command", m{"command": f[0], "description": "run"})
		case "read":
			return tool("read_file", m{"absolute_path": abs(f[0])})
		case "write":
			return tool("write_file", m{"file_path": abs(f[0]), "content": f[1]})
		case "edit":
			return tool("replace", m{"file_path": abs(f[0]), "old_string": f[1], "new_string": f[2]})
		case "fetch":
			return tool("web_fetch", m{"prompt": "Summarize " + f[0]})
		case "mcp":
			return js(m{"session_id": "s1", "hook_event_name": "BeforeTool", "cwd": project, "tool_name": f[1], "tool_input": m{}, "mcp_context": m{"server_name": f[0], "tool_name": f[1]}})
		case "prompt":
			return js(m{"session_id": "s1", "hook_event_name": "BeforeAgent", "cwd": project, "prompt": f[0]})
		case "result":
			return js(m{"session_id": "s1", "hook_event_name": "AfterTool", "cwd": project, "tool_name": "web_fetch", "tool_input": m{}, "tool_response": m{"llmContent": f[0], "returnDisplay": "ok"}})
		}
	case "codex":
		tool := func(name string, in m) []byte {
			return js(m{"session_id": "s1", "turn_id": "t", "hook_event_name": "PreToolUse", "cwd": project, "model": "gpt-5.5", "permission_mode": "never", "tool_name": name, "tool_input": in, "tool_use_id": "c1"})
		}
		switch a.kind {
		case "exec":
			return tool("Bash", m{"command": f[0]})
		case "read":
			return tool("Bash", m{"command": "cat " + agent.ShellJoin([]string{f[0]})})
		case "write":
			var b strings.Builder
			b.WriteString("*** Begin Patch\n*** Add File: " + abs(f[0]) + "\n")
			for _, l := range strings.Split(strings.TrimSuffix(f[1], "\n"), "\n") {
				b.WriteString("+" + l + "\n")
			}
			b.WriteString("*** End Patch\n")
			return tool("apply_patch", m{"command": b.String()})
		case "edit":
			var b strings.Builder
			b.WriteString("*** Begin Patch\n*** Update File: " + abs(f[0]) + "\n@@\n")
			for _, l := range strings.Split(f[1], "\n") {
				b.WriteString("-" + l + "\n")
			}
			for _, l := range strings.Split(f[2], "\n") {
				b.WriteString("+" + l + "\n")
			}
			b.WriteString("*** End Patch\n")
			return tool("apply_patch", m{"command": b.String()})
		case "fetch":
			return tool("Bash", m{"command": "curl -s " + agent.ShellJoin([]string{f[0]})})
		case "mcp":
			return tool("mcp__"+f[0]+"__"+f[1], m{})
		case "prompt":
			return js(m{"session_id": "s1", "hook_event_name": "UserPromptSubmit", "cwd": project, "prompt": f[0]})
		case "result":
			return js(m{"session_id": "s1", "hook_event_name": "PostToolUse", "cwd": project, "tool_name": "Bash", "tool_input": m{"command": "x"}, "tool_response": f[0]})
		}
	case "copilot":
		tool := func(name string, args m) []byte {
			return js(m{"sessionId": "s1", "timestamp": 1763856000000, "cwd": project, "toolName": name, "toolArgs": string(js(args))})
		}
		switch a.kind {
		case "exec":
			return tool("bash", m{"command": f[0], "description": "run"})
		case "read":
			return tool("view", m{"path": abs(f[0])})
		case "write":
			return tool("create", m{"path": abs(f[0]), "file_text": f[1]})
		case "edit":
			return tool("edit", m{"path": abs(f[0]), "old_str": f[1], "new_str": f[2]})
		case "fetch":
			return tool("web_fetch", m{"url": f[0]})
		case "mcp":
			return tool("mcp__"+f[0]+"__"+f[1], m{})
		case "prompt":
			return js(m{"sessionId": "s1", "timestamp": 1763856000000, "cwd": project, "prompt": f[0]})
		case "result":
			return js(m{"sessionId": "s1", "timestamp": 1763856000000, "cwd": project, "toolName": "web_fetch", "toolArgs": m{}, "toolResult": m{"resultType": "success", "textResultForLlm": f[0]}})
		}
	case "cursor":
		common := func(event string, extra m) []byte {
			out := m{"conversation_id": "c1", "generation_id": "g1", "hook_event_name": event, "workspace_roots": []string{project}, "cursor_version": "1.7"}
			for k, v := range extra {
				out[k] = v
			}
			return js(out)
		}
		switch a.kind {
		case "exec":
			return common("beforeShellExecution", m{"command": f[0], "cwd": project})
		case "read":
			return common("beforeReadFile", m{"file_path": abs(f[0]), "content": "", "attachments": []any{}})
		case "write":
			return common("preToolUse", m{"tool_name": "Write", "tool_input": m{"file_path": abs(f[0]), "content": f[1]}})
		case "edit":
			return common("preToolUse", m{"tool_name": "Edit", "tool_input": m{"file_path": abs(f[0]), "old_string": f[1], "new_string": f[2]}})
		case "fetch":
			return common("preToolUse", m{"tool_name": "WebFetch", "tool_input": m{"url": f[0]}})
		case "mcp":
			return common("beforeMCPExecution", m{"tool_name": f[1], "tool_input": "{}", "server": f[0]})
		case "prompt":
			return common("beforeSubmitPrompt", m{"prompt": f[0], "attachments": []any{}})
		case "result":
			return common("postToolUse", m{"tool_name": "WebFetch", "tool_input": m{}, "tool_output": f[0]})
		}
	}
	return nil
}

var vendors = []agent.Adapter{claude.Adapter{}, gemini.Adapter{}, codex.Adapter{}, copilot.Adapter{}, cursor.Adapter{}}

// blocked reports whether the decision stops the action (or, for a tool
// result, warns the agent about it).
func blocked(kind string, d agent.Decision) bool {
	if kind == "result" {
		return d.Context != ""
	}
	return d.Verdict != agent.Allow
}

type tally struct{ dangerous, dangerousBlocked, benign, benignBlocked int }

func runSuite(t *testing.T) map[string]*tally {
	suite := loadSuite(t)
	g := newSuiteGuard(t)
	getenv := func(string) string { return "" }
	out := map[string]*tally{}
	for _, ad := range vendors {
		tl := &tally{}
		out[ad.Name()] = tl
		for _, a := range suite {
			payload := vendorPayload(ad.Name(), a)
			if payload == nil {
				t.Fatalf("%s: no payload for %s", ad.Name(), a)
			}
			req, err := ad.Decode(payload, getenv)
			if err != nil {
				t.Errorf("%s: %s: decode: %v", ad.Name(), a, err)
				continue
			}
			d := g.Decide(context.Background(), req)
			b := blocked(a.kind, d)
			if a.dangerous {
				tl.dangerous++
				if b {
					tl.dangerousBlocked++
				} else {
					t.Errorf("%s: dangerous action allowed: %s", ad.Name(), a)
				}
			} else {
				tl.benign++
				if b {
					tl.benignBlocked++
					t.Logf("%s: benign action blocked: %s: %s", ad.Name(), a, d.Reason())
				}
			}
			// The answer must be what the client honours.
			resp := ad.Encode(req, d)
			if resp.Exit != 0 || !json.Valid(resp.Stdout) {
				t.Errorf("%s: %s: answer exit %d stdout %q", ad.Name(), a, resp.Exit, resp.Stdout)
			}
		}
	}
	return out
}

// TestActionSuite is the agent guard's accuracy gate: every dangerous
// action in every vendor's format is blocked, and at most 1% of benign
// ones are. Figures go to docs/ACCURACY.md (## Agent guard).
func TestActionSuite(t *testing.T) {
	res := runSuite(t)
	for _, ad := range vendors {
		tl := res[ad.Name()]
		if tl.dangerous+tl.benign < 300 {
			t.Errorf("%s: suite has %d actions, want at least 300", ad.Name(), tl.dangerous+tl.benign)
		}
		fp := float64(tl.benignBlocked) / float64(tl.benign)
		t.Logf("%-8s dangerous blocked %d/%d (%.1f%%), benign blocked %d/%d (%.2f%%)", ad.Name(),
			tl.dangerousBlocked, tl.dangerous, 100*float64(tl.dangerousBlocked)/float64(tl.dangerous), tl.benignBlocked, tl.benign, 100*fp)
		if tl.dangerousBlocked != tl.dangerous {
			t.Errorf("%s: %d dangerous actions got through (target 0)", ad.Name(), tl.dangerous-tl.dangerousBlocked)
		}
		if fp > 0.01 {
			t.Errorf("%s: %.2f%% of benign actions blocked (target <= 1%%)", ad.Name(), 100*fp)
		}
	}
}
