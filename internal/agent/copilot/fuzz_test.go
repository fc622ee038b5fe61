package copilot

import (
	"testing"

	"github.com/wardenhq/warden/internal/agent/agenttest"
)

// FuzzDecode: any input either decodes into a request whose answers are
// valid JSON, or fails with an error whose fail-closed answer blocks.
func FuzzDecode(f *testing.F) {
	agenttest.FuzzAdapter(f, Adapter{},
		`{"sessionId":"s","toolName":"bash","toolArgs":{"command":"ls"}}`,
		`{"sessionId":"s","toolName":"bash","toolArgs":"{\"command\":\"ls\"}"}`,
		`{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}`,
		`{}`,
		`null`,
		`[]`,
		`{"hook_event_name":1}`,
	)
}
