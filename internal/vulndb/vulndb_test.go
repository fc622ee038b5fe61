package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var built = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const testRecords = "../scan/deps/testdata/osv"

func importTestDB(t *testing.T) (*DB, Meta) {
	t.Helper()
	dir := t.TempDir()
	meta, err := Import(context.Background(), dir, testRecords, built)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, meta
}

func TestImportDirAndLookup(t *testing.T) {
	t.Run("mapped", testImportDirAndLookup)
	t.Run("read", func(t *testing.T) {
		mapIndex = func(*os.File, int64) ([]byte, error) { return nil, errors.ErrUnsupported }
		t.Cleanup(func() { mapIndex = mapFile })
		testImportDirAndLookup(t)
	})
}

func testImportDirAndLookup(t *testing.T) {
	db, meta := importTestDB(t)
	if (db.data != nil) != (t.Name() == "TestImportDirAndLookup/mapped") {
		t.Errorf("%s: mapped = %v", t.Name(), db.data != nil)
	}
	if meta.Withdrawn != 1 {
		t.Errorf("withdrawn = %d, want 1 (the withdrawn express record)", meta.Withdrawn)
	}
	if got := meta.Ecosystems["npm"].Records; got != 5 {
		t.Errorf("npm records = %d, want 5", got)
	}
	if !db.Meta().Built.Equal(built) {
		t.Errorf("built = %v, want %v", db.Meta().Built, built)
	}
	tests := []struct {
		eco, name string
		want      []string
	}{
		{"npm", "lodash", []string{"GHSA-test-lodash-0001", "OSV-2021-0002"}},
		{"npm", "express", nil}, // withdrawn
		{"npm", "Lodash", nil},  // npm names are case-sensitive
		{"PyPI", "django", []string{"PYSEC-test-django-0001"}},
		{"PyPI", "DJANGO", []string{"PYSEC-test-django-0001"}},
		{"Go", "golang.org/x/net", []string{"GO-test-0001"}},
		{"Maven", "org.apache.logging.log4j:log4j-core", []string{"GHSA-test-log4j-0001"}},
		{"npm", "nonexistent", nil},
		{"crates.io", "lodash", nil},
	}
	for _, tt := range tests {
		recs, err := db.Lookup(tt.eco, tt.name)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.ID)
			if len(r.Affected) == 0 {
				t.Errorf("%s: record %s has no affected entries", tt.name, r.ID)
			}
		}
		if diff := cmp.Diff(tt.want, ids); diff != "" {
			t.Errorf("Lookup(%s, %s) (-want +got):\n%s", tt.eco, tt.name, diff)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for _, tt := range []struct{ eco, in, want string }{
		{"PyPI", "Foo.Bar__baz", "foo-bar-baz"},
		{"PyPI", "zope.interface", "zope-interface"},
		{"Packagist", "Guzzle/Guzzle", "guzzle/guzzle"},
		{"npm", "React", "React"},
		{"Go", "github.com/Foo/bar", "github.com/Foo/bar"},
	} {
		if got := NormalizeName(tt.eco, tt.in); got != tt.want {
			t.Errorf("NormalizeName(%s, %s) = %s, want %s", tt.eco, tt.in, got, tt.want)
		}
	}
}

func makeZip(t testing.TB, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func record(id, eco, name string) string {
	return fmt.Sprintf(`{"id":%q,"modified":"2026-10-01T00:00:00Z","affected":[{"package":{"ecosystem":%q,"name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`, id, eco, name)
}

type fakeFetcher map[string][]byte

func (f fakeFetcher) Fetch(_ context.Context, url string) (io.ReadCloser, error) {
	b, ok := f[url]
	if !ok {
		return nil, fmt.Errorf("GET %s: 404 Not Found", url)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func TestUpdateSwapsOnlyWhenEverythingVerifies(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	good := fakeFetcher{
		"http://mirror/npm/all.zip":  makeZip(t, map[string]string{"A-1.json": record("A-1", "npm", "a"), "A-2.json": record("A-2", "npm", "b")}),
		"http://mirror/PyPI/all.zip": makeZip(t, map[string]string{"P-1.json": record("P-1", "PyPI", "Some_Pkg")}),
	}
	meta, err := Update(ctx, dir, "http://mirror/", []string{"npm", "PyPI"}, good, built)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Records() != 3 || meta.Source != "http://mirror" {
		t.Fatalf("meta = %+v", meta)
	}
	// A damaged archive: one member is not JSON. The old database must stay.
	bad := fakeFetcher{
		"http://mirror/npm/all.zip":  makeZip(t, map[string]string{"A-1.json": record("A-1", "npm", "a"), "A-3.json": `{"id": "A-3", "affected": [`}),
		"http://mirror/PyPI/all.zip": good["http://mirror/PyPI/all.zip"],
	}
	_, err = Update(ctx, dir, "http://mirror", []string{"npm", "PyPI"}, bad, built.Add(time.Hour))
	if err == nil || !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "A-3.json") {
		t.Fatalf("update with a bad record: err = %v, want ErrInvalidRecord naming A-3.json", err)
	}
	truncated := fakeFetcher{"http://mirror/npm/all.zip": good["http://mirror/npm/all.zip"][:40]}
	if _, err := Update(ctx, dir, "http://mirror", []string{"npm"}, truncated, built); err == nil || !strings.Contains(err.Error(), "not a zip archive") {
		t.Fatalf("truncated archive: err = %v", err)
	}
	if _, err := Update(ctx, dir, "http://mirror", []string{"Hex"}, good, built); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing archive: err = %v", err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !db.Meta().Built.Equal(built) || db.Meta().Records() != 3 {
		t.Errorf("failed updates changed the database: %+v", db.Meta())
	}
	recs, _ := db.Lookup("PyPI", "some-pkg")
	if len(recs) != 1 {
		t.Errorf("PyPI some-pkg: %d records, want 1 (PEP 503 normalized)", len(recs))
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestImportZipAndErrors(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "all.zip")
	os.WriteFile(src, makeZip(t, map[string]string{"X-1.json": record("X-1", "Go", "example.com/m"), "README": "ignored"}), 0o644)
	meta, err := Import(context.Background(), dir, src, built)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Ecosystems["Go"].Records != 1 {
		t.Errorf("meta = %+v", meta)
	}
	empty := t.TempDir()
	if _, err := Import(context.Background(), t.TempDir(), empty, built); err == nil || !strings.Contains(err.Error(), "holds no OSV records") {
		t.Errorf("empty dir: err = %v", err)
	}
	if _, err := Import(context.Background(), t.TempDir(), filepath.Join(empty, "missing"), built); err == nil {
		t.Error("missing source: no error")
	}
	noID := t.TempDir()
	os.WriteFile(filepath.Join(noID, "x.json"), []byte(`{"affected":[]}`), 0o644)
	if _, err := Import(context.Background(), t.TempDir(), noID, built); err == nil || !strings.Contains(err.Error(), "no id") {
		t.Errorf("record without id: err = %v", err)
	}
}

func TestOpenMissingAndCorrupt(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("empty dir: err = %v, want ErrNoDatabase", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, File), []byte("WARDENDB\x02\x00\x00\x00\xff\xff\xff\x00"), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt file: err = %v", err)
	}
}

// FuzzOpen feeds the index reader arbitrary files: it must refuse them
// with an error, never panic or read out of bounds on Lookup.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	b := NewBuilder("fuzz")
	b.AddJSON("a", []byte(record("A-1", "npm", "a")))
	if _, err := b.WriteDir(dir, built); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(filepath.Join(dir, File))
	f.Add(seed)
	f.Add([]byte("WARDENDB"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, File), data, 0o644)
		db, err := Open(d)
		if err != nil {
			return
		}
		defer db.Close()
		db.Lookup("npm", "a")
		db.Lookup("PyPI", "zzz")
	})
}

// FuzzAddJSON: any bytes are a record or an error.
func FuzzAddJSON(f *testing.F) {
	f.Add([]byte(record("A-1", "npm", "a")))
	f.Add([]byte(`{"id":"x","withdrawn":"2020-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = NewBuilder("fuzz").AddJSON("x", data)
	})
}

// TestCodecRoundTrip: what the index stores is what a lookup returns.
func TestCodecRoundTrip(t *testing.T) {
	pub := time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)
	in := []Vulnerability{{
		ID: "GHSA-x", Aliases: []string{"CVE-1", "CVE-2"}, Summary: "s", Published: pub, Modified: pub.Add(time.Hour),
		Severity:         []Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N"}},
		DatabaseSpecific: &DatabaseSpecific{Severity: "HIGH"},
		Affected: []Affected{{
			Package:  Package{Ecosystem: "npm", Name: "a"},
			Ranges:   []Range{{Type: "SEMVER", Events: []Event{{Introduced: "0"}, {Fixed: "1.0.0"}, {LastAffected: "2"}, {Limit: "3"}}}},
			Versions: []string{"0.1.0"}, DatabaseSpecific: &DatabaseSpecific{Severity: "LOW"},
		}},
	}, {ID: "MAL-1", Affected: []Affected{{Package: Package{Ecosystem: "npm", Name: "a"}}}}}
	var recs [][]byte
	for i := range in {
		recs = append(recs, encodeRecord(nil, &in[i]))
	}
	out, err := decodeBlob(encodeBlob(recs))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	blob := encodeBlob(recs)
	for i := 0; i < len(blob); i++ {
		if _, err := decodeBlob(blob[:i]); err == nil {
			t.Fatalf("truncated blob (%d of %d bytes) decoded without error", i, len(blob))
		}
	}
}

func FuzzDecodeBlob(f *testing.F) {
	v := Vulnerability{ID: "A", Affected: []Affected{{Package: Package{Ecosystem: "npm", Name: "a"}, Ranges: []Range{{Type: "SEMVER", Events: []Event{{Introduced: "0"}}}}}}}
	f.Add(encodeBlob([][]byte{encodeRecord(nil, &v)}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeBlob(b)
	})
}
