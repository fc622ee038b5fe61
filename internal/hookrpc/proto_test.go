package hookrpc

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRequestRoundTrip(t *testing.T) {
	for _, r := range []*Request{
		{},
		{Binary: "64769:1234/30000000/1700000000000000000", Args: []string{"claude", "--timeout", "2s"}, Dir: "/home/dev/proj", Env: []string{"HOME=/home/dev", "A=b=c", "EMPTY="}, Stdin: []byte(`{"hook_event_name":"PreToolUse"}`)},
		{Args: []string{""}, Stdin: bytes.Repeat([]byte{0, 0xff}, 70000)},
	} {
		var b bytes.Buffer
		if err := WriteRequest(&b, r); err != nil {
			t.Fatal(err)
		}
		got, err := ReadRequest(&b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip (-sent +read):\n%s", diff)
		}
	}
}

func TestResponseRoundTrip(t *testing.T) {
	for _, r := range []*Response{
		{},
		{Status: Stale},
		{Exit: 2, Stdout: []byte("{\"decision\":\"deny\"}\n"), Stderr: []byte("warden: no\n")},
		{Exit: 255},
	} {
		var b bytes.Buffer
		if err := WriteResponse(&b, r); err != nil {
			t.Fatal(err)
		}
		got, err := ReadResponse(&b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip (-sent +read):\n%s", diff)
		}
	}
	if err := WriteResponse(&bytes.Buffer{}, &Response{Exit: 256}); err == nil {
		t.Error("exit 256 written")
	}
}

// TestReadRejects: every malformed frame is an error, never a Response
// the client would pass on as an answer.
func TestReadRejects(t *testing.T) {
	valid := func() []byte {
		var b bytes.Buffer
		WriteResponse(&b, &Response{Stdout: []byte("{}\n")})
		return b.Bytes()
	}()
	for name, frame := range map[string][]byte{
		"empty":            nil,
		"short header":     valid[:5],
		"wrong magic":      append([]byte("HTTP"), valid[4:]...),
		"other version":    append(append([]byte("WDNH"), 9), valid[5:]...),
		"truncated body":   valid[:len(valid)-1],
		"huge length":      []byte("WDNH\x01\xff\xff\xff\xff"),
		"unknown status":   frame(append([]byte{7, 0}, 0, 0)),
		"trailing bytes":   frame([]byte{0, 0, 0, 0, 1}),
		"length past body": frame([]byte{0, 0, 5, 'a'}),
		"bad varint":       frame([]byte{0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
		"no status":        frame([]byte{0}),
	} {
		if r, err := ReadResponse(bytes.NewReader(frame)); err == nil {
			t.Errorf("%s: read %+v, want an error", name, r)
		}
	}
	if _, err := ReadResponse(bytes.NewReader(append(append([]byte("WDNH"), 9), valid[5:]...))); !errors.Is(err, ErrVersion) {
		t.Errorf("other version: %v, want ErrVersion", err)
	}
}

func frame(body []byte) []byte {
	var b bytes.Buffer
	writeFrame(&b, body)
	return b.Bytes()
}

// FuzzDecodeRequest: the server's decoder never panics, and what it
// accepts encodes back to the same bytes.
func FuzzDecodeRequest(f *testing.F) {
	for _, r := range []*Request{{}, {Binary: "x", Args: []string{"claude"}, Dir: "/d", Env: []string{"A=1"}, Stdin: []byte("{}")}} {
		var b bytes.Buffer
		WriteRequest(&b, r)
		f.Add(b.Bytes()[9:])
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0, 0xfe, 0xff, 0x03})
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteRequest(&b, r); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes()[9:], body) {
			t.Fatalf("re-encoding %q gave %q", body, b.Bytes()[9:])
		}
	})
}

// FuzzDecodeResponse: the client's decoder never panics, accepts only
// known statuses, and what it accepts encodes back to the same bytes.
func FuzzDecodeResponse(f *testing.F) {
	for _, r := range []*Response{{}, {Status: Stale}, {Exit: 2, Stdout: []byte("{}\n"), Stderr: []byte("no\n")}} {
		var b bytes.Buffer
		WriteResponse(&b, r)
		f.Add(b.Bytes()[9:])
	}
	f.Add([]byte{3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeResponse(body)
		if err != nil {
			return
		}
		if r.Status != OK && r.Status != Stale {
			t.Fatalf("accepted status %d", r.Status)
		}
		var b bytes.Buffer
		if err := WriteResponse(&b, r); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes()[9:], body) {
			t.Fatalf("re-encoding %q gave %q", body, b.Bytes()[9:])
		}
	})
}
