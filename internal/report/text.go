package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiGreen  = "\x1b[32m"
	ansiMag    = "\x1b[35m"
)

// Text writes findings grouped by file, then a summary line. Snippets are
// printed as the engines produced them: already redacted.
func Text(w io.Writer, r *Report, opts Options) error {
	bw := bufio.NewWriter(w)
	c := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	sevColor := map[finding.Severity]string{
		finding.SeverityCritical: ansiBold + ansiMag,
		finding.SeverityHigh:     ansiRed,
		finding.SeverityMedium:   ansiYellow,
		finding.SeverityLow:      ansiBlue,
		finding.SeverityInfo:     ansiDim,
	}
	lastPath := "\x00"
	for _, f := range r.Findings {
		if f.Path != lastPath {
			if lastPath != "\x00" {
				fmt.Fprintln(bw)
			}
			path := f.Path
			if path == "" {
				path = "(repository)"
			}
			fmt.Fprintln(bw, c(ansiBold, oneLine(path)))
			lastPath = f.Path
		}
		pos := ""
		if f.StartLine > 0 {
			pos = fmt.Sprintf("%d", f.StartLine)
			if f.StartColumn > 0 {
				pos += fmt.Sprintf(":%d", f.StartColumn)
			}
		}
		sev := fmt.Sprintf("%-8s", f.Severity)
		msgLines := strings.Split(strings.TrimSpace(f.Message), "\n")
		headline := f.Title
		if headline == "" {
			headline, msgLines = msgLines[0], msgLines[1:]
		} else if len(msgLines) > 0 && strings.TrimSpace(msgLines[0]) == headline {
			msgLines = msgLines[1:]
		}
		fmt.Fprintf(bw, "  %-8s %s %s  %s\n", pos, c(sevColor[f.Severity], sev), c(ansiDim, oneLine(f.RuleID)), oneLine(headline))
		for _, l := range msgLines {
			if l = strings.TrimSpace(l); l != "" {
				fmt.Fprintf(bw, "           %s\n", oneLine(l))
			}
		}
		if f.Snippet != "" {
			fmt.Fprintf(bw, "           %s %s\n", c(ansiDim, "|"), oneLine(f.Snippet))
		}
		var extra []string
		if f.CWE != "" {
			extra = append(extra, f.CWE)
		}
		if f.Commit != nil {
			extra = append(extra, fmt.Sprintf("commit %.12s by %s on %s", f.Commit.Hash, f.Commit.Author, f.Commit.Date.UTC().Format("2006-01-02")))
		}
		if exp, ok := f.Metadata[MetaSuppressionExpired]; ok {
			extra = append(extra, c(ansiYellow, "suppression expired: "+exp))
		}
		extra = append(extra, "fingerprint "+f.Fingerprint)
		fmt.Fprintf(bw, "           %s\n", c(ansiDim, strings.Join(extra, " · ")))
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(bw)
	}
	s := &r.Summary
	verdict := c(ansiBold+ansiGreen, "PASS")
	if !s.Passed {
		verdict = c(ansiBold+ansiRed, "FAIL")
	}
	parts := []string{fmt.Sprintf("%s %s", verdict, plural(s.Findings, "finding"))}
	if s.Findings > 0 {
		var bySev []string
		sevs := finding.Severities()
		slices.Reverse(sevs)
		for _, sev := range sevs {
			if n := s.BySeverity[sev.String()]; n > 0 {
				bySev = append(bySev, fmt.Sprintf("%d %s", n, sev))
			}
		}
		parts[0] += " (" + strings.Join(bySev, ", ") + ")"
	}
	parts = append(parts, fmt.Sprintf("%d blocking (fail_on: %s)", s.Blocking, s.FailOn))
	parts = append(parts, plural(s.Files, "file")+" scanned")
	if n, detail := skippedDetail(s.Skipped); n > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped (%s)", n, detail))
	}
	if s.Suppressed > 0 {
		parts = append(parts, fmt.Sprintf("%d suppressed", s.Suppressed))
	}
	if s.Expired > 0 {
		parts = append(parts, fmt.Sprintf("%d with expired suppression", s.Expired))
	}
	fmt.Fprintln(bw, strings.Join(parts, " · "))
	policy := r.PolicySHA256
	if len(policy) > 12 {
		policy = policy[:12]
	}
	engines := strings.Join(s.Engines, ", ")
	if engines == "" {
		engines = "none"
	}
	fmt.Fprintln(bw, c(ansiDim, fmt.Sprintf("policy sha256:%s · engines: %s · mode: %s", policy, engines, r.Mode)))
	return bw.Flush()
}

func skippedDetail(m map[string]int) (int, string) {
	keys := make([]string, 0, len(m))
	total := 0
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
			total += v
		}
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], strings.ReplaceAll(k, "_", " ")))
	}
	return total, strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	// Control characters from a scanned file must not drive the terminal.
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return '�'
		}
		return r
	}, s)
}
