package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/policy"
)

type hookPolicy struct {
	policy *policy.Policy
	sha    string
	path   string
}

// loadHookPolicy finds the repository policy (warden.yaml, warden.yml or
// .warden/policy.yaml at dir) and decodes it strictly. With no file the
// built-in defaults apply.
//
// TODO(policy): replace with policy.Load once the policy loader lands
// (layering with the organization policy and locks).
func loadHookPolicy(dir string, getenv func(string) string) (*hookPolicy, error) {
	path := getenv("WARDEN_POLICY")
	if path == "" {
		for _, name := range []string{"warden.yaml", "warden.yml", filepath.Join(".warden", "policy.yaml")} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: %v", p, err)
			}
		}
	}
	if path == "" {
		return &hookPolicy{policy: &policy.Policy{Version: policy.SchemaVersion}, sha: "builtin"}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p policy.Policy
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if p.Version != policy.SchemaVersion {
		return nil, fmt.Errorf("%s: version is %d, this warden reads version %d", path, p.Version, policy.SchemaVersion)
	}
	sum := sha256.Sum256(b)
	return &hookPolicy{policy: &p, sha: hex.EncodeToString(sum[:]), path: path}, nil
}
