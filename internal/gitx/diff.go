package gitx

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/scan"
)

// maxHunkLines bounds one hunk's line count so a hostile diff cannot make
// the parser allocate without limit.
const maxHunkLines = 1 << 24

// ParseUnifiedDiff reads the output of git diff -U0 and returns, for each
// file the diff adds or modifies, the new-side lines it adds. Deleted files
// are left out. Paths are as git prints them (after "+++ b/"); quoted paths
// are unquoted.
func ParseUnifiedDiff(diff []byte) (Changes, error) {
	ch := Changes{}
	var cur string
	var have bool
	oldLeft, newLeft := 0, 0 // lines of the current hunk still to read
	for n, line := range bytes.Split(diff, []byte("\n")) {
		s := string(line)
		if oldLeft > 0 || newLeft > 0 {
			// Inside a hunk body: "+++ x" here is an added line "++ x",
			// not a file header.
			switch {
			case strings.HasPrefix(s, "+"):
				newLeft--
			case strings.HasPrefix(s, "-"):
				oldLeft--
			case strings.HasPrefix(s, " "):
				oldLeft--
				newLeft--
			case strings.HasPrefix(s, `\`):
			default:
				return nil, fmt.Errorf("diff line %d: hunk ends early", n+1)
			}
			continue
		}
		switch {
		case strings.HasPrefix(s, "diff --git "):
			cur, have = "", false
		case strings.HasPrefix(s, "+++ "):
			// git ends the name with a tab when it contains a space.
			name := strings.TrimSuffix(strings.TrimPrefix(s, "+++ "), "\t")
			if name == "/dev/null" {
				cur, have = "", false
				continue
			}
			p, err := unquote(name)
			if err != nil {
				return nil, fmt.Errorf("diff line %d: %v", n+1, err)
			}
			p = strings.TrimPrefix(p, "b/")
			cur, have = p, true
			if _, ok := ch[cur]; !ok {
				ch[cur] = scan.LineSet{}
			}
		case strings.HasPrefix(s, "@@ "):
			h, err := parseHunkHeader(s)
			if err != nil {
				return nil, fmt.Errorf("diff line %d: %v", n+1, err)
			}
			oldLeft, newLeft = h.oldCount, h.newCount
			if !have {
				continue
			}
			set := ch[cur]
			for l := h.newStart; l < h.newStart+h.newCount; l++ {
				set[l] = struct{}{}
			}
		}
	}
	return ch, nil
}

type hunk struct{ oldStart, oldCount, newStart, newCount int }

// parseHunkHeader reads "@@ -a[,b] +c[,d] @@...".
func parseHunkHeader(s string) (hunk, error) {
	bad := fmt.Errorf("malformed hunk header %q", s)
	rest := strings.TrimPrefix(s, "@@ ")
	end := strings.Index(rest, " @@")
	if end < 0 {
		return hunk{}, bad
	}
	fields := strings.Fields(rest[:end])
	if len(fields) != 2 || !strings.HasPrefix(fields[0], "-") || !strings.HasPrefix(fields[1], "+") {
		return hunk{}, bad
	}
	var h hunk
	var err error
	if h.oldStart, h.oldCount, err = parseRange(fields[0][1:]); err != nil {
		return hunk{}, bad
	}
	if h.newStart, h.newCount, err = parseRange(fields[1][1:]); err != nil {
		return hunk{}, bad
	}
	if h.oldCount > maxHunkLines || h.newCount > maxHunkLines {
		return hunk{}, fmt.Errorf("hunk of more than %d lines", maxHunkLines)
	}
	return h, nil
}

func parseRange(spec string) (start, count int, err error) {
	a, b, hasCount := strings.Cut(spec, ",")
	start, err = strconv.Atoi(a)
	if err != nil || start < 0 {
		return 0, 0, fmt.Errorf("bad range")
	}
	count = 1
	if hasCount {
		count, err = strconv.Atoi(b)
		if err != nil || count < 0 {
			return 0, 0, fmt.Errorf("bad range")
		}
	}
	return start, count, nil
}

// unquote undoes git's C-style quoting of unusual path names.
func unquote(s string) (string, error) {
	if !strings.HasPrefix(s, `"`) {
		return s, nil
	}
	if len(s) < 2 || !strings.HasSuffix(s, `"`) {
		return "", fmt.Errorf("malformed quoted path %s", s)
	}
	body := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", fmt.Errorf("malformed quoted path %s", s)
		}
		switch body[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case '"', '\\':
			b.WriteByte(body[i])
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3':
			if i+2 >= len(body) {
				return "", fmt.Errorf("malformed quoted path %s", s)
			}
			v, err := strconv.ParseUint(body[i:i+3], 8, 8)
			if err != nil {
				return "", fmt.Errorf("malformed quoted path %s", s)
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", fmt.Errorf("malformed quoted path %s", s)
		}
	}
	return b.String(), nil
}

func sortStrings(s []string) { slices.Sort(s) }
