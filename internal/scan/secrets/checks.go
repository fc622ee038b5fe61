package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"hash/crc32"
	"math"
	"strings"
)

var checks = map[string]func(string) bool{
	CheckGitHubCRC32: checkCRC32Suffix,
	CheckNpmCRC32:    checkCRC32Suffix,
	CheckJWT:         checkJWT,
	CheckBase64Key64: checkBase64Key64,
	CheckBasicAuth:   checkBasicAuth,
}

func checkBasicAuth(v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(b), ":")
	return ok && len(pass) >= 3 && pass != user && mostlyPrintable(pass) && !IsPlaceholder(pass, "")
}

func mostlyPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Base62CRC32 is the 6-character checksum GitHub and npm append to a
// token body: the CRC32 (IEEE) of the body, base62-encoded, zero-padded.
func Base62CRC32(body string) string {
	n := crc32.ChecksumIEEE([]byte(body))
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62Alphabet[n%62]
		n /= 62
	}
	return string(out[:])
}

// checkCRC32Suffix validates prefix_ + 30 body chars + 6 checksum chars.
func checkCRC32Suffix(v string) bool {
	i := strings.IndexByte(v, '_')
	if i < 0 || len(v)-i-1 != 36 {
		return false
	}
	body := v[i+1:]
	return Base62CRC32(body[:30]) == body[30:]
}

func checkJWT(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	var header map[string]any
	if !decodeJSONSegment(parts[0], &header) {
		return false
	}
	if _, ok := header["alg"]; !ok {
		return false
	}
	var payload map[string]any
	return decodeJSONSegment(parts[1], &payload)
}

func decodeJSONSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

func checkBase64Key64(v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(b) == 64
}

// Entropy is the Shannon entropy of s in bits per byte.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// placeholderWords mark documentation values and templates. They are
// matched case-insensitively anywhere in a candidate value.
var placeholderWords = []string{
	"example", "xxxx", "your_", "your-", "yourkey", "yourtoken", "yoursecret", "yourpass",
	"placeholder", "redacted", "changeme", "change_me", "change-me", "dummy", "sample",
	"insert_", "insert-", "replace_", "replace-", "replaceme", "todo", "fixme", "notreal",
	"not_a_real", "not-a-real", "fake_", "fake-", "<", ">", "${", "{{", "}}", "$(", "%s",
	"%(", "...", "****", "••", "secret_here", "token_here", "key_here", "here_",
	"process.env", "os.getenv", "os.environ", "env(", "getenv",
}

// knownDocValues are published documentation credentials, not secrets.
var knownDocValues = map[string]bool{
	"AKIAIOSFODNN7EXAMPLE":                     true,
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": true,
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c": true,
}

// defaultPasswords are stock values of tutorials and local development
// setups (docker-compose, quick-starts). A weak default is a problem of its
// own, but it is not a leaked secret.
var defaultPasswords = map[string]bool{
	"password": true, "passwd": true, "pass": true, "secret": true, "postgres": true, "root": true,
	"admin": true, "test": true, "guest": true, "user": true, "username": true, "mysql": true,
	"redis": true, "rabbitmq": true, "mongo": true, "mongodb": true, "dbpass": true, "dbpassword": true,
	"mypassword": true, "mysecretpassword": true, "p@ssw0rd": true, "pa55word": true, "password123": true,
	"secret123": true, "letmein": true, "qwerty": true, "hunter2": true, "s3cr3t": true, "token": true,
	"apikey": true, "api_key": true, "api-key": true, "pwd": true, "default": true, "none": true, "null": true,
	"opensesame": true, "open sesame": true, "p@ssword": true, "password1": true, "passw0rd": true, "pa$$word": true,
}

// IsPlaceholder reports whether a candidate value is a template,
// documentation value or filler rather than a credential. prefix is the
// value's literal keyword prefix (e.g. "ghp_"), ignored for the
// repetition checks.
func IsPlaceholder(v, prefix string) bool {
	if knownDocValues[v] {
		return true
	}
	lv := strings.ToLower(v)
	if defaultPasswords[lv] {
		return true
	}
	for _, w := range placeholderWords {
		if strings.Contains(lv, w) {
			return true
		}
	}
	body := lv
	if len(prefix) <= len(body) && strings.HasPrefix(body, strings.ToLower(prefix)) {
		body = body[len(prefix):]
	}
	return repetitive(body)
}

// repetitive: few distinct bytes, a long run of one byte, or a long
// ascending sequence ("123456789", "abcdefgh").
func repetitive(s string) bool {
	if len(s) < 6 {
		return false
	}
	var seen [256]bool
	distinct := 0
	run, maxRun, asc, maxAsc := 1, 1, 1, 1
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			distinct++
		}
		if i == 0 {
			continue
		}
		if s[i] == s[i-1] {
			run++
		} else {
			run = 1
		}
		if s[i] == s[i-1]+1 {
			asc++
		} else {
			asc = 1
		}
		maxRun = max(maxRun, run)
		maxAsc = max(maxAsc, asc)
	}
	switch {
	case distinct <= 3:
		return true
	case maxRun >= 6:
		return true
	case maxAsc >= 8:
		return true
	}
	// A short pattern repeated ("abcabcabc", "0b0b0b0b").
	for p := 1; p <= 4 && p*3 <= len(s); p++ {
		if strings.Repeat(s[:p], len(s)/p) == s[:p*(len(s)/p)] {
			return true
		}
	}
	return false
}

var pemBase64 = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") {
		t[c] = true
	}
	return t
}()

// pemBodyOK: a real key body has many base64 bytes and no elision.
func pemBodyOK(body []byte) bool {
	if bytes.Contains(body, []byte("...")) || bytes.Contains(body, []byte("…")) {
		return false
	}
	n := 0
	for _, c := range body {
		if pemBase64[c] {
			n++
		}
	}
	if n < 64 {
		return false
	}
	for _, m := range []string{"{{", "${", "<", "xxxxxxxx", "XXXXXXXX"} {
		if bytes.Contains(body, []byte(m)) {
			return false
		}
	}
	return true
}
