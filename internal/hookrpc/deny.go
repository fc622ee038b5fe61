package hookrpc

import (
	"bytes"
	"encoding/json"
)

// Deny is the answer when neither the server nor `warden hook` can decide:
// a deny in the form each agent honours, the same bytes as the adapter's
// Fail for an undecodable payload (internal/agent/<vendor>; a test holds
// them equal). An unknown agent gets exit 2 with the reason on stderr,
// which blocks in every client that has hooks.
func Deny(agent, reason string) *Response {
	msg := "warden: " + reason
	r := &Response{Status: OK, Exit: 2, Stderr: []byte(msg + "\n")}
	switch agent {
	case "cursor":
		r.Stdout = jsonLine(map[string]any{"permission": "deny", "user_message": msg, "agent_message": msg, "continue": false})
	case "gemini":
		r.Stdout = jsonLine(map[string]any{"decision": "deny", "reason": msg})
	case "copilot":
		r.Stdout = jsonLine(map[string]any{
			"hookSpecificOutput": map[string]any{
				"hookEventName":            "PreToolUse",
				"permissionDecision":       "deny",
				"permissionDecisionReason": msg,
			},
			"permissionDecision":       "deny",
			"permissionDecisionReason": msg,
		})
	}
	return r
}

func jsonLine(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("{}\n")
	}
	return b.Bytes()
}
