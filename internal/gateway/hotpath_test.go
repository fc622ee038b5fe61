package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/scan/secrets"
)

// The model the policy checks must be the model the upstream uses: a body
// that names two models (duplicate keys, which encoding/json would resolve
// to the last one, case-insensitively) is refused, never forwarded.
func TestAmbiguousModelIsRefused(t *testing.T) {
	up := newUpstream(t, echoAnswer)
	pol := *policy.Builtin()
	pol.Models.Allow = map[policy.Classification][]string{policy.Internal: {"anthropic/claude-haiku-*"}}
	gw, rec := newGateway(t, &pol, up)
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"duplicate model, allowed one last", `{"model":"claude-opus-4-1","model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 400, `model\" twice`},
		{"duplicate model, allowed one first", `{"model":"claude-haiku-4-5","model":"claude-opus-4-1","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 400, `model\" twice`},
		// encoding/json would read "Model" as the model; the upstream reads
		// only "model": the policy must judge the latter.
		{"other case is not the model", `{"model":"claude-opus-4-1","Model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 400, "does not allow model"},
		{"not JSON", `{"model":"claude-haiku-4-5",`, 400, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := up.calls()
			resp, body := postRaw(t, gw.URL, agentKey, tc.body)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want %d with %q", resp.StatusCode, body, tc.status, tc.want)
			}
			if up.calls() != before {
				t.Errorf("the request reached the upstream")
			}
		})
	}
	for _, e := range rec.events {
		if e.Decision != "deny" {
			t.Errorf("audit event %+v, want deny", e)
		}
	}
}

// postRaw posts body as it is (post marshals it, which needs valid JSON).
func postRaw(t *testing.T, url, key, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// A secret is found in the decoded text of the body, whatever JSON
// escaping hides it behind, and redacted before the upstream sees it.
func TestEscapedSecretIsRedacted(t *testing.T) {
	up := newUpstream(t, echoAnswer)
	gw, rec := newGateway(t, nil, up)
	// "AKIA..." written with \u escapes and an escaped slash in the text.
	esc := `\u0041\u004b\u0049\u0041` + keyID[4:]
	body := `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"key\/id aws_access_key_id=` + esc + `"}]}]}`
	resp, out := postRaw(t, gw.URL, agentKey, body)
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s", resp.StatusCode, out)
	}
	if len(up.bodies) != 1 || strings.Contains(up.bodies[0], keyID[4:]) || !strings.Contains(up.bodies[0], placeholderOpen) {
		t.Errorf("the upstream got the key, or no placeholder")
	}
	if !strings.Contains(out, keyID) {
		t.Errorf("the answer does not carry the restored key")
	}
	if len(rec.events) != 1 || !strings.Contains(rec.events[0].Summary, "redactions=1") {
		t.Errorf("audit = %+v, want one event with one redaction", rec.events)
	}
}

func TestReadBody(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 100)
	for _, tc := range []struct {
		name   string
		length int64 // Content-Length the client announced, -1 unknown
		body   []byte
	}{
		{"known length", 100, big},
		{"unknown length", -1, big},
		{"empty", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(bytes.NewReader(tc.body)))
			r.ContentLength = tc.length
			got, err := readBody(r)
			if err != nil || !bytes.Equal(got, tc.body) {
				t.Errorf("readBody = %d bytes, %v; want %d bytes", len(got), err, len(tc.body))
			}
		})
	}
	// A body longer than announced is read whole, so the size check sees it.
	r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(bytes.NewReader(big)))
	r.ContentLength = 10
	if got, _ := readBody(r); len(got) != len(big) {
		t.Errorf("body longer than announced: read %d of %d bytes", len(got), len(big))
	}
}

func TestDuplicateKeyHashIsAConfigError(t *testing.T) {
	cfg := &Config{Upstreams: []Upstream{{Name: "u", Provider: "anthropic", URL: "http://127.0.0.1:1"}},
		Keys: []Key{{ID: "a", SHA256: sha("k"), Classification: policy.Internal}, {ID: "b", SHA256: strings.ToUpper(sha("k")), Classification: policy.Public}}}
	_, err := New(Options{Config: cfg, Policy: policy.Builtin(), Secrets: mustEngine(t), PlaceholderKey: make([]byte, 32)})
	if err == nil || !strings.Contains(err.Error(), "same key") {
		t.Errorf("New = %v, want an error naming the same key twice", err)
	}
}

func mustEngine(t *testing.T) *secrets.Engine {
	t.Helper()
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// Streamed events reach the client as the upstream sends them: the first
// events arrive while the upstream still holds the rest back.
func TestStreamIsNotBuffered(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, _ []byte) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		// Two events in one write, then a third alone.
		io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n"+
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
		fl.Flush()
		io.WriteString(w, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"early\"}}\n\n")
		fl.Flush()
		<-release
		io.WriteString(w, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	})
	defer close(release)
	gw, _ := newGateway(t, nil, up)
	b, _ := json.Marshal(prompt("claude-haiku-4-5", "hi", true))
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/messages", bytes.NewReader(b))
	req.Header.Set("x-api-key", agentKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make(chan string, 1)
	go func() {
		var seen []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(seen, []byte("early")) {
			n, err := resp.Body.Read(buf)
			seen = append(seen, buf[:n]...)
			if err != nil {
				break
			}
		}
		got <- string(seen)
	}()
	select {
	case s := <-got:
		if !strings.Contains(s, "message_start") || !strings.Contains(s, "content_block_start") || !strings.Contains(s, "early") {
			t.Errorf("the client got %q before the upstream finished; want the first three events", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first events did not reach the client while the upstream held the rest back")
	}
}

// Redaction rewrites only the string literals that hold a secret: the rest
// of the body reaches the upstream byte for byte (key order, spacing and
// escapes kept, which prompt caching and request signing depend on).
func TestRedactionKeepsTheRestOfTheBody(t *testing.T) {
	up := newUpstream(t, echoAnswer)
	gw, _ := newGateway(t, nil, up)
	lit := `"deploy with aws_access_key_id=` + keyID + ` \u00e9 <b>"`
	body := `{"stream": false, "model":"claude-haiku-4-5",  "max_tokens":5, "messages":[{"role":"user","content":[{"type":"text","text":` + lit + `}]}], "metadata":{"z":1,"a":"\u00e9\/"}}`
	resp, out := postRaw(t, gw.URL, agentKey, body)
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s", resp.StatusCode, out)
	}
	got := up.bodies[0]
	ph := placeholderRE.FindString(got)
	if ph == "" {
		t.Fatalf("no placeholder upstream")
	}
	want := strings.Replace(body, lit, `"deploy with aws_access_key_id=`+ph+` é <b>"`, 1)
	if got != want {
		t.Errorf("upstream body:\n%s\nwant:\n%s", got, want)
	}
}

var placeholderRE = regexp.MustCompile(`\[\[warden:[0-9a-f]{12}\]\]`)

func TestParseConfigRefusesTheSameKeyTwice(t *testing.T) {
	cfg := "upstreams:\n  - {name: u, provider: anthropic, url: http://127.0.0.1:1}\nkeys:\n" +
		"  - {id: a, sha256: " + sha("k") + ", classification: internal}\n" +
		"  - {id: b, sha256: " + strings.ToUpper(sha("k")) + ", classification: public}\n"
	_, err := ParseConfig("gateway.yaml", []byte(cfg))
	if err == nil || !strings.Contains(err.Error(), "gateway.yaml: keys[1].sha256: the same key as keys[0] (a)") {
		t.Errorf("ParseConfig = %v, want an error naming keys[1] and keys[0]", err)
	}
}
