package inbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"Plain", `{"text":"hello"}`, `{"text":"hello"}`},
		{"NUL", `{"text":"a\u0000b"}`, `{"text":"a\ufffdb"}`},
		{"NULInKey", `{"a\u0000":1}`, `{"a\ufffd":1}`},
		{"EscapedBackslash", `{"text":"a\\u0000b"}`, `{"text":"a\\u0000b"}`},
		{"EscapedBackslashThenNUL", `{"text":"\\\u0000"}`, `{"text":"\\\ufffd"}`},
		{"EscapedQuote", `{"text":"\"\u0000"}`, `{"text":"\"\ufffd"}`},
		{"UpperHex", `{"text":"\u0000\U0000"}`, `{"text":"\ufffd\U0000"}`}, // \U is not an escape JSON knows
		{"LoneHigh", `{"text":"a\ud800b"}`, `{"text":"a\ufffdb"}`},
		{"LoneLow", `{"text":"\udc00"}`, `{"text":"\ufffd"}`},
		{"Pair", `{"text":"\ud83d\ude00"}`, `{"text":"\ud83d\ude00"}`},
		{"HighThenHighPair", `{"text":"\ud800\ud83d\ude00"}`, `{"text":"\ufffd\ud83d\ude00"}`},
		{"HighThenNUL", `{"text":"\uD800\u0000"}`, `{"text":"\ufffd\ufffd"}`},
		{"InvalidUTF8", "{\"text\":\"a\xff\xfeb\"}", "{\"text\":\"a\uFFFD\uFFFDb\"}"},
		{"ValidUTF8", `{"text":"привет 😀"}`, `{"text":"привет 😀"}`},
		{"NotInString", `{"a":1,"b":[true,null]}`, `{"a":1,"b":[true,null]}`},
		{"Truncated", `{"text":"\u00`, `{"text":"\u00`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(clean([]byte(tt.in))); got != tt.want {
				t.Errorf("clean(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
	t.Run("Unchanged", func(t *testing.T) {
		t.Parallel()
		in := []byte(`{"update_id":1,"message":{"text":"hi"}}`)
		if got := clean(in); &got[0] != &in[0] {
			t.Error("a clean body was copied")
		}
	})
}

// FuzzClean checks clean's contract on any input: it never fails, its output is valid
// UTF-8 and has nothing left to clean, and when the input is JSON the output is JSON with the same tokens, except
// that NUL characters are U+FFFD.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		`{"update_id":1,"message":{"text":"a\u0000b"}}`,
		`{"t":"\\u0000\\\u0000\"\u0000"}`,
		`["\ud800","\udc00","\ud83d\ude00","\ud800\u0041"]`,
		"{\"t\":\"\xff\xc3\"}",
		`"\u0000"`,
		`{"a\u0000":"b","a\ufffd":"c"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := clean(in)
		if !utf8.Valid(out) {
			t.Fatalf("clean(%q) = %q: not valid UTF-8", in, out)
		}
		// Nothing it replaces is left: no NUL escape, lone surrogate or invalid byte.
		if again := clean(out); !bytes.Equal(again, out) {
			t.Fatalf("clean(%q) = %q, cleaned again %q: something was left", in, out, again)
		}
		if !json.Valid(in) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("clean(%q) = %q: not JSON", in, out)
		}
		want, got := tokens(t, in), tokens(t, out)
		for i, tok := range want {
			if s, ok := tok.(string); ok {
				want[i] = strings.ReplaceAll(s, "\x00", "\uFFFD")
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("clean(%q) = %q: tokens %q, want %q", in, out, got, want)
		}
	})
}

// tokens returns the JSON tokens of data as encoding/json reads them.
func tokens(t *testing.T, data []byte) []any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var toks []any
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return toks
		}
		if err != nil {
			t.Fatalf("tokens of %q: %v", data, err)
		}
		toks = append(toks, tok)
	}
}
