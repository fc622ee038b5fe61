// Command depscompare checks that warden reports every vulnerability
// osv-scanner reports on the same lockfiles with the same OSV data. It
// reads osv-scanner's JSON (-osv) and warden's JSON report (-warden) and
// lists, per package version, the advisory groups one found and the other
// did not. It exits 1 when warden missed any.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type key struct{ file, eco, name, version string }

func main() {
	osvFile := flag.String("osv", "", "osv-scanner --format json output")
	wardenFile := flag.String("warden", "", "warden scan --format json output")
	root := flag.String("root", "", "directory warden scanned (osv-scanner's paths are made relative to it)")
	flag.Parse()
	osv, err := readOSV(*osvFile, *root)
	if err != nil {
		fail(err)
	}
	warden, err := readWarden(*wardenFile)
	if err != nil {
		fail(err)
	}
	missed, extra, agreed := 0, 0, 0
	var report []string
	for k, groups := range osv {
		for _, g := range groups {
			if overlaps(warden[k], g) {
				agreed++
				continue
			}
			missed++
			report = append(report, fmt.Sprintf("MISSED by warden: %s %s %s@%s %s", k.file, k.eco, k.name, k.version, strings.Join(g, ",")))
		}
	}
	for k, groups := range warden {
		for _, g := range groups {
			if !overlaps(osv[k], g) {
				extra++
				report = append(report, fmt.Sprintf("only warden: %s %s %s@%s %s", k.file, k.eco, k.name, k.version, strings.Join(g, ",")))
			}
		}
	}
	sort.Strings(report)
	for _, r := range report {
		fmt.Println(r)
	}
	fmt.Printf("agreement: osv-scanner %d vulnerability groups, warden reported %d of them, missed %d; warden-only %d\n", agreed+missed, agreed, missed, extra)
	if missed > 0 {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "depscompare:", err)
	os.Exit(2)
}

func overlaps(groups [][]string, g []string) bool {
	in := map[string]bool{}
	for _, id := range g {
		in[id] = true
	}
	for _, h := range groups {
		for _, id := range h {
			if in[id] {
				return true
			}
		}
	}
	return false
}

func readOSV(file, root string) (map[key][][]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Results []struct {
			Source struct {
				Path string `json:"path"`
			} `json:"source"`
			Packages []struct {
				Package struct {
					Name, Version, Ecosystem string
				} `json:"package"`
				Groups []struct {
					IDs     []string `json:"ids"`
					Aliases []string `json:"aliases"`
				} `json:"groups"`
			} `json:"packages"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	out := map[key][][]string{}
	for _, r := range doc.Results {
		for _, p := range r.Packages {
			rel, err := filepath.Rel(root, r.Source.Path)
			if err != nil || root == "" {
				rel = filepath.Base(r.Source.Path)
			}
			k := key{filepath.ToSlash(rel), p.Package.Ecosystem, p.Package.Name, strings.TrimPrefix(p.Package.Version, "v")}
			for _, g := range p.Groups {
				out[k] = append(out[k], append(g.IDs, g.Aliases...))
			}
		}
	}
	return out, nil
}

func readWarden(file string) (map[key][][]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Findings []struct {
			RuleID   string            `json:"rule_id"`
			Path     string            `json:"path"`
			Metadata map[string]string `json:"metadata"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	out := map[key][][]string{}
	for _, f := range doc.Findings {
		if f.RuleID != "deps/vulnerable" && f.RuleID != "deps/malicious" {
			continue
		}
		m := f.Metadata
		k := key{f.Path, m["ecosystem"], m["package"], strings.TrimPrefix(m["version"], "v")}
		out[k] = append(out[k], strings.Split(m["aliases"], ","))
	}
	return out, nil
}
