package sandbox

import (
	"encoding/json"

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
		res.Caption = f.text
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
