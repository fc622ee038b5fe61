package deps

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/wardenhq/warden/internal/lazyre"
	"io"
	"strings"

	"github.com/wardenhq/warden/internal/vulndb"
)

type cargoLock struct {
	Package []struct {
		Name    string `toml:"name"`
		Version string `toml:"version"`
		Source  string `toml:"source"`
	} `toml:"package"`
}

// parseCargoLock reads Cargo.lock (versions 1 to 4).
func parseCargoLock(p string, data []byte) (*File, error) {
	var lock cargoLock
	if err := decodeTOML(data, &lock); err != nil {
		return nil, err
	}
	lines := nameLines(data)
	f := &File{Kind: Lockfile, Ecosystem: vulndb.CratesIO, MatchVersions: true}
	for _, pk := range lock.Package {
		pkg := Package{Ecosystem: vulndb.CratesIO, Name: pk.Name, Version: pk.Version, Line: takeLine(lines, pk.Name)}
		switch {
		case pk.Source == "":
			pkg.Source = "path" // a workspace member
		case strings.HasPrefix(pk.Source, "git+"):
			pkg.Source, pkg.Resolved = "git", strings.TrimPrefix(pk.Source, "git+")
			if _, c, ok := strings.Cut(pk.Source, "#"); ok {
				pkg.Ref = c
			}
		case strings.HasPrefix(pk.Source, "registry+") || strings.HasPrefix(pk.Source, "sparse+"):
			reg := pk.Source[strings.IndexByte(pk.Source, '+')+1:]
			if strings.Contains(reg, "github.com/rust-lang/crates.io-index") || strings.Contains(reg, "index.crates.io") {
				reg = "https://index.crates.io/"
			}
			pkg.Resolved = reg
		}
		f.Packages = append(f.Packages, pkg)
	}
	return f, nil
}

var platformSuffix = lazyre.New(`-(x86|x64|arm|aarch|universal|java|jruby|mswin|mingw|darwin|linux|musl|wasm)[A-Za-z0-9_.-]*$`)

// parseGemfileLock reads Gemfile.lock: the GEM, GIT and PATH sections'
// specs (four-space indented "name (version)" lines).
func parseGemfileLock(p string, data []byte) (*File, error) {
	f := &File{Kind: Lockfile, Ecosystem: vulndb.RubyGems, MatchVersions: true}
	section, remote, revision := "", "", ""
	var pending []int // indexes of GIT specs waiting for the revision
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimRight(raw, "\r")
		if line == "" {
			continue
		}
		if line[0] != ' ' {
			section, remote, revision = strings.TrimSpace(line), "", ""
			pending = nil
			continue
		}
		t := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 2 && strings.HasPrefix(t, "remote:"):
			remote = strings.TrimSpace(strings.TrimPrefix(t, "remote:"))
		case indent == 2 && strings.HasPrefix(t, "revision:"):
			revision = strings.TrimSpace(strings.TrimPrefix(t, "revision:"))
			for _, j := range pending {
				f.Packages[j].Ref = revision
			}
		case indent == 4 && (section == "GEM" || section == "GIT" || section == "PATH"):
			name, ver, ok := strings.Cut(t, " (")
			if !ok || !strings.HasSuffix(ver, ")") {
				return nil, fmt.Errorf("line %d: expected 'name (version)'", i+1)
			}
			ver = strings.TrimSuffix(ver, ")")
			ver = platformSuffix.ReplaceAllString(ver, "")
			pkg := Package{Ecosystem: vulndb.RubyGems, Name: name, Version: ver, Line: i + 1}
			switch section {
			case "GEM":
				pkg.Resolved = remote
			case "GIT":
				pkg.Source, pkg.Resolved, pkg.Ref, pkg.Version = "git", remote, revision, ""
				pending = append(pending, len(f.Packages))
			case "PATH":
				pkg.Source, pkg.Version = "path", ""
			}
			f.Packages = append(f.Packages, pkg)
		}
	}
	return f, nil
}

type composerLock struct {
	Packages    []composerPkg `json:"packages"`
	PackagesDev []composerPkg `json:"packages-dev"`
}

type composerPkg struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  struct {
		Type      string `json:"type"`
		URL       string `json:"url"`
		Reference string `json:"reference"`
	} `json:"source"`
	Dist struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"dist"`
}

func parseComposerLock(p string, data []byte) (*File, error) {
	var lock composerLock
	lines, err := jsonKeyLines(data, &lock, 3)
	if err != nil {
		return nil, err
	}
	f := &File{Kind: Lockfile, Ecosystem: vulndb.Packagist, MatchVersions: true}
	for _, sec := range []struct {
		name string
		pkgs []composerPkg
	}{{"packages", lock.Packages}, {"packages-dev", lock.PackagesDev}} {
		for i, pk := range sec.pkgs {
			pkg := Package{Ecosystem: vulndb.Packagist, Name: pk.Name, Version: strings.TrimPrefix(pk.Version, "v"),
				Line: lines[jk(sec.name, fmt.Sprint(i), "name")], Resolved: pk.Dist.URL}
			if strings.HasPrefix(pk.Version, "dev-") {
				// a branch: pinned only by the source reference
				pkg.Source, pkg.Ref, pkg.Resolved, pkg.Version = "git", pk.Source.Reference, pk.Source.URL, ""
			}
			if pk.Dist.Type == "path" {
				pkg.Source, pkg.Version = "path", ""
			}
			f.Packages = append(f.Packages, pkg)
		}
	}
	return f, nil
}

// parseGradleLock reads gradle.lockfile: "group:artifact:version=configurations".
func parseGradleLock(p string, data []byte) (*File, error) {
	f := &File{Kind: Lockfile, Ecosystem: vulndb.Maven, MatchVersions: true}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "empty=") {
			continue
		}
		coord, _, _ := strings.Cut(line, "=")
		parts := strings.Split(coord, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, fmt.Errorf("line %d: expected 'group:artifact:version=configurations'", i+1)
		}
		f.Packages = append(f.Packages, Package{Ecosystem: vulndb.Maven, Name: parts[0] + ":" + parts[1], Version: parts[2], Line: i + 1})
	}
	return f, nil
}

// parsePom reads the dependencies a Maven pom.xml declares, with
// ${property} references resolved from the pom's own properties and
// project/parent version. Versions it cannot resolve are left empty.
func parsePom(p string, data []byte) (*File, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	props := map[string]string{}
	type dep struct {
		group, artifact, version, scope string
		line                            int
	}
	var deps []dep
	var stack []string
	var cur *dep
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, fmt.Errorf("line %d: invalid XML: %v", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			text.Reset()
			if t.Name.Local == "dependency" && len(stack) >= 2 && stack[len(stack)-2] == "dependencies" {
				line, _ := dec.InputPos()
				cur = &dep{line: line}
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			val := strings.TrimSpace(text.String())
			path := strings.Join(stack, "/")
			switch {
			case cur != nil && t.Name.Local == "dependency":
				deps = append(deps, *cur)
				cur = nil
			case cur != nil && len(stack) >= 2 && stack[len(stack)-2] == "dependency":
				switch t.Name.Local {
				case "groupId":
					cur.group = val
				case "artifactId":
					cur.artifact = val
				case "version":
					cur.version = val
				case "scope":
					cur.scope = val
				}
			case len(stack) == 3 && stack[1] == "properties":
				props[t.Name.Local] = val
			case path == "project/version":
				props["project.version"] = val
			case path == "project/groupId":
				props["project.groupId"] = val
			case path == "project/parent/version":
				props["project.parent.version"] = val
				if _, ok := props["project.version"]; !ok {
					props["project.version"] = val
				}
			}
			text.Reset()
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	f := &File{Kind: Manifest, Ecosystem: vulndb.Maven, MatchVersions: true}
	for _, d := range deps {
		if d.scope == "system" || d.group == "" || d.artifact == "" {
			continue
		}
		pkg := Package{Ecosystem: vulndb.Maven, Name: interpolate(d.group, props) + ":" + interpolate(d.artifact, props), Line: d.line, Direct: true}
		v := interpolate(d.version, props)
		switch {
		case v == "" || strings.Contains(v, "${"):
			// managed by a parent or BOM this file does not show
		case exactConstraint(vulndb.Maven, v):
			pkg.Version = strings.Trim(v, "[]")
		default:
			pkg.Constraint = v
			// A range's lower bound is a version the range lets Maven
			// pick; it is matched (as osv-scanner does) so that a range
			// admitting a vulnerable version is reported.
			if lo, _, ok := strings.Cut(strings.TrimPrefix(v, "["), ","); ok && strings.HasPrefix(v, "[") && lo != "" {
				pkg.Version = strings.TrimSpace(lo)
			}
		}
		f.Packages = append(f.Packages, pkg)
	}
	return f, nil
}

var propRE = lazyre.New(`\$\{([^}]+)\}`)

func interpolate(s string, props map[string]string) string {
	for range 5 { // properties may refer to properties
		if !strings.Contains(s, "${") {
			return s
		}
		s = propRE.ReplaceAllStringFunc(s, func(m string) string {
			if v, ok := props[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	return s
}

var _ = json.Valid
