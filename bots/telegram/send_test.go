package telegram

import (
	"strings"
	"testing"
)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"привет", 3, "пр…"},
		// An emoji outside the BMP is two characters for Telegram, and is never split.
		{"🙂🙂🙂", 6, "🙂🙂🙂"},
		{"🙂🙂🙂", 5, "🙂🙂…"},
		{"🙂🙂🙂", 4, "🙂…"},
		{"a🙂", 2, "a…"},
		{"abc", 0, ""},
	} {
		if got := Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if got := TextLen(Truncate(tc.in, tc.n)); got > tc.n {
			t.Errorf("truncate(%q, %d) is %d long", tc.in, tc.n, got)
		}
	}
}

func TestFitHTML(t *testing.T) {
	short := "<b>Cart</b>\n1. a\nTotal: <b>5</b>"
	if got, cut := fitHTML(short, 100); got != short || cut {
		t.Errorf("a short text changed: %q, %v", got, cut)
	}

	var lines []string
	lines = append(lines, "<b>Cart · Shop</b>")
	for range 200 {
		lines = append(lines, "• <i>"+strings.Repeat("x", 30)+"</i>")
	}
	lines = append(lines, "", "Total: <b>100</b>", "<i>hint</i>")
	long := strings.Join(lines, "\n")
	got, cut := fitHTML(long, MaxTextLen)
	if !cut || TextLen(Plain(got)) > MaxTextLen {
		t.Fatalf("cut %v, length %d", cut, TextLen(Plain(got)))
	}
	if !strings.HasPrefix(got, "<b>Cart · Shop</b>\n• <i>") || !strings.HasSuffix(got, "\n…\n\nTotal: <b>100</b>\n<i>hint</i>") {
		t.Errorf("head or tail lost: %q … %q", got[:40], got[len(got)-40:])
	}
	if strings.Count(got, "<i>") != strings.Count(got, "</i>") {
		t.Errorf("tags cut: %q", got)
	}

	// One enormous line: plain text, escaped.
	got, cut = fitHTML("<b>"+strings.Repeat("&lt;&gt;&amp;", 2000)+"</b>", 100)
	if !cut || TextLen(Plain(got)) > 100 || strings.Contains(got, "<b>") || !strings.HasPrefix(got, "&lt;&gt;&amp;") {
		t.Errorf("one long line = %q", got)
	}
}
