package inbox

import (
	"unicode/utf8"
)

// replacement is U+FFFD as a JSON escape.
const replacement = `\ufffd`

// clean returns an update's JSON with U+FFFD, the replacement character, in place of:
//   - every \u0000 escape inside a string: PostgreSQL text columns refuse NUL, and
//     handlers store what users type (names, messages, addresses) in them;
//   - every escape of a lone UTF-16 surrogate (\ud800 not followed by a low surrogate,
//     or a low one alone), which decodes to no character;
//   - every byte that is not part of valid UTF-8.
//
// Escaped backslashes and quotes are respected (\\u0000 is a backslash and the text
// "u0000", kept as it is). The result decodes like body does with encoding/json, except
// that NUL characters become U+FFFD, and it decodes the same with every JSON decoder
// (telego decodes parts of an update with its own). A body without any of these is
// returned as it is. Only the copy given to the handler is cleaned: the update is
// stored as Telegram sent it.
func clean(body []byte) []byte {
	var out []byte // nil until something is replaced
	copied := 0    // body[:copied] is in out
	replace := func(from, to int, with string) {
		if out == nil {
			out = make([]byte, 0, len(body)+8)
		}
		out = append(out, body[copied:from]...)
		out = append(out, with...)
		copied = to
	}
	inString := false
	for i := 0; i < len(body); {
		c := body[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				replace(i, i+1, "\uFFFD")
			}
			i += size
			continue
		}
		if !inString {
			if c == '"' {
				inString = true
			}
			i++
			continue
		}
		switch c {
		case '"':
			inString = false
			i++
		case '\\':
			if r, ok := unicodeEscape(body, i); ok {
				switch {
				case r == 0:
					replace(i, i+6, replacement)
					i += 6
					continue
				case r >= 0xD800 && r < 0xDC00: // high surrogate: keep it only with its low half
					if low, ok := unicodeEscape(body, i+6); ok && low >= 0xDC00 && low < 0xE000 {
						i += 12
						continue
					}
					replace(i, i+6, replacement)
					i += 6
					continue
				case r >= 0xDC00 && r < 0xE000: // a low surrogate alone
					replace(i, i+6, replacement)
					i += 6
					continue
				}
			}
			// The escaped character (a quote, a backslash, the u of \uXXXX) is skipped so
			// that it does not end the string or start another escape; the hex digits
			// that may follow are ordinary characters. A byte beyond ASCII is no escape
			// (the JSON is invalid) and is checked as UTF-8 like any other.
			i++
			if i < len(body) && body[i] < utf8.RuneSelf {
				i++
			}
		default:
			i++
		}
	}
	if out == nil {
		return body
	}
	return append(out, body[copied:]...)
}

// unicodeEscape decodes the \uXXXX escape at body[i:], if there is one.
func unicodeEscape(body []byte, i int) (rune, bool) {
	if i+6 > len(body) || body[i] != '\\' || body[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range body[i+2 : i+6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
