// Package secrets finds credentials in text: provider tokens, keys,
// connection URLs with passwords, private keys, and generic password,
// secret and token assignments.
//
// Every detector names literal keywords; one Aho-Corasick pass over the
// input finds all of them at once and a detector's regular expression runs
// only on a small window around each hit, so the cost of a scan grows with
// the input and the number of hits, not with the number of detectors.
// Candidates then pass placeholder, entropy and checksum filters. One level
// of decoding (base64, URL-encoding, escaped JSON strings) is tried on top.
//
// The Engine is a library as well as a scan.Engine: the agent guard and
// the gateway call Find on prompts and file contents. It never keeps
// per-input state, so memory does not grow with what it has scanned, and it
// never reveals a secret value: Match.Value is a redact.Secret.
package secrets

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/redact"
	"github.com/wardenhq/warden/internal/scan"
)

// EngineName is the engine's id in policy and output.
const EngineName = "secrets"

// Options configures an Engine.
type Options struct {
	// Custom are the policy's rules.secrets detectors.
	Custom []policy.SecretRule
	// Disable lists detector ids (built-in or custom) not to run.
	Disable []string
	// NoDecode turns off the base64 / URL / JSON-escape decoding layer.
	NoDecode bool
}

// Match is one secret found in an input.
type Match struct {
	RuleID   string
	Title    string
	Family   string
	Severity finding.Severity
	// Start and End are byte offsets of the secret in the input. For a
	// secret found after decoding they span the encoded text.
	Start, End int
	// Line and Column (1-based, bytes) locate Start; EndLine is the line
	// of the last byte and EndColumn is one past it (exclusive).
	Line, Column       int
	EndLine, EndColumn int
	// Value is the secret (decoded, when Encoding is set). It prints
	// masked.
	Value redact.Secret
	// Encoding is "", "base64", "url" or "json" when the secret was found
	// inside encoded text.
	Encoding string
}

// Engine finds secrets. It is immutable after New and safe for concurrent
// use.
type Engine struct {
	dets    []*compiled
	pf      *prefilter
	byKw    [][]int32 // keyword id -> detector indices
	noKw    []int32   // custom detectors without keywords: run on the whole input
	decode  bool
	rules   []finding.Rule
	genIdx  int32
	generic map[string]*compiled
	byID    map[string]*compiled
	kwLower []string
}

var _ scan.Engine = (*Engine)(nil)

// New compiles the built-in detectors and the custom ones. A custom rule
// that is invalid (no id, a duplicate id, a bad regex, a bad keyword) is an
// error naming the rule.
func New(opts Options) (*Engine, error) {
	disabled := map[string]bool{}
	for _, id := range opts.Disable {
		disabled[id] = true
	}
	e := &Engine{decode: !opts.NoDecode, genIdx: -1, generic: map[string]*compiled{}}
	// Custom rules first: a user's mistake is reported before any work.
	ids := map[string]bool{}
	for i := range builtin {
		ids[builtin[i].ID] = true
	}
	var custom []*Detector
	for i, r := range opts.Custom {
		d, err := customDetector(i, r, ids)
		if err != nil {
			return nil, err
		}
		ids[d.ID] = true
		custom = append(custom, d)
	}
	for i := range builtin {
		d := &builtin[i]
		if disabled[d.ID] {
			continue
		}
		c, err := compile(d, false)
		if err != nil {
			// Built-in data is tested; this is a programming error.
			return nil, fmt.Errorf("secrets: built-in detector %s: %w", d.ID, err)
		}
		e.add(c)
	}
	for i, d := range custom {
		if disabled[d.ID] {
			continue
		}
		c, err := compile(d, true)
		if err != nil {
			return nil, fmt.Errorf("rules.secrets[%d] (id %q): %w", i, d.ID, err)
		}
		e.add(c)
	}
	// Keywords -> detectors.
	kwID := map[string]int32{}
	for i, c := range e.dets {
		if c.kind == kindGeneric {
			// One dispatcher serves every generic rule: the name decides
			// which rule a candidate belongs to.
			e.generic[c.ID] = c
			if e.genIdx >= 0 {
				continue
			}
			e.genIdx = int32(i)
		}
		if len(c.Keywords) == 0 {
			e.noKw = append(e.noKw, int32(i))
			continue
		}
		for _, k := range contextVariants(c) {
			lk := strings.ToLower(k)
			id, ok := kwID[lk]
			if !ok {
				id = int32(len(e.kwLower))
				kwID[lk] = id
				e.kwLower = append(e.kwLower, lk)
				e.byKw = append(e.byKw, nil)
			}
			if !slices.Contains(e.byKw[id], int32(i)) {
				e.byKw[id] = append(e.byKw[id], int32(i))
			}
		}
	}
	e.pf = buildPrefilter(e.kwLower)
	for _, c := range e.dets {
		e.rules = append(e.rules, c.Rule())
	}
	return e, nil
}

// contextVariants adds, for a context detector, each keyword without its
// separators: the keyword "scw_secret" must also find scwSecretKey.
func contextVariants(c *compiled) []string {
	if c.kind != kindContext {
		return c.Keywords
	}
	out := slices.Clone(c.Keywords)
	for _, k := range c.Keywords {
		if v := strings.NewReplacer("_", "", "-", "").Replace(k); v != k && len(v) >= 4 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func (e *Engine) add(c *compiled) {
	if e.byID == nil {
		e.byID = map[string]*compiled{}
	}
	e.byID[c.ID] = c
	c.idx = len(e.dets)
	e.dets = append(e.dets, c)
}

func customDetector(i int, r policy.SecretRule, ids map[string]bool) (*Detector, error) {
	where := fmt.Sprintf("rules.secrets[%d]", i)
	if r.ID != "" {
		where += fmt.Sprintf(" (id %q)", r.ID)
	}
	switch {
	case strings.TrimSpace(r.ID) == "":
		return nil, fmt.Errorf("%s: id is required", where)
	case ids[r.ID]:
		return nil, fmt.Errorf("%s: id is already used by another secret detector; pick a unique id", where)
	case strings.TrimSpace(r.Regex) == "":
		return nil, fmt.Errorf("%s: regex is required", where)
	case r.Entropy < 0 || r.Entropy > 8:
		return nil, fmt.Errorf("%s: entropy %v is out of range (0 to 8 bits per character)", where, r.Entropy)
	case r.Severity != 0 && !r.Severity.Valid():
		return nil, fmt.Errorf("%s: invalid severity", where)
	}
	for j, k := range r.Keywords {
		if strings.TrimSpace(k) == "" || len(k) > 64 {
			return nil, fmt.Errorf("%s: keywords[%d] must be 1 to 64 characters", where, j)
		}
	}
	if _, err := compileUserRegex(r.Regex); err != nil {
		return nil, fmt.Errorf("%s: invalid regex: %w", where, err)
	}
	sev := r.Severity
	if sev == 0 {
		sev = finding.SeverityHigh
	}
	fix := r.Message
	if fix == "" {
		fix = "Rotate the credential and load it at run time from a secret manager or environment variable."
	}
	return &Detector{
		ID:         r.ID,
		Title:      "Secret (" + r.ID + ")",
		Family:     FamilyCustom,
		Severity:   sev,
		Keywords:   r.Keywords,
		Regex:      r.Regex,
		MinEntropy: r.Entropy,
		Fix:        fix,
	}, nil
}

// Name implements scan.Engine.
func (e *Engine) Name() string { return EngineName }

// Rules implements scan.Engine: one rule per detector, CWE-798.
func (e *Engine) Rules() []finding.Rule { return slices.Clone(e.rules) }

// Keywords lists the prefilter's keywords (lower-cased, deduplicated).
func (e *Engine) Keywords() []string { return slices.Clone(e.kwLower) }

// Detectors lists the built-in detectors (shared data: do not modify).
func Detectors() []Detector { return builtin }

// Find returns the secrets in content, ordered by position. Overlapping
// candidates are resolved to the most specific detector.
func (e *Engine) Find(content []byte) []Match {
	var runs []int
	var runsp *[]int
	if e.decode {
		runsp = &runs
	}
	ms := e.findRuns(content, nil, runsp)
	if e.decode {
		ms = e.findDecoded(content, ms, runs)
	}
	if len(ms) == 0 {
		return nil
	}
	ms = resolve(e, ms)
	locate(content, ms)
	return ms
}

// cand is a candidate before overlap resolution.
type cand = Match

func (e *Engine) find(content []byte, out []Match) []Match {
	return e.findRuns(content, out, nil)
}

func (e *Engine) findRuns(content []byte, out []Match, runs *[]int) []Match {
	last := make([]int, len(e.dets))
	e.pf.scanRuns(content, func(h hit) {
		start := h.end - len(e.kwLower[h.kw])
		for _, di := range e.byKw[h.kw] {
			if start < last[di] {
				continue
			}
			c := e.dets[di]
			switch c.kind {
			case kindToken, kindCustom:
				out, last[di] = matchToken(c, content, start, h.end, out)
			case kindContext:
				out, last[di] = matchContext(c, content, start, h.end, out)
			case kindURL:
				out, last[di] = matchURL(c, content, start, h.end, out)
			case kindPEM:
				out, last[di] = matchPEM(c, content, start, h.end, out)
			case kindGeneric:
				out, last[di] = e.matchGeneric(content, start, h.end, out)
			}
		}
	}, runs)
	for _, di := range e.noKw {
		c := e.dets[di]
		re, err := c.regex()
		if err != nil {
			continue // custom patterns are compiled in New; cannot happen
		}
		out = c.collect(content, 0, re.FindAllSubmatchIndex(content, -1), false, out)
	}
	return out
}

func isAlnum(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// lineBounds returns the window around [start,end) clipped to its line and
// to back/fwd bytes.
func lineBounds(content []byte, start, end, back, fwd int) (int, int) {
	lo := max(0, start-back)
	if i := bytes.LastIndexByte(content[lo:start], '\n'); i >= 0 {
		lo += i + 1
	}
	hi := min(len(content), end+fwd)
	if i := bytes.IndexByte(content[end:hi], '\n'); i >= 0 {
		hi = end + i
	}
	return lo, hi
}

func matchToken(c *compiled, content []byte, start, end int, out []Match) ([]Match, int) {
	lo, hi := lineBounds(content, start, end, windowBack, windowFwd)
	if c.multiline {
		hi = min(len(content), end+pemWindow)
	}
	re, err := c.regex()
	if err != nil {
		return out, end // built-in patterns are tested; cannot happen
	}
	if c.isAnchored {
		hi = min(hi, start+c.maxLen+1)
		loc := re.FindSubmatchIndex(content[start:hi])
		if loc == nil {
			return out, end
		}
		n := len(out)
		out = c.collect(content, start, [][]int{loc}, true, out)
		if len(out) > n {
			return out, start + loc[1]
		}
		return out, end
	}
	out = c.collect(content, lo, re.FindAllSubmatchIndex(content[lo:hi], -1), c.kind == kindToken, out)
	return out, hi
}

// collect turns regex matches in content[base:] into candidates.
func (c *compiled) collect(content []byte, base int, locs [][]int, boundaries bool, out []Match) []Match {
	for _, m := range locs {
		vs, ve := m[2*c.group], m[2*c.group+1]
		if vs < 0 || ve <= vs {
			continue
		}
		vs, ve = vs+base, ve+base
		if boundaries {
			if vs > 0 && isAlnum(content[vs-1]) {
				continue
			}
			if ve < len(content) && isAlnum(content[ve]) {
				continue
			}
		}
		v := string(content[vs:ve])
		if !c.accept(v) {
			continue
		}
		out = append(out, c.match(vs, ve, v))
	}
	return out
}

func (c *compiled) match(vs, ve int, v string) Match {
	return Match{RuleID: c.ID, Title: c.Title, Family: c.Family, Severity: c.Severity, Start: vs, End: ve, Value: redact.New(v)}
}

// accept runs the value filters: placeholders, entropy, checksum.
func (c *compiled) accept(v string) bool {
	prefix := ""
	lv := strings.ToLower(v)
	for _, k := range c.Keywords {
		if strings.HasPrefix(lv, strings.ToLower(k)) && len(k) > len(prefix) {
			prefix = k
		}
	}
	if IsPlaceholder(v, prefix) {
		return false
	}
	if c.minEntropy > 0 && Entropy(v[len(prefix):]) < c.minEntropy {
		return false
	}
	if c.check != nil && !c.check(v) {
		return false
	}
	return true
}

// valueOpeners may stand right before a context value.
var valueOpeners = func() (t [256]bool) {
	for _, b := range []byte(" \t\"'`=:,(>[{") {
		t[b] = true
	}
	return t
}()

func tokenByte(b byte) bool {
	return isAlnum(b) || b == '_' || b == '-' || b == '+' || b == '/' || b == '.'
}

func matchContext(c *compiled, content []byte, start, end int, out []Match) ([]Match, int) {
	_, hi := lineBounds(content, start, end, 0, contextRange+512)
	reach := end + contextRange
	// A keyword that opens a YAML mapping or a JSON object ("heroku:",
	// "stripe": {) is the context of the next few lines.
	if rest := bytes.TrimRight(content[end:hi], " \t\r"); len(rest) > 0 && (rest[len(rest)-1] == ':' || rest[len(rest)-1] == '{') && len(rest) < 8 {
		next := hi
		for n := 0; n < 3 && next < len(content); n++ {
			if k := bytes.IndexByte(content[next+1:min(len(content), next+1+512)], '\n'); k >= 0 {
				next += 1 + k
			} else {
				next = min(len(content), next+1+512)
			}
		}
		hi, reach = next, next
	}
	// Candidate values start right after a quote, '=', ':', space...
	// within contextRange of the keyword; the pattern is tried anchored at
	// each, so a name like HEROKU_API_KEY is never taken for a value.
	for p := end + 1; p <= min(hi-1, reach); p++ {
		if !valueOpeners[content[p-1]] || valueOpeners[content[p]] {
			continue
		}
		re, err := c.regex()
		if err != nil {
			return out, end
		}
		loc := re.FindSubmatchIndex(content[p:min(hi, p+c.maxLen+1)])
		if loc == nil {
			continue
		}
		vs, ve := loc[2*c.group], loc[2*c.group+1]
		if vs < 0 || ve <= vs {
			continue
		}
		vs, ve = vs+p, ve+p
		if bytes.IndexByte(content[end:vs], ',') >= 0 {
			continue // a later column of a CSV row, not the keyword's value
		}
		if content[p-1] == '\n' {
			continue // a value must follow a key on its own line
		}
		if ve < len(content) && tokenByte(content[ve]) && !(content[ve] == '.' && (ve+1 == len(content) || !isAlnum(content[ve+1]))) {
			continue
		}
		v := string(content[vs:ve])
		if !c.accept(v) {
			continue
		}
		return append(out, c.match(vs, ve, v)), ve
	}
	return out, end
}

// matchURL finds the password of scheme://user:password@host. The
// keyword is the scheme with "://" (or a prefix of it, "postgresql+").
// Hand-written: URLs are everywhere in code and comments, and this runs
// in a few nanoseconds per byte where a pattern with bounded repetitions
// would not.
func matchURL(c *compiled, content []byte, start, end int, out []Match) ([]Match, int) {
	if start > 0 && isAlnum(content[start-1]) {
		return out, end
	}
	i := end
	if j := bytes.Index(content[end:min(len(content), end+32)], []byte("://")); j >= 0 {
		i = end + j + 3
	} else if !bytes.HasSuffix(content[start:end], []byte("://")) {
		return out, end
	}
	// The authority ends at a path, query, fragment, space or quote.
	at, colon := -1, -1
	j := i
	for ; j < len(content) && j-i < 512; j++ {
		b := content[j]
		if b == '/' || b == '?' || b == '#' || b <= ' ' || b == '"' || b == '\'' || b == '`' || b == '<' || b == '>' || b == ')' {
			break
		}
		if b == '@' {
			at = j
		} else if b == ':' && colon < 0 && at < 0 {
			colon = j
		}
	}
	if at < 0 || colon < 0 || colon > at {
		return out, j
	}
	vs, ve := colon+1, at
	host := content[at+1 : j]
	minLen := 3
	if c.ID == "cloudinary-url" {
		minLen = 20 // API secrets are 27 characters
	}
	if c.ID == "url-basic-auth" {
		minLen = 6
		if bytes.IndexByte(host, '.') < 0 {
			return out, j
		}
	}
	if ve-vs < minLen || ve-vs > 128 || len(host) == 0 || colon == i && c.ID != "redis-connection-url" {
		return out, j
	}
	if c.ID == "url-basic-auth" && exampleHost(string(host)) {
		return out, j // documentation and test URLs
	}
	v := string(content[vs:ve])
	if strings.EqualFold(v, string(content[i:colon])) || !c.accept(v) {
		return out, j // user:user@ is a stock default
	}
	return append(out, c.match(vs, ve, v)), j
}

// exampleHost: reserved and conventional documentation host names.
func exampleHost(h string) bool {
	h = strings.ToLower(h)
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	for _, suf := range []string{"example.com", "example.org", "example.net", ".example", ".test", ".invalid", ".localhost", ".faketld"} {
		if h == strings.TrimPrefix(suf, ".") || strings.HasSuffix(h, suf) {
			return true
		}
	}
	switch h {
	case "localhost", "foo.com", "bar.com", "google.com", "host.com", "domain.com", "server.com", "yourdomain.com":
		return true
	}
	return false
}

func matchPEM(c *compiled, content []byte, start, end int, out []Match) ([]Match, int) {
	// The keyword is the marker's text ("BEGIN RSA PRIVATE KEY"); include
	// the dashes before it.
	vs := start
	for vs > 0 && start-vs < 5 && content[vs-1] == '-' {
		vs--
	}
	hi := min(len(content), end+pemWindow)
	endMarker := "END " + c.pem
	i := bytes.Index(content[end:hi], []byte(endMarker))
	if i < 0 {
		return out, end
	}
	body := content[end : end+i]
	ve := end + i + len(endMarker)
	for ve < len(content) && content[ve] == '-' && ve-(end+i+len(endMarker)) < 5 {
		ve++
	}
	if !pemBodyOK(body) {
		return out, ve
	}
	return append(out, c.match(vs, ve, string(content[vs:ve]))), ve
}

// resolve drops duplicates and, where candidates overlap, keeps the most
// specific one (a custom rule, then a provider token, then a context
// match, then a generic assignment; raw text before decoded text; then the
// longer one). Candidates are swept in order of position, so only the
// members of one cluster of overlapping candidates are ever compared:
// linear in the number of candidates, whatever the input.
func resolve(e *Engine, ms []Match) []Match {
	prio := func(m *Match) int {
		p := 0
		if c := e.byID[m.RuleID]; c != nil {
			p = c.prio
		}
		p *= 2
		if m.Encoding == "" {
			p++
		}
		return p
	}
	better := func(a, b *Match) bool {
		if pa, pb := prio(a), prio(b); pa != pb {
			return pa > pb
		}
		if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
			return la > lb
		}
		return a.Start < b.Start
	}
	slices.SortStableFunc(ms, func(a, b Match) int { return cmp.Compare(a.Start, b.Start) })
	var kept []Match
	for i := 0; i < len(ms); {
		// ms[i:j] is a cluster: each member overlaps the cluster's span.
		j, end := i+1, ms[i].End
		for j < len(ms) && ms[j].Start < end {
			end = max(end, ms[j].End)
			j++
		}
		cluster := ms[i:j]
		if len(cluster) == 1 {
			kept = append(kept, cluster[0])
		} else {
			slices.SortStableFunc(cluster, func(a, b Match) int {
				if better(&a, &b) {
					return -1
				}
				if better(&b, &a) {
					return 1
				}
				return 0
			})
			n := len(kept)
			for _, m := range cluster {
				overlaps := false
				for _, k := range kept[n:] {
					if m.Start < k.End && k.Start < m.End {
						overlaps = true
						break
					}
				}
				if !overlaps {
					kept = append(kept, m)
				}
			}
		}
		i = j
	}
	slices.SortFunc(kept, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End), strings.Compare(a.RuleID, b.RuleID))
	})
	return kept
}

// locate fills in line and column numbers; ms is sorted by Start.
func locate(content []byte, ms []Match) {
	line, lineStart, pos := 1, 0, 0
	advance := func(to int) {
		for pos < to {
			i := bytes.IndexByte(content[pos:to], '\n')
			if i < 0 {
				pos = to
				break
			}
			line++
			pos += i + 1
			lineStart = pos
		}
	}
	for i := range ms {
		m := &ms[i]
		advance(m.Start)
		m.Line, m.Column = line, m.Start-lineStart+1
		// The end position: count within the match without moving the
		// cursor used for the next start.
		l, ls := line, lineStart
		for j := m.Start; j < m.End-1; j++ {
			if content[j] == '\n' {
				l++
				ls = j + 1
			}
		}
		// EndColumn is exclusive (one past the last byte), as in
		// finding.Location and SARIF regions.
		m.EndLine, m.EndColumn = l, m.End-ls+1
		if m.EndColumn < 2 {
			m.EndColumn = 2
		}
	}
}

// Scan implements scan.Engine.
func (e *Engine) Scan(ctx context.Context, f scan.File, report func(finding.Finding)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, fd := range e.Findings(f.Path, f.Content) {
		report(fd)
	}
	return nil
}

// Findings converts the matches in content to Findings for path. The
// snippet is the secret's line with every secret on it masked.
func (e *Engine) Findings(path string, content []byte) []finding.Finding {
	ms := e.Find(content)
	if len(ms) == 0 {
		return nil
	}
	out := make([]finding.Finding, 0, len(ms))
	for i := range ms {
		m := &ms[i]
		c := e.detector(m.RuleID)
		msg := fmt.Sprintf("%s: %s.", m.Title, m.Value)
		if m.Encoding != "" {
			msg = fmt.Sprintf("%s (%s-encoded): %s.", m.Title, m.Encoding, m.Value)
		}
		if c != nil {
			msg += " " + c.FixHint()
		}
		if m.Family == FamilyGeneric && isTestPath(path) && isHex(m.Value.Reveal()) {
			// Hex values assigned to secret-sounding names in tests and
			// test data are test vectors (RFC keys, expected digests).
			continue
		}
		fd := finding.Finding{
			RuleID:   m.RuleID,
			Engine:   EngineName,
			Severity: m.Severity,
			Title:    m.Title,
			Message:  msg,
			CWE:      "CWE-798",
			Location: finding.Location{
				Path: path, StartLine: m.Line, StartColumn: m.Column,
				EndLine: m.EndLine, EndColumn: m.EndColumn,
			},
			Snippet:     Snippet(content, ms, i),
			Fingerprint: finding.Fingerprint(m.RuleID, path, m.Value.Hash()),
			Metadata: map[string]string{
				"family":      m.Family,
				"secret":      m.Value.String(),
				"secret_hash": m.Value.Hash(),
			},
		}
		if m.Encoding != "" {
			fd.Metadata["encoding"] = m.Encoding
		}
		out = append(out, fd)
	}
	return out
}

// Redact returns content with every secret replaced by placeholder(m)
// (default "[REDACTED:<rule id>]"), and the matches it replaced: what the
// gateway does to a prompt before it leaves the machine. Secrets found
// after decoding replace their whole encoded span.
func (e *Engine) Redact(content []byte, placeholder func(Match) string) ([]byte, []Match) {
	ms := e.Find(content)
	if len(ms) == 0 {
		return content, nil
	}
	if placeholder == nil {
		placeholder = func(m Match) string { return "[REDACTED:" + m.RuleID + "]" }
	}
	var b bytes.Buffer
	b.Grow(len(content))
	pos := 0
	for _, m := range ms {
		if m.Start < pos {
			continue
		}
		b.Write(content[pos:m.Start])
		b.WriteString(placeholder(m))
		pos = m.End
	}
	b.Write(content[pos:])
	return b.Bytes(), ms
}

// isTestPath reports whether path is a test file or test data.
func isTestPath(path string) bool {
	p := "/" + strings.ToLower(path)
	base := p[strings.LastIndexByte(p, '/')+1:]
	return strings.Contains(p, "/testdata/") || strings.Contains(p, "/test/") || strings.Contains(p, "/tests/") ||
		strings.Contains(p, "/__tests__/") || strings.Contains(p, "/fixtures/") ||
		strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py") ||
		strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") || strings.HasSuffix(base, "test.java")
}

func (e *Engine) detector(id string) *compiled { return e.byID[id] }

const snippetMax = 160

// Snippet renders the line of ms[i] with every match that touches the line
// replaced by its mask, shortened around ms[i] when long.
func Snippet(content []byte, ms []Match, i int) string {
	m := ms[i]
	lo := bytes.LastIndexByte(content[:m.Start], '\n') + 1
	hi := len(content)
	if j := bytes.IndexByte(content[m.Start:], '\n'); j >= 0 {
		hi = m.Start + j
	}
	var b strings.Builder
	pos := lo
	focus := -1
	for _, o := range ms {
		if o.End <= lo || o.Start >= hi && o.Start != m.Start {
			continue
		}
		s := max(o.Start, lo)
		if s < pos {
			continue
		}
		b.Write(content[pos:s])
		if o.Start == m.Start {
			focus = b.Len()
		}
		b.WriteString(o.Value.String())
		pos = max(pos, min(o.End, hi))
		if o.End > hi { // a multi-line secret: the rest of the line is part of it
			pos = hi
		}
	}
	if pos < hi {
		b.Write(content[pos:hi])
	}
	s := strings.TrimRight(b.String(), "\r")
	if len(s) > snippetMax && focus >= 0 {
		from := max(0, focus-snippetMax/4)
		to := min(len(s), from+snippetMax)
		s = strings.ToValidUTF8(s[from:to], "")
		if from > 0 {
			s = "…" + s
		}
		if to < len(strings.TrimRight(b.String(), "\r")) {
			s += "…"
		}
	}
	return strings.TrimSpace(s)
}

// Mask is the redacted form of a secret as every output shows it.
func Mask(v string) string { return redact.Mask(v) }

//go:generate go run ./corpus/gen -out testdata/corpus
