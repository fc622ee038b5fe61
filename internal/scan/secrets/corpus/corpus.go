// Package corpus generates warden's labelled secrets corpus: realistic
// files of ten kinds (Go, Python, JS/TS, Java, YAML, JSON, .env,
// Dockerfile, shell, Markdown) holding fake secrets of every detector's
// format, secrets hidden behind one level of encoding, and hard negatives
// (lockfile integrity hashes, UUIDs, image data, minified bundles,
// test-vector hashes, placeholders, near-miss tokens, public keys...).
//
// The corpus is generated from a fixed seed rather than committed: the
// fake tokens carry valid checksums, which would make the repository
// itself trip push-protection scanners. Generate(Seed) always yields the
// same corpus; `go generate` in the secrets package writes it to
// testdata/corpus (not committed) for inspection and for the gitleaks
// side-by-side script.
package corpus

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/scan/secrets"
	"github.com/wardenhq/warden/internal/scan/secrets/secretgen"
)

// Seed is the corpus' fixed seed.
const Seed = 20260401

// File is one corpus file.
type File struct {
	Path    string
	Content []byte
}

// Label is one planted true secret: the lines it spans.
type Label struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	// Family is the detector family, or "encoded" for a secret behind
	// base64, URL-encoding or JSON escapes.
	Family   string `json:"family"`
	Detector string `json:"detector"`
}

// Negative is one planted hard negative.
type Negative struct {
	Path string `json:"path"`
	Line int    `json:"line"`
	Kind string `json:"kind"`
}

// Corpus is the generated files and their labels.
type Corpus struct {
	Files     []File
	Secrets   []Label
	Negatives []Negative
}

// kinds of file, with how an assignment looks in each.
var kinds = []struct {
	ext    string
	header string
	footer string
	assign func(name, value string) string
}{
	{".go", "package config\n\nvar (\n", ")\n", func(n, v string) string { return "\t" + camel(n) + " = \"" + v + "\"" }},
	{".py", "import os\n\n", "", func(n, v string) string { return strings.ToUpper(n) + " = \"" + v + "\"" }},
	{".ts", "export const config = {\n", "};\n", func(n, v string) string { return "  " + camel(n) + ": '" + v + "'," }},
	{".java", "package com.acme;\n\npublic final class Settings {\n", "}\n", func(n, v string) string {
		return "    private static final String " + strings.ToUpper(n) + " = \"" + v + "\";"
	}},
	{".yaml", "service:\n  name: billing\n", "", func(n, v string) string { return "  " + strings.ToLower(n) + ": " + v }},
	{".json", "{\n  \"name\": \"billing\",\n", "  \"end\": true\n}\n", func(n, v string) string { return "  \"" + camel(n) + "\": \"" + v + "\"," }},
	{".env", "# local settings\n", "", func(n, v string) string { return strings.ToUpper(n) + "=" + v }},
	{"Dockerfile", "FROM golang:1.26 AS build\nWORKDIR /src\n", "CMD [\"/app\"]\n", func(n, v string) string { return "ENV " + strings.ToUpper(n) + "=" + v }},
	{".sh", "#!/bin/sh\nset -eu\n", "exec ./run\n", func(n, v string) string { return "export " + strings.ToUpper(n) + "=\"" + v + "\"" }},
	{".md", "# Setup\n\nCopy this into your shell:\n\n```sh\n", "```\n", func(n, v string) string { return strings.ToUpper(n) + "=" + v }},
}

func camel(n string) string {
	parts := strings.FieldsFunc(strings.ToLower(n), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// builder accumulates one file's lines and labels.
type builder struct {
	path  string
	lines []string
	c     *Corpus
}

func (b *builder) add(text string) (start, end int) {
	start = len(b.lines) + 1
	b.lines = append(b.lines, strings.Split(text, "\n")...)
	return start, len(b.lines)
}

func (b *builder) secret(text, family, detector string) {
	s, e := b.add(text)
	b.c.Secrets = append(b.c.Secrets, Label{Path: b.path, StartLine: s, EndLine: e, Family: family, Detector: detector})
}

func (b *builder) negative(text, kind string) {
	s, e := b.add(text)
	for l := s; l <= e; l++ {
		b.c.Negatives = append(b.c.Negatives, Negative{Path: b.path, Line: l, Kind: kind})
	}
}

func (b *builder) done() {
	b.c.Files = append(b.c.Files, File{Path: b.path, Content: []byte(strings.Join(b.lines, "\n") + "\n")})
}

// varName is an assignment name for a detector's secret: it contains a
// context detector's keyword, and reads like a real setting otherwise.
func varName(r *rand.Rand, d *secrets.Detector) string {
	if d.Context {
		k := strings.Trim(d.Keywords[r.IntN(len(d.Keywords))], "_-.:= ")
		k = strings.NewReplacer("-", "_", ".", "_").Replace(k)
		suffix := []string{"_API_KEY", "_TOKEN", "_SECRET", "_KEY", ""}[r.IntN(5)]
		if strings.Contains(strings.ToLower(k), "key") || strings.Contains(strings.ToLower(k), "token") || strings.Contains(strings.ToLower(k), "secret") {
			suffix = ""
		}
		return k + suffix
	}
	return []string{"API_TOKEN", "SERVICE_KEY", "AUTH", "CREDENTIALS", "UPSTREAM", "DEPLOY_KEY", "CLIENT_CONFIG", "TOKEN"}[r.IntN(8)]
}

// rawDetector: secrets whose format is a whole line or block of its own.
func rawDetector(d *secrets.Detector) bool {
	return d.Check == secrets.CheckPEM || d.Multiline || strings.HasPrefix(d.Regex, "(?m)^") ||
		d.ID == "netrc-password" || d.ID == "kubeconfig-client-key" || d.ID == "kubeconfig-token"
}

// Generate builds the corpus for seed.
func Generate(seed uint64) (*Corpus, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x5ec7e7))
	c := &Corpus{}
	ds := secrets.Detectors()

	// Provider secrets, two of each detector, spread over files of every
	// kind, with ordinary settings and negatives between them.
	type planted struct {
		d *secrets.Detector
		s secretgen.Sample
	}
	var inline, raw []planted
	for i := range ds {
		d := &ds[i]
		if d.Family == secrets.FamilyGeneric {
			continue
		}
		for n := 0; n < 2; n++ {
			s, err := secretgen.ForDetector(r, d)
			if err != nil {
				return nil, err
			}
			if rawDetector(d) {
				raw = append(raw, planted{d, s})
			} else {
				inline = append(inline, planted{d, s})
			}
		}
	}
	r.Shuffle(len(inline), func(i, j int) { inline[i], inline[j] = inline[j], inline[i] })
	fileNo := 0
	for len(inline) > 0 {
		k := kinds[fileNo%len(kinds)]
		n := min(len(inline), 6+r.IntN(6))
		b := &builder{path: pathFor(fileNo, k.ext), c: c}
		b.add(strings.TrimSuffix(k.header, "\n"))
		for _, p := range inline[:n] {
			b.add(k.assign("LOG_LEVEL", []string{"debug", "info", "warn"}[r.IntN(3)]))
			b.secret(k.assign(varName(r, p.d), p.s.Text), p.d.Family, p.d.ID)
			if r.IntN(3) == 0 {
				neg, kind := hardNegative(r)
				b.negative(k.assign(neg.name, neg.value), kind)
			}
		}
		if k.footer != "" {
			b.add(strings.TrimSuffix(k.footer, "\n"))
		}
		b.done()
		inline = inline[n:]
		fileNo++
	}
	for i, p := range raw {
		b := &builder{c: c}
		switch {
		case p.d.Check == secrets.CheckPEM && i%3 == 1:
			// A service-account-style JSON document: the key on one line
			// with escaped newlines.
			b.path = fmt.Sprintf("deploy/keys/key-%03d.json", i)
			b.add("{\n  \"type\": \"signing\",\n  \"client_email\": \"svc@example.iam\",")
			b.secret("  \"private_key\": \""+strings.ReplaceAll(p.s.Text, "\n", `\n`)+"\\n\",", p.d.Family, p.d.ID)
			b.add("  \"token_uri\": \"https://oauth2.example.com/token\"\n}")
		case p.d.Check == secrets.CheckPEM && i%3 == 2:
			b.path = fmt.Sprintf("deploy/values-%03d.yaml", i)
			b.add("tls:\n  enabled: true\n  key: |")
			b.secret("    "+strings.ReplaceAll(p.s.Text, "\n", "\n    "), p.d.Family, p.d.ID)
		case p.d.ID == "kubeconfig-token" || p.d.ID == "kubeconfig-client-key":
			b.path = fmt.Sprintf("ops/kubeconfig-%03d.yaml", i)
			b.add("apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:")
			text := strings.TrimLeft(p.s.Text, " \t")
			b.secret("    "+text, p.d.Family, p.d.ID)
		case p.d.ID == "netrc-password":
			b.path = fmt.Sprintf("home/user%03d/.netrc", i)
			b.secret(p.s.Text, p.d.Family, p.d.ID)
		case p.d.ID == "htpasswd-hash":
			b.path = fmt.Sprintf("web/site%03d/.htpasswd", i)
			b.secret(p.s.Text, p.d.Family, p.d.ID)
		default:
			b.path = fmt.Sprintf("secrets/key-%03d%s", i, map[bool]string{true: ".ppk", false: ".pem"}[p.d.Multiline])
			b.secret(p.s.Text, p.d.Family, p.d.ID)
		}
		b.done()
	}

	genericFiles(r, c)
	encodedFiles(r, c)
	negativeFiles(r, c)
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Path < c.Files[j].Path })
	return c, nil
}

func pathFor(n int, ext string) string {
	dirs := []string{"cmd/api", "services/billing", "web/src", "internal/config", "deploy", "scripts", "docs"}
	if ext == "Dockerfile" {
		return fmt.Sprintf("%s/%02d/Dockerfile", dirs[n%len(dirs)], n)
	}
	return fmt.Sprintf("%s/settings_%02d%s", dirs[n%len(dirs)], n, ext)
}

// genericFiles plants hard-coded passwords, secrets and tokens under
// ordinary names.
func genericFiles(r *rand.Rand, c *Corpus) {
	names := []string{"DB_PASSWORD", "ADMIN_PASSWORD", "SMTP_PASS", "REDIS_PASSWORD", "CLIENT_SECRET", "JWT_SECRET",
		"SESSION_SECRET", "WEBHOOK_SECRET", "AUTH_TOKEN", "ACCESS_TOKEN", "API_KEY", "SECRET_KEY", "APP_SECRET",
		"SIGNING_KEY", "ENCRYPTION_KEY", "MASTER_KEY", "SERVICE_TOKEN", "PRIVATE_KEY_PASSPHRASE", "LDAP_BIND_PASSWORD", "BROKER_PASSWORD"}
	for f := 0; f < 10; f++ {
		k := kinds[f]
		b := &builder{path: fmt.Sprintf("apps/generic/app_%02d%s", f, strings.ReplaceAll(k.ext, "Dockerfile", "/Dockerfile")), c: c}
		b.add(strings.TrimSuffix(k.header, "\n"))
		for i := 0; i < 6; i++ {
			name := names[r.IntN(len(names))]
			var v string
			switch {
			case strings.Contains(name, "PASS"):
				v = secretgen.Password(r, 12+r.IntN(12))
			case r.IntN(2) == 0:
				v = randString(r, hexChars, 32+8*r.IntN(5))
			default:
				v = randString(r, base62, 24+r.IntN(20))
			}
			b.add(k.assign("TIMEOUT", fmt.Sprint(10+r.IntN(50))))
			b.secret(k.assign(name, v), secrets.FamilyGeneric, "generic")
		}
		if k.footer != "" {
			b.add(strings.TrimSuffix(k.footer, "\n"))
		}
		b.done()
	}
}

// encodedFiles hides secrets behind one level of encoding.
func encodedFiles(r *rand.Rand, c *Corpus) {
	ds := secrets.Detectors()
	pick := func() (*secrets.Detector, secretgen.Sample) {
		for {
			d := &ds[r.IntN(len(ds))]
			if d.Context || d.Family == secrets.FamilyGeneric || rawDetector(d) || d.Family == secrets.FamilyDatabase || d.Family == secrets.FamilyAuth {
				continue
			}
			s, err := secretgen.ForDetector(r, d)
			if err == nil {
				return d, s
			}
		}
	}
	// Kubernetes Secrets: base64 values.
	for f := 0; f < 4; f++ {
		b := &builder{path: fmt.Sprintf("k8s/secret-%02d.yaml", f), c: c}
		b.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:")
		for i := 0; i < 5; i++ {
			d, s := pick()
			v := s.Value
			if i%2 == 1 {
				v = "export UPSTREAM=" + s.Value + "\n"
			}
			b.secret("  KEY_"+fmt.Sprint(i)+": "+base64.StdEncoding.EncodeToString([]byte(v)), "encoded", d.ID)
		}
		b.done()
	}
	// URL-encoded in query strings and form bodies.
	b := &builder{path: "logs/requests.log", c: c}
	for i := 0; i < 10; i++ {
		d, s := pick()
		b.add(fmt.Sprintf("%d GET /healthz 200", 1700000000+i))
		cb := "https://ci.example.com/hook?token=" + s.Value + "&env=prod"
		b.secret(fmt.Sprintf("%d POST /callback?next=%s 302", 1700000100+i, url.QueryEscape(cb)), "encoded", d.ID)
	}
	b.done()
	// JSON documents stored as escaped strings.
	b = &builder{path: "fixtures/events.json", c: c}
	b.add("[")
	for i := 0; i < 10; i++ {
		d, s := pick()
		inner := `{\"service\": \"billing\", \"credentials\": {\"value\": \"` + s.Value + `\"}}`
		if i%2 == 1 {
			inner = `{\u0022password\u0022: \u0022` + secretgen.Password(r, 16) + `\u0022}`
			d = &secrets.Detector{ID: "generic"}
		}
		b.secret(`  {"id": `+fmt.Sprint(i)+`, "payload": "`+inner+`"},`, "encoded", d.ID)
	}
	b.add("  {}\n]")
	b.done()
}

const (
	hexChars = "0123456789abcdef"
	base62   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

func randString(r *rand.Rand, chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func uuid(r *rand.Rand) string {
	h := hex.EncodeToString(randBytes(r, 16))
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

type nameValue struct{ name, value string }

// hardNegative is a setting that looks like a secret and is not.
func hardNegative(r *rand.Rand) (nameValue, string) {
	switch r.IntN(10) {
	case 0:
		return nameValue{"REQUEST_ID", uuid(r)}, "uuid"
	case 1:
		return nameValue{"SESSION_TOKEN_ID", uuid(r)}, "uuid"
	case 2:
		return nameValue{"BUILD_SHA", hex.EncodeToString(randBytes(r, 20))}, "hash"
	case 3:
		return nameValue{"API_KEY", []string{"your-api-key-here", "<api-key>", "changeme", "${API_KEY}", "xxxxxxxxxxxxxxxxxxxxxxxx", "REPLACE_ME"}[r.IntN(6)]}, "placeholder"
	case 4:
		return nameValue{"PASSWORD", []string{"${DB_PASSWORD}", "{{ .Values.password }}", "<password>", "changeme", "********"}[r.IntN(5)]}, "placeholder"
	case 5:
		return nameValue{"TOKEN_URL", "https://auth.example.com/oauth/token"}, "identifier"
	case 6:
		return nameValue{"PUBLISHABLE_KEY", "pk_live_" + randString(r, base62, 24)}, "public-key"
	case 7:
		return nameValue{"IMAGE_DIGEST", "sha256:" + hex.EncodeToString(randBytes(r, 32))}, "hash"
	case 8:
		return nameValue{"TOKEN_TYPE", "bearer"}, "identifier"
	default:
		return nameValue{"PASSWORD_MIN_LENGTH", "12"}, "identifier"
	}
}
