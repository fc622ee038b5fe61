// Package registry answers the dependency gate's --online questions over
// HTTP: does a package exist in its public registry, when was it first
// published, and does it run install scripts. It sits at the edge (it does
// network I/O); the engine sees it through deps.Registry.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/wardenhq/warden/internal/scan/deps"
	"github.com/wardenhq/warden/internal/vulndb"
)

// Defaults are the public registries, keyed as the policy's
// dependencies.registry_url keys them.
var Defaults = map[string]string{
	"npm":       "https://registry.npmjs.org",
	"pypi":      "https://pypi.org",
	"go":        "https://proxy.golang.org",
	"cargo":     "https://crates.io",
	"rubygems":  "https://rubygems.org",
	"packagist": "https://packagist.org",
}

// policyKey maps an OSV ecosystem name to its registry_url key.
var policyKey = map[string]string{
	vulndb.NPM: "npm", vulndb.PyPI: "pypi", vulndb.Go: "go", vulndb.CratesIO: "cargo",
	vulndb.RubyGems: "rubygems", vulndb.Packagist: "packagist",
}

// Client looks packages up in their registries.
type Client struct {
	urls   map[string]string
	client *http.Client
}

// New makes a client; urls overrides Defaults per key (npm, pypi, go,
// cargo, rubygems, packagist; OSV ecosystem names are accepted too).
func New(urls map[string]string, c *http.Client) *Client {
	m := map[string]string{}
	for k, v := range Defaults {
		m[k] = v
	}
	for k, v := range urls {
		if pk, ok := policyKey[k]; ok {
			k = pk
		}
		m[strings.ToLower(k)] = strings.TrimRight(v, "/")
	}
	return &Client{urls: m, client: c}
}

// ErrUnsupported is returned for ecosystems without an online check.
var ErrUnsupported = errors.New("no online check for this ecosystem")

var _ deps.Registry = (*Client)(nil)

// maxBody bounds a registry answer (npm documents of very large packages
// run to tens of MB).
const maxBody = 64 << 20

// Lookup implements deps.Registry.
func (c *Client) Lookup(ctx context.Context, eco, name string) (deps.RegistryInfo, error) {
	base := c.urls[policyKey[eco]]
	if base == "" {
		return deps.RegistryInfo{Exists: true}, nil // Maven and others: not checked
	}
	switch eco {
	case vulndb.NPM:
		return c.npm(ctx, base, name)
	case vulndb.PyPI:
		return c.pypi(ctx, base, name)
	case vulndb.Go:
		return c.goproxy(ctx, base, name)
	case vulndb.CratesIO:
		return c.crates(ctx, base, name)
	case vulndb.RubyGems:
		return c.rubygems(ctx, base, name)
	case vulndb.Packagist:
		return c.packagist(ctx, base, name)
	}
	return deps.RegistryInfo{Exists: true}, nil
}

// get fetches u; a 404 or 410 is (nil, false, nil).
func (c *Client) get(ctx context.Context, u string, v any) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusGone:
		return false, nil
	default:
		return false, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body := io.LimitReader(resp.Body, maxBody)
	if v == nil {
		_, err = io.Copy(io.Discard, body)
		return true, err
	}
	if s, ok := v.(*string); ok {
		b, err := io.ReadAll(body)
		*s = string(b)
		return true, err
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return false, fmt.Errorf("GET %s: bad answer: %v", u, err)
	}
	return true, nil
}

func (c *Client) npm(ctx context.Context, base, name string) (deps.RegistryInfo, error) {
	var doc struct {
		Time     map[string]string `json:"time"`
		DistTags map[string]string `json:"dist-tags"`
		Versions map[string]struct {
			Scripts map[string]string `json:"scripts"`
		} `json:"versions"`
	}
	ok, err := c.get(ctx, base+"/"+npmPath(name), &doc)
	if err != nil || !ok {
		return deps.RegistryInfo{}, err
	}
	info := deps.RegistryInfo{Exists: true}
	info.Created, _ = time.Parse(time.RFC3339, doc.Time["created"])
	if latest, ok := doc.Versions[doc.DistTags["latest"]]; ok {
		for _, s := range []string{"preinstall", "install", "postinstall"} {
			if latest.Scripts[s] != "" {
				info.InstallScripts = true
			}
		}
	}
	return info, nil
}

// npmPath escapes a package name as the npm CLI does: "@scope%2fname".
func npmPath(name string) string {
	if scope, rest, ok := strings.Cut(name, "/"); ok && strings.HasPrefix(scope, "@") {
		return "@" + url.PathEscape(scope[1:]) + "%2f" + url.PathEscape(rest)
	}
	return url.PathEscape(name)
}

func (c *Client) pypi(ctx context.Context, base, name string) (deps.RegistryInfo, error) {
	var doc struct {
		Releases map[string][]struct {
			UploadTime string `json:"upload_time_iso_8601"`
		} `json:"releases"`
	}
	ok, err := c.get(ctx, base+"/pypi/"+url.PathEscape(vulndb.NormalizeName(vulndb.PyPI, name))+"/json", &doc)
	if err != nil || !ok {
		return deps.RegistryInfo{}, err
	}
	info := deps.RegistryInfo{Exists: true}
	for _, files := range doc.Releases {
		for _, f := range files {
			if t, err := time.Parse(time.RFC3339, f.UploadTime); err == nil && (info.Created.IsZero() || t.Before(info.Created)) {
				info.Created = t
			}
		}
	}
	return info, nil
}

func (c *Client) goproxy(ctx context.Context, base, name string) (deps.RegistryInfo, error) {
	esc, err := module.EscapePath(name)
	if err != nil {
		return deps.RegistryInfo{}, fmt.Errorf("module path %q: %v", name, err)
	}
	var list string
	ok, err := c.get(ctx, base+"/"+esc+"/@v/list", &list)
	if err != nil || !ok {
		return deps.RegistryInfo{}, err
	}
	versions := slices.DeleteFunc(strings.Fields(list), func(v string) bool { return !semver.IsValid(v) })
	var info struct {
		Time time.Time `json:"Time"`
	}
	u := base + "/" + esc + "/@latest"
	if len(versions) > 0 {
		semver.Sort(versions)
		ev, err := module.EscapeVersion(versions[0])
		if err != nil {
			return deps.RegistryInfo{}, err
		}
		u = base + "/" + esc + "/@v/" + ev + ".info"
	}
	ok, err = c.get(ctx, u, &info)
	if err != nil {
		return deps.RegistryInfo{}, err
	}
	if !ok {
		// A path with no versions and no @latest: nothing by that name.
		return deps.RegistryInfo{}, nil
	}
	return deps.RegistryInfo{Exists: true, Created: info.Time}, nil
}

func (c *Client) crates(ctx context.Context, base, name string) (deps.RegistryInfo, error) {
	if strings.Contains(base, "index.crates.io") || strings.HasPrefix(base, "sparse+") {
		// The sparse index has no dates: existence only.
		ok, err := c.get(ctx, strings.TrimPrefix(base, "sparse+")+"/"+sparsePath(strings.ToLower(name)), nil)
		return deps.RegistryInfo{Exists: ok}, err
	}
	var doc struct {
		Crate struct {
			CreatedAt time.Time `json:"created_at"`
		} `json:"crate"`
	}
	ok, err := c.get(ctx, base+"/api/v1/crates/"+url.PathEscape(name), &doc)
	if err != nil || !ok {
		return deps.RegistryInfo{}, err
	}
	return deps.RegistryInfo{Exists: true, Created: doc.Crate.CreatedAt}, nil
}

// sparsePath is a crate's file in the sparse index layout.
func sparsePath(n string) string {
	switch len(n) {
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

func (c *Client) rubygems(ctx context.Context, base, name string) (deps.RegistryInfo, error) {
	var versions []struct {
		CreatedAt time.Time `json:"created_at"`
	}
	ok, err := c.get(ctx, base+"/api/v1/versions/"+url.PathEscape(name)+".json", &versions)
	if err != nil || !ok {
		return deps.RegistryInfo{}, err
	}
	info := deps.RegistryInfo{Exists: true}
	for _, v := range versions {
		if info.Created.IsZero() || v.CreatedAt.Before(info.Created) {
			info.Created = v.CreatedAt
		}
	}
	return info, nil
}

func (c *Client) packagist(ctx context.Context, base, name string) (deps.RegistryInfo, error) {
	var doc struct {
		Package struct {
			Time time.Time `json:"time"`
		} `json:"package"`
	}
	vendor, pkg, ok := strings.Cut(strings.ToLower(name), "/")
	if !ok {
		return deps.RegistryInfo{}, nil
	}
	ok, err := c.get(ctx, base+"/packages/"+url.PathEscape(vendor)+"/"+url.PathEscape(pkg)+".json", &doc)
	if err != nil || !ok {
		return deps.RegistryInfo{}, err
	}
	return deps.RegistryInfo{Exists: true, Created: doc.Package.Time}, nil
}

var _ deps.VersionDater = (*Client)(nil)

// VersionTime implements deps.VersionDater: when version of the package
// was published, from npm's package document (its time map), PyPI's
// release JSON (the earliest upload_time of its files), the Go module
// proxy's .info, the crates.io version API, RubyGems' versions API and
// Packagist's package API. found is false when the registry does not know
// the version (or the ecosystem has no registry check).
func (c *Client) VersionTime(ctx context.Context, eco, name, version string) (time.Time, bool, error) {
	base := c.urls[policyKey[eco]]
	if base == "" || version == "" {
		return time.Time{}, false, nil
	}
	var t time.Time
	switch eco {
	case vulndb.NPM:
		var doc struct {
			Time map[string]string `json:"time"`
		}
		if ok, err := c.get(ctx, base+"/"+npmPath(name), &doc); err != nil || !ok {
			return t, false, err
		}
		t, _ = time.Parse(time.RFC3339, doc.Time[version])
	case vulndb.PyPI:
		var doc struct {
			URLs []struct {
				UploadTime string `json:"upload_time_iso_8601"`
			} `json:"urls"`
		}
		u := base + "/pypi/" + url.PathEscape(vulndb.NormalizeName(vulndb.PyPI, name)) + "/" + url.PathEscape(version) + "/json"
		if ok, err := c.get(ctx, u, &doc); err != nil || !ok {
			return t, false, err
		}
		for _, f := range doc.URLs {
			if ft, err := time.Parse(time.RFC3339, f.UploadTime); err == nil && (t.IsZero() || ft.Before(t)) {
				t = ft
			}
		}
	case vulndb.Go:
		esc, err := module.EscapePath(name)
		if err != nil {
			return t, false, fmt.Errorf("module path %q: %v", name, err)
		}
		if !strings.HasPrefix(version, "v") {
			version = "v" + version // OSV writes Go versions without the v
		}
		ev, err := module.EscapeVersion(version)
		if err != nil {
			return t, false, fmt.Errorf("module version %q: %v", version, err)
		}
		var info struct {
			Time time.Time `json:"Time"`
		}
		if ok, err := c.get(ctx, base+"/"+esc+"/@v/"+ev+".info", &info); err != nil || !ok {
			return t, false, err
		}
		t = info.Time
	case vulndb.CratesIO:
		if strings.Contains(base, "index.crates.io") || strings.HasPrefix(base, "sparse+") {
			return t, false, nil // the sparse index has no dates
		}
		var doc struct {
			Version struct {
				CreatedAt time.Time `json:"created_at"`
			} `json:"version"`
		}
		if ok, err := c.get(ctx, base+"/api/v1/crates/"+url.PathEscape(name)+"/"+url.PathEscape(version), &doc); err != nil || !ok {
			return t, false, err
		}
		t = doc.Version.CreatedAt
	case vulndb.RubyGems:
		var versions []struct {
			Number    string    `json:"number"`
			CreatedAt time.Time `json:"created_at"`
		}
		if ok, err := c.get(ctx, base+"/api/v1/versions/"+url.PathEscape(name)+".json", &versions); err != nil || !ok {
			return t, false, err
		}
		for _, v := range versions { // one entry per platform build
			if v.Number == version && (t.IsZero() || v.CreatedAt.Before(t)) {
				t = v.CreatedAt
			}
		}
	case vulndb.Packagist:
		vendor, pkg, ok := strings.Cut(strings.ToLower(name), "/")
		if !ok {
			return t, false, nil
		}
		var doc struct {
			Package struct {
				Versions map[string]struct {
					Time time.Time `json:"time"`
				} `json:"versions"`
			} `json:"package"`
		}
		if ok, err := c.get(ctx, base+"/packages/"+url.PathEscape(vendor)+"/"+url.PathEscape(pkg)+".json", &doc); err != nil || !ok {
			return t, false, err
		}
		v, ok := doc.Package.Versions[version]
		if !ok {
			v = doc.Package.Versions["v"+version] // tags often carry a v
		}
		t = v.Time
	}
	return t, !t.IsZero(), nil
}
