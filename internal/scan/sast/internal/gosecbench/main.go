// Command gosecbench puts warden's labelled Go cases side by side with
// gosec: -extract writes every Go case into its own package under a
// directory both tools scan; -score reads both tools' JSON reports and
// prints, in Markdown, what each found and missed on the labelled lines.
// scripts/bench/sast-gosec.sh drives it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/txtar"
)

var wantRe = regexp.MustCompile(`//\s*want:\s*([a-z0-9,\- ]+)`)

type goCase struct {
	dir    string // relative to the extraction root
	file   string
	src    []byte
	labels map[int][]string
}

func load(testdata string) ([]goCase, error) {
	var archives []string
	for _, d := range []string{"rules", "corpus"} {
		m, err := filepath.Glob(filepath.Join(testdata, d, "go-*.txtar"))
		if err != nil {
			return nil, err
		}
		archives = append(archives, m...)
	}
	sort.Strings(archives)
	var out []goCase
	for _, a := range archives {
		ar, err := txtar.ParseFile(a)
		if err != nil {
			return nil, err
		}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".go") {
				continue
			}
			c := goCase{dir: fmt.Sprintf("c%03d", len(out)), file: filepath.Base(f.Name), src: f.Data, labels: map[int][]string{}}
			for i, line := range strings.Split(string(f.Data), "\n") {
				if m := wantRe.FindStringSubmatch(line); m != nil {
					for _, id := range strings.Split(m[1], ",") {
						c.labels[i+1] = append(c.labels[i+1], strings.TrimSpace(id))
					}
				}
			}
			out = append(out, c)
		}
	}
	return out, nil
}

type key struct {
	path string
	line int
}

func main() {
	testdata := flag.String("testdata", "internal/scan/sast/testdata", "the sast testdata directory")
	extract := flag.String("extract", "", "write the Go cases under this directory")
	score := flag.Bool("score", false, "compare the reports")
	root := flag.String("root", "", "the extraction directory (with -score)")
	wardenJSON := flag.String("warden", "", "warden's JSON report")
	gosecJSON := flag.String("gosec", "", "gosec's JSON report")
	flag.Parse()
	cases, err := load(*testdata)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gosecbench:", err)
		os.Exit(2)
	}
	switch {
	case *extract != "":
		if err := doExtract(*extract, cases); err != nil {
			fmt.Fprintln(os.Stderr, "gosecbench:", err)
			os.Exit(1)
		}
	case *score:
		if err := doScore(*root, *wardenJSON, *gosecJSON, cases); err != nil {
			fmt.Fprintln(os.Stderr, "gosecbench:", err)
			os.Exit(1)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

func doExtract(dir string, cases []goCase) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module sastcases\n\ngo 1.22\n"), 0o644); err != nil {
		return err
	}
	for _, c := range cases {
		if err := os.MkdirAll(filepath.Join(dir, c.dir), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, c.dir, c.file), c.src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func doScore(root, wardenPath, gosecPath string, cases []goCase) error {
	var w struct {
		Findings []struct {
			RuleID    string `json:"rule_id"`
			Path      string `json:"path"`
			StartLine int    `json:"start_line"`
		} `json:"findings"`
	}
	var g struct {
		Issues []struct {
			RuleID string `json:"rule_id"`
			File   string `json:"file"`
			Line   string `json:"line"`
		} `json:"Issues"`
	}
	for _, r := range []struct {
		path string
		v    any
	}{{wardenPath, &w}, {gosecPath, &g}} {
		b, err := os.ReadFile(r.path)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, r.v); err != nil {
			return fmt.Errorf("%s: %w", r.path, err)
		}
	}
	absRoot, _ := filepath.Abs(root)
	wardenAt := map[key][]string{}
	for _, f := range w.Findings {
		k := key{filepath.ToSlash(f.Path), f.StartLine}
		wardenAt[k] = append(wardenAt[k], f.RuleID)
	}
	gosecAt := map[key][]string{}
	for _, is := range g.Issues {
		rel, err := filepath.Rel(absRoot, is.File)
		if err != nil {
			rel = is.File
		}
		line, _ := strconv.Atoi(strings.SplitN(is.Line, "-", 2)[0])
		k := key{filepath.ToSlash(rel), line}
		gosecAt[k] = append(gosecAt[k], is.RuleID)
	}
	labelled := map[key][]string{}
	for _, c := range cases {
		for line, ids := range c.labels {
			labelled[key{c.dir + "/" + c.file, line}] = ids
		}
	}
	var nLabels, wHit, gHit, both int
	missedByGosec := map[string]int{}
	missedByWarden := map[string]int{}
	for k, ids := range labelled {
		for _, id := range ids {
			nLabels++
			wf := contains(wardenAt[k], id)
			gf := len(gosecAt[k]) > 0
			if wf {
				wHit++
			}
			if gf {
				gHit++
			}
			if wf && gf {
				both++
			}
			if !gf {
				missedByGosec[id]++
			}
			if !wf {
				missedByWarden[id+" (gosec: "+strings.Join(gosecAt[k], ",")+")"]++
			}
		}
	}
	wExtra, gExtra := 0, map[string]int{}
	for k, ids := range wardenAt {
		for _, id := range ids {
			if !contains(labelled[k], id) {
				wExtra++
			}
		}
	}
	gTotal := 0
	for k, ids := range gosecAt {
		for _, id := range ids {
			gTotal++
			if _, ok := labelled[k]; !ok {
				gExtra[id]++
			}
		}
	}
	fmt.Printf("Go cases: %d files, %d labelled findings\n\n", len(cases), nLabels)
	fmt.Printf("| tool | labelled findings found | findings on unlabelled lines | all findings |\n|---|---:|---:|---:|\n")
	fmt.Printf("| warden | %d/%d (%.0f%%) | %d | %d |\n", wHit, nLabels, 100*float64(wHit)/float64(nLabels), wExtra, len(w.Findings))
	fmt.Printf("| gosec (any rule on the labelled line) | %d/%d (%.0f%%) | %d | %d |\n\n", gHit, nLabels, 100*float64(gHit)/float64(nLabels), sum(gExtra), gTotal)
	fmt.Printf("Found by both: %d.\n\n", both)
	printCounts("Labelled findings gosec does not report (by warden rule)", missedByGosec)
	printCounts("Labelled findings warden misses (with what gosec reports there)", missedByWarden)
	printCounts("gosec findings on unlabelled lines (by gosec rule)", gExtra)
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func printCounts(title string, m map[string]int) {
	fmt.Printf("%s:\n\n", title)
	if len(m) == 0 {
		fmt.Printf("- none\n\n")
		return
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if m[ks[i]] != m[ks[j]] {
			return m[ks[i]] > m[ks[j]]
		}
		return ks[i] < ks[j]
	})
	for _, k := range ks {
		fmt.Printf("- %s: %d\n", k, m[k])
	}
	fmt.Println()
}
