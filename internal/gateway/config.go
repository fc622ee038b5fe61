package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wardenhq/warden/internal/attest"
	"github.com/wardenhq/warden/internal/policy"
)

// Config is the gateway's runtime configuration (gateway.yaml). It is not
// part of the repository policy: it names upstreams and the hashes of the
// virtual keys, and says where provider keys come from (environment
// variables), never the keys themselves.
type Config struct {
	// Listen is the address to serve on; loopback by default.
	Listen    string     `yaml:"listen"`
	Upstreams []Upstream `yaml:"upstreams"`
	Keys      []Key      `yaml:"keys"`
	// Timeout bounds one upstream attempt until its response headers.
	Timeout Duration `yaml:"timeout"`
	// Retries is how many other upstreams (or the same one again) are tried
	// after a connection error, a 429 or a 5xx, before any byte was sent
	// to the client.
	Retries int `yaml:"retries"`
	// Prices price models for the keys' spend budgets; the first whose
	// glob matches the qualified model wins.
	Prices []Price `yaml:"prices"`
	// Aliases map a model name clients may ask for to the real model,
	// qualified ("fast: anthropic/claude-haiku-4-5"). The policy and the
	// upstreams see only the real model.
	Aliases map[string]string `yaml:"aliases"`
}

// Upstream is a model server the gateway forwards to.
type Upstream struct {
	Name string `yaml:"name"`
	// Provider is the API it speaks and the provider part of the model
	// names the policy allows: "anthropic" (Messages API) or "openai" (Chat
	// Completions and Responses APIs; url without /v1, e.g.
	// https://api.openai.com).
	Provider string `yaml:"provider"`
	URL      string `yaml:"url"`
	// APIKeyEnv names the environment variable holding the provider key.
	APIKeyEnv string `yaml:"api_key_env"`
	// Models are globs of the model names this upstream serves.
	Models []string `yaml:"models"`
	// Confidential marks an upstream running in a TEE: the gateway sends it
	// nothing before its attestation verifies (see Attestation), and code
	// of a classification in models.require_attestation goes only to such
	// upstreams.
	Confidential bool `yaml:"confidential"`
	// Attestation says how a confidential upstream proves itself.
	Attestation UpstreamAttestation `yaml:"attestation"`
}

// Collateral modes of UpstreamAttestation.
const (
	// CollateralDocument: vendor collateral (VCEK, Intel TCB info, QE
	// identity, CRLs) must come with the evidence (the SNP report's
	// certificate table or the document's collateral list). The default.
	CollateralDocument = "document"
	// CollateralFetch: what the document lacks is fetched from AMD KDS /
	// Intel PCS (and revocation lists are checked).
	CollateralFetch = "fetch"
	// CollateralNone: TDX quotes are checked for signature and PCK chain
	// only, not for an up-to-date TCB; SNP reports must carry their
	// certificates. Not for production.
	CollateralNone = "none"
)

// UpstreamAttestation configures how a confidential upstream is attested.
type UpstreamAttestation struct {
	// Evidence lists the evidence kinds that must all verify: sev-snp,
	// tdx, nvidia-eat (e.g. [sev-snp, nvidia-eat] for a CPU TEE with a
	// GPU in confidential-computing mode).
	Evidence []string `yaml:"evidence"`
	// EvidenceURL is where the upstream's attestation agent answers;
	// default <url>/.well-known/warden-attestation. It must be served by
	// the same TLS key as the model API.
	EvidenceURL string `yaml:"evidence_url"`
	// CAFile is a PEM file of CA certificates for the upstream's TLS
	// certificate (default: the system roots).
	CAFile string `yaml:"ca_file"`
	// PinOnly accepts a TLS certificate no CA signed (a key generated
	// inside the TEE): the attested key pin is then the only check.
	PinOnly bool `yaml:"pin_only"`
	// Collateral is document (default), fetch or none.
	Collateral string `yaml:"collateral"`
	// SNPRootsFile is a PEM file of an AMD ARK and ASK that replace the
	// AMD roots embedded in go-sev-guest (private or test roots).
	SNPRootsFile string `yaml:"sev_snp_roots_file"`
	// TDXRootsFile is a PEM file of roots that replace Intel's SGX root.
	TDXRootsFile string `yaml:"tdx_roots_file"`
}

// Key is a virtual key: agents hold the key, the gateway holds its hash.
type Key struct {
	ID string `yaml:"id"`
	// SHA256 is the hex SHA-256 of the key.
	SHA256         string                `yaml:"sha256"`
	Team           string                `yaml:"team"`
	Classification policy.Classification `yaml:"classification"`
	Limits         Limits                `yaml:"limits"`
}

// Duration reads "30s", "2m".
type Duration time.Duration

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (examples: 30s, 2m)", string(b))
	}
	*d = Duration(v)
	return nil
}

// LoadConfig reads and validates a gateway config file; unknown keys are
// errors.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig validates a gateway config.
func ParseConfig(name string, data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8787"
	}
	if c.Timeout == 0 {
		c.Timeout = Duration(60 * time.Second)
	}
	if c.Retries == 0 {
		c.Retries = 1
	}
	if len(c.Upstreams) == 0 {
		return nil, fmt.Errorf("%s: upstreams: at least one upstream is needed", name)
	}
	names := map[string]bool{}
	for i, u := range c.Upstreams {
		at := fmt.Sprintf("%s: upstreams[%d]", name, i)
		if u.Name == "" || names[u.Name] {
			return nil, fmt.Errorf("%s.name: missing or duplicate", at)
		}
		names[u.Name] = true
		if u.Provider != "anthropic" && u.Provider != "openai" {
			return nil, fmt.Errorf("%s.provider: %q is not supported (supported: anthropic, openai)", at, u.Provider)
		}
		pu, err := url.Parse(u.URL)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, fmt.Errorf("%s.url: %q is not an http(s) URL", at, u.URL)
		}
		if pu.User != nil {
			return nil, fmt.Errorf("%s.url: must not carry credentials; use api_key_env", at)
		}
		for _, m := range u.Models {
			if !doublestar.ValidatePattern(m) {
				return nil, fmt.Errorf("%s.models: bad glob %q", at, m)
			}
		}
		if err := checkAttestation(at, &c.Upstreams[i], pu); err != nil {
			return nil, err
		}
	}
	ids := map[string]bool{}
	hashes := map[string]int{}
	for i, k := range c.Keys {
		at := fmt.Sprintf("%s: keys[%d]", name, i)
		if k.ID == "" || ids[k.ID] {
			return nil, fmt.Errorf("%s.id: missing or duplicate", at)
		}
		ids[k.ID] = true
		b, err := hex.DecodeString(k.SHA256)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("%s.sha256: want the 64 hex digits of the key's SHA-256 (see 'warden gateway keygen')", at)
		}
		if j, dup := hashes[string(b)]; dup {
			return nil, fmt.Errorf("%s.sha256: the same key as keys[%d] (%s); give each key its own entry", at, j, c.Keys[j].ID)
		}
		hashes[string(b)] = i
		if k.Limits.RequestsPerMinute < 0 || k.Limits.TokensPerDay < 0 || k.Limits.SpendPerDay < 0 {
			return nil, fmt.Errorf("%s.limits: limits must not be negative (0 means none)", at)
		}
		if k.Limits.SpendPerDay > 0 && len(c.Prices) == 0 {
			return nil, fmt.Errorf("%s.limits.spend_per_day: needs prices for the models", at)
		}
		switch k.Classification {
		case policy.Public, policy.Internal, policy.Confidential, policy.Restricted:
		default:
			return nil, fmt.Errorf("%s.classification: %q is not one of public, internal, confidential, restricted", at, k.Classification)
		}
	}
	for alias, real := range c.Aliases {
		provider, model, _ := strings.Cut(real, "/")
		if alias == "" || model == "" || (provider != "anthropic" && provider != "openai") {
			return nil, fmt.Errorf("%s: aliases.%s: %q must be a qualified model, anthropic/<model> or openai/<model>", name, alias, real)
		}
		if _, chained := c.Aliases[model]; chained && model != alias {
			return nil, fmt.Errorf("%s: aliases.%s: %q is itself an alias; name the real model", name, alias, real)
		}
	}
	for i, p := range c.Prices {
		at := fmt.Sprintf("%s: prices[%d]", name, i)
		if p.Model == "" || !doublestar.ValidatePattern(p.Model) {
			return nil, fmt.Errorf("%s.model: missing or bad glob %q", at, p.Model)
		}
		if p.InputPerMTok < 0 || p.OutputPerMTok < 0 {
			return nil, fmt.Errorf("%s: prices must not be negative", at)
		}
	}
	return &c, nil
}

// price returns the price of a qualified model, or nil.
func (c *Config) price(model string) *Price {
	for i := range c.Prices {
		if ok, _ := doublestar.Match(c.Prices[i].Model, model); ok {
			return &c.Prices[i]
		}
	}
	return nil
}

// checkAttestation validates a confidential upstream's attestation block,
// filling in defaults; a non-confidential upstream must not have one.
func checkAttestation(at string, u *Upstream, pu *url.URL) error {
	a := &u.Attestation
	if !u.Confidential {
		if len(a.Evidence) > 0 || a.EvidenceURL != "" || a.CAFile != "" || a.PinOnly || a.Collateral != "" || a.SNPRootsFile != "" || a.TDXRootsFile != "" {
			return fmt.Errorf("%s.attestation: only a confidential upstream is attested; add confidential: true or remove attestation", at)
		}
		return nil
	}
	if pu.Scheme != "https" {
		return fmt.Errorf("%s.url: a confidential upstream must be https (its attestation is bound to its TLS key)", at)
	}
	if len(a.Evidence) == 0 {
		return fmt.Errorf("%s.attestation.evidence: list the evidence kinds that must verify (sev-snp, tdx, nvidia-eat)", at)
	}
	seen := map[string]bool{}
	for _, k := range a.Evidence {
		switch k {
		case attest.KindSEVSNP, attest.KindTDX, attest.KindNVIDIAEAT:
		default:
			return fmt.Errorf("%s.attestation.evidence: %q is not one of sev-snp, tdx, nvidia-eat", at, k)
		}
		if seen[k] {
			return fmt.Errorf("%s.attestation.evidence: %s listed twice", at, k)
		}
		seen[k] = true
	}
	if a.EvidenceURL == "" {
		a.EvidenceURL = strings.TrimRight(u.URL, "/") + "/.well-known/warden-attestation"
	} else if eu, err := url.Parse(a.EvidenceURL); err != nil || eu.Scheme != "https" || eu.Host != pu.Host || eu.User != nil || eu.RawQuery != "" {
		return fmt.Errorf("%s.attestation.evidence_url: %q must be an https URL on the upstream's own host (%s), without a query", at, a.EvidenceURL, pu.Host)
	}
	switch a.Collateral {
	case "":
		a.Collateral = CollateralDocument
	case CollateralDocument, CollateralFetch, CollateralNone:
	default:
		return fmt.Errorf("%s.attestation.collateral: %q is not one of document, fetch, none", at, a.Collateral)
	}
	if a.PinOnly && a.CAFile != "" {
		return fmt.Errorf("%s.attestation: pin_only and ca_file exclude each other", at)
	}
	return nil
}
