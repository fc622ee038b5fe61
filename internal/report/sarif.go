package report

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// A minimal typed model of the SARIF 2.1.0 subset warden emits; the tests
// validate the output against the OASIS schema (testdata/sarif-schema-2.1.0.json).
// Hand-written rather than a SARIF module: the subset is small and the
// schema test keeps it honest.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool      `json:"tool"`
	Results    []sarifResult  `json:"results"`
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name,omitempty"`
	ShortDescription     sarifMessage       `json:"shortDescription"`
	FullDescription      *sarifMessage      `json:"fullDescription,omitempty"`
	Help                 *sarifMessage      `json:"help,omitempty"`
	HelpURI              string             `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           map[string]any     `json:"properties,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri,omitempty"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int           `json:"startLine"`
	StartColumn int           `json:"startColumn,omitempty"`
	EndLine     int           `json:"endLine,omitempty"`
	EndColumn   int           `json:"endColumn,omitempty"`
	Snippet     *sarifMessage `json:"snippet,omitempty"`
}

// FingerprintKey is the partialFingerprints key warden's fingerprints are
// published under; GitHub code scanning tracks alerts across commits by it.
const FingerprintKey = "wardenFingerprint/v1"

// SARIF writes the report as a SARIF 2.1.0 log with one run.
func SARIF(w io.Writer, r *Report) error {
	rules := slices.Clone(r.Rules)
	index := map[string]int{}
	for i, ru := range rules {
		if _, dup := index[ru.ID]; !dup {
			index[ru.ID] = i
		}
	}
	// A finding whose rule the engine did not list still needs a rule entry.
	for _, f := range r.Findings {
		if _, ok := index[f.RuleID]; !ok {
			index[f.RuleID] = len(rules)
			rules = append(rules, finding.Rule{
				ID: f.RuleID, Engine: f.Engine, Title: firstNonEmpty(f.Title, f.RuleID),
				Severity: f.Severity, CWE: f.CWE, Help: f.Message,
			})
		}
	}
	drv := sarifDriver{
		Name:           "warden",
		Version:        r.ToolVersion,
		InformationURI: "https://github.com/wardenhq/warden",
		Rules:          make([]sarifRule, 0, len(rules)),
	}
	seen := map[string]bool{}
	for _, ru := range rules {
		if seen[ru.ID] {
			continue
		}
		seen[ru.ID] = true
		sr := sarifRule{
			ID:                   ru.ID,
			Name:                 ruleName(ru),
			ShortDescription:     sarifMessage{Text: firstNonEmpty(ru.Title, ru.ID)},
			HelpURI:              ru.HelpURI,
			DefaultConfiguration: sarifConfiguration{Level: level(ru.Severity)},
			Properties: map[string]any{
				"security-severity": ru.Severity.SecuritySeverity(),
				"tags":              ruleTags(ru),
				"engine":            ru.Engine,
			},
		}
		if ru.Help != "" {
			sr.FullDescription = &sarifMessage{Text: oneLine(ru.Help)}
			sr.Help = &sarifMessage{Text: ru.Help, Markdown: ru.Help}
		}
		drv.Rules = append(drv.Rules, sr)
	}
	// Rule indexes must point into the deduplicated list.
	index = map[string]int{}
	for i, sr := range drv.Rules {
		index[sr.ID] = i
	}

	run := sarifRun{
		Tool:    sarifTool{Driver: drv},
		Results: make([]sarifResult, 0, len(r.Findings)),
		Properties: map[string]any{
			"policy_sha256": r.PolicySHA256,
			"mode":          r.Mode,
			"summary":       r.Summary,
		},
	}
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID:              f.RuleID,
			RuleIndex:           index[f.RuleID],
			Level:               level(f.Severity),
			Message:             sarifMessage{Text: resultMessage(f)},
			PartialFingerprints: map[string]string{FingerprintKey: f.Fingerprint},
			Properties: map[string]any{
				"security-severity": f.Severity.SecuritySeverity(),
				"severity":          f.Severity.String(),
				"engine":            f.Engine,
			},
		}
		if f.CWE != "" {
			res.Properties["cwe"] = f.CWE
		}
		if f.Commit != nil {
			res.Properties["commit"] = f.Commit
		}
		if len(f.Metadata) > 0 {
			res.Properties["metadata"] = f.Metadata
		}
		if f.Path != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifactLoc{URI: uriPath(f.Path), URIBaseID: "%SRCROOT%"},
			}}
			if f.StartLine > 0 {
				reg := &sarifRegion{StartLine: f.StartLine, StartColumn: f.StartColumn}
				if f.EndLine >= f.StartLine {
					reg.EndLine = f.EndLine
				}
				if f.EndColumn > 0 && (f.EndLine > f.StartLine || f.EndColumn > f.StartColumn) {
					reg.EndColumn = f.EndColumn
				}
				if f.Snippet != "" {
					reg.Snippet = &sarifMessage{Text: f.Snippet}
				}
				loc.PhysicalLocation.Region = reg
			}
			res.Locations = []sarifLocation{loc}
		}
		run.Results = append(run.Results, res)
	}
	doc := sarifLog{
		Schema:  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func level(s finding.Severity) string {
	switch {
	case s >= finding.SeverityHigh:
		return "error"
	case s == finding.SeverityMedium:
		return "warning"
	default:
		return "note"
	}
}

func ruleName(r finding.Rule) string {
	// SARIF names are PascalCase identifiers by convention; derive one.
	var b strings.Builder
	up := true
	for _, c := range r.ID {
		switch {
		case c >= 'a' && c <= 'z':
			if up {
				c -= 'a' - 'A'
			}
			b.WriteRune(c)
			up = false
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

func ruleTags(r finding.Rule) []string {
	tags := []string{"security", r.Engine}
	if r.CWE != "" {
		tags = append(tags, "external/cwe/"+strings.ToLower(r.CWE))
	}
	for _, t := range r.Tags {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return slices.DeleteFunc(tags, func(s string) bool { return s == "" })
}

func resultMessage(f finding.Finding) string {
	msg := firstNonEmpty(f.Message, f.Title, f.RuleID)
	if exp, ok := f.Metadata[MetaSuppressionExpired]; ok {
		msg += " (suppression expired: " + exp + ")"
	}
	return msg
}

// uriPath percent-encodes what a URI reference may not hold as is.
func uriPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`%"#<>?[\]^{|}`+"`", c) >= 0 {
			b.WriteString("%")
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
