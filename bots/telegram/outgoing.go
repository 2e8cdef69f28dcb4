package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	"github.com/mymmrac/telego/telegoapi"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/core"
)

// Messages the bot writes on its own initiative (notifications, reminders,
// alerts, broadcasts, channel posts) are composed here as core.Message values:
// the Bot API call, rendered in the recipient's language, with a key that makes
// it unique. Workers hand them to the sender, which calls Deliver at Telegram's
// pace. Answers to an update are sent directly (send.go), not through here.

// Bot API methods a core.Message may carry.
const (
	methodSendMessage     = "sendMessage"
	methodSendPhoto       = "sendPhoto"
	methodEditMessageText = "editMessageText"
	methodEditCaption     = "editMessageCaption"
	methodEditReplyMarkup = "editMessageReplyMarkup"
)

// textParams and photoParams are sendMessage's and sendPhoto's parameters as
// they read back from JSON: telego's reply_markup is an interface, and its
// InputFile does not unmarshal. The fields here shadow the embedded ones.
type textParams struct {
	telego.SendMessageParams
	ReplyMarkup *telego.InlineKeyboardMarkup `json:"reply_markup,omitempty"`
}

type photoParams struct {
	telego.SendPhotoParams
	Photo       string                       `json:"photo"`
	ReplyMarkup *telego.InlineKeyboardMarkup `json:"reply_markup,omitempty"`
}

// MessageTo composes v (a text, or a photo with a caption, and its keyboard) as
// a message to a user's private chat.
func (b *Bot) MessageTo(key string, prio core.Priority, to core.UserID, v View) core.Message {
	m := b.messageToChat(key, prio, int64(to), false, v)
	m.User = to
	return m
}

// messageToChat composes v as a message to a chat (group: a group or channel).
func (b *Bot) messageToChat(key string, prio core.Priority, chat int64, group bool, v View) core.Message {
	m := core.Message{Key: key, Chat: chat, Group: group, Priority: prio}
	if v.Photo != "" {
		m.Method = methodSendPhoto
		m.Params = mustJSON(photoParams{
			SendPhotoParams: telego.SendPhotoParams{
				ChatID:    tu.ID(chat),
				Caption:   b.Fit(context.Background(), v.Text, MaxCaptionLen),
				ParseMode: telego.ModeHTML,
			},
			Photo:       v.Photo,
			ReplyMarkup: v.Keyboard,
		})
		return m
	}
	m.Method = methodSendMessage
	m.Params = mustJSON(textParams{
		SendMessageParams: telego.SendMessageParams{
			ChatID:             tu.ID(chat),
			Text:               b.Fit(context.Background(), v.Text, MaxTextLen),
			ParseMode:          telego.ModeHTML,
			LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true},
		},
		ReplyMarkup: v.Keyboard,
	})
	return m
}

// EditMessage composes an edit of a message the bot sent (a channel post's
// counter, a broadcast's progress) into v: its text, or its caption when photo
// is set, and its keyboard. The edit is coalesced under coalesce: of several
// edits not yet sent, only the latest goes.
func (b *Bot) EditMessage(key, coalesce string, prio core.Priority, chat int64, group bool, messageID int, photo bool, v View) core.Message {
	m := core.Message{Key: key, Chat: chat, Group: group, Priority: prio, Coalesce: coalesce}
	if photo {
		m.Method = methodEditCaption
		m.Params = mustJSON(telego.EditMessageCaptionParams{
			ChatID:      tu.ID(chat),
			MessageID:   messageID,
			Caption:     b.Fit(context.Background(), v.Text, MaxCaptionLen),
			ParseMode:   telego.ModeHTML,
			ReplyMarkup: v.Keyboard,
		})
		return m
	}
	m.Method = methodEditMessageText
	m.Params = mustJSON(telego.EditMessageTextParams{
		ChatID:             tu.ID(chat),
		MessageID:          messageID,
		Text:               b.Fit(context.Background(), v.Text, MaxTextLen),
		ParseMode:          telego.ModeHTML,
		LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true},
		ReplyMarkup:        v.Keyboard,
	})
	return m
}

// EditInline composes an edit of a message sent through inline mode (a card
// shared into any chat), named by its inline_message_id: like EditMessage,
// coalesced. Telegram does not say which chat such a message is in, so its
// edits are paced as a group's of its own (InlineChat).
func (b *Bot) EditInline(key, coalesce string, prio core.Priority, inlineID string, photo bool, v View) core.Message {
	m := core.Message{Key: key, Chat: InlineChat(inlineID), Group: true, Priority: prio, Coalesce: coalesce}
	if photo {
		m.Method = methodEditCaption
		m.Params = mustJSON(telego.EditMessageCaptionParams{
			InlineMessageID: inlineID,
			Caption:         b.Fit(context.Background(), v.Text, MaxCaptionLen),
			ParseMode:       telego.ModeHTML,
			ReplyMarkup:     v.Keyboard,
		})
		return m
	}
	m.Method = methodEditMessageText
	m.Params = mustJSON(telego.EditMessageTextParams{
		InlineMessageID:    inlineID,
		Text:               b.Fit(context.Background(), v.Text, MaxTextLen),
		ParseMode:          telego.ModeHTML,
		LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true},
		ReplyMarkup:        v.Keyboard,
	})
	return m
}

// InlineChat is the chat the sender paces an inline message's edits in: a
// number of its own, below any real chat's id (channels' and supergroups'
// are above -10^13), made from the message's id.
func InlineChat(inlineID string) int64 {
	h := fnv.New64a()
	h.Write([]byte(inlineID))
	return -(1<<62 + int64(h.Sum64()>>2))
}

// mustJSON marshals Bot API parameters, which always marshal.
func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("telegram: marshal parameters: %v", err))
	}
	return data
}

// Deliver makes the Bot API call of m (workers.Transport). Telegram's refusals
// come back as *core.SendError; an edit into what the message already shows is a
// success.
func (b *Bot) Deliver(ctx context.Context, m core.Message) error {
	var err error
	switch m.Method {
	case methodSendMessage:
		var p textParams
		if err := json.Unmarshal(m.Params, &p); err != nil {
			return core.Errorf(core.EINVALID, "message %s: %v", m.Key, err)
		}
		if p.ReplyMarkup != nil { // a nil pointer in the interface would send "null"
			p.SendMessageParams.ReplyMarkup = p.ReplyMarkup
		}
		p.AllowPaidBroadcast = m.PaidBroadcast
		_, err = b.api.SendMessage(ctx, &p.SendMessageParams)
	case methodSendPhoto:
		var p photoParams
		if err := json.Unmarshal(m.Params, &p); err != nil {
			return core.Errorf(core.EINVALID, "message %s: %v", m.Key, err)
		}
		p.SendPhotoParams.Photo = tu.FileFromID(p.Photo)
		if p.ReplyMarkup != nil {
			p.SendPhotoParams.ReplyMarkup = p.ReplyMarkup
		}
		p.SendPhotoParams.AllowPaidBroadcast = m.PaidBroadcast
		_, err = b.api.SendPhoto(ctx, &p.SendPhotoParams)
	case methodEditMessageText:
		var p telego.EditMessageTextParams
		if err := json.Unmarshal(m.Params, &p); err != nil {
			return core.Errorf(core.EINVALID, "message %s: %v", m.Key, err)
		}
		_, err = b.api.EditMessageText(ctx, &p)
	case methodEditCaption:
		var p telego.EditMessageCaptionParams
		if err := json.Unmarshal(m.Params, &p); err != nil {
			return core.Errorf(core.EINVALID, "message %s: %v", m.Key, err)
		}
		_, err = b.api.EditMessageCaption(ctx, &p)
	case methodEditReplyMarkup:
		var p telego.EditMessageReplyMarkupParams
		if err := json.Unmarshal(m.Params, &p); err != nil {
			return core.Errorf(core.EINVALID, "message %s: %v", m.Key, err)
		}
		_, err = b.api.EditMessageReplyMarkup(ctx, &p)
	default:
		return core.Errorf(core.EINVALID, "message %s: unknown method %q", m.Key, m.Method)
	}
	if err == nil || NotModified(err) {
		return nil
	}
	return sendError(err)
}

// sendError turns a Bot API error answer into a *core.SendError; other errors
// (the network, a timeout) are returned as they are.
func sendError(err error) error {
	apiErr, ok := errors.AsType[*telegoapi.Error](err)
	if !ok {
		return err
	}
	se := &core.SendError{Code: apiErr.ErrorCode, Description: apiErr.Description}
	if apiErr.Parameters != nil {
		se.RetryAfter = time.Duration(apiErr.Parameters.RetryAfter) * time.Second
	}
	if se.Code == 400 {
		d := strings.ToLower(apiErr.Description)
		se.Gone = strings.Contains(d, "chat not found") || strings.Contains(d, "message to edit not found") ||
			strings.Contains(d, "user not found") || strings.Contains(d, "group chat was deactivated") ||
			strings.Contains(d, "chat_write_forbidden") || strings.Contains(d, "have no rights to send")
	}
	return se
}

// StaffMessages composes, for every staff member of a shop whom the bot can
// reach, a message in their language: compose makes its text and keyboard,
// keyOf its key (one message each, by that key).
func (b *Bot) StaffMessages(ctx context.Context, shop core.ShopID, keyOf func(core.UserID) string,
	compose func(lang string) (string, *telego.InlineKeyboardMarkup, error)) ([]core.Message, error) {
	staff, err := b.catalog.StaffOf(ctx, shop)
	if err != nil {
		return nil, err
	}
	var msgs []core.Message
	for _, m := range staff {
		u, err := b.users.User(ctx, m.UserID)
		if err != nil {
			return nil, err
		}
		if u.Unreachable {
			continue
		}
		text, kb, err := compose(LangOf(u.Lang()))
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, b.MessageTo(keyOf(m.UserID), core.PriorityOrder, m.UserID, View{Text: text, Keyboard: kb}))
	}
	return msgs, nil
}
