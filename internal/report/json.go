package report

import (
	"encoding/json"
	"io"

	"github.com/wardenhq/warden/internal/finding"
)

// jsonReport is the JSON schema, version SchemaVersion (docs/JSON.md).
type jsonReport struct {
	Version      int               `json:"version"`
	Tool         jsonTool          `json:"tool"`
	PolicySHA256 string            `json:"policy_sha256"`
	Mode         string            `json:"mode"`
	Findings     []finding.Finding `json:"findings"`
	Summary      Summary           `json:"summary"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// JSON writes the report as one indented JSON document.
func JSON(w io.Writer, r *Report) error {
	doc := jsonReport{
		Version:      SchemaVersion,
		Tool:         jsonTool{Name: "warden", Version: r.ToolVersion},
		PolicySHA256: r.PolicySHA256,
		Mode:         r.Mode,
		Findings:     r.Findings,
		Summary:      r.Summary,
	}
	if doc.Findings == nil {
		doc.Findings = []finding.Finding{}
	}
	if doc.Summary.Skipped == nil {
		doc.Summary.Skipped = map[string]int{}
	}
	if doc.Summary.BySeverity == nil {
		doc.Summary.BySeverity = map[string]int{}
	}
	if doc.Summary.Engines == nil {
		doc.Summary.Engines = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
