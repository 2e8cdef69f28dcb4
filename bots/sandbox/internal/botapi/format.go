package botapi

import (
	"slices"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/entity"
)

// Telegram's limits on text, in UTF-16 code units after entity parsing.
const (
	maxTextLength    = 4096
	maxCaptionLength = 1024
)

// formatted is text with its entities, parsed the way Telegram parses a bot's text.
type formatted struct {
	text      string
	entities  []telego.MessageEntity
	parseMode string
}

// parseFormatted applies parse_mode (or explicit entities) to text and trims it as Telegram does.
// HTML is parsed into entities; other parse modes keep the text as is. Errors are Telegram's 400s.
func parseFormatted(text, parseMode string, explicit []telego.MessageEntity) (formatted, error) {
	out := formatted{text: text, parseMode: parseMode}
	switch strings.ToLower(parseMode) {
	case "":
		out.entities = slices.Clone(explicit)
	case "html":
		t, ents, err := entity.ParseHTML(text)
		if err != nil {
			return formatted{}, badRequest("can't parse entities: %s", err.Error())
		}
		out.text, out.entities = t, ents
	case "markdown", "markdownv2":
		// Kept as written: the sandbox does not render Markdown (see the package report).
	default:
		return formatted{}, badRequest("unsupported parse_mode")
	}
	out.text, out.entities = entity.Trim(out.text, out.entities)
	return out, nil
}

// formattedParam reads a text parameter as Telegram does, with its parse mode and explicit
// entities (text and entities, or caption and caption_entities), and checks its length.
func formattedParam(p Params, field, entitiesField string, check func(string) error) (formatted, error) {
	var explicit []telego.MessageEntity
	if _, err := p.Decode(entitiesField, &explicit); err != nil {
		return formatted{}, err
	}
	f, err := parseFormatted(p.Str(field), p.Str("parse_mode"), explicit)
	if err != nil {
		return formatted{}, err
	}
	if err := check(f.text); err != nil {
		return formatted{}, err
	}
	return f, nil
}

func checkText(text string) error {
	if text == "" {
		return badRequest("message text is empty")
	}
	if entity.UTF16Len(text) > maxTextLength {
		return badRequest("message is too long")
	}
	return nil
}

// CheckCaption checks a caption's length after entity parsing.
func CheckCaption(caption string) error {
	if entity.UTF16Len(caption) > maxCaptionLength {
		return badRequest("message caption is too long")
	}
	return nil
}
