package botapi

import (
	"encoding/json"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/entity"
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Queries: the bot's answers to callback and inline queries (shipping and pre-checkout queries are
// in payments.go).

var errQueryTooOld = badRequest("query is too old and response timeout expired or query ID is invalid")

const maxCallbackAnswer = 200

func answerCallbackQuery(a *API, r *request) (any, error) {
	id, err := r.p.requireString("callback_query_id")
	if err != nil {
		return nil, err
	}
	ans := world.CallbackAnswer{Text: r.p.Str("text"), ShowAlert: r.p.boolean("show_alert"), URL: r.p.Str("url")}
	if ans.CacheTime, err = r.p.optInt("cache_time", 0); err != nil {
		return nil, err
	}
	if entity.UTF16Len(ans.Text) > maxCallbackAnswer {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	if ans.URL != "" {
		if _, ok := a.w.Bot.StartPayload(ans.URL); !ok {
			return nil, badRequest("URL_INVALID")
		}
	}
	q, ok := a.w.OpenQueryLocked("callback_query", id)
	if !ok {
		return nil, errQueryTooOld
	}
	q.AnswerLocked(ans)
	a.w.PublishLocked(world.Event{Kind: world.EventCallbackAnswered, UserID: q.UserID, Answer: &ans})
	return true, nil
}

func answerInlineQuery(a *API, r *request) (any, error) {
	id, err := r.p.requireString("inline_query_id")
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if _, err := r.p.Decode("results", &raws); err != nil {
		return nil, err
	}
	if len(raws) > 50 {
		return nil, badRequest("RESULTS_TOO_MUCH")
	}
	ans := InlineAnswer{NextOffset: r.p.Str("next_offset"), IsPersonal: r.p.boolean("is_personal")}
	if ans.CacheTime, err = r.p.optInt("cache_time", 300); err != nil {
		return nil, err
	}
	if _, err := r.p.Decode("button", &ans.Button); err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	for _, raw := range raws {
		res, err := parseInlineResult(raw)
		if err != nil {
			return nil, err
		}
		if seen[res.ID] {
			return nil, badRequest("RESULT_ID_DUPLICATE")
		}
		seen[res.ID] = true
		ans.Results = append(ans.Results, res)
	}
	q, ok := a.w.OpenQueryLocked("inline_query", id)
	if !ok {
		return nil, errQueryTooOld
	}
	q.AnswerLocked(ans)
	return true, nil
}

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
		if err := CheckCaption(f.text); err != nil {
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
