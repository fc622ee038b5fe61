// Package secretgen makes fake secrets of a detector's format for tests,
// the labelled accuracy corpus and benchmarks: random strings generated
// from the detector's pattern, with valid checksums where the format has
// one. Nothing it makes is a real credential. Output is fully determined by
// the *rand.Rand it is given.
package secretgen

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/wardenhq/warden/internal/scan/secrets"
)

// maxRepeat caps unbounded repetitions (x*, x+, x{n,}).
const maxRepeat = 12

// FromRegex returns a random string matched by pattern.
func FromRegex(r *rand.Rand, pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	gen(r, re.Simplify(), &b)
	return b.String(), nil
}

func gen(r *rand.Rand, re *syntax.Regexp, b *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		b.WriteRune(pickClass(r, re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(alnum[r.IntN(len(alnum))])
	case syntax.OpCapture:
		gen(r, re.Sub[0], b)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			gen(r, s, b)
		}
	case syntax.OpAlternate:
		gen(r, re.Sub[r.IntN(len(re.Sub))], b)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := re.Min, re.Max
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, maxRepeat
		case syntax.OpPlus:
			lo, hi = 1, maxRepeat
		case syntax.OpQuest:
			lo, hi = 0, 1
		}
		if hi < 0 {
			hi = lo + maxRepeat
		}
		n := lo
		if hi > lo {
			n += r.IntN(hi - lo + 1)
		}
		for i := 0; i < n; i++ {
			gen(r, re.Sub[0], b)
		}
	}
	// Anchors and empty matches produce nothing.
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// pickClass picks a rune from a class, limited to printable ASCII other
// than quotes and backslash so that the result embeds in any file.
func pickClass(r *rand.Rand, ranges []rune) rune {
	var opts, quotes []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		for c := max(ranges[i], 0x20); c <= min(ranges[i+1], 0x7e); c++ {
			if c == '"' || c == '\'' || c == '\\' || c == '`' {
				quotes = append(quotes, c)
				continue
			}
			opts = append(opts, c)
		}
	}
	if len(opts) == 0 {
		if len(quotes) > 0 {
			return quotes[0]
		}
		return 'a'
	}
	// A broad (negated) class: stay with characters real credentials use.
	if len(opts) > 70 {
		var narrow []rune
		for _, c := range opts {
			if strings.ContainsRune(alnum+"-_.+=!*~", c) {
				narrow = append(narrow, c)
			}
		}
		opts = narrow
	}
	// \s classes: a plain space reads best.
	for _, c := range opts {
		if c == ' ' && len(opts) <= 6 {
			return ' '
		}
	}
	return opts[r.IntN(len(opts))]
}

// Sample is one generated secret.
type Sample struct {
	// Text is what to write into a file: the whole match of the
	// detector's pattern (for context detectors, just the value).
	Text string
	// Value is the secret itself within Text.
	Value string
}

// ForDetector makes a random secret for d. Generic detectors and PEM
// blocks have their own makers; the others are generated from the
// pattern and fixed up to pass d's check. It retries until the result is
// not mistaken for a placeholder.
func ForDetector(r *rand.Rand, d *secrets.Detector) (Sample, error) {
	for try := 0; try < 50; try++ {
		s, err := forDetector(r, d)
		if err != nil {
			return Sample{}, err
		}
		body := s.Value
		for _, k := range d.Keywords {
			if len(k) <= len(body) && strings.EqualFold(body[:len(k)], k) {
				body = body[len(k):]
				break
			}
		}
		if !secrets.IsPlaceholder(s.Value, s.Value[:len(s.Value)-len(body)]) && (d.MinEntropy == 0 || secrets.Entropy(body) >= d.MinEntropy+0.1) && (!d.Context || secrets.Entropy(s.Value) >= 3.2) {
			return s, nil
		}
	}
	return Sample{}, fmt.Errorf("secretgen: no usable sample for %s after 50 tries", d.ID)
}

func forDetector(r *rand.Rand, d *secrets.Detector) (Sample, error) {
	switch {
	case d.Family == secrets.FamilyGeneric:
		v := Password(r, 20)
		return Sample{Text: v, Value: v}, nil
	case d.Check == secrets.CheckPEM:
		v := PEM(r, strings.TrimSuffix(strings.TrimPrefix(d.Regex, "-----BEGIN "), "-----"))
		return Sample{Text: v, Value: v}, nil
	case d.ID == "azure-sas-token":
		sig := url.QueryEscape(Base64(r, 32))
		return Sample{Text: fmt.Sprintf("sv=2022-11-02&ss=b&srt=co&sp=rl&se=2027-0%d-01T00:00:00Z&spr=https&sig=%s", 1+r.IntN(9), sig), Value: sig}, nil
	case d.Check == secrets.CheckJWT:
		v := JWT(r)
		return Sample{Text: v, Value: v}, nil
	}
	text, err := FromRegex(r, d.Regex)
	if err != nil {
		return Sample{}, err
	}
	re := regexp.MustCompile(d.Regex)
	g := 0
	if i := re.SubexpIndex("secret"); i > 0 {
		g = i
	} else if re.NumSubexp() > 0 {
		g = 1
	}
	loc := re.FindStringSubmatchIndex(text)
	if loc == nil || loc[2*g] < 0 {
		return Sample{}, fmt.Errorf("secretgen: %s: generated text does not match its own pattern", d.ID)
	}
	vs, ve := loc[2*g], loc[2*g+1]
	v := text[vs:ve]
	switch d.Check {
	case secrets.CheckGitHubCRC32, secrets.CheckNpmCRC32:
		i := strings.IndexByte(v, '_')
		body := v[i+1 : i+31]
		v = v[:i+1] + body + secrets.Base62CRC32(body)
	case secrets.CheckBasicAuth:
		v = base64.StdEncoding.EncodeToString([]byte("svc-" + strings.ToLower(alnum[r.IntN(26):][:4]) + ":" + Password(r, 14)))
	case secrets.CheckBase64Key64:
		raw := make([]byte, 64)
		for j := range raw {
			raw[j] = byte(r.IntN(256))
		}
		v = base64.StdEncoding.EncodeToString(raw)
	}
	return Sample{Text: text[:vs] + v + text[ve:], Value: v}, nil
}

const passwordChars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%*+-_=?"

// Password makes a strong random password of n characters with upper,
// lower, digit and symbol characters.
func Password(r *rand.Rand, n int) string {
	for {
		b := make([]byte, n)
		for i := range b {
			b[i] = passwordChars[r.IntN(len(passwordChars))]
		}
		s := string(b)
		if strings.ContainsAny(s, "0123456789") && strings.ContainsAny(s, "!#%*+-_=?") && strings.ToLower(s) != s && strings.ToUpper(s) != s {
			return s
		}
	}
}

// Base64 returns n random bytes, standard base64-encoded.
func Base64(r *rand.Rand, n int) string {
	raw := make([]byte, n)
	for i := range raw {
		raw[i] = byte(r.IntN(256))
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// PEM makes a private key block of the given type with a random body.
func PEM(r *rand.Rand, typ string) string {
	body := Base64(r, 600+r.IntN(600))
	var b strings.Builder
	b.WriteString("-----BEGIN " + typ + "-----\n")
	for len(body) > 64 {
		b.WriteString(body[:64] + "\n")
		body = body[64:]
	}
	b.WriteString(body + "\n-----END " + typ + "-----")
	return b.String()
}

// JWT makes a signed-looking JSON Web Token with random claims.
func JWT(r *rand.Rand) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"user-%d","iat":%d,"scope":"admin"}`, r.IntN(1e6), 1.7e9+r.IntN(1e7))))
	sig := make([]byte, 32)
	for i := range sig {
		sig[i] = byte(r.IntN(256))
	}
	return h + "." + p + "." + enc.EncodeToString(sig)
}
