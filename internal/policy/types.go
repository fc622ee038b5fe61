package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time span written with a unit: "90s", "15m", "12h", "7d", "2w".
type Duration time.Duration

func (d Duration) String() string {
	td := time.Duration(d)
	switch {
	case td == 0:
		return "0"
	case td%(7*24*time.Hour) == 0:
		return fmt.Sprintf("%dw", td/(7*24*time.Hour))
	case td%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", td/(24*time.Hour))
	default:
		return td.String()
	}
}

// ParseDuration reads a Duration; days (d) and weeks (w) are accepted on top
// of Go's units.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("invalid duration %q (examples: 30m, 12h, 7d, 2w)", s)
			}
			return Duration(time.Duration(n) * unit), nil
		}
	}
	td, err := time.ParseDuration(s)
	if err != nil || td < 0 {
		return 0, fmt.Errorf("invalid duration %q (examples: 30m, 12h, 7d, 2w)", s)
	}
	return Duration(td), nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ByteSize is a size written with a unit: "512KiB", "1MiB", "10MB", "4096".
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

func (b ByteSize) String() string {
	for _, u := range byteUnits[:3] {
		if b != 0 && int64(b)%u.mult == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.mult, u.suffix)
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// ParseByteSize reads a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q (examples: 512KiB, 1MiB, 10MB)", s)
	}
	return ByteSize(n * mult), nil
}

func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

func (b *ByteSize) UnmarshalText(t []byte) error {
	v, err := ParseByteSize(string(t))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// Date is a calendar day, written YYYY-MM-DD. An exception expires at the
// end of its date (UTC).
type Date struct{ time.Time }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Date) UnmarshalText(b []byte) error {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("invalid date %q (want YYYY-MM-DD)", string(b))
	}
	d.Time = t
	return nil
}

// Expired reports whether the date has passed at now: a date is valid
// through its whole day.
func (d Date) Expired(now time.Time) bool {
	return !d.IsZero() && now.UTC().After(d.Add(24*time.Hour))
}
