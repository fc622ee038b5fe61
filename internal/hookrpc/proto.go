// Package hookrpc is the wire between warden-hook, the thin hook client an
// agent starts on every event, and the resident per-user decision process
// (`warden guard serve`) that runs the same code as `warden hook`.
//
// It imports only the standard library: the thin client's start-up time is
// the hook's latency, and every package it links adds to it.
//
// One exchange per connection: the client sends a Request (the hook's
// arguments, working directory, environment and stdin, and the identity of
// the warden binary it expects), the server answers a Response (stdout,
// stderr, exit code). Frames are a 4-byte magic, a version byte, a 4-byte
// big-endian body length and the body; strings are uvarint-length-prefixed.
package hookrpc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version is the protocol version; a server that receives another one is
// from a different warden build and shuts down.
const Version = 1

const magic = "WDNH"

// Limits on what either side accepts.
const (
	// MaxStdin is the largest hook input the client forwards; larger input
	// goes to `warden hook` directly.
	MaxStdin = 64 << 20
	// maxFrame bounds a frame body: the stdin plus arguments and environment.
	maxFrame = MaxStdin + 4<<20
	maxItems = 1 << 16
)

// Request is one hook invocation.
type Request struct {
	// Binary is the identity (see Identity) of the warden executable the
	// client would otherwise run; a server of another binary refuses.
	Binary string
	// Args are the hook's arguments after "hook": the agent, then flags.
	Args []string
	// Dir is the client's working directory.
	Dir string
	// Env is the client's environment, KEY=VALUE.
	Env []string
	// Stdin is the hook input.
	Stdin []byte
}

// Status says how a server handled a request.
type Status byte

const (
	// OK: Stdout, Stderr and Exit are the hook's answer.
	OK Status = iota
	// Stale: the server runs another warden binary than the client
	// expects; it shuts down, the client runs `warden hook` itself.
	Stale
)

// Response is the hook's answer.
type Response struct {
	Status Status
	Exit   int
	Stdout []byte
	Stderr []byte
}

// ErrVersion is returned by the readers for a frame of another protocol
// version.
var ErrVersion = errors.New("hookrpc: other protocol version")

// WriteRequest writes r as one frame.
func WriteRequest(w io.Writer, r *Request) error {
	var b enc
	b.str(r.Binary)
	b.list(r.Args)
	b.str(r.Dir)
	b.list(r.Env)
	b.bytes(r.Stdin)
	return writeFrame(w, b.buf)
}

// ReadRequest reads one request frame.
func ReadRequest(rd io.Reader) (*Request, error) {
	body, err := readFrame(rd)
	if err != nil {
		return nil, err
	}
	return DecodeRequest(body)
}

// DecodeRequest decodes a request frame's body.
func DecodeRequest(body []byte) (*Request, error) {
	d := dec{buf: body}
	r := &Request{}
	r.Binary = d.str()
	r.Args = d.list()
	r.Dir = d.str()
	r.Env = d.list()
	r.Stdin = d.bytes()
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("hookrpc: bad request: %w", err)
	}
	return r, nil
}

// WriteResponse writes r as one frame.
func WriteResponse(w io.Writer, r *Response) error {
	if r.Exit < 0 || r.Exit > 255 {
		return fmt.Errorf("hookrpc: exit code %d out of range", r.Exit)
	}
	var b enc
	b.buf = append(b.buf, byte(r.Status), byte(r.Exit))
	b.bytes(r.Stdout)
	b.bytes(r.Stderr)
	return writeFrame(w, b.buf)
}

// ReadResponse reads one response frame.
func ReadResponse(rd io.Reader) (*Response, error) {
	body, err := readFrame(rd)
	if err != nil {
		return nil, err
	}
	return DecodeResponse(body)
}

// DecodeResponse decodes a response frame's body. Anything but a
// well-formed answer with a known status is an error: the client then does
// not trust it.
func DecodeResponse(body []byte) (*Response, error) {
	if len(body) < 2 {
		return nil, errors.New("hookrpc: bad response: truncated")
	}
	r := &Response{Status: Status(body[0]), Exit: int(body[1])}
	if r.Status != OK && r.Status != Stale {
		return nil, fmt.Errorf("hookrpc: bad response: unknown status %d", body[0])
	}
	d := dec{buf: body[2:]}
	r.Stdout = d.bytes()
	r.Stderr = d.bytes()
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("hookrpc: bad response: %w", err)
	}
	return r, nil
}

func writeFrame(w io.Writer, body []byte) error {
	if len(body) > maxFrame {
		return fmt.Errorf("hookrpc: frame of %d bytes is over the %d limit", len(body), maxFrame)
	}
	hdr := make([]byte, 0, 9+len(body))
	hdr = append(hdr, magic...)
	hdr = append(hdr, Version)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(body)))
	_, err := w.Write(append(hdr, body...))
	return err
}

func readFrame(rd io.Reader) ([]byte, error) {
	var hdr [9]byte
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return nil, fmt.Errorf("hookrpc: reading frame header: %w", err)
	}
	if string(hdr[:4]) != magic {
		return nil, errors.New("hookrpc: not a warden hook frame")
	}
	if hdr[4] != Version {
		return nil, ErrVersion
	}
	n := binary.BigEndian.Uint32(hdr[5:])
	if n > maxFrame {
		return nil, fmt.Errorf("hookrpc: frame of %d bytes is over the %d limit", n, maxFrame)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(rd, body); err != nil {
		return nil, fmt.Errorf("hookrpc: reading frame body: %w", err)
	}
	return body, nil
}

type enc struct{ buf []byte }

func (e *enc) bytes(b []byte) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(b)))
	e.buf = append(e.buf, b...)
}

func (e *enc) str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *enc) list(l []string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(l)))
	for _, s := range l {
		e.str(s)
	}
}

// dec reads fields; the first problem sticks and later reads return zero
// values.
type dec struct {
	buf []byte
	err error
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	// Only the shortest encoding is accepted: one message, one form.
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		d.err = errors.New("bad length")
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *dec) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.err = errors.New("truncated")
		return nil
	}
	b := bytes.Clone(d.buf[:n])
	d.buf = d.buf[n:]
	return b
}

func (d *dec) str() string { return string(d.bytes()) }

func (d *dec) list() []string {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	// Each item takes at least one byte: a count beyond what is left is a lie.
	if n > maxItems || n > uint64(len(d.buf)) {
		d.err = errors.New("too many items")
		return nil
	}
	l := make([]string, 0, n)
	for range n {
		l = append(l, d.str())
	}
	return l
}

func (d *dec) end() error {
	if d.err != nil {
		return d.err
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("%d trailing bytes", len(d.buf))
	}
	return nil
}
