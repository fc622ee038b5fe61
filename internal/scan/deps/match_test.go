package deps

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/osv-scalibr/semantic"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/vulndb"
)

func rangeRec(id, eco, typ string, events ...vulndb.Event) vulndb.Vulnerability {
	return vulndb.Vulnerability{ID: id, Affected: []vulndb.Affected{{
		Package: vulndb.Package{Ecosystem: eco, Name: "p"},
		Ranges:  []vulndb.Range{{Type: typ, Events: events}},
	}}}
}

func intro(v string) vulndb.Event { return vulndb.Event{Introduced: v} }
func fixed(v string) vulndb.Event { return vulndb.Event{Fixed: v} }
func last(v string) vulndb.Event  { return vulndb.Event{LastAffected: v} }

// TestAffected checks range evaluation with each ecosystem's own version
// ordering: the cases where a string or plain SemVer comparison is wrong.
func TestAffected(t *testing.T) {
	tests := []struct {
		name, eco, version string
		rec                vulndb.Vulnerability
		want               bool
		fix                string
	}{
		{"npm below fix", "npm", "1.2.3", rangeRec("A", "npm", "SEMVER", intro("0"), fixed("1.2.4")), true, "1.2.4"},
		{"npm at fix", "npm", "1.2.4", rangeRec("A", "npm", "SEMVER", intro("0"), fixed("1.2.4")), false, ""},
		{"npm 1.10 > 1.9", "npm", "1.10.0", rangeRec("A", "npm", "SEMVER", intro("0"), fixed("1.9.0")), false, ""},
		{"npm prerelease before release", "npm", "2.0.0-rc.1", rangeRec("A", "npm", "SEMVER", intro("0"), fixed("2.0.0")), true, "2.0.0"},
		{"npm before introduced", "npm", "0.9.0", rangeRec("A", "npm", "SEMVER", intro("1.0.0"), fixed("2.0.0")), false, ""},
		{"events out of order", "npm", "1.5.0", rangeRec("A", "npm", "SEMVER", fixed("2.0.0"), intro("1.0.0")), true, "2.0.0"},
		{"second range of two", "npm", "3.1.0", rangeRec("A", "npm", "SEMVER", intro("1.0.0"), fixed("2.0.0"), intro("3.0.0"), fixed("3.2.0")), true, "3.2.0"},
		{"between two ranges", "npm", "2.5.0", rangeRec("A", "npm", "SEMVER", intro("1.0.0"), fixed("2.0.0"), intro("3.0.0"), fixed("3.2.0")), false, ""},
		{"last_affected inclusive", "npm", "2.1.2", rangeRec("A", "npm", "SEMVER", intro("2.0.0"), last("2.1.2")), true, ""},
		{"after last_affected", "npm", "2.1.3", rangeRec("A", "npm", "SEMVER", intro("2.0.0"), last("2.1.2")), false, ""},
		{"limit", "npm", "5.0.0", rangeRec("A", "npm", "SEMVER", intro("0"), vulndb.Event{Limit: "5.0.0"}), false, ""},
		{"Go v prefix", "Go", "v0.17.0", rangeRec("A", "Go", "SEMVER", intro("0"), fixed("0.23.0")), true, "0.23.0"},
		{"Go pseudo-version", "Go", "v0.0.0-20230101000000-abcdef123456", rangeRec("A", "Go", "SEMVER", intro("0"), fixed("0.1.0")), true, "0.1.0"},
		{"PyPI post release is after", "PyPI", "2.0.post1", rangeRec("A", "PyPI", "ECOSYSTEM", intro("0"), fixed("2.0.post1")), false, ""},
		{"PyPI rc is before", "PyPI", "2.0rc1", rangeRec("A", "PyPI", "ECOSYSTEM", intro("0"), fixed("2.0")), true, "2.0"},
		{"PyPI 2.0 == 2.0.0", "PyPI", "2.0.0", rangeRec("A", "PyPI", "ECOSYSTEM", intro("0"), fixed("2.0")), false, ""},
		{"PyPI epoch", "PyPI", "1!0.5", rangeRec("A", "PyPI", "ECOSYSTEM", intro("0"), fixed("3.0")), false, ""},
		{"Maven qualifiers", "Maven", "2.0-beta9", rangeRec("A", "Maven", "ECOSYSTEM", intro("2.0-beta9"), fixed("2.15.0")), true, "2.15.0"},
		{"Maven 2.9.10.7 < 2.9.10.8", "Maven", "2.9.10.7", rangeRec("A", "Maven", "ECOSYSTEM", intro("2.9.0"), fixed("2.9.10.8")), true, "2.9.10.8"},
		{"Maven release after milestone", "Maven", "1.0", rangeRec("A", "Maven", "ECOSYSTEM", intro("0"), fixed("1.0-M1")), false, ""},
		{"RubyGems prerelease", "RubyGems", "1.13.10.rc1", rangeRec("A", "RubyGems", "ECOSYSTEM", intro("0"), fixed("1.13.10")), true, "1.13.10"},
		{"Packagist", "Packagist", "7.4.4", rangeRec("A", "Packagist", "ECOSYSTEM", intro("7.0.0"), fixed("7.4.5")), true, "7.4.5"},
		{"GIT range ignored", "npm", "1.0.0", rangeRec("A", "npm", "GIT", intro("abc"), fixed("def")), false, ""},
		{"versions list", "PyPI", "1.26.5", vulndb.Vulnerability{ID: "A", Affected: []vulndb.Affected{{Versions: []string{"1.26.4", "1.26.5"}}}}, true, ""},
		{"not in versions list", "PyPI", "1.26.6", vulndb.Vulnerability{ID: "A", Affected: []vulndb.Affected{{Versions: []string{"1.26.4", "1.26.5"}}}}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := MatchVulns(tt.eco, tt.version, []vulndb.Vulnerability{tt.rec})
			if got := len(ms) == 1; got != tt.want {
				t.Fatalf("affected = %v, want %v", got, tt.want)
			}
			if tt.want && ms[0].Fixed != tt.fix {
				t.Errorf("fixed = %q, want %q", ms[0].Fixed, tt.fix)
			}
		})
	}
}

func TestMatchMergesAliasesAndRates(t *testing.T) {
	pub := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	a := rangeRec("PYSEC-1", "PyPI", "ECOSYSTEM", intro("0"), fixed("1.5"))
	a.Aliases = []string{"CVE-1"}
	a.Severity = []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}} // 5.3
	b := rangeRec("GHSA-1", "PyPI", "ECOSYSTEM", intro("0"), fixed("2.0"))
	b.Aliases = []string{"CVE-1"}
	b.Published = pub
	b.Severity = []vulndb.Severity{{Type: "CVSS_V4", Score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}} // 9.3
	c := rangeRec("GHSA-2", "PyPI", "ECOSYSTEM", intro("0"))
	c.DatabaseSpecific = &vulndb.DatabaseSpecific{Severity: "LOW"}
	d := rangeRec("GHSA-3", "PyPI", "ECOSYSTEM", intro("0"))
	ms := MatchVulns("PyPI", "1.0", []vulndb.Vulnerability{a, b, c, d})
	got := map[string]Match{}
	for _, m := range ms {
		got[m.ID] = m
	}
	if len(ms) != 3 {
		t.Fatalf("got %d matches, want 3 (PYSEC-1 and GHSA-1 merged): %+v", len(ms), ms)
	}
	m := got["GHSA-1"]
	if diff := cmp.Diff([]string{"GHSA-1", "CVE-1", "PYSEC-1"}, m.IDs); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if m.Severity != finding.SeverityCritical || m.Score != 9.3 || m.Fixed != "2.0" || !m.FixPublished.Equal(pub) {
		t.Errorf("merged match = %+v; want critical 9.3, fix 2.0 (clears both records) published %v", m, pub)
	}
	if got["GHSA-2"].Severity != finding.SeverityLow || got["GHSA-2"].Fixed != "" {
		t.Errorf("textual LOW, no fix: %+v", got["GHSA-2"])
	}
	if got["GHSA-3"].Severity != finding.SeverityHigh {
		t.Errorf("unrated advisory = %s, want high", got["GHSA-3"].Severity)
	}
	mal := rangeRec("MAL-2025-1", "npm", "SEMVER", intro("0"))
	mal.Severity = []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}}
	if ms := MatchVulns("npm", "1.0.0", []vulndb.Vulnerability{mal}); len(ms) != 1 || !ms[0].Malicious || ms[0].Severity != finding.SeverityCritical {
		t.Errorf("MAL record: %+v, want malicious critical whatever its vector", ms)
	}
}

func TestScore(t *testing.T) {
	for _, tt := range []struct {
		vec  string
		want float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
		{"CVSS:3.1/garbage", 0},
	} {
		if got := Score([]vulndb.Severity{{Type: "CVSS_V3", Score: tt.vec}}); got != tt.want {
			t.Errorf("Score(%s) = %v, want %v", tt.vec, got, tt.want)
		}
	}
}

// TestPlainTriple: the fast comparison of MAJOR.MINOR.PATCH versions
// agrees with osv-scalibr's SemVer ordering wherever it applies, and does
// not apply to anything else.
func TestPlainTriple(t *testing.T) {
	vs := []string{"0.0.0", "0.0.1", "1.2.3", "01.2.3", "1.2.03", "1.10.0", "1.9.9", "2.0.0", "10.0.0",
		"999999999999999999.0.0", "4.17.21", "4.17.3", "0.23.0", "1.0.0", "1.0.10", "1.0.9"}
	notPlain := []string{"", "1", "1.2", "1.2.3.4", "1.2.3-beta", "1.2.3+b", "v1.2.3", "1..2", ".1.2", "1.2.", "1.2.x",
		"9999999999999999999.0.0", "1.2.3 "}
	for _, s := range notPlain {
		if _, ok := plainTriple(s); ok {
			t.Errorf("plainTriple(%q) = ok", s)
		}
	}
	for _, a := range vs {
		ta, ok := plainTriple(a)
		if !ok {
			t.Fatalf("plainTriple(%q) not ok", a)
		}
		for _, b := range vs {
			tb, _ := plainTriple(b)
			want, err := semantic.ParseSemverVersion(a).Compare(semantic.ParseSemverVersion(b))
			if err != nil {
				t.Fatal(err)
			}
			if got := cmpTriple(ta, tb); got != want {
				t.Errorf("cmpTriple(%s, %s) = %d, semantic says %d", a, b, got, want)
			}
		}
	}
}

// FuzzMatchFastPath: matching with the plain-version fast path gives what
// osv-scalibr's ordering alone gives, for any versions in a SEMVER range.
func FuzzMatchFastPath(f *testing.F) {
	f.Add("1.2.3", "1.0.0", "1.2.4", "2.0.0", "2.1.0")
	f.Add("1.2.3", "0", "1.2.3-rc.1", "1.10.0", "1.9.0")
	f.Add("4.17.20", "4.0.0", "4.17.21", "0.1.0", "0.2.4")
	f.Fuzz(func(t *testing.T, version, intro1, fixed1, intro2, fixed2 string) {
		rng := vulndb.Range{Type: "SEMVER", Events: []vulndb.Event{{Fixed: fixed2}, {Introduced: intro1}, {Fixed: fixed1}, {Introduced: intro2}}}
		fast := parseVersion(vulndb.NPM, version)
		// The reference: every comparison through semantic.
		ref := func(r vulndb.Range) bool {
			affected := false
			evs := slices.Clone(r.Events)
			sort.SliceStable(evs, func(i, j int) bool {
				a, b := eventVersion(evs[i]), eventVersion(evs[j])
				switch {
				case a == "0":
					return b != "0"
				case b == "0":
					return false
				}
				c, _ := semantic.ParseSemverVersion(a).Compare(semantic.ParseSemverVersion(b))
				return c < 0
			})
			v := semantic.ParseSemverVersion(version)
			for _, e := range evs {
				c, _ := v.Compare(semantic.ParseSemverVersion(eventVersion(e)))
				switch {
				case e.Introduced != "":
					if e.Introduced == "0" || c >= 0 {
						affected = true
					}
				case e.Fixed != "":
					if c >= 0 {
						affected = false
					}
				}
			}
			return affected
		}
		if got, want := inRange(rng, fast), ref(rng); got != want {
			t.Errorf("inRange(%q in %+v) = %v, reference %v", version, rng.Events, got, want)
		}
	})
}
