package gemini

import (
	"testing"

	"github.com/wardenhq/warden/internal/agent/agenttest"
)

// FuzzDecode: any input either decodes into a request whose answers are
// valid JSON, or fails with an error whose fail-closed answer blocks.
func FuzzDecode(f *testing.F) {
	agenttest.FuzzAdapter(f, Adapter{},
		`{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":"ls"}}`,
		`{"hook_event_name":"BeforeTool","tool_name":"web_fetch","tool_input":{"prompt":"get https://a.b/c"}}`,
		`{"hook_event_name":"AfterTool","tool_name":"x","tool_response":{"llmContent":"y"}}`,
		`{}`,
		`null`,
		`[]`,
		`{"hook_event_name":1}`,
	)
}
