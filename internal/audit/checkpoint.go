package audit

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// CheckpointOrigin is the first line of every checkpoint note (the
// C2SP tlog-checkpoint "origin"), naming what the tree is a tree of.
const CheckpointOrigin = "warden audit log v1"

// DefaultKeyName names keys made by GenerateKey when no name is given.
const DefaultKeyName = "warden-audit"

// Checkpoint is a signed statement that the log's first Size events hash to
// Root (a tlog/RFC 6962 Merkle tree hash of the event lines).
type Checkpoint struct {
	Size int64
	Root tlog.Hash
}

func (c Checkpoint) text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", CheckpointOrigin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// signCheckpoint renders c as a signed note.
func signCheckpoint(c Checkpoint, s note.Signer) (string, error) {
	msg, err := note.Sign(&note.Note{Text: c.text()}, s)
	if err != nil {
		return "", fmt.Errorf("signing audit checkpoint: %w", err)
	}
	return string(msg), nil
}

// parseCheckpointText reads a checkpoint body (without signatures).
func parseCheckpointText(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[0] != CheckpointOrigin || lines[len(lines)-1] != "" {
		return Checkpoint{}, fmt.Errorf("not a warden audit checkpoint")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint tree size %q is not a number", lines[1])
	}
	b, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(b) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("checkpoint root hash %q is not valid", lines[2])
	}
	c := Checkpoint{Size: n}
	copy(c.Root[:], b)
	return c, nil
}

// OpenCheckpoint verifies a signed checkpoint note with the public key and
// returns what it states. A note signed by another key, or altered after
// signing, is an error.
func OpenCheckpoint(msg string, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open([]byte(msg), note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature does not verify with key %s: %v", v.Name(), err)
	}
	return parseCheckpointText(n.Text)
}

// GenerateKey makes an ed25519 key pair in the signed-note encoding: skey is
// the private signing key ("PRIVATE+KEY+name+..."), vkey the public
// verifier key that can be committed.
func GenerateKey(random io.Reader, name string) (skey, vkey string, err error) {
	if name == "" {
		name = DefaultKeyName
	}
	if random == nil {
		random = rand.Reader
	}
	skey, vkey, err = note.GenerateKey(random, name)
	if err != nil {
		return "", "", fmt.Errorf("generating audit key %q: %w", name, err)
	}
	return skey, vkey, nil
}

// LoadSigner reads a private signing key file. The file must not be
// readable by group or others (mode 0600 or stricter), as for an SSH key.
// The error never contains the key.
func LoadSigner(path string) (note.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("audit signing key %s has mode %04o: it must be readable by its owner only (chmod 600 %s)", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("audit signing key %s is not a signed-note private key (make one with 'warden audit keygen')", path)
	}
	return s, nil
}

// ParseVerifier reads a public verifier key ("name+hash+base64").
func ParseVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("not a signed-note public key: %v", err)
	}
	return v, nil
}

// LoadVerifier reads a public verifier key file.
func LoadVerifier(fsys fs.FS, name string) (note.Verifier, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	v, err := ParseVerifier(string(b))
	if err != nil {
		return nil, fmt.Errorf("audit public key %s: %w", name, err)
	}
	return v, nil
}
