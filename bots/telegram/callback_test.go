package telegram

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
)

func TestCallbackData(t *testing.T) {
	tests := []struct {
		verb string
		args []any
		want string
	}{
		{VerbShops, []any{0}, "sh:0"},
		{VerbProduct, []any{core.ProductID(12), core.VariantID(7), 3}, "p:12:7:3"},
		{VerbLanguage, []any{"ru"}, "l:ru"},
		{VerbNoop, nil, "x"},
	}
	for _, tt := range tests {
		got, err := EncodeCallback(tt.verb, tt.args...)
		if err != nil || got != tt.want {
			t.Errorf("EncodeCallback(%q, %v) = %q, %v; want %q", tt.verb, tt.args, got, err, tt.want)
		}
		d, err := parseCallback(got)
		if err != nil || d.Verb != tt.verb || d.String() != got {
			t.Errorf("parseCallback(%q) = %+v, %v", got, d, err)
		}
	}
}

func TestCallbackDataRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		verb string
		args []any
		want error
	}{
		{"verb with a digit", "a1", nil, errCallbackVerb},
		{"empty verb", "", nil, errCallbackVerb},
		{"long verb", "abcde", nil, errCallbackVerb},
		{"colon in an argument", "l", []any{"a:b"}, errCallbackArg},
		{"not UTF-8", "l", []any{"\xff"}, errCallbackArg},
		{"float", "l", []any{1.5}, errCallbackArg},
		{"too long", "l", []any{strings.Repeat("a", 63)}, errCallbackTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := EncodeCallback(tc.verb, tc.args...); err != tc.want {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	for _, data := range []string{"", "P:1", "1:2", ":", strings.Repeat("a", 65), "ab\xffc:1"} {
		if _, err := parseCallback(data); err == nil {
			t.Errorf("parseCallback(%q) accepted", data)
		}
	}
}

func FuzzCallbackData(f *testing.F) {
	for _, s := range []string{"sh:0", "p:12:7:3", "kb:1:2:p:3:abcdEFGH", "x", "l:ru", ":", "a::b", "p:-1:+2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		d, err := parseCallback(data)
		if err != nil {
			return
		}
		if d.String() != data {
			t.Fatalf("round trip: %q -> %q", data, d.String())
		}
		if len(data) > maxCallbackData || !utf8.ValidString(data) || !validVerb(d.Verb) {
			t.Fatalf("accepted %q", data)
		}
		args := make([]any, len(d.Args))
		for i, a := range d.Args {
			args[i] = a
		}
		again, err := EncodeCallback(d.Verb, args...)
		if err != nil || again != data {
			t.Fatalf("re-encode %q = %q, %v", data, again, err)
		}
		for i := range d.Args {
			if n, err := d.Int(i); err == nil && d.Args[i] == "0" && n != 0 {
				t.Fatalf("Int(%d) of %q = %d", i, data, n)
			}
		}
	})
}
