package agenttest

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Recorded is one recorded hook payload (testdata/hook/AGENT/NAME.json).
type Recorded struct {
	Agent, Name string
	// Input is the payload with $PROJECT replaced by the project directory.
	Input string
}

// RecordedPayloads reads every dir/AGENT/*.json, with $PROJECT replaced by
// proj (slash-separated). It fails the test when there is none.
func RecordedPayloads(t testing.TB, dir, proj string) []Recorded {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	out := make([]Recorded, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Recorded{
			Agent: filepath.Base(filepath.Dir(f)),
			Name:  filepath.Base(f),
			Input: strings.ReplaceAll(string(raw), "$PROJECT", filepath.ToSlash(proj)),
		})
	}
	return out
}

// SuiteCommand is a shell command of the agent guard's labelled suite
// (internal/agent/testdata/actions.tsv) and the line it is on.
type SuiteCommand struct {
	Line    int
	Command string
}

// SuiteCommands returns the suite's shell commands ("exec" rows) on every
// line number divisible by every, unescaped (\n, \t, \\).
func SuiteCommands(t testing.TB, every int) []SuiteCommand {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("agenttest: cannot locate the labelled suite")
	}
	f, err := os.Open(filepath.Join(filepath.Dir(self), "..", "testdata", "actions.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unescape := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`)
	var out []SuiteCommand
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || cols[1] != "exec" || n%every != 0 {
			continue
		}
		out = append(out, SuiteCommand{Line: n, Command: unescape.Replace(cols[2])})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
