package claude

import (
	"testing"

	"github.com/wardenhq/warden/internal/agent/agenttest"
)

// FuzzDecode: any input either decodes into a request whose answers are
// valid JSON, or fails with an error whose fail-closed answer blocks.
func FuzzDecode(f *testing.F) {
	agenttest.FuzzAdapter(f, Adapter{},
		`{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}`,
		`{"hook_event_name":"PreToolUse","tool_name":"MultiEdit","tool_input":{"file_path":"a","edits":[{"old_string":"a","new_string":"b"}]}}`,
		`{"hook_event_name":"PostToolUse","tool_name":"Read","tool_response":{"file":{"content":"x"}}}`,
		`{"hook_event_name":"UserPromptSubmit","prompt":"hi"}`,
		`{}`,
		`null`,
		`[]`,
		`{"hook_event_name":1}`,
	)
}
