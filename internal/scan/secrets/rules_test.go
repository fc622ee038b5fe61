package secrets_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/scan/secrets"
	"github.com/wardenhq/warden/internal/scan/secrets/secretgen"
)

func newEngine(t testing.TB, opts secrets.Options) *secrets.Engine {
	t.Helper()
	e, err := secrets.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// sampleLine embeds a generated secret the way code would hold it.
func sampleLine(d *secrets.Detector, s secretgen.Sample) string {
	if !d.Context {
		return s.Text
	}
	kw := d.Keywords[0]
	if strings.HasSuffix(kw, "=") || strings.HasSuffix(kw, ":") {
		return kw + s.Text
	}
	return strings.ToUpper(strings.Trim(kw, "_-.")) + `_VALUE = "` + s.Text + `"`
}

func ruleIDs(ms []secrets.Match) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.RuleID)
	}
	return ids
}

func hasRule(ms []secrets.Match, id string) bool {
	for _, m := range ms {
		if m.RuleID == id {
			return true
		}
	}
	return false
}

func TestDetectorData(t *testing.T) {
	ds := secrets.Detectors()
	if len(ds) < 150 {
		t.Errorf("%d built-in detectors, want at least 150", len(ds))
	}
	seen := map[string]bool{}
	idRe := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for i := range ds {
		d := &ds[i]
		if !idRe.MatchString(d.ID) {
			t.Errorf("detector id %q is not kebab-case", d.ID)
		}
		if seen[d.ID] {
			t.Errorf("duplicate detector id %q", d.ID)
		}
		seen[d.ID] = true
		if d.Title == "" || !d.Severity.Valid() || len(d.Keywords) == 0 || d.Family == "" {
			t.Errorf("%s: title, severity, keywords and family are required", d.ID)
		}
		if d.FixHint() == "" {
			t.Errorf("%s: no fix hint", d.ID)
		}
		r := d.Rule()
		if r.CWE != "CWE-798" || r.ID != d.ID || r.Engine != "secrets" {
			t.Errorf("%s: rule = %+v", d.ID, r)
		}
		if d.Family == secrets.FamilyGeneric {
			continue
		}
		if _, err := regexp.Compile(d.Regex); err != nil {
			t.Errorf("%s: %v", d.ID, err)
		}
	}
}

// TestDetectorSamples runs every detector's positive samples (generated
// from its pattern with a fixed seed, plus any listed) and its negatives
// (listed ones, the placeholder form of the positive, and a truncated
// positive).
func TestDetectorSamples(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	ds := secrets.Detectors()
	for i := range ds {
		d := &ds[i]
		if d.Family == secrets.FamilyGeneric {
			continue // covered by TestGeneric
		}
		t.Run(d.ID, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 42))
			for n := 0; n < 3; n++ {
				s, err := secretgen.ForDetector(r, d)
				if err != nil {
					t.Fatal(err)
				}
				line := sampleLine(d, s)
				ms := e.Find([]byte(line + "\n"))
				if !hasRule(ms, d.ID) {
					t.Fatalf("positive sample %d not found as %s (found %v); sample is %d bytes long", n, d.ID, ruleIDs(ms), len(line))
				}
				// Placeholder form: same prefix, filler body.
				prefix := ""
				for _, k := range d.Keywords {
					if strings.HasPrefix(strings.ToLower(s.Value), strings.ToLower(k)) {
						prefix = s.Value[:len(k)]
					}
				}
				if !d.Context && d.Check != secrets.CheckPEM && prefix != "" {
					ph := prefix + strings.Repeat("x", len(s.Value)-len(prefix))
					if ms := e.Find([]byte(strings.Replace(line, s.Value, ph, 1))); hasRule(ms, d.ID) {
						t.Errorf("placeholder form of sample %d reported as %s", n, d.ID)
					}
				}
				// Truncated: half of the body is gone. (Half of a base64
				// user:password is still a credential.)
				if d.Check != secrets.CheckPEM && d.Check != secrets.CheckBasicAuth && len(s.Value)-len(prefix) >= 16 {
					cut := s.Value[:len(prefix)+(len(s.Value)-len(prefix))/2]
					if ms := e.Find([]byte(strings.Replace(line, s.Value, cut, 1))); hasRule(ms, d.ID) {
						t.Errorf("truncated sample %d still reported as %s", n, d.ID)
					}
				}
			}
			for _, p := range d.Positive {
				if !hasRule(e.Find([]byte(p)), d.ID) {
					t.Errorf("listed positive %q not found", p)
				}
			}
			for _, neg := range d.Negative {
				if ms := e.Find([]byte(neg)); hasRule(ms, d.ID) {
					t.Errorf("listed negative %q reported as %s", neg, d.ID)
				}
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"your-api-key-here", true},
		{"AKIAIOSFODNN7EXAMPLE", true},
		{"<token>", true},
		{"changeme", true},
		{"xxxxxxxxxxxxxxxxxxxx", true},
		{"aaaaaaaaaaaaaaaaaa", true},
		{"1234567890abcdef", true},
		{"${API_TOKEN}", true},
		{"{{ .Values.password }}", true},
		{"abcabcabcabcabc", true},
		{"Zx81kLmQ0pRt7vWn3YbC5dEf", false},
		{"c3Vwc3VwZXJzZWNyZXQ9MTIz", false},
	} {
		if got := secrets.IsPlaceholder(tc.v, ""); got != tc.want {
			t.Errorf("IsPlaceholder(%d-char value #%s) = %v, want %v", len(tc.v), fmt.Sprint(tc.want), got, tc.want)
		}
	}
}
