package sandbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/botapi"
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/entity"
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// NewUser adds a persona and its private chat with the bot, and returns its handle. A spec whose ID
// is already known updates that user and returns its handle.
func (s *Server) NewUser(spec UserSpec) *User {
	s.w.Lock()
	defer s.w.Unlock()
	if spec.ID == 0 {
		for s.w.Users[s.w.NextUserID] != nil {
			s.w.NextUserID++
		}
		spec.ID = s.w.NextUserID
		s.w.NextUserID++
	}
	if spec.FirstName == "" {
		spec.FirstName = fmt.Sprintf("User %d", spec.ID)
	}
	spec.Username = strings.TrimPrefix(spec.Username, "@")
	if u, ok := s.w.Users[spec.ID]; ok {
		u.Spec = spec
		u.Started = u.Started || spec.StartedBot
	} else {
		s.w.Users[spec.ID] = &world.UserState{Spec: spec, Started: spec.StartedBot}
	}
	c, ok := s.w.Chats[spec.ID]
	if !ok {
		c = &world.ChatState{Members: map[int64]MemberStatus{spec.ID: StatusMember}}
		s.w.Chats[spec.ID] = c
	}
	c.Info = ChatInfo{ID: spec.ID, Type: ChatPrivate, Username: spec.Username, FirstName: spec.FirstName,
		LastName: spec.LastName, BotStatus: StatusMember}
	s.w.NotifyLocked()
	return &User{s: s, id: spec.ID}
}

// User returns the handle of a known user; nil if there is none with that id.
func (s *Server) User(id int64) *User {
	s.w.Lock()
	defer s.w.Unlock()
	if _, ok := s.w.Users[id]; !ok {
		return nil
	}
	return &User{s: s, id: id}
}

// Users returns every persona's profile, ordered by id.
func (s *Server) Users() []UserSpec {
	s.w.Lock()
	defer s.w.Unlock()
	out := make([]UserSpec, 0, len(s.w.Users))
	for _, u := range s.w.Users {
		out = append(out, u.Spec)
	}
	slices.SortFunc(out, func(a, b UserSpec) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// BlockUser makes the user block the bot: the bot's further messages to the user fail with 403
// "Forbidden: bot was blocked by the user". No update is sent; User.Block also tells the bot.
func (s *Server) BlockUser(id int64) {
	s.w.Lock()
	defer s.w.Unlock()
	if u, ok := s.w.Users[id]; ok {
		u.Blocked = true
		s.w.NotifyLocked()
	}
}

// UnblockUser undoes BlockUser, silently.
func (s *Server) UnblockUser(id int64) {
	s.w.Lock()
	defer s.w.Unlock()
	if u, ok := s.w.Users[id]; ok {
		u.Blocked = false
		s.w.NotifyLocked()
	}
}

// User is the handle of a persona: it acts as the user toward the bot. Every acting method builds
// the update Telegram would send and delivers it; with a webhook it returns once the webhook has
// answered, so the bot has finished handling and made its calls. An error from the webhook (non-2xx)
// is a *WebhookError; the acting user's message stays in the chat, as it would on Telegram.
type User struct {
	s  *Server
	id int64
}

// ID returns the user's id, which is also the id of the user's private chat with the bot.
func (u *User) ID() int64 { return u.id }

// Spec returns the user's profile.
func (u *User) Spec() UserSpec {
	u.s.w.Lock()
	defer u.s.w.Unlock()
	return u.s.w.Users[u.id].Spec
}

// Chat returns the handle of the user's private chat with the bot.
func (u *User) Chat() *Chat { return &Chat{s: u.s, id: u.id} }

// Send sends text to the bot in the user's private chat. A leading "/command" is marked as a
// bot_command entity, as Telegram clients do.
func (u *User) Send(ctx context.Context, text string) error {
	return u.SendTo(ctx, u.id, text)
}

// Start opens the bot as a deep link t.me/<bot>?start=<payload> does: it sends "/start <payload>"
// ("/start" for an empty payload). A payload Telegram would not carry (more than 64 characters,
// or other than A-Z a-z 0-9 _ -) is an error.
func (u *User) Start(ctx context.Context, payload string) error {
	if !world.StartPayloadPattern.MatchString(payload) {
		return fmt.Errorf("sandbox: invalid start payload %q", payload)
	}
	return u.Send(ctx, strings.TrimSpace("/start "+payload))
}

// OpenLink follows a link to the bot (t.me/<bot>?start=<payload>), as a tap on a URL button or an
// answerCallbackQuery URL does. Links elsewhere, or with an invalid payload, are an error.
func (u *User) OpenLink(ctx context.Context, link string) error {
	payload, ok := u.s.w.Bot.StartPayload(link)
	if !ok {
		return fmt.Errorf("sandbox: %q is not a link to @%s with a valid start payload", link, u.s.cfg.BotUsername)
	}
	return u.Start(ctx, payload)
}

// Reply sends text as a reply to msg, in msg's chat.
func (u *User) Reply(ctx context.Context, to Message, text string) error {
	return u.post(ctx, to.ChatID, &Message{Text: text, Entities: entity.FromUser(text), ReplyToID: to.ID})
}

// SendTo sends text in a chat: the user's private chat with the bot, or a group the user is a
// member of. In a group, with privacy mode on, the bot receives only commands, mentions of it and
// replies to its messages; the message is in the chat either way.
func (u *User) SendTo(ctx context.Context, chatID int64, text string) error {
	return u.post(ctx, chatID, &Message{Text: text, Entities: entity.FromUser(text)})
}

// SendPhoto sends the bot a generated photo (a small PNG the bot can getFile and download) with a
// caption.
func (u *User) SendPhoto(ctx context.Context, caption string) error {
	data := generatedPNG(int(u.id))
	return u.SendPhotoFile(ctx, "photo.png", data, caption)
}

// SendPhotoFile sends the bot a photo from image bytes (JPEG, PNG or GIF) with a caption. Bytes
// that are no image are an error.
func (u *User) SendPhotoFile(ctx context.Context, name string, data []byte, caption string) error {
	return u.SendPhotoTo(ctx, u.id, name, data, caption)
}

// SendPhotoTo sends a photo from image bytes (JPEG, PNG or GIF) with a caption into a chat: the
// user's private chat with the bot, or a group the user is a member of (see SendTo for what the bot
// receives there). Bytes that are no image, a photo over 10 MB and a chat the user may not write
// in are errors.
func (u *User) SendPhotoTo(ctx context.Context, chatID int64, name string, data []byte, caption string) error {
	if len(data) > botapi.MaxPhotoBytes {
		return fmt.Errorf("sandbox: photo: %d bytes is over Telegram's 10 MB", len(data))
	}
	width, height, err := world.ImageSize(data)
	if err != nil {
		return fmt.Errorf("sandbox: photo: %w", err)
	}
	if err := botapi.CheckCaption(caption); err != nil {
		return fmt.Errorf("sandbox: photo: %w", err)
	}
	u.s.w.Lock()
	f := u.s.w.StoreFileLocked(world.KindPhoto, name, "image/"+world.ImageFormat(data), data)
	f.Att.Width, f.Att.Height = width, height
	u.s.w.Unlock()
	return u.post(ctx, chatID, &Message{Photo: new(f.Att), Caption: caption})
}

// SendDocument sends the bot a file, as a user attaching a document does.
func (u *User) SendDocument(ctx context.Context, name string, data []byte, mimeType string) error {
	return u.SendDocumentTo(ctx, u.id, name, data, mimeType, "")
}

// SendDocumentTo sends a file with an optional caption into a chat: the user's private chat with
// the bot, or a group the user is a member of. An empty file, a caption over 1024 characters and a
// chat the user may not write in are errors.
func (u *User) SendDocumentTo(ctx context.Context, chatID int64, name string, data []byte, mimeType, caption string) error {
	if len(data) == 0 {
		return errors.New("sandbox: document: the file is empty")
	}
	if err := botapi.CheckCaption(caption); err != nil {
		return fmt.Errorf("sandbox: document: %w", err)
	}
	u.s.w.Lock()
	f := u.s.w.StoreFileLocked(world.KindDocument, name, mimeType, data)
	u.s.w.Unlock()
	return u.post(ctx, chatID, &Message{Document: new(f.Att), Caption: caption})
}

// post adds m from u to a chat and delivers it to the bot.
func (u *User) post(ctx context.Context, chatID int64, m *Message, appended ...func()) error {
	s := u.s
	s.w.Lock()
	c, err := u.writableLocked(chatID)
	if err != nil {
		s.w.Unlock()
		return err
	}
	if c.Info.Type == ChatPrivate {
		s.w.Users[u.id].Started = true
	}
	m.From = u.id
	s.w.AppendLocked(c, m)
	for _, fn := range appended {
		fn()
	}
	visible := s.botSeesLocked(c, m)
	upd := telego.Update{Message: s.w.TgMessageLocked(m, true)}
	s.w.Unlock()
	if !visible {
		return nil
	}
	return s.deliver(ctx, u.id, upd)
}

// writableLocked returns the chat u may write into, or says why not.
func (u *User) writableLocked(chatID int64) (*world.ChatState, error) {
	us, ok := u.s.w.Users[u.id]
	if !ok {
		return nil, fmt.Errorf("sandbox: unknown user %d", u.id)
	}
	c, ok := u.s.w.Chats[chatID]
	if !ok {
		return nil, fmt.Errorf("sandbox: unknown chat %d", chatID)
	}
	switch c.Info.Type {
	case ChatPrivate:
		if chatID != u.id {
			return nil, fmt.Errorf("sandbox: chat %d is another user's private chat with the bot", chatID)
		}
		if us.Blocked {
			return nil, fmt.Errorf("sandbox: user %d has blocked the bot; call Unblock first", u.id)
		}
	case ChatChannel:
		return nil, fmt.Errorf("sandbox: users do not write in channel %d; use Chat.Post", chatID)
	default:
		switch c.Members[u.id] {
		case StatusMember, StatusAdministrator, StatusCreator:
		default:
			return nil, fmt.Errorf("sandbox: user %d is not a member of chat %d; use Chat.AddMember", u.id, chatID)
		}
	}
	return c, nil
}

// botSeesLocked applies the bot's membership and privacy mode to a user's message in c.
func (s *Server) botSeesLocked(c *world.ChatState, m *Message) bool {
	switch c.Info.Type {
	case ChatPrivate:
		return true
	case ChatChannel:
		return c.Info.BotStatus == StatusAdministrator || c.Info.BotStatus == StatusCreator
	}
	switch c.Info.BotStatus {
	case StatusLeft, StatusKicked:
		return false
	case StatusAdministrator, StatusCreator:
		return true
	}
	if s.cfg.ReadAllGroupMessages || m.ViaBot {
		// Privacy mode lets through the messages sent via the bot.
		return true
	}
	text := m.Body()
	if cmd, ok := strings.CutPrefix(text, "/"); ok {
		cmd, _, _ = strings.Cut(cmd, " ")
		if _, bot, addressed := strings.Cut(cmd, "@"); !addressed || strings.EqualFold(bot, s.cfg.BotUsername) {
			return true
		}
	}
	if strings.Contains(strings.ToLower(text), "@"+strings.ToLower(s.cfg.BotUsername)) {
		return true
	}
	if m.ReplyToID != 0 {
		if r := c.Message(m.ReplyToID); r != nil && r.FromBot {
			return true
		}
	}
	return false
}

// Press taps the inline button carrying callback data on msg (in the user's private chat, a group
// the user is in, or a channel post) and returns the bot's answerCallbackQuery. The message must
// still exist and still have such a button, as a client can only tap what it shows; a stale button
// is one on an older message. If the bot does not answer within Config.AnswerTimeout the error is
// ErrNotAnswered.
func (u *User) Press(ctx context.Context, msg Message, data string) (CallbackAnswer, error) {
	s := u.s
	s.w.Lock()
	c, m, err := u.visibleMessageLocked(msg)
	if err != nil {
		s.w.Unlock()
		return CallbackAnswer{}, err
	}
	if !hasCallbackData(m, data) {
		s.w.Unlock()
		return CallbackAnswer{}, fmt.Errorf("sandbox: message %d in chat %d has no button with callback data %q",
			m.ID, c.Info.ID, data)
	}
	q := s.w.NewQueryLocked("callback_query", u.id)
	cq := &telego.CallbackQuery{ID: q.ID, From: s.w.TgUserLocked(u.id), Message: s.w.TgMessageLocked(m, true),
		ChatInstance: s.w.Bot.ChatInstance(c.Info.ID), Data: data}
	s.w.Unlock()

	deadline := time.Now().Add(s.cfg.AnswerTimeout)
	if err := s.deliver(ctx, u.id, telego.Update{CallbackQuery: cq}); err != nil {
		ans, _ := s.w.TakeAnswer(q)
		answer, _ := ans.(CallbackAnswer)
		return answer, err
	}
	ans, err := s.w.AwaitAnswer(ctx, q, deadline)
	if err != nil {
		return CallbackAnswer{}, err
	}
	return ans.(CallbackAnswer), nil
}

// hasCallbackData reports whether m has a callback button carrying data.
func hasCallbackData(m *Message, data string) bool {
	for _, b := range m.Buttons() {
		if b.CallbackData == data {
			return true
		}
	}
	return false
}

// PressButton presses the callback button labelled label on msg (see Message.Button for matching).
func (u *User) PressButton(ctx context.Context, msg Message, label string) (CallbackAnswer, error) {
	b, ok := msg.Button(label)
	if !ok {
		return CallbackAnswer{}, fmt.Errorf("sandbox: message %d has no single button labelled %q", msg.ID, label)
	}
	if b.CallbackData == "" {
		return CallbackAnswer{}, fmt.Errorf("sandbox: button %q of message %d is not a callback button", b.Text, msg.ID)
	}
	return u.Press(ctx, msg, b.CallbackData)
}

// visibleMessageLocked finds the current state of msg, if u can see it.
func (u *User) visibleMessageLocked(msg Message) (*world.ChatState, *Message, error) {
	c, ok := u.s.w.Chats[msg.ChatID]
	if !ok {
		return nil, nil, fmt.Errorf("sandbox: unknown chat %d", msg.ChatID)
	}
	switch c.Info.Type {
	case ChatPrivate:
		if c.Info.ID != u.id {
			return nil, nil, fmt.Errorf("sandbox: user %d cannot see user %d's chat", u.id, c.Info.ID)
		}
	case ChatGroup, ChatSupergroup:
		switch c.Members[u.id] {
		case StatusMember, StatusAdministrator, StatusCreator:
		default:
			return nil, nil, fmt.Errorf("sandbox: user %d is not a member of chat %d", u.id, c.Info.ID)
		}
	}
	m := c.Message(msg.ID)
	if m == nil || m.Deleted {
		return nil, nil, fmt.Errorf("sandbox: message %d in chat %d was deleted", msg.ID, msg.ChatID)
	}
	return c, m, nil
}

// InlineQuery types "@bot query" in a chat's input field and returns the results the bot answered
// with answerInlineQuery. It fails when the bot's inline mode is off, and with ErrNotAnswered when
// the bot does not answer within Config.AnswerTimeout.
func (u *User) InlineQuery(ctx context.Context, query string) ([]InlineResult, error) {
	ans, err := u.InlineQueryPage(ctx, query, "")
	return ans.Results, err
}

// InlineQueryPage is InlineQuery for one page: offset is the NextOffset of the previous answer.
func (u *User) InlineQueryPage(ctx context.Context, query, offset string) (InlineAnswer, error) {
	return u.inlineQuery(ctx, "sender", query, offset)
}

// InlineQueryInChat is InlineQueryPage typed in the input field of a chat, which sets the query's
// chat_type as Telegram does: "sender" in the user's private chat with the bot, the chat's type
// ("group", "supergroup", "channel") elsewhere. An unknown chat is an error.
func (u *User) InlineQueryInChat(ctx context.Context, chatID int64, query, offset string) (InlineAnswer, error) {
	u.s.w.Lock()
	c, ok := u.s.w.Chats[chatID]
	var chatType string
	if ok {
		chatType = string(c.Info.Type)
		if chatID == u.id {
			chatType = "sender"
		}
	}
	u.s.w.Unlock()
	if !ok {
		return InlineAnswer{}, fmt.Errorf("sandbox: unknown chat %d", chatID)
	}
	return u.inlineQuery(ctx, chatType, query, offset)
}

func (u *User) inlineQuery(ctx context.Context, chatType, query, offset string) (InlineAnswer, error) {
	s := u.s
	if s.cfg.InlineDisabled {
		return InlineAnswer{}, errors.New("sandbox: the bot's inline mode is off")
	}
	if entity.UTF16Len(query) > 256 {
		return InlineAnswer{}, errors.New("sandbox: an inline query is at most 256 characters")
	}
	s.w.Lock()
	q := s.w.NewQueryLocked("inline_query", u.id)
	iq := &telego.InlineQuery{ID: q.ID, From: s.w.TgUserLocked(u.id), Query: query, Offset: offset, ChatType: chatType}
	s.w.Unlock()

	deadline := time.Now().Add(s.cfg.AnswerTimeout)
	if err := s.deliver(ctx, u.id, telego.Update{InlineQuery: iq}); err != nil {
		s.w.TakeAnswer(q)
		return InlineAnswer{}, err
	}
	ans, err := s.w.AwaitAnswer(ctx, q, deadline)
	if err != nil {
		return InlineAnswer{}, err
	}
	return ans.(InlineAnswer), nil
}

// Block makes the user block the bot and sends the bot the my_chat_member update Telegram sends.
// The bot's further messages to the user fail with 403.
func (u *User) Block(ctx context.Context) error {
	return u.setBlocked(ctx, true)
}

// Unblock undoes Block (the user pressed "Restart") and tells the bot with my_chat_member.
func (u *User) Unblock(ctx context.Context) error {
	return u.setBlocked(ctx, false)
}

func (u *User) setBlocked(ctx context.Context, blocked bool) error {
	s := u.s
	s.w.Lock()
	us, ok := s.w.Users[u.id]
	if !ok {
		s.w.Unlock()
		return fmt.Errorf("sandbox: unknown user %d", u.id)
	}
	if us.Blocked == blocked {
		s.w.Unlock()
		return nil
	}
	us.Blocked = blocked
	bot := s.w.Bot.User()
	var oldMember, newMember telego.ChatMember = &telego.ChatMemberMember{Status: string(StatusMember), User: bot},
		&telego.ChatMemberBanned{Status: string(StatusKicked), User: bot}
	if !blocked {
		oldMember, newMember = newMember, oldMember
	}
	upd := telego.Update{MyChatMember: &telego.ChatMemberUpdated{
		Chat: world.TgChat(s.w.Chats[u.id].Info), From: s.w.TgUserLocked(u.id), Date: s.cfg.Now().Unix(),
		OldChatMember: oldMember, NewChatMember: newMember,
	}}
	s.w.Unlock()
	return s.deliver(ctx, u.id, upd)
}

// Messages returns the user's private chat with the bot in order, in its current state (edits
// applied, deleted messages marked Deleted).
func (u *User) Messages() []Message { return u.Chat().Messages() }

// LastMessage returns the last message in the user's private chat that is not deleted, from
// either side; the zero Message if there is none.
func (u *User) LastMessage() Message { return u.Chat().LastMessage() }

// LastBotMessage returns the bot's last message in the user's private chat that is not deleted;
// the zero Message if there is none.
func (u *User) LastBotMessage() Message {
	return lastMatching(u.Messages(), func(m Message) bool { return m.FromBot })
}

// WaitMessage waits until the user's private chat holds a message (not deleted, in its current
// state) that match accepts, and returns it; messages already there count. Use it for what the bot
// sends later, from a job rather than while handling an update; to skip older messages, match on
// Message.ID. It returns ctx's error when ctx ends first.
func (u *User) WaitMessage(ctx context.Context, match func(Message) bool) (Message, error) {
	return u.Chat().WaitMessage(ctx, match)
}

// RedeliverLast sends the last update this user caused again, with the same update_id.
func (u *User) RedeliverLast(ctx context.Context) error {
	return u.s.redeliverLast(ctx, u.id)
}
