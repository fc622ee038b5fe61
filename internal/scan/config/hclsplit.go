package config

import (
	"bytes"
	"runtime"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// HCL's parser is most of the time a Terraform file takes, and the agent
// guard checks one file at a time: a large file is parsed in two halves on
// two cores when a core is free. The cut is before a top-level line that
// follows a line holding only "}", and the halves are used only when both
// parse without an error and define no top-level attribute twice; otherwise
// the whole file is parsed, so errors and their positions are the whole
// file's. TestHCLSplitSameFindings compares the findings for every cut of
// every corpus file.

// hclSplitMin is the smallest file worth splitting.
const hclSplitMin = 24 << 10

var (
	hclParsing atomic.Int32
	// hclSplitEnabled is false in tests that compare with the whole parse.
	hclSplitEnabled = true
)

// parseHCL parses src as a native-syntax HCL file and returns its body
// (nil if the file has no syntax body).
func parseHCL(src []byte, path string) (*hclsyntax.Body, hcl.Diagnostics) {
	n := hclParsing.Add(1)
	defer hclParsing.Add(-1)
	if hclSplitEnabled && len(src) >= hclSplitMin && int(n) < runtime.GOMAXPROCS(0) {
		if at := hclSplitPoint(src); at > 0 {
			if b, ok := parseHCLSplit(src, path, at); ok {
				return b, nil
			}
		}
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if f == nil {
		return nil, diags
	}
	b, _ := f.Body.(*hclsyntax.Body)
	return b, diags
}

// parseHCLSplit parses src[:at] on another goroutine and src[at:] on this
// one, with positions as in the whole file, and joins the two bodies.
func parseHCLSplit(src []byte, path string, at int) (*hclsyntax.Body, bool) {
	type half struct {
		f     *hcl.File
		diags hcl.Diagnostics
	}
	first := make(chan half, 1)
	go func() {
		f, d := hclsyntax.ParseConfig(src[:at], path, hcl.InitialPos)
		first <- half{f, d}
	}()
	start := hcl.Pos{Line: 1 + bytes.Count(src[:at], []byte{'\n'}), Column: 1, Byte: at}
	fb, db := hclsyntax.ParseConfig(src[at:], path, start)
	a := <-first
	if a.diags.HasErrors() || db.HasErrors() || a.f == nil || fb == nil {
		return nil, false
	}
	ba, ok1 := a.f.Body.(*hclsyntax.Body)
	bb, ok2 := fb.Body.(*hclsyntax.Body)
	if !ok1 || !ok2 {
		return nil, false
	}
	out := &hclsyntax.Body{
		Attributes: make(hclsyntax.Attributes, len(ba.Attributes)+len(bb.Attributes)),
		Blocks:     make(hclsyntax.Blocks, 0, len(ba.Blocks)+len(bb.Blocks)),
		SrcRange:   hcl.Range{Filename: path, Start: ba.SrcRange.Start, End: bb.SrcRange.End},
		EndRange:   bb.EndRange,
	}
	for k, v := range ba.Attributes {
		out.Attributes[k] = v
	}
	for k, v := range bb.Attributes {
		if _, dup := out.Attributes[k]; dup {
			return nil, false // the whole parse reports it
		}
		out.Attributes[k] = v
	}
	out.Blocks = append(append(out.Blocks, ba.Blocks...), bb.Blocks...)
	return out, true
}

// hclSplitPoint returns the offset of a line near the middle of src that
// starts in column 0 with a letter or '_' and whose previous non-blank line
// is exactly "}", or 0. A cut inside a heredoc, comment or an unindented
// nested block leaves one half unterminated, which its parse reports.
func hclSplitPoint(src []byte) int {
	mid := len(src) / 2
	for d := 0; d < len(src)/4; d++ {
		if i := mid + d; i < len(src) && hclSplitAt(src, i) {
			return i
		}
		if i := mid - d; i > 0 && hclSplitAt(src, i) {
			return i
		}
	}
	return 0
}

func hclSplitAt(src []byte, i int) bool {
	if i < 2 || i >= len(src) || src[i-1] != '\n' {
		return false
	}
	if c := src[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false
	}
	j := i - 1
	for j >= 0 && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r' || src[j] == '\n') {
		j--
	}
	// src[j] is the last character of the previous non-blank line.
	if j < 0 || src[j] != '}' {
		return false
	}
	return j == 0 || src[j-1] == '\n'
}
