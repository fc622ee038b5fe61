package secrets

import (
	"fmt"
	"github.com/wardenhq/warden/internal/lazyre"
	"regexp"
	"strings"
)

// The generic detector finds assignments of a literal to a name that says
// "password", "secret", "token" or "api key", in any of the syntaxes
// code and configuration use:
//
//	DB_PASSWORD=...            .env, shell, Dockerfile ENV
//	password: "..."            YAML, JSON, JS objects, Go struct literals
//	apiToken := "..."          Go
//	String secret = "...";     Java, C#, JS, Python, TOML, properties
//	"client_secret" => '...'   PHP, Ruby
//
// It is gated by the shape of the name (the keyword must be the name's
// last word: tokenizer, password_policy or secretName do not count), the
// shape of the value (a literal, not an expression; no spaces, URLs or
// paths) and by entropy and character classes, which keeps ordinary
// strings out.

// genericKeywords are the prefilter keywords of the generic detectors.
var genericKeywords = []string{
	"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "api_key",
	"api-key", "accesskey", "access_key", "credential", "privatekey", "private_key", "_pass", ".pass",
	"pass", "secret_key", "secretkey", "secret-key", "signing_key", "signingkey", "signing-key", "encryption_key", "encryptionkey", "master_key", "masterkey",
	"auth_key", "authkey", "app_key", "appkey", "service_key", "servicekey", "client_key", "clientkey",
}

// terminal words: a name ending in one of these holds a credential.
var genericTerminal = map[string]string{
	"password":    "generic-password",
	"passwd":      "generic-password",
	"pwd":         "generic-password",
	"pass":        "generic-password",
	"passphrase":  "generic-password",
	"secret":      "generic-secret",
	"credential":  "generic-secret",
	"credentials": "generic-secret",
	"token":       "generic-token",
	"apikey":      "generic-api-key",
}

// keyQualifiers: "key" is a terminal word only after one of these.
var keyQualifiers = map[string]bool{
	"api": true, "access": true, "secret": true, "private": true, "auth": true, "client": true,
	"signing": true, "encryption": true, "master": true, "app": true, "service": true, "account": true,
}

// nameWords splits an identifier into lower-case words at _ - . and
// camelCase boundaries.
func nameWords(name string) []string {
	var words []string
	cur := make([]byte, 0, len(name))
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		switch {
		case b == '_' || b == '-' || b == '.' || b == '[' || b == ']' || b == '\'' || b == '"':
			flush()
		case 'A' <= b && b <= 'Z':
			// Split before an upper-case letter that follows a lower-case
			// one or starts a new word after an acronym ("APIKey" -> api key).
			if i > 0 {
				p := name[i-1]
				nextLower := i+1 < len(name) && 'a' <= name[i+1] && name[i+1] <= 'z'
				if 'a' <= p && p <= 'z' || '0' <= p && p <= '9' || ('A' <= p && p <= 'Z' && nextLower) {
					flush()
				}
			}
			cur = append(cur, b+'a'-'A')
		default:
			cur = append(cur, b)
		}
	}
	flush()
	return words
}

// genericRule returns the rule id for a name, or "".
func genericRule(name string) string {
	w := nameWords(name)
	// Trailing digits ("password2") do not change the meaning.
	for len(w) > 0 && strings.Trim(w[len(w)-1], "0123456789") == "" {
		w = w[:len(w)-1]
	}
	if len(w) == 0 {
		return ""
	}
	for _, x := range w {
		if x == "public" || x == "publishable" || x == "example" || x == "dummy" || x == "fake" {
			return ""
		}
	}
	lastW := w[len(w)-1]
	if lastW == "pass" && len(w) == 1 {
		return "" // "PASS:" in test output, a pass/fail column
	}
	if id, ok := genericTerminal[lastW]; ok {
		return id
	}
	if lastW == "key" && len(w) >= 2 && keyQualifiers[w[len(w)-2]] {
		if w[len(w)-2] == "private" || w[len(w)-2] == "secret" || w[len(w)-2] == "signing" || w[len(w)-2] == "encryption" || w[len(w)-2] == "master" {
			return "generic-secret"
		}
		return "generic-api-key"
	}
	return ""
}

func identByte(b byte) bool {
	return isAlnum(b) || b == '_' || b == '-' || b == '.'
}

var identifierRe = lazyre.New(`^[A-Za-z_][A-Za-z0-9_]*$`)

var memberAccess = lazyre.New(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)+$`)

func (e *Engine) matchGeneric(content []byte, start, end int, out []Match) ([]Match, int) {
	// The keyword must end the name (trailing digits or a plural aside):
	// passwordHash and tokenizer are rejected here, before any work.
	// Returning start, not the name's end, lets a longer keyword that
	// starts at the same place (pass, password) have its turn.
	j := end
	if j < len(content) && content[j] == 's' {
		j++
	}
	for j < len(content) && '0' <= content[j] && content[j] <= '9' {
		j++
	}
	if j < len(content) && isAlnum(content[j]) {
		return out, start
	}
	// The whole name around the keyword.
	l, r := start, end
	for l > 0 && identByte(content[l-1]) && start-l < 128 {
		l--
	}
	for r < len(content) && identByte(content[r]) && r-end < 128 {
		r++
	}
	name := string(content[l:r])
	rule := genericRule(name)
	c := e.generic[rule]
	if c == nil {
		return out, r
	}
	// The assignment operator, after an optional closing quote.
	i := r
	if i < len(content) && (content[i] == '"' || content[i] == '\'' || content[i] == '`') {
		i++
	}
	if i < len(content) && content[i] == ']' {
		i++ // $config['db_password'] = ...
	}
	if i < len(content) && content[i] == '\\' && i+1 < len(content) && content[i+1] == '"' {
		i += 2 // an escaped JSON key: {\"password\": \"...\"}
	}
	i = skipSpaces(content, i)
	switch {
	case hasAt(content, i, ":="), hasAt(content, i, "=>"), hasAt(content, i, "?="):
		i += 2
	case hasAt(content, i, "=="), hasAt(content, i, "!="):
		return out, r
	case hasAt(content, i, "="), hasAt(content, i, ":"):
		i++
	default:
		return out, r
	}
	i = skipSpaces(content, i)
	vs, ve, quoted := genericValue(content, i)
	if vs < 0 {
		return out, r
	}
	v := string(content[vs:ve])
	if !genericValueOK(rule, name, v, quoted) {
		return out, ve
	}
	return append(out, c.match(vs, ve, v)), ve
}

func skipSpaces(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

func hasAt(b []byte, i int, s string) bool {
	return i+len(s) <= len(b) && string(b[i:i+len(s)]) == s
}

// genericValue finds the literal value starting at i: a quoted string
// (with an optional b/r/u prefix, Go's []byte( or an escaped JSON quote) or
// a bare word. It returns -1 when there is no literal.
func genericValue(b []byte, i int) (vs, ve int, quoted bool) {
	if hasAt(b, i, "[]byte(") {
		i += len("[]byte(")
	}
	if i+1 < len(b) && (b[i] == 'b' || b[i] == 'r' || b[i] == 'u') && (b[i+1] == '"' || b[i+1] == '\'') {
		i++
	}
	if i >= len(b) {
		return -1, -1, false
	}
	q := b[i]
	escapedQuote := q == '\\' && i+1 < len(b) && b[i+1] == '"'
	if q == '"' || q == '\'' || q == '`' || escapedQuote {
		if escapedQuote {
			i++
		}
		vs := i + 1
		for j := vs; j < len(b) && j-vs < 512; j++ {
			switch b[j] {
			case '\n':
				return -1, -1, false
			case '\\':
				if escapedQuote && j+1 < len(b) && b[j+1] == '"' {
					return vs, j, true
				}
				j++
			case q:
				return vs, j, true
			}
		}
		return -1, -1, false
	}
	// A bare value runs to whitespace or a delimiter.
	j := i
	for j < len(b) && j-i < 512 {
		c := b[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ';' || c == '}' || c == ']' || c == ')' || c == '"' || c == '\'' || c == '`' {
			break
		}
		j++
	}
	if j == i {
		return -1, -1, false
	}
	return i, j, false
}

func classes(v string) int {
	var lower, upper, digit, other bool
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z':
			lower = true
		case 'A' <= c && c <= 'Z':
			upper = true
		case '0' <= c && c <= '9':
			digit = true
		default:
			other = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			n++
		}
	}
	return n
}

func isHex(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

var uuidRe = lazyre.New(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var checksummedPrefixes = map[string]func(string) bool{
	"ghp_": checkCRC32Suffix, "gho_": checkCRC32Suffix, "ghu_": checkCRC32Suffix,
	"ghs_": checkCRC32Suffix, "ghr_": checkCRC32Suffix, "npm_": checkCRC32Suffix,
}

// isSlug: lower-case words joined by - _ or . ("generic-password",
// "my-super-secret-jwt-key"): a name, not a random credential.
func isSlug(v string) bool {
	segs := strings.FieldsFunc(v, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	if len(segs) < 2 {
		return false
	}
	words := 0
	for _, sg := range segs {
		letters := true
		for i := 0; i < len(sg); i++ {
			c := sg[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				return false
			}
			if c < 'a' {
				letters = false
			}
		}
		if letters && len(sg) >= 2 {
			words++
		}
	}
	return words*2 >= len(segs) && words >= 2
}

// genericValueOK gates a generic candidate value.
func genericValueOK(rule, name, v string, quoted bool) bool {
	minLen := 16
	if rule == "generic-password" {
		minLen = 8
	}
	if len(v) < minLen || len(v) > 256 {
		return false
	}
	if strings.ContainsAny(v, " \t") || strings.Contains(v, "://") {
		return false
	}
	squash := func(x string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(x))
	}
	if strings.Contains(squash(v), squash(name)) || IsPlaceholder(v, "") {
		return false // encryptionKey: "encryptionKey-v2" names itself
	}
	switch v[0] {
	case '/', '~', '$', '@', '%', '&', '*', '!':
		// paths, variables, references, pointers
		if rule != "generic-password" || v[0] == '/' || v[0] == '~' || v[0] == '$' {
			return false
		}
	case '.':
		return false
	}
	if !quoted {
		if strings.ContainsAny(v, "()[]{}<>$") || memberAccess.MatchString(v) {
			return false
		}
		// A bare identifier that names what it holds is a variable in
		// code (PrivateKey: testRSAPrivateKey), not a value.
		if identifierRe.MatchString(v) {
			lv := strings.ToLower(v)
			for _, w := range []string{"key", "secret", "token", "password", "passwd", "test", "cred", "config", "env"} {
				if strings.Contains(lv, w) {
					return false
				}
			}
		}
		// Bare words in code are identifiers; a bare credential in a
		// config file has letters and digits.
		hasDigit, hasLetter := false, false
		for i := 0; i < len(v); i++ {
			hasDigit = hasDigit || '0' <= v[i] && v[i] <= '9'
			hasLetter = hasLetter || 'a' <= v[i]|0x20 && v[i]|0x20 <= 'z'
		}
		if !hasDigit || !hasLetter {
			return false
		}
	}
	if uuidRe.MatchString(v) || isSlug(v) {
		return false // an identifier or a name, not a credential
	}
	// A token of a checksummed format that fails its checksum is a
	// near-miss (a documentation example), not a generic secret.
	for prefix, check := range checksummedPrefixes {
		if strings.HasPrefix(v, prefix) && !check(v) {
			return false
		}
	}
	lower := strings.ToLower(v)
	for _, ext := range []string{".json", ".pem", ".key", ".txt", ".yaml", ".yml", ".p12", ".crt", ".env", ".html", ".js", ".go", ".py"} {
		if strings.HasSuffix(lower, ext) {
			return false
		}
	}
	h := Entropy(v)
	switch rule {
	case "generic-password":
		return (classes(v) >= 3 && h >= 2.9) || (len(v) >= 16 && h >= 3.5)
	default:
		if isHex(v) {
			return len(v) >= 24 && h >= 3.2
		}
		return classes(v) >= 2 && h >= 3.6
	}
}

// compileUserRegex compiles a policy regex and rejects ones that would
// flag everything.
func compileUserRegex(s string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	if re.MatchString("") {
		return nil, fmt.Errorf("%q matches the empty string, so it would flag every file", s)
	}
	return re, nil
}
