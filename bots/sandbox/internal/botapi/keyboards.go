package botapi

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Keyboards: reply_markup read and checked as Telegram does.

// markup is a parsed reply_markup.
type markup struct {
	inline     [][]telego.InlineKeyboardButton
	reply      *telego.ReplyKeyboardMarkup
	remove     bool
	forceReply bool
}

func (mk markup) apply(m *world.Message) {
	m.InlineKeyboard, m.ReplyKeyboard, m.RemoveKeyboard, m.ForceReply = mk.inline, mk.reply, mk.remove, mk.forceReply
}

// parseMarkup reads and validates a reply_markup parameter (an object, or a string of JSON).
func parseMarkup(p Params, key string) (markup, error) {
	var fields map[string]json.RawMessage
	ok, err := p.Decode(key, &fields)
	if err != nil || !ok {
		return markup{}, err
	}
	var mk markup
	switch {
	case fields["inline_keyboard"] != nil:
		if err := json.Unmarshal(fields["inline_keyboard"], &mk.inline); err != nil {
			return markup{}, badRequest("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")
		}
		if err := validateInlineKeyboard(mk.inline); err != nil {
			return markup{}, err
		}
		if len(mk.inline) == 0 {
			mk.inline = nil
		}
	case fields["keyboard"] != nil:
		var rk telego.ReplyKeyboardMarkup
		raw, _ := json.Marshal(fields)
		if err := json.Unmarshal(raw, &rk); err != nil {
			return markup{}, badRequest("can't parse reply keyboard markup JSON object")
		}
		for _, row := range rk.Keyboard {
			for _, b := range row {
				if b.Text == "" {
					return markup{}, badRequest("keyboard button text must be non-empty")
				}
			}
		}
		mk.reply = &rk
	case fields["remove_keyboard"] != nil:
		mk.remove = true
	case fields["force_reply"] != nil:
		mk.forceReply = true
	default:
		return markup{}, badRequest("can't parse reply keyboard markup JSON object")
	}
	return mk, nil
}

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

func validateInlineKeyboard(kb [][]telego.InlineKeyboardButton) error {
	total := 0
	for _, row := range kb {
		total += len(row)
		for _, b := range row {
			if err := validateInlineButton(b); err != nil {
				return err
			}
		}
	}
	if total > 100 {
		return badRequest("reply markup is too long")
	}
	return nil
}

func validateInlineButton(b telego.InlineKeyboardButton) error {
	if strings.TrimSpace(b.Text) == "" {
		return badRequest("BUTTON_TEXT_INVALID")
	}
	switch {
	case b.CallbackData != "":
		if len(b.CallbackData) > maxCallbackData {
			return badRequest("BUTTON_DATA_INVALID")
		}
	case b.URL != "":
		if !validButtonURL(b.URL) {
			return badRequest("inline keyboard button URL '%s' is invalid: Wrong HTTP URL", b.URL)
		}
	case b.WebApp != nil, b.LoginURL != nil, b.SwitchInlineQuery != nil, b.SwitchInlineQueryCurrentChat != nil,
		b.SwitchInlineQueryChosenChat != nil, b.CopyText != nil, b.CallbackGame != nil, b.Pay:
	default:
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	return nil
}

func validButtonURL(raw string) bool {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return u.Host != "" && !strings.ContainsAny(u.Host, " _")
	case "tg", "ton":
		return true
	}
	return false
}
