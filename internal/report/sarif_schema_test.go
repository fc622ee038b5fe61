package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/report"
)

// sarifSchema compiles the official OASIS SARIF 2.1.0 schema kept in
// testdata (from oasis-tcs/sarif-spec, Schemata/sarif-schema-2.1.0.json),
// with format assertions on (uri, uri-reference, date-time).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

func TestSARIFValidatesAgainstTheOfficialSchema(t *testing.T) {
	s := sarifSchema(t)
	odd := fixture()
	// Paths that need percent-encoding, a finding with no line, one with
	// no path, a rule the engine did not list.
	odd.Findings = append(odd.Findings,
		finding.Finding{RuleID: "x/unlisted", Engine: "x", Severity: finding.SeverityHigh, Message: "m",
			Location: finding.Location{Path: "dir with space/ü [1]#?.go", StartLine: 1}, Fingerprint: "f1"},
		finding.Finding{RuleID: "x/unlisted", Engine: "x", Severity: finding.SeverityHigh, Message: "m",
			Location: finding.Location{Path: "a.go", StartLine: 3, StartColumn: 5, EndLine: 3, EndColumn: 5}, Fingerprint: "f2"},
	)
	empty := &report.Report{PolicySHA256: "x"}
	empty.Summary.Tally(nil, finding.SeverityHigh)
	for name, r := range map[string]*report.Report{"fixture": fixture(), "odd": odd, "empty": empty} {
		var buf bytes.Buffer
		if err := report.SARIF(&buf, r); err != nil {
			t.Fatal(err)
		}
		if err := validate(t, s, buf.Bytes()); err != nil {
			t.Errorf("%s: SARIF output does not validate:\n%v", name, err)
		}
	}
	for _, golden := range []string{"report.sarif", "empty.sarif"} {
		data, err := os.ReadFile(filepath.Join("testdata", golden))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, s, data); err != nil {
			t.Errorf("%s does not validate:\n%v", golden, err)
		}
	}
}

// TestSARIFSchemaCatchesInvalidLogs shows the validation above can fail.
func TestSARIFSchemaCatchesInvalidLogs(t *testing.T) {
	s := sarifSchema(t)
	var buf bytes.Buffer
	if err := report.SARIF(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(map[string]any){
		"result without message": func(doc map[string]any) {
			delete(result0(doc), "message")
		},
		"bad level": func(doc map[string]any) {
			result0(doc)["level"] = "critical"
		},
		"line zero": func(doc map[string]any) {
			loc := result0(doc)["locations"].([]any)[0].(map[string]any)
			loc["physicalLocation"].(map[string]any)["region"].(map[string]any)["startLine"] = 0
		},
		"wrong version": func(doc map[string]any) {
			doc["version"] = "2.0.0"
		},
	} {
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		mutate(doc)
		bad, _ := json.Marshal(doc)
		if err := validate(t, s, bad); err == nil {
			t.Errorf("%s: invalid SARIF passed validation", name)
		} else if !strings.Contains(err.Error(), "jsonschema") {
			t.Logf("%s: %v", name, err)
		}
	}
}

func result0(doc map[string]any) map[string]any {
	return doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
}
