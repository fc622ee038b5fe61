package cursor

import (
	"testing"

	"github.com/wardenhq/warden/internal/agent/agenttest"
)

// FuzzDecode: any input either decodes into a request whose answers are
// valid JSON, or fails with an error whose fail-closed answer blocks.
func FuzzDecode(f *testing.F) {
	agenttest.FuzzAdapter(f, Adapter{},
		`{"hook_event_name":"beforeShellExecution","command":"ls","workspace_roots":["/p"]}`,
		`{"hook_event_name":"preToolUse","tool_name":"Shell","tool_input":{"command":"ls"}}`,
		`{"hook_event_name":"afterFileEdit","file_path":"a","edits":[{"old_string":"a","new_string":"b"}]}`,
		`{}`,
		`null`,
		`[]`,
		`{"hook_event_name":1}`,
	)
}
