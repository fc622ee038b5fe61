package sast

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFollowTaintIntoHelpers: a tainted argument to a function or method of
// the same file is followed into it; constant or sanitized arguments, other
// files' functions and recursion are not a problem.
func TestFollowTaintIntoHelpers(t *testing.T) {
	cases := []struct {
		name, path, src string
		want            []string // "rule:line"
	}{
		{"go helper reached from a handler", "a.go", `package a
import "net/http"
var client = &http.Client{Timeout: 5}
func fetch(u string) { client.Get(u) }
func H(w http.ResponseWriter, r *http.Request) { fetch(r.URL.Query().Get("u")) }
`, []string{"go-ssrf:4"}},
		{"go helper called with a constant", "a.go", `package a
import "net/http"
var client = &http.Client{Timeout: 5}
func fetch(u string) { client.Get(u) }
func H(w http.ResponseWriter, r *http.Request) { fetch("https://example.com/feed") }
`, nil},
		{"go helper called after integer parsing", "a.go", `package a
import ("database/sql"; "fmt"; "net/http"; "strconv")
func count(db *sql.DB, n int) { db.Query(fmt.Sprintf("SELECT * FROM t LIMIT %d", n)) }
func H(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	count(nil, n)
}
`, nil},
		{"go method on the receiver, second argument", "a.go", `package a
import "net/http"
type S struct{}
func (s *S) fetch(n int, u string) { http.Get(u) }
func (s *S) H(w http.ResponseWriter, r *http.Request) { s.fetch(10, r.FormValue("u")) }
`, []string{"go-http-client-no-timeout:4", "go-ssrf:4"}},
		{"recursion ends", "a.go", `package a
import ("net/http"; "os/exec")
func walk(p string, n int) { if n > 0 { walk(p, n-1) }; exec.Command("sh", "-c", p).Run() }
func H(w http.ResponseWriter, r *http.Request) { walk(r.FormValue("p"), 3) }
`, []string{"go-command-injection:3"}},
		{"python method through self", "a.py", `import requests
from flask import Flask, request
app = Flask(__name__)
class Feeds:
    def fetch(self, url):
        return requests.get(url, timeout=5).text
feeds = Feeds()
@app.route("/feed")
def feed():
    return feeds.fetch(request.args["url"])
`, []string{"py-ssrf:6"}},
		{"js arrow helper", "a.js", `const fs = require("fs");
const read = (name) => fs.readFileSync("/data/" + name);
app.get("/f", (req, res) => res.send(read(req.query.name)));
`, []string{"js-path-traversal:2"}},
		{"js helper called with a constant", "a.js", `const fs = require("fs");
const read = (name) => fs.readFileSync("/data/" + name);
app.get("/f", (req, res) => res.send(read("index.html")));
`, nil},
	}
	for _, c := range cases {
		fs, err := New().Check(context.Background(), c.path, []byte(c.src))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, f := range fs {
			got = append(got, fmt.Sprintf("%s:%d", f.RuleID, f.StartLine))
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, d)
		}
	}
}

// TestSecretCompareNames: credential keys and password-hash calls compared
// with == are reported; plain keys are not.
func TestSecretCompareNames(t *testing.T) {
	cases := []struct {
		src  string
		want int
	}{
		{"package a\nfunc f(got, adminKey string) bool { return got == adminKey }\n", 1},
		{"package a\nfunc f(got, webhook_key string) bool { return got != webhook_key }\n", 1},
		{"package a\nfunc f(pw, stored string) bool { return hashPassword(pw) == stored }\n", 1},
		{"package a\nfunc f(k, cacheKey string) bool { return k == cacheKey }\n", 0},
		{"package a\nfunc f(k, key string) bool { return k == key }\n", 0},
		{"package a\nfunc f(a, b string) bool { return checksum(a) == b }\n", 0},
		{"package a\ntype Mode int\nconst (\n\tGood Mode = iota\n\tBadSignature\n\tBadToken\n)\nfunc f(m Mode) bool { return m == BadSignature || m == BadToken }\n", 0},
		{"package a\nconst AdminToken = \"s3cr3t-value\"\nfunc f(got string) bool { return got == AdminToken }\n", 1},
	}
	for _, c := range cases {
		fs, err := New().Check(context.Background(), "a.go", []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != c.want {
			t.Errorf("%q: %d findings %v, want %d", c.src, len(fs), fs, c.want)
		}
	}
}
