package gateway

import (
	"bytes"
	"testing"

	"github.com/wardenhq/warden/internal/scan/secrets"
)

// redactBodyReencoding is how redactBody rewrote a literal holding a
// secret before it kept the literal's bytes: redact the decoded text, then
// encode it anew. The output must stay byte for byte the same.
func redactBodyReencoding(eng *secrets.Engine, body []byte, texts *textBuf, ph *placeholders) ([]byte, []secrets.Match) {
	if len(eng.Find(texts.b)) == 0 {
		return body, nil
	}
	var (
		out   []byte
		found []secrets.Match
		last  int
	)
	for _, sp := range texts.spans {
		red, ms := eng.Redact(texts.b[sp.text:sp.textEnd], func(m secrets.Match) string { return ph.For(m.Value) })
		if len(ms) == 0 {
			continue
		}
		found = append(found, ms...)
		out = append(out, body[last:sp.raw]...)
		out = appendJSONString(out, red)
		last = sp.rawEnd
	}
	if out == nil {
		return body, nil
	}
	return append(out, body[last:]...), found
}

var redactSeeds = []string{
	`deploy with aws_access_key_id=` + keyID + ` please`,
	`line one\nkey ` + keyID + `\tand \"quoted\" \\ back`,
	`\u0041KIAZ3MHQ2XN7P4VWK5T in an escape`,
	`path \/etc\/x and ` + keyID,
	`é non-ASCII then ` + keyID,
	keyID + ` ` + keyID + ` twice`,
	`aws_secret_access_key = "` + keySecret + `"`,
	`aws_secret_access_key=` + keySecret + `\r\n\b\f end`,
	`no secret here\n`,
	`ctrl \u0001 ` + keyID,
	"del \x7f " + keyID,
}

func checkRedactSplice(t *testing.T, eng *secrets.Engine, lit string) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"` + lit + `"}],"n":1}`)
	texts := getTexts(len(body))
	defer putTexts(texts)
	if _, err := scanRequest(body, texts.add); err != nil {
		return // not a JSON body: the gateway refuses it before redacting
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	ph1, ph2 := newPlaceholders(key), newPlaceholders(key)
	got, gotFound, _ := redactBody(eng, body, texts, ph1)
	want, wantFound := redactBodyReencoding(eng, body, texts, ph2)
	if !bytes.Equal(got, want) {
		t.Errorf("literal %q:\n got %s\nwant %s", lit, got, want)
	}
	if len(gotFound) != len(wantFound) || ph1.Len() != ph2.Len() {
		t.Errorf("literal %q: %d matches and %d placeholders, want %d and %d", lit, len(gotFound), ph1.Len(), len(wantFound), ph2.Len())
	}
}

func TestRedactKeepsLiteralBytes(t *testing.T) {
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lit := range redactSeeds {
		checkRedactSplice(t, eng, lit)
	}
	// The common case keeps the escapes as the client wrote them.
	body := []byte(`{"model":"m","messages":[{"content":"a\nb \"q\" key ` + keyID + `\tz"}]}`)
	texts := getTexts(len(body))
	defer putTexts(texts)
	if _, err := scanRequest(body, texts.add); err != nil {
		t.Fatal(err)
	}
	out, _, _ := redactBody(eng, body, texts, newPlaceholders([]byte("0123456789abcdef0123456789abcdef")))
	if bytes.Contains(out, []byte(keyID)) || !bytes.Contains(out, []byte(`"a\nb \"q\" key [[warden:`)) || !bytes.HasSuffix(out, []byte(`]]\tz"}]}`)) {
		t.Errorf("got %s", out)
	}
}

func FuzzRedactBody(f *testing.F) {
	eng, err := secrets.New(secrets.Options{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range redactSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) { checkRedactSplice(t, eng, lit) })
}
