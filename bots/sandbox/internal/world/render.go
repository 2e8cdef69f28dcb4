package world

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/mymmrac/telego"
)

// Telegram shapes: the world rendered as the JSON objects the bot decodes.

// Bot is the bot's identity.
type Bot struct {
	ID       int64
	Username string // without "@"
	Name     string // the first name in getMe
}

// User returns the bot as a Bot API User.
func (b Bot) User() telego.User {
	return telego.User{ID: b.ID, IsBot: true, FirstName: b.Name, Username: b.Username}
}

// ChatInstance returns the chat_instance of callback queries from messages in chat chatID.
func (b Bot) ChatInstance(chatID int64) string {
	return fmt.Sprintf("%d", chatID*7919+b.ID)
}

// StartPayloadPattern is what Telegram carries as a deep link's start parameter.
var StartPayloadPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,64}$`)

// StartPayload parses a link to the bot, t.me/<bot>?start=<payload> (with or without scheme, or
// tg://resolve?domain=<bot>&start=<payload>); ok is false for any other URL or an invalid payload.
func (b Bot) StartPayload(link string) (payload string, ok bool) {
	raw := link
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	var bot string
	switch {
	case u.Scheme == "tg" && u.Host == "resolve":
		bot = u.Query().Get("domain")
	case (u.Scheme == "https" || u.Scheme == "http") && (u.Host == "t.me" || u.Host == "telegram.me"):
		bot = strings.Trim(u.Path, "/")
	default:
		return "", false
	}
	if !strings.EqualFold(bot, b.Username) {
		return "", false
	}
	payload = u.Query().Get("start")
	if !StartPayloadPattern.MatchString(payload) {
		return "", false
	}
	return payload, true
}

// TgUserLocked renders user id (or the bot) as a Bot API User.
func (w *World) TgUserLocked(id int64) telego.User {
	if id == w.Bot.ID {
		return w.Bot.User()
	}
	u, ok := w.Users[id]
	if !ok {
		return telego.User{ID: id, FirstName: fmt.Sprintf("User %d", id)}
	}
	return telego.User{ID: id, FirstName: u.Spec.FirstName, LastName: u.Spec.LastName,
		Username: u.Spec.Username, LanguageCode: u.Spec.LanguageCode, IsPremium: u.Spec.IsPremium}
}

// TgChat renders a chat as a Bot API Chat.
func TgChat(info ChatInfo) telego.Chat {
	return telego.Chat{ID: info.ID, Type: string(info.Type), Title: info.Title, Username: info.Username,
		FirstName: info.FirstName, LastName: info.LastName}
}

// TgMessageLocked renders m as the Bot API's Message; withReply includes reply_to_message.
func (w *World) TgMessageLocked(m *Message, withReply bool) *telego.Message {
	c := w.Chats[m.ChatID]
	out := &telego.Message{
		MessageID:       m.ID,
		Date:            m.Date.Unix(),
		Chat:            TgChat(c.Info),
		Text:            m.Text,
		Entities:        m.Entities,
		Caption:         m.Caption,
		CaptionEntities: m.CaptionEntities,
		MediaGroupID:    m.MediaGroupID,
	}
	if m.From != 0 {
		from := w.TgUserLocked(m.From)
		out.From = &from
	} else {
		chat := TgChat(c.Info)
		out.SenderChat = &chat
	}
	if !m.EditDate.IsZero() {
		out.EditDate = m.EditDate.Unix()
	}
	if m.ViaBot {
		bot := w.Bot.User()
		out.ViaBot = &bot
	}
	if m.Photo != nil {
		out.Photo = []telego.PhotoSize{{FileID: m.Photo.FileID, FileUniqueID: m.Photo.FileUniqueID,
			Width: m.Photo.Width, Height: m.Photo.Height, FileSize: int(m.Photo.Size)}}
	}
	if m.Document != nil {
		out.Document = &telego.Document{FileID: m.Document.FileID, FileUniqueID: m.Document.FileUniqueID,
			FileName: m.Document.FileName, MimeType: m.Document.MIMEType, FileSize: m.Document.Size}
	}
	if m.Invoice != nil {
		out.Invoice = &telego.Invoice{Title: m.Invoice.Title, Description: m.Invoice.Description,
			StartParameter: m.Invoice.StartParameter, Currency: m.Invoice.Currency, TotalAmount: m.Invoice.Total()}
	}
	if m.SuccessfulPayment != nil {
		sp := *m.SuccessfulPayment
		out.SuccessfulPayment = &sp
	}
	if m.RefundedPayment != nil {
		rp := *m.RefundedPayment
		out.RefundedPayment = &rp
	}
	if m.InlineKeyboard != nil {
		out.ReplyMarkup = &telego.InlineKeyboardMarkup{InlineKeyboard: m.InlineKeyboard}
	}
	if withReply && m.ReplyToID != 0 {
		if r := c.Message(m.ReplyToID); r != nil && !r.Deleted {
			out.ReplyToMessage = w.TgMessageLocked(r, false)
		}
	}
	return out
}
