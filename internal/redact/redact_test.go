package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// planted is a fake credential; no output of a Secret may contain it.
const planted = "ghp_R8x2LmQ9vT4kN7pW1cB6hJ3sF5gZ0yA8uE2d"

func TestSecretNeverPrintsItsValue(t *testing.T) {
	s := New(planted)
	type wrapper struct {
		Token Secret `json:"token"`
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("login", "token", s)
	var textLog bytes.Buffer
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("login", "token", s, "w", wrapper{s})
	js, err := json.Marshal(wrapper{s})
	if err != nil {
		t.Fatal(err)
	}
	txt, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":         fmt.Sprintf("%v", s),
		"%+v":        fmt.Sprintf("%+v", s),
		"%#v":        fmt.Sprintf("%#v", s),
		"%s":         fmt.Sprintf("%s", s),
		"%q":         fmt.Sprintf("%q", s),
		"%x":         fmt.Sprintf("%x", s),
		"struct %+v": fmt.Sprintf("%+v", wrapper{s}),
		"String":     s.String(),
		"JSON":       string(js),
		"Text":       string(txt),
		"slog JSON":  logBuf.String(),
		"slog text":  textLog.String(),
		"error":      fmt.Errorf("bad token %v", s).Error(),
	}
	for name, out := range outputs {
		if strings.Contains(out, planted) || strings.Contains(out, planted[8:20]) {
			t.Errorf("%s output reveals the secret", name)
		}
		if !strings.Contains(out, "40 chars") {
			t.Errorf("%s output lacks the masked summary: %q", name, out)
		}
	}
	if s.Reveal() != planted {
		t.Error("Reveal does not return the value")
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		in, wantPrefix string
	}{
		{planted, "ghp_"},
		{"abcdefgh", "ab"}, // a quarter of 8
		{"abc", ""},        // too short to show anything
		{"", ""},
		{"ééééééééé", "éé"}, // runes, not bytes
	}
	for _, tt := range tests {
		got := Mask(tt.in)
		want := fmt.Sprintf("%s****(%d chars, sha256:%s)", tt.wantPrefix, len(tt.in), Hash(tt.in))
		if got != want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, want)
		}
	}
	if Hash("a") == Hash("b") || len(Hash("a")) != 12 {
		t.Errorf("Hash is not a 12-digit distinguishing digest: %q %q", Hash("a"), Hash("b"))
	}
}
