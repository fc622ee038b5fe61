package popidx

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testNames = []string{
	"lodash", "react", "@types/node", "node-sass", "@babel/core", "mongoose",
	"@babel/parser", "left-pad", // targets
	"leftpad2", "obscure-thing", // known only
}

const testTargets = 8

func build(t testing.TB) *Index {
	t.Helper()
	b, err := Build(testNames, testTargets, "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Open(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// FindBytes is for names cut out of lockfiles: it must not allocate.
func TestFindBytesDoesNotAllocate(t *testing.T) {
	ix := build(t)
	// miss is longer than the 32 bytes a string conversion may keep on the stack.
	hit, miss := []byte(testNames[len(testNames)-1]), []byte("@scope/a-package-name-longer-than-32-bytes")
	if n := testing.AllocsPerRun(100, func() { ix.FindBytes(hit); ix.FindBytes(miss) }); n != 0 {
		t.Fatalf("FindBytes allocates %v times per call pair", n)
	}
}

func TestRoundTrip(t *testing.T) {
	ix := build(t)
	if ix.Len() != len(testNames) || ix.Targets() != testTargets || ix.Date() != "2026-11-23" {
		t.Fatalf("Len %d Targets %d Date %q", ix.Len(), ix.Targets(), ix.Date())
	}
	for i, n := range testNames {
		if got := ix.Name(i); got != n {
			t.Errorf("Name(%d) = %q, want %q", i, got, n)
		}
		if got := ix.Find(n); got != i {
			t.Errorf("Find(%q) = %d, want %d", n, got, i)
		}
		if got := ix.FindBytes([]byte(n)); got != i {
			t.Errorf("FindBytes(%q) = %d, want %d", n, got, i)
		}
	}
	for _, n := range []string{"", "lodas", "lodash ", "@types/nod", "reacts"} {
		if got := ix.Find(n); got != -1 {
			t.Errorf("Find(%q) = %d, want -1", n, got)
		}
	}
	all := func(tb Table, key string) []int {
		var out []int
		ix.Each(tb, key, func(i int) bool { out = append(out, i); return true })
		slices.Sort(out)
		return out
	}
	tests := []struct {
		table Table
		key   string
		want  []int
	}{
		{Sepless, "nodesass", []int{3}},
		{Sepless, "leftpad", []int{7}}, // "leftpad2" is known, not a target
		{Skeleton, "mongoose", []int{5}},
		{Skeleton, "lodash", []int{0}},
		{Scopes, "babel", []int{4}}, // the most popular @babel package only
		{Scopes, "types", []int{2}},
		{Dropped, "core", []int{4}},
		{Dropped, "node", nil}, // @types is named after the bare package
		{Bare, "node", []int{2}},
		{Bare, "parser", []int{6}},
		{Exact, "obscure-thing", []int{9}},
		{Sepless, "nothing", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, all(tt.table, tt.key)); diff != "" {
			t.Errorf("Each(%d, %q) (-want +got):\n%s", tt.table, tt.key, diff)
		}
	}
	if got := ix.First(Sepless, "nodesass"); got != 3 {
		t.Errorf("First(Sepless, nodesass) = %d", got)
	}
}

func TestKeys(t *testing.T) {
	tests := []struct{ in, sepless, skeleton string }{
		{"node-sass", "nodesass", "nodesass"},
		{"1odash", "1odash", "lodash"},
		{"rnongoose", "rnongoose", "mongoose"},
		{"@typess/node", "@typess/node", "@typess/node"},
		{"@b-abel/c0re", "@babel/c0re", "@babel/core"},
	}
	for _, tt := range tests {
		if got := SeplessOf(tt.in); got != tt.sepless {
			t.Errorf("SeplessOf(%q) = %q, want %q", tt.in, got, tt.sepless)
		}
		if got := SkeletonOf(tt.in); got != tt.skeleton {
			t.Errorf("SkeletonOf(%q) = %q, want %q", tt.in, got, tt.skeleton)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	if _, err := Build([]string{"a", "a"}, 1, ""); err == nil {
		t.Error("duplicate names accepted")
	}
	if _, err := Build([]string{"a", ""}, 1, ""); err == nil {
		t.Error("empty name accepted")
	}
	if _, err := Build([]string{"a"}, 2, ""); err == nil {
		t.Error("more targets than names accepted")
	}
}

func TestOpenRejectsCorrupt(t *testing.T) {
	good, err := Build(testNames, testTargets, "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	corrupt := func(f func(b []byte) []byte) string {
		return string(f(slices.Clone(good)))
	}
	tests := map[string]string{
		"empty":        "",
		"magic":        corrupt(func(b []byte) []byte { b[0] = 'X'; return b }),
		"version":      corrupt(func(b []byte) []byte { b[4] = 9; return b }),
		"truncated":    corrupt(func(b []byte) []byte { return b[:len(b)/2] }),
		"targets > n":  corrupt(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 99); return b }),
		"offsets":      corrupt(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[20:], 1<<30); return b }),
		"table slots":  corrupt(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[40:], 3); return b }),
		"slot width":   corrupt(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[32:], 3); return b }),
		"date bounds":  corrupt(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[28:], 1<<30); return b }),
		"name offsets": corrupt(func(b []byte) []byte { off := binary.LittleEndian.Uint32(b[20:]); b[off+1] = 0xff; return b }),
		"names end":    corrupt(func(b []byte) []byte { off := binary.LittleEndian.Uint32(b[20:]); b[off+4*10+3] = 0x7f; return b }),
	}
	for name, data := range tests {
		if _, err := Open(data); err == nil {
			t.Errorf("%s: Open accepted a corrupt index", name)
		}
	}
	// A damaged offset inside the table is caught where it is read.
	b := slices.Clone(good)
	off := binary.LittleEndian.Uint32(b[20:])
	binary.LittleEndian.PutUint32(b[off+4*3:], 1<<20)
	ix, err := Open(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := ix.Name(2); got != "" {
		t.Errorf("Name over a damaged offset = %q, want empty", got)
	}
	if got := ix.Name(3); got != "" {
		t.Errorf("Name over a damaged offset = %q, want empty", got)
	}
}

// FuzzOpen: whatever the bytes, Open either refuses them or returns an
// index whose lookups neither panic nor loop forever.
func FuzzOpen(f *testing.F) {
	good, err := Build(testNames, testTargets, "2026-11-23")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "lodash")
	f.Add(good[:40], "x")
	f.Add([]byte("WPOP"), "")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		ix, err := Open(string(data))
		if err != nil {
			return
		}
		ix.Find(key)
		ix.FindBytes([]byte(key))
		for tb := range NumTables {
			ix.Each(tb, key, func(int) bool { return true })
		}
		for i := range ix.Len() {
			ix.Name(i)
		}
	})
}

func TestDeletes(t *testing.T) {
	ix := build(t)
	tests := []struct {
		key  string
		want []int
	}{
		{"lodah", []int{0}},
		{"odash", []int{0}},
		{"mongose", []int{5}}, // one entry although two o's could go
		{"left-pd", []int{7}},
		{"leftpad", []int{7}},
		{"lodash", nil},
		{"lead", nil},
	}
	for _, tt := range tests {
		var got []int
		ix.Each(Deletes, tt.key, func(i int) bool { got = append(got, i); return true })
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Each(Deletes, %q) (-want +got):\n%s", tt.key, diff)
		}
	}
	for _, tt := range []struct {
		d, name string
		want    bool
	}{{"ab", "aab", true}, {"ab", "abc", true}, {"ab", "xab", true}, {"ab", "ba", false}, {"ab", "axbx", false}, {"", "a", true}} {
		if got := IsDeletion(tt.d, tt.name); got != tt.want {
			t.Errorf("IsDeletion(%q, %q) = %v", tt.d, tt.name, got)
		}
	}
}

// TestWideSlots: an index of more than 65,534 names uses 4-byte slots.
func TestWideSlots(t *testing.T) {
	names := make([]string, 70000)
	for i := range names {
		names[i] = fmt.Sprintf("pkg-%d", i)
	}
	b, err := Build(names, 100, "d")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Open(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if !ix.wide || binary.LittleEndian.Uint32(b[32:]) != 4 {
		t.Fatal("70,000 names: want 4-byte slots")
	}
	for _, i := range []int{0, 99, 65535, 69999} {
		if got := ix.Find(names[i]); got != i {
			t.Errorf("Find(%q) = %d, want %d", names[i], got, i)
		}
	}
	if got := ix.First(Sepless, "pkg99"); got != 99 {
		t.Errorf("First(Sepless, pkg99) = %d, want 99", got)
	}
}

func TestGoKeys(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/Sirupsen/logrus":      "github.com/sirupsen/logrus",
		"github.com/cespare/xxhash/v2":    "github.com/cespare/xxhash",
		"gopkg.in/yaml.v3":                "gopkg.in/yaml",
		"github.com/foo/bar.v2":           "github.com/foo/bar.v2", // only gopkg.in uses .vN
		"github.com/foo/v2ray":            "github.com/foo/v2ray",
		"github.com/foo/bar/v":            "github.com/foo/bar/v",
		"golang.org/x/sys":                "golang.org/x/sys",
		"k8s.io/client-go":                "k8s.io/client-go",
		"github.com/jackc/pgx/v5/pgxpool": "github.com/jackc/pgx/v5/pgxpool", // a package path, not a module's
	} {
		if got := NormalizeGo(in); got != want {
			t.Errorf("NormalizeGo(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"github.com/boltdb/bolt":       "github.com/bolt",
		"github.com/boltdb/bolt/cmd/x": "github.com/bolt",
		"gitlab.com/a/b":               "gitlab.com/b",
		"golang.org/x/sys":             "",
		"github.com/owner":             "",
	} {
		got, ok := Key(Repo, in)
		if ok != (want != "") || got != want {
			t.Errorf("Key(Repo, %q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
