package deps

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/vulndb"
)

// splitNameSpec splits "name@range" (name may be scoped: "@s/n@^1").
func splitNameSpec(s string) (string, string) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// parseYarnLock reads yarn.lock, classic (v1) and berry (v2+) alike.
func parseYarnLock(p string, data []byte) (*File, error) {
	f := &File{Kind: Lockfile, Ecosystem: vulndb.NPM, MatchVersions: true}
	var cur *Package
	berry := bytes.Contains(data, []byte("\n__metadata:")) || bytes.HasPrefix(data, []byte("__metadata:"))
	flush := func() {
		if cur != nil && cur.Name != "" && (cur.Version != "" || cur.Source != "") {
			f.Packages = append(f.Packages, *cur)
		}
		cur = nil
	}
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimRight(raw, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if line[0] != ' ' {
			flush()
			if !strings.HasSuffix(line, ":") {
				return nil, fmt.Errorf("line %d: expected a package header ending in ':'", i+1)
			}
			head := strings.TrimSuffix(line, ":")
			if head == "__metadata" {
				continue
			}
			first := strings.Trim(strings.Split(head, ",")[0], "\" '")
			name, spec := splitNameSpec(first)
			if berry {
				// "name@npm:^1.0.0", "name@workspace:.", "name@patch:..."
				rest := strings.TrimPrefix(first, "@")
				if n, _, ok := strings.Cut(rest, "@"); ok {
					name = first[:len(first)-len(rest)] + n
					spec = first[len(name)+1:]
				}
			}
			cur = &Package{Ecosystem: vulndb.NPM, Name: name, Line: i + 1}
			switch {
			case strings.HasPrefix(spec, "workspace:") || strings.HasPrefix(spec, "link:") || strings.HasPrefix(spec, "portal:") || strings.HasPrefix(spec, "file:"):
				cur.Source = "path"
			case strings.HasPrefix(spec, "patch:"):
				// "patch:name@npm%3A1.0.0#..." patches a registry package
			default:
				if s, ok := sourceOf(spec); ok && s.Source != "path" {
					cur.Source, cur.Ref, cur.Resolved = s.Source, s.Ref, s.Resolved
				}
			}
			continue
		}
		if cur == nil {
			continue
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(line, "    ") {
			continue // nested dependency lists
		}
		k, v, _ := strings.Cut(t, " ")
		k = strings.TrimSuffix(k, ":")
		v = unquote(v)
		switch k {
		case "version":
			if cur.Source == "" {
				cur.Version = v
			}
		case "resolved":
			cur.Resolved = v
			if strings.Contains(v, "#") && (strings.HasPrefix(v, "git") || strings.Contains(v, ".git#")) {
				cur.Source = "git"
				_, cur.Ref, _ = strings.Cut(v, "#")
				cur.Version = ""
			}
		case "resolution":
			if _, r, ok := strings.Cut(strings.TrimPrefix(v, "@"), "@"); ok && v != "" {
				switch {
				case strings.HasPrefix(r, "npm:"):
					// registry package
				case strings.Contains(r, "commit=") || strings.HasPrefix(r, "git") || strings.HasPrefix(r, "https://github.com"):
					cur.Source = "git"
					if _, c, ok := strings.Cut(r, "commit="); ok {
						cur.Ref = c
					} else if _, c, ok := strings.Cut(r, "#"); ok {
						cur.Ref = c
					}
					cur.Version = ""
				case strings.HasPrefix(r, "workspace:") || strings.HasPrefix(r, "link:") || strings.HasPrefix(r, "portal:") || strings.HasPrefix(r, "file:"):
					cur.Source = "path"
					cur.Version = ""
				}
			}
		}
	}
	flush()
	f.Packages = dedupe(f.Packages)
	return f, nil
}

// dedupe drops repeated name@version entries, keeping the first line.
func dedupe(ps []Package) []Package {
	seen := map[string]bool{}
	out := ps[:0]
	for _, p := range ps {
		k := p.Name + "\x00" + p.Version + "\x00" + p.Source + "\x00" + p.Ref
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	sortPackages(out)
	return out
}

// parsePnpmLock reads pnpm-lock.yaml, lockfile versions 5 to 9.
func parsePnpmLock(p string, data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML: %v", err)
	}
	f := &File{Kind: Lockfile, Ecosystem: vulndb.NPM, MatchVersions: true}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected a mapping at the top level", root.Line)
	}
	direct := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "importers":
			for j := 1; j < len(v.Content); j += 2 {
				collectPnpmDirect(v.Content[j], direct)
			}
		case "dependencies", "devDependencies", "optionalDependencies":
			collectPnpmDirect(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{k, v}}, direct)
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "packages" {
			continue
		}
		pk := root.Content[i+1]
		if pk.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: packages is not a mapping", pk.Line)
		}
		for j := 0; j+1 < len(pk.Content); j += 2 {
			key, val := pk.Content[j], pk.Content[j+1]
			name, version := pnpmKey(key.Value)
			if name == "" {
				continue
			}
			pkg := Package{Ecosystem: vulndb.NPM, Name: name, Version: version, Line: key.Line, Direct: direct[name]}
			if version == "" {
				pkg.Source = "url"
			}
			if val.Kind == yaml.MappingNode {
				for m := 0; m+1 < len(val.Content); m += 2 {
					switch val.Content[m].Value {
					case "name":
						pkg.Name = val.Content[m+1].Value
					case "version":
						pkg.Version = val.Content[m+1].Value
					case "requiresBuild":
						pkg.InstallScript = val.Content[m+1].Value == "true"
					case "resolution":
						res := map[string]string{}
						_ = val.Content[m+1].Decode(&res)
						switch {
						case res["type"] == "git" || res["commit"] != "":
							pkg.Source, pkg.Ref, pkg.Resolved, pkg.Version = "git", res["commit"], res["repo"], ""
						case res["tarball"] != "":
							pkg.Resolved = res["tarball"]
							if strings.HasPrefix(res["tarball"], "file:") {
								pkg.Source, pkg.Version = "path", ""
							} else if pkg.Source == "url" {
								pkg.Version = ""
							}
						case res["directory"] != "":
							pkg.Source, pkg.Version = "path", ""
						}
					}
				}
			}
			f.Packages = append(f.Packages, pkg)
		}
	}
	f.Packages = dedupe(f.Packages)
	return f, nil
}

func collectPnpmDirect(importer *yaml.Node, direct map[string]bool) {
	if importer.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(importer.Content); i += 2 {
		switch importer.Content[i].Value {
		case "dependencies", "devDependencies", "optionalDependencies":
			deps := importer.Content[i+1]
			for j := 0; j+1 < len(deps.Content); j += 2 {
				direct[deps.Content[j].Value] = true
			}
		}
	}
}

// pnpmKey reads a packages key: "/name/1.0.0" (v5), "/name@1.0.0" (v6),
// "name@1.0.0" (v9), each maybe with a peer suffix "(react@18.0.0)" or
// "_react@18.0.0".
func pnpmKey(k string) (string, string) {
	v5 := false
	if rest, ok := strings.CutPrefix(k, "/"); ok {
		k = rest
		if i := strings.LastIndexByte(k, '/'); i > 0 && i+1 < len(k) && k[i+1] >= '0' && k[i+1] <= '9' {
			v5 = true
		}
	}
	if i := strings.IndexByte(k, '('); i > 0 {
		k = k[:i]
	}
	if !v5 && strings.LastIndexByte(k, '@') > 0 {
		name, ver := splitNameSpec(k)
		if i := strings.IndexByte(ver, '_'); i > 0 {
			ver = ver[:i]
		}
		if strings.Contains(ver, ":") || strings.Contains(ver, "/") {
			return name, "" // link:, file:, git or tarball URLs: not registry versions
		}
		return name, ver
	}
	i := strings.LastIndexByte(k, '/')
	if !v5 || i <= 0 {
		return "", ""
	}
	ver := k[i+1:]
	if j := strings.IndexByte(ver, '_'); j > 0 {
		ver = ver[:j]
	}
	return k[:i], ver
}
