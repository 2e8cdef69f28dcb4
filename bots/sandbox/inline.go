package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/mymmrac/telego"
)

// InlineResult is one result of the bot's answerInlineQuery, with the fields a client shows.
type InlineResult struct {
	Type         string
	ID           string
	Title        string
	Description  string
	URL          string
	ThumbnailURL string
	PhotoURL     string
	PhotoFileID  string
	Caption      string
	// CaptionEntities is the caption's formatting (offsets in UTF-16 code units).
	CaptionEntities []telego.MessageEntity
	// MessageText is input_message_content.message_text, formatting removed; the message a user
	// sends by choosing the result.
	MessageText string
	Entities    []telego.MessageEntity
	// InlineKeyboard is the result's reply_markup.
	InlineKeyboard [][]telego.InlineKeyboardButton
	// Raw is the result's JSON as the bot sent it.
	Raw json.RawMessage
}

// InlineAnswer is the bot's whole answerInlineQuery.
type InlineAnswer struct {
	Results    []InlineResult
	NextOffset string
	CacheTime  int
	IsPersonal bool
	Button     *telego.InlineQueryResultsButton
}

var inlineResultTypes = map[string]bool{
	"article": true, "photo": true, "gif": true, "mpeg4_gif": true, "video": true, "audio": true, "voice": true,
	"document": true, "location": true, "venue": true, "contact": true, "game": true, "sticker": true,
}

// parseInlineResult reads and validates one InlineQueryResult.
func parseInlineResult(raw json.RawMessage) (InlineResult, error) {
	var in struct {
		Type         string `json:"type"`
		ID           string `json:"id"`
		Title        string `json:"title"`
		Description  string `json:"description"`
		URL          string `json:"url"`
		ThumbnailURL string `json:"thumbnail_url"`
		PhotoURL     string `json:"photo_url"`
		PhotoFileID  string `json:"photo_file_id"`
		Caption      string `json:"caption"`
		ParseMode    string `json:"parse_mode"`
		ReplyMarkup  *struct {
			InlineKeyboard [][]telego.InlineKeyboardButton `json:"inline_keyboard"`
		} `json:"reply_markup"`
		InputMessageContent *struct {
			MessageText string                 `json:"message_text"`
			ParseMode   string                 `json:"parse_mode"`
			Entities    []telego.MessageEntity `json:"entities"`
		} `json:"input_message_content"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return InlineResult{}, badRequest("can't parse inline query result: %v", err)
	}
	if !inlineResultTypes[in.Type] {
		return InlineResult{}, badRequest("can't parse inline query result: unsupported inline query result type \"%s\"", in.Type)
	}
	if in.ID == "" || len(in.ID) > 64 {
		return InlineResult{}, badRequest("RESULT_ID_INVALID")
	}
	res := InlineResult{Type: in.Type, ID: in.ID, Title: in.Title, Description: in.Description, URL: in.URL,
		ThumbnailURL: in.ThumbnailURL, PhotoURL: in.PhotoURL, PhotoFileID: in.PhotoFileID, Raw: raw}
	if in.Caption != "" {
		f, err := parseFormatted(in.Caption, in.ParseMode, nil)
		if err != nil {
			return InlineResult{}, err
		}
		if err := checkCaption(f.text); err != nil {
			return InlineResult{}, err
		}
		res.Caption, res.CaptionEntities = f.text, f.entities
	}
	if in.ReplyMarkup != nil {
		if err := validateInlineKeyboard(in.ReplyMarkup.InlineKeyboard); err != nil {
			return InlineResult{}, err
		}
		res.InlineKeyboard = in.ReplyMarkup.InlineKeyboard
	}
	switch {
	case in.InputMessageContent != nil:
		f, err := parseFormatted(in.InputMessageContent.MessageText, in.InputMessageContent.ParseMode,
			in.InputMessageContent.Entities)
		if err != nil {
			return InlineResult{}, err
		}
		if f.text == "" {
			return InlineResult{}, badRequest("MESSAGE_EMPTY")
		}
		if err := checkText(f.text); err != nil {
			return InlineResult{}, err
		}
		res.MessageText, res.Entities = f.text, f.entities
	case in.Type == "article":
		return InlineResult{}, badRequest("MESSAGE_EMPTY")
	case in.Type == "photo" && in.PhotoURL == "" && in.PhotoFileID == "":
		return InlineResult{}, badRequest("PHOTO_INVALID")
	}
	return res, nil
}

// SendInlineResult sends the message of an inline result the user chose into a chat, as a Telegram
// client does: from the user, marked via the bot, with the result's text (or photo and caption) and
// keyboard. The bot receives it in its private chat and in the groups it is in, since privacy mode
// lets messages sent via the bot through. Telegram's chosen_inline_result update is sent only to bots
// with inline feedback turned on in BotFather, which the sandbox does not model: it is not sent.
// Errors: a chat the user may not write in, a result with nothing the sandbox can send (a photo whose
// URL cannot be fetched, a result type other than a text or a photo), a webhook failure.
func (u *User) SendInlineResult(ctx context.Context, chatID int64, res InlineResult) error {
	s := u.s
	m := &Message{ViaBot: true}
	if res.InlineKeyboard != nil {
		m.InlineKeyboard = make([][]telego.InlineKeyboardButton, len(res.InlineKeyboard))
		for i, row := range res.InlineKeyboard {
			m.InlineKeyboard[i] = slices.Clone(row)
		}
	}
	switch {
	case res.MessageText != "":
		m.Text, m.Entities = res.MessageText, slices.Clone(res.Entities)
	case res.Type == kindPhoto:
		in := mediaInput{fileID: res.PhotoFileID}
		if in.fileID == "" {
			in.url = res.PhotoURL
			if err := s.fetch(ctx, &in); err != nil {
				return fmt.Errorf("sandbox: inline result %q: %w", res.ID, err)
			}
		}
		s.mu.Lock()
		f, err := s.resolveMediaLocked(kindPhoto, in)
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("sandbox: inline result %q: %w", res.ID, err)
		}
		m.Photo = ptr(f.att)
		m.Caption, m.CaptionEntities = res.Caption, slices.Clone(res.CaptionEntities)
	default:
		return fmt.Errorf("sandbox: inline result %q of type %q has no message the sandbox can send", res.ID, res.Type)
	}
	return u.post(ctx, chatID, m)
}
