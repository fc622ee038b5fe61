// Package claude is the Claude Code hook dialect: it decodes Claude Code's
// hook payloads into agent Requests and answers in the JSON Claude Code
// honours. Codex, Copilot (PascalCase configs) and Cursor reuse its tool
// mapping because they speak a Claude-compatible dialect.
//
// Claude Code lets an action through when a hook exits 1, crashes, times
// out or prints JSON that fails its schema; so every decision is answered
// with exit 0 and schema-valid JSON, and input warden cannot read is
// answered with exit 2 and a reason on stderr, which blocks every event.
package claude

import (
	"encoding/json"
	"fmt"

	"github.com/wardenhq/warden/internal/agent"
)

// Adapter is the Claude Code dialect.
type Adapter struct{}

func (Adapter) Name() string { return "claude" }

// Events maps Claude Code's hook events to warden's.
var Events = map[string]agent.Event{
	"PreToolUse":       agent.EventPreTool,
	"PostToolUse":      agent.EventPostTool,
	"UserPromptSubmit": agent.EventPrompt,
	"SessionStart":     agent.EventSessionStart,
	"SessionEnd":       agent.EventSessionEnd,
	"Stop":             agent.EventStop,
	"SubagentStop":     agent.EventStop,
}

// Harmless tools change nothing outside the conversation.
var Harmless = map[string]bool{
	"TodoWrite": true, "TodoRead": true, "ExitPlanMode": true, "EnterPlanMode": true, "BashOutput": true,
	"KillBash": true, "KillShell": true, "SlashCommand": true, "Skill": true, "AskUserQuestion": true,
	"ListMcpResourcesTool": true, "ReadMcpResourceTool": true, "TaskOutput": true, "TaskStop": true,
	"TaskCreate": true, "TaskUpdate": true, "TaskList": true, "TaskGet": true, "ToolSearch": true,
}

var fields = Fields("claude", func(base agent.Action, tool string, in, _ *agent.Payload) ([]agent.Action, error) {
	return ToolActions(base, tool, in)
})

func (Adapter) Decode(b []byte, getenv func(string) string) (*agent.Request, error) {
	return fields.Decode(b, getenv("CLAUDE_PROJECT_DIR"))
}

// Fields is Claude Code's payload shape, which Codex and Copilot CLI also
// send, for agentName with its own tool mapping.
func Fields(agentName string, tools func(base agent.Action, tool string, in, p *agent.Payload) ([]agent.Action, error)) agent.Fields {
	return agent.Fields{
		Agent: agentName, Events: Events, Session: "session_id", Tool: "tool_name", Input: "tool_input",
		Results: []string{"tool_response", "tool_output"}, StopActive: "stop_hook_active", Tools: tools,
	}
}

// ToolActions maps a Claude Code tool call to actions.
func ToolActions(base agent.Action, tool string, in *agent.Payload) ([]agent.Action, error) {
	a := base
	a.Tool = tool
	switch tool {
	case "Bash":
		a.Kind = agent.KindExec
		a.Command = in.Need("command")
	case "Write":
		a.Kind = agent.KindWrite
		a.Path = in.Need("file_path")
		a.Content = in.Need("content")
	case "Edit":
		a.Kind = agent.KindEdit
		a.Path = in.Need("file_path")
		a.Edits = []agent.Edit{{Old: in.Need("old_string"), New: in.Need("new_string"), All: in.Bool("replace_all")}}
	case "MultiEdit":
		a.Kind = agent.KindEdit
		a.Path = in.Need("file_path")
		edits := in.List("edits")
		if len(edits) == 0 && in.Err() == nil {
			return nil, fmt.Errorf("invalid hook input: MultiEdit has no edits")
		}
		for _, e := range edits {
			a.Edits = append(a.Edits, agent.Edit{Old: e.Need("old_string"), New: e.Need("new_string"), All: e.Bool("replace_all")})
			in.Collect(e)
		}
	case "NotebookEdit":
		a.Kind = agent.KindEdit
		a.Path = in.Need("notebook_path")
		a.Edits = []agent.Edit{{New: in.Str("new_source")}}
	case "Read", "NotebookRead":
		a.Kind = agent.KindRead
		a.Path = in.First("file_path", "notebook_path")
	case "Glob", "Grep", "LS":
		a.Kind = agent.KindSearch
		a.Path = in.Str("path")
		a.Query = in.Str("pattern")
	case "WebFetch":
		a.Kind = agent.KindFetch
		a.URL = in.Need("url")
	case "WebSearch":
		a.Kind = agent.KindSearch
		a.Query = in.Need("query")
	case "Task", "Agent":
		a.Kind = agent.KindTask
		a.Prompt = in.Str("prompt")
	default:
		if server, name, ok := agent.MCPName(tool); ok {
			a.Kind = agent.KindMCP
			a.MCPServer, a.MCPTool = server, name
			a.Arguments = string(mustJSON(in))
		} else if Harmless[tool] {
			a.Kind = agent.KindTool
		} else {
			a.Kind = agent.KindUnknown
		}
	}
	if err := in.Err(); err != nil {
		return nil, fmt.Errorf("%s tool_input: %w", tool, err)
	}
	return []agent.Action{a}, nil
}

func mustJSON(p *agent.Payload) []byte {
	m := map[string]json.RawMessage{}
	for _, k := range p.Keys() {
		m[k] = json.RawMessage(p.Raw(k))
	}
	b, _ := json.Marshal(m)
	return b
}

// PreToolDeny is the hookSpecificOutput answer to a PreToolUse event.
func PreToolDeny(event, decision, reason string) map[string]any {
	return map[string]any{"hookSpecificOutput": map[string]any{
		"hookEventName":            event,
		"permissionDecision":       decision,
		"permissionDecisionReason": reason,
	}}
}

// Context is the hookSpecificOutput answer that adds text to the
// conversation.
func Context(event, text string) map[string]any {
	return map[string]any{"hookSpecificOutput": map[string]any{"hookEventName": event, "additionalContext": text}}
}

func (Adapter) Encode(req *agent.Request, d agent.Decision) agent.Response {
	out := map[string]any{}
	switch req.Event {
	case agent.EventPreTool:
		if d.Verdict != agent.Allow {
			out = PreToolDeny("PreToolUse", string(d.Verdict), d.Reason())
		}
	case agent.EventPostTool:
		if d.Context != "" {
			out = Context("PostToolUse", d.Context)
		}
		if d.Verdict == agent.Deny {
			out["decision"] = "block"
			out["reason"] = d.Reason()
		}
	case agent.EventPrompt, agent.EventStop:
		if d.Verdict != agent.Allow {
			out = map[string]any{"decision": "block", "reason": d.Reason()}
		}
	case agent.EventSessionStart:
		if d.Context != "" {
			out = Context("SessionStart", d.Context)
		}
	}
	return agent.Response{Stdout: agent.JSON(out)}
}

func (a Adapter) Fail(req *agent.Request, reason string) agent.Response {
	if req != nil {
		switch req.Event {
		case agent.EventPreTool, agent.EventPrompt, agent.EventStop:
			return a.Encode(req, agent.Decision{Verdict: agent.Deny, Reasons: []string{reason}})
		}
	}
	// Exit 2 blocks every blocking event in Claude Code, whatever it was.
	return agent.Response{Stderr: "warden: " + reason + "\n", Exit: 2}
}
