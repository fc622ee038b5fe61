package secrets

import (
	"bytes"
	"encoding/base64"
)

// One level of decoding: a secret base64-encoded into a Kubernetes Secret
// or a config blob, URL-encoded into a query string, or inside an escaped
// JSON string (a JSON document stored in a string) is found too. Decoded
// text is scanned once and never decoded again.

const (
	minBase64Run = 24      // shortest base64 run worth decoding (18 bytes)
	maxBase64Run = 1 << 16 // longer runs are data (images, archives)
)

var base64Byte = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=") {
		t[c] = true
	}
	return t
}()

func (e *Engine) findDecoded(content []byte, out []Match, runs []int) []Match {
	for i := 0; i+1 < len(runs); i += 2 {
		if runs[i+1]-runs[i] <= maxBase64Run {
			out = e.tryBase64(content, runs[i], runs[i+1], out)
		}
	}
	if bytes.IndexByte(content, '%') >= 0 {
		out = e.findEscaped(content, out, "url", urlRun, urlUnescape)
	}
	if bytes.Contains(content, []byte(`\"`)) || bytes.Contains(content, []byte(`\u00`)) {
		out = e.findEscaped(content, out, "json", jsonRun, jsonUnescape)
	}
	return out
}

func (e *Engine) tryBase64(content []byte, i, j int, out []Match) []Match {
	run := content[i:j]
	// Hex digests and plain words decode to noise; skip them cheaply.
	if isHex(string(run)) {
		return out
	}
	enc := base64.RawStdEncoding
	if bytes.ContainsAny(run, "-_") {
		if bytes.ContainsAny(run, "+/") {
			return out
		}
		enc = base64.RawURLEncoding
	}
	trimmed := bytes.TrimRight(run, "=")
	if len(trimmed)%4 == 1 {
		return out
	}
	// Most runs are identifiers or binary data: decode a first quantum
	// and give up early when it is not text.
	var head [12]byte
	if n, err := enc.Decode(head[:], trimmed[:16]); err != nil || !mostlyText(head[:n]) {
		return out
	}
	dec := make([]byte, enc.DecodedLen(len(trimmed)))
	n, err := enc.Decode(dec, trimmed)
	if err != nil {
		return out
	}
	dec = dec[:n]
	if !mostlyText(dec) {
		return out
	}
	sub := e.find(dec, nil)
	for _, m := range sub {
		m.Start, m.End, m.Encoding = i, j, "base64"
		out = append(out, m)
	}
	return out
}

// mostlyText: printable ASCII, tabs and newlines only.
func mostlyText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// findEscaped decodes the runs found by runFn with unescape, which also
// returns, for every decoded byte, its offset in the run, and maps matches
// in the decoded text back onto the input.
func (e *Engine) findEscaped(content []byte, out []Match, name string,
	runFn func([]byte, int) (int, int, bool),
	unescape func([]byte) ([]byte, []int32),
) []Match {
	for i := 0; i < len(content); {
		s, t, ok := runFn(content, i)
		if !ok {
			break
		}
		i = t
		dec, offs := unescape(content[s:t])
		if dec == nil {
			continue
		}
		for _, m := range e.find(dec, nil) {
			m.Encoding = name
			ms, me := m.Start, m.End
			m.Start = s + int(offs[ms])
			if me < len(offs) {
				m.End = s + int(offs[me])
			} else {
				m.End = t
			}
			out = append(out, m)
		}
	}
	return out
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// urlRun finds the next run of non-space text holding at least two %XX
// escapes.
func urlRun(b []byte, from int) (int, int, bool) {
	for from < len(b) {
		k := bytes.IndexByte(b[from:], '%')
		if k < 0 {
			return 0, 0, false
		}
		p := from + k
		s := p
		for s > 0 && !urlStop(b[s-1]) {
			s--
		}
		t := p
		for t < len(b) && !urlStop(b[t]) {
			t++
		}
		esc := 0
		for q := s; q+2 < t; q++ {
			if b[q] == '%' && isHexDigit(b[q+1]) && isHexDigit(b[q+2]) {
				esc++
			}
		}
		if esc >= 2 {
			return s, t, true
		}
		from = t + 1
	}
	return 0, 0, false
}

func urlStop(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`'
}

func urlUnescape(run []byte) ([]byte, []int32) {
	dec := make([]byte, 0, len(run))
	offs := make([]int32, 0, len(run))
	for i := 0; i < len(run); i++ {
		if run[i] == '%' && i+2 < len(run) && isHexDigit(run[i+1]) && isHexDigit(run[i+2]) {
			dec = append(dec, unhex(run[i+1])<<4|unhex(run[i+2]))
			offs = append(offs, int32(i))
			i += 2
			continue
		}
		dec = append(dec, run[i])
		offs = append(offs, int32(i))
	}
	return dec, offs
}

// jsonRun finds the next line holding an escaped quote or \u00XX escape.
func jsonRun(b []byte, from int) (int, int, bool) {
	for from < len(b) {
		k := bytes.Index(b[from:], []byte(`\`))
		if k < 0 {
			return 0, 0, false
		}
		p := from + k
		if p+1 < len(b) && (b[p+1] == '"' || b[p+1] == 'u') {
			s := bytes.LastIndexByte(b[:p], '\n') + 1
			t := len(b)
			if j := bytes.IndexByte(b[p:], '\n'); j >= 0 {
				t = p + j
			}
			return s, t, true
		}
		from = p + 2
	}
	return 0, 0, false
}

func jsonUnescape(run []byte) ([]byte, []int32) {
	dec := make([]byte, 0, len(run))
	offs := make([]int32, 0, len(run))
	changed := false
	for i := 0; i < len(run); i++ {
		if run[i] != '\\' || i+1 >= len(run) {
			dec = append(dec, run[i])
			offs = append(offs, int32(i))
			continue
		}
		changed = true
		switch c := run[i+1]; c {
		case 'n':
			dec = append(dec, '\n')
		case 't':
			dec = append(dec, '\t')
		case 'r':
			dec = append(dec, '\r')
		case 'u':
			if i+5 < len(run) && isHexDigit(run[i+2]) && isHexDigit(run[i+3]) && isHexDigit(run[i+4]) && isHexDigit(run[i+5]) {
				v := uint16(unhex(run[i+2]))<<12 | uint16(unhex(run[i+3]))<<8 | uint16(unhex(run[i+4]))<<4 | uint16(unhex(run[i+5]))
				if v < 0x80 {
					dec = append(dec, byte(v))
					offs = append(offs, int32(i))
					i += 5
					continue
				}
			}
			dec = append(dec, '\\')
			offs = append(offs, int32(i))
			continue
		default:
			dec = append(dec, c)
		}
		offs = append(offs, int32(i))
		i++
	}
	if !changed {
		return nil, nil
	}
	return dec, offs
}
