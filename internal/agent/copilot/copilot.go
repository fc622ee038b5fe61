// Package copilot is the GitHub Copilot CLI hook dialect.
//
// A camelCase config ({"version":1,"hooks":{"preToolUse":[...]}}) sends
// {sessionId, timestamp, cwd, toolName, toolArgs} with no event name and
// honours only the flat {"permissionDecision":"deny",
// "permissionDecisionReason":...} answer; a PascalCase or Claude-style
// config sends Claude-style fields and also honours hookSpecificOutput.
// warden answers with both forms. Copilot fails closed on exit 1 and 2 but
// open on a timeout or invalid JSON.
package copilot

import (
	"fmt"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/agent/claude"
)

// Adapter is the Copilot CLI dialect. Event, when set (warden hook copilot
// --event preToolUse), names the event for camelCase payloads; otherwise
// it is inferred from the fields present.
type Adapter struct{ Event string }

func (Adapter) Name() string { return "copilot" }

var camelEvents = map[string]agent.Event{
	"preToolUse": agent.EventPreTool, "postToolUse": agent.EventPostTool, "userPromptSubmitted": agent.EventPrompt,
	"sessionStart": agent.EventSessionStart, "sessionEnd": agent.EventSessionEnd, "errorOccurred": agent.EventOther,
	"agentStop": agent.EventStop, "subagentStop": agent.EventStop,
}

var harmless = map[string]bool{
	"report_intent": true, "update_todo": true, "think": true, "read_bash": true, "stop_bash": true,
	"list_bash": true, "write_bash": true, "ask_user": true, "fetch_copilot_cli_documentation": true,
}

func (ad Adapter) Decode(b []byte, getenv func(string) string) (*agent.Request, error) {
	p, err := agent.ParsePayload(b)
	if err != nil {
		return nil, err
	}
	project := getenv("COPILOT_PROJECT_DIR")
	if p.Has("hook_event_name") {
		req, err := claudeFields.DecodeNamed(p, project)
		if err != nil {
			return nil, err
		}
		req.Extra = map[string]string{"style": "claude"}
		return req, nil
	}
	raw := ad.Event
	if raw == "" {
		switch {
		case p.Has("toolResult"):
			raw = "postToolUse"
		case p.Has("toolName"):
			raw = "preToolUse"
		case p.Has("prompt"):
			raw = "userPromptSubmitted"
		case p.Has("source") || p.Has("initialPrompt"):
			raw = "sessionStart"
		case p.Has("reason"):
			raw = "sessionEnd"
		case p.Has("error"):
			raw = "errorOccurred"
		default:
			return nil, fmt.Errorf("invalid hook input: cannot tell which Copilot event this is (fields %v); pass --event", p.Keys())
		}
	}
	req, err := camelFields.DecodeEvent(p, raw, project)
	if err != nil {
		return nil, err
	}
	req.Extra = map[string]string{"style": "camel"}
	return req, nil
}

// camelFields is Copilot CLI's own payload shape; Copilot also accepts
// Claude Code's hook configuration, and then sends Claude's shape
// (claudeFields) with its own tool names.
var (
	camelFields = agent.Fields{
		Agent: "copilot", Events: camelEvents, Session: "sessionId", Tool: "toolName", Input: "toolArgs",
		Results: []string{"toolResult"}, Tools: toolActions,
	}
	claudeFields = claude.Fields("copilot", toolActions)
)

// toolActions maps Copilot's tools; Claude's names are accepted too.
func toolActions(base agent.Action, tool string, in, _ *agent.Payload) ([]agent.Action, error) {
	a := base
	a.Tool = tool
	switch tool {
	case "bash", "shell", "powershell":
		a.Kind = agent.KindExec
		a.Command = in.Need("command")
	case "create":
		a.Kind = agent.KindWrite
		a.Path = in.Need("path")
		a.Content = in.First("file_text", "content")
	case "edit", "str_replace":
		a.Kind = agent.KindEdit
		a.Path = in.Need("path")
		a.Edits = []agent.Edit{{Old: in.Str("old_str"), New: in.Str("new_str")}}
	case "view", "read":
		a.Kind = agent.KindRead
		a.Path = in.Need("path")
	case "glob", "grep", "rg", "search":
		a.Kind = agent.KindSearch
		a.Path = in.Str("path")
		a.Query = in.Str("pattern")
	case "web_fetch", "fetch":
		a.Kind = agent.KindFetch
		a.URL = in.Need("url")
	case "web_search":
		a.Kind = agent.KindSearch
		a.Query = in.Str("query")
	case "task":
		a.Kind = agent.KindTask
		a.Prompt = in.Str("prompt")
	default:
		if harmless[tool] {
			a.Kind = agent.KindTool
			break
		}
		return claude.ToolActions(base, tool, in)
	}
	if err := in.Err(); err != nil {
		return nil, fmt.Errorf("%s toolArgs: %w", tool, err)
	}
	return []agent.Action{a}, nil
}

func (Adapter) Encode(req *agent.Request, d agent.Decision) agent.Response {
	out := map[string]any{}
	if req.Event == agent.EventPreTool && d.Verdict != agent.Allow {
		reason := d.Reason()
		if d.Verdict == agent.Ask {
			reason += " (a human must approve this; warden denies it rather than risk a non-interactive run going ahead)"
		}
		out = denyBoth(reason)
	}
	if req.Extra["style"] == "claude" {
		switch req.Event {
		case agent.EventPostTool:
			if d.Context != "" {
				out = claude.Context("PostToolUse", d.Context)
			}
		case agent.EventSessionStart:
			if d.Context != "" {
				out = claude.Context("SessionStart", d.Context)
			}
		case agent.EventPrompt, agent.EventStop:
			if d.Verdict != agent.Allow {
				out = map[string]any{"decision": "block", "reason": d.Reason()}
			}
		}
	} else if (req.Event == agent.EventSessionStart || req.Event == agent.EventPostTool) && d.Context != "" {
		out = map[string]any{"additionalContext": d.Context}
	}
	return agent.Response{Stdout: agent.JSON(out)}
}

func denyBoth(reason string) map[string]any {
	out := claude.PreToolDeny("PreToolUse", "deny", reason)
	out["permissionDecision"] = "deny"
	out["permissionDecisionReason"] = reason
	return out
}

// Fail answers a flat and a Claude-style deny and exits 2 with the reason
// on stderr: Copilot blocks on either.
func (Adapter) Fail(req *agent.Request, reason string) agent.Response {
	return agent.Response{Stdout: agent.JSON(denyBoth("warden: " + reason)), Stderr: "warden: " + reason + "\n", Exit: 2}
}
