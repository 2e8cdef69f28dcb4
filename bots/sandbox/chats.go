package sandbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// ChatSpec describes a group or a channel.
type ChatSpec struct {
	// ID is the chat's id (negative); 0 lets the server pick one.
	ID int64
	// Type is ChatGroup, ChatSupergroup or ChatChannel; default ChatSupergroup.
	Type  ChatType
	Title string
	// Username is the public @username without "@", optional; the bot may address the chat by it.
	Username string
	// BotStatus is the bot's standing: default administrator (with the right to post) in a channel,
	// member in a group. A bot that is not an administrator of a channel cannot post in it.
	BotStatus MemberStatus
}

// Chat is the handle of a group or channel (or of a user's private chat).
type Chat struct {
	s  *Server
	id int64
}

// NewChat adds a group or channel the bot is in and returns its handle. A spec whose ID is known
// updates that chat. It panics on Type ChatPrivate or a user's id: private chats come with NewUser.
func (s *Server) NewChat(spec ChatSpec) *Chat {
	if spec.Type == "" {
		spec.Type = ChatSupergroup
	}
	if spec.Type == ChatPrivate {
		panic("sandbox: NewChat makes groups and channels; private chats come with NewUser")
	}
	if spec.BotStatus == "" {
		spec.BotStatus = StatusMember
		if spec.Type == ChatChannel {
			spec.BotStatus = StatusAdministrator
		}
	}
	s.w.Lock()
	defer s.w.Unlock()
	if spec.ID == 0 {
		for {
			id := -(1000000 + s.w.NextChatID)
			if spec.Type != ChatGroup {
				id = -(1001000000000 + s.w.NextChatID)
			}
			s.w.NextChatID++
			if s.w.Chats[id] == nil {
				spec.ID = id
				break
			}
		}
	}
	if spec.Title == "" {
		spec.Title = fmt.Sprintf("Chat %d", spec.ID)
	}
	c, ok := s.w.Chats[spec.ID]
	if !ok {
		c = &world.ChatState{Members: make(map[int64]MemberStatus)}
		s.w.Chats[spec.ID] = c
	} else if c.Info.Type == ChatPrivate {
		panic(fmt.Sprintf("sandbox: chat id %d belongs to a user", spec.ID))
	}
	c.Info = ChatInfo{ID: spec.ID, Type: spec.Type, Title: spec.Title,
		Username: strings.TrimPrefix(spec.Username, "@"), BotStatus: spec.BotStatus}
	s.w.NotifyLocked()
	return &Chat{s: s, id: spec.ID}
}

// Chat returns the handle of a known chat; nil if there is none with that id.
func (s *Server) Chat(id int64) *Chat {
	s.w.Lock()
	defer s.w.Unlock()
	if _, ok := s.w.Chats[id]; !ok {
		return nil
	}
	return &Chat{s: s, id: id}
}

// Chats returns every chat, private ones included, ordered by id.
func (s *Server) Chats() []ChatInfo {
	s.w.Lock()
	defer s.w.Unlock()
	out := make([]ChatInfo, 0, len(s.w.Chats))
	for _, c := range s.w.Chats {
		out = append(out, c.Info)
	}
	slices.SortFunc(out, func(a, b ChatInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ID returns the chat's id.
func (c *Chat) ID() int64 { return c.id }

// Info returns the chat's description.
func (c *Chat) Info() ChatInfo {
	c.s.w.Lock()
	defer c.s.w.Unlock()
	return c.s.w.Chats[c.id].Info
}

// Messages returns the chat's messages in order, in their current state, deleted ones marked.
func (c *Chat) Messages() []Message {
	c.s.w.Lock()
	defer c.s.w.Unlock()
	return c.s.w.Chats[c.id].CopyMessages()
}

// LastMessage returns the chat's last message that is not deleted; the zero Message if none.
func (c *Chat) LastMessage() Message {
	return lastMatching(c.Messages(), func(Message) bool { return true })
}

// AddMember makes a user a member (or administrator, ...) of the group or channel. No update is
// sent to the bot.
func (c *Chat) AddMember(userID int64, status MemberStatus) {
	c.s.w.Lock()
	defer c.s.w.Unlock()
	c.s.w.Chats[c.id].Members[userID] = status
	c.s.w.NotifyLocked()
}

// Member returns a user's standing in the chat: StatusLeft for a user who is not in it. In a private
// chat the user whose chat it is is a member.
func (c *Chat) Member(userID int64) MemberStatus {
	c.s.w.Lock()
	defer c.s.w.Unlock()
	if status, ok := c.s.w.Chats[c.id].Members[userID]; ok {
		return status
	}
	return StatusLeft
}

// ChatAction returns the last chat action the bot sent (sendChatAction) and when; "" if none.
func (c *Chat) ChatAction() (action string, at time.Time) {
	c.s.w.Lock()
	defer c.s.w.Unlock()
	ch := c.s.w.Chats[c.id]
	return ch.Action, ch.ActionAt
}

func lastMatching(msgs []Message, match func(Message) bool) Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if !msgs[i].Deleted && match(msgs[i]) {
			return msgs[i]
		}
	}
	return Message{}
}

// WaitMessage waits until the chat holds a message (not deleted, current state) that match accepts;
// see User.WaitMessage.
func (c *Chat) WaitMessage(ctx context.Context, match func(Message) bool) (Message, error) {
	for {
		c.s.w.Lock()
		msgs := c.s.w.Chats[c.id].CopyMessages()
		changed := c.s.w.ChangedLocked()
		c.s.w.Unlock()
		for _, m := range msgs {
			if !m.Deleted && match(m) {
				return m, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// Post publishes text in the channel as the channel (an administrator posting), and delivers the
// channel_post update when the bot is an administrator there.
func (c *Chat) Post(ctx context.Context, text string) error {
	s := c.s
	s.w.Lock()
	ch := s.w.Chats[c.id]
	if ch.Info.Type != ChatChannel {
		s.w.Unlock()
		return fmt.Errorf("sandbox: chat %d is not a channel", c.id)
	}
	m := s.w.AppendLocked(ch, &Message{Text: text})
	visible := s.botSeesLocked(ch, m)
	upd := telego.Update{ChannelPost: s.w.TgMessageLocked(m, true)}
	s.w.Unlock()
	if !visible {
		return nil
	}
	return s.deliver(ctx, 0, upd)
}

// SetBotStatus makes by (an administrator of the chat) change the bot's standing there, and sends
// the bot the my_chat_member update Telegram sends: how a KOL connects a channel (the bot made an
// administrator, which in the sandbox may post) or takes it away (demoted to member, or removed:
// StatusLeft). Nothing is sent when the standing does not change.
func (c *Chat) SetBotStatus(ctx context.Context, by *User, status MemberStatus) error {
	s := c.s
	s.w.Lock()
	ch := s.w.Chats[c.id]
	old := ch.Info.BotStatus
	if old == status {
		s.w.Unlock()
		return nil
	}
	ch.Info.BotStatus = status
	bot := s.w.Bot.User()
	upd := telego.Update{MyChatMember: &telego.ChatMemberUpdated{
		Chat: world.TgChat(ch.Info), From: s.w.TgUserLocked(by.id), Date: s.cfg.Now().Unix(),
		OldChatMember: chatMember(old, bot), NewChatMember: chatMember(status, bot),
	}}
	s.w.NotifyLocked()
	s.w.Unlock()
	return s.deliver(ctx, by.id, upd)
}

// chatMember is a user's standing as a ChatMember of the Bot API; an administrator of the sandbox
// has every right.
func chatMember(status MemberStatus, u telego.User) telego.ChatMember {
	switch status {
	case StatusCreator:
		return &telego.ChatMemberOwner{Status: string(status), User: u}
	case StatusAdministrator:
		return &telego.ChatMemberAdministrator{Status: string(status), User: u, CanManageChat: true,
			CanPostMessages: true, CanEditMessages: true, CanDeleteMessages: true, CanManageVideoChats: true}
	case StatusKicked:
		return &telego.ChatMemberBanned{Status: string(status), User: u}
	case StatusLeft:
		return &telego.ChatMemberLeft{Status: string(status), User: u}
	}
	return &telego.ChatMemberMember{Status: string(StatusMember), User: u}
}

// VideoChat starts (or ends) the channel's video chat: the service message appears in the channel
// and the bot, an administrator there, gets it as a channel_post.
func (c *Chat) VideoChat(ctx context.Context, started bool) error {
	s := c.s
	s.w.Lock()
	ch := s.w.Chats[c.id]
	if ch.Info.Type != ChatChannel {
		s.w.Unlock()
		return fmt.Errorf("sandbox: chat %d is not a channel", c.id)
	}
	text := "🎥 Трансляция началась"
	if !started {
		text = "🎥 Трансляция завершена"
	}
	m := s.w.AppendLocked(ch, &Message{Text: text})
	visible := s.botSeesLocked(ch, m)
	tm := s.w.TgMessageLocked(m, true)
	tm.Text = ""
	if started {
		tm.VideoChatStarted = &telego.VideoChatStarted{}
	} else {
		tm.VideoChatEnded = &telego.VideoChatEnded{Duration: 3600}
	}
	upd := telego.Update{ChannelPost: tm}
	s.w.Unlock()
	if !visible {
		return nil
	}
	return s.deliver(ctx, 0, upd)
}

// RushFollowers are the ids the followers of Rush take: a range of their own, so
// that a second rush reuses them (they tap again) and they never meet real personas.
const RushFollowers int64 = 900_000_000

// Rush makes n followers of the channel (made members if they are not, none of them
// having started the bot) tap the callback button carrying data on msg, all at once
// (32 at a time), as a drop's audience does, and counts the answers by their text
// ("" for a tap the bot did not answer in time). It returns when every tap was
// answered.
func (c *Chat) Rush(ctx context.Context, msg Message, data string, n int) (map[string]int, error) {
	s := c.s
	followers := make([]*User, n)
	for i := range n {
		id := RushFollowers + int64(i)
		u := s.User(id)
		if u == nil {
			u = s.NewUser(UserSpec{ID: id, FirstName: fmt.Sprintf("Подписчик %d", i+1), LanguageCode: "ru"})
		}
		if c.Member(id) == StatusLeft {
			c.AddMember(id, StatusMember)
		}
		followers[i] = u
	}
	var mu sync.Mutex
	counts := map[string]int{}
	next := make(chan *User)
	var wg sync.WaitGroup
	var failed error
	for range min(32, n) {
		wg.Go(func() {
			for u := range next {
				ans, err := u.Press(ctx, msg, data)
				mu.Lock()
				if err != nil && !errors.Is(err, ErrNotAnswered) && failed == nil {
					failed = err
				}
				counts[ans.Text]++
				mu.Unlock()
			}
		})
	}
	for _, u := range followers {
		if ctx.Err() != nil {
			break
		}
		next <- u
	}
	close(next)
	wg.Wait()
	return counts, failed
}
