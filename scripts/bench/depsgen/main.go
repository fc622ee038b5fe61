// Command depsgen writes the synthetic inputs of scripts/bench/deps.sh: an
// OSV database of -records records over -packages npm packages (as
// DIR/osv-scanner/npm/all.zip, the layout osv-scanner's offline mode reads
// and warden db import takes), and a package-lock.json (v3) with -lock of
// those packages at versions of which about a quarter are affected.
package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("o", "bench-deps", "output directory")
	records := flag.Int("records", 200000, "OSV records")
	packages := flag.Int("packages", 100000, "distinct packages the records affect")
	lock := flag.Int("lock", 2000, "packages in the lockfile")
	records2zip := flag.String("zip-records", "", "instead: zip the OSV JSON files in this directory into OUT/osv-scanner/ECOSYSTEM/all.zip")
	flag.Parse()
	if *records2zip != "" {
		if err := zipRecords(*records2zip, *out); err != nil {
			fmt.Fprintln(os.Stderr, "depsgen:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*out, *records, *packages, *lock); err != nil {
		fmt.Fprintln(os.Stderr, "depsgen:", err)
		os.Exit(1)
	}
}

func pkgName(i int) string { return fmt.Sprintf("bench-pkg-%06d", i) }

func run(out string, records, packages, lock int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	dbDir := filepath.Join(out, "osv-scanner", "npm")
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dbDir, "all.zip"))
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for i := 0; i < records; i++ {
		pkg := i % packages
		// Record r of a package affects [r.0.0, r.5.0) so that versions
		// r.0.x-r.4.x are vulnerable and r.5.0 fixes it.
		r := i / packages
		id := fmt.Sprintf("GHSA-bnch-%04x-%04x", i>>16, i&0xffff)
		rec := map[string]any{
			"schema_version": "1.6.0",
			"id":             id,
			"modified":       "2026-10-01T00:00:00Z",
			"published":      "2026-01-01T00:00:00Z",
			"aliases":        []string{fmt.Sprintf("CVE-2026-%d", 100000+i)},
			"summary":        "Synthetic advisory " + id,
			"details":        "Synthetic record for benchmarking; the text is long enough to look like a real advisory's details paragraph.",
			"severity":       []map[string]string{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}},
			"affected": []map[string]any{{
				"package": map[string]string{"ecosystem": "npm", "name": pkgName(pkg), "purl": "pkg:npm/" + pkgName(pkg)},
				"ranges": []map[string]any{{"type": "SEMVER", "events": []map[string]string{
					{"introduced": fmt.Sprintf("%d.0.0", r)}, {"fixed": fmt.Sprintf("%d.5.0", r)},
				}}},
			}},
		}
		if i%997 == 0 {
			rec["id"] = fmt.Sprintf("MAL-2026-%d", i)
			delete(rec, "severity")
			delete(rec, "aliases")
			rec["affected"].([]map[string]any)[0]["ranges"] = []map[string]any{{"type": "SEMVER", "events": []map[string]string{{"introduced": "0"}}}}
		}
		w, err := zw.Create(rec["id"].(string) + ".json")
		if err != nil {
			return err
		}
		if err := json.NewEncoder(w).Encode(rec); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// The lockfile: lock packages spread over the namespace; version
	// minor 0-19 so that about a quarter (minor < 5) are affected.
	pk := map[string]any{"": map[string]any{"name": "bench-app", "version": "1.0.0"}}
	deps := map[string]string{}
	for j := 0; j < lock; j++ {
		i := (j * (packages / lock)) % packages
		v := fmt.Sprintf("%d.%d.%d", rng.IntN(2), rng.IntN(20), rng.IntN(10))
		pk["node_modules/"+pkgName(i)] = map[string]any{
			"version":   v,
			"resolved":  "https://registry.npmjs.org/" + pkgName(i) + "/-/" + pkgName(i) + "-" + v + ".tgz",
			"integrity": "sha512-AAAA",
		}
		if j%10 == 0 {
			deps[pkgName(i)] = "^" + v
		}
	}
	pk[""].(map[string]any)["dependencies"] = deps
	repo := filepath.Join(out, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(map[string]any{"name": "bench-app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": pk}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(repo, "package-lock.json"), b, 0o644)
}

// zipRecords writes each ecosystem's records (by their first affected
// package) into the offline layout both tools read.
func zipRecords(src, out string) error {
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		return err
	}
	writers := map[string]*zip.Writer{}
	var closers []*os.File
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var rec struct {
			Affected []struct {
				Package struct{ Ecosystem string } `json:"package"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(b, &rec); err != nil || len(rec.Affected) == 0 {
			return fmt.Errorf("%s: not an OSV record with an affected package", file)
		}
		eco := rec.Affected[0].Package.Ecosystem
		zw := writers[eco]
		if zw == nil {
			dir := filepath.Join(out, "osv-scanner", eco)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			f, err := os.Create(filepath.Join(dir, "all.zip"))
			if err != nil {
				return err
			}
			closers = append(closers, f)
			zw = zip.NewWriter(f)
			writers[eco] = zw
		}
		w, err := zw.Create(filepath.Base(file))
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	for _, zw := range writers {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	for _, f := range closers {
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
