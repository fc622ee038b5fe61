package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// writeDeltaByMarshal is how writeDelta wrote a delta before it encoded
// it directly: the bytes must stay the same.
func writeDeltaByMarshal(index int, typ, field, text string) []byte {
	b, _ := json.Marshal(map[string]any{"type": "content_block_delta", "index": index,
		"delta": map[string]string{"type": typ, field: text}})
	return []byte(fmt.Sprintf("event: content_block_delta\ndata: %s\n\n", b))
}

var deltaSeeds = []string{
	"", "plain text", "AKIAZ3MHQ2XN7P4VWK5T", `quote " and backslash \ here`, "line\nbreak\ttab\rcr\b\f",
	"\x00\x01\x1f\x7f", "<html> & 'amp'", "é ü 中文 🙂", "\u2028\u2029", "bad \xff\xfe utf8", `{"k":"v"}`, "\xed\xa0\x80",
}

func TestWriteDeltaMatchesJSONMarshal(t *testing.T) {
	for _, text := range deltaSeeds {
		for _, c := range [][2]string{{"text_delta", "text"}, {"input_json_delta", "partial_json"}} {
			for _, index := range []int{0, 7, 123} {
				var got bytes.Buffer
				writeDelta(&got, index, c[0], c[1], text)
				if want := writeDeltaByMarshal(index, c[0], c[1], text); !bytes.Equal(got.Bytes(), want) {
					t.Errorf("writeDelta(%d, %s, %q):\n got %q\nwant %q", index, c[0], text, got.Bytes(), want)
				}
			}
		}
	}
}

func FuzzWriteDelta(f *testing.F) {
	for i, s := range deltaSeeds {
		f.Add(i, s, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, index int, text string, isJSON bool) {
		typ, field := "text_delta", "text"
		if isJSON {
			typ, field = "input_json_delta", "partial_json"
		}
		var got bytes.Buffer
		writeDelta(&got, index, typ, field, text)
		if want := writeDeltaByMarshal(index, typ, field, text); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("writeDelta(%d, %s, %q):\n got %q\nwant %q", index, typ, text, got.Bytes(), want)
		}
	})
}
