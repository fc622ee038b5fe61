package gateway

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Only the allowlisted headers reach the upstream, with the client's
// values, plus the provider key in the provider's header; the virtual key
// and anything else the client sent (cookies, its own headers) stay
// behind.
func TestUpstreamGetsOnlyAllowlistedHeaders(t *testing.T) {
	sent := []string{
		"anthropic-beta", "tools-2024-05-16",
		"openai-organization", "org-1", "OpenAI-Project", "proj-1", "openai-beta", "assistants=v2",
		"User-Agent", "claude-cli/2.1.330",
		"Cookie", "session=abc", "X-Internal-Token", "tok", "Accept", "text/event-stream",
	}
	pick := func(h http.Header, names ...string) map[string]string {
		out := map[string]string{}
		for k := range h {
			out[k] = h.Get(k)
		}
		for _, drop := range names {
			delete(out, drop)
		}
		return out
	}
	t.Run("anthropic", func(t *testing.T) {
		up := newUpstream(t, echoAnswer)
		gw, _ := newGateway(t, nil, up)
		if resp, body := post(t, gw.URL, agentKey, prompt("claude-sonnet-4-5", "hello", false), sent...); resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		want := map[string]string{
			"Anthropic-Beta": "tools-2024-05-16", "Anthropic-Version": "2023-06-01", "User-Agent": "claude-cli/2.1.330",
			"Accept": "text/event-stream", "Content-Type": "application/json", "X-Api-Key": "sk-provider-real",
		}
		if d := cmp.Diff(want, pick(up.hdrs[0], "Content-Length", "Accept-Encoding")); d != "" {
			t.Errorf("headers upstream (-want +got):\n%s", d)
		}
	})
	t.Run("openai", func(t *testing.T) {
		up := newUpstream(t, echoChat)
		gw, _ := newOpenAIGateway(t, nil, nil, up)
		if resp, body := postPath(t, gw.URL, "/v1/chat/completions", agentKey, chatPrompt("gpt-5", "hello", false), sent...); resp.StatusCode != 200 {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		want := map[string]string{
			"Openai-Organization": "org-1", "Openai-Project": "proj-1", "Openai-Beta": "assistants=v2", "User-Agent": "claude-cli/2.1.330",
			"Accept": "text/event-stream", "Content-Type": "application/json", "Authorization": "Bearer sk-openai-real",
		}
		if d := cmp.Diff(want, pick(up.hdrs[0], "Content-Length", "Accept-Encoding")); d != "" {
			t.Errorf("headers upstream (-want +got):\n%s", d)
		}
	})
}
