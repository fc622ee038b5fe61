// Package codex is the Codex CLI hook dialect. Codex speaks Claude Code's
// hook protocol (PreToolUse with hookSpecificOutput), presents its shell
// tool as "Bash" and file edits as "apply_patch" with the patch text in
// tool_input.command.
//
// Codex fails open on exit 1, on a deny without a reason, on "ask", on a
// timeout and on invalid JSON: so every deny carries a reason, ask becomes
// deny, and input warden cannot read gets exit 2 with a reason on stderr.
package codex

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/agent"
	"github.com/wardenhq/warden/internal/agent/claude"
)

// Adapter is the Codex dialect.
type Adapter struct{}

func (Adapter) Name() string { return "codex" }

var harmless = map[string]bool{"update_plan": true, "view_image": true, "request_user_input": true}

var fields = claude.Fields("codex", toolActions)

func (Adapter) Decode(b []byte, getenv func(string) string) (*agent.Request, error) {
	return fields.Decode(b, "")
}

// toolActions maps Codex's tools: its shell tools, apply_patch, and
// Claude Code's names for the rest.
func toolActions(base agent.Action, tool string, in, p *agent.Payload) ([]agent.Action, error) {
	base.Tool = tool
	switch tool {
	case "Bash", "exec_command", "shell", "local_shell":
		a := base
		a.Kind = agent.KindExec
		if argv := in.Strs("command"); len(argv) > 0 && in.Err() == nil {
			a.Command = agent.ShellJoin(argv)
		} else {
			in = p.Sub("tool_input")
			a.Command = in.First("command", "cmd")
		}
		if wd := in.Str("workdir"); wd != "" {
			a.Cwd = wd
		}
		if err := in.Err(); err != nil {
			return nil, fmt.Errorf("%s tool_input: %w", tool, err)
		}
		return []agent.Action{a}, nil
	case "apply_patch":
		patch := in.First("command", "patch", "input")
		if err := in.Err(); err != nil {
			return nil, fmt.Errorf("apply_patch tool_input: %w", err)
		}
		return PatchActions(base, patch)
	}
	if harmless[tool] {
		base.Kind = agent.KindTool
		return []agent.Action{base}, nil
	}
	return claude.ToolActions(base, tool, in)
}

// PatchActions turns a Codex patch ("*** Begin Patch" ... "*** End Patch")
// into one write, edit or delete per file.
func PatchActions(base agent.Action, patch string) ([]agent.Action, error) {
	lines := strings.Split(strings.ReplaceAll(patch, "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == "*** Begin Patch" {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, fmt.Errorf("invalid hook input: apply_patch input has no '*** Begin Patch' line")
	}
	var acts []agent.Action
	var cur *agent.Action
	var old, neu []string
	flushHunk := func() {
		if cur != nil && cur.Kind == agent.KindEdit && (len(old) > 0 || len(neu) > 0) {
			cur.Edits = append(cur.Edits, agent.Edit{Old: strings.Join(old, "\n"), New: strings.Join(neu, "\n")})
		}
		old, neu = nil, nil
	}
	flush := func() {
		if cur != nil && cur.Kind == agent.KindWrite {
			cur.Content = strings.Join(neu, "\n")
			if len(neu) > 0 {
				cur.Content += "\n"
			}
		}
		flushHunk()
		if cur != nil {
			acts = append(acts, *cur)
		}
		cur = nil
	}
	ended := false
	for _, l := range lines[start+1:] {
		switch {
		case strings.HasPrefix(l, "*** End Patch"):
			ended = true
		case strings.HasPrefix(l, "*** Add File: "):
			flush()
			a := base
			a.Kind, a.Path = agent.KindWrite, strings.TrimSpace(strings.TrimPrefix(l, "*** Add File: "))
			cur = &a
		case strings.HasPrefix(l, "*** Update File: "):
			flush()
			a := base
			a.Kind, a.Path = agent.KindEdit, strings.TrimSpace(strings.TrimPrefix(l, "*** Update File: "))
			cur = &a
		case strings.HasPrefix(l, "*** Delete File: "):
			flush()
			a := base
			a.Kind, a.Path, a.Delete = agent.KindWrite, strings.TrimSpace(strings.TrimPrefix(l, "*** Delete File: ")), true
			acts = append(acts, a)
		case strings.HasPrefix(l, "*** Move to: "):
			if cur == nil {
				return nil, fmt.Errorf("invalid hook input: apply_patch has '*** Move to' outside a file")
			}
			// The file leaves its old path (a delete there) and its edited
			// content lands at the new one.
			del := base
			del.Kind, del.Path, del.Delete = agent.KindWrite, cur.Path, true
			acts = append(acts, del)
			cur.Path = strings.TrimSpace(strings.TrimPrefix(l, "*** Move to: "))
		case strings.HasPrefix(l, "@@"):
			flushHunk()
		case ended:
		case cur == nil:
			if strings.TrimSpace(l) != "" {
				return nil, fmt.Errorf("invalid hook input: apply_patch line outside a file section: %.60q", l)
			}
		case strings.HasPrefix(l, "+"):
			neu = append(neu, l[1:])
		case strings.HasPrefix(l, "-"):
			old = append(old, l[1:])
		case strings.HasPrefix(l, " "):
			old = append(old, l[1:])
			neu = append(neu, l[1:])
		case l == "" || strings.HasPrefix(l, "*** End of File"):
		default:
			return nil, fmt.Errorf("invalid hook input: apply_patch line not understood: %.60q", l)
		}
	}
	flush()
	if !ended {
		return nil, fmt.Errorf("invalid hook input: apply_patch input is truncated (no '*** End Patch')")
	}
	if len(acts) == 0 {
		return nil, fmt.Errorf("invalid hook input: apply_patch changes no file")
	}
	return acts, nil
}

func (Adapter) Encode(req *agent.Request, d agent.Decision) agent.Response {
	out := map[string]any{}
	switch req.Event {
	case agent.EventPreTool:
		if d.Verdict != agent.Allow {
			reason := d.Reason()
			if d.Verdict == agent.Ask {
				reason += " (a human must approve this; Codex does not honour ask from hooks, so warden denies it)"
			}
			out = claude.PreToolDeny("PreToolUse", "deny", reason)
		}
	case agent.EventPostTool:
		if d.Context != "" {
			out = claude.Context("PostToolUse", d.Context)
		}
	case agent.EventPrompt, agent.EventStop:
		if d.Verdict != agent.Allow {
			out = map[string]any{"decision": "block", "reason": d.Reason()}
		}
	case agent.EventSessionStart:
		if d.Context != "" {
			out = claude.Context("SessionStart", d.Context)
		}
	}
	return agent.Response{Stdout: agent.JSON(out)}
}

// Fail answers exit 2 with the reason on stderr, which Codex honours as a
// block for every event; stdout stays empty so nothing contradicts it.
func (Adapter) Fail(req *agent.Request, reason string) agent.Response {
	return agent.Response{Stderr: "warden: " + reason + "\n", Exit: 2}
}
