package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func osvZip(t *testing.T, records map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range records {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDBUpdate runs `warden db update` against a local mirror: it fetches
// BASE/ECOSYSTEM/all.zip for each ecosystem, and a failing mirror leaves
// the database as it was.
func TestDBUpdate(t *testing.T) {
	npm := osvZip(t, map[string]string{"GHSA-1.json": `{"id":"GHSA-1","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"versions":["1.0.0"]}]}`})
	pypi := osvZip(t, map[string]string{"PYSEC-1.json": `{"id":"PYSEC-1","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"versions":["1.0.0"]}]}`})
	var mu sync.Mutex
	var requested []string
	broken := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requested = append(requested, r.URL.Path)
		b := broken
		mu.Unlock()
		switch {
		case b:
			http.Error(w, "boom", http.StatusInternalServerError)
		case r.URL.Path == "/osv/npm/all.zip":
			w.Write(npm)
		case r.URL.Path == "/osv/PyPI/all.zip":
			w.Write(pypi)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: t.TempDir(),
			Getenv: func(k string) string {
				if k == "WARDEN_DB_DIR" {
					return dir
				}
				return ""
			}}
		code := Main(context.Background(), args, env)
		return code, out.String(), errb.String()
	}
	code, out, errOut := run("db", "update", "--url", srv.URL+"/osv/", "--ecosystem", "npm,PyPI")
	if code != 0 {
		t.Fatalf("update: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "updated "+filepath.Join(dir, "osv.idx")+": 2 records") {
		t.Errorf("update output: %q", out)
	}
	if strings.Join(requested, " ") != "/osv/npm/all.zip /osv/PyPI/all.zip" {
		t.Errorf("requested %v", requested)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "osv.idx"))

	mu.Lock()
	broken = true
	mu.Unlock()
	code, _, errOut = run("db", "update", "--url", srv.URL+"/osv", "--ecosystem", "npm")
	if code != ExitInternal || !strings.Contains(errOut, "the current database is unchanged") || !strings.Contains(errOut, "500") {
		t.Errorf("update from a failing mirror: exit %d, stderr %q", code, errOut)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "osv.idx"))
	if !bytes.Equal(before, after) {
		t.Error("a failed update changed the database")
	}

	code, _, errOut = run("db", "update", "--url", "ftp://x")
	if code != ExitUsage || !strings.Contains(errOut, "want an https://, http:// or file:// URL") {
		t.Errorf("bad url: exit %d, %q", code, errOut)
	}
	code, _, errOut = run("db", "update", "--url", srv.URL, "--ecosystem", "../x")
	if code != ExitUsage {
		t.Errorf("bad ecosystem: exit %d, %q", code, errOut)
	}
	// A mirror on disk: file://DIR/ECOSYSTEM/all.zip.
	mirror := t.TempDir()
	os.MkdirAll(filepath.Join(mirror, "npm"), 0o755)
	os.WriteFile(filepath.Join(mirror, "npm", "all.zip"), npm, 0o644)
	if code, out, errOut := run("db", "update", "--url", "file://"+filepath.ToSlash(mirror), "--ecosystem", "npm"); code != 0 || !strings.Contains(out, ": 1 records") {
		t.Errorf("file:// mirror: exit %d\n%s%s", code, out, errOut)
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	if code, _, errOut := run("db", "update", "--url", srv.URL+"/osv/", "--ecosystem", "npm,PyPI"); code != 0 {
		t.Fatalf("update: exit %d %s", code, errOut)
	}
	code, out, _ = run("db", "status")
	if code != 0 || !strings.Contains(out, "records:  2") || !strings.Contains(out, "source:   "+srv.URL+"/osv") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
}
