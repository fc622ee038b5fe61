package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/wardenhq/warden/internal/scan"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorWanted: colour only on a terminal, never with NO_COLOR set
// (https://no-color.org), --no-color or TERM=dumb.
func colorWanted(e *Env, w io.Writer, noColor bool) bool {
	if noColor || e.Getenv("NO_COLOR") != "" || e.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

// progressDelay: scans that finish sooner show no progress bar at all.
const progressDelay = time.Second

// startProgress draws a progress line on stderr while a scan runs, only
// when stderr is a terminal, CI is not set and the scan takes longer than
// progressDelay. The returned function stops it and clears the line.
func startProgress(e *Env, disabled bool, p *scan.Progress) (stop func()) {
	if disabled || e.Getenv("CI") != "" || !isTerminal(e.Stderr) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
			return
		case <-time.After(progressDelay):
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			drawProgress(e.Stderr, p)
			select {
			case <-done:
				fmt.Fprint(e.Stderr, "\r\x1b[2K")
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func drawProgress(w io.Writer, p *scan.Progress) {
	found, doneN := p.Found.Load(), p.Done.Load()
	const width = 30
	filled := 0
	if found > 0 {
		filled = int(doneN * width / found)
	}
	bar := make([]byte, width)
	for i := range bar {
		if i < filled {
			bar[i] = '#'
		} else {
			bar[i] = '.'
		}
	}
	fmt.Fprintf(w, "\r\x1b[2Kscanning [%s] %d/%d files, %.1f MB", bar, doneN, found, float64(p.Bytes.Load())/1e6)
}

// writeFileAtomic writes data to name through a temporary file in the same
// directory and a rename: readers see the old file or the whole new one,
// never part of it, and a failure leaves nothing behind.
func writeFileAtomic(name string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
