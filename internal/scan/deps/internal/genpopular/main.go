// Command genpopular builds popular/*.idx, the list of popular package
// names that the typosquat check compares against, from package lists in
// the shape of warden's build environment:
//
//	npm.tsv:  name, version, downloads_a_month, summary
//	pypi.tsv: name, version, month, rank_among_15000_most_downloaded, summary
//
// It keeps the top -npm names by monthly downloads and every PyPI name with
// a download rank, most popular first, and records the lists' date. The Go
// index comes from the go.mod files of a Go module download cache, ranked
// by dependents (gomod.go). Run it
// with `go generate ./internal/scan/deps` (see docs/DEPENDENCIES.md).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/scan/deps/internal/popidx"
)

func main() {
	dir := flag.String("lists", os.Getenv("WARDEN_PACKAGE_LISTS"), "directory holding npm.tsv and pypi.tsv")
	out := flag.String("o", "popular", "output directory (one index per ecosystem)")
	nNPM := flag.Int("npm", 12000, "how many npm names to compare against (typosquat targets)")
	nPyPI := flag.Int("pypi", 8000, "how many PyPI names to compare against (typosquat targets)")
	kNPM := flag.Int("npm-known", 40000, "how many npm names count as known, never suspects")
	kPyPI := flag.Int("pypi-known", 15000, "how many PyPI names count as known, never suspects")
	date := flag.String("date", "", "date of the lists (default: the npm.tsv modification day)")
	goCache := flag.String("go-mod-cache", "", "Go module download cache whose go.mod files give the Go data (default: $(go env GOMODCACHE)/cache/download)")
	goMin := flag.Int("go-min-dependents", 2, "Go modules required by at least this many modules of the cache are compared against")
	flag.Parse()
	if *dir == "" {
		*dir = "/work/.library/env/packages"
	}
	if *goCache == "" {
		gm, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			fmt.Fprintln(os.Stderr, "genpopular: go env GOMODCACHE:", err)
			os.Exit(1)
		}
		*goCache = filepath.Join(strings.TrimSpace(string(gm)), "cache", "download")
	}
	if err := run(*dir, *out, *nNPM, *nPyPI, *kNPM, *kPyPI, *date); err != nil {
		fmt.Fprintln(os.Stderr, "genpopular:", err)
		os.Exit(1)
	}
	if err := runGo(*goCache, *out, *goMin); err != nil {
		fmt.Fprintln(os.Stderr, "genpopular:", err)
		os.Exit(1)
	}
}

type entry struct {
	name  string
	score float64 // higher is more popular
}

func readTSV(file string, nameCol, scoreCol int, rank bool) ([]entry, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var out []entry
	seen := map[string]bool{}
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) <= max(nameCol, scoreCol) {
			continue
		}
		name := strings.TrimSpace(cols[nameCol])
		v, err := strconv.ParseFloat(strings.TrimSpace(cols[scoreCol]), 64)
		if err != nil || name == "" || seen[name] || strings.ContainsAny(name, " \t") {
			continue
		}
		seen[name] = true
		if rank {
			v = -v
		}
		out = append(out, entry{name, v})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b entry) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

var pypiSep = regexp.MustCompile(`[-_.]+`)

// normalize is what the check compares: npm names lower-cased, PyPI names
// PEP 503 normalized.
func normalize(eco, name string) string {
	name = strings.ToLower(name)
	if eco == "PyPI" {
		return pypiSep.ReplaceAllString(name, "-")
	}
	return name
}

func run(dir, out string, nNPM, nPyPI, kNPM, kPyPI int, date string) error {
	npmFile := filepath.Join(dir, "npm.tsv")
	npm, err := readTSV(npmFile, 0, 2, false)
	if err != nil {
		return err
	}
	pypi, err := readTSV(filepath.Join(dir, "pypi.tsv"), 0, 3, true)
	if err != nil {
		return err
	}
	if date == "" {
		st, err := os.Stat(npmFile)
		if err != nil {
			return err
		}
		date = st.ModTime().UTC().Format(time.DateOnly)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// Each ecosystem's index holds its names normalized as the check
	// compares them (npm lower case, PyPI PEP 503), most popular first:
	// the first n are the names typosquats are compared against, the
	// rest up to k merely known to exist (never suspects).
	for _, sec := range []struct {
		eco, file string
		list      []entry
		n, k      int
	}{{"npm", "npm.idx", npm, nNPM, kNPM}, {"PyPI", "pypi.idx", pypi, nPyPI, kPyPI}} {
		var names []string
		seen := map[string]bool{}
		for _, e := range sec.list {
			n := normalize(sec.eco, e.name)
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
			if len(names) == sec.k {
				break
			}
		}
		b, err := popidx.Build(names, min(sec.n, len(names)), date)
		if err != nil {
			return fmt.Errorf("%s: %w", sec.eco, err)
		}
		if err := os.WriteFile(filepath.Join(out, sec.file), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
