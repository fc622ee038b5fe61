// Package cursor is the Cursor hook dialect (.cursor/hooks.json). Cursor is
// not installable on CI machines, so this dialect is tested on payloads
// shaped as Cursor documents them (testdata).
//
// Every payload carries hook_event_name, conversation_id and
// workspace_roots. Before-events answer {"permission":"allow|deny|ask",
// "user_message","agent_message"}; beforeSubmitPrompt answers
// {"continue":false}; stop can answer {"followup_message"} to keep the
// agent working. Exit 2 also blocks.
package cursor

import (
	"fmt"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/agent/claude"
)

// Adapter is the Cursor dialect.
type Adapter struct{}

func (Adapter) Name() string { return "cursor" }

var events = map[string]agent.Event{
	"beforeShellExecution": agent.EventPreTool, "beforeMCPExecution": agent.EventPreTool,
	"beforeReadFile": agent.EventPreTool, "preToolUse": agent.EventPreTool,
	"afterFileEdit": agent.EventPostTool, "afterShellExecution": agent.EventPostTool,
	"afterMCPExecution": agent.EventPostTool, "postToolUse": agent.EventPostTool,
	"beforeSubmitPrompt": agent.EventPrompt, "sessionStart": agent.EventSessionStart,
	"sessionEnd": agent.EventSessionEnd, "stop": agent.EventStop,
}

// Cursor's own tool names in preToolUse.
var tools = map[string]string{
	"Shell": "Bash", "Read": "Read", "Write": "Write", "Edit": "Edit", "Grep": "Grep", "Glob": "Glob", "LS": "LS",
	"Delete": "Delete", "WebFetch": "WebFetch", "WebSearch": "WebSearch", "Task": "Task", "TodoWrite": "TodoWrite",
}

func (Adapter) Decode(b []byte, getenv func(string) string) (*agent.Request, error) {
	p, err := agent.ParsePayload(b)
	if err != nil {
		return nil, err
	}
	raw := p.Need("hook_event_name")
	if err := p.Err(); err != nil {
		return nil, err
	}
	ev, ok := events[raw]
	if !ok {
		ev = agent.EventOther
	}
	project := ""
	if roots := p.Strs("workspace_roots"); len(roots) > 0 {
		project = roots[0]
	}
	if project == "" {
		project = getenv("CURSOR_PROJECT_DIR")
	}
	req := &agent.Request{Agent: "cursor", Event: ev, RawEvent: raw, Session: p.Str("conversation_id")}
	base := agent.Action{Agent: "cursor", Session: req.Session, Event: ev, Cwd: p.Str("cwd"), ProjectDir: project}
	if base.Cwd == "" {
		base.Cwd = project
	}
	a := base
	switch raw {
	case "beforeShellExecution":
		a.Kind, a.Tool, a.Command = agent.KindExec, "Shell", p.Need("command")
	case "beforeReadFile":
		a.Kind, a.Tool, a.Path = agent.KindRead, "Read", p.Need("file_path")
	case "beforeMCPExecution":
		a.Kind, a.Tool = agent.KindMCP, p.Need("tool_name")
		a.MCPTool = a.Tool
		a.MCPServer = p.Str("server")
		if a.MCPServer == "" {
			a.MCPServer = p.Str("url")
		}
		if a.MCPServer == "" {
			a.MCPServer = p.Str("command")
		}
		a.Arguments = p.Raw("tool_input")
	case "preToolUse":
		tool := p.Need("tool_name")
		in := p.Sub("tool_input")
		if err := p.Err(); err != nil {
			return nil, err
		}
		name := tool
		if t, ok := tools[tool]; ok {
			name = t
		}
		if name == "Delete" {
			a.Kind, a.Tool, a.Path, a.Delete = agent.KindWrite, tool, in.First("file_path", "path"), true
			if err := in.Err(); err != nil {
				return nil, err
			}
			break
		}
		if name == "Bash" && !in.Has("command") {
			return nil, fmt.Errorf("invalid hook input: Shell tool_input: missing field %q", "command")
		}
		acts, err := claude.ToolActions(base, name, in)
		if err != nil {
			return nil, err
		}
		for i := range acts {
			acts[i].Tool = tool
		}
		req.Actions = acts
		return req, nil
	case "afterFileEdit":
		a.Kind, a.Tool, a.Path = agent.KindTool, "Edit", p.Need("file_path")
		for _, e := range p.List("edits") {
			a.Result += e.Str("new_string") + "\n"
		}
	case "afterShellExecution":
		a.Kind, a.Tool, a.Result = agent.KindTool, "Shell", p.Str("output")
	case "afterMCPExecution":
		a.Kind, a.Tool, a.Result = agent.KindTool, p.Str("tool_name"), p.Text("result_json")
	case "postToolUse":
		a.Kind, a.Tool, a.Result = agent.KindTool, p.Str("tool_name"), p.Text("tool_output")
	case "beforeSubmitPrompt":
		a.Kind, a.Prompt = agent.KindPrompt, p.Need("prompt")
	case "stop":
		a.StopHookActive = p.Int("loop_count") > 0
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	req.Actions = []agent.Action{a}
	return req, nil
}

func (Adapter) Encode(req *agent.Request, d agent.Decision) agent.Response {
	out := map[string]any{}
	switch req.Event {
	case agent.EventPreTool:
		if d.Verdict != agent.Allow {
			out = map[string]any{"permission": string(d.Verdict), "user_message": d.Reason(), "agent_message": d.Reason()}
		}
	case agent.EventPrompt:
		if d.Verdict != agent.Allow {
			out = map[string]any{"continue": false, "user_message": d.Reason()}
		} else {
			out = map[string]any{"continue": true}
		}
	case agent.EventStop:
		if d.Verdict != agent.Allow {
			out = map[string]any{"followup_message": d.Reason()}
		}
	case agent.EventSessionStart:
		if d.Context != "" {
			out = map[string]any{"additional_context": d.Context}
		}
	case agent.EventPostTool:
		if d.Context != "" {
			out = map[string]any{"additional_context": d.Context}
		}
	}
	return agent.Response{Stdout: agent.JSON(out)}
}

// Fail answers a deny that stops whatever event this was, and exits 2.
func (Adapter) Fail(req *agent.Request, reason string) agent.Response {
	msg := "warden: " + reason
	out := map[string]any{"permission": "deny", "user_message": msg, "agent_message": msg, "continue": false}
	return agent.Response{Stdout: agent.JSON(out), Stderr: msg + "\n", Exit: 2}
}
