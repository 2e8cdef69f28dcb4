package telegram

import (
	"strings"
	"testing"
)

func TestParseQuantity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"3", 3}, {" 3 ", 3}, {"3 шт", 3}, {"3шт.", 3}, {"x3", 3}, {"×2", 2}, {"1 000", 1000}, {"0", 0}, {"007", 7}, {"2 pcs", 2},
	} {
		got, err := ParseQuantity(tc.in, 0, 100000)
		if err != nil || got != tc.want {
			t.Errorf("parseQuantity(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "abc", "-1", "+1", "1.5", "1,5", "١٢", "1e3", "шт", "1000000000000", "1001", "3 4 шт x"} {
		if got, err := ParseQuantity(bad, 0, 1000); err == nil {
			t.Errorf("parseQuantity(%q) = %d, want an error", bad, got)
		}
	}
	if _, err := ParseQuantity("0", 1, 10); err == nil {
		t.Error("0 accepted with min 1")
	}
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"3", "1 000", "x3", "3 шт", "-1", "1.5", "999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseQuantity(s, 0, 999)
		if err != nil {
			return
		}
		if n < 0 || n > 999 {
			t.Fatalf("parseQuantity(%q) = %d, out of range", s, n)
		}
	})
}

func TestValidLineAndText(t *testing.T) {
	for _, tc := range []struct {
		s          string
		line, text bool
	}{
		{"Cats", true, true},
		{"  padded  ", true, true},
		{"", false, true},
		{"two\nlines", false, true},
		{"tab\there", false, true},
		{"bell\a", false, false},
		{strings.Repeat("я", 10), true, true},
		{strings.Repeat("я", 11), false, false},
		{"\xff", false, false},
	} {
		if got := validLine(tc.s, 10); got != tc.line {
			t.Errorf("validLine(%q) = %v", tc.s, got)
		}
		if got := validText(tc.s, 10); got != tc.text {
			t.Errorf("validText(%q) = %v", tc.s, got)
		}
	}
}
