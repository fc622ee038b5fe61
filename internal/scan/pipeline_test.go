package scan_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/scan"
)

// wordEngine reports every occurrence of word, one finding per line.
type wordEngine struct {
	name  string
	word  string
	wants func(string) bool
	reads atomic.Int64
	delay time.Duration
}

func (e *wordEngine) Name() string          { return e.name }
func (e *wordEngine) Rules() []finding.Rule { return nil }
func (e *wordEngine) Wants(p string) bool   { return e.wants == nil || e.wants(p) }
func (e *wordEngine) Scan(ctx context.Context, f scan.File, report func(finding.Finding)) error {
	e.reads.Add(1)
	if e.delay > 0 {
		select {
		case <-time.After(e.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i, line := range bytes.Split(f.Content, []byte("\n")) {
		if col := bytes.Index(line, []byte(e.word)); col >= 0 {
			report(finding.Finding{
				RuleID: e.name + "/" + e.word, Severity: finding.SeverityHigh, Message: "found " + e.word,
				Location:    finding.Location{Path: f.Path, StartLine: i + 1, StartColumn: col + 1},
				Snippet:     strings.TrimSpace(string(line)),
				Fingerprint: finding.Fingerprint(e.name+"/"+e.word, f.Path, string(line)),
			})
		}
	}
	return nil
}

type key struct {
	Path string
	Line int
	Rule string
	FP   string
}

func keys(fs []finding.Finding) []key {
	var out []key
	for _, f := range fs {
		out = append(out, key{f.Path, f.StartLine, f.RuleID, f.Fingerprint})
	}
	return out
}

func TestRunFindsAndOrdersDeterministically(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 60 {
		fsys[fmt.Sprintf("d%d/f%02d.txt", i%3, i)] = &fstest.MapFile{Data: []byte("ok\nTODO here\nok\nTODO again\n")}
	}
	var first []key
	for run := range 5 {
		eng := &wordEngine{name: "w", word: "TODO"}
		res, err := scan.Run(context.Background(), &scan.FSSource{FS: fsys}, scan.Options{Engines: []scan.Engine{eng}, Workers: 1 + run%3})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 120 {
			t.Fatalf("run %d: %d findings, want 120", run, len(res.Findings))
		}
		for i := 1; i < len(res.Findings); i++ {
			if !finding.Less(res.Findings[i-1], res.Findings[i]) {
				t.Fatalf("findings out of order at %d: %v then %v", i, keys(res.Findings[i-1:i]), keys(res.Findings[i:i+1]))
			}
		}
		if run == 0 {
			first = keys(res.Findings)
			if res.Stats.Files != 60 {
				t.Errorf("Stats.Files = %d, want 60", res.Stats.Files)
			}
			continue
		}
		if d := cmp.Diff(first, keys(res.Findings)); d != "" {
			t.Fatalf("run %d differs from run 0 (-first +now):\n%s", run, d)
		}
	}
}

func TestRunReadsEachFileOnceAndOnlyWhenWanted(t *testing.T) {
	fsys := fstest.MapFS{
		"a.go":       {Data: []byte("TODO\n")},
		"b.py":       {Data: []byte("TODO\n")},
		"c/lock.txt": {Data: []byte("TODO\n")},
	}
	counting := &countingSource{Source: &scan.FSSource{FS: fsys}}
	goOnly := &wordEngine{name: "go", word: "TODO", wants: func(p string) bool { return strings.HasSuffix(p, ".go") }}
	all := &wordEngine{name: "all", word: "TODO", wants: func(p string) bool { return !strings.HasSuffix(p, ".txt") }}
	res, err := scan.Run(context.Background(), counting, scan.Options{Engines: []scan.Engine{goOnly, all}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"a.go": 1, "b.py": 1}, counting.reads); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}
	if goOnly.reads.Load() != 1 || all.reads.Load() != 2 {
		t.Errorf("engine calls: go=%d all=%d, want 1 and 2", goOnly.reads.Load(), all.reads.Load())
	}
	want := []key{
		{"a.go", 1, "all/TODO", finding.Fingerprint("all/TODO", "a.go", "TODO")},
		{"a.go", 1, "go/TODO", finding.Fingerprint("go/TODO", "a.go", "TODO")},
		{"b.py", 1, "all/TODO", finding.Fingerprint("all/TODO", "b.py", "TODO")},
	}
	if diff := cmp.Diff(want, keys(res.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.Stats.Excluded != 1 || res.Stats.Files != 2 {
		t.Errorf("stats = %+v, want 2 files and 1 excluded", res.Stats)
	}
	for _, f := range res.Findings {
		if f.Engine == "" {
			t.Errorf("finding %s has no engine name", f.RuleID)
		}
	}
}

type countingSource struct {
	scan.Source
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingSource) ReadFile(p string, limit int64) ([]byte, error) {
	c.mu.Lock()
	if c.reads == nil {
		c.reads = map[string]int{}
	}
	c.reads[p]++
	c.mu.Unlock()
	return c.Source.ReadFile(p, limit)
}

func TestRunSkipsAndCounts(t *testing.T) {
	fsys := fstest.MapFS{
		"big.txt":          {Data: bytes.Repeat([]byte("TODO\n"), 100)},
		"bin.dat":          {Data: []byte("TODO\x00\x01")},
		"ok.txt":           {Data: []byte("TODO\n")},
		"vendor/x.txt":     {Data: []byte("TODO\n")},
		"gen/a.pb.go":      {Data: []byte("TODO\n")},
		"keep/ignored.log": {Data: []byte("TODO\n")},
		"dir.txt":          {Mode: os.ModeDir},
	}
	eng := &wordEngine{name: "w", word: "TODO"}
	res, err := scan.Run(context.Background(), &scan.FSSource{FS: fsys, List: []string{
		"big.txt", "bin.dat", "ok.txt", "vendor/x.txt", "gen/a.pb.go", "keep/ignored.log", "dir.txt", "gone.txt",
	}}, scan.Options{
		Engines:     []scan.Engine{eng},
		MaxFileSize: 100,
		Exclude:     []string{"vendor", "**/*.pb.go"},
		Ignore:      scan.ParseIgnore([]byte("*.log\n")),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := scan.Stats{Files: 1, Bytes: 5, Excluded: 4, Skipped: map[scan.SkipReason]int{
		scan.SkipTooLarge: 1, scan.SkipBinary: 1, scan.SkipNotRegular: 1,
	}}
	if d := cmp.Diff(want, res.Stats); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]key{{"ok.txt", 1, "w/TODO", finding.Fingerprint("w/TODO", "ok.txt", "TODO")}}, keys(res.Findings)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 2000 {
		fsys[fmt.Sprintf("f%04d.txt", i)] = &fstest.MapFile{Data: []byte("TODO\n")}
	}
	// Each file takes 50ms: the whole scan would take far longer than the
	// test; cancellation must end it promptly.
	eng := &wordEngine{name: "w", word: "TODO", delay: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	done := make(chan error, 1)
	go func() {
		_, err := scan.Run(ctx, &scan.FSSource{FS: fsys}, scan.Options{Engines: []scan.Engine{eng}, Workers: 2})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("scan did not stop after cancellation")
	}
	if n := eng.reads.Load(); n >= 2000 {
		t.Errorf("engine saw all %d files despite cancellation", n)
	}

	// Already cancelled: nothing is scanned.
	eng2 := &wordEngine{name: "w", word: "TODO"}
	_, err := scan.Run(ctx, &scan.FSSource{FS: fsys}, scan.Options{Engines: []scan.Engine{eng2}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("pre-cancelled: err = %v, want context.Canceled", err)
	}
}

type failingEngine struct{ wordEngine }

func (e *failingEngine) Scan(ctx context.Context, f scan.File, report func(finding.Finding)) error {
	if f.Path == "bad.txt" {
		return errors.New("boom")
	}
	return nil
}

func TestRunReportsEngineErrors(t *testing.T) {
	fsys := fstest.MapFS{"a.txt": {Data: []byte("x")}, "bad.txt": {Data: []byte("x")}}
	_, err := scan.Run(context.Background(), &scan.FSSource{FS: fsys}, scan.Options{Engines: []scan.Engine{&failingEngine{wordEngine{name: "f"}}}})
	if err == nil || !strings.Contains(err.Error(), "engine f on bad.txt: boom") {
		t.Fatalf("err = %v, want it to name the engine and file", err)
	}
	_, err = scan.Run(context.Background(), &scan.FSSource{FS: fsys}, scan.Options{Exclude: []string{"[bad"}})
	if err == nil || !strings.Contains(err.Error(), `"[bad"`) {
		t.Fatalf("bad exclude: err = %v", err)
	}
}

func TestFingerprintsAreUniquePerFile(t *testing.T) {
	fsys := fstest.MapFS{
		"a.txt": {Data: []byte("TODO\nx\nTODO\nTODO\n")},
		"b.txt": {Data: []byte("TODO\n")},
	}
	res, err := scan.Run(context.Background(), &scan.FSSource{FS: fsys}, scan.Options{Engines: []scan.Engine{&wordEngine{name: "w", word: "TODO"}}})
	if err != nil {
		t.Fatal(err)
	}
	fp := finding.Fingerprint("w/TODO", "a.txt", "TODO")
	fpb := finding.Fingerprint("w/TODO", "b.txt", "TODO")
	want := []key{{"a.txt", 1, "w/TODO", fp}, {"a.txt", 3, "w/TODO", fp + "-2"}, {"a.txt", 4, "w/TODO", fp + "-3"}, {"b.txt", 1, "w/TODO", fpb}}
	if d := cmp.Diff(want, keys(res.Findings)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	// Moving unrelated lines keeps every fingerprint.
	fsys["a.txt"] = &fstest.MapFile{Data: []byte("new\nnew\nTODO\nx\ny\nTODO\nTODO\n")}
	res, err = scan.Run(context.Background(), &scan.FSSource{FS: fsys}, scan.Options{Engines: []scan.Engine{&wordEngine{name: "w", word: "TODO"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Fingerprint)
	}
	if d := cmp.Diff([]string{fp, fp + "-2", fp + "-3", fpb}, got); d != "" {
		t.Errorf("fingerprints changed when lines moved (-want +got):\n%s", d)
	}
}

type finisher struct {
	wordEngine
	seen atomic.Int64
}

func (f *finisher) Finish(ctx context.Context, report func(finding.Finding)) error {
	report(finding.Finding{RuleID: "fin/summary", Severity: finding.SeverityLow, Message: fmt.Sprintf("saw %d", f.seen.Load()),
		Location: finding.Location{Path: "go.mod"}})
	report(finding.Finding{RuleID: "fin/other", Severity: finding.SeverityLow, Location: finding.Location{Path: "other.txt", StartLine: 2}})
	return nil
}

func (f *finisher) Scan(ctx context.Context, fl scan.File, report func(finding.Finding)) error {
	f.seen.Add(1)
	return nil
}

func TestFinisherRunsAfterFilesAndRespectsLines(t *testing.T) {
	fsys := fstest.MapFS{"go.mod": {Data: []byte("module x\n")}, "other.txt": {Data: []byte("a\nb\n")}, "z.txt": {Data: []byte("z")}}
	e := &finisher{wordEngine: wordEngine{name: "fin"}}
	res, err := scan.Run(context.Background(), &scan.FSSource{FS: fsys}, scan.Options{Engines: []scan.Engine{e}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || res.Findings[0].Message != "saw 3" || res.Findings[0].Engine != "fin" {
		t.Fatalf("findings = %+v", res.Findings)
	}
	// With a diff that touches go.mod only, the other.txt finding goes.
	res, err = scan.Run(context.Background(), &scan.FSSource{FS: fsys, List: []string{"go.mod"}}, scan.Options{
		Engines: []scan.Engine{&finisher{wordEngine: wordEngine{name: "fin"}}},
		Lines: func(p string) (scan.LineSet, bool) {
			if p == "go.mod" {
				return scan.LineSet{1: {}}, true
			}
			return nil, false
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]key{{"go.mod", 0, "fin/summary", res.Findings[0].Fingerprint}}, keys(res.Findings)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestLinesFilter(t *testing.T) {
	fsys := fstest.MapFS{
		"a.txt": {Data: []byte("TODO\nTODO\nTODO\n")},
		"b.txt": {Data: []byte("TODO\n")},
		"c.txt": {Data: []byte("TODO\n")},
	}
	changes := map[string]scan.LineSet{"a.txt": {2: {}}, "c.txt": nil}
	res, err := scan.Run(context.Background(), &scan.FSSource{FS: fsys}, scan.Options{
		Engines: []scan.Engine{&wordEngine{name: "w", word: "TODO"}},
		Lines: func(p string) (scan.LineSet, bool) {
			s, ok := changes[p]
			return s, ok
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%d", f.Path, f.StartLine))
	}
	if d := cmp.Diff([]string{"a.txt:2", "c.txt:1"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestFSSourceOverRootStaysInside(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("TODO outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "escape.txt")); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := scan.Run(context.Background(), &scan.FSSource{FS: r.FS(), List: []string{"escape.txt"}}, scan.Options{Engines: []scan.Engine{&wordEngine{name: "w", word: "TODO"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || res.Stats.Skipped[scan.SkipNotRegular] != 1 {
		t.Errorf("findings %v stats %+v", keys(res.Findings), res.Stats)
	}
}

func TestMapSource(t *testing.T) {
	src := scan.MapSource{"b.txt": []byte("TODO\n"), "a.txt": []byte("TODO TODO TODO TODO\n")}
	res, err := scan.Run(context.Background(), src, scan.Options{Engines: []scan.Engine{&wordEngine{name: "w", word: "TODO"}}, MaxFileSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Path != "b.txt" || res.Stats.Skipped[scan.SkipTooLarge] != 1 {
		t.Errorf("findings %v stats %+v", keys(res.Findings), res.Stats)
	}
}
