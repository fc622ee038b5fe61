package codex

import (
	"testing"

	"github.com/wardenhq/warden/internal/agent/agenttest"
)

// FuzzDecode: any input either decodes into a request whose answers are
// valid JSON, or fails with an error whose fail-closed answer blocks.
func FuzzDecode(f *testing.F) {
	agenttest.FuzzAdapter(f, Adapter{},
		`{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}`,
		`{"hook_event_name":"PreToolUse","tool_name":"apply_patch","tool_input":{"command":"*** Begin Patch\n*** Update File: a.go\n@@\n-a\n+b\n*** End Patch"}}`,
		`{}`,
		`null`,
		`[]`,
		`{"hook_event_name":1}`,
	)
}
