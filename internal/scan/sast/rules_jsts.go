package sast

import (
	"strings"
)

var jsLangs = []Lang{LangJavaScript, LangTypeScript}

var jsSQLCallees = []string{"*.query", "*.execute", "*.raw", "*.whereRaw", "*.orWhereRaw", "*.havingRaw", "*.orderByRaw", "*.joinRaw", "*.selectRaw",
	"*.$queryRawUnsafe", "*.$executeRawUnsafe", "*.unsafe", "*.exec", "*.all", "*.run", "*.prepare", "*.each"}

func jsFirstArgSQL(c *Ctx, call *Node) bool {
	a := call.arg(0)
	if a == nil {
		return false
	}
	seg := lastSeg(call.Name)
	if seg == "$queryRawUnsafe" || seg == "$executeRawUnsafe" || seg == "unsafe" {
		return dynamic(c, a)
	}
	if strings.HasSuffix(seg, "Raw") {
		return dynamic(c, a)
	}
	if seg == "exec" && (strings.HasPrefix(call.Name, "child_process") || receiverIsRegex(c, call)) {
		return false
	}
	if looksSQL(c, a) {
		return dynamic(c, a)
	}
	if seg == "query" || seg == "raw" {
		return tainted(c, a) && c.Val(a).Dyn
	}
	return false
}

func receiverIsRegex(c *Ctx, call *Node) bool {
	r := c.Resolve(receiver(call))
	return r != nil && (r.Kind == KStr || r.Kind == KCall && r.Name == "RegExp")
}

// jsWhole: the whole request body / query, or a spread of it.
func jsWhole(c *Ctx, n *Node) bool {
	if n == nil {
		return false
	}
	v := c.Val(n)
	if v.Whole && v.Req {
		return true
	}
	o := c.Resolve(n)
	if o != nil && o.Kind == KObject {
		for _, a := range o.Args {
			if a.Kind == KSpread && len(a.Args) == 1 {
				if sv := c.Val(a.Args[0]); sv.Whole && sv.Req {
					return true
				}
			}
		}
	}
	return false
}

func jsRules() []*Rule {
	return []*Rule{
		{
			ID: "js-sql-injection", Title: "SQL query built from non-constant strings", Severity: sevHigh, CWE: "CWE-89", Langs: jsLangs,
			Message: "The SQL text is built with a template literal or + from data. Use placeholders (`db.query(\"... WHERE id = $1\", [id])`, knex bindings `whereRaw(\"x = ?\", [v])`, Prisma `$queryRaw` tagged templates) and choose identifiers from an allowlist.",
			Calls:   []CallPat{{Callees: jsSQLCallees, When: jsFirstArgSQL}, {Callees: []string{"*.sequelize.query", "sequelize.query"}, When: jsFirstArgSQL}},
		},
		{
			ID: "js-command-injection", Title: "OS command built from untrusted or dynamic input", Severity: sevCritical, CWE: "CWE-78", Langs: jsLangs,
			Message: "child_process.exec runs a shell on a built string, or a program/argument comes from the request with shell:true. Use `execFile`/`spawn` with an argument array and no shell, and validate values against an allowlist.",
			Calls: []CallPat{{Callees: []string{"child_process.exec", "child_process.execSync", "*.exec", "*.execSync"}, When: func(c *Ctx, call *Node) bool {
				if !strings.HasPrefix(call.Name, "child_process") {
					r := c.Resolve(receiver(call))
					if r == nil || r.Name != "child_process" {
						return false
					}
				}
				return dynamic(c, call.arg(0))
			}}, {Callees: []string{"child_process.spawn", "child_process.spawnSync", "child_process.execFile", "child_process.execFileSync", "child_process.fork"}, When: func(c *Ctx, call *Node) bool {
				if tainted(c, call.arg(0)) {
					return true
				}
				opts := call.arg(2)
				if opts == nil {
					opts = call.arg(1)
				}
				if isTrue(c, objKey(c, opts, "shell")) {
					if arr := c.Resolve(call.arg(1)); arr != nil && arr.Kind == KArray {
						for _, x := range arr.Args {
							if tainted(c, x) {
								return true
							}
						}
					}
				}
				return false
			}}, {Callees: []string{"shelljs.exec", "execa.command", "execa.execaCommand"}, When: func(c *Ctx, call *Node) bool { return dynamic(c, call.arg(0)) }}},
		},
		{
			ID: "js-code-injection", Title: "Dynamic code evaluation", Severity: sevCritical, CWE: "CWE-95", Langs: jsLangs,
			Message: "eval, new Function, vm.run* and string timers run whatever code they get. Parse data with JSON.parse, map allowed operations explicitly, and never evaluate request data (vm is not a sandbox).",
			Calls: []CallPat{{Callees: []string{"eval", "window.eval", "globalThis.eval"}, When: func(c *Ctx, call *Node) bool { return nonLiteral(c, call.arg(0)) }},
				{Callees: []string{"Function"}, When: func(c *Ctx, call *Node) bool {
					for _, a := range call.Args {
						if dynamic(c, a) || tainted(c, a) {
							return true
						}
					}
					return false
				}},
				{Callees: []string{"vm.runInNewContext", "vm.runInThisContext", "vm.runInContext", "vm.Script", "vm.compileFunction", "*.runInNewContext", "vm2.VM.run"}, When: func(c *Ctx, call *Node) bool { return nonLiteral(c, call.arg(0)) }},
				{Callees: []string{"setTimeout", "setInterval"}, When: func(c *Ctx, call *Node) bool {
					a := call.arg(0)
					return a != nil && (a.Kind == KBuild || a.Kind == KStr && false || c.Val(a).Dyn)
				}}},
		},
		{
			ID: "js-ssti", Title: "Template compiled from untrusted input", Severity: sevCritical, CWE: "CWE-1336", Langs: jsLangs,
			Message: "The template source comes from the request; template engines compile it to code, so callers can run code on the server. Compile fixed templates and pass user data as variables.",
			Calls: []CallPat{{Callees: []string{"ejs.render", "ejs.compile", "pug.compile", "pug.render", "handlebars.compile", "Handlebars.compile", "lodash.template", "_.template", "nunjucks.renderString", "mustache.render", "doT.template", "*.renderString"}, When: func(c *Ctx, call *Node) bool {
				return tainted(c, call.arg(0))
			}}},
		},
		{
			ID: "js-path-traversal", Title: "File path from untrusted input", Severity: sevHigh, CWE: "CWE-22", Langs: jsLangs,
			Message: "A file is read, written, deleted or sent at a path from the request. Use `path.basename`, or resolve under a base directory and check `resolved.startsWith(base + path.sep)`; with Express use `res.sendFile(name, { root })`.",
			Calls: []CallPat{{Callees: []string{"fs.readFile", "fs.readFileSync", "fs.writeFile", "fs.writeFileSync", "fs.createReadStream", "fs.createWriteStream", "fs.unlink", "fs.unlinkSync", "fs.rm", "fs.rmSync", "fs.appendFile", "fs.appendFileSync", "fs.readdir", "fs.readdirSync", "fs.promises.readFile", "fs.promises.writeFile", "fs/promises.readFile", "fs/promises.writeFile", "fs/promises.unlink", "fs/promises.rm", "fs.existsSync", "fs.stat", "fs.statSync", "fs.open", "fs.openSync", "fs.mkdirSync"},
				When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(0)) }},
				{Callees: []string{"*.sendFile", "*.download"}, When: func(c *Ctx, call *Node) bool {
					if objKey(c, call.arg(1), "root") != nil {
						return false
					}
					return tainted(c, call.arg(0))
				}}},
		},
		{
			ID: "js-ssrf", Title: "Outbound request to a URL from untrusted input", Severity: sevHigh, CWE: "CWE-918", Langs: jsLangs,
			Message: "The server fetches a URL from the request, so callers can reach internal services and cloud metadata (169.254.169.254). Parse the URL and check protocol and host against an allowlist; block private addresses.",
			Calls: []CallPat{{Callees: []string{"fetch", "axios.get", "axios.post", "axios.put", "axios.delete", "axios.patch", "axios.head", "axios", "got", "got.get", "got.post", "node-fetch", "needle", "superagent.get", "request", "http.get", "https.get", "http.request", "https.request", "undici.request", "undici.fetch", "ky", "ky.get"},
				When: func(c *Ctx, call *Node) bool {
					a := call.arg(0)
					if a == nil {
						return false
					}
					if call.Name == "fetch" && !c.InHandler() {
						return false
					}
					if isObj(c, a) {
						return tainted(c, objKey(c, a, "url")) || tainted(c, objKey(c, a, "host")) || tainted(c, objKey(c, a, "hostname"))
					}
					return tainted(c, a) && !relativeURL(c, a)
				}}},
		},
		{
			ID: "js-open-redirect", Title: "Redirect to a URL from untrusted input", Severity: sevMedium, CWE: "CWE-601", Langs: jsLangs,
			Message: "The response redirects to a location from the request, so links on your domain can lead to phishing pages. Redirect only to relative paths you check (start with a single `/`) or an allowlist of hosts.",
			Calls: []CallPat{{Callees: []string{"*.redirect", "redirect", "next/navigation.redirect", "NextResponse.redirect", "next/server.NextResponse.redirect", "Response.redirect"}, When: func(c *Ctx, call *Node) bool {
				a := call.Args
				if len(a) == 0 {
					return false
				}
				target := a[len(a)-1]
				if len(a) == 2 && a[0].Kind == KNum {
					target = a[1]
				} else if len(a) >= 1 && call.Name != "redirect" && lastSeg(call.Name) == "redirect" && len(a) == 2 && a[1].Kind == KNum {
					target = a[0]
				}
				r := c.Resolve(target)
				if r != nil && r.Kind == KCall && r.New && lastSeg(r.Name) == "URL" {
					// new URL(path, base): a relative path keeps the base's origin.
					if len(r.Args) == 2 && c.Val(r.Args[1]).Const {
						return tainted(c, r.Args[0]) && !relativeURL(c, r.Args[0])
					}
					target = r.arg(0)
				}
				return tainted(c, target) && !relativeURL(c, target)
			}}},
			Assigns: []AssignPat{{Targets: []string{"window.location", "location.href", "window.location.href", "document.location", "location"}, When: func(c *Ctx, t, v *Node) bool {
				return v != nil && c.Val(v).Taint && c.Val(v).Src == srcBrowser
			}}},
		},
		{
			ID: "js-xss-innerhtml", Title: "Dynamic HTML written with innerHTML", Severity: sevHigh, CWE: "CWE-79", Langs: jsLangs,
			Message: "innerHTML/outerHTML/insertAdjacentHTML parse the string as HTML, so data in it can run script. Use textContent, build elements with createElement, or sanitize with DOMPurify.sanitize.",
			Assigns: []AssignPat{{Targets: []string{"*.innerHTML", "*.outerHTML"}, When: func(c *Ctx, t, v *Node) bool {
				return v != nil && nonLiteral(c, v)
			}}},
			Calls: []CallPat{{Callees: []string{"*.insertAdjacentHTML"}, When: func(c *Ctx, call *Node) bool { return nonLiteral(c, call.arg(1)) }},
				{Callees: []string{"*.html", "*.append", "*.prepend", "*.after", "*.before"}, When: func(c *Ctx, call *Node) bool {
					r := receiver(call)
					return r != nil && r.Kind == KCall && (r.Name == "$" || r.Name == "jQuery") && len(call.Args) == 1 && tainted(c, call.arg(0))
				}}},
		},
		{
			ID: "js-xss-dangerously-set", Title: "dangerouslySetInnerHTML with unsanitized data", Severity: sevHigh, CWE: "CWE-79", Langs: jsLangs,
			Message: "dangerouslySetInnerHTML bypasses React's escaping. Render the text as children, or sanitize with `DOMPurify.sanitize(html)` first.",
			Objects: []ObjPat{{Key: "dangerouslySetInnerHTML", When: func(c *Ctx, o *Node) bool {
				v := c.Resolve(o.kw("dangerouslySetInnerHTML"))
				if v == nil {
					return false
				}
				h := objKey(c, v, "__html")
				if h == nil {
					return v.Kind != KObject
				}
				return nonLiteral(c, h)
			}}},
		},
		{
			ID: "js-document-write", Title: "document.write with dynamic content", Severity: sevMedium, CWE: "CWE-79", Langs: jsLangs,
			Message: "document.write parses its argument as HTML. Build DOM nodes and set textContent instead.",
			Calls:   []CallPat{{Callees: []string{"document.write", "document.writeln"}, When: func(c *Ctx, call *Node) bool { return nonLiteral(c, call.arg(0)) }}},
		},
		{
			ID: "js-xss-response", Title: "Request data sent back inside HTML", Severity: sevMedium, CWE: "CWE-79", Langs: jsLangs,
			Message: "The handler writes request data into an HTML response without escaping. Render through a template engine that escapes, or escape the value (e.g. `escape-html`).",
			Calls: []CallPat{{Callees: []string{"*.send", "*.write", "*.end"}, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				return c.InHandler() && a != nil && htmlish(c, a) && tainted(c, a)
			}}},
		},
		{
			ID: "js-xxe", Title: "XML parser with external entities enabled", Severity: sevHigh, CWE: "CWE-611", Langs: jsLangs,
			Message: "noent:true expands external entities, letting a document read local files or reach internal hosts. Parse with noent false (the default) or use a parser without DTD support.",
			Calls: []CallPat{{Callees: []string{"libxmljs.parseXml", "libxmljs.parseXmlString", "libxmljs2.parseXml", "*.parseXml", "*.parseXmlString"}, When: func(c *Ctx, call *Node) bool {
				return isTrue(c, objKey(c, call.arg(1), "noent"))
			}}},
		},
		{
			ID: "js-insecure-deserialization", Title: "Untrusted data deserialized into code", Severity: sevCritical, CWE: "CWE-502", Langs: jsLangs,
			Message: "node-serialize, funcster and serialize-to-js revive functions, so loading attacker data runs code. Use JSON.parse with a schema.",
			Calls: []CallPat{{Callees: []string{"node-serialize.unserialize", "serialize.unserialize", "funcster.deepDeserialize", "serialize-to-js.deserialize", "*.unserialize"}, When: func(c *Ctx, call *Node) bool {
				if !strings.HasPrefix(call.Name, "node-serialize") && !c.Unit().HasImport("node-serialize", "funcster", "serialize-to-js") {
					return false
				}
				return nonLiteral(c, call.arg(0))
			}}, {Callees: []string{"js-yaml.load"}, When: func(c *Ctx, call *Node) bool {
				s := objKey(c, call.arg(1), "schema")
				return s != nil && strings.Contains(s.Name, "DEFAULT_FULL_SCHEMA")
			}}},
		},
		{
			ID: "js-redos", Title: "Regular expression built from untrusted input", Severity: sevMedium, CWE: "CWE-1333", Langs: jsLangs,
			Message: "A pattern from the request can backtrack exponentially and block the event loop (ReDoS). Escape it (`escapeRegExp`/`_.escapeRegExp`) or match with string methods.",
			Calls:   []CallPat{{Callees: []string{"RegExp"}, When: func(c *Ctx, call *Node) bool { return tainted(c, call.arg(0)) }}},
		},
		{
			ID: "js-prototype-pollution", Title: "Prototype pollution through computed keys", Severity: sevHigh, CWE: "CWE-1321", Langs: jsLangs,
			Message: "Keys taken from input can be `__proto__` or `constructor`, so `obj[a][b] = v` or a recursive merge can modify Object.prototype for the whole process. Reject those keys, use `Object.create(null)` or a Map, and use a merge that skips them.",
			Assigns: []AssignPat{{Targets: []string{"[]"}, When: func(c *Ctx, t, v *Node) bool {
				if len(t.Args) < 2 || t.Args[0] == nil || t.Args[0].Kind != KIndex || t.Args[0].Name != "" {
					return false
				}
				return tainted(c, t.Args[1]) || (len(t.Args[0].Args) > 1 && tainted(c, t.Args[0].Args[1]))
			}}},
			Func: func(f *FuncCtx) []*Node {
				// A recursive merge/extend: it calls itself, assigns target[key],
				// iterates keys, and never checks for __proto__.
				fn := f.fs.fn
				if fn == nil || fn.Name == "" {
					return nil
				}
				self := false
				for _, r := range f.fs.calls {
					if r.n.Name == fn.Name {
						self = true
					}
				}
				if !self {
					return nil
				}
				var hitNode *Node
				guard := false
				walkStmts(fn.Body, func(s *Stmt) {
					if s.Kind == SAssign {
						for _, l := range s.Lhs {
							if l != nil && l.Kind == KIndex && l.Name == "" && len(l.Args) == 2 && l.Args[1] != nil && l.Args[1].Kind == KIdent {
								hitNode = l
							}
						}
					}
					for _, x := range []*Node{s.X} {
						walkNodes(x, func(n *Node) bool {
							if n.Kind == KStr && (n.Str == "__proto__" || n.Str == "constructor" || n.Str == "prototype") {
								guard = true
							}
							if n.Kind == KCall && (lastSeg(n.Name) == "hasOwnProperty" || lastSeg(n.Name) == "hasOwn") {
								guard = true
							}
							return true
						})
					}
				})
				if hitNode != nil && !guard {
					return []*Node{hitNode}
				}
				return nil
			},
		},
		{
			ID: "js-nosql-injection", Title: "MongoDB query with raw request values", Severity: sevHigh, CWE: "CWE-943", Langs: jsLangs,
			Message: "A value taken straight from req.body/req.query can be an object such as `{\"$ne\": null}`, turning an equality check into an operator (login bypass). Coerce to the expected type (`String(req.body.user)`), validate with a schema, or use express-mongo-sanitize.",
			Calls: []CallPat{{Callees: []string{"*.find", "*.findOne", "*.findOneAndUpdate", "*.findOneAndDelete", "*.updateOne", "*.updateMany", "*.deleteOne", "*.deleteMany", "*.countDocuments", "*.exists", "*.where"}, When: func(c *Ctx, call *Node) bool {
				return mongoFilterInjectable(c, call.arg(0))
			}}},
		},
		{
			ID: "js-xpath-injection", Title: "XPath built from untrusted input", Severity: sevHigh, CWE: "CWE-643", Langs: jsLangs,
			Message: "Request data is concatenated into an XPath expression. Validate the value strictly or use a library with XPath variables.",
			Calls: []CallPat{{Callees: []string{"xpath.select", "xpath.select1", "xpath.evaluate", "document.evaluate", "*.evaluate"}, When: func(c *Ctx, call *Node) bool {
				a := call.arg(0)
				return a != nil && tainted(c, a) && c.Val(a).Dyn
			}}},
		},
		{
			ID: "js-ldap-injection", Title: "LDAP filter built from untrusted input", Severity: sevHigh, CWE: "CWE-90", Langs: jsLangs,
			Message: "Request data goes into an LDAP filter unescaped. Escape it (ldapjs `ldap.filters` / an escape function) or build filters with the library's filter objects.",
			Calls: []CallPat{{Callees: []string{"*.search"}, When: func(c *Ctx, call *Node) bool {
				f := objKey(c, call.arg(1), "filter")
				return f != nil && tainted(c, f) && c.Val(f).Dyn
			}}},
		},
		{
			ID: "js-jwt-decode-unverified", Title: "JWT decoded without verification", Severity: sevHigh, CWE: "CWE-347", Langs: jsLangs,
			Message: "jwt.decode / jwtDecode read the claims without checking the signature, so anyone can forge them. Use `jwt.verify(token, key, { algorithms: [\"HS256\"] })` on the server.",
			Calls:   []CallPat{{Callees: []string{"jsonwebtoken.decode", "jose.decodeJwt"}, When: func(c *Ctx, call *Node) bool { return c.InHandler() || !c.Unit().HasImport("react", "next") }}},
		},
		{
			ID: "js-jwt-none-alg", Title: "JWT 'none' algorithm allowed", Severity: sevCritical, CWE: "CWE-327", Langs: jsLangs,
			Message: "The `none` algorithm means tokens carry no signature. Pin `algorithms: [\"HS256\"]` (or your asymmetric algorithm).",
			Calls: []CallPat{{Callees: []string{"jsonwebtoken.verify", "jsonwebtoken.sign"}, When: func(c *Ctx, call *Node) bool {
				opts := call.arg(2)
				if strIs(c, objKey(c, opts, "algorithm"), "none") {
					return true
				}
				if arr := c.Resolve(objKey(c, opts, "algorithms")); arr != nil && arr.Kind == KArray {
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
			ID: "js-jwt-ignore-expiration", Title: "JWT expiry not checked", Severity: sevHigh, CWE: "CWE-613", Langs: jsLangs,
			Message: "ignoreExpiration accepts tokens forever, so a leaked token never stops working. Remove it, and set `audience`/`issuer` in the verify options.",
			Calls:   []CallPat{{Callees: []string{"jsonwebtoken.verify"}, When: func(c *Ctx, call *Node) bool { return isTrue(c, objKey(c, call.arg(2), "ignoreExpiration")) }}},
		},
		{
			ID: "js-jwt-hardcoded-secret", Title: "JWT signed or verified with a hard-coded key", Severity: sevHigh, CWE: "CWE-798", Langs: jsLangs, Secret: true,
			Message: "The JWT key is in the source (or is the fallback when the environment variable is missing), so anyone with the code can mint tokens. Read it from the environment and fail at start-up if it is absent.",
			Calls:   []CallPat{{Callees: []string{"jsonwebtoken.sign", "jsonwebtoken.verify"}, When: func(c *Ctx, call *Node) bool { return hardcoded(c, call.arg(1)) }}},
		},
		{
			ID: "js-hardcoded-session-secret", Title: "Session or cookie secret hard-coded", Severity: sevHigh, CWE: "CWE-798", Langs: jsLangs, Secret: true,
			Message: "The session/cookie signing secret is in the source, so sessions can be forged. Load it from the environment.",
			Calls: []CallPat{{Callees: []string{"express-session", "cookie-session", "cookie-parser", "session", "cookieSession", "cookieParser", "iron-session.getIronSession", "getIronSession"}, When: func(c *Ctx, call *Node) bool {
				if hardcoded(c, call.arg(0)) {
					return true
				}
				opts := call.arg(0)
				if call.Name == "getIronSession" || strings.HasSuffix(call.Name, "getIronSession") {
					opts = call.arg(2)
					return hardcoded(c, objKey(c, opts, "password"))
				}
				if hardcoded(c, objKey(c, opts, "secret")) {
					return true
				}
				if arr := c.Resolve(objKey(c, opts, "keys")); arr != nil && arr.Kind == KArray {
					for _, x := range arr.Args {
						if hardcoded(c, x) {
							return true
						}
					}
				}
				return false
			}}},
		},
		{
			ID: "js-password-compare", Title: "Secret compared in non-constant time", Severity: sevMedium, CWE: "CWE-208", Langs: jsLangs,
			Message: "`===` on passwords, tokens or signatures leaks timing. Verify passwords with bcrypt/argon2 (`bcrypt.compare`), and compare tokens with `crypto.timingSafeEqual`.",
			Compare: secretCompare,
		},
		{
			ID: "js-weak-password-hash", Title: "Password hashed with MD5 or SHA", Severity: sevHigh, CWE: "CWE-916", Langs: jsLangs,
			Message: "Fast hashes (MD5, SHA-1, SHA-256) let stolen password hashes be cracked. Use bcrypt, scrypt (`crypto.scrypt`) or argon2.",
			Calls: []CallPat{{Callees: []string{"*.update"}, When: func(c *Ctx, call *Node) bool {
				r := c.Resolve(receiver(call))
				if r == nil || r.Kind != KCall || lastSeg(r.Name) != "createHash" {
					return false
				}
				return mentionsName(call.arg(0), passwordName)
			}}, {Callees: []string{"md5", "sha1", "crypto-js.MD5", "crypto-js.SHA1", "CryptoJS.MD5", "CryptoJS.SHA1", "CryptoJS.SHA256"}, When: func(c *Ctx, call *Node) bool { return mentionsName(call.arg(0), passwordName) }}},
		},
		{
			ID: "js-weak-cipher", Title: "Broken cipher or deprecated createCipher", Severity: sevHigh, CWE: "CWE-327", Langs: jsLangs,
			Message: "DES, 3DES, RC4 and Blowfish are broken; crypto.createCipher derives keys without salt and reuses IVs. Use `createCipheriv(\"aes-256-gcm\", key, randomIV)`.",
			Calls: []CallPat{{Callees: []string{"crypto.createCipher", "crypto.createDecipher"}},
				{Callees: []string{"crypto.createCipheriv", "crypto.createDecipheriv"}, When: func(c *Ctx, call *Node) bool {
					s, ok := strLit(c, call.arg(0))
					s = strings.ToLower(s)
					return ok && (strings.HasPrefix(s, "des") || strings.HasPrefix(s, "rc4") || strings.HasPrefix(s, "bf") || strings.HasPrefix(s, "blowfish") || strings.HasPrefix(s, "rc2"))
				}}},
		},
		{
			ID: "js-ecb-mode", Title: "Block cipher in ECB mode", Severity: sevHigh, CWE: "CWE-327", Langs: jsLangs,
			Message: "ECB encrypts equal blocks equally and leaks patterns. Use AES-GCM with a random IV.",
			Calls: []CallPat{{Callees: []string{"crypto.createCipheriv", "crypto.createDecipheriv"}, When: func(c *Ctx, call *Node) bool {
				s, ok := strLit(c, call.arg(0))
				return ok && strings.HasSuffix(strings.ToLower(s), "-ecb")
			}}},
		},
		{
			ID: "js-static-iv", Title: "Constant IV", Severity: sevHigh, CWE: "CWE-329", Langs: jsLangs,
			Message: "A constant (or all-zero) IV makes equal plaintexts encrypt equally and breaks GCM. Use `crypto.randomBytes(12)` (GCM) or 16 (CBC) per message and store it with the ciphertext.",
			Calls: []CallPat{{Callees: []string{"crypto.createCipheriv"}, When: func(c *Ctx, call *Node) bool {
				iv := c.Resolve(call.arg(2))
				if iv == nil {
					return false
				}
				if iv.Kind == KCall && iv.Name == "Buffer.alloc" && len(iv.Args) >= 1 && c.Val(iv).Const {
					return true
				}
				return constBytes(c, iv)
			}}},
		},
		{
			ID: "js-insecure-random", Title: "Math.random used for a secret value", Severity: sevHigh, CWE: "CWE-338", Langs: jsLangs,
			Message: "Math.random is predictable; tokens, passwords, OTPs and ids made with it can be guessed. Use `crypto.randomBytes`, `crypto.randomUUID()` or `crypto.getRandomValues`.",
			Calls:   []CallPat{{Callees: []string{"Math.random"}, When: func(c *Ctx, call *Node) bool { return tokenish(c) }}},
		},
		{
			ID: "js-weak-rsa-key", Title: "RSA key shorter than 2048 bits", Severity: sevHigh, CWE: "CWE-326", Langs: jsLangs,
			Message: "RSA keys under 2048 bits can be factored. Use `modulusLength: 3072` (at least 2048), or Ed25519.",
			Calls: []CallPat{{Callees: []string{"crypto.generateKeyPairSync", "crypto.generateKeyPair"}, When: func(c *Ctx, call *Node) bool {
				n, ok := numLit(c, objKey(c, call.arg(1), "modulusLength"))
				return ok && n < 2048
			}}},
		},
		{
			ID: "js-tls-reject-unauthorized", Title: "TLS certificate verification disabled", Severity: sevHigh, CWE: "CWE-295", Langs: jsLangs,
			Message: "rejectUnauthorized:false / NODE_TLS_REJECT_UNAUTHORIZED=0 accepts any certificate, so traffic can be read and changed in transit. Keep verification on; pass your private CA with the `ca` option.",
			Objects: []ObjPat{{Key: "rejectUnauthorized", When: func(c *Ctx, o *Node) bool { return isFalse(c, o.kw("rejectUnauthorized")) }}},
			Assigns: []AssignPat{{Targets: []string{"process.env.NODE_TLS_REJECT_UNAUTHORIZED"}, When: func(c *Ctx, t, v *Node) bool { return strIs(c, v, "0") || isLit(c, v, KNum, "0") }},
				{Targets: []string{"*.rejectUnauthorized"}, When: func(c *Ctx, t, v *Node) bool { return isFalse(c, v) }}},
		},
		{
			ID: "js-tls-old-version", Title: "TLS 1.0/1.1 allowed", Severity: sevMedium, CWE: "CWE-326", Langs: jsLangs,
			Message: "TLS 1.0 and 1.1 are deprecated. Use `minVersion: \"TLSv1.2\"` and drop the legacy secureProtocol setting.",
			Objects: []ObjPat{{Key: "minVersion", When: func(c *Ctx, o *Node) bool { return strIs(c, o.kw("minVersion"), "TLSv1", "TLSv1.1") }},
				{Key: "secureProtocol", When: func(c *Ctx, o *Node) bool {
					return strIs(c, o.kw("secureProtocol"), "TLSv1_method", "TLSv1_1_method", "SSLv3_method", "SSLv23_method", "TLSv1_client_method", "TLSv1_server_method")
				}}},
		},
		{
			ID: "js-cors-wildcard-credentials", Title: "CORS reflects any origin with credentials", Severity: sevHigh, CWE: "CWE-942", Langs: jsLangs,
			Message: "origin `*`/`true` (reflect any origin) with credentials lets every web site make authenticated requests and read the answers. List the trusted origins.",
			Calls: []CallPat{{Callees: []string{"cors", "@fastify/cors", "*.enableCors"}, When: func(c *Ctx, call *Node) bool {
				opts := call.arg(0)
				if lastSeg(call.Name) == "enableCors" {
					opts = call.arg(0)
				}
				if !isTrue(c, objKey(c, opts, "credentials")) {
					return false
				}
				o := objKey(c, opts, "origin")
				return o == nil || isTrue(c, o) || strIs(c, o, "*") || alwaysTrueCallback(o)
			}}},
			Func: corsHeaders("setHeader", "header", "set", "append"),
		},
		{
			ID: "js-cookie-insecure", Title: "Cookie without Secure or HttpOnly", Severity: sevMedium, CWE: "CWE-614", Langs: jsLangs,
			Message: "Without httpOnly, injected script can read the cookie; without secure it travels over HTTP. Set `{ httpOnly: true, secure: true, sameSite: \"lax\" }`.",
			Calls: []CallPat{{Callees: []string{"*.cookie"}, When: func(c *Ctx, call *Node) bool {
				if len(call.Args) < 2 || !c.InHandler() {
					return false
				}
				opts := call.arg(2)
				if opts == nil {
					return true
				}
				if !isObj(c, opts) {
					return false
				}
				return !isTrue(c, objKey(c, opts, "httpOnly")) || !isTrue(c, objKey(c, opts, "secure")) && objKey(c, opts, "secure") == nil || isFalse(c, objKey(c, opts, "secure"))
			}}, {Callees: []string{"*.cookies.set", "cookies().set"}, When: func(c *Ctx, call *Node) bool {
				opts := call.arg(2)
				return len(call.Args) >= 2 && (opts == nil || isObj(c, opts) && (!isTrue(c, objKey(c, opts, "httpOnly")) || isFalse(c, objKey(c, opts, "secure"))))
			}}},
			Objects: []ObjPat{{Key: "cookie", When: func(c *Ctx, o *Node) bool {
				ck := c.Resolve(o.kw("cookie"))
				return o.kw("secret") != nil && ck != nil && ck.Kind == KObject && (isFalse(c, ck.kw("secure")) || isFalse(c, ck.kw("httpOnly")))
			}}},
		},
		{
			ID: "js-log-sensitive", Title: "Secret or whole request written to a log", Severity: sevMedium, CWE: "CWE-532", Langs: jsLangs,
			Message: "A password, token, key or whole request (headers, cookies, body) is logged; logs are widely readable. Log an id or a redacted form instead.",
			Calls: []CallPat{{Callees: []string{"console.log", "console.info", "console.debug", "console.warn", "console.error", "*.info", "*.debug", "*.warn", "*.error", "*.log", "*.trace"}, When: func(c *Ctx, call *Node) bool {
				if !strings.HasPrefix(call.Name, "console.") && !strings.Contains(strings.ToLower(call.Name), "log") {
					return false
				}
				return logsSensitive(c, call)
			}}},
		},
		{
			ID: "js-world-writable", Title: "File or directory made world-writable", Severity: sevMedium, CWE: "CWE-732", Langs: jsLangs,
			Message: "The mode lets every local user write the file. Use 0o600/0o644 for files and 0o700/0o755 for directories.",
			Calls: []CallPat{{Callees: []string{"fs.chmod", "fs.chmodSync", "fs.promises.chmod", "fs/promises.chmod"}, When: func(c *Ctx, call *Node) bool { return jsWorldWritable(c, call.arg(1)) }},
				{Callees: []string{"fs.writeFileSync", "fs.writeFile", "fs.mkdirSync", "fs.mkdir", "fs/promises.writeFile", "fs/promises.mkdir"}, When: func(c *Ctx, call *Node) bool {
					for _, a := range call.Args[1:] {
						if jsWorldWritable(c, objKey(c, a, "mode")) {
							return true
						}
					}
					return false
				}}},
		},
		{
			ID: "js-tempfile-race", Title: "Predictable temporary file name", Severity: sevMedium, CWE: "CWE-377", Langs: jsLangs,
			Message: "A fixed name in the shared temp directory can be pre-created or symlinked by another user. Create a private directory with `fs.mkdtemp(path.join(os.tmpdir(), \"app-\"))`.",
			Calls: []CallPat{{Callees: []string{"fs.writeFileSync", "fs.writeFile", "fs.createWriteStream", "fs/promises.writeFile", "fs.openSync"}, When: func(c *Ctx, call *Node) bool {
				return predictableTemp(c, call.arg(0))
			}}},
		},
		{
			ID: "js-public-bucket-acl", Title: "Cloud storage object made public", Severity: sevHigh, CWE: "CWE-732", Langs: jsLangs,
			Message: "A public-read ACL exposes the object to the whole internet. Keep buckets private and hand out signed URLs (`getSignedUrl`).",
			Objects: []ObjPat{{Key: "ACL", When: func(c *Ctx, o *Node) bool { return publicACL(c, o.kw("ACL")) }},
				{Key: "predefinedAcl", When: func(c *Ctx, o *Node) bool { return strIs(c, o.kw("predefinedAcl"), "publicRead", "allUsers") }}},
			Calls: []CallPat{{Callees: []string{"*.makePublic"}}},
		},
		{
			ID: "js-mass-assignment", Title: "Request body passed whole to a model", Severity: sevMedium, CWE: "CWE-915", Langs: jsLangs,
			Message: "The whole request body goes into create/update, so a client can set fields such as role, isAdmin or ownerId. Pick the allowed fields explicitly or validate with a schema (zod `.strict()`, Joi) that lists them.",
			Calls: []CallPat{{Callees: []string{"*.create", "*.update", "*.insert", "*.insertOne", "*.updateOne", "*.findByIdAndUpdate", "*.findOneAndUpdate", "*.upsert", "*.save", "*.build", "*.set", "*.merge", "Object.assign", "*.insertMany", "*.createMany"}, When: func(c *Ctx, call *Node) bool {
				for i, a := range call.Args {
					if call.Name == "Object.assign" && i == 0 {
						continue
					}
					if jsWhole(c, a) {
						return true
					}
					// Prisma: { data: req.body }
					if jsWhole(c, objKey(c, a, "data")) {
						return true
					}
				}
				return false
			}}},
		},
		{
			ID: "js-idor", Title: "Record loaded by a request id without an ownership check", Severity: sevMedium, CWE: "CWE-639", Langs: jsLangs,
			Message: "The handler loads, changes or deletes a record by an id from the request and never checks it belongs to the authenticated user or tenant. Scope the query by owner (`where: { id, userId: req.user.id }`) or check ownership first.",
			Func:    idorCheck([]string{"findById", "findByPk", "findOne", "findUnique", "findFirst", "findByIdAndUpdate", "findByIdAndDelete", "findByIdAndRemove", "delete", "update", "destroy", "query", "get", "findOneBy", "findUniqueOrThrow"}),
		},
		{
			ID: "js-body-no-schema", Title: "Request body used without schema validation", Severity: sevLow, CWE: "CWE-20", Langs: jsLangs,
			Message: "The handler reads req.body (or request.json()) and the file uses no validation library, so any shape and type is accepted. Validate the body with zod, Joi, yup, ajv or class-validator before use.",
			File: func(c *Ctx) []*Node {
				if c.Unit().HasImport("zod", "joi", "yup", "ajv", "class-validator", "express-validator", "celebrate", "@hapi/joi", "superstruct", "valibot", "@sinclair/typebox") {
					return nil
				}
				if len(c.a.bodyReads) > 0 {
					return c.a.bodyReads[:1]
				}
				return nil
			},
		},
	}
}

func relativeURL(c *Ctx, n *Node) bool {
	r := c.Resolve(n)
	if r == nil || r.Kind != KBuild || len(r.Args) == 0 {
		return false
	}
	s, ok := strLit(c, r.Args[0])
	return ok && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
}

func alwaysTrueCallback(n *Node) bool {
	if n == nil || n.Kind != KFunc || n.Fn == nil {
		return false
	}
	found := false
	walkStmts(n.Fn.Body, func(s *Stmt) {
		walkNodes(s.X, func(x *Node) bool {
			if x.Kind == KCall && len(x.Args) == 2 && x.Args[0].Kind == KNull && x.Args[1].Kind == KBool && x.Args[1].Str == "true" {
				found = true
			}
			return true
		})
	})
	return found
}

func jsWorldWritable(c *Ctx, n *Node) bool {
	if n == nil {
		return false
	}
	if s, ok := strLit(c, n); ok {
		if len(s) >= 3 {
			last := s[len(s)-1]
			return last == '2' || last == '3' || last == '6' || last == '7'
		}
		return false
	}
	return worldWritable(c, n)
}

// walkStmts calls f on every statement, depth first, not entering nested functions.
func walkStmts(ss []*Stmt, f func(*Stmt)) {
	for _, s := range ss {
		f(s)
		if s.Kind == SAssign {
			for _, r := range s.Rhs {
				f(&Stmt{Kind: SExpr, X: r})
			}
		}
		walkStmts(s.Body, f)
		walkStmts(s.Else, f)
	}
}
