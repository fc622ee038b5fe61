package sast

import (
	"strings"
)

var pyOnly = []Lang{LangPython}

var pySQLCallees = []string{"*.execute", "*.executemany", "*.executescript", "*.raw", "*.extra", "sqlalchemy.text", "sqlalchemy.sql.text", "text", "*.mogrify", "*.read_sql", "*.read_sql_query", "pandas.read_sql"}

func pyKwTrue(c *Ctx, call *Node, k string) bool { return isTrue(c, call.kw(k)) }

// pyShellTrue: subprocess call with shell=True.
func pyShellTrue(c *Ctx, call *Node) bool { return pyKwTrue(c, call, "shell") }

var pyRequestsVerbs = []string{"requests.get", "requests.post", "requests.put", "requests.patch", "requests.delete", "requests.head", "requests.options", "requests.request"}

func pyRules() []*Rule {
	return []*Rule{
		{
			ID: "py-sql-injection", Title: "SQL query built from non-constant strings", Severity: sevHigh, CWE: "CWE-89", Langs: pyOnly,
			Message: "The SQL text is built with an f-string, %, .format or + from data that is not constant. Pass values as parameters (`cursor.execute(\"... WHERE id = %s\", (id,))`, SQLAlchemy `text(\"... = :id\").bindparams(id=id)`), and choose identifiers from an allowlist.",
			Calls: []CallPat{{Callees: pySQLCallees, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				if a == nil {
					a = call.kw("sql")
				}
				if a == nil {
					return false
				}
				if call.Name == "text" && !c.Unit().HasImport("sqlalchemy") {
					return false
				}
				if looksSQL(c, a) {
					return dynamic(c, a)
				}
				return tainted(c, a)
			}}},
		},
		{
			ID: "py-command-injection", Title: "OS command built from untrusted or dynamic input", Severity: sevCritical, CWE: "CWE-78", Langs: pyOnly,
			Message: "A shell runs a command string built from data (os.system, os.popen, subprocess with shell=True), or a program name comes from the request. Pass a list of arguments without shell=True (`subprocess.run([\"ping\", \"-c\", \"1\", host])`), validate values, or quote with shlex.quote.",
			Calls: []CallPat{{Callees: []string{"os.system", "os.popen", "commands.getoutput", "subprocess.getoutput", "subprocess.getstatusoutput", "os.popen2", "os.popen3"}, When: func(c *Ctx, call *Node) bool { return dynamic(c, call.arg(0)) }},
				{Callees: []string{"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen", "asyncio.create_subprocess_shell"}, When: func(c *Ctx, call *Node) bool {
					a := argOrKw(call, 0, "args")
					if call.Name == "asyncio.create_subprocess_shell" || pyShellTrue(c, call) {
						return dynamic(c, a)
					}
					r := c.Resolve(a)
					if r != nil && r.Kind == KArray && len(r.Args) > 0 {
						if s, ok := strLit(c, r.Args[0]); ok && isShell(s) && len(r.Args) > 2 {
							return dynamic(c, r.Args[2])
						}
						return tainted(c, r.Args[0])
					}
					return tainted(c, a)
				}},
				{Callees: []string{"os.execv", "os.execvp", "os.execl", "os.execlp", "os.spawnl", "os.spawnv"}, When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(0)) }}},
		},
		{
			ID: "py-code-injection", Title: "eval/exec on dynamic input", Severity: sevCritical, CWE: "CWE-95", Langs: pyOnly,
			Message: "eval, exec and compile run any Python code they are given. Parse data with json or ast.literal_eval, or map allowed operations explicitly.",
			Calls: []CallPat{{Callees: []string{"eval", "exec", "compile", "builtins.eval", "builtins.exec"}, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				return a != nil && nonLiteral(c, a) && (tainted(c, a) || c.Val(a).Dyn || a.Kind == KIdent || a.Kind == KIndex || a.Kind == KCall)
			}}},
		},
		{
			ID: "py-ssti", Title: "Template rendered from untrusted input", Severity: sevCritical, CWE: "CWE-1336", Langs: pyOnly,
			Message: "The template source comes from the request, so a caller can run code on the server (`{{ cycler.__init__.__globals__.os.popen('id').read() }}`). Render fixed templates and pass user data as variables: `render_template_string(\"Hello {{ name }}\", name=name)`.",
			Calls: []CallPat{{Callees: []string{"flask.render_template_string", "render_template_string", "jinja2.Template", "*.from_string", "mako.template.Template", "django.template.Template", "Template"}, When: func(c *Ctx, call *Node) bool {
				if call.Name == "Template" && !c.Unit().HasImport("jinja2", "mako", "django") {
					return false
				}
				a := call.arg(0)
				return a != nil && (tainted(c, a) || (c.Val(a).Dyn && c.Val(a).Req))
			}}},
		},
		{
			ID: "py-path-traversal", Title: "File path from untrusted input", Severity: sevHigh, CWE: "CWE-22", Langs: pyOnly,
			Message: "A file is opened or sent at a path taken from the request. Use `werkzeug.utils.secure_filename` / `os.path.basename`, or resolve the path and check it stays under the base directory (`os.path.realpath(p).startswith(BASE + os.sep)`); prefer `send_from_directory`.",
			Calls: []CallPat{{Callees: []string{"open", "io.open", "flask.send_file", "send_file", "os.remove", "os.unlink", "shutil.rmtree", "os.listdir", "pathlib.Path", "Path", "shutil.copy", "django.http.FileResponse", "FileResponse", "aiofiles.open", "os.rmdir"}, When: func(c *Ctx, call *Node) bool {
				return tainted(c, call.arg(0))
			}}},
		},
		{
			ID: "py-ssrf", Title: "Outbound request to a URL from untrusted input", Severity: sevHigh, CWE: "CWE-918", Langs: pyOnly,
			Message: "The server fetches a URL from the request, so callers can reach internal services and cloud metadata. Parse the URL, check the scheme and host against an allowlist, and refuse private addresses.",
			Calls: []CallPat{{Callees: append([]string{"urllib.request.urlopen", "urllib.urlopen", "httpx.get", "httpx.post", "httpx.request", "*.urlopen"}, pyRequestsVerbs...), When: func(c *Ctx, call *Node) bool {
				i := 0
				if call.Name == "requests.request" || call.Name == "httpx.request" {
					i = 1
				}
				return tainted(c, argOrKw(call, i, "url"))
			}}, {Callees: []string{"*.get", "*.post"}, When: func(c *Ctx, call *Node) bool {
				r := receiver(call)
				if r == nil {
					return false
				}
				rr := c.Resolve(r)
				client := rr != nil && rr.Kind == KCall && (rr.Name == "requests.Session" || rr.Name == "httpx.Client" || rr.Name == "httpx.AsyncClient" || rr.Name == "aiohttp.ClientSession")
				return client && tainted(c, argOrKw(call, 0, "url"))
			}}},
		},
		{
			ID: "py-open-redirect", Title: "Redirect to a URL from untrusted input", Severity: sevMedium, CWE: "CWE-601", Langs: pyOnly,
			Message: "The response redirects to a location from the request, so links on your domain can lead to phishing pages. Accept only relative paths you check, or use `url_has_allowed_host_and_scheme` (Django).",
			Calls: []CallPat{{Callees: []string{"flask.redirect", "redirect", "django.shortcuts.redirect", "django.http.HttpResponseRedirect", "HttpResponseRedirect", "fastapi.responses.RedirectResponse", "RedirectResponse", "starlette.responses.RedirectResponse"}, When: func(c *Ctx, call *Node) bool {
				return tainted(c, argOrKw(call, 0, "url"))
			}}},
		},
		{
			ID: "py-xss-mark-safe", Title: "Dynamic data marked as safe HTML", Severity: sevHigh, CWE: "CWE-79", Langs: pyOnly,
			Message: "Markup() and mark_safe() switch off template escaping. Keep user data as plain strings so the template escapes them; build markup with `format_html` / `Markup.format`, which escape arguments.",
			Calls: []CallPat{{Callees: []string{"markupsafe.Markup", "flask.Markup", "Markup", "django.utils.safestring.mark_safe", "mark_safe", "jinja2.Markup"}, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				return a != nil && (c.Val(a).Dyn || tainted(c, a))
			}}},
		},
		{
			ID: "py-jinja-autoescape-off", Title: "Jinja2 environment without autoescape", Severity: sevMedium, CWE: "CWE-79", Langs: pyOnly,
			Message: "jinja2.Environment does not escape HTML unless autoescape is on. Use `Environment(autoescape=select_autoescape())`.",
			Calls: []CallPat{{Callees: []string{"jinja2.Environment", "Environment"}, When: func(c *Ctx, call *Node) bool {
				if call.Name == "Environment" && !c.Unit().HasImport("jinja2") {
					return false
				}
				a := call.kw("autoescape")
				return a == nil || isFalse(c, a)
			}}},
		},
		{
			ID: "py-xss-response", Title: "Request data returned inside HTML", Severity: sevMedium, CWE: "CWE-79", Langs: pyOnly,
			Message: "The view builds HTML with request data and returns it unescaped. Render a template (which escapes), or escape with `markupsafe.escape` / `django.utils.html.escape`.",
			Return: func(c *Ctx, x *Node) bool {
				return c.InHandler() && htmlish(c, x) && tainted(c, x)
			},
			Calls: []CallPat{{Callees: []string{"django.http.HttpResponse", "HttpResponse", "flask.make_response", "make_response", "HTMLResponse", "fastapi.responses.HTMLResponse"}, When: func(c *Ctx, call *Node) bool {
				a := argOrKw(call, 0, "content")
				return a != nil && htmlish(c, a) && tainted(c, a)
			}}},
		},
		{
			ID: "py-xxe", Title: "XML parser resolves external entities", Severity: sevHigh, CWE: "CWE-611", Langs: pyOnly,
			Message: "The parser expands external entities, letting a document read local files or reach internal hosts. Use `defusedxml`, or lxml with `resolve_entities=False, no_network=True`.",
			Calls: []CallPat{{Callees: []string{"lxml.etree.XMLParser", "etree.XMLParser", "XMLParser"}, When: func(c *Ctx, call *Node) bool {
				return pyKwTrue(c, call, "resolve_entities") || isFalse(c, call.kw("no_network"))
			}}, {Callees: []string{"*.setFeature"}, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				return a != nil && (strings.HasSuffix(a.Name, "feature_external_ges") || strings.HasSuffix(a.Name, "feature_external_pes")) && isTrue(c, call.arg(1))
			}}},
		},
		{
			ID: "py-insecure-deserialization", Title: "Untrusted data deserialized with pickle/marshal", Severity: sevHigh, CWE: "CWE-502", Langs: pyOnly,
			Message: "pickle, marshal, shelve, dill and jsonpickle run code while loading. Never load them from a request, a cache or a file others can write; use JSON or a schema-checked format.",
			Calls: []CallPat{{Callees: []string{"pickle.loads", "pickle.load", "cPickle.loads", "cPickle.load", "_pickle.loads", "marshal.loads", "marshal.load", "dill.loads", "dill.load", "jsonpickle.decode", "shelve.open", "pandas.read_pickle", "joblib.load", "numpy.load"}, When: func(c *Ctx, call *Node) bool {
				if call.Name == "numpy.load" {
					return pyKwTrue(c, call, "allow_pickle")
				}
				return nonLiteral(c, call.arg(0))
			}}, {Callees: []string{"torch.load"}, When: func(c *Ctx, call *Node) bool { return isFalse(c, call.kw("weights_only")) }}},
		},
		{
			ID: "py-yaml-unsafe-load", Title: "yaml.load without a safe loader", Severity: sevHigh, CWE: "CWE-502", Langs: pyOnly,
			Message: "yaml.load with the default, full or unsafe loader constructs arbitrary Python objects. Use `yaml.safe_load` or `Loader=yaml.SafeLoader`.",
			Calls: []CallPat{{Callees: []string{"yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load"}, When: func(c *Ctx, call *Node) bool {
				if strings.Contains(call.Name, "unsafe") || strings.HasSuffix(call.Name, "full_load") {
					return true
				}
				l := argOrKw(call, 1, "Loader")
				if l == nil {
					return true
				}
				s := lastSeg(l.Name)
				return s != "SafeLoader" && s != "CSafeLoader" && s != "BaseLoader"
			}}},
		},
		{
			ID: "py-redos", Title: "Regular expression built from untrusted input", Severity: sevMedium, CWE: "CWE-1333", Langs: pyOnly,
			Message: "A pattern from the request can take exponential time (ReDoS) or change what matches. Escape it with `re.escape`, or use a fixed pattern.",
			Calls: []CallPat{{Callees: []string{"re.compile", "re.match", "re.search", "re.fullmatch", "re.findall", "re.sub", "re.split", "re.finditer", "regex.compile"}, When: func(c *Ctx, call *Node) bool {
				return tainted(c, argOrKw(call, 0, "pattern"))
			}}},
		},
		{
			ID: "py-ldap-injection", Title: "LDAP filter built from untrusted input", Severity: sevHigh, CWE: "CWE-90", Langs: pyOnly,
			Message: "Request data goes into an LDAP filter unescaped, so callers can widen the search or bypass a login. Escape with `ldap3.utils.conv.escape_filter_chars` / `ldap.filter.escape_filter_chars`.",
			Calls: []CallPat{{Callees: []string{"*.search_s", "*.search", "*.search_ext_s", "*.search_st"}, When: func(c *Ctx, call *Node) bool {
				f := argOrKw(call, 2, "filterstr")
				if lastSeg(call.Name) == "search" {
					f = argOrKw(call, 1, "search_filter")
				}
				return f != nil && tainted(c, f) && c.Val(f).Dyn
			}}},
		},
		{
			ID: "py-nosql-injection", Title: "MongoDB query from raw request data", Severity: sevHigh, CWE: "CWE-943", Langs: pyOnly,
			Message: "Raw request JSON is used as (part of) a MongoDB filter, so a caller can send operators such as `{\"$ne\": null}` to bypass checks, or `$where` code. Convert values to the expected type (`str(...)`) and build the filter yourself.",
			Calls: []CallPat{{Callees: []string{"*.find", "*.find_one", "*.update_one", "*.update_many", "*.delete_one", "*.delete_many", "*.find_one_and_update", "*.find_one_and_delete", "*.count_documents", "*.aggregate"}, When: func(c *Ctx, call *Node) bool {
				return mongoFilterInjectable(c, call.arg(0))
			}}},
		},
		{
			ID: "py-xpath-injection", Title: "XPath built from untrusted input", Severity: sevHigh, CWE: "CWE-643", Langs: pyOnly,
			Message: "Request data is concatenated into an XPath expression. Use XPath variables: `tree.xpath(\"//user[name=$n]\", n=name)`.",
			Calls: []CallPat{{Callees: []string{"*.xpath", "*.findall", "*.find", "*.iterfind"}, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				return a != nil && tainted(c, a) && c.Val(a).Dyn && (strings.Contains(constText(c, a), "/") || strings.Contains(constText(c, a), "["))
			}}},
		},
		{
			ID: "py-jwt-no-verify", Title: "JWT decoded without verifying the signature", Severity: sevCritical, CWE: "CWE-347", Langs: pyOnly,
			Message: "Signature verification is switched off, so anyone can forge the token's claims. Call `jwt.decode(token, key, algorithms=[\"HS256\"])` with verification on.",
			Calls: []CallPat{{Callees: []string{"jwt.decode", "jose.jwt.decode"}, When: func(c *Ctx, call *Node) bool {
				if isFalse(c, call.kw("verify")) {
					return true
				}
				opts := call.kw("options")
				return isFalse(c, objKey(c, opts, "verify_signature"))
			}}, {Callees: []string{"jose.jwt.get_unverified_claims", "jwt.get_unverified_claims"}}},
		},
		{
			ID: "py-jwt-none-alg", Title: "JWT 'none' algorithm allowed", Severity: sevCritical, CWE: "CWE-327", Langs: pyOnly,
			Message: "The `none` algorithm means tokens carry no signature. Allow only the algorithm you sign with: `algorithms=[\"HS256\"]`.",
			Calls: []CallPat{{Callees: []string{"jwt.decode", "jwt.encode", "jose.jwt.decode", "jose.jwt.encode"}, When: func(c *Ctx, call *Node) bool {
				if strIs(c, call.kw("algorithm"), "none") {
					return true
				}
				if arr := c.Resolve(call.kw("algorithms")); arr != nil && arr.Kind == KArray {
					for _, x := range arr.Args {
						if strIs(c, x, "none") {
							return true
						}
					}
				}
				return false
			}}},
		},
		{
			ID: "py-jwt-no-expiry-check", Title: "JWT expiry or audience not checked", Severity: sevHigh, CWE: "CWE-613", Langs: pyOnly,
			Message: "verify_exp/verify_aud off means expired tokens, or tokens minted for another service, are accepted. Keep the checks on and pass `audience=`.",
			Calls: []CallPat{{Callees: []string{"jwt.decode", "jose.jwt.decode"}, When: func(c *Ctx, call *Node) bool {
				opts := call.kw("options")
				return isFalse(c, objKey(c, opts, "verify_exp")) || isFalse(c, objKey(c, opts, "verify_aud")) || isFalse(c, objKey(c, opts, "require_exp"))
			}}},
		},
		{
			ID: "py-jwt-hardcoded-secret", Title: "JWT signed or verified with a hard-coded key", Severity: sevHigh, CWE: "CWE-798", Langs: pyOnly, Secret: true,
			Message: "The JWT key is in the source, so anyone with the code can mint tokens. Read it from the environment or a secret manager.",
			Calls: []CallPat{{Callees: []string{"jwt.encode", "jwt.decode", "jose.jwt.encode", "jose.jwt.decode"}, When: func(c *Ctx, call *Node) bool {
				return hardcoded(c, argOrKw(call, 1, "key"))
			}}},
		},
		{
			ID: "py-hardcoded-secret-key", Title: "Flask/Django secret key hard-coded", Severity: sevHigh, CWE: "CWE-798", Langs: pyOnly, Secret: true,
			Message: "The framework's SECRET_KEY signs sessions and tokens; in the source it lets anyone forge them. Load it from the environment (`os.environ[\"SECRET_KEY\"]`).",
			Assigns: []AssignPat{{Targets: []string{"*.secret_key", "SECRET_KEY", "*.SECRET_KEY", "JWT_SECRET_KEY", "*.JWT_SECRET_KEY"}, When: func(c *Ctx, t, v *Node) bool {
				s, ok := strLit(c, v)
				// A placeholder ("change-me") is still the key that ships when
				// nobody changes it, as the Go and JS rules already count it.
				return ok && len(s) >= 4 || (v != nil && v.Kind == KLogic && hardcoded(c, v))
			}}},
			Calls: []CallPat{{Callees: []string{"*.config.update", "*.update"}, When: func(c *Ctx, call *Node) bool {
				for i, k := range call.Keys {
					if k == "SECRET_KEY" || k == "JWT_SECRET_KEY" {
						if s, ok := strLit(c, call.Vals[i]); ok && len(s) >= 4 {
							return true
						}
					}
				}
				return false
			}}},
		},
		{
			ID: "py-password-compare", Title: "Secret compared in non-constant time", Severity: sevMedium, CWE: "CWE-208", Langs: pyOnly,
			Message: "`==` on passwords, tokens or signatures leaks timing. Verify passwords with a password hasher (`check_password_hash`, `bcrypt.checkpw`), and compare tokens with `hmac.compare_digest`.",
			Compare: secretCompare,
		},
		{
			ID: "py-weak-password-hash", Title: "Password hashed with a fast hash", Severity: sevHigh, CWE: "CWE-916", Langs: pyOnly,
			Message: "MD5/SHA-1/SHA-256 are too fast for passwords. Use `werkzeug.security.generate_password_hash`, bcrypt, scrypt or argon2.",
			Calls: []CallPat{{Callees: []string{"hashlib.md5", "hashlib.sha1", "hashlib.sha256", "hashlib.sha512", "hashlib.new", "md5", "sha1"}, When: func(c *Ctx, call *Node) bool {
				for _, a := range call.Args {
					if mentionsName(a, passwordName) {
						return true
					}
				}
				return false
			}}},
		},
		{
			ID: "py-weak-cipher", Title: "Broken cipher (DES, 3DES, RC4, Blowfish)", Severity: sevHigh, CWE: "CWE-327", Langs: pyOnly,
			Message: "DES, 3DES, RC4 and Blowfish are broken or too weak. Use AES-GCM (`cryptography.hazmat.primitives.ciphers.aead.AESGCM`) or ChaCha20-Poly1305.",
			Calls: []CallPat{{Callees: []string{"Crypto.Cipher.DES.new", "Crypto.Cipher.DES3.new", "Crypto.Cipher.ARC4.new", "Crypto.Cipher.Blowfish.new", "Cryptodome.Cipher.DES.new", "Cryptodome.Cipher.ARC4.new", "DES.new", "DES3.new", "ARC4.new", "Blowfish.new",
				"*.algorithms.TripleDES", "*.algorithms.ARC4", "*.algorithms.Blowfish", "algorithms.TripleDES", "algorithms.ARC4", "algorithms.Blowfish", "*.decrepit.ciphers.algorithms.TripleDES"}}},
		},
		{
			ID: "py-ecb-mode", Title: "Block cipher in ECB mode", Severity: sevHigh, CWE: "CWE-327", Langs: pyOnly,
			Message: "ECB encrypts equal blocks to equal ciphertext, leaking patterns. Use an authenticated mode such as GCM.",
			Calls: []CallPat{{Callees: []string{"*.modes.ECB", "modes.ECB", "*.AES.new", "AES.new"}, When: func(c *Ctx, call *Node) bool {
				if lastSeg(call.Name) == "ECB" {
					return true
				}
				m := argOrKw(call, 1, "mode")
				return m != nil && strings.HasSuffix(m.Name, "MODE_ECB")
			}}},
		},
		{
			ID: "py-static-iv", Title: "Constant IV or nonce", Severity: sevHigh, CWE: "CWE-329", Langs: pyOnly,
			Message: "A constant IV/nonce makes equal plaintexts encrypt equally and breaks GCM/CTR entirely. Use `os.urandom(16)` (or `secrets.token_bytes`) per message and store it with the ciphertext.",
			Calls: []CallPat{{Callees: []string{"*.modes.CBC", "modes.CBC", "*.modes.CTR", "modes.CTR", "*.modes.GCM", "modes.GCM", "*.modes.CFB", "modes.CFB", "*.modes.OFB", "modes.OFB"}, When: func(c *Ctx, call *Node) bool {
				return constBytes(c, call.arg(0))
			}}, {Callees: []string{"*.AES.new", "AES.new"}, When: func(c *Ctx, call *Node) bool {
				for _, k := range []string{"iv", "nonce", "IV"} {
					if constBytes(c, call.kw(k)) {
						return true
					}
				}
				return constBytes(c, call.arg(2))
			}}, {Callees: []string{"*.encrypt"}, When: func(c *Ctx, call *Node) bool {
				r := c.Resolve(receiver(call))
				aead := r != nil && r.Kind == KCall && (lastSeg(r.Name) == "AESGCM" || lastSeg(r.Name) == "ChaCha20Poly1305")
				return aead && constBytes(c, call.arg(0))
			}}},
		},
		{
			ID: "py-insecure-random", Title: "random module used for a secret value", Severity: sevHigh, CWE: "CWE-338", Langs: pyOnly,
			Message: "The random module is predictable; tokens, passwords, OTPs and session ids made with it can be guessed. Use the secrets module (`secrets.token_urlsafe()`, `secrets.choice`).",
			Calls:   []CallPat{{Callees: []string{"random.random", "random.randint", "random.choice", "random.choices", "random.getrandbits", "random.randrange", "random.sample", "random.uniform"}, When: func(c *Ctx, call *Node) bool { return tokenish(c) }}},
		},
		{
			ID: "py-weak-rsa-key", Title: "RSA/DSA key shorter than 2048 bits", Severity: sevHigh, CWE: "CWE-326", Langs: pyOnly,
			Message: "Keys under 2048 bits can be broken. Use `key_size=3072` (at least 2048), or Ed25519.",
			Calls: []CallPat{{Callees: []string{"*.rsa.generate_private_key", "rsa.generate_private_key", "*.dsa.generate_private_key", "dsa.generate_private_key", "Crypto.PublicKey.RSA.generate", "RSA.generate", "Cryptodome.PublicKey.RSA.generate"}, When: func(c *Ctx, call *Node) bool {
				k := call.kw("key_size")
				if k == nil {
					k = call.kw("bits")
				}
				if k == nil {
					if strings.Contains(call.Name, "generate_private_key") {
						k = call.arg(1)
					} else {
						k = call.arg(0)
					}
				}
				n, ok := numLit(c, k)
				return ok && n < 2048
			}}},
		},
		{
			ID: "py-tls-verify-disabled", Title: "TLS certificate verification disabled", Severity: sevHigh, CWE: "CWE-295", Langs: pyOnly,
			Message: "verify=False / CERT_NONE accepts any certificate, so traffic can be read and changed in transit. Keep verification on; point `verify=` at your CA bundle for private CAs.",
			Calls: []CallPat{{Callees: append([]string{"httpx.Client", "httpx.AsyncClient", "httpx.get", "httpx.post", "*.get", "*.post", "*.put", "*.patch", "*.delete", "*.request"}, pyRequestsVerbs...), When: func(c *Ctx, call *Node) bool {
				return isFalse(c, call.kw("verify"))
			}}, {Callees: []string{"ssl._create_unverified_context"}}},
			Assigns: []AssignPat{{Targets: []string{"*.verify_mode"}, When: func(c *Ctx, t, v *Node) bool { return v != nil && strings.HasSuffix(v.Name, "CERT_NONE") }},
				{Targets: []string{"*.check_hostname"}, When: func(c *Ctx, t, v *Node) bool { return isFalse(c, v) }},
				{Targets: []string{"*.verify"}, When: func(c *Ctx, t, v *Node) bool { return isFalse(c, v) }}},
		},
		{
			ID: "py-tls-old-version", Title: "SSL/TLS 1.0/1.1 protocol selected", Severity: sevMedium, CWE: "CWE-326", Langs: pyOnly,
			Message: "SSLv3, TLS 1.0 and 1.1 are deprecated and weak. Use `ssl.create_default_context()` and `minimum_version = ssl.TLSVersion.TLSv1_2`.",
			Calls: []CallPat{{Callees: []string{"ssl.SSLContext", "ssl.wrap_socket"}, When: func(c *Ctx, call *Node) bool {
				return oldPyTLS(argOrKw(call, 0, "protocol")) || oldPyTLS(call.kw("ssl_version"))
			}}},
			Assigns: []AssignPat{{Targets: []string{"*.minimum_version"}, When: func(c *Ctx, t, v *Node) bool { return oldPyTLS(v) }}},
		},
		{
			ID: "py-requests-no-timeout", Title: "Outbound HTTP call without a timeout", Severity: sevMedium, CWE: "CWE-400", Langs: pyOnly,
			Message: "requests waits forever by default; a slow or hostile server ties up the worker. Pass `timeout=(3.05, 10)` on every call.",
			Calls: []CallPat{{Callees: pyRequestsVerbs, When: func(c *Ctx, call *Node) bool {
				if call.kw("timeout") != nil {
					return false
				}
				for _, a := range call.Args {
					if a.Kind == KSpread {
						return false
					}
				}
				return true
			}}},
		},
		{
			ID: "py-flask-debug", Title: "Flask debug mode on", Severity: sevHigh, CWE: "CWE-489", Langs: pyOnly,
			Message: "The Werkzeug debugger lets anyone who reaches it run code on the server. Never enable debug outside local development; read it from the environment.",
			Calls:   []CallPat{{Callees: []string{"*.run"}, When: func(c *Ctx, call *Node) bool { return pyKwTrue(c, call, "debug") && c.Unit().HasImport("flask") }}},
			Assigns: []AssignPat{{Targets: []string{"*.debug", "*.config.DEBUG"}, When: func(c *Ctx, t, v *Node) bool { return isTrue(c, v) && c.Unit().HasImport("flask") }}},
		},
		{
			ID: "py-django-debug", Title: "Django DEBUG = True in settings", Severity: sevHigh, CWE: "CWE-489", Langs: pyOnly,
			Message: "With DEBUG on, error pages show settings, source and SQL to anyone. Set `DEBUG = os.environ.get(\"DJANGO_DEBUG\") == \"1\"` and keep it off in production.",
			Assigns: []AssignPat{{Targets: []string{"DEBUG"}, When: func(c *Ctx, t, v *Node) bool {
				return isTrue(c, v) && c.FuncName() == "" && strings.Contains(strings.ToLower(c.Path()), "settings")
			}}},
		},
		{
			ID: "py-cors-wildcard-credentials", Title: "CORS allows any origin with credentials", Severity: sevHigh, CWE: "CWE-942", Langs: pyOnly,
			Message: "Any origin with credentials lets every web site make authenticated requests and read the answers. List the trusted origins explicitly.",
			Calls: []CallPat{{Callees: []string{"flask_cors.CORS", "CORS", "*.add_middleware", "CORSMiddleware", "fastapi.middleware.cors.CORSMiddleware"}, When: func(c *Ctx, call *Node) bool {
				if !pyKwTrue(c, call, "supports_credentials") && !pyKwTrue(c, call, "allow_credentials") {
					return false
				}
				for _, k := range []string{"origins", "allow_origins", "resources"} {
					v := c.Resolve(call.kw(k))
					if v == nil {
						continue
					}
					if strIs(c, v, "*") {
						return true
					}
					if v.Kind == KArray {
						for _, x := range v.Args {
							if strIs(c, x, "*") {
								return true
							}
						}
					}
				}
				if call.kw("allow_origin_regex") != nil && strIs(c, call.kw("allow_origin_regex"), ".*") {
					return true
				}
				return (call.Name == "flask_cors.CORS" || call.Name == "CORS") && call.kw("origins") == nil && call.kw("resources") == nil
			}}},
			File: func(c *Ctx) []*Node {
				var all, creds *Node
				for _, s := range c.Unit().Top {
					if s.Kind != SAssign || len(s.Lhs) != 1 || len(s.Rhs) != 1 || s.Lhs[0] == nil {
						continue
					}
					switch s.Lhs[0].Name {
					case "CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL":
						if s.Rhs[0].Kind == KBool && s.Rhs[0].Str == "true" {
							all = s.Lhs[0]
						}
					case "CORS_ALLOW_CREDENTIALS":
						if s.Rhs[0].Kind == KBool && s.Rhs[0].Str == "true" {
							creds = s.Lhs[0]
						}
					}
				}
				if all != nil && creds != nil {
					return []*Node{all}
				}
				return nil
			},
		},
		{
			ID: "py-cookie-insecure", Title: "Cookie without Secure, HttpOnly or SameSite", Severity: sevMedium, CWE: "CWE-614", Langs: pyOnly,
			Message: "Without HttpOnly, injected script can read the cookie; without Secure it travels over HTTP. Use `set_cookie(..., secure=True, httponly=True, samesite=\"Lax\")`.",
			Calls: []CallPat{{Callees: []string{"*.set_cookie"}, When: func(c *Ctx, call *Node) bool {
				return !pyKwTrue(c, call, "secure") || !pyKwTrue(c, call, "httponly")
			}}},
			Assigns: []AssignPat{{Targets: []string{"SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "*.SESSION_COOKIE_SECURE", "*.SESSION_COOKIE_HTTPONLY"}, When: func(c *Ctx, t, v *Node) bool { return isFalse(c, v) }}},
		},
		{
			ID: "py-log-sensitive", Title: "Secret or whole request written to a log", Severity: sevMedium, CWE: "CWE-532", Langs: pyOnly,
			Message: "A password, token, key or whole request is logged or printed; logs are widely readable. Log an id or a redacted form instead.",
			Calls: []CallPat{{Callees: []string{"logging.info", "logging.debug", "logging.warning", "logging.error", "logging.critical", "logging.exception", "*.info", "*.debug", "*.warning", "*.warn", "*.error", "*.critical", "*.exception", "print"}, When: func(c *Ctx, call *Node) bool {
				if call.Name != "print" && !strings.HasPrefix(call.Name, "logging.") && !strings.Contains(strings.ToLower(call.Name), "log") {
					return false
				}
				return logsSensitive(c, call)
			}}},
		},
		{
			ID: "py-world-writable", Title: "File or directory made world-writable", Severity: sevMedium, CWE: "CWE-732", Langs: pyOnly,
			Message: "The mode lets every local user write the file. Use 0o600/0o644 for files and 0o700/0o755 for directories.",
			Calls: []CallPat{{Callees: []string{"os.chmod", "os.fchmod", "os.lchmod"}, When: func(c *Ctx, call *Node) bool { return pyWorldWritable(c, argOrKw(call, 1, "mode")) }},
				{Callees: []string{"os.makedirs", "os.mkdir"}, When: func(c *Ctx, call *Node) bool { return pyWorldWritable(c, argOrKw(call, 1, "mode")) }},
				{Callees: []string{"os.open"}, When: func(c *Ctx, call *Node) bool { return pyWorldWritable(c, argOrKw(call, 2, "mode")) }},
				{Callees: []string{"*.chmod"}, When: func(c *Ctx, call *Node) bool {
					return call.Name != "os.chmod" && len(call.Args) == 1 && pyWorldWritable(c, call.arg(0))
				}}},
		},
		{
			ID: "py-tempfile-race", Title: "Insecure temporary file", Severity: sevMedium, CWE: "CWE-377", Langs: pyOnly,
			Message: "tempfile.mktemp and fixed names under /tmp can be raced by another user (symlink attacks). Use `tempfile.NamedTemporaryFile` / `mkstemp` / `TemporaryDirectory`.",
			Calls: []CallPat{{Callees: []string{"tempfile.mktemp", "mktemp"}}, {Callees: []string{"open"}, When: func(c *Ctx, call *Node) bool {
				mode, _ := strLit(c, argOrKw(call, 1, "mode"))
				return strings.ContainsAny(mode, "wa") && predictableTemp(c, call.arg(0))
			}}},
		},
		{
			ID: "py-public-bucket-acl", Title: "Cloud storage object or bucket made public", Severity: sevHigh, CWE: "CWE-732", Langs: pyOnly,
			Message: "A public-read ACL exposes the object to the whole internet. Keep buckets private and hand out presigned URLs (`generate_presigned_url`).",
			Calls: []CallPat{{Callees: []string{"*.put_object", "*.put_bucket_acl", "*.put_object_acl", "*.create_bucket", "*.copy_object", "*.upload_file", "*.upload_fileobj"}, When: func(c *Ctx, call *Node) bool {
				if publicACL(c, call.kw("ACL")) {
					return true
				}
				return publicACL(c, objKey(c, call.kw("ExtraArgs"), "ACL"))
			}}, {Callees: []string{"*.make_public"}, When: func(c *Ctx, call *Node) bool { return c.Unit().HasImport("google.cloud") }}},
		},
		{
			ID: "py-pydantic-extra-allow", Title: "Pydantic model accepts extra fields", Severity: sevLow, CWE: "CWE-915", Langs: pyOnly,
			Message: "extra=\"allow\" keeps any field the client sends, which flows on into models and databases (mass assignment). Use the default \"ignore\" or \"forbid\".",
			Calls:   []CallPat{{Callees: []string{"pydantic.ConfigDict", "ConfigDict"}, When: func(c *Ctx, call *Node) bool { return extraAllow(c, call.kw("extra")) }}},
			Assigns: []AssignPat{{Targets: []string{"extra"}, When: func(c *Ctx, t, v *Node) bool { return extraAllow(c, v) }}},
		},
		{
			ID: "py-mass-assignment", Title: "Request body unpacked into a model", Severity: sevMedium, CWE: "CWE-915", Langs: pyOnly,
			Message: "The whole request body is unpacked into a model or set attribute by attribute, so a client can set fields such as is_admin or owner_id. Copy only the allowed fields, or validate with a schema that lists them.",
			Calls: []CallPat{{Callees: []string{"setattr"}, When: func(c *Ctx, call *Node) bool {
				return c.Val(call.arg(1)).Taint && c.Val(call.arg(2)).Taint
			}}, {Callees: []string{"*.update"}, When: func(c *Ctx, call *Node) bool {
				r := receiver(call)
				return r != nil && strings.HasSuffix(r.Name, "__dict__") && c.Val(call.arg(0)).Whole
			}}},
			Objects: []ObjPat{},
			Return:  nil,
			Class:   nil,
			Func: func(f *FuncCtx) []*Node {
				for _, r := range f.fs.calls {
					if r.n.Kind != KCall || len(r.n.Args) == 0 {
						continue
					}
					seg := lastSeg(r.n.Name)
					if seg == "" || !(seg[0] >= 'A' && seg[0] <= 'Z' || seg == "create" || seg == "update" || seg == "objects.create") {
						continue
					}
					for i, a := range r.n.Args {
						if a.Kind == KSpread && i < len(r.vals) && r.vals[i].Whole && r.vals[i].Req {
							return []*Node{r.n}
						}
					}
				}
				return nil
			},
		},
		{
			ID: "py-idor", Title: "Record loaded by a request id without an ownership check", Severity: sevMedium, CWE: "CWE-639", Langs: pyOnly,
			Message: "The view fetches a record by an id from the URL or body and never checks it belongs to the current user or tenant. Filter by owner (`Order.query.filter_by(id=id, user_id=current_user.id)`) or check ownership before returning it.",
			Func:    idorCheck([]string{"get", "get_or_404", "get_object_or_404", "filter_by", "find_one", "first_or_404", "execute", "filter", "find_by_id", "get_by_id"}),
		},
		{
			ID: "py-body-untyped", Title: "FastAPI endpoint takes an untyped body", Severity: sevLow, CWE: "CWE-20", Langs: pyOnly,
			Message: "A body typed as dict/Any (or read with `await request.json()`) skips validation: any field and type is accepted. Declare a Pydantic model for the body.",
			Func: func(f *FuncCtx) []*Node {
				if f.fs.fn == nil || !isRoute(f.fs.fn) {
					return nil
				}
				for _, p := range f.fs.fn.Params {
					t := strings.ReplaceAll(p.Type, " ", "")
					if t == "dict" || t == "Dict" || t == "Any" || strings.HasPrefix(t, "dict[") || strings.HasPrefix(t, "Dict[") {
						return []*Node{{Off: f.fs.fn.Off}}
					}
				}
				return nil
			},
		},
	}
}

func oldPyTLS(n *Node) bool {
	if n == nil {
		return false
	}
	switch lastSeg(n.Name) {
	case "PROTOCOL_SSLv2", "PROTOCOL_SSLv3", "PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1", "TLSv1", "TLSv1_1", "SSLv3":
		return true
	}
	return false
}

func pyWorldWritable(c *Ctx, n *Node) bool {
	if n == nil {
		return false
	}
	if strings.HasSuffix(n.Name, "S_IWOTH") || strings.HasSuffix(n.Name, "S_IRWXO") {
		return true
	}
	if n.Kind == KOther {
		for _, a := range n.Args {
			if pyWorldWritable(c, a) {
				return true
			}
		}
	}
	return worldWritable(c, n)
}

func publicACL(c *Ctx, n *Node) bool {
	return strIs(c, n, "public-read", "public-read-write", "authenticated-read", "publicRead")
}

func extraAllow(c *Ctx, n *Node) bool {
	if n == nil {
		return false
	}
	return strIs(c, n, "allow") || strings.HasSuffix(n.Name, "Extra.allow")
}

// mongoFilterInjectable: a filter that is raw request data, or a dict with
// a raw request value (an object can carry operators), or a $where string.
func mongoFilterInjectable(c *Ctx, f *Node) bool {
	if f == nil {
		return false
	}
	v := c.Val(f)
	if v.Raw && v.Req && v.Taint {
		return true
	}
	o := c.Resolve(f)
	if o == nil || o.Kind != KObject {
		return false
	}
	for i, k := range o.Keys {
		val := o.Vals[i]
		if k == "$where" && dynamic(c, val) {
			return true
		}
		vv := c.Val(val)
		if vv.Raw && vv.Req && vv.Taint {
			return true
		}
	}
	return false
}
