package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Markers around the guidance block `warden init` renders into the agents'
// instruction files (internal/install uses these). Everything outside them
// is the user's.
const (
	GuidanceBegin = "<!-- warden:begin -->"
	GuidanceEnd   = "<!-- warden:end -->"
)

// guidanceFile reports whether p is an instruction file an agent reads as
// guidance: where warden init renders the policy's block (CLAUDE.md,
// AGENTS.md, GEMINI.md, .github/copilot-instructions.md,
// .cursor/rules/warden.mdc), in any directory, since agents also read
// nested ones.
func guidanceFile(p string) bool {
	switch path.Base(p) {
	case "CLAUDE.md", "AGENTS.md", "GEMINI.md", "copilot-instructions.md":
		return true
	}
	return strings.HasSuffix(p, "/.cursor/rules/warden.mdc")
}

// guidanceBlocks is every marker-delimited block of s, markers included,
// in order (an unterminated block runs to the end); "" when s has none.
// Two contents with equal guidanceBlocks differ only outside the blocks.
func guidanceBlocks(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, GuidanceBegin)
		j := strings.Index(s, GuidanceEnd)
		if i < 0 && j < 0 {
			return b.String()
		}
		if i < 0 || (j >= 0 && j < i) {
			// A stray end marker counts too: adding or removing one changes
			// where init finds the block.
			b.WriteString(GuidanceEnd + "\x00")
			s = s[j+len(GuidanceEnd):]
			continue
		}
		rest := s[i+len(GuidanceBegin):]
		k := strings.Index(rest, GuidanceEnd)
		if k < 0 {
			b.WriteString(s[i:])
			return b.String()
		}
		b.WriteString(s[i:i+len(GuidanceBegin)+k+len(GuidanceEnd)] + "\x00")
		s = rest[k+len(GuidanceEnd):]
	}
}

// guidanceWrite denies a write, edit or delete of an instruction file that
// would change, add or remove warden's guidance block: the block is the
// policy's, rendered from warden.yaml by `warden init`, and an agent that
// rewrote it would be rewriting its own rules. Edits elsewhere in the file
// are the user's business and pass.
func (g *Guard) guidanceWrite(a Action, p string) Decision {
	before, err := g.currentContent(p)
	if err != nil {
		return g.hit(RuleGuidanceTamper, fmt.Sprintf("cannot read %s to check warden's guidance block in it (%v); the change is denied (fail closed)", p, err))
	}
	var after string
	switch {
	case a.Delete:
	case a.Kind == KindWrite:
		after = a.Content
	case a.Kind == KindEdit:
		after = applyEdits(before, a.Edits)
	}
	if guidanceBlocks(before) == guidanceBlocks(after) {
		return Decision{Verdict: Allow}
	}
	return g.hit(RuleGuidanceTamper, fmt.Sprintf("this would change warden's guidance block in %s (between %s and %s): it is rendered from the policy by `warden init`, so agents may not edit it; make your change outside the markers, or ask the user to change warden.yaml (instructions.extra) and rerun warden init", p, GuidanceBegin, GuidanceEnd))
}

// holdsGuidance reports whether the file at p has a guidance block now
// (or cannot be read, which counts as having one: fail closed).
func (g *Guard) holdsGuidance(p string) bool {
	s, err := g.currentContent(p)
	return err != nil || strings.Contains(s, GuidanceBegin) || strings.Contains(s, GuidanceEnd)
}

// currentContent is the file's content now; "" when it does not exist.
func (g *Guard) currentContent(p string) (string, error) {
	if g.cfg.ReadFile == nil {
		return "", nil
	}
	b, err := g.cfg.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return string(b), err
}
