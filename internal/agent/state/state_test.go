package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDirRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := Dir{Path: filepath.Join(t.TempDir(), "sessions")}
	st, err := d.Load(ctx, "claude", "s1")
	if err != nil || st.Tainted || len(st.Changed) != 0 {
		t.Fatalf("fresh session = %+v, %v", st, err)
	}
	if err := d.AddChanged(ctx, "claude", "s1", "/p/a.go", "/p/b.go", "/p/a.go"); err != nil {
		t.Fatal(err)
	}
	if err := d.Taint(ctx, "claude", "s1", "instruction-override"); err != nil {
		t.Fatal(err)
	}
	st, err = d.Load(ctx, "claude", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Tainted || st.TaintReason != "instruction-override" || !cmp.Equal(st.Changed, []string{"/p/a.go", "/p/b.go"}) {
		t.Errorf("state = %+v", st)
	}
	// Sessions and agents are kept apart.
	if other, _ := d.Load(ctx, "gemini", "s1"); other.Tainted {
		t.Error("another agent's session is tainted")
	}
	if err := d.End(ctx, "claude", "s1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := d.Load(ctx, "claude", "s1"); st.Tainted {
		t.Error("ended session still tainted")
	}
	if err := d.End(ctx, "claude", "never"); err != nil {
		t.Errorf("ending an unknown session: %v", err)
	}
}

func TestDirDamagedStateStaysStrict(t *testing.T) {
	ctx := context.Background()
	d := Dir{Path: t.TempDir()}
	if err := d.AddChanged(ctx, "codex", "s", "/p/x"); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(d.file("codex", "s"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{\"tai")
	f.Close()
	st, err := d.Load(ctx, "codex", "s")
	if err != nil || !st.Tainted || len(st.Changed) != 1 {
		t.Errorf("damaged state = %+v, %v; want tainted and the readable entry kept", st, err)
	}
}

func TestDirConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var wg sync.WaitGroup
	const n = 50
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each hook process has its own Dir value and file handle.
			d := Dir{Path: dir}
			if err := d.AddChanged(ctx, "claude", "s", fmt.Sprintf("/p/f%02d.go", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, err := Dir{Path: dir}.Load(ctx, "claude", "s")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(st.Changed)
	if len(st.Changed) != n || st.Tainted {
		t.Errorf("got %d entries (tainted %v), want %d intact", len(st.Changed), st.Tainted, n)
	}
}
