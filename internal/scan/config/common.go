package config

import (
	"github.com/wardenhq/warden/internal/lazyre"
	"strings"
)

// secretKeyName matches variable and property names that hold credentials.
var secretKeyName = lazyre.New(`(?i)(passw(or)?d|passwd|\bpwd\b|_pwd$|^pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credential|auth[_-]?key|signing[_-]?key|encryption[_-]?key|conn(ection)?[_-]?string|database[_-]?url|db[_-]?url)`)

// notSecretKeyName matches names that mention a credential but hold
// something else (a path, a length, a lifetime, a public identifier).
var notSecretKeyName = lazyre.New(`(?i)(_file|_path|_dir|_ttl|_length|_len|_expir\w*|_timeout|_url_template|_name|_id|_header|_type|_env|_var|_policy|_version|_prefix|_endpoint|_uri|_count|_size|_enabled|_required|_min|_max|_rotation\w*|_param|_parameter|_arn|_ref|public[_-]?key)$`)

// isSecretName reports whether a key name says its value is a credential.
func isSecretName(name string) bool {
	return secretKeyName.MatchString(name) && !notSecretKeyName.MatchString(name)
}

// knownTokenPrefix matches credentials recognisable by their shape alone.
var knownTokenPrefix = lazyre.New(`^(ghp_|gho_|ghs_|ghu_|github_pat_|glpat-|sk-[A-Za-z0-9_-]{16,}|sk_live_|rk_live_|xox[abposr]-|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|npm_[A-Za-z0-9]{30,}|pypi-|hf_[A-Za-z0-9]{20,})`)

// placeholder matches values that are obviously not a real credential: a
// variable reference, a template, an empty or example value.
var placeholder = lazyre.New(`(?i)^(\$\{?[A-Za-z_][A-Za-z0-9_:.\-]*\}?|\$\{\{.*\}\}|\{\{.*\}\}|<[^>]*>|\[[^\]]*\]|%[A-Za-z_]+%|\$\([^)]*\)|x{3,}|\*+|\.\.\.|(your|example|sample|dummy|fake|test|placeholder|changeme|change[_-]?me|replace[_-]?me|todo|tbd|none|null|nil|undefined|empty|redacted|secret|password|token)([_\- ].*)?|true|false|yes|no|on|off|\d{1,6}|/run/secrets/.*|/var/run/secrets/.*|/etc/.*|file:.*|vault:.*|arn:aws:.*|projects/.*/secrets/.*|ref\+.*|op://.*)$`)

// isLiteralSecret reports whether a value assigned to a secret-named key is
// a literal credential rather than a reference or placeholder.
func isLiteralSecret(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 6 {
		return false
	}
	if strings.Contains(v, "${") || strings.Contains(v, "$(") || strings.HasPrefix(v, "$") {
		return false
	}
	if pathLike.MatchString(v) {
		return false // a file path or parameter name, not a credential
	}
	return !placeholder.MatchString(v)
}

var pathLike = lazyre.New(`^\.{0,2}/[A-Za-z0-9_./-]*$`)

// looksLikeToken reports whether v is a credential by its shape alone.
func looksLikeToken(v string) bool {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(strings.ToLower(v), "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return knownTokenPrefix.MatchString(v)
}

// Shell command checks shared by Dockerfile RUN and workflow run: steps.
// They work on the lower-cased command with plain string scanning: regular
// expressions over every RUN line cost more than the rest of a scan.

// asciiLower lower-cases ASCII letters only, so offsets into the result
// are offsets into s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// wordAt reports whether lower[i:] starts with w as a whole word.
func wordAt(lower string, i int, w string) bool {
	if !strings.HasPrefix(lower[i:], w) {
		return false
	}
	if i > 0 && isWordByte(lower[i-1]) {
		return false
	}
	end := i + len(w)
	return end >= len(lower) || !isWordByte(lower[end])
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// wordIndexes returns where w occurs as a whole word.
func wordIndexes(lower, w string) []int {
	var out []int
	for off := 0; off < len(lower); {
		i := strings.Index(lower[off:], w)
		if i < 0 {
			break
		}
		if wordAt(lower, off+i, w) {
			out = append(out, off+i)
		}
		off += i + len(w)
	}
	return out
}

// segmentEnd returns the end of the simple command list starting at i: the
// next ;, & or newline.
func segmentEnd(lower string, i int) int {
	if j := strings.IndexAny(lower[i:], ";&\n"); j >= 0 {
		return i + j
	}
	return len(lower)
}

var interpreters = map[string]bool{"sh": true, "bash": true, "zsh": true, "dash": true, "ksh": true, "fish": true, "ash": true,
	"python": true, "python2": true, "python3": true, "perl": true, "ruby": true, "node": true, "php": true, "pwsh": true, "powershell": true}

// commandWord returns the program a pipeline stage runs, skipping sudo
// and env prefixes and a leading directory.
func commandWord(stage string) string {
	f := strings.Fields(stage)
	for len(f) > 0 {
		w := f[0]
		switch {
		case w == "sudo" || w == "env" || w == "exec" || w == "command":
			f = f[1:]
		case strings.HasPrefix(w, "-") || strings.Contains(w, "="):
			f = f[1:]
		default:
			if k := strings.LastIndexByte(w, '/'); k >= 0 {
				w = w[k+1:]
			}
			if strings.HasPrefix(w, "python3.") {
				w = "python3"
			}
			return w
		}
	}
	return ""
}

// pipeToShell finds a download piped or substituted into an interpreter
// and returns where the download starts, or -1.
func pipeToShell(lower string) int {
	for _, tool := range []string{"curl", "wget", "iwr", "invoke-webrequest", "fetch"} {
		if !strings.Contains(lower, tool) {
			continue
		}
		for _, i := range wordIndexes(lower, tool) {
			seg := lower[i:segmentEnd(lower, i)]
			stages := strings.Split(seg, "|")
			for _, st := range stages[1:] {
				if interpreters[commandWord(st)] {
					return i
				}
			}
			// bash <(curl ...), sh -c "$(curl ...)", eval "$(wget ...)"
			if i >= 2 && (strings.HasSuffix(strings.TrimRight(lower[:i], " "), "$(") || strings.HasSuffix(strings.TrimRight(lower[:i], " "), "<(")) {
				start := strings.LastIndexAny(lower[:i], ";&|\n") + 1
				before := lower[start:i]
				for _, w := range []string{"sh", "bash", "zsh", "dash", "eval", "source"} {
					if len(wordIndexes(before, w)) > 0 {
						return start
					}
				}
			}
		}
	}
	if i := strings.Index(lower, "iex"); i >= 0 {
		for _, k := range []string{"downloadstring", "iwr", "invoke-webrequest", "irm", "invoke-restmethod"} {
			if strings.Contains(lower, k) {
				return i
			}
		}
	}
	return -1
}

// tlsOffRe covers the rare spellings; curl's short flags are checked by
// hand because curl is in most build steps.
var tlsOffRe = lazyre.New(`\bwget\b[^|;&\n]*\s--no-check-certificate\b|` +
	`\bpip[0-9.]*\b[^|;&\n]*\s--trusted-host\b|` +
	`\b(npm|yarn|pnpm)\s+config\s+set\s+strict-ssl\s+false\b|` +
	`\bgit\b[^|;&\n]*http\.sslverify[= ]\s*false\b|` +
	`\bgit_ssl_no_verify=(1|true)\b|\bnode_tls_reject_unauthorized=0\b|\bpythonhttpsverify=0\b|` +
	`\bapk\b[^|;&\n]*\s--allow-untrusted\b|` +
	`\bapt(-get)?\b[^|;&\n]*--allow-unauthenticated\b`)

var tlsOffKeywords = []string{"--no-check-certificate", "--trusted-host", "strict-ssl", "sslverify", "git_ssl_no_verify", "node_tls_reject_unauthorized", "pythonhttpsverify", "--allow-untrusted", "--allow-unauthenticated"}

// tlsOff reports a command that turns off certificate or signature checks.
func tlsOff(lower string) bool {
	for _, i := range wordIndexes(lower, "curl") {
		for _, tok := range strings.Fields(lower[i:segmentEnd(lower, i)]) {
			if tok == "|" || strings.HasPrefix(tok, "|") {
				break
			}
			if tok == "--insecure" || isShortFlagGroup(tok) && strings.IndexByte(tok, 'k') >= 0 {
				return true
			}
		}
	}
	for _, k := range tlsOffKeywords {
		if strings.Contains(lower, k) {
			return tlsOffRe.MatchString(lower)
		}
	}
	return false
}

func isShortFlagGroup(tok string) bool {
	if len(tok) < 2 || tok[0] != '-' || tok[1] == '-' {
		return false
	}
	for i := 1; i < len(tok); i++ {
		if c := tok[i]; c < 'a' || c > 'z' {
			if c < 'A' || c > 'Z' {
				return false
			}
		}
	}
	return true
}

var worldModes = map[string]bool{"777": true, "0777": true, "a+rwx": true, "ugo+rwx": true, "o+w": true, "a+w": true, "o+rwx": true, "a=rwx": true}

// worldWritable reports chmod giving everyone write access.
func worldWritable(lower string) bool {
	for _, i := range wordIndexes(lower, "chmod") {
		for _, tok := range strings.Fields(lower[i+len("chmod") : segmentEnd(lower, i)]) {
			if strings.HasPrefix(tok, "-") {
				continue
			}
			if worldModes[tok] {
				return true
			}
			break
		}
	}
	return false
}

// sudoCall reports sudo used as a command.
func sudoCall(lower string) bool {
	for _, i := range wordIndexes(lower, "sudo") {
		before := strings.TrimRight(lower[:i], " \t")
		if before == "" || strings.HasSuffix(before, ";") || strings.HasSuffix(before, "&") || strings.HasSuffix(before, "|") ||
			strings.HasSuffix(before, "(") || strings.HasSuffix(before, "\n") || strings.HasSuffix(before, "then") || strings.HasSuffix(before, "do") {
			return true
		}
	}
	return false
}

// Hidden characters that can smuggle instructions past a reviewer.
const (
	hiddenNone = iota
	hiddenTag
	hiddenBidi
	hiddenZeroWidth
)

// hiddenClass classifies r; prev and next are its neighbours (0 at the
// edges) so that legitimate uses (emoji ZWJ sequences, ZWNJ in Persian and
// Indic scripts, a leading byte-order mark) are not reported.
func hiddenClass(prev, r, next rune, atStart bool) int {
	switch {
	case r >= 0xE0000 && r <= 0xE007F:
		return hiddenTag
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return hiddenBidi
	case r == 0x200D: // zero-width joiner: legitimate between emoji and in Indic scripts
		if isEmojiish(prev) || isEmojiish(next) || isComplexScript(prev) {
			return hiddenNone
		}
		return hiddenZeroWidth
	case r == 0x200C: // zero-width non-joiner: legitimate in Persian, Indic scripts
		if isComplexScript(prev) || isComplexScript(next) {
			return hiddenNone
		}
		return hiddenZeroWidth
	case r == 0x200B, r == 0x2060, r == 0x180E, r == 0x2061, r == 0x2062, r == 0x2063, r == 0x2064:
		return hiddenZeroWidth
	case r == 0xFEFF:
		if atStart {
			return hiddenNone
		}
		return hiddenZeroWidth
	}
	return hiddenNone
}

func isEmojiish(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r == 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF
}

func isComplexScript(r rune) bool {
	return r >= 0x0600 && r <= 0x06FF || r >= 0x0900 && r <= 0x0DFF || r >= 0x0750 && r <= 0x077F || r >= 0xFB50 && r <= 0xFDFF
}

// stripInvisible replaces hidden characters in a snippet with their code
// point so that a report shows, rather than carries, them.
func stripInvisible(t string) string {
	if !strings.ContainsFunc(t, func(r rune) bool {
		return r >= 0xE0000 && r <= 0xE007F || r >= 0x2000 && r <= 0x206F || r == 0xFEFF || r == 0x180E
	}) {
		return t
	}
	var b strings.Builder
	runes := []rune(t)
	for i, r := range runes {
		var prev, next rune
		if i > 0 {
			prev = runes[i-1]
		}
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		if hiddenClass(prev, r, next, false) != hiddenNone {
			b.WriteString(unicodeName(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unicodeName(r rune) string {
	const hex = "0123456789ABCDEF"
	var buf []byte
	for v := uint32(r); ; v >>= 4 {
		buf = append([]byte{hex[v&0xF]}, buf...)
		if v < 16 && len(buf) >= 4 {
			break
		}
	}
	return "<U+" + string(buf) + ">"
}
