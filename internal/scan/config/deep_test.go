package config

import (
	"strings"
	"testing"
)

// TestDeepNesting: hostile nesting in any syntax is reported as
// unparsable (or ignored), never a crash; HCL's recursive parser would
// overflow the stack without the depth check.
func TestDeepNesting(t *testing.T) {
	tests := []struct{ path, content string }{
		{"main.tf", "a = " + strings.Repeat("[", 1_000_000) + "\n"},
		{"main.tf", "a = " + strings.Repeat("{a=", 300_000) + "\n"},
		{".mcp.json", strings.Repeat("[", 1_000_000)},
		{".claude/settings.json", strings.Repeat(`{"a":`, 200_000)},
		{".github/workflows/x.yml", "a: " + strings.Repeat("[", 1_000_000) + "\n"},
		{"docker-compose.yml", strings.Repeat("- ", 100_000) + "x\n"},
		{"k8s/x.yaml", "apiVersion: v1\nkind: Pod\nspec: " + strings.Repeat("{a: ", 100_000) + "\n"},
		{"cfn.json", `{"AWSTemplateFormatVersion": ` + strings.Repeat("[", 1_000_000)},
	}
	for _, tt := range tests {
		fs := scanOne(t, tt.path, tt.content)
		for _, f := range fs {
			if f.RuleID != ruleUnparsable {
				t.Errorf("%s: unexpected %s", tt.path, f.RuleID)
			}
		}
	}
}
