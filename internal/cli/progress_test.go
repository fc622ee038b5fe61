//go:build linux

package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wardenhq/warden/internal/scan"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	// Non-blocking, so that os.File uses the poller and read deadlines work.
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal on this machine: %v", err)
	}
	m := os.NewFile(uintptr(fd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

func drain(t *testing.T, m *os.File) string {
	t.Helper()
	var out bytes.Buffer
	buf := make([]byte, 4096)
	// Whatever arrives within 300ms.
	if err := m.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := m.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			return out.String()
		}
	}
}

func TestProgressOnlyOnATerminalOutsideCIAfterASecond(t *testing.T) {
	env := func(stderr *os.File, vars map[string]string) *Env {
		return &Env{Stderr: stderr, Getenv: func(k string) string { return vars[k] }}
	}
	p := &scan.Progress{}
	p.Found.Store(10)
	p.Done.Store(4)

	// A terminal, a long scan: the bar is drawn (waiting for it at most
	// 20s on a loaded machine), then cleared.
	m, s := openPTY(t)
	stop := startProgress(env(s, nil), false, p)
	time.Sleep(progressDelay)
	var got string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !strings.Contains(got, "files"); {
		got += drain(t, m)
	}
	stop()
	got += drain(t, m)
	if !strings.Contains(got, "scanning [") || !strings.Contains(got, "4/10 files") || !strings.HasSuffix(got, "\r\x1b[2K") {
		t.Errorf("no progress bar (drawn then cleared) on a terminal after %v: %q", progressDelay, got)
	}

	// A short scan shows nothing.
	m, s = openPTY(t)
	stop = startProgress(env(s, nil), false, p)
	stop()
	if got := drain(t, m); got != "" {
		t.Errorf("progress shown for a short scan: %q", got)
	}

	// CI set, or --no-progress: nothing, however long.
	for name, tc := range map[string]struct {
		vars     map[string]string
		disabled bool
	}{
		"CI":            {map[string]string{"CI": "true"}, false},
		"--no-progress": {nil, true},
	} {
		m, s = openPTY(t)
		stop = startProgress(env(s, tc.vars), tc.disabled, p)
		time.Sleep(progressDelay + 300*time.Millisecond)
		stop()
		if got := drain(t, m); got != "" {
			t.Errorf("%s: progress shown: %q", name, got)
		}
	}

	// Not a terminal: nothing.
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	stop = startProgress(env(f, nil), false, p)
	time.Sleep(progressDelay + 300*time.Millisecond)
	stop()
	if fi, _ := f.Stat(); fi.Size() != 0 {
		t.Errorf("progress written to a file (%d bytes)", fi.Size())
	}
}

func TestColorOnlyOnATerminalWithoutNOCOLOR(t *testing.T) {
	_, s := openPTY(t)
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w       *os.File
		vars    map[string]string
		noColor bool
		want    bool
	}{
		{s, nil, false, true},
		{s, map[string]string{"NO_COLOR": "1"}, false, false},
		{s, map[string]string{"TERM": "dumb"}, false, false},
		{s, nil, true, false},
		{f, nil, false, false},
	} {
		e := &Env{Getenv: func(k string) string { return tc.vars[k] }}
		if got := colorWanted(e, tc.w, tc.noColor); got != tc.want {
			t.Errorf("colorWanted(terminal=%v, %v, --no-color=%v) = %v", tc.w == s, tc.vars, tc.noColor, got)
		}
	}
}
