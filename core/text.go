package core

import (
	"strings"
	"unicode"
)

// Visible reports whether s has a character a person can see: not only spaces,
// zero-width and other format characters, or the blank-looking fillers (Hangul fillers,
// the blank Braille pattern) people use for invisible names.
func Visible(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		switch r {
		case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800':
			return false
		}
		return unicode.IsGraphic(r) && !unicode.IsSpace(r)
	})
}
