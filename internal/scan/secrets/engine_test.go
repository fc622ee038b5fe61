package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/scan/secrets"
	"github.com/wardenhq/warden/internal/scan/secrets/secretgen"
)

// A fixed fake GitHub token with a valid checksum, built at run time so
// the source holds no token-shaped literal.
func fakeGitHubToken() string {
	body := "Zx81kLmQ0pRt7vWn3YbC5dEfGh2JkT"
	return "ghp_" + body + secrets.Base62CRC32(body)
}

type loc struct {
	Rule         string
	Line, Column int
	Encoding     string
}

func locs(ms []secrets.Match) []loc {
	var out []loc
	for _, m := range ms {
		out = append(out, loc{m.RuleID, m.Line, m.Column, m.Encoding})
	}
	return out
}

func TestFind(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	gh := fakeGitHubToken()
	for _, tc := range []struct {
		name, in string
		want     []loc
	}{
		{"token alone", gh, []loc{{"github-pat", 1, 1, ""}}},
		{"token in Go", "package x\n\nconst tok = \"" + gh + "\"\n", []loc{{"github-pat", 3, 14, ""}}},
		{"bad checksum", "x = \"ghp_" + strings.Repeat("aB3", 12) + "\"", nil},
		{"token glued to text", "xghp_" + gh[4:], nil},
		{"generic password in .env", "DB_HOST=db\nDB_PASSWORD=Xk9#mP2vL7qZ\n", []loc{{"generic-password", 2, 13, ""}}},
		{"generic token in JSON", `{"auth": {"access_token": "q8Wn3xZr5Tb7Kd2Mf9Lp4Hs6"}}`, []loc{{"generic-token", 1, 28, ""}}},
		{"generic api key in Python", "API_KEY = 'q8Wn3xZr5Tb7Kd2Mf9Lp4Hs6'\n", []loc{{"generic-api-key", 1, 12, ""}}},
		{"password from env", "password := os.Getenv(\"DB_PASSWORD\")\n", nil},
		{"password placeholder", "password: changeme\n", nil},
		{"password template", "password: ${DB_PASSWORD}\n", nil},
		{"tokenizer is not a token", "tokenizer = \"q8Wn3xZr5Tb7Kd2Mf9Lp4Hs6\"\n", nil},
		{"comparison is not assignment", "if token == \"q8Wn3xZr5Tb7Kd2Mf9Lp4Hs6\" {\n", nil},
		{"uuid is an identifier", "session_token: 3f2b8c4e-9a1d-4e7f-b6c5-2d8e9f0a1b3c\n", nil},
		{"postgres URL", "DATABASE_URL=postgres://app:Tr0ub4dor3x9Q@db.internal:5432/app\n", []loc{{"postgres-connection-url", 1, 29, ""}}},
		{"postgres URL placeholder", "postgres://app:password@localhost/app", nil},
		{"lockfile integrity", `"integrity": "sha512-` + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7, 99, 201, 13}, 16)) + `"`, nil},
		{"image data", `<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">`, nil},
		{"docs example AWS key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n", nil},
		{"provider key nested in YAML", "heroku:\n  app: billing\n  api_key: 3f2b8c4e-9a1d-4e7f-b6c5-2d8e9f0a1b3c\n", []loc{{"heroku-api-key", 3, 12, ""}}},
		{"provider key nested in JSON", "{\"twilio\": {\n  \"auth_token\": \"9c1f4e7a2b8d3c6f5e0a1d4b7c2e9f3a\"}}\n", []loc{{"twilio-auth-token", 2, 18, ""}}},
		{"provider name far above", "heroku:\n\n\n\n\n  api_key: 3f2b8c4e-9a1d-4e7f-b6c5-2d8e9f0a1b3c\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := locs(e.Find([]byte(tc.in)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Find mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecoding(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	gh := fakeGitHubToken()
	b64 := base64.StdEncoding.EncodeToString([]byte("GITHUB_TOKEN=" + gh + "\n"))
	for _, tc := range []struct {
		name, in string
		want     []loc
	}{
		{"base64 in a k8s secret", "data:\n  env: " + b64 + "\n", []loc{{"github-pat", 2, 8, "base64"}}},
		{"url-encoded", "cb=https%3A%2F%2Fx.io%2F%3Ft%3D" + url.QueryEscape(gh) + "%26a%3Db", []loc{{"github-pat", 1, 32, "url"}}},
		{"url-encoded generic", "q=" + url.QueryEscape(`password="Xk9#mP2$vL7qZ"`), []loc{{"generic-password", 1, 17, "url"}}},
		{"escaped JSON key", `"config": "{\"password\": \"Xk9#mP2vL7qZ\"}"`, []loc{{"generic-password", 1, 29, ""}}},
		{"unicode-escaped JSON", `{\u0022password\u0022: \u0022Xk9#mP2vL7qZ\u0022}`, []loc{{"generic-password", 1, 30, "json"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := locs(e.Find([]byte(tc.in)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Find mismatch (-want +got):\n%s", diff)
			}
		})
	}
	off := newEngine(t, secrets.Options{NoDecode: true})
	if ms := off.Find([]byte("env: " + b64)); len(ms) != 0 {
		t.Errorf("NoDecode still found %v", locs(ms))
	}
}

func TestGeneric(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	pos := []string{
		`export GITLAB_TOKEN=q8Wn3xZr5Tb7Kd2Mf9Lp4Hs6`,
		`ENV SERVICE_PASSWORD=Tr0ub4dor3x9Q`,
		`private static final String clientSecret = "q8Wn3xZr5Tb7Kd2Mf9Lp4Hs6";`,
		`$config['db_password'] => 'Tr0ub4dor&3x'`,
		`secretKey: "9f8e7d6c5b4a39281706f5e4d3c2b1a0"`,
		`"apiKey": "Ab7dEf1R3kL9q0GhIjKlW2"`,
		`spring.datasource.password=Tr0ub4dor3x9Q`,
		`password := []byte("Tr0ub4dor&3x")`,
	}
	for _, p := range pos {
		ms := e.Find([]byte(p))
		if len(ms) != 1 || ms[0].Family != secrets.FamilyGeneric {
			t.Errorf("%q: got %v, want one generic match", p, ruleIDs(ms))
		}
	}
	neg := []string{
		`password_hash = "d41d8cd98f00b204e9800998ecf8427e"`,
		`token_type = "bearer"`,
		`password: "hunter"`,
		`secretName: my-db-credentials`,
		`token = lexer.NextToken()`,
		`password = getpass.getpass()`,
		`const PasswordField = "password"`,
		`api_key = "AKIA-is-not-here"`,
		`PUBLIC_API_KEY=pk_live_51Hxyzabcdefghijklmnop`,
		`secret = "/etc/app/secret.pem"`,
		`password: "{{ .Values.db.password }}"`,
		`token: "<your-token>"`,
		`e.password=t.value,n.token=r.token,a.secret=o`,
		`auth_token = "this is not a token"`,
		`--- PASS: TestAddrStringAllocs/ipv4-in-ipv6 (0.00s)`,
		`"passphrase":  "generic-password",`,
		"fixed: `JWT_SECRET: my-super-secret-jwt-key-2024` was read",
		"Negative: []string{`GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a`}",
		`PrivateKey:  testRSA2048PrivateKey,`,
		`"encryptionKey": "encryptionKey-mlkem1024",`,
		`"http://jane:Tr0ub4dor3x9Q@google.com",`,
		`Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l`,
		`github.com/hetznercloud/hcloud-go,v1.15.1,h1:G8Q+xyAqQ5IUY7yq4HKZgkabFa0S/VXJXq3TGCeT8JM=,0284d3c4b8d5e8e0c7a8b4e1d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8`,
	}
	for _, n := range neg {
		if ms := e.Find([]byte(n)); len(ms) != 0 {
			t.Errorf("%q: got %v, want nothing", n, ruleIDs(ms))
		}
	}
}

// TestTestVectors: hex values under secret-sounding names are test
// vectors in test files, secrets elsewhere.
func TestTestVectors(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	line := []byte(`SharedSecret: "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",` + "\n")
	for path, want := range map[string]int{
		"crypto/ecdh/ecdh_test.go":          0,
		"crypto/hpke/testdata/vectors.json": 0,
		"tests/test_crypto.py":              0,
		"internal/config/defaults.go":       1,
		"deploy/values.yaml":                1,
	} {
		if got := len(e.Findings(path, line)); got != want {
			t.Errorf("%s: %d findings, want %d", path, got, want)
		}
	}
}

func TestCustomRules(t *testing.T) {
	custom := []policy.SecretRule{{
		ID: "acme-internal-token", Regex: `acme_[a-z0-9]{32}`, Keywords: []string{"acme_"},
		Severity: finding.SeverityCritical, Message: "ACME internal token",
	}, {
		ID: "acme-legacy", Regex: `LEGACY-(?P<secret>[A-Z0-9]{20})`, Entropy: 3,
	}}
	e := newEngine(t, secrets.Options{Custom: custom})
	in := "a = acme_0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d\nb = LEGACY-Q8W3X5T7K2M9L4H6P1Z0\n"
	got := e.Find([]byte(in))
	want := []loc{{"acme-internal-token", 1, 5, ""}, {"acme-legacy", 2, 12, ""}}
	if diff := cmp.Diff(want, locs(got)); diff != "" {
		t.Errorf("custom matches (-want +got):\n%s", diff)
	}
	if got[0].Severity != finding.SeverityCritical || got[1].Severity != finding.SeverityHigh {
		t.Errorf("severities = %v, %v; want critical, high (the default)", got[0].Severity, got[1].Severity)
	}
	if ms := e.Find([]byte("LEGACY-AAAAAAAAAAAAAAAAAAAA")); len(ms) != 0 {
		t.Errorf("low-entropy value reported: %v", ruleIDs(ms))
	}
	var ruleIDsSeen []string
	for _, r := range e.Rules() {
		if strings.HasPrefix(r.ID, "acme") {
			ruleIDsSeen = append(ruleIDsSeen, r.ID)
		}
	}
	if diff := cmp.Diff([]string{"acme-internal-token", "acme-legacy"}, ruleIDsSeen); diff != "" {
		t.Errorf("Rules() custom ids (-want +got):\n%s", diff)
	}
}

func TestCustomRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule policy.SecretRule
		want string // substring of the error
	}{
		{"bad regex", policy.SecretRule{ID: "bad-one", Regex: `acme_[a-z`}, `rules.secrets[0] (id "bad-one"): invalid regex`},
		{"empty regex", policy.SecretRule{ID: "empty"}, `(id "empty"): regex is required`},
		{"matches everything", policy.SecretRule{ID: "all", Regex: `.*`}, `(id "all"): invalid regex: ".*" matches the empty string`},
		{"no id", policy.SecretRule{Regex: `x+`}, `rules.secrets[0]: id is required`},
		{"builtin id", policy.SecretRule{ID: "github-pat", Regex: `x+`}, `(id "github-pat"): id is already used`},
		{"entropy", policy.SecretRule{ID: "ent", Regex: `x+`, Entropy: 9}, `entropy 9 is out of range`},
		{"keyword", policy.SecretRule{ID: "kw", Regex: `x+`, Keywords: []string{""}}, `keywords[0] must be 1 to 64 characters`},
		{"huge repeat", policy.SecretRule{ID: "rep", Regex: `a{5000}`}, `(id "rep"): invalid regex`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := secrets.New(secrets.Options{Custom: []policy.SecretRule{tc.rule}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	_, err := secrets.New(secrets.Options{Custom: []policy.SecretRule{{ID: "a", Regex: "x+"}, {ID: "a", Regex: "y+"}}})
	if err == nil || !strings.Contains(err.Error(), `rules.secrets[1] (id "a"): id is already used`) {
		t.Errorf("duplicate custom id: error = %v", err)
	}
}

func TestDisable(t *testing.T) {
	e := newEngine(t, secrets.Options{Disable: []string{"github-pat", "generic-token"}})
	if ms := e.Find([]byte("GITHUB_TOKEN=" + fakeGitHubToken())); len(ms) != 0 {
		t.Errorf("disabled detectors still report: %v", ruleIDs(ms))
	}
}

// TestNoLeak plants secrets of every family and checks that no output a
// caller can produce from the engine carries a raw value.
func TestNoLeak(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	r := rand.New(rand.NewPCG(7, 7))
	var planted []string
	var src strings.Builder
	for i, d := range secrets.Detectors() {
		if i%9 != 0 {
			continue
		}
		s, err := secretgen.ForDetector(r, &d)
		if err != nil {
			t.Fatal(err)
		}
		planted = append(planted, s.Value)
		src.WriteString(sampleLine(&d, s) + "\n")
	}
	pw := secretgen.Password(r, 18)
	planted = append(planted, pw)
	src.WriteString("DB_PASSWORD=" + pw + "\n")

	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	var fs []finding.Finding
	if err := e.Scan(context.Background(), scan.File{Path: "app/config.env", Content: []byte(src.String())}, func(f finding.Finding) {
		fs = append(fs, f)
		log.Info("finding", "finding", f)
	}); err != nil {
		t.Fatal(err)
	}
	if len(fs) < len(planted)-1 {
		t.Fatalf("only %d findings for %d planted secrets", len(fs), len(planted))
	}
	ms := e.Find([]byte(src.String()))
	for _, m := range ms {
		log.Info("match", "match", m, "value", m.Value)
	}
	js, _ := json.Marshal(fs)
	mjs, _ := json.Marshal(ms)
	outputs := map[string]string{
		"findings JSON": string(js),
		"matches JSON":  string(mjs),
		"findings %+v":  fmt.Sprintf("%+v", fs),
		"matches %#v":   fmt.Sprintf("%#v", ms),
		"slog":          logs.String(),
	}
	for name, out := range outputs {
		for i, p := range planted {
			if strings.Contains(out, p) {
				t.Errorf("%s contains planted secret #%d (%d chars)", name, i, len(p))
			}
		}
	}
	for _, f := range fs {
		if f.Snippet == "" || !strings.Contains(f.Snippet, "****(") {
			t.Errorf("%s at line %d: snippet has no mask", f.RuleID, f.StartLine)
		}
		if f.CWE != "CWE-798" || f.Fingerprint == "" || f.Engine != "secrets" {
			t.Errorf("%s: finding fields %+v", f.RuleID, f.Location)
		}
	}
}

func TestFingerprintStable(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	gh := fakeGitHubToken()
	a := e.Findings("a.go", []byte("x := \""+gh+"\"\n"))
	b := e.Findings("a.go", []byte("// moved\n\n\ny := \""+gh+"\"\n"))
	if len(a) != 1 || len(b) != 1 || a[0].Fingerprint != b[0].Fingerprint {
		t.Fatalf("fingerprint changed when the secret moved: %v vs %v", a, b)
	}
	c := e.Findings("b.go", []byte("x := \""+gh+"\"\n"))
	if c[0].Fingerprint == a[0].Fingerprint {
		t.Errorf("fingerprint ignores the path")
	}
}

func TestConcurrentFind(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	in := []byte(strings.Repeat("API_TOKEN=\""+fakeGitHubToken()+"\"\nfoo := bar\n", 50))
	want := locs(e.Find(in))
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				if diff := cmp.Diff(want, locs(e.Find(in))); diff != "" {
					errs <- diff
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for d := range errs {
		t.Errorf("concurrent Find differs: %s", d)
	}
	if len(want) != 50 {
		t.Errorf("got %d matches, want 50", len(want))
	}
}

func TestSnippet(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	gh := fakeGitHubToken()
	line := "  token: \"" + gh + "\"  # prod\n"
	fs := e.Findings("x.yaml", []byte("a: 1\n"+line))
	if len(fs) != 1 {
		t.Fatalf("got %d findings", len(fs))
	}
	want := `token: "` + secrets.Mask(gh) + `"  # prod`
	if fs[0].Snippet != want {
		t.Errorf("snippet = %q, want %q", fs[0].Snippet, want)
	}
	if fs[0].StartLine != 2 || fs[0].StartColumn != 11 || fs[0].EndColumn != 51 { // 40 bytes from column 11; the end is exclusive
		t.Errorf("location = %+v", fs[0].Location)
	}
}

func FuzzFind(f *testing.F) {
	e := newEngine(f, secrets.Options{})
	f.Add([]byte("password = \"Xk9#mP2vL7qZ\"\n"))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----"))
	f.Add([]byte(`{\"token\": \"` + fakeGitHubToken() + `\"}`))
	f.Add([]byte("%41%42%43 ghp_ AIza eyJ hooks.slack.com"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ms := e.Find(in)
		for i, m := range ms {
			if m.Start < 0 || m.End > len(in) || m.Start >= m.End || m.Line < 1 || m.Column < 1 {
				t.Fatalf("bad match %d: %+v (input %d bytes)", i, m, len(in))
			}
			if i > 0 && ms[i-1].Start > m.Start {
				t.Fatalf("matches out of order")
			}
		}
		for i := range ms {
			_ = secrets.Snippet(in, ms, i)
		}
	})
}

func FuzzCustomRule(f *testing.F) {
	f.Add(`acme_[a-z0-9]{32}`, "acme_", 3.0)
	f.Add(`(`, "", 0.0)
	f.Add(`\`, "x", -1.0)
	f.Fuzz(func(t *testing.T, re, kw string, ent float64) {
		e, err := secrets.New(secrets.Options{Custom: []policy.SecretRule{{ID: "fz", Regex: re, Keywords: []string{kw}, Entropy: ent}}})
		if err != nil {
			if !strings.Contains(err.Error(), `rules.secrets[0] (id "fz")`) {
				t.Fatalf("error does not name the rule: %v", err)
			}
			return
		}
		e.Find([]byte("acme_0123 " + kw + " " + re))
	})
}

// TestManyMatches: a file made of thousands of secrets is resolved in
// linear time and every one is reported once.
func TestManyMatches(t *testing.T) {
	e := newEngine(t, secrets.Options{})
	gh := fakeGitHubToken()
	in := strings.Repeat("t="+gh+" password: \"Tr0ub4dor3x9Q\"\n", 2000)
	ms := e.Find([]byte(in))
	if len(ms) != 4000 {
		t.Fatalf("%d matches, want 4000", len(ms))
	}
}
