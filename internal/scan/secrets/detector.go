package secrets

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/finding"
)

// Families group detectors for reporting and accuracy figures.
const (
	FamilyCloud      = "cloud"
	FamilyCodeHost   = "code-host"
	FamilyAI         = "ai"
	FamilyPayment    = "payment"
	FamilyMessaging  = "messaging"
	FamilyPlatform   = "platform"
	FamilyDatabase   = "database"
	FamilyPrivateKey = "private-key"
	FamilyAuth       = "auth" // JWTs, .netrc, htpasswd, HTTP auth headers, kubeconfig
	FamilyGeneric    = "generic"
	FamilyCustom     = "custom"
)

// Checks: structural validators a candidate must pass. A format with a
// checksum is validated with it, which removes almost every false positive
// of that detector.
const (
	CheckGitHubCRC32 = "github-crc32" // ghp_/gho_/ghu_/ghs_/ghr_: CRC32 of the body, base62, last 6 chars
	CheckNpmCRC32    = "npm-crc32"    // npm_: same scheme as GitHub's
	CheckJWT         = "jwt"          // header and payload are base64url JSON objects, header has "alg"
	CheckBase64Key64 = "base64-64"    // decodes (standard base64) to exactly 64 bytes
	CheckBasicAuth   = "basic-auth"   // base64 of user:password with a real password
	CheckPEM         = "pem"          // a private key block with a real body
	CheckURL         = "url-password" // scheme://user:password@host, parsed by hand (see matchURL)
)

// Detector describes one kind of secret. Detectors are data: the engine
// compiles them once; tests run every detector's samples.
type Detector struct {
	ID       string
	Title    string
	Provider string
	Family   string
	Severity finding.Severity
	// Keywords are literals (matched ASCII case-insensitively) of which at
	// least one occurs in or right before every secret of this kind. The
	// prefilter finds them in one pass; the regex only runs around hits.
	Keywords []string
	// Regex matches the secret. When it has a capture group, the first
	// group (or the group named "secret") is the secret value.
	Regex string
	// Context: Regex matches the value alone, and the value must follow a
	// keyword on the same line within contextRange bytes (an assignment
	// such as HEROKU_API_KEY = "...").
	Context bool
	// Multiline: the secret spans lines (the regex searches a window of
	// the following lines, not just the keyword's line).
	Multiline bool
	// MinEntropy is the minimum Shannon entropy (bits per byte) of the
	// value with its literal keyword prefix removed.
	MinEntropy float64
	// Check names a structural validator (see the Check constants).
	Check string
	// Fix overrides the fix hint built from Provider.
	Fix string
	// Positive and Negative are samples the tests run: each positive
	// must yield this detector, no negative may. Positives for most
	// detectors are generated from Regex with a fixed seed instead.
	Positive []string
	Negative []string
}

// FixHint is the remediation advice for the detector.
func (d *Detector) FixHint() string {
	if d.Fix != "" {
		return d.Fix
	}
	where := d.Provider
	if where == "" {
		where = "the issuing service"
	}
	switch d.Family {
	case FamilyPrivateKey:
		return "Treat the key as compromised: generate a new key pair, replace the public key wherever it is trusted, and keep the private key out of the repository (secret manager, CI secret, or a file listed in .gitignore)."
	case FamilyDatabase:
		return "Change the database user's password, and build the connection URL at run time from a secret manager or environment variable instead of writing the password into it."
	case FamilyGeneric:
		return "Rotate the credential, then read it at run time from a secret manager or an environment variable; never commit it."
	}
	return fmt.Sprintf("Revoke this credential in %s and issue a new one, then load it at run time from a secret manager or environment variable. Removing it from the code is not enough: it stays in git history.", where)
}

// Rule is the finding.Rule the detector reports under.
func (d *Detector) Rule() finding.Rule {
	tags := []string{"security", "secret", d.Family}
	return finding.Rule{
		ID:       d.ID,
		Engine:   EngineName,
		Title:    d.Title,
		Severity: d.Severity,
		CWE:      "CWE-798",
		Help:     fmt.Sprintf("%s found in the code. %s", d.Title, d.FixHint()),
		Tags:     tags,
	}
}

const (
	// contextRange is how far after a context keyword its value may start.
	contextRange = 80
	// windowBack and windowFwd bound the window around a keyword hit in
	// which a detector's regex runs (further clipped to the hit's line).
	windowBack = 256
	windowFwd  = 2048
	// pemWindow is how far a private key block may extend.
	pemWindow = 32 << 10
)

type matcherKind uint8

const (
	kindToken   matcherKind = iota // the regex matches the token; the keyword is in it
	kindContext                    // the regex matches a value after the keyword
	kindPEM                        // a multi-line private key block
	kindGeneric                    // the hand-written assignment detector
	kindCustom                     // a policy rule: like kindToken, or whole input without keywords
	kindURL                        // user:password@host in a URL
)

type compiled struct {
	*Detector
	idx        int
	kind       matcherKind
	group      int // capture group of the value; 0 means the whole match
	prio       int
	check      func(string) bool
	pem        string // for kindPEM: the marker type, e.g. "RSA PRIVATE KEY"
	multiline  bool   // the pattern spans lines: search a window, not a line
	maxLen     int    // longest possible match in bytes (capped)
	isAnchored bool   // matches start at their keyword: match ^(?:Regex) at the hit
	// minEntropy is MinEntropy or the kind's default.
	minEntropy float64

	once  sync.Once
	re    *regexp.Regexp // Regex, or ^(?:Regex) when isAnchored; see regex()
	reErr error
}

func compile(d *Detector, custom bool) (*compiled, error) {
	c := &compiled{Detector: d, prio: 3}
	switch {
	case custom:
		c.kind, c.prio = kindCustom, 5
	case d.Check == CheckPEM:
		c.kind = kindPEM
		c.pem = pemType(d.Regex)
	case d.Check == CheckURL:
		c.kind = kindURL
	case d.Family == FamilyGeneric:
		c.kind, c.prio = kindGeneric, 1
		return c, nil
	case d.Context:
		c.kind, c.prio = kindContext, 2
		if startsWithLiteral(d.Regex) {
			// A value with its own literal prefix (AIza...) next to a
			// provider keyword is more specific than the bare token.
			c.prio = 4
		}
		if d.MinEntropy == 0 {
			// A value found by its neighbourhood alone must at least look
			// random.
			c.minEntropy = 3.0
		}
	}
	if d.MinEntropy != 0 {
		c.minEntropy = d.MinEntropy
	}
	// The pattern is parsed now (cheap) and compiled on first use: a
	// process that scans one prompt compiles only the detectors whose
	// keywords it contains.
	parsed, err := syntax.Parse(d.Regex, syntax.Perl)
	if err != nil {
		return nil, err
	}
	c.multiline = d.Multiline
	c.isAnchored = c.kind == kindContext || c.kind == kindToken && keywordStartsMatch(parsed, d.Keywords)
	// The longest possible match bounds the window handed to the regexp
	// engine, whose cost grows with the window (its backtracker clears a
	// bitmap of pattern size times input size on every call).
	c.maxLen = windowFwd
	if n := maxLen(parsed.Simplify()); n >= 0 && n < c.maxLen {
		c.maxLen = n
	}
	if names := parsed.CapNames(); slices.Contains(names, "secret") {
		c.group = slices.Index(names, "secret")
	} else if parsed.MaxCap() > 0 {
		c.group = 1
	}
	if custom {
		// A policy's pattern is compiled (and so validated) at load.
		if _, err := c.regex(); err != nil {
			return nil, err
		}
	}
	if d.Check != "" && d.Check != CheckPEM && d.Check != CheckURL {
		fn, ok := checks[d.Check]
		if !ok {
			return nil, fmt.Errorf("unknown check %q", d.Check)
		}
		c.check = fn
	}
	return c, nil
}

// regex compiles the detector's pattern on first use; safe for
// concurrent use.
func (c *compiled) regex() (*regexp.Regexp, error) {
	c.once.Do(func() {
		src := c.Regex
		if c.isAnchored {
			src = `^(?:` + src + `)`
		}
		c.re, c.reErr = regexp.Compile(src)
	})
	return c.re, c.reErr
}

// startsWithLiteral reports whether every match of pattern begins with
// a literal of at least two characters.
func startsWithLiteral(pattern string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	for {
		switch re.Op {
		case syntax.OpCapture:
			re = re.Sub[0]
		case syntax.OpConcat:
			re = re.Sub[0]
		case syntax.OpLiteral:
			return len(re.Rune) >= 2
		default:
			return false
		}
	}
}

// keywordStartsMatch reports whether every match of pattern starts with
// a literal, and every keyword agrees with one of those literals, so that
// a match is found by matching at the keyword's position.
func keywordStartsMatch(re *syntax.Regexp, keywords []string) bool {
	ps, ok := literalPrefixes(re)
	if !ok {
		return false
	}
	for _, k := range keywords {
		lk := strings.ToLower(k)
		agree := false
		for _, p := range ps {
			lp := strings.ToLower(p)
			if strings.HasPrefix(lk, lp) || strings.HasPrefix(lp, lk) {
				agree = true
			}
		}
		if !agree {
			return false
		}
	}
	return true
}

// maxLen is the longest match of re in bytes, or -1 when unbounded.
func maxLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += utf8.RuneLen(r)
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture:
		return maxLen(re.Sub[0])
	case syntax.OpConcat:
		t := 0
		for _, s := range re.Sub {
			n := maxLen(s)
			if n < 0 {
				return -1
			}
			t += n
		}
		return t
	case syntax.OpAlternate:
		m := 0
		for _, s := range re.Sub {
			n := maxLen(s)
			if n < 0 {
				return -1
			}
			m = max(m, n)
		}
		return m
	case syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpRepeat:
		if re.Max < 0 {
			return -1
		}
		n := maxLen(re.Sub[0])
		if n < 0 {
			return -1
		}
		return n * re.Max
	case syntax.OpStar, syntax.OpPlus:
		return -1
	}
	return 0
}

func literalPrefixes(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpCapture:
		return literalPrefixes(re.Sub[0])
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, len(re.Rune) > 0
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return nil, false
		}
		return literalPrefixes(re.Sub[0])
	case syntax.OpAlternate:
		var all []string
		for _, s := range re.Sub {
			ps, ok := literalPrefixes(s)
			if !ok {
				return nil, false
			}
			all = append(all, ps...)
		}
		return all, true
	}
	return nil, false
}

// pemType extracts "RSA PRIVATE KEY" from "-----BEGIN RSA PRIVATE KEY-----".
func pemType(marker string) string {
	s := strings.TrimPrefix(marker, "-----BEGIN ")
	return strings.TrimSuffix(s, "-----")
}
