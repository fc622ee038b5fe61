package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

func TestModelAliasesAreCheckedAndSentByTheRealName(t *testing.T) {
	pol := *policy.Builtin()
	// The policy allows the alias names but only one real model: aliases
	// must be judged by what they stand for.
	pol.Models.Allow = map[policy.Classification][]string{
		policy.Internal: {"anthropic/claude-haiku-*", "anthropic/big", "openai/gpt-5-mini"},
	}
	aliases := func(c *Config) {
		c.Aliases = map[string]string{"fast": "anthropic/claude-haiku-4-5", "big": "anthropic/claude-opus-4-1", "oai": "openai/gpt-5-mini"}
	}
	tests := []struct {
		name, model string
		status      int
		sentModel   string
		want        string
	}{
		{"alias to an allowed model", "fast", 200, "claude-haiku-4-5", "echo:"},
		{"alias allowed by name, real model not", "big", 400, "", "anthropic/claude-opus-4-1"},
		{"alias to another API's model", "oai", 400, "", "openai/gpt-5-mini"},
		{"no alias", "claude-haiku-4-5", 200, "claude-haiku-4-5", "echo:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, echoAnswer)
			gw, rec := newGatewayWith(t, &pol, aliases, up)
			msg := "aws_access_key_id=" + keyID + "\naws_secret_access_key=" + keySecret
			resp, body := post(t, gw.URL, agentKey, prompt(tt.model, msg, false))
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d %s, want %d containing %q", resp.StatusCode, scrub(body), tt.status, tt.want)
			}
			if tt.sentModel == "" {
				if up.calls() != 0 {
					t.Error("a refused request reached the upstream")
				}
				return
			}
			var sent struct{ Model string }
			if err := json.Unmarshal([]byte(up.bodies[0]), &sent); err != nil || sent.Model != tt.sentModel {
				t.Errorf("upstream got model %q (%v), want %q", sent.Model, err, tt.sentModel)
			}
			if strings.Contains(up.bodies[0], keySecret) {
				t.Error("the secret reached the upstream")
			}
			if !strings.Contains(body, keySecret) {
				t.Error("the secret was not restored for the client")
			}
			if s := rec.events[0].Summary; !strings.Contains(s, "model=anthropic/"+tt.sentModel) || (tt.model != tt.sentModel) != strings.Contains(s, "alias="+tt.model) {
				t.Errorf("audit summary %q", s)
			}
		})
	}
}

func TestParseConfigAliases(t *testing.T) {
	base := "upstreams:\n  - name: a\n    provider: anthropic\n    url: http://127.0.0.1:1\n"
	if c, err := ParseConfig("g.yaml", []byte(base+"aliases:\n  fast: anthropic/claude-haiku-4-5\n")); err != nil || c.Aliases["fast"] != "anthropic/claude-haiku-4-5" {
		t.Fatalf("valid aliases: %v", err)
	}
	for name, bad := range map[string]string{
		"unqualified":      "aliases:\n  fast: claude-haiku-4-5\n",
		"unknown provider": "aliases:\n  fast: acme/x\n",
		"chained":          "aliases:\n  fast: anthropic/quick\n  quick: anthropic/claude-haiku-4-5\n",
	} {
		if _, err := ParseConfig("g.yaml", []byte(base+bad)); err == nil || !strings.Contains(err.Error(), "aliases.") {
			t.Errorf("%s: error %v, want one naming the alias", name, err)
		}
	}
}

func TestPlainOrQuoted(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"anthropic/claude-haiku-4-5", "anthropic/claude-haiku-4-5"},
		{"openai/gpt-5.5", "openai/gpt-5.5"},
		{"anthropic/a b", `"anthropic/a b"`},
		{"anthropic/x\nAllowed: all", `"anthropic/x\nAllowed: all"`},
		{`anthropic/"q"`, `"anthropic/\"q\""`},
	} {
		if got := plainOrQuoted(c.in); got != c.want {
			t.Errorf("plainOrQuoted(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
