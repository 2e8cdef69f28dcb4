// Package entity parses a bot's formatted text the way Telegram does: Telegram's HTML subset into
// plain text and message entities, offsets and lengths in UTF-16 code units, white space trimmed
// with the entities moved along. It is a package of its own because it is a parser with no state:
// it knows nothing of chats or of the Bot API's errors, and it is tested (and fuzzed) alone.
package entity

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mymmrac/telego"
)

// UTF16Len returns the length of s in UTF-16 code units, Telegram's unit for offsets and limits.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Trim strips leading and trailing white space as Telegram does, moving entities along.
func Trim(text string, ents []telego.MessageEntity) (string, []telego.MessageEntity) {
	trimmedLeft := strings.TrimLeftFunc(text, unicode.IsSpace)
	lead := UTF16Len(text[:len(text)-len(trimmedLeft)])
	trimmed := strings.TrimRightFunc(trimmedLeft, unicode.IsSpace)
	limit := UTF16Len(trimmed)
	if lead == 0 && len(trimmed) == len(text) {
		return text, ents
	}
	var out []telego.MessageEntity
	for _, e := range ents {
		start := max(e.Offset-lead, 0)
		end := min(e.Offset+e.Length-lead, limit)
		if end <= start {
			continue
		}
		e.Offset, e.Length = start, end-start
		out = append(out, e)
	}
	return trimmed, out
}

// entityError is a parse error in Telegram's wording, which starts with a capital letter.
type entityError struct{ msg string }

func (e *entityError) Error() string { return e.msg }

func entityErr(format string, args ...any) error {
	return &entityError{msg: fmt.Sprintf(format, args...)}
}

// htmlTag is an open tag while parsing.
type htmlTag struct {
	name       string
	entityType string // "" for a tag that makes no entity of its own
	start      int    // UTF-16 offset where its content begins
	url        string
	language   string
	user       int64
	emojiID    string
}

var htmlEntityTypes = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"tg-spoiler": "spoiler",
	"code":       "code",
	"pre":        "pre",
	"a":          "text_link",
	"blockquote": "blockquote",
	"tg-emoji":   "custom_emoji",
	"span":       "spoiler",
}

// ParseHTML parses Telegram's HTML subset (https://core.telegram.org/bots/api#html-style) into
// plain text and entities. Unsupported tags, unclosed and mismatched tags are errors, as on Telegram,
// in Telegram's wording; the Bot API answers them as "Bad Request: can't parse entities: <error>".
func ParseHTML(src string) (string, []telego.MessageEntity, error) {
	var (
		text  strings.Builder
		pos   int // UTF-16 offset in text
		stack []htmlTag
		ents  []telego.MessageEntity
	)
	for i := 0; i < len(src); {
		switch c := src[i]; c {
		case '<':
			next, err := readTag(src, i, pos, &stack, &ents)
			if err != nil {
				return "", nil, err
			}
			i = next
		case '&':
			r, n := htmlEntity(src[i:])
			if n == 0 {
				text.WriteByte('&')
				pos++
				i++
				continue
			}
			text.WriteRune(r)
			pos += utf16.RuneLen(r)
			i += n
		default:
			r, n := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && n == 1 {
				return "", nil, entityErr("Strings must be encoded in UTF-8")
			}
			text.WriteString(src[i : i+n])
			pos += utf16.RuneLen(r)
			i += n
		}
	}
	if len(stack) > 0 {
		return "", nil, entityErr("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	slices.SortStableFunc(ents, func(a, b telego.MessageEntity) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		return b.Length - a.Length
	})
	return text.String(), ents, nil
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'
}

// readTag reads the tag starting at src[begin] == '<', the way Telegram's parser does: a start tag
// is pushed on stack, an end tag pops it and adds its entity. It returns the index after the tag.
func readTag(src string, begin, pos int, stack *[]htmlTag, ents *[]telego.MessageEntity) (int, error) {
	if strings.HasPrefix(src[begin:], "</") {
		if len(*stack) == 0 {
			return 0, entityErr("Unexpected end tag at byte offset %d", begin)
		}
		j := begin + 2
		for j < len(src) && !isHTMLSpace(src[j]) && src[j] != '>' {
			j++
		}
		name := strings.ToLower(src[begin+2 : j])
		for j < len(src) && isHTMLSpace(src[j]) {
			j++
		}
		if j >= len(src) || src[j] != '>' {
			return 0, entityErr("Unclosed end tag at byte offset %d", begin)
		}
		top := (*stack)[len(*stack)-1]
		if name != "" && name != top.name {
			return 0, entityErr("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"",
				begin, top.name, name)
		}
		*stack = (*stack)[:len(*stack)-1]
		if top.entityType != "" && pos > top.start {
			e := telego.MessageEntity{Type: top.entityType, Offset: top.start, Length: pos - top.start,
				URL: top.url, Language: top.language, CustomEmojiID: top.emojiID}
			if top.user != 0 {
				e.Type, e.URL, e.User = "text_mention", "", &telego.User{ID: top.user}
			}
			*ents = append(*ents, e)
		}
		return j + 1, nil
	}

	j := begin + 1
	for j < len(src) && !isHTMLSpace(src[j]) && src[j] != '>' {
		j++
	}
	if j >= len(src) {
		return 0, entityErr("Unclosed start tag at byte offset %d", begin)
	}
	name := strings.ToLower(src[begin+1 : j])
	entityType, ok := htmlEntityTypes[name]
	if !ok {
		return 0, entityErr("Unsupported start tag \"%s\" at byte offset %d", name, begin)
	}
	// Attributes run to the first '>' outside quotes.
	end, quote := j, byte(0)
	for ; end < len(src); end++ {
		c := src[end]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		}
		if quote == 0 && c == '>' {
			break
		}
	}
	if end >= len(src) {
		return 0, entityErr("Unclosed start tag at byte offset %d", begin)
	}
	t, err := openTag(name, entityType, parseAttrs(src[j:end]), begin, pos, *stack)
	if err != nil {
		return 0, err
	}
	*stack = append(*stack, t)
	return end + 1, nil
}

// openTag applies a start tag's attributes.
func openTag(name, entityType string, attrs map[string]string, byteOffset, pos int, stack []htmlTag) (htmlTag, error) {
	t := htmlTag{name: name, entityType: entityType, start: pos}
	switch name {
	case "a":
		href := attrs["href"]
		if id, ok := strings.CutPrefix(href, "tg://user?id="); ok {
			t.user, _ = strconv.ParseInt(id, 10, 64)
		} else if href == "" {
			t.entityType = ""
		} else {
			t.url = href
		}
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return htmlTag{}, entityErr("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", byteOffset)
		}
	case "blockquote":
		if _, ok := attrs["expandable"]; ok {
			t.entityType = "expandable_blockquote"
		}
	case "tg-emoji":
		t.emojiID = attrs["emoji-id"]
		if t.emojiID == "" {
			return htmlTag{}, entityErr("Custom emoji identifier must be specified at byte offset %d", byteOffset)
		}
	case "code":
		// <pre><code class="language-go"> is one pre entity with a language.
		if lang, ok := strings.CutPrefix(attrs["class"], "language-"); ok && len(stack) > 0 {
			if parent := &stack[len(stack)-1]; parent.name == "pre" && parent.start == pos {
				parent.language = lang
				t.entityType = ""
			}
		}
	}
	return t, nil
}

// parseAttrs reads name="value", name='value', name=value and bare names.
func parseAttrs(s string) map[string]string {
	attrs := make(map[string]string)
	for {
		s = strings.TrimSpace(s)
		if s == "" {
			return attrs
		}
		end := strings.IndexAny(s, "= \t\n")
		if end < 0 {
			attrs[strings.ToLower(s)] = ""
			return attrs
		}
		name := strings.ToLower(s[:end])
		s = strings.TrimLeft(s[end:], " \t\n")
		if !strings.HasPrefix(s, "=") {
			attrs[name] = ""
			continue
		}
		s = strings.TrimLeft(s[1:], " \t\n")
		var value string
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			q := s[0]
			closeAt := strings.IndexByte(s[1:], q)
			if closeAt < 0 {
				value, s = s[1:], ""
			} else {
				value, s = s[1:1+closeAt], s[2+closeAt:]
			}
		} else {
			sp := strings.IndexAny(s, " \t\n")
			if sp < 0 {
				value, s = s, ""
			} else {
				value, s = s[:sp], s[sp:]
			}
		}
		attrs[name] = unescapeHTML(value)
	}
}

// htmlEntity decodes the character reference at the start of s (&lt; &gt; &amp; &quot; and numeric
// ones, the set Telegram supports); n is 0 when s does not start with one.
func htmlEntity(s string) (r rune, n int) {
	semi := strings.IndexByte(s, ';')
	if semi < 2 || semi > 10 {
		return 0, 0
	}
	name := s[1:semi]
	switch name {
	case "lt":
		return '<', semi + 1
	case "gt":
		return '>', semi + 1
	case "amp":
		return '&', semi + 1
	case "quot":
		return '"', semi + 1
	}
	if !strings.HasPrefix(name, "#") {
		return 0, 0
	}
	var (
		v   uint64
		err error
	)
	if strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X") {
		v, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || v == 0 || v > unicode.MaxRune {
		return 0, 0
	}
	return rune(v), semi + 1
}

func unescapeHTML(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if r, n := htmlEntity(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// FromUser returns the entities a Telegram client marks in a user's text: a leading bot command.
func FromUser(text string) []telego.MessageEntity {
	if !strings.HasPrefix(text, "/") {
		return nil
	}
	end := strings.IndexFunc(text, unicode.IsSpace)
	if end < 0 {
		end = len(text)
	}
	if end <= 1 {
		return nil
	}
	return []telego.MessageEntity{{Type: "bot_command", Offset: 0, Length: UTF16Len(text[:end])}}
}
