package corpus

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/wardenhq/warden/internal/scan/secrets"
)

// negativeFiles writes files made only of hard negatives.
func negativeFiles(r *rand.Rand, c *Corpus) {
	// package-lock.json: integrity hashes.
	b := &builder{path: "web/package-lock.json", c: c}
	b.add("{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {")
	for i := 0; i < 60; i++ {
		name := fmt.Sprintf("pkg-%s", randString(r, "abcdefghijklmnopqrstuvwxyz", 6))
		b.add(fmt.Sprintf("    \"node_modules/%s\": {\n      \"version\": \"%d.%d.%d\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-1.0.0.tgz\",", name, r.IntN(9), r.IntN(20), r.IntN(30), name, name))
		b.negative("      \"integrity\": \"sha512-"+base64.StdEncoding.EncodeToString(randBytes(r, 64))+"\"", "lockfile-integrity")
		b.add("    },")
	}
	b.add("    \"\": {}\n  }\n}")
	b.done()

	// yarn.lock, go.sum, Cargo.lock, requirements.txt hashes.
	b = &builder{path: "web/yarn.lock", c: c}
	for i := 0; i < 20; i++ {
		b.add(fmt.Sprintf("\"lib%d@^1.0.0\":\n  version \"1.0.%d\"", i, i))
		b.negative("  integrity sha512-"+base64.StdEncoding.EncodeToString(randBytes(r, 64)), "lockfile-integrity")
	}
	b.done()
	b = &builder{path: "go.sum", c: c}
	for i := 0; i < 40; i++ {
		b.negative(fmt.Sprintf("github.com/acme/mod%d v1.%d.0 h1:%s", i, i, base64.StdEncoding.EncodeToString(randBytes(r, 32))), "lockfile-integrity")
	}
	b.done()
	b = &builder{path: "tools/Cargo.lock", c: c}
	for i := 0; i < 20; i++ {
		b.add(fmt.Sprintf("[[package]]\nname = \"crate%d\"\nversion = \"0.%d.0\"", i, i))
		b.negative("checksum = \""+hex.EncodeToString(randBytes(r, 32))+"\"", "lockfile-integrity")
	}
	b.done()
	b = &builder{path: "requirements.txt", c: c}
	for i := 0; i < 20; i++ {
		b.negative(fmt.Sprintf("package%d==1.%d.0 --hash=sha256:%s", i, i, hex.EncodeToString(randBytes(r, 32))), "lockfile-integrity")
	}
	b.done()

	// Image and font data.
	b = &builder{path: "web/src/assets.css", c: c}
	for i := 0; i < 25; i++ {
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), randBytes(r, 200+r.IntN(600))...)
		b.negative(fmt.Sprintf(".icon-%d { background: url(data:image/png;base64,%s); }", i, base64.StdEncoding.EncodeToString(png)), "image-data")
	}
	for i := 0; i < 5; i++ {
		b.negative(fmt.Sprintf("@font-face { src: url(data:font/woff2;base64,%s) }", base64.StdEncoding.EncodeToString(randBytes(r, 2000))), "image-data")
	}
	b.done()
	b = &builder{path: "docs/logo.md", c: c}
	for i := 0; i < 10; i++ {
		b.negative(fmt.Sprintf("![logo %d](data:image/gif;base64,%s)", i, base64.StdEncoding.EncodeToString(append([]byte("GIF89a"), randBytes(r, 300)...))), "image-data")
		b.negative(fmt.Sprintf("<path d=\"M%d %d L%s Z\"/>", r.IntN(99), r.IntN(99), randString(r, "0123456789 .-MLCZ", 120)), "image-data")
	}
	b.done()

	// Minified bundles: long lines of code that mention passwords and
	// tokens as identifiers.
	b = &builder{path: "web/dist/app.min.js", c: c}
	for i := 0; i < 40; i++ {
		var sb strings.Builder
		for j := 0; j < 40; j++ {
			v1, v2 := randString(r, "abcdefghijklmnopqrstuvwxyz", 1), randString(r, "abcdefghijklmnopqrstuvwxyz", 2)
			switch r.IntN(8) {
			case 0:
				fmt.Fprintf(&sb, "%s.password=%s.value,", v1, v2)
			case 1:
				fmt.Fprintf(&sb, "%s.token=%s.token||null,", v1, v2)
			case 2:
				fmt.Fprintf(&sb, "var %s=\"#%s\";", v2, randString(r, hexChars, 6))
			case 3:
				fmt.Fprintf(&sb, "function %s(%s){return %s.secret!==void 0}", v2, v1, v1)
			case 4:
				fmt.Fprintf(&sb, "%s[\"%s\"]=%d;", v1, randString(r, base62, 12), r.IntN(1e6))
			case 5:
				fmt.Fprintf(&sb, "apiKey:%s.apiKey,", v1)
			case 6:
				fmt.Fprintf(&sb, "%s=\"%s\",", v2, randString(r, "abcdefghijklmnopqrstuvwxyz", 18))
			default:
				fmt.Fprintf(&sb, "if(%s.length>%d)throw new Error(\"bad token\");", v1, r.IntN(99))
			}
		}
		b.negative(sb.String(), "minified")
	}
	b.done()

	// Test vectors: digests of known inputs, HMAC keys from RFCs.
	b = &builder{path: "internal/hashutil/hash_test.go", c: c}
	b.add("package hashutil\n\nvar vectors = []struct{ in, sha256, sha1, md5 string }{")
	for i := 0; i < 40; i++ {
		in := randString(r, "abcdefghijklmnopqrstuvwxyz ", 5+r.IntN(30))
		s256 := sha256.Sum256([]byte(in))
		s1 := sha1.Sum([]byte(in))
		m5 := md5.Sum([]byte(in))
		b.negative(fmt.Sprintf("\t{%q, %q, %q, %q},", in, hex.EncodeToString(s256[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(m5[:])), "test-vector")
	}
	b.add("}\n\nvar hmacVectors = []struct{ key, data, want string }{")
	for i := 0; i < 20; i++ {
		key := strings.Repeat(fmt.Sprintf("%02x", 0x0b+i), 20)
		sum := sha256.Sum256([]byte(key))
		b.negative(fmt.Sprintf("\t{key: %q, data: \"Hi There\", want: %q},", key, hex.EncodeToString(sum[:])), "test-vector")
	}
	b.add("}")
	b.done()
	b = &builder{path: "tests/test_crypto.py", c: c}
	for i := 0; i < 20; i++ {
		sum := sha256.Sum256(randBytes(r, 8))
		b.negative(fmt.Sprintf("    assert digest(b\"case-%d\") == \"%s\"", i, hex.EncodeToString(sum[:])), "test-vector")
	}
	b.done()

	// Placeholders and documentation values.
	b = &builder{path: "docs/configuration.md", c: c}
	for _, l := range []string{
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"GITHUB_TOKEN=<your-github-token>",
		"OPENAI_API_KEY=sk-...",
		"OPENAI_API_KEY=\"your-openai-api-key\"",
		"ANTHROPIC_API_KEY=sk-ant-api03-XXXXXXXXXXXXXXXXXXXXXXXX",
		"STRIPE_SECRET_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX",
		"SLACK_WEBHOOK=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
		"DATABASE_URL=postgres://user:password@localhost:5432/app",
		"DATABASE_URL=postgres://postgres:postgres@db:5432/postgres",
		"REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379/0",
		"MONGO_URL=mongodb://admin:<password>@cluster0.example.net/test",
		"password: changeme",
		"password: \"${DB_PASSWORD}\"",
		"api_key: \"{{ .Values.apiKey }}\"",
		"token: <token>",
		"secret: REPLACE_WITH_YOUR_SECRET",
		"SECRET_KEY=dummy-secret-key-for-tests",
		"JWT_SECRET=your_jwt_secret_here",
		"client_secret: \"***\"",
		"Authorization: Bearer <token>",
		"Authorization: Basic dXNlcjpwYXNzd29yZA==",
		"curl -H \"Authorization: Bearer $TOKEN\" https://api.example.com",
		"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
		"export NPM_TOKEN=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
		"PASSWORD=password123",
		"api_key = os.environ[\"API_KEY\"]",
		"token := os.Getenv(\"GITHUB_TOKEN\")",
		"const apiKey = process.env.API_KEY;",
		"String password = System.getenv(\"DB_PASSWORD\");",
		"secret = vault.read(\"secret/data/app\")",
		"password = getpass.getpass(\"Password: \")",
	} {
		b.negative(l, "placeholder")
	}
	b.done()

	// Near misses: token shapes with a wrong checksum, a wrong length,
	// or glued into other text.
	b = &builder{path: "internal/tokens/parse_test.go", c: c}
	b.add("package tokens\n\nvar malformed = []string{")
	for i := 0; i < 40; i++ {
		var v string
		switch i % 5 {
		case 0: // checksum wrong
			body := randString(r, base62, 30)
			sum := []byte(secrets.Base62CRC32(body))
			sum[0] = base62[(strings.IndexByte(base62, sum[0])+1)%62]
			v = "ghp_" + body + string(sum)
		case 1:
			body := randString(r, base62, 30)
			v = "npm_" + body + "AAAAAA"
		case 2: // too short
			v = "xoxb-" + randString(r, "0123456789", 6) + "-" + randString(r, base62, 8)
		case 3: // glued into a longer identifier
			v = "prefix" + "AKIA" + randString(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
		default: // a JWT-looking string whose header is not JSON
			v = "eyJ" + randString(r, base62, 20) + ".eyJ" + randString(r, base62, 20) + "." + randString(r, base62, 30)
		}
		b.negative(fmt.Sprintf("\t%q,", v), "near-miss")
	}
	b.add("}")
	b.done()

	// Identifiers and code that talk about secrets.
	b = &builder{path: "internal/auth/session.go", c: c}
	for _, l := range []string{
		"package auth",
		"type tokenizer struct{ src []byte }",
		"func (t *tokenizer) NextToken() Token { return t.next() }",
		"const PasswordField = \"password\"",
		"const TokenHeader = \"X-Session-Token\"",
		"var secretName = \"billing-db-credentials\"",
		"tokenType := \"bearer\"",
		"if token == nil { return errMissingToken }",
		"password := r.FormValue(\"password\")",
		"apiKey := cfg.APIKey",
		"secret, err := store.Get(ctx, name)",
		"passwordHash := bcrypt.GenerateFromPassword(pw, cost)",
		"// The token expires after 15 minutes; refresh it with RefreshToken.",
		"const tokenURL = \"https://oauth2.example.com/token\"",
		"var passwordPolicy = \"min-length-12\"",
		"accessKeyID := creds.AccessKeyID",
		"secretsPath := \"/var/run/secrets/kubernetes.io/serviceaccount\"",
		"privateKeyFile := \"/etc/ssl/private/server.key\"",
		"tokenTTL := 15 * time.Minute",
		"const maxPasswordLength = 128",
	} {
		b.negative(l, "identifier")
	}
	b.done()

	// Public keys, certificates and digests: public by design.
	b = &builder{path: "deploy/trust/keys.txt", c: c}
	for i := 0; i < 6; i++ {
		body := base64.StdEncoding.EncodeToString(randBytes(r, 270))
		var sb strings.Builder
		for len(body) > 64 {
			sb.WriteString(body[:64] + "\n")
			body = body[64:]
		}
		sb.WriteString(body)
		typ := []string{"PUBLIC KEY", "CERTIFICATE", "RSA PUBLIC KEY"}[i%3]
		b.negative("-----BEGIN "+typ+"-----\n"+sb.String()+"\n-----END "+typ+"-----", "public-key")
	}
	for i := 0; i < 10; i++ {
		b.negative("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"+base64.StdEncoding.EncodeToString(randBytes(r, 32))+fmt.Sprintf(" deploy%d@ci", i), "public-key")
	}
	for i := 0; i < 20; i++ {
		b.negative(fmt.Sprintf("image: registry.example.com/app@sha256:%s", hex.EncodeToString(randBytes(r, 32))), "hash")
		b.negative(fmt.Sprintf("commit %s", hex.EncodeToString(randBytes(r, 20))), "hash")
	}
	for i := 0; i < 20; i++ {
		b.negative(fmt.Sprintf("  \"id\": \"%s\",", uuid(r)), "uuid")
	}
	b.done()
}
