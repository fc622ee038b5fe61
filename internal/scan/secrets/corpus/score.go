package corpus

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Hit is one finding of a scanner on the corpus.
type Hit struct {
	Path      string
	StartLine int
	EndLine   int
	RuleID    string
	// Family is the scanner's family for the rule, when it has one.
	Family string
}

// Counts are the figures for one family.
type Counts struct {
	Labels int // planted secrets
	Found  int // planted secrets at least one hit landed on
	TP     int // hits on a planted secret (first hit per secret)
	FP     int // hits on no planted secret
}

func (c Counts) Recall() float64 {
	if c.Labels == 0 {
		return 1
	}
	return float64(c.Found) / float64(c.Labels)
}

func (c Counts) Precision() float64 {
	if c.TP+c.FP == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FP)
}

// Score is a scanner's accuracy on the corpus.
type Score struct {
	Families map[string]*Counts
	Total    Counts
	// FPKinds counts false positives by the negative kind on their line
	// ("unlabelled" when the line was not a planted negative).
	FPKinds        map[string]int
	Missed         []Label
	FalsePositives []Hit
	Duplicates     int
}

// Score matches hits to the planted secrets. A hit counts as a true
// positive for the family of the secret it lands on; a false positive is
// charged to the hit's own family (or "other" when the scanner has none).
func (c *Corpus) Score(hits []Hit) *Score {
	s := &Score{Families: map[string]*Counts{}, FPKinds: map[string]int{}}
	fam := func(f string) *Counts {
		if s.Families[f] == nil {
			s.Families[f] = &Counts{}
		}
		return s.Families[f]
	}
	byPath := map[string][]int{}
	for i, l := range c.Secrets {
		byPath[l.Path] = append(byPath[l.Path], i)
		fam(l.Family).Labels++
	}
	negKind := map[string]string{}
	for _, n := range c.Negatives {
		negKind[fmt.Sprintf("%s:%d", n.Path, n.Line)] = n.Kind
	}
	found := make([]bool, len(c.Secrets))
	for _, h := range hits {
		end := max(h.EndLine, h.StartLine)
		matched := -1
		for _, i := range byPath[h.Path] {
			l := c.Secrets[i]
			if h.StartLine <= l.EndLine && l.StartLine <= end {
				matched = i
				if !found[i] {
					break
				}
			}
		}
		switch {
		case matched < 0:
			f := h.Family
			if f == "" {
				f = "other"
			}
			fam(f).FP++
			kind := negKind[fmt.Sprintf("%s:%d", h.Path, h.StartLine)]
			if kind == "" {
				kind = "unlabelled"
			}
			s.FPKinds[kind]++
			s.FalsePositives = append(s.FalsePositives, h)
		case found[matched]:
			s.Duplicates++
		default:
			found[matched] = true
			fam(c.Secrets[matched].Family).TP++
			fam(c.Secrets[matched].Family).Found++
		}
	}
	for i, ok := range found {
		if !ok {
			s.Missed = append(s.Missed, c.Secrets[i])
		}
	}
	for _, f := range s.Families {
		s.Total.Labels += f.Labels
		s.Total.Found += f.Found
		s.Total.TP += f.TP
		s.Total.FP += f.FP
	}
	return s
}

// FamilyNames lists the families in s, sorted.
func (s *Score) FamilyNames() []string {
	var names []string
	for n := range s.Families {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// WriteTable writes scores side by side as a Markdown table.
func WriteTable(w io.Writer, names []string, scores []*Score) {
	fams := map[string]bool{}
	for _, s := range scores {
		for _, f := range s.FamilyNames() {
			fams[f] = true
		}
	}
	var fl []string
	for f := range fams {
		fl = append(fl, f)
	}
	sort.Strings(fl)
	fmt.Fprintf(w, "| family | secrets |")
	for _, n := range names {
		fmt.Fprintf(w, " %s recall | %s precision |", n, n)
	}
	fmt.Fprintf(w, "\n|---|---:|%s\n", strings.Repeat("---:|---:|", len(names)))
	row := func(label string, get func(*Score) Counts) {
		fmt.Fprintf(w, "| %s | %d |", label, get(scores[0]).Labels)
		for _, s := range scores {
			c := get(s)
			fmt.Fprintf(w, " %.1f%% (%d/%d) | %.1f%% (%d FP) |", 100*c.Recall(), c.Found, c.Labels, 100*c.Precision(), c.FP)
		}
		fmt.Fprintln(w)
	}
	for _, f := range fl {
		row(f, func(s *Score) Counts {
			if c := s.Families[f]; c != nil {
				return *c
			}
			return Counts{}
		})
	}
	row("**all**", func(s *Score) Counts { return s.Total })
}
