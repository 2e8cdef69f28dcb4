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
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if got := textLen(truncate(tc.in, tc.n)); got > tc.n {
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
	got, cut := fitHTML(long, maxTextLen)
	if !cut || textLen(plain(got)) > maxTextLen {
		t.Fatalf("cut %v, length %d", cut, textLen(plain(got)))
	}
	if !strings.HasPrefix(got, "<b>Cart · Shop</b>\n• <i>") || !strings.HasSuffix(got, "\n…\n\nTotal: <b>100</b>\n<i>hint</i>") {
		t.Errorf("head or tail lost: %q … %q", got[:40], got[len(got)-40:])
	}
	if strings.Count(got, "<i>") != strings.Count(got, "</i>") {
		t.Errorf("tags cut: %q", got)
	}

	// One enormous line: plain text, escaped.
	got, cut = fitHTML("<b>"+strings.Repeat("&lt;&gt;&amp;", 2000)+"</b>", 100)
	if !cut || textLen(plain(got)) > 100 || strings.Contains(got, "<b>") || !strings.HasPrefix(got, "&lt;&gt;&amp;") {
		t.Errorf("one long line = %q", got)
	}
}

// TestTextTagsPerLine checks that every tag of the catalog opens and closes on one
// line, so that fitHTML may drop whole lines without breaking the HTML.
func TestTextTagsPerLine(t *testing.T) {
	for key, tx := range mustTexts(t) {
		for _, format := range []string{tx.RU, tx.EN} {
			for _, line := range strings.Split(format, "\n") {
				for _, tag := range []string{"b", "i", "s", "u", "code", "pre", "a"} {
					open := strings.Count(line, "<"+tag+">") + strings.Count(line, "<"+tag+" ")
					if closed := strings.Count(line, "</"+tag+">"); open != closed {
						t.Errorf("%s: <%s> spans lines in %q", key, tag, line)
					}
				}
			}
		}
	}
}
