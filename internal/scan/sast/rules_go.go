package sast

import (
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

var goOnly = []Lang{LangGo}

const (
	sevCritical = finding.SeverityCritical
	sevHigh     = finding.SeverityHigh
	sevMedium   = finding.SeverityMedium
	sevLow      = finding.SeverityLow
)

// goSQLCallees are the query methods of database/sql, sqlx, pgx and GORM.
var goSQLCallees = []string{
	"*.Query", "*.QueryRow", "*.QueryContext", "*.QueryRowContext", "*.Exec", "*.ExecContext",
	"*.Prepare", "*.PrepareContext", "*.Queryx", "*.QueryRowx", "*.QueryxContext", "*.QueryRowxContext",
	"*.Select", "*.Get", "*.SelectContext", "*.GetContext", "*.MustExec", "*.NamedExec", "*.NamedQuery",
	"*.Raw", "*.Where", "*.Order", "*.Having", "*.Joins",
}

// sqlArg finds the argument holding the SQL text: the first that reads as
// SQL, else the first string-ish argument after a context.
func sqlArg(c *Ctx, call *Node) *Node {
	for _, a := range call.Args {
		if looksSQL(c, a) {
			return a
		}
	}
	return nil
}

func sqlInjection(c *Ctx, call *Node) bool {
	seg := lastSeg(call.Name)
	if a := sqlArg(c, call); a != nil {
		return dynamic(c, a)
	}
	// A query taken straight from the request.
	i := 0
	if strings.HasSuffix(seg, "Context") || seg == "Select" || seg == "Get" {
		i = 1
	}
	if seg == "Where" || seg == "Order" || seg == "Having" || seg == "Joins" || seg == "Raw" {
		i = 0
	}
	a := call.arg(i)
	if a == nil || !c.Val(a).Taint {
		return false
	}
	// GORM Where("name = ?", x) / Where(&User{...}) with data only is safe.
	r := c.Resolve(a)
	return r.Kind != KObject && r.Kind != KAddr
}

func goRules() []*Rule {
	return []*Rule{
		{
			ID: "go-sql-injection", Title: "SQL query built from non-constant strings", Severity: sevHigh, CWE: "CWE-89", Langs: goOnly,
			Message: "The SQL text is built by concatenation or fmt.Sprintf with data that is not a constant. Pass values as query parameters (`db.Query(\"... WHERE id = ?\", id)`, GORM `Where(\"name = ?\", name)`), and pick identifiers such as column names from an allowlist.",
			Calls:   []CallPat{{Callees: goSQLCallees, When: sqlInjection}},
		},
		{
			ID: "go-command-injection", Title: "OS command built from untrusted input", Severity: sevCritical, CWE: "CWE-78", Langs: goOnly,
			Message: "A command run through os/exec takes request data, environment or arguments, or runs a shell on a built string. Run a fixed program with separate arguments (`exec.Command(\"git\", \"log\", ref)`), validate values against an allowlist, and never pass user data to `sh -c`.",
			Calls: []CallPat{{Callees: []string{"os/exec.Command", "os/exec.CommandContext"}, When: func(c *Ctx, call *Node) bool {
				args := call.Args
				if call.Name == "os/exec.CommandContext" && len(args) > 0 {
					args = args[1:]
				}
				if len(args) == 0 {
					return false
				}
				if tainted(c, args[0]) {
					return true
				}
				if s, ok := strLit(c, args[0]); ok && isShell(s) {
					for i, a := range args[1:] {
						if i > 0 && dynamic(c, a) {
							return true
						}
					}
				}
				for _, a := range args[1:] {
					if tainted(c, a) && c.Val(a).Dyn {
						return true
					}
				}
				return false
			}}, {Callees: []string{"syscall.Exec", "os.StartProcess"}, When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(0)) }}},
		},
		{
			ID: "go-path-traversal", Title: "File path from untrusted input", Severity: sevHigh, CWE: "CWE-22", Langs: goOnly,
			Message: "A file is opened, served or written at a path that comes from the request. Use `filepath.Base` for a file name, or join it under a base directory, `filepath.Clean` it and check the result still has the base as prefix (or use `os.Root` / `http.FS` with a sub-tree).",
			Calls: []CallPat{{Callees: []string{"os.Open", "os.OpenFile", "os.ReadFile", "os.WriteFile", "os.Create", "os.Remove", "os.RemoveAll", "os.Mkdir", "os.MkdirAll", "io/ioutil.ReadFile", "io/ioutil.WriteFile", "os.ReadDir", "os.Rename"},
				When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(0)) }},
				{Callees: []string{"net/http.ServeFile"}, When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(2)) }},
				{Callees: []string{"*.File", "*.FileAttachment", "*.Attachment"}, When: func(c *Ctx, call *Node) bool {
					return c.InHandler() && tainted(c, call.arg(0))
				}}},
		},
		{
			ID: "go-ssrf", Title: "Outbound request to a URL from untrusted input", Severity: sevHigh, CWE: "CWE-918", Langs: goOnly,
			Message: "The server fetches a URL taken from the request, so a caller can reach internal services or cloud metadata. Check the host against an allowlist after parsing the URL, and block private and link-local addresses in the dialer.",
			Calls: []CallPat{{Callees: []string{"net/http.Get", "net/http.Head", "net/http.Post", "net/http.PostForm", "*.Get", "*.Head", "*.Post", "*.PostForm"}, When: func(c *Ctx, call *Node) bool {
				if call.Name == "net/http.Get" || call.Name == "net/http.Head" || call.Name == "net/http.Post" || call.Name == "net/http.PostForm" {
					return tainted(c, call.arg(0))
				}
				// client.Get(url): only on an http.Client variable.
				return isHTTPClient(c, call) && tainted(c, call.arg(0))
			}},
				{Callees: []string{"net/http.NewRequest"}, When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(1)) }},
				{Callees: []string{"net/http.NewRequestWithContext"}, When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(2)) }},
				{Callees: []string{"net.Dial", "net.DialTimeout"}, When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(1)) }}},
		},
		{
			ID: "go-open-redirect", Title: "Redirect to a URL from untrusted input", Severity: sevMedium, CWE: "CWE-601", Langs: goOnly,
			Message: "The handler redirects to a location taken from the request, so a link on your domain can send users to a phishing site. Redirect only to relative paths you check (`strings.HasPrefix(u, \"/\") && !strings.HasPrefix(u, \"//\")`) or to an allowlist of hosts.",
			Calls: []CallPat{{Callees: []string{"net/http.Redirect"}, When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(2)) }},
				{Callees: []string{"*.Redirect"}, When: func(c *Ctx, call *Node) bool {
					return call.Name != "net/http.Redirect" && len(call.Args) == 2 && tainted(c, call.arg(1))
				}}},
		},
		{
			ID: "go-xss-text-template", Title: "text/template renders an HTTP response", Severity: sevHigh, CWE: "CWE-79", Langs: goOnly,
			Message: "text/template does not escape HTML, so data rendered into the page can run script. Use html/template, which escapes by context.",
			Calls: []CallPat{{Callees: []string{"*.Execute", "*.ExecuteTemplate"}, When: func(c *Ctx, call *Node) bool {
				return c.Unit().HasImport("text/template") && !c.Unit().HasImport("html/template") && isResponseWriter(c, call.arg(0))
			}}},
		},
		{
			ID: "go-xss-unescaped-html", Title: "Untrusted data marked as safe HTML", Severity: sevHigh, CWE: "CWE-79", Langs: goOnly,
			Message: "Converting data to template.HTML, template.JS or template.URL switches off html/template's escaping for it. Pass the plain string and let the template escape it; sanitize with a vetted HTML sanitizer if markup must be kept.",
			Calls: []CallPat{{Callees: []string{"html/template.HTML", "html/template.JS", "html/template.URL", "html/template.CSS", "html/template.HTMLAttr", "html/template.JSStr", "html/template.Srcset"}, When: func(c *Ctx, call *Node) bool {
				return dynamic(c, call.arg(0)) || tainted(c, call.arg(0))
			}}},
		},
		{
			ID: "go-xss-response-write", Title: "Request data written into an HTML response", Severity: sevMedium, CWE: "CWE-79", Langs: goOnly,
			Message: "Request data is written to the response without escaping, so a link can inject script. Render through html/template or escape with `html.EscapeString`, and set an explicit Content-Type.",
			Calls: []CallPat{{Callees: []string{"fmt.Fprintf", "fmt.Fprint", "fmt.Fprintln", "io.WriteString"}, When: func(c *Ctx, call *Node) bool {
				if !isResponseWriter(c, call.arg(0)) {
					return false
				}
				html := htmlish(c, call.arg(1))
				for _, a := range call.Args[1:] {
					if tainted(c, a) && (html || c.Val(a).Raw || htmlish(c, a)) {
						return true
					}
				}
				return false
			}}, {Callees: []string{"*.Write"}, When: func(c *Ctx, call *Node) bool {
				recv := receiver(call)
				a := call.arg(0)
				return recv != nil && isResponseWriter(c, recv) && tainted(c, a) && htmlish(c, a)
			}}},
		},
		{
			ID: "go-ssti", Title: "Template parsed from untrusted input", Severity: sevHigh, CWE: "CWE-1336", Langs: goOnly,
			Message: "A template's source comes from the request, so callers can call any method reachable from the data. Parse templates only from files or constants; pass user data as the template's data.",
			Calls: []CallPat{{Callees: []string{"*.Parse"}, When: func(c *Ctx, call *Node) bool {
				return (c.Unit().HasImport("text/template") || c.Unit().HasImport("html/template")) && tainted(c, call.arg(0))
			}}},
		},
		{
			ID: "go-ldap-injection", Title: "LDAP filter built from untrusted input", Severity: sevHigh, CWE: "CWE-90", Langs: goOnly,
			Message: "The LDAP search filter includes request data without escaping, so callers can change the filter (`*)(uid=*`). Escape values with `ldap.EscapeFilter`.",
			Calls: []CallPat{{Callees: []string{"*.NewSearchRequest"}, When: func(c *Ctx, call *Node) bool {
				f := call.arg(6)
				return f != nil && tainted(c, f) && c.Val(f).Dyn
			}}},
		},
		{
			ID: "go-nosql-where", Title: "MongoDB $where built from a string", Severity: sevHigh, CWE: "CWE-943", Langs: goOnly,
			Message: "A `$where` clause runs JavaScript on the server; building it from data lets callers inject code. Use ordinary query operators with typed values.",
			Objects: []ObjPat{{Key: "$where", When: func(c *Ctx, o *Node) bool { return dynamic(c, o.kw("$where")) }}},
		},
		{
			ID: "go-jwt-unverified", Title: "JWT parsed without verifying its signature", Severity: sevCritical, CWE: "CWE-347", Langs: goOnly,
			Message: "ParseUnverified does not check the signature, so anyone can forge the claims. Use `jwt.Parse` with a key function that checks the signing method and returns your key.",
			Calls:   []CallPat{{Callees: []string{"*.ParseUnverified"}}},
		},
		{
			ID: "go-jwt-none-alg", Title: "JWT 'none' algorithm allowed", Severity: sevCritical, CWE: "CWE-327", Langs: goOnly,
			Message: "Accepting or signing with the `none` algorithm means tokens carry no signature. Remove `UnsafeAllowNoneSignatureType` / `SigningMethodNone` and pin the expected algorithm with `jwt.WithValidMethods`.",
			Calls: []CallPat{{Callees: []string{"*.SignedString", "*.NewWithClaims", "*.New"}, When: func(c *Ctx, call *Node) bool {
				for _, a := range call.Args {
					if a.Kind == KMember && strings.HasSuffix(a.Name, ".SigningMethodNone") {
						return true
					}
					if a.Kind == KMember && strings.HasSuffix(a.Name, ".UnsafeAllowNoneSignatureType") {
						return true
					}
				}
				r := receiver(call)
				return r != nil && strings.Contains(r.Name, "SigningMethodNone")
			}}},
		},
		{
			ID: "go-jwt-hardcoded-secret", Title: "JWT signed with a hard-coded key", Severity: sevHigh, CWE: "CWE-798", Langs: goOnly, Secret: true,
			Message: "The signing key is written in the source, so anyone with the code can mint tokens. Load it from a secret store or environment at start-up and rotate it.",
			Calls:   []CallPat{{Callees: []string{"*.SignedString"}, When: func(c *Ctx, call *Node) bool { return hardcoded(c, call.arg(0)) }}},
		},
		{
			ID: "go-session-hardcoded-secret", Title: "Session store keyed with a hard-coded secret", Severity: sevHigh, CWE: "CWE-798", Langs: goOnly, Secret: true,
			Message: "The session signing/encryption key is in the source, so sessions can be forged. Load the key from a secret store or environment.",
			Calls: []CallPat{{Callees: []string{"*.NewCookieStore", "*.NewStore", "*.NewFilesystemStore", "github.com/gorilla/securecookie.New"}, When: func(c *Ctx, call *Node) bool {
				for _, a := range call.Args {
					if hardcoded(c, a) {
						return true
					}
				}
				return false
			}}},
		},
		{
			ID: "go-weak-password-hash", Title: "Password hashed with MD5 or SHA-1", Severity: sevHigh, CWE: "CWE-916", Langs: goOnly,
			Message: "MD5 and SHA-1 (and any fast unsalted hash) let stolen password hashes be cracked quickly. Use `golang.org/x/crypto/bcrypt`, scrypt or argon2id.",
			Calls: []CallPat{{Callees: []string{"crypto/md5.Sum", "crypto/sha1.Sum", "crypto/sha256.Sum256", "crypto/sha512.Sum512", "*.Write"}, When: func(c *Ctx, call *Node) bool {
				if lastSeg(call.Name) == "Write" {
					r := c.Resolve(receiver(call))
					if r == nil || r.Kind != KCall || (r.Name != "crypto/md5.New" && r.Name != "crypto/sha1.New") {
						return false
					}
				}
				return mentionsName(call.arg(0), passwordName)
			}}},
		},
		{
			ID: "go-weak-cipher", Title: "Broken cipher (DES, 3DES, RC4)", Severity: sevHigh, CWE: "CWE-327", Langs: goOnly,
			Message: "DES, triple DES and RC4 are broken or too weak. Use AES-GCM (`cipher.NewGCM`) or ChaCha20-Poly1305.",
			Calls:   []CallPat{{Callees: []string{"crypto/des.NewCipher", "crypto/des.NewTripleDESCipher", "crypto/rc4.NewCipher"}}},
		},
		{
			ID: "go-static-iv", Title: "Constant IV or nonce", Severity: sevHigh, CWE: "CWE-329", Langs: goOnly,
			Message: "The IV/nonce is a constant, so equal plaintexts encrypt equally and GCM loses its security entirely. Generate a fresh random nonce with crypto/rand for every message and store it with the ciphertext.",
			Calls: []CallPat{{Callees: []string{"crypto/cipher.NewCBCEncrypter", "crypto/cipher.NewCTR", "crypto/cipher.NewOFB", "crypto/cipher.NewCFBEncrypter"}, When: func(c *Ctx, call *Node) bool { return constBytes(c, call.arg(1)) }},
				{Callees: []string{"*.Seal"}, When: func(c *Ctx, call *Node) bool { return len(call.Args) == 4 && constBytes(c, call.arg(1)) }}},
		},
		{
			ID: "go-insecure-random", Title: "math/rand used for a secret value", Severity: sevHigh, CWE: "CWE-338", Langs: goOnly,
			Message: "math/rand is predictable; tokens, passwords, session ids and nonces made with it can be guessed. Use crypto/rand (`rand.Read`, `rand.Text`).",
			Calls: []CallPat{{Callees: []string{"math/rand.Intn", "math/rand.Int", "math/rand.Int63", "math/rand.Int31", "math/rand.Int63n", "math/rand.Int31n", "math/rand.Read", "math/rand.Uint32", "math/rand.Uint64", "math/rand.Float64",
				"math/rand/v2.IntN", "math/rand/v2.Int", "math/rand/v2.Uint64", "math/rand/v2.N", "math/rand/v2.Int64", "math/rand/v2.Uint32", "*.Intn", "*.Int63"}, When: func(c *Ctx, call *Node) bool {
				if !strings.HasPrefix(call.Name, "math/rand") && !c.Unit().HasImport("math/rand", "math/rand/v2") {
					return false
				}
				if !strings.HasPrefix(call.Name, "math/rand") {
					return false
				}
				return tokenish(c)
			}}},
		},
		{
			ID: "go-weak-rsa-key", Title: "RSA key shorter than 2048 bits", Severity: sevHigh, CWE: "CWE-326", Langs: goOnly,
			Message: "RSA keys under 2048 bits can be factored. Generate at least 2048-bit (preferably 3072-bit) keys, or use Ed25519.",
			Calls: []CallPat{{Callees: []string{"crypto/rsa.GenerateKey", "crypto/rsa.GenerateMultiPrimeKey"}, When: func(c *Ctx, call *Node) bool {
				n, ok := numLit(c, call.Args[len(call.Args)-1])
				return ok && n < 2048
			}}},
		},
		{
			ID: "go-tls-insecure-skip-verify", Title: "TLS certificate verification disabled", Severity: sevHigh, CWE: "CWE-295", Langs: goOnly,
			Message: "InsecureSkipVerify accepts any certificate, so anyone on the network path can read and change the traffic. Remove it; for a private CA add its certificate to `RootCAs`.",
			Objects: []ObjPat{{Key: "InsecureSkipVerify", When: func(c *Ctx, o *Node) bool { return isTrue(c, o.kw("InsecureSkipVerify")) }}},
			Assigns: []AssignPat{{Targets: []string{"*.InsecureSkipVerify"}, When: func(c *Ctx, t, v *Node) bool { return isTrue(c, v) }}},
		},
		{
			ID: "go-tls-old-version", Title: "TLS 1.0/1.1 or SSL allowed", Severity: sevMedium, CWE: "CWE-326", Langs: goOnly,
			Message: "TLS 1.0 and 1.1 are deprecated and weak. Set `MinVersion: tls.VersionTLS12` (or 1.3).",
			Objects: []ObjPat{{Key: "MinVersion", When: func(c *Ctx, o *Node) bool { return oldTLS(o.kw("MinVersion")) }}, {Key: "MaxVersion", When: func(c *Ctx, o *Node) bool { return oldTLS(o.kw("MaxVersion")) }}},
			Assigns: []AssignPat{{Targets: []string{"*.MinVersion", "*.MaxVersion"}, When: func(c *Ctx, t, v *Node) bool { return oldTLS(v) }}},
		},
		{
			ID: "go-http-client-no-timeout", Title: "Outbound HTTP without a timeout", Severity: sevMedium, CWE: "CWE-400", Langs: goOnly,
			Message: "An http.Client without Timeout (and http.Get/Post, which use the default client) waits forever on a slow server, tying up goroutines and connections. Use `&http.Client{Timeout: 10 * time.Second}` or a request context with a deadline.",
			Objects: []ObjPat{{Types: []string{"net/http.Client"}, When: func(c *Ctx, o *Node) bool { return o.kw("Timeout") == nil }}},
			Calls:   []CallPat{{Callees: []string{"net/http.Get", "net/http.Post", "net/http.Head", "net/http.PostForm"}}},
		},
		{
			ID: "go-http-server-no-timeout", Title: "HTTP server without read timeouts", Severity: sevMedium, CWE: "CWE-400", Langs: goOnly,
			Message: "A server without ReadHeaderTimeout is open to Slowloris: clients holding connections open exhaust it. Use `&http.Server{ReadHeaderTimeout: 10 * time.Second, ...}` instead of http.ListenAndServe.",
			Calls:   []CallPat{{Callees: []string{"net/http.ListenAndServe", "net/http.ListenAndServeTLS", "net/http.Serve", "net/http.ServeTLS"}}},
			Objects: []ObjPat{{Types: []string{"net/http.Server"}, When: func(c *Ctx, o *Node) bool {
				return o.kw("ReadHeaderTimeout") == nil && o.kw("ReadTimeout") == nil
			}}},
		},
		{
			ID: "go-cors-wildcard-credentials", Title: "CORS allows any origin with credentials", Severity: sevHigh, CWE: "CWE-942", Langs: goOnly,
			Message: "Allowing every origin (or echoing the Origin header) together with credentials lets any web site make authenticated requests and read the answers. List the trusted origins explicitly.",
			Objects: []ObjPat{{Key: "AllowCredentials", When: func(c *Ctx, o *Node) bool {
				if !isTrue(c, o.kw("AllowCredentials")) {
					return false
				}
				if isTrue(c, o.kw("AllowAllOrigins")) {
					return true
				}
				for _, k := range []string{"AllowOrigins", "AllowedOrigins"} {
					if arr := c.Resolve(o.kw(k)); arr != nil && arr.Kind == KArray {
						for _, x := range arr.Args {
							if strIs(c, x, "*") {
								return true
							}
						}
					}
				}
				return o.kw("AllowOriginFunc") != nil && alwaysTrue(o.kw("AllowOriginFunc"))
			}}},
			Func: corsHeaders("Set", "Header", "Add"),
		},
		{
			ID: "go-cookie-insecure", Title: "Cookie without Secure or HttpOnly", Severity: sevMedium, CWE: "CWE-614", Langs: goOnly,
			Message: "A cookie without HttpOnly can be read by injected script, and without Secure it travels over plain HTTP. Set `Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode` (or Strict).",
			Objects: []ObjPat{{Types: []string{"net/http.Cookie"}, When: func(c *Ctx, o *Node) bool {
				return !isTrue(c, o.kw("Secure")) || !isTrue(c, o.kw("HttpOnly"))
			}}},
			Calls: []CallPat{{Callees: []string{"*.SetCookie"}, When: func(c *Ctx, call *Node) bool {
				// gin: c.SetCookie(name, value, maxAge, path, domain, secure, httpOnly)
				return len(call.Args) == 7 && (isFalse(c, call.Args[5]) || isFalse(c, call.Args[6]))
			}}},
		},
		{
			ID: "go-log-sensitive", Title: "Secret or whole request written to a log", Severity: sevMedium, CWE: "CWE-532", Langs: goOnly,
			Message: "A password, token, key or the whole request (with its headers and cookies) is logged; logs are widely readable and kept long. Log an id or a redacted form instead.",
			Calls:   []CallPat{{Callees: goLogCallees, When: func(c *Ctx, call *Node) bool { return logsSensitive(c, call) }}},
		},
		{
			ID: "go-world-writable", Title: "File or directory created world-writable", Severity: sevMedium, CWE: "CWE-732", Langs: goOnly,
			Message: "Mode bits give every local user write access. Use 0600/0644 for files and 0700/0755 for directories.",
			Calls: []CallPat{{Callees: []string{"os.WriteFile", "io/ioutil.WriteFile"}, When: func(c *Ctx, call *Node) bool { return worldWritable(c, call.arg(2)) }},
				{Callees: []string{"os.OpenFile"}, When: func(c *Ctx, call *Node) bool { return worldWritable(c, call.arg(2)) }},
				{Callees: []string{"os.Mkdir", "os.MkdirAll", "os.Chmod"}, When: func(c *Ctx, call *Node) bool { return worldWritable(c, call.arg(1)) }}},
		},
		{
			ID: "go-tempfile-race", Title: "Predictable temporary file name", Severity: sevMedium, CWE: "CWE-377", Langs: goOnly,
			Message: "A fixed name in the shared temp directory can be pre-created or symlinked by another user. Use `os.CreateTemp` / `os.MkdirTemp`.",
			Calls:   []CallPat{{Callees: []string{"os.Create", "os.WriteFile", "os.OpenFile", "io/ioutil.WriteFile"}, When: func(c *Ctx, call *Node) bool { return predictableTemp(c, call.arg(0)) }}},
		},
		{
			ID: "go-json-unknown-fields", Title: "API handler decodes JSON without DisallowUnknownFields", Severity: sevLow, CWE: "CWE-20", Langs: goOnly,
			Message: "The handler accepts JSON bodies with any extra fields, which hides client mistakes and mass-assignment attempts. Call `dec.DisallowUnknownFields()` before `Decode`, and limit the body with `http.MaxBytesReader`.",
			Func: func(f *FuncCtx) []*Node {
				if !f.Handler() {
					return nil
				}
				var dec *Node
				for _, r := range f.fs.calls {
					if lastSeg(r.n.Name) == "DisallowUnknownFields" {
						return nil
					}
					if r.n.Name == "encoding/json.NewDecoder" && len(r.vals) > 0 && r.vals[0].Req && dec == nil {
						dec = r.n
					}
				}
				if dec != nil {
					return []*Node{dec}
				}
				return nil
			},
		},
		{
			ID: "go-body-untyped", Title: "Request body decoded into an untyped map", Severity: sevLow, CWE: "CWE-20", Langs: goOnly,
			Message: "Decoding a request body into `map[string]any` skips any schema: every field and type the client sends is accepted. Decode into a struct with the fields you expect and validate them.",
			Func: func(f *FuncCtx) []*Node {
				if !f.Handler() {
					return nil
				}
				for _, r := range f.fs.calls {
					seg := lastSeg(r.n.Name)
					if seg != "Decode" && seg != "Unmarshal" && seg != "ShouldBindJSON" && seg != "BindJSON" && seg != "Bind" {
						continue
					}
					for _, a := range r.n.Args {
						if a.Kind == KAddr && len(a.Args) == 1 && a.Args[0] != nil {
							if t := f.declType(a.Args[0].Name); strings.HasPrefix(t, "map[string]") {
								return []*Node{r.n}
							}
						}
					}
				}
				return nil
			},
		},
		{
			ID: "go-mass-assignment", Title: "Request body saved straight into a database model", Severity: sevMedium, CWE: "CWE-915", Langs: goOnly,
			Message: "The bound request body is passed whole to Create/Save/Updates, or its privileged fields (role, admin flag, owner, balance) are written with Exec, so a client can set fields it should not. Bind into a request struct with only the editable fields and copy them onto the model.",
			Calls: []CallPat{{Callees: []string{"*.Updates", "*.Save", "*.Create"}, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				if a == nil {
					return false
				}
				if a.Kind == KAddr && len(a.Args) == 1 {
					a = a.Args[0]
				}
				v := c.Val(a)
				return v.Whole && v.Req && (a.Kind == KIdent)
			}},
				// INSERT ... VALUES (?, ?) with acc.IsAdmin from a decoded body:
				// the privileged field is the client's choice.
				{Callees: []string{"*.Exec", "*.ExecContext"}, When: func(c *Ctx, call *Node) bool {
					for _, a := range call.Args {
						if a == nil || a.Kind != KMember || len(a.Args) == 0 || a.Args[0] == nil || a.Args[0].Kind != KIdent {
							continue
						}
						if !privilegedField.MatchString(lastSeg(a.Name)) {
							continue
						}
						if v := c.Val(a.Args[0]); v.Whole && v.Req {
							return true
						}
					}
					return false
				}}},
		},
		{
			ID: "go-idor", Title: "Record loaded by a request id without an ownership check", Severity: sevMedium, CWE: "CWE-639", Langs: goOnly,
			Message: "The handler loads or changes a record by an id from the request and never compares it with the authenticated user or tenant, so any user can read others' records by changing the id. Scope the query by owner (`WHERE id = ? AND user_id = ?`) or check ownership before returning it.",
			Func:    idorCheck([]string{"First", "Find", "Take", "Delete", "QueryRow", "QueryRowContext", "Query", "QueryContext", "Get", "GetContext", "Exec", "ExecContext", "FindByID", "GetByID"}),
		},
		{
			ID: "go-pprof-exposed", Title: "net/http/pprof imported", Severity: sevMedium, CWE: "CWE-489", Langs: goOnly,
			Message: "Importing net/http/pprof registers profiling endpoints on the default mux, exposing memory contents and a cheap DoS to anyone who can reach the server. Serve pprof only on a separate, internal listener.",
			File: func(c *Ctx) []*Node {
				for _, s := range c.Unit().ImportPaths {
					if s == "net/http/pprof" {
						return []*Node{{Off: importOffset(c.Unit(), s)}}
					}
				}
				return nil
			},
		},
		{
			ID: "go-password-compare", Title: "Secret compared in non-constant time", Severity: sevMedium, CWE: "CWE-208", Langs: goOnly,
			Message: "`==` on passwords, tokens or MACs returns early at the first difference, leaking how much matched. Compare hashes with `subtle.ConstantTimeCompare` / `hmac.Equal`, and store passwords with bcrypt.",
			Compare: secretCompare,
			Calls: []CallPat{{Callees: []string{"bytes.Equal"}, When: func(c *Ctx, call *Node) bool {
				return mentionsName(call.arg(0), macName) || mentionsName(call.arg(1), macName)
			}}},
		},
		{
			ID: "go-gin-debug", Title: "Gin in debug mode", Severity: sevLow, CWE: "CWE-489", Langs: goOnly,
			Message: "Debug mode prints routes and internals and is not meant for production. Use `gin.SetMode(gin.ReleaseMode)` or GIN_MODE=release.",
			Calls: []CallPat{{Callees: []string{"github.com/gin-gonic/gin.SetMode"}, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				return a != nil && (a.Name == "github.com/gin-gonic/gin.DebugMode" || strIs(c, a, "debug"))
			}}},
		},
	}
}

var macName = regexpMust(`(?i)(mac|signature|sig$|digest|hmac)`)

var goLogCallees = []string{"log.Print", "log.Printf", "log.Println", "log.Fatal", "log.Fatalf", "log.Panicf",
	"log/slog.Info", "log/slog.Debug", "log/slog.Warn", "log/slog.Error", "*.Info", "*.Infof", "*.Infow", "*.Debug", "*.Debugf", "*.Debugw",
	"*.Warn", "*.Warnf", "*.Error", "*.Errorf", "*.Printf", "*.Println", "*.Print", "fmt.Println", "fmt.Printf"}

// htmlish: n is (or converts) a string whose literal parts contain markup.
func htmlish(c *Ctx, n *Node) bool {
	r := c.Resolve(n)
	if r != nil && r.Kind == KCall && len(r.Args) == 1 && (r.Name == "[]byte" || r.Name == "string") {
		return htmlish(c, r.Args[0])
	}
	return strings.Contains(constText(c, n), "<")
}

func isShell(s string) bool {
	switch path0(s) {
	case "sh", "bash", "zsh", "cmd", "cmd.exe", "powershell", "pwsh", "ksh", "dash":
		return true
	}
	return false
}

func path0(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		return s[i+1:]
	}
	return s
}

func receiver(call *Node) *Node {
	if call == nil || call.Fun == nil || call.Fun.Kind != KMember || len(call.Fun.Args) == 0 {
		return nil
	}
	return call.Fun.Args[0]
}

// isResponseWriter: n names a parameter declared http.ResponseWriter (or gin's c.Writer).
func isResponseWriter(c *Ctx, n *Node) bool {
	if n == nil {
		return false
	}
	if c.a.fs != nil && c.a.fs.fn != nil && n.Kind == KIdent {
		for _, p := range c.a.fs.fn.Params {
			if p.Name == n.Name {
				return p.Type == "net/http.ResponseWriter"
			}
		}
	}
	return n.Kind == KMember && strings.HasSuffix(n.Name, ".Writer") && c.Val(n).Req
}

func isHTTPClient(c *Ctx, call *Node) bool {
	r := c.Resolve(receiver(call))
	if r == nil {
		return false
	}
	if r.Kind == KAddr && len(r.Args) == 1 {
		r = r.Args[0]
	}
	return (r.Kind == KObject && r.Name == "net/http.Client") || r.Name == "net/http.DefaultClient"
}

func constBytes(c *Ctx, n *Node) bool {
	r := c.Resolve(n)
	if r == nil {
		return false
	}
	if _, ok := strLit(c, r); ok {
		return true
	}
	if r.Kind == KArray && len(r.Args) > 0 {
		for _, x := range r.Args {
			if x.Kind != KNum && x.Kind != KStr {
				return false
			}
		}
		return true
	}
	return false
}

func oldTLS(n *Node) bool {
	if n == nil {
		return false
	}
	switch lastSeg(n.Name) {
	case "VersionTLS10", "VersionTLS11", "VersionSSL30":
		return true
	}
	return false
}

func alwaysTrue(n *Node) bool {
	if n == nil || n.Kind != KFunc || n.Fn == nil || len(n.Fn.Body) != 1 {
		return false
	}
	s := n.Fn.Body[0]
	return s.Kind == SReturn && s.X != nil && s.X.Kind == KBool && s.X.Str == "true"
}

func worldWritable(c *Ctx, n *Node) bool {
	v, ok := numLit(c, n)
	return ok && v&0o002 != 0
}

func predictableTemp(c *Ctx, n *Node) bool {
	r := c.Resolve(n)
	if r == nil {
		return false
	}
	if s, ok := strLit(c, r); ok {
		return strings.HasPrefix(s, "/tmp/") || strings.HasPrefix(s, "/var/tmp/")
	}
	if r.Kind == KCall && (r.Name == "path/filepath.Join" || r.Name == "path.Join" || r.Name == "os.path.join" || r.Name == "path.join") && len(r.Args) >= 2 {
		first := c.Resolve(r.Args[0])
		tmp := first != nil && (first.Kind == KCall && (first.Name == "os.TempDir" || first.Name == "tempfile.gettempdir" || first.Name == "os.tmpdir") || strIs(c, first, "/tmp", "/tmp/", "/var/tmp"))
		if !tmp {
			return false
		}
		for _, x := range r.Args[1:] {
			if _, ok := strLit(c, x); !ok {
				return false
			}
		}
		return true
	}
	if r.Kind == KBuild && len(r.Args) > 0 {
		if s, ok := strLit(c, r.Args[0]); ok && (strings.HasPrefix(s, "/tmp/") || strings.HasPrefix(s, "/var/tmp/")) {
			for _, x := range r.Args[1:] {
				if !c.Val(x).Const {
					return false
				}
			}
			return true
		}
	}
	return false
}

func importOffset(u *Unit, p string) int {
	i := strings.Index(string(u.Src), `"`+p+`"`)
	if i < 0 {
		return 0
	}
	return i
}

// secretCompare: == / != between a secret-named value and something that is
// not a literal, nil or an emptiness check.
func secretCompare(c *Ctx, n *Node) bool {
	if n.Str != "==" && n.Str != "!=" && n.Str != "===" && n.Str != "!==" || len(n.Args) != 2 {
		return false
	}
	l, r := n.Args[0], n.Args[1]
	if l == nil || r == nil {
		return false
	}
	for _, x := range []*Node{l, r} {
		switch x.Kind {
		case KStr, KNull, KNum, KBool:
			return false
		case KCall:
			if lastSeg(x.Name) == "len" || x.Name == "len" {
				return false
			}
		}
	}
	secret := func(x *Node) bool {
		if x.Kind == KCall {
			// hashPassword(pw) == stored: a password hash compared with ==.
			return passwordFunc.MatchString(lastSeg(x.Name))
		}
		if x.Kind != KIdent && x.Kind != KMember && x.Kind != KIndex {
			return false
		}
		name := lastSeg(x.Name)
		if !secretCmpName.MatchString(name) || secretCmpExclude.MatchString(name) {
			return false
		}
		// A numeric constant (an enum such as `BadSignature Mode = iota`)
		// names a case, not a secret.
		if v := c.Resolve(x); v != x && v.Kind == KNum {
			return false
		}
		return true
	}
	if !secret(l) && !secret(r) {
		return false
	}
	// Comparing two constants or a type/kind tag is not a secret comparison.
	return !(c.Val(l).Const && c.Val(r).Const)
}

// privilegedField names a model field a client must not set: roles,
// ownership, money, verification.
var privilegedField = regexpMust(`(?i)^(is_?admin|admin|is_?staff|is_?superuser|role|roles|permissions?|owner_?id|tenant_?id|org_?id|balance|credits|is_?verified|verified|email_?verified|plan|tier|approved)$`)

// passwordFunc names a function that hashes or derives a password.
var passwordFunc = regexpMust(`(?i)(passw|pwd)`)

// A name ending in a credential's key (adminKey, access_key, webhookKey) is
// a secret; a bare "key" is not (map and cache keys).
var secretCmpName = regexpMust(`(?i)(passw|passwd|pwd|secret|token|api_?key|apikey|signature|hmac|otp|digest|mac$|(admin|access|auth|master|client|private|shared|signing|service|internal|webhook)_?key$)`)
var secretCmpExclude = regexpMust(`(?i)(type|kind|name|len|length|count|id$|expir|_at$|url|header|enabled)`)

// idorCheck builds a function-level rule: in a request handler, a lookup
// by a request-derived value with no sign of an ownership check.
func idorCheck(lookups []string) func(f *FuncCtx) []*Node {
	set := map[string]bool{}
	for _, l := range lookups {
		set[l] = true
	}
	return func(f *FuncCtx) []*Node {
		if !f.Handler() {
			return nil
		}
		var hit *Node
	calls:
		for _, r := range f.fs.calls {
			if !set[lastSeg(r.n.Name)] {
				continue
			}
			for i, v := range r.vals {
				if !v.Req {
					continue
				}
				// The request value must be an id-like argument.
				var an *Node
				if i < len(r.n.Args) {
					an = r.n.Args[i]
				} else if i-len(r.n.Args) < len(r.n.Vals) {
					an = r.n.Vals[i-len(r.n.Args)]
				}
				if an != nil && idLike(r.n, an) {
					hit = r.n
					break calls
				}
			}
		}
		if hit == nil || f.Mentions(ownershipWords...) {
			return nil
		}
		return []*Node{hit}
	}
}

var ownershipWords = []string{"owner", "userid", "user_id", "currentuser", "current_user", "tenant", "account_id", "accountid", "org_id", "orgid", "authoriz", "permission", "forbidden", "isadmin", "is_admin", "session", "claims", "principal", "created_by", "createdby", "author_id", "authorid", "policy", "req.user", "request.user", "req.auth", "state.user", "session.user", "locals.user"}

var idWord = regexpMust(`(?i)(^|[._])(id|pk|uuid|slug|[a-z]+_?id|[a-z]+Id)$`)

// idLike: the argument is (or contains) an identifier-looking value.
func idLike(call, an *Node) bool {
	found := false
	walkNodes(an, func(x *Node) bool {
		if found {
			return false
		}
		switch x.Kind {
		case KIdent, KMember, KIndex:
			if idWord.MatchString(lastSeg(x.Name)) {
				found = true
			}
		case KStr:
			if idWord.MatchString(x.Str) {
				found = true
			}
		case KCall:
			for _, a := range x.Args {
				if a.Kind == KStr && idWord.MatchString(a.Str) {
					found = true
				}
			}
		}
		return true
	})
	if found {
		return true
	}
	// A query string "... WHERE id = ?" before the value.
	for _, a := range call.Args {
		if a.Kind == KStr && whereID.MatchString(a.Str) {
			return true
		}
	}
	for _, k := range call.Keys {
		if idWord.MatchString(k) {
			return true
		}
	}
	return false
}

var whereID = regexpMust(`(?i)where\s+\w*\.?(id|\w+_id)\s*=`)

// declType finds the declared type of a local variable (Go `var x T`).
func (f *FuncCtx) declType(name string) string {
	if f.fs.fn == nil {
		return ""
	}
	src := f.u.Src
	if f.fs.fn.End > len(src) || f.fs.fn.Off > f.fs.fn.End {
		return ""
	}
	var found string
	var walk func(ss []*Stmt)
	walk = func(ss []*Stmt) {
		for _, s := range ss {
			if s.Kind == SAssign && len(s.Lhs) == 1 && s.Lhs[0] != nil && s.Lhs[0].Name == name && len(s.Rhs) == 1 && s.Rhs[0] != nil {
				r := s.Rhs[0]
				if (r.Kind == KObject || r.Kind == KCall || r.Kind == KOther) && strings.HasPrefix(r.Name, "map[string]") {
					found = r.Name
				}
				if r.Kind == KCall && r.Name == "make" && len(r.Args) > 0 {
					found = r.Args[0].Name
				}
			}
			walk(s.Body)
			walk(s.Else)
		}
	}
	walk(f.fs.fn.Body)
	return found
}
