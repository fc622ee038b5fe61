package kpi

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteJSON renders the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *Report) windowLine() string {
	since := "the beginning"
	if r.Window.Since != nil {
		since = r.Window.Since.Format(time.RFC3339)
	}
	s := fmt.Sprintf("%s to %s", since, r.Window.Until.Format(time.RFC3339))
	if r.Window.Range != "" {
		s += fmt.Sprintf(", commits %s (%d)", r.Window.Range, r.Window.Commits)
	}
	return s
}

func sevOrder(m map[string]int) string {
	var parts []string
	for _, s := range []string{"critical", "high", "medium", "low", "info"} {
		if n := m[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func hours(h float64) string {
	switch {
	case h == 0:
		return "-"
	case h < 48:
		return fmt.Sprintf("%.1fh", h)
	default:
		return fmt.Sprintf("%.1fd", h/24)
	}
}

func countsLine(cs []Count, max int) string {
	if len(cs) == 0 {
		return "none"
	}
	var parts []string
	for i, c := range cs {
		if i == max {
			parts = append(parts, fmt.Sprintf("... %d more", len(cs)-max))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", c.Key, c.Count))
	}
	return strings.Join(parts, ", ")
}

// WriteText renders the report for a terminal or a CI log.
func (r *Report) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "warden security KPIs: %s (%d events)\n\n", r.windowLine(), r.Events)
	fmt.Fprintf(b, "Critical and high findings per release\n")
	if len(r.Releases) == 0 {
		fmt.Fprintf(b, "  no release scans in the window (record scans of tags with repo.release)\n")
	}
	for _, rel := range r.Releases {
		name := rel.Release
		if rel.Repo != "" {
			name = rel.Repo + "@" + rel.Release
		}
		fmt.Fprintf(b, "  %-32s critical %3d  high %3d  (scanned %s)\n", name, rel.Critical, rel.High, rel.Time.Format(time.DateOnly))
	}
	fmt.Fprintf(b, "\nOpen findings at the end of the window: %s\n", sevOrder(r.Open))
	fmt.Fprintf(b, "Mean time to remediate: %s (median %s) over %d remediated finding(s)", hours(r.MTTR.MeanHours), hours(r.MTTR.MedianHours), r.MTTR.Remediated)
	if len(r.MTTR.BySeverity) > 0 {
		var parts []string
		for _, s := range []string{"critical", "high", "medium", "low", "info"} {
			if v, ok := r.MTTR.BySeverity[s]; ok {
				parts = append(parts, fmt.Sprintf("%s %s (%d)", s, hours(v.MeanHours), v.Remediated))
			}
		}
		fmt.Fprintf(b, ": %s", strings.Join(parts, ", "))
	}
	fmt.Fprintf(b, "\nSecret leak incidents: %d (%d remediated, %d still open); %d secret(s) blocked by the agent guard before being written\n",
		r.SecretLeaks.Incidents, r.SecretLeaks.Remediated, r.SecretLeaks.StillOpen, r.SecretLeaks.BlockedByGuard)
	fmt.Fprintf(b, "\nAgent actions: %d (%d allowed, %d denied, %d asked)\n", r.Agent.Total, r.Agent.Allowed, r.Agent.Denied, r.Agent.Asked)
	fmt.Fprintf(b, "  denied by rule:  %s\n", countsLine(r.Agent.DeniedByRule, 8))
	fmt.Fprintf(b, "  denied by agent: %s\n", countsLine(r.Agent.DeniedByAgnt, 8))
	fmt.Fprintf(b, "  asked by rule:   %s\n", countsLine(r.Agent.AskedByRule, 8))
	fmt.Fprintf(b, "  asked by agent:  %s\n", countsLine(r.Agent.AskedByAgent, 8))
	fmt.Fprintf(b, "Unauthorized-access attempts blocked: %d (%s)\n", r.Access.Blocked, countsLine(r.Access.ByAgent, 8))
	fmt.Fprintf(b, "\nVulnerable dependencies open: %d, mean age %.1f days, oldest %.1f days", r.Deps.Open, r.Deps.MeanAgeDays, r.Deps.MaxAgeDays)
	if r.Deps.MeanPublishDays > 0 {
		fmt.Fprintf(b, ", mean %.1f days since the advisory", r.Deps.MeanPublishDays)
	}
	fmt.Fprintln(b)
	for _, d := range r.Deps.Oldest {
		fmt.Fprintf(b, "  %s %s %s (%s) open %.1f days\n", d.Package, d.Version, d.Advisory, d.Severity, d.AgeDays)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}

func mdCounts(b *strings.Builder, title string, cs []Count) {
	fmt.Fprintf(b, "\n| %s | count |\n|---|---:|\n", title)
	if len(cs) == 0 {
		fmt.Fprintf(b, "| none | 0 |\n")
	}
	for _, c := range cs {
		fmt.Fprintf(b, "| %s | %d |\n", mdEscape(c.Key), c.Count)
	}
}

// WriteMarkdown renders the report for a pull request comment, a wiki or
// an email.
func (r *Report) WriteMarkdown(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# Security KPIs\n\n%s, %d events.\n\n", mdEscape(r.windowLine()), r.Events)
	fmt.Fprintf(b, "| measure | value |\n|---|---|\n")
	fmt.Fprintf(b, "| open findings (end of window) | %s |\n", sevOrder(r.Open))
	fmt.Fprintf(b, "| mean time to remediate | %s (median %s, %d remediated) |\n", hours(r.MTTR.MeanHours), hours(r.MTTR.MedianHours), r.MTTR.Remediated)
	fmt.Fprintf(b, "| secret leak incidents | %d (%d remediated, %d open) |\n", r.SecretLeaks.Incidents, r.SecretLeaks.Remediated, r.SecretLeaks.StillOpen)
	fmt.Fprintf(b, "| secrets blocked by the agent guard | %d |\n", r.SecretLeaks.BlockedByGuard)
	fmt.Fprintf(b, "| agent actions denied / asked / total | %d / %d / %d |\n", r.Agent.Denied, r.Agent.Asked, r.Agent.Total)
	fmt.Fprintf(b, "| unauthorized-access attempts blocked | %d |\n", r.Access.Blocked)
	fmt.Fprintf(b, "| vulnerable dependencies open | %d (mean age %.1f days, oldest %.1f days) |\n", r.Deps.Open, r.Deps.MeanAgeDays, r.Deps.MaxAgeDays)

	fmt.Fprintf(b, "\n## Critical and high findings per release\n\n| release | critical | high | scanned |\n|---|---:|---:|---|\n")
	if len(r.Releases) == 0 {
		fmt.Fprintf(b, "| none | | | |\n")
	}
	for _, rel := range r.Releases {
		name := rel.Release
		if rel.Repo != "" {
			name = rel.Repo + "@" + rel.Release
		}
		fmt.Fprintf(b, "| %s | %d | %d | %s |\n", mdEscape(name), rel.Critical, rel.High, rel.Time.Format(time.DateOnly))
	}
	fmt.Fprintf(b, "\n## Agent actions\n")
	mdCounts(b, "denied by rule", r.Agent.DeniedByRule)
	mdCounts(b, "denied by agent", r.Agent.DeniedByAgnt)
	mdCounts(b, "asked by rule", r.Agent.AskedByRule)
	mdCounts(b, "asked by agent", r.Agent.AskedByAgent)
	mdCounts(b, "unauthorized access blocked, by agent", r.Access.ByAgent)
	if len(r.Deps.Oldest) > 0 {
		fmt.Fprintf(b, "\n## Oldest vulnerable dependencies\n\n| package | version | advisory | severity | open (days) |\n|---|---|---|---|---:|\n")
		for _, d := range r.Deps.Oldest {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %.1f |\n", mdEscape(d.Package), mdEscape(d.Version), mdEscape(d.Advisory), d.Severity, d.AgeDays)
		}
	}
	fmt.Fprintf(b, "\n## Definitions\n\n")
	keys := make([]string, 0, len(r.Definitions))
	for k := range r.Definitions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "- **%s**: %s\n", k, mdEscape(r.Definitions[k]))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
