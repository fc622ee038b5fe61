package vulndb

import (
	"encoding/binary"
	"errors"
	"time"
)

// The index stores each package's records in a compact binary form rather
// than JSON: a scan decodes thousands of them, and this is several times
// faster to read. Strings are uvarint-length-prefixed; times are Unix
// seconds (varint, 0 for none); lists are uvarint counts.

type encoder struct{ b []byte }

func (e *encoder) uint(n int) { e.b = binary.AppendUvarint(e.b, uint64(n)) }
func (e *encoder) str(s string) {
	e.uint(len(s))
	e.b = append(e.b, s...)
}
func (e *encoder) strs(ss []string) {
	e.uint(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = binary.AppendVarint(e.b, 0)
		return
	}
	e.b = binary.AppendVarint(e.b, t.Unix())
}

func dbSeverity(d *DatabaseSpecific) string {
	if d == nil {
		return ""
	}
	return d.Severity
}

const (
	evIntroduced = iota + 1
	evFixed
	evLastAffected
	evLimit
)

// encodeRecord appends one record (withdrawn records are never stored).
func encodeRecord(b []byte, v *Vulnerability) []byte {
	e := encoder{b}
	e.str(v.ID)
	e.strs(v.Aliases)
	e.str(v.Summary)
	e.time(v.Published)
	e.time(v.Modified)
	e.uint(len(v.Severity))
	for _, s := range v.Severity {
		e.str(s.Type)
		e.str(s.Score)
	}
	e.str(dbSeverity(v.DatabaseSpecific))
	e.uint(len(v.Affected))
	for _, a := range v.Affected {
		e.str(a.Package.Ecosystem)
		e.str(a.Package.Name)
		e.str(dbSeverity(a.DatabaseSpecific))
		e.uint(len(a.Ranges))
		for _, r := range a.Ranges {
			e.str(r.Type)
			e.uint(len(r.Events))
			for _, ev := range r.Events {
				switch {
				case ev.Introduced != "":
					e.b = append(e.b, evIntroduced)
					e.str(ev.Introduced)
				case ev.Fixed != "":
					e.b = append(e.b, evFixed)
					e.str(ev.Fixed)
				case ev.LastAffected != "":
					e.b = append(e.b, evLastAffected)
					e.str(ev.LastAffected)
				default:
					e.b = append(e.b, evLimit)
					e.str(ev.Limit)
				}
			}
		}
		e.strs(a.Versions)
	}
	return e.b
}

var errCorrupt = errors.New("corrupt record")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uint() int {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)) {
		// No count or length in a record can exceed the bytes left.
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[k:]
	return int(n)
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) str() string {
	n := d.uint()
	if d.err != nil || n > len(d.b) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.uint()
	if n == 0 || d.err != nil {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *decoder) time() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return time.Time{}
	}
	d.b = d.b[k:]
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

func dbSpecific(s string) *DatabaseSpecific {
	if s == "" {
		return nil
	}
	return &DatabaseSpecific{Severity: s}
}

// decodeBlob reads a package's records.
func decodeBlob(b []byte) ([]Vulnerability, error) {
	d := decoder{b: b}
	n := d.uint()
	out := make([]Vulnerability, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		var v Vulnerability
		v.ID = d.str()
		v.Aliases = d.strs()
		v.Summary = d.str()
		v.Published = d.time()
		v.Modified = d.time()
		if ns := d.uint(); ns > 0 {
			v.Severity = make([]Severity, ns)
			for j := range v.Severity {
				v.Severity[j] = Severity{Type: d.str(), Score: d.str()}
			}
		}
		v.DatabaseSpecific = dbSpecific(d.str())
		na := d.uint()
		v.Affected = make([]Affected, na)
		for j := range v.Affected {
			a := &v.Affected[j]
			a.Package.Ecosystem = d.str()
			a.Package.Name = d.str()
			a.DatabaseSpecific = dbSpecific(d.str())
			if nr := d.uint(); nr > 0 {
				a.Ranges = make([]Range, nr)
				for k := range a.Ranges {
					r := &a.Ranges[k]
					r.Type = d.str()
					ne := d.uint()
					r.Events = make([]Event, ne)
					for m := range r.Events {
						kind := d.byte()
						val := d.str()
						switch kind {
						case evIntroduced:
							r.Events[m].Introduced = val
						case evFixed:
							r.Events[m].Fixed = val
						case evLastAffected:
							r.Events[m].LastAffected = val
						case evLimit:
							r.Events[m].Limit = val
						default:
							d.err = errCorrupt
						}
					}
				}
			}
			a.Versions = d.strs()
		}
		out = append(out, v)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errCorrupt
	}
	return out, nil
}
