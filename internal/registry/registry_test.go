package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/scan/deps"
)

// fakeRegistry serves the endpoints each registry client reads, for a few
// packages; everything else is 404.
func fakeRegistry(t *testing.T) *httptest.Server {
	routes := map[string]string{
		"/npm/lodash":                            `{"time": {"created": "2012-04-23T16:37:11.912Z", "4.17.21": "2021-02-20T15:42:16.891Z"}, "dist-tags": {"latest": "4.17.21"}, "versions": {"4.17.21": {"scripts": {"test": "x"}}}}`,
		"/npm/@acme%2fsdk":                       `{"time": {"created": "2026-11-20T00:00:00Z"}, "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {"scripts": {"postinstall": "node steal.js"}}}}`,
		"/pypi/pypi/requests/json":               `{"releases": {"2.0.0": [{"upload_time_iso_8601": "2013-09-24T19:00:00.000Z"}], "0.2.0": [{"upload_time_iso_8601": "2011-02-14T10:00:00.000Z"}], "9": []}}`,
		"/go/github.com/!foo/bar/@v/list":        "v1.1.0\nv1.0.0\n",
		"/go/github.com/!foo/bar/@v/v1.0.0.info": `{"Version": "v1.0.0", "Time": "2019-01-02T03:04:05Z"}`,
		"/cargo/api/v1/crates/serde":             `{"crate": {"created_at": "2014-12-05T20:20:39Z"}}`,
		"/gems/api/v1/versions/rails.json":       `[{"created_at": "2022-01-01T00:00:00Z"}, {"created_at": "2004-07-24T00:00:00Z"}]`,
		"/php/packages/guzzlehttp/guzzle.json":   `{"package": {"time": "2011-06-29T00:00:00+00:00"}}`,
		"/sparse/se/rd/serde":                    `{}`,
		"/pypi/pypi/requests/2.31.0/json":        `{"urls": [{"upload_time_iso_8601": "2023-05-22T15:12:44.000Z"}, {"upload_time_iso_8601": "2023-05-22T15:12:42.000Z"}]}`,
		"/go/golang.org/x/net/@v/v0.23.0.info":   `{"Version": "v0.23.0", "Time": "2024-04-03T18:00:00Z"}`,
		"/cargo/api/v1/crates/smallvec/1.6.1":    `{"version": {"created_at": "2021-01-08T00:00:00Z"}}`,
		"/gems/api/v1/versions/nokogiri.json":    `[{"number": "1.13.10", "created_at": "2022-12-07T01:00:00Z"}, {"number": "1.13.10", "created_at": "2022-12-07T00:00:00Z"}, {"number": "1.13.9", "created_at": "2022-10-18T00:00:00Z"}]`,
		"/php/packages/guzzlehttp/psr7.json":     `{"package": {"versions": {"v2.4.5": {"time": "2023-04-17T16:00:00+00:00"}}}}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.EscapedPath() == "/npm/down" {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		body, ok := routes[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLookup(t *testing.T) {
	srv := fakeRegistry(t)
	c := New(map[string]string{
		"npm": srv.URL + "/npm", "pypi": srv.URL + "/pypi/", "go": srv.URL + "/go", "cargo": srv.URL + "/cargo",
		"RubyGems": srv.URL + "/gems", "packagist": srv.URL + "/php",
	}, srv.Client())
	day := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	tests := []struct {
		eco, name string
		want      deps.RegistryInfo
	}{
		{"npm", "lodash", deps.RegistryInfo{Exists: true, Created: day("2012-04-23T16:37:11.912Z")}},
		{"npm", "@acme/sdk", deps.RegistryInfo{Exists: true, Created: day("2026-11-20T00:00:00Z"), InstallScripts: true}},
		{"npm", "no-such-package", deps.RegistryInfo{}},
		{"PyPI", "Requests", deps.RegistryInfo{Exists: true, Created: day("2011-02-14T10:00:00Z")}},
		{"PyPI", "nope", deps.RegistryInfo{}},
		{"Go", "github.com/Foo/bar", deps.RegistryInfo{Exists: true, Created: day("2019-01-02T03:04:05Z")}},
		{"Go", "github.com/foo/bar", deps.RegistryInfo{}},
		{"crates.io", "serde", deps.RegistryInfo{Exists: true, Created: day("2014-12-05T20:20:39Z")}},
		{"RubyGems", "rails", deps.RegistryInfo{Exists: true, Created: day("2004-07-24T00:00:00Z")}},
		{"Packagist", "GuzzleHttp/Guzzle", deps.RegistryInfo{Exists: true, Created: day("2011-06-29T00:00:00Z")}},
		{"Maven", "a:b", deps.RegistryInfo{Exists: true}}, // not checked
	}
	for _, tt := range tests {
		got, err := c.Lookup(context.Background(), tt.eco, tt.name)
		if err != nil {
			t.Errorf("%s %s: %v", tt.eco, tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.eco, tt.name, diff)
		}
	}
	if _, err := c.Lookup(context.Background(), "npm", "down"); err == nil {
		t.Error("a 503 from the registry is not an error")
	}
	sparse := New(map[string]string{"cargo": "sparse+" + srv.URL + "/sparse"}, srv.Client())
	if got, err := sparse.Lookup(context.Background(), "crates.io", "serde"); err != nil || !got.Exists {
		t.Errorf("sparse index serde: %+v %v", got, err)
	}
	if got, err := sparse.Lookup(context.Background(), "crates.io", "serdee"); err != nil || got.Exists {
		t.Errorf("sparse index serdee: %+v %v", got, err)
	}
}

// TestVersionTime: each registry's release time of one version, from a
// local fake; versions and packages it does not know are not found.
func TestVersionTime(t *testing.T) {
	srv := fakeRegistry(t)
	c := New(map[string]string{
		"npm": srv.URL + "/npm", "pypi": srv.URL + "/pypi/", "go": srv.URL + "/go", "cargo": srv.URL + "/cargo",
		"RubyGems": srv.URL + "/gems", "packagist": srv.URL + "/php",
	}, srv.Client())
	day := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	tests := []struct {
		eco, name, version string
		want               time.Time // zero: not found
	}{
		{"npm", "lodash", "4.17.21", day("2021-02-20T15:42:16.891Z")},
		{"npm", "lodash", "9.9.9", time.Time{}},
		{"npm", "no-such-package", "1.0.0", time.Time{}},
		{"PyPI", "Requests", "2.31.0", day("2023-05-22T15:12:42Z")}, // the earliest file
		{"PyPI", "requests", "0.0.1", time.Time{}},
		{"Go", "golang.org/x/net", "0.23.0", day("2024-04-03T18:00:00Z")}, // OSV's version has no v
		{"Go", "golang.org/x/net", "v0.23.0", day("2024-04-03T18:00:00Z")},
		{"crates.io", "smallvec", "1.6.1", day("2021-01-08T00:00:00Z")},
		{"RubyGems", "nokogiri", "1.13.10", day("2022-12-07T00:00:00Z")}, // the earliest platform build
		{"RubyGems", "nokogiri", "1.0", time.Time{}},
		{"Packagist", "guzzlehttp/psr7", "2.4.5", day("2023-04-17T16:00:00Z")}, // tagged v2.4.5
		{"Maven", "a:b", "1.0", time.Time{}},
	}
	for _, tt := range tests {
		got, found, err := c.VersionTime(context.Background(), tt.eco, tt.name, tt.version)
		if err != nil {
			t.Errorf("%s %s@%s: %v", tt.eco, tt.name, tt.version, err)
			continue
		}
		if found != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("%s %s@%s = %v, %v; want %v", tt.eco, tt.name, tt.version, got, found, tt.want)
		}
	}
	if _, _, err := c.VersionTime(context.Background(), "npm", "down", "1.0.0"); err == nil {
		t.Error("a 503 from the registry is not an error")
	}
}
