package admin

import (
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/core/catalog"
)

func TestParseStockChange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want stockChange
	}{
		{"+5", stockChange{Delta: 5}},
		{"-2", stockChange{Delta: -2}},
		{"−3 broken", stockChange{Delta: -3, Note: "broken"}},
		{"12", stockChange{Set: true, Count: 12}},
		{"0", stockChange{Set: true, Count: 0}},
		{" +5  from the supplier ", stockChange{Delta: 5, Note: "from the supplier"}},
		{"+5\nfrom the supplier", stockChange{Delta: 5, Note: "from the supplier"}},
		{"1000000", stockChange{Set: true, Count: 1000000}},
	} {
		got, err := parseStockChange(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseStockChange(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "+", "-0", "+0", "abc", "5.5", "1000001", "+1000001", "++5", "five", "5шт", "１２"} {
		if got, err := parseStockChange(in); err == nil {
			t.Errorf("parseStockChange(%q) = %+v; want an error", in, got)
		}
	}
}

func FuzzParseStockChange(f *testing.F) {
	for _, s := range []string{"+5", "-2 note", "12", "−3", "0", "+", "1000000", "+5\nx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseStockChange(s)
		if err != nil {
			return
		}
		switch {
		case c.Set && (c.Count < 0 || c.Count > catalog.MaxStock || c.Delta != 0):
			t.Fatalf("%q: count %+v", s, c)
		case !c.Set && (c.Delta == 0 || c.Delta > catalog.MaxStock || c.Delta < -catalog.MaxStock):
			t.Fatalf("%q: delta %+v", s, c)
		case c.Note != strings.TrimSpace(c.Note):
			t.Fatalf("%q: untrimmed note %q", s, c.Note)
		}
	})
}
