// Package state keeps what the agent guard remembers about a session
// between hook processes (each hook is its own process): whether a tool
// result carried prompt injection (taint) and which files the session
// changed. Each session is one append-only file of JSON lines under the
// state directory; appends of a single short line are atomic on local
// file systems, so concurrent hooks never lose each other's entries.
package state

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden/internal/agent"
)

// Dir is a Store rooted at a directory.
type Dir struct{ Path string }

// DefaultDir is $WARDEN_STATE_DIR, else $XDG_STATE_HOME/warden/sessions,
// else ~/.local/state/warden/sessions.
func DefaultDir(getenv func(string) string, home string) string {
	if d := getenv("WARDEN_STATE_DIR"); d != "" {
		return d
	}
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "warden", "sessions")
	}
	return filepath.Join(home, ".local", "state", "warden", "sessions")
}

type entry struct {
	Taint   string `json:"taint,omitempty"`
	Changed string `json:"changed,omitempty"`
}

func (d Dir) file(agentName, session string) string {
	sum := sha256.Sum256([]byte(agentName + "\x00" + session))
	return filepath.Join(d.Path, hex.EncodeToString(sum[:16])+".jsonl")
}

func (d Dir) Load(_ context.Context, agentName, session string) (agent.SessionState, error) {
	var st agent.SessionState
	f, err := os.Open(d.file(agentName, session))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// A torn or edited line: keep what is readable and stay strict.
			st.Tainted = true
			if st.TaintReason == "" {
				st.TaintReason = "session state damaged"
			}
			continue
		}
		if e.Taint != "" && !st.Tainted {
			st.Tainted, st.TaintReason = true, e.Taint
		}
		if e.Changed != "" && !seen[e.Changed] {
			seen[e.Changed] = true
			st.Changed = append(st.Changed, e.Changed)
		}
	}
	return st, sc.Err()
}

func (d Dir) append(agentName, session string, entries ...entry) error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return fmt.Errorf("session state: %w", err)
	}
	f, err := os.OpenFile(d.file(agentName, session), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("session state: %w", err)
	}
	for _, e := range entries {
		b, _ := json.Marshal(e)
		if _, err := f.Write(append(b, '\n')); err != nil {
			f.Close()
			return fmt.Errorf("session state: %w", err)
		}
	}
	return f.Close()
}

func (d Dir) Taint(_ context.Context, agentName, session, reason string) error {
	if reason == "" {
		reason = "prompt injection"
	}
	return d.append(agentName, session, entry{Taint: reason})
}

func (d Dir) AddChanged(_ context.Context, agentName, session string, paths ...string) error {
	es := make([]entry, len(paths))
	for i, p := range paths {
		es[i] = entry{Changed: p}
	}
	return d.append(agentName, session, es...)
}

func (d Dir) End(_ context.Context, agentName, session string) error {
	err := os.Remove(d.file(agentName, session))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
