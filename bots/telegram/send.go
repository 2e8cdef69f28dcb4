package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/mymmrac/telego"
	"github.com/mymmrac/telego/telegoapi"
	tu "github.com/mymmrac/telego/telegoutil"
)

// Every message is HTML (parse mode HTML): texts in the catalog are HTML, and what
// users and sellers typed is escaped by t (see texts.go) before it enters one.

// View is a screen the bot shows: a text message, or a photo with a caption.
type View struct {
	Text     string // HTML
	Photo    string // a Telegram file id; "" for a text message
	Keyboard *telego.InlineKeyboardMarkup
	// NewPhoto says the photo may differ from the one the pressed message
	// shows (a card paging its photos): Show edits the media, not only the
	// caption.
	NewPhoto bool
}

// Telegram's limits on a message text and a caption, in characters.
const (
	MaxTextLen    = 4096
	MaxCaptionLen = 1024
)

// Show shows v in reply to r: when r is a pressed button on a message of the same
// form (text for text, photo for photo), that message is edited in place, so menus
// do not pile up; otherwise, or when r.fresh asks to keep the pressed message, v is
// sent as a new message.
//
// A photo message is only ever edited into a view of the same product, so editing
// its caption (not its media) is enough.
func (b *Bot) Show(ctx context.Context, r *Request, v View) error {
	v = StampSteps(r, v)
	if r.Callback != nil && r.Msg != nil && !r.Fresh {
		isPhoto := len(r.Msg.Photo) > 0
		switch {
		case !isPhoto && v.Photo == "" && r.Msg.Text != "":
			return b.editText(ctx, r.ChatID, r.Msg.MessageID, v.Text, v.Keyboard)
		case isPhoto && v.Photo != "" && v.NewPhoto:
			return b.editMedia(ctx, r.ChatID, r.Msg.MessageID, v)
		case isPhoto && v.Photo != "":
			return b.editCaption(ctx, r.ChatID, r.Msg.MessageID, v.Text, v.Keyboard)
		}
	}
	_, err := b.SendView(ctx, r.ChatID, v)
	return err
}

// SendView sends v as a new message.
func (b *Bot) SendView(ctx context.Context, chatID int64, v View) (*telego.Message, error) {
	if v.Photo != "" {
		msg, err := b.api.SendPhoto(ctx, &telego.SendPhotoParams{
			ChatID:      tu.ID(chatID),
			Photo:       tu.FileFromID(v.Photo),
			Caption:     b.Fit(ctx, v.Text, MaxCaptionLen),
			ParseMode:   telego.ModeHTML,
			ReplyMarkup: v.Keyboard,
		})
		if err != nil {
			return nil, fmt.Errorf("send photo: %w", err)
		}
		return msg, nil
	}
	msg, err := b.api.SendMessage(ctx, &telego.SendMessageParams{
		ChatID:             tu.ID(chatID),
		Text:               b.Fit(ctx, v.Text, MaxTextLen),
		ParseMode:          telego.ModeHTML,
		LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true},
		ReplyMarkup:        v.Keyboard,
	})
	if err != nil {
		return nil, fmt.Errorf("send message: %w", err)
	}
	return msg, nil
}

// SendText sends an HTML text with an optional keyboard.
func (b *Bot) SendText(ctx context.Context, chatID int64, text string, kb *telego.InlineKeyboardMarkup) error {
	_, err := b.SendView(ctx, chatID, View{Text: text, Keyboard: kb})
	return err
}

// editMedia replaces a photo message's photo, caption and keyboard. "Message
// is not modified" (a double tap) is success.
func (b *Bot) editMedia(ctx context.Context, chatID int64, messageID int, v View) error {
	_, err := b.api.EditMessageMedia(ctx, &telego.EditMessageMediaParams{
		ChatID:      tu.ID(chatID),
		MessageID:   messageID,
		Media:       tu.MediaPhoto(tu.FileFromID(v.Photo)).WithCaption(b.Fit(ctx, v.Text, MaxCaptionLen)).WithParseMode(telego.ModeHTML),
		ReplyMarkup: v.Keyboard,
	})
	if err != nil && !NotModified(err) {
		return fmt.Errorf("edit media: %w", err)
	}
	return nil
}

// editText replaces a text message's text and keyboard. "Message is not modified"
// (the same screen shown again, a double tap) is success.
func (b *Bot) editText(ctx context.Context, chatID int64, messageID int, text string, kb *telego.InlineKeyboardMarkup) error {
	_, err := b.api.EditMessageText(ctx, &telego.EditMessageTextParams{
		ChatID:             tu.ID(chatID),
		MessageID:          messageID,
		Text:               b.Fit(ctx, text, MaxTextLen),
		ParseMode:          telego.ModeHTML,
		LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true},
		ReplyMarkup:        kb,
	})
	if err != nil && !NotModified(err) {
		return fmt.Errorf("edit message: %w", err)
	}
	return nil
}

// editCaption replaces a photo message's caption and keyboard; "not modified" is
// success.
func (b *Bot) editCaption(ctx context.Context, chatID int64, messageID int, caption string, kb *telego.InlineKeyboardMarkup) error {
	_, err := b.api.EditMessageCaption(ctx, &telego.EditMessageCaptionParams{
		ChatID:      tu.ID(chatID),
		MessageID:   messageID,
		Caption:     b.Fit(ctx, caption, MaxCaptionLen),
		ParseMode:   telego.ModeHTML,
		ReplyMarkup: kb,
	})
	if err != nil && !NotModified(err) {
		return fmt.Errorf("edit caption: %w", err)
	}
	return nil
}

// Fit returns html cut to limit characters (fitHTML), logging a cut: the screen
// that needed one should be made shorter.
func (b *Bot) Fit(ctx context.Context, html string, limit int) string {
	out, cut := fitHTML(html, limit)
	if cut {
		b.log.WarnContext(ctx, "message cut to fit", "limit", limit, "length", TextLen(Plain(html)))
	}
	return out
}

// fitHTML returns html cut to at most limit characters of text, as Telegram counts
// them after parsing, and whether it cut anything. A screen too long for one
// message (a product with fifty long variants, a cart of many lines) loses lines
// from its middle, keeping its head and its last three lines (totals, hints), at
// line boundaries: no tag of the catalog spans lines (TestTextTagsPerLine) and
// what people typed is escaped, so no tag is cut. Should that not be enough, the
// text goes as plain text, escaped and cut.
func fitHTML(html string, limit int) (string, bool) {
	if TextLen(Plain(html)) <= limit {
		return html, false
	}
	const tail = 3
	if lines := strings.Split(html, "\n"); len(lines) > tail+1 {
		head, end := lines[:len(lines)-tail], lines[len(lines)-tail:]
		for len(head) > 1 {
			head = head[:len(head)-1]
			out := strings.Join(head, "\n") + "\n…\n" + strings.Join(end, "\n")
			if TextLen(Plain(out)) <= limit {
				return out, true
			}
		}
	}
	return Escape(Truncate(Plain(html), limit)), true
}

// answerCallback answers a callback query with text rendered by t (HTML, shown as
// plain text). Failures are logged, not returned: the query may be too old or
// already answered (a retried update), and the action it asked for is done either
// way.
func (b *Bot) answerCallback(ctx context.Context, id, text string, alert bool, url string) {
	err := b.api.AnswerCallbackQuery(ctx, &telego.AnswerCallbackQueryParams{
		CallbackQueryID: id,
		Text:            Truncate(Plain(text), 200),
		ShowAlert:       alert && text != "",
		URL:             url,
	})
	if err != nil {
		b.log.DebugContext(ctx, "answer callback query", "err", err)
	}
}

// NotModified reports whether err is Telegram's refusal to edit a message into
// what it already is.
func NotModified(err error) bool {
	var apiErr *telegoapi.Error
	return errors.As(err, &apiErr) && strings.Contains(apiErr.Description, "message is not modified")
}

// APIErrorCode returns the Bot API's error_code in err's chain, or 0 when err is
// not an error answer of the Bot API (a network failure, or nil).
func APIErrorCode(err error) int {
	var apiErr *telegoapi.Error
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode
	}
	return 0
}

// APIErrorDescription returns the Bot API's description in err's chain, or "".
func APIErrorDescription(err error) string {
	var apiErr *telegoapi.Error
	if errors.As(err, &apiErr) {
		return apiErr.Description
	}
	return ""
}

// TelegoButton is an inline keyboard button.
type TelegoButton = telego.InlineKeyboardButton

// Keyboard builds an inline keyboard row by row.
type Keyboard struct {
	rows [][]telego.InlineKeyboardButton
}

// Row adds a row of buttons; an empty row is skipped.
func (k *Keyboard) Row(buttons ...telego.InlineKeyboardButton) *Keyboard {
	if len(buttons) > 0 {
		k.rows = append(k.rows, buttons)
	}
	return k
}

// Markup returns the keyboard, or nil when it has no buttons.
func (k *Keyboard) Markup() *telego.InlineKeyboardMarkup {
	if len(k.rows) == 0 {
		return nil
	}
	return &telego.InlineKeyboardMarkup{InlineKeyboard: k.rows}
}

// Button returns a callback button. The verbs and integer arguments the bot uses
// always fit Telegram's 64 bytes (TestCallbackDataFits checks the longest); a
// failure is a programming error, so it panics, and HandleUpdate turns the panic
// into an error.
func Button(text, verb string, args ...any) telego.InlineKeyboardButton {
	data, err := EncodeCallback(verb, args...)
	if err != nil {
		panic(fmt.Sprintf("callback %s %v: %v", verb, args, err))
	}
	return telego.InlineKeyboardButton{Text: text, CallbackData: data}
}

// URLButton returns a button that opens a link.
func URLButton(text, url string) telego.InlineKeyboardButton {
	return telego.InlineKeyboardButton{Text: text, URL: url}
}

// Truncate cuts s to at most n characters as Telegram counts them (UTF-16 code
// units: an emoji outside the Basic Multilingual Plane counts two), marking the cut
// with "…". It never splits a character.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if TextLen(s) <= n {
		return s
	}
	used := 1 // the "…"
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1 // an invalid byte; Telegram refuses those before it counts
		}
		if used+w > n {
			return s[:i] + "…"
		}
		used += w
	}
	return s
}

// TextLen is the length of s as Telegram limits it: in UTF-16 code units.
func TextLen(s string) int {
	n := 0
	for _, r := range s {
		if w := utf16.RuneLen(r); w > 0 {
			n += w
		} else {
			n++
		}
	}
	return n
}
