package gateway

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/redact"
)

func testPlaceholders() (*placeholders, string, string) {
	p := newPlaceholders([]byte("0123456789abcdef0123456789abcdef"))
	a := p.For(redact.New("AKIAZ3MHQ2XN7P4VWK5T"))
	b := p.For(redact.New(`quo"te\secret`))
	return p, a, b
}

func TestPlaceholderIsStableAndOpaque(t *testing.T) {
	p, a, _ := testPlaceholders()
	if len(a) != placeholderLen || !strings.HasPrefix(a, placeholderOpen) {
		t.Fatalf("placeholder %q has the wrong shape", a)
	}
	if again := p.For(redact.New("AKIAZ3MHQ2XN7P4VWK5T")); again != a {
		t.Errorf("the same secret got two placeholders: %q, %q", a, again)
	}
	other := newPlaceholders([]byte("another key, another gateway....")).For(redact.New("AKIAZ3MHQ2XN7P4VWK5T"))
	if other == a {
		t.Error("placeholders do not depend on the gateway key")
	}
	if strings.Contains(a, "AKIA") {
		t.Error("placeholder reveals part of the secret")
	}
}

// Every way of cutting an answer into two or three pieces must restore to
// the same text as restoring it whole, and hold back nothing at the end.
func TestStreamRestorerAnySplit(t *testing.T) {
	p, a, b := testPlaceholders()
	texts := []string{
		"key " + a + " and " + b + "!",
		a + a,
		"[[ not one [[warden:zz]] " + a,
		"[[warden:" + strings.Repeat("0", 12) + "]] unknown stays",
		"ends with a partial [[warden:01",
		"no placeholder at all",
	}
	for _, text := range texts {
		want := p.restore(text, verbatim)
		for i := 0; i <= len(text); i++ {
			for j := i; j <= len(text); j++ {
				r := &streamRestorer{p: p, escape: verbatim}
				got := r.Write(text[:i]) + r.Write(text[i:j]) + r.Write(text[j:]) + r.Flush()
				if got != want {
					t.Fatalf("split %d/%d of %q: got %q, want %q", i, j, text, got, want)
				}
			}
		}
	}
	if !strings.Contains(p.restore("key "+a, verbatim), "AKIAZ3MHQ2XN7P4VWK5T") {
		t.Error("restore did not put the secret back")
	}
}

// Holding back is bounded: text that cannot start a placeholder goes out
// at once, and at most placeholderLen-1 bytes wait.
func TestStreamRestorerHoldsBackOnlyPrefixes(t *testing.T) {
	p, _, _ := testPlaceholders()
	r := &streamRestorer{p: p, escape: verbatim}
	if got := r.Write("hello [x] world"); got != "hello [x] world" {
		t.Errorf("held back text that is no placeholder: emitted %q", got)
	}
	if got := r.Write(" then [[ward"); got != " then " {
		t.Errorf("emitted %q, want the text before the possible placeholder", got)
	}
	if got := r.Write("robe"); got != "[[wardrobe" {
		t.Errorf("a broken prefix was not released: %q", got)
	}
	r.Write(strings.Repeat("x", 100) + "[[warden:0123456789a")
	if len(r.pending) >= placeholderLen {
		t.Errorf("held back %d bytes", len(r.pending))
	}
}

func TestJSONEscapeOnRestore(t *testing.T) {
	p, _, b := testPlaceholders()
	got := p.restore(`{"cmd":"`+b+`"}`, jsonEscape)
	if got != `{"cmd":"quo\"te\\secret"}` {
		t.Errorf("JSON restore = %s", got)
	}
}

func FuzzStreamRestorer(f *testing.F) {
	p, a, b := testPlaceholders()
	f.Add("x "+a+" y "+b, 3, 17)
	f.Add("[[warden:[[warden:"+a, 9, 10)
	f.Fuzz(func(t *testing.T, text string, i, j int) {
		if i < 0 {
			i = -i
		}
		if j < 0 {
			j = -j
		}
		i %= len(text) + 1
		j %= len(text) + 1
		if i > j {
			i, j = j, i
		}
		want := p.restore(text, verbatim)
		r := &streamRestorer{p: p, escape: verbatim}
		got := r.Write(text[:i]) + r.Write(text[i:j]) + r.Write(text[j:]) + r.Flush()
		if got != want {
			t.Fatalf("split %d/%d: got %q, want %q", i, j, got, want)
		}
	})
}
