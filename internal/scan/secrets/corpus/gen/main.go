// Command gen writes warden's labelled secrets corpus to a directory and
// scores scanners' JSON reports against it.
//
//	go run ./internal/scan/secrets/corpus/gen -out DIR
//	go run ./internal/scan/secrets/corpus/gen -score -warden warden.json -gitleaks gitleaks.json -root DIR
//
// The corpus is regenerated from its fixed seed for scoring, so the
// labels always match the files.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/internal/scan/secrets"
	"github.com/wardenhq/warden/internal/scan/secrets/corpus"
)

func main() {
	out := flag.String("out", "", "write the corpus and labels.json to `DIR`")
	score := flag.Bool("score", false, "score scanner reports against the corpus")
	wardenReport := flag.String("warden", "", "warden JSON report `FILE` (warden scan --format json)")
	gitleaksReport := flag.String("gitleaks", "", "gitleaks JSON report `FILE` (gitleaks dir --report-format json)")
	root := flag.String("root", "", "the corpus `DIR` the reports were made on (to relativize gitleaks paths)")
	keywords := flag.Bool("keywords", false, "print the secrets engine's prefilter keywords, one a line, and exit")
	flag.Parse()
	if *keywords {
		e, err := secrets.New(secrets.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		for _, k := range e.Keywords() {
			fmt.Println(k)
		}
		return
	}
	if err := run(*out, *score, *wardenReport, *gitleaksReport, *root); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string, score bool, wardenReport, gitleaksReport, root string) error {
	c, err := corpus.Generate(corpus.Seed)
	if err != nil {
		return err
	}
	if out != "" {
		if err := os.RemoveAll(out); err != nil {
			return err
		}
		for _, f := range c.Files {
			p := filepath.Join(out, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, f.Content, 0o644); err != nil {
				return err
			}
		}
		labels, _ := json.MarshalIndent(struct {
			Secrets   []corpus.Label    `json:"secrets"`
			Negatives []corpus.Negative `json:"negatives"`
		}{c.Secrets, c.Negatives}, "", "  ")
		if err := os.WriteFile(filepath.Join(out, "labels.json"), labels, 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote %d files, %d secrets, %d negatives to %s\n", len(c.Files), len(c.Secrets), len(c.Negatives), out)
	}
	if !score {
		return nil
	}
	var names []string
	var scores []*corpus.Score
	if wardenReport != "" {
		hits, err := readWarden(wardenReport)
		if err != nil {
			return err
		}
		names, scores = append(names, "warden"), append(scores, c.Score(hits))
	}
	if gitleaksReport != "" {
		hits, err := readGitleaks(gitleaksReport, root)
		if err != nil {
			return err
		}
		names, scores = append(names, "gitleaks"), append(scores, c.Score(hits))
	}
	if len(scores) == 0 {
		return fmt.Errorf("-score needs -warden and/or -gitleaks")
	}
	fmt.Printf("%d planted secrets, %d hard negatives, %d files\n\n", len(c.Secrets), len(c.Negatives), len(c.Files))
	corpus.WriteTable(os.Stdout, names, scores)
	for i, s := range scores {
		fmt.Printf("\n%s: false positives by kind of negative: %v; duplicate findings on one secret: %d\n", names[i], s.FPKinds, s.Duplicates)
		missedBy := map[string]int{}
		for _, m := range s.Missed {
			missedBy[m.Family]++
		}
		fmt.Printf("%s: missed secrets by family: %v\n", names[i], missedBy)
	}
	return nil
}

func readWarden(path string) ([]corpus.Hit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep struct {
		Findings []struct {
			RuleID    string            `json:"rule_id"`
			Path      string            `json:"path"`
			StartLine int               `json:"start_line"`
			EndLine   int               `json:"end_line"`
			Metadata  map[string]string `json:"metadata"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var hits []corpus.Hit
	for _, f := range rep.Findings {
		hits = append(hits, corpus.Hit{Path: f.Path, StartLine: f.StartLine, EndLine: f.EndLine, RuleID: f.RuleID, Family: f.Metadata["family"]})
	}
	return hits, nil
}

func readGitleaks(path, root string) ([]corpus.Hit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep []struct {
		RuleID    string
		File      string
		StartLine int
		EndLine   int
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var hits []corpus.Hit
	for _, f := range rep {
		p := filepath.ToSlash(f.File)
		if root != "" {
			if rel, err := filepath.Rel(root, f.File); err == nil {
				p = filepath.ToSlash(rel)
			}
		}
		p = strings.TrimPrefix(p, "./")
		hits = append(hits, corpus.Hit{Path: p, StartLine: f.StartLine, EndLine: f.EndLine, RuleID: f.RuleID})
	}
	return hits, nil
}
