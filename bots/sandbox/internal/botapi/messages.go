package botapi

import (
	"reflect"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Messages: sending, editing and deleting the bot's messages, and chat actions.

func sendMessage(a *API, r *request) (any, error) {
	f, err := formattedParam(r.p, "text", "entities", checkText)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(r.p, "reply_markup")
	if err != nil {
		return nil, err
	}
	c, err := a.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	replyTo, err := a.replyToLocked(c, r.p)
	if err != nil {
		return nil, err
	}
	if err := a.limitLocked(r, c); err != nil {
		return nil, err
	}
	m := &world.Message{From: a.botSender(c), FromBot: true, Text: f.text, Entities: f.entities,
		ParseMode: f.parseMode, ReplyToID: replyTo}
	mk.apply(m)
	a.w.AppendLocked(c, m)
	return a.w.TgMessageLocked(m, true), nil
}

// replyToLocked reads reply_parameters (or the older reply_to_message_id) for a message into c.
func (a *API) replyToLocked(c *world.ChatState, p Params) (int, error) {
	var rp struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if _, err := p.Decode("reply_parameters", &rp); err != nil {
		return 0, err
	}
	if rp.MessageID == 0 {
		id, _, err := p.Integer("reply_to_message_id")
		if err != nil {
			return 0, err
		}
		rp.MessageID = int(id)
		rp.AllowSendingWithoutReply = p.boolean("allow_sending_without_reply")
	}
	if rp.MessageID == 0 {
		return 0, nil
	}
	if m := c.Message(rp.MessageID); m != nil && !m.Deleted {
		return rp.MessageID, nil
	}
	if rp.AllowSendingWithoutReply {
		return 0, nil
	}
	return 0, badRequest("message to be replied not found")
}

const notModified = "message is not modified: specified new message content and reply markup are exactly " +
	"the same as a current content and reply markup of the message"

// editTargetLocked finds the bot's message an edit method names.
func (a *API) editTargetLocked(r *request) (*world.ChatState, *world.Message, error) {
	if r.p.has("inline_message_id") {
		// A message a user sent through the bot's inline mode: the bot may edit
		// it, though it is the user's.
		ref, ok := a.w.InlineMessages[r.p.Str("inline_message_id")]
		if !ok {
			return nil, nil, badRequest("MESSAGE_ID_INVALID")
		}
		c := a.w.Chats[ref.ChatID]
		if c == nil {
			return nil, nil, badRequest("MESSAGE_ID_INVALID")
		}
		m := c.Message(ref.MessageID)
		if m == nil || m.Deleted || !m.ViaBot {
			return nil, nil, badRequest("MESSAGE_ID_INVALID")
		}
		return c, m, nil
	}
	if !r.p.has("chat_id") || !r.p.has("message_id") {
		return nil, nil, badRequest("message identifier is not specified")
	}
	c, err := a.targetChatLocked(r)
	if err != nil {
		return nil, nil, err
	}
	id, err := r.p.requireInt("message_id")
	if err != nil {
		return nil, nil, err
	}
	m := c.Message(int(id))
	if m == nil || m.Deleted {
		return nil, nil, badRequest("message to edit not found")
	}
	if !m.FromBot {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

// editMarkup reads reply_markup for an edit: only an inline keyboard is allowed, and leaving it
// out removes the message's keyboard, as on Telegram.
func editMarkup(p Params) ([][]telego.InlineKeyboardButton, error) {
	mk, err := parseMarkup(p, "reply_markup")
	if err != nil {
		return nil, err
	}
	if mk.reply != nil || mk.remove || mk.forceReply {
		return nil, badRequest("inline keyboard expected")
	}
	return mk.inline, nil
}

func sameKeyboard(a, b [][]telego.InlineKeyboardButton) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func sameEntities(a, b []telego.MessageEntity) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func (a *API) editedLocked(r *request, m *world.Message) any {
	m.EditDate = a.w.Now()
	a.w.PublishLocked(world.Event{Kind: world.EventMessageEdited, ChatID: m.ChatID, Message: new(world.CopyMessage(m))})
	if r.p.has("inline_message_id") {
		return true // as Telegram answers the edit of an inline message
	}
	return a.w.TgMessageLocked(m, true)
}

func editMessageText(a *API, r *request) (any, error) {
	f, err := formattedParam(r.p, "text", "entities", checkText)
	if err != nil {
		return nil, err
	}
	kb, err := editMarkup(r.p)
	if err != nil {
		return nil, err
	}
	c, m, err := a.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if m.Text == "" {
		return nil, badRequest("there is no text in the message to edit")
	}
	if f.text == m.Text && sameEntities(f.entities, m.Entities) && sameKeyboard(kb, m.InlineKeyboard) {
		return nil, badRequest(notModified)
	}
	if err := a.limitLocked(r, c); err != nil {
		return nil, err
	}
	m.Text, m.Entities, m.ParseMode, m.InlineKeyboard = f.text, f.entities, f.parseMode, kb
	return a.editedLocked(r, m), nil
}

func editMessageCaption(a *API, r *request) (any, error) {
	f, err := formattedParam(r.p, "caption", "caption_entities", CheckCaption)
	if err != nil {
		return nil, err
	}
	kb, err := editMarkup(r.p)
	if err != nil {
		return nil, err
	}
	c, m, err := a.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if m.Photo == nil && m.Document == nil {
		return nil, badRequest("there is no caption in the message to edit")
	}
	if f.text == m.Caption && sameEntities(f.entities, m.CaptionEntities) && sameKeyboard(kb, m.InlineKeyboard) {
		return nil, badRequest(notModified)
	}
	if err := a.limitLocked(r, c); err != nil {
		return nil, err
	}
	m.Caption, m.CaptionEntities, m.ParseMode, m.InlineKeyboard = f.text, f.entities, f.parseMode, kb
	return a.editedLocked(r, m), nil
}

func editMessageReplyMarkup(a *API, r *request) (any, error) {
	kb, err := editMarkup(r.p)
	if err != nil {
		return nil, err
	}
	c, m, err := a.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if sameKeyboard(kb, m.InlineKeyboard) {
		return nil, badRequest(notModified)
	}
	if err := a.limitLocked(r, c); err != nil {
		return nil, err
	}
	m.InlineKeyboard = kb
	return a.editedLocked(r, m), nil
}

func (a *API) deleteLocked(c *world.ChatState, m *world.Message) error {
	if !m.FromBot && c.Info.Type != world.ChatPrivate &&
		c.Info.BotStatus != world.StatusAdministrator && c.Info.BotStatus != world.StatusCreator {
		return badRequest("message can't be deleted")
	}
	m.Deleted = true
	a.w.PublishLocked(world.Event{Kind: world.EventMessageDeleted, ChatID: c.Info.ID, Message: new(world.CopyMessage(m))})
	return nil
}

func deleteMessage(a *API, r *request) (any, error) {
	c, err := a.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	id, err := r.p.requireInt("message_id")
	if err != nil {
		return nil, err
	}
	m := c.Message(int(id))
	if m == nil || m.Deleted {
		return nil, badRequest("message to delete not found")
	}
	if err := a.deleteLocked(c, m); err != nil {
		return nil, err
	}
	return true, nil
}

func deleteMessages(a *API, r *request) (any, error) {
	c, err := a.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	var ids []int
	if _, err := r.p.Decode("message_ids", &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > 100 {
		return nil, badRequest("message_ids must contain 1-100 identifiers")
	}
	deleted := 0
	for _, id := range ids {
		if m := c.Message(id); m != nil && !m.Deleted && a.deleteLocked(c, m) == nil {
			deleted++
		}
	}
	if deleted == 0 {
		return nil, badRequest("message to delete not found")
	}
	return true, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true, "record_voice": true,
	"upload_voice": true, "upload_document": true, "choose_sticker": true, "find_location": true,
	"record_video_note": true, "upload_video_note": true,
}

func sendChatAction(a *API, r *request) (any, error) {
	action := r.p.Str("action")
	if !chatActions[action] {
		return nil, badRequest("wrong parameter action in request")
	}
	c, err := a.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	c.Action, c.ActionAt = action, a.w.Now()
	a.w.PublishLocked(world.Event{Kind: world.EventChatAction, ChatID: c.Info.ID, Action: action})
	return true, nil
}
