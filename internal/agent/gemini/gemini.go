// Package gemini is the Gemini CLI hook dialect.
//
// Gemini CLI honours {"decision":"deny","reason":...} on stdout (it wins over
// the exit code) and blocks on exit 2 only when there is output; it fails
// open on exit 1, on exit 2 with no output, on a timeout and on invalid
// JSON. An "ask" answer hangs a headless run, so warden never asks Gemini:
// ask becomes deny with a reason saying a human must approve.
package gemini

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/agent"
)

// Adapter is the Gemini CLI dialect.
type Adapter struct{}

func (Adapter) Name() string { return "gemini" }

var events = map[string]agent.Event{
	"BeforeTool":   agent.EventPreTool,
	"AfterTool":    agent.EventPostTool,
	"BeforeAgent":  agent.EventPrompt,
	"SessionStart": agent.EventSessionStart,
	"SessionEnd":   agent.EventSessionEnd,
	"AfterAgent":   agent.EventStop,
}

var harmless = map[string]bool{
	"save_memory": true, "write_todos": true, "activate_skill": true, "ask_user": true, "exit_plan_mode": true,
	"enter_plan_mode": true, "get_internal_docs": true,
}

var fields = agent.Fields{
	Agent: "gemini", Events: events, Session: "session_id", Tool: "tool_name", Input: "tool_input",
	Results: []string{"tool_response"}, StopActive: "stop_hook_active", Tools: toolActions,
}

func (Adapter) Decode(b []byte, getenv func(string) string) (*agent.Request, error) {
	return fields.Decode(b, getenv("GEMINI_PROJECT_DIR"))
}

func toolActions(base agent.Action, tool string, in, p *agent.Payload) ([]agent.Action, error) {
	a := base
	a.Tool = tool
	acts := []agent.Action{}
	if p.Has("mcp_context") {
		// An MCP tool may share a name with a built-in one: mcp_context says which.
		mc := p.Sub("mcp_context")
		a.Kind = agent.KindMCP
		a.MCPServer = mc.Need("server_name")
		a.MCPTool = mc.Str("tool_name")
		if a.MCPTool == "" {
			a.MCPTool = tool
		}
		p.Collect(mc)
		return []agent.Action{a}, p.Err()
	}
	switch tool {
	case "run_shell_command":
		a.Kind = agent.KindExec
		a.Command = in.Need("command")
		if d := in.Str("dir_path"); d != "" {
			a.Cwd = joinDir(a.Cwd, d)
		} else if d := in.Str("directory"); d != "" {
			a.Cwd = joinDir(a.Cwd, d)
		}
	case "write_file":
		a.Kind = agent.KindWrite
		a.Path = in.First("file_path", "absolute_path", "path")
		a.Content = in.Need("content")
	case "replace", "edit":
		a.Kind = agent.KindEdit
		a.Path = in.First("file_path", "absolute_path", "path")
		a.Edits = []agent.Edit{{Old: in.Need("old_string"), New: in.Need("new_string"), All: in.Int("expected_replacements") > 1}}
	case "read_file":
		a.Kind = agent.KindRead
		a.Path = in.First("absolute_path", "file_path", "path")
	case "read_many_files":
		paths := in.Strs("paths")
		if len(paths) == 0 {
			paths = in.Strs("include")
		}
		for _, x := range paths {
			r := a
			r.Kind = agent.KindRead
			r.Path = x
			acts = append(acts, r)
		}
		if len(acts) == 0 {
			a.Kind = agent.KindSearch
		}
	case "list_directory", "glob", "search_file_content", "grep", "grep_search", "ls":
		a.Kind = agent.KindSearch
		a.Path = in.Str("dir_path")
		if a.Path == "" {
			a.Path = in.Str("path")
		}
		a.Query = in.Str("pattern")
	case "web_fetch":
		urls := []string{}
		if u := in.Str("url"); u != "" {
			urls = append(urls, u)
		}
		urls = append(urls, agent.URLs(in.Str("prompt"))...)
		if len(urls) == 0 {
			return nil, fmt.Errorf("invalid hook input: web_fetch names no URL")
		}
		for _, u := range urls {
			f := a
			f.Kind = agent.KindFetch
			f.URL = u
			acts = append(acts, f)
		}
	case "google_web_search", "web_search":
		a.Kind = agent.KindSearch
		a.Query = in.Str("query")
	case "codebase_investigator", "delegate_to_agent", "task":
		a.Kind = agent.KindTask
		a.Prompt = in.Text("objective") + in.Text("prompt")
	default:
		if server, name, ok := agent.MCPName(tool); ok {
			a.Kind = agent.KindMCP
			a.MCPServer, a.MCPTool = server, name
		} else if harmless[tool] {
			a.Kind = agent.KindTool
		} else {
			a.Kind = agent.KindUnknown
		}
	}
	if err := in.Err(); err != nil {
		return nil, fmt.Errorf("%s tool_input: %w", tool, err)
	}
	if len(acts) == 0 {
		acts = append(acts, a)
	}
	return acts, nil
}

func joinDir(cwd, d string) string {
	if strings.HasPrefix(d, "/") || cwd == "" {
		return d
	}
	return strings.TrimSuffix(cwd, "/") + "/" + d
}

func deny(reason string) map[string]any {
	return map[string]any{"decision": "deny", "reason": reason}
}

func (Adapter) Encode(req *agent.Request, d agent.Decision) agent.Response {
	out := map[string]any{}
	reason := d.Reason()
	if d.Verdict == agent.Ask {
		reason += " (a human must approve this; Gemini CLI cannot ask in this mode, so warden denies it)"
	}
	switch req.Event {
	case agent.EventPreTool, agent.EventPrompt, agent.EventStop:
		if d.Verdict != agent.Allow {
			out = deny(reason)
		}
	case agent.EventPostTool:
		if d.Context != "" {
			out = map[string]any{"hookSpecificOutput": map[string]any{"hookEventName": "AfterTool", "additionalContext": d.Context}}
		}
	case agent.EventSessionStart:
		if d.Context != "" {
			out = map[string]any{"hookSpecificOutput": map[string]any{"hookEventName": "SessionStart", "additionalContext": d.Context}}
		}
	}
	return agent.Response{Stdout: agent.JSON(out)}
}

// Fail denies with JSON on stdout (which Gemini honours whatever the exit
// code) and exit 2 with the reason on stderr as a second line of defence.
func (Adapter) Fail(req *agent.Request, reason string) agent.Response {
	return agent.Response{Stdout: agent.JSON(deny("warden: " + reason)), Stderr: "warden: " + reason + "\n", Exit: 2}
}
