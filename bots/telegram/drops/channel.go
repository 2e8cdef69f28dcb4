package drops

import (
	"context"
	"errors"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/live"
)

// A KOL connects a channel by making the bot an administrator that may post
// there: Telegram tells the bot (my_chat_member), the bot checks that whoever
// did it administers the channel and works with a shop as a KOL, and records
// the channel. A bot removed or demoted is noticed the same way, and the KOL
// is told what to fix. As the channel's administrator the bot sees its posts:
// a video chat starting opens the session scheduled around then.

// onChatMember follows the bot's rights in channels.
func (b *Feature) onChatMember(ctx context.Context, u telego.Update) error {
	m := u.MyChatMember
	if m.Chat.Type != telego.ChatTypeChannel {
		return nil
	}
	adm, isAdmin := m.NewChatMember.(*telego.ChatMemberAdministrator)
	canPost := isAdmin && adm.CanPostMessages
	known, err := b.live.Channel(ctx, m.Chat.ID)
	switch {
	case err == nil:
		// A channel connected already: its rights changed.
		if known.CanPost == canPost {
			return nil
		}
		if _, err := b.live.ChannelRights(ctx, m.Chat.ID, canPost); err != nil {
			return err
		}
		key := "drop_channel_lost"
		if canPost {
			key = "drop_channel_back"
		}
		return b.tellUser(ctx, known.KOL, key, m.Chat.Title)
	case !errors.Is(err, live.ErrChannelNotFound):
		return err
	case !canPost:
		return nil // added without the right to post, or removed before it was connected
	}
	who := core.UserID(m.From.ID)
	links, err := b.live.Links(ctx, who)
	if err != nil {
		return err
	}
	if len(links) == 0 {
		return b.tellUser(ctx, who, "drop_channel_not_kol", m.Chat.Title)
	}
	// Whoever made the bot an administrator may do so only as one; ask Telegram
	// anyway: the channel is where the KOL's followers are.
	member, err := b.api.GetChatMember(ctx, &telego.GetChatMemberParams{ChatID: tu.ID(m.Chat.ID), UserID: m.From.ID})
	if err != nil {
		return err
	}
	if s := member.MemberStatus(); s != telego.MemberStatusCreator && s != telego.MemberStatusAdministrator {
		return b.tellUser(ctx, who, "drop_channel_not_admin", m.Chat.Title)
	}
	ch, err := b.live.ConnectChannel(ctx, who, live.Channel{Chat: m.Chat.ID, Title: m.Chat.Title, Username: m.Chat.Username, CanPost: true})
	if errors.Is(err, live.ErrChannelNotYours) {
		return b.tellUser(ctx, who, "drop_err_channel_not_yours")
	}
	if err != nil {
		return err
	}
	return b.tellUser(ctx, who, "drop_channel_connected", ch.Title)
}

// onChannelPost opens a session when its channel's video chat starts, and
// offers its KOL to end it when the video chat ends.
func (b *Feature) onChannelPost(ctx context.Context, u telego.Update) error {
	p := u.ChannelPost
	switch {
	case p.VideoChatStarted != nil:
		sess, ok, err := b.live.OpenByChannel(ctx, p.Chat.ID)
		if err != nil && !telegram.UserFacing(err) {
			return err
		}
		if !ok {
			return nil
		}
		return b.sendSession(ctx, sess.KOL, sess.ID, "drop_session_opened_by_stream")
	case p.VideoChatEnded != nil:
		sess, ok, err := b.live.LiveInChannel(ctx, p.Chat.ID)
		if err != nil || !ok {
			return err
		}
		return b.sendSession(ctx, sess.KOL, sess.ID, "drop_session_stream_ended")
	}
	return nil
}

// tellUser writes a text to a user's private chat, in their language.
func (b *Feature) tellUser(ctx context.Context, to core.UserID, key string, args ...any) error {
	lang := "ru"
	if u, err := b.users.User(ctx, to); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	err := b.k.SendText(ctx, int64(to), b.k.T(lang, key, args...), nil)
	if code := telegram.APIErrorCode(err); code == 403 || code == 400 {
		return nil // they never started the bot, or blocked it
	}
	return err
}

// sendSession sends a KOL their session's card, with a notice, outside any
// update of theirs (the channel's video chat started or ended).
func (b *Feature) sendSession(ctx context.Context, kol core.UserID, id live.SessionID, key string) error {
	sess, _, err := b.live.Session(ctx, id)
	if err != nil {
		return err
	}
	lang := "ru"
	if u, err := b.users.User(ctx, kol); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "drop_btn_session"), verbKOLSession, int64(sess.ID))).Markup()
	err = b.k.SendText(ctx, int64(kol), b.k.T(lang, key, sess.Title), kb)
	if code := telegram.APIErrorCode(err); code == 403 || code == 400 {
		return nil
	}
	return err
}
