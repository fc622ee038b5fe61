package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/report"
)

// TestJSONDocCoversEveryKey fails when the JSON report emits a key that
// docs/JSON.md does not document.
func TestJSONDocCoversEveryKey(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "JSON.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(render(t, report.FormatJSON, fixture(), report.Options{}), &out); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(prefix string, v any, descend bool)
	walk = func(prefix string, v any, descend bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				keys[k] = true
				// by_severity, skipped and metadata hold data, not schema.
				if k != "by_severity" && k != "skipped" && k != "metadata" {
					walk(k, child, true)
				}
			}
		case []any:
			for _, e := range x {
				walk(prefix, e, descend)
			}
		}
	}
	walk("", out, true)
	var missing []string
	for k := range keys {
		if !strings.Contains(string(doc), "`"+k+"`") && !strings.Contains(string(doc), "."+k+"`") {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/JSON.md does not document: %s", strings.Join(missing, ", "))
	}
}
