package botapi

import (
	"math"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Chats: finding the chat a call names, Telegram's rules on who may write where, and what the
// bot may learn of a chat.

// lookupChatLocked resolves a chat_id parameter: an id, or "@username" of a group or channel.
func (a *API) lookupChatLocked(r *request, key string) (*world.ChatState, error) {
	raw := strings.TrimSpace(r.p.Str(key))
	if raw == "" {
		return nil, badRequest("%s is empty", key)
	}
	if name, ok := strings.CutPrefix(raw, "@"); ok {
		for _, c := range a.w.Chats {
			if c.Info.Type != world.ChatPrivate && strings.EqualFold(c.Info.Username, name) {
				return c, nil
			}
		}
		return nil, errChatNotFound
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, errChatNotFound
	}
	c, ok := a.w.Chats[id]
	if !ok {
		return nil, errChatNotFound
	}
	return c, nil
}

// targetChatLocked resolves chat_id for a method that writes into the chat and applies Telegram's
// access rules: a user who blocked the bot or never started it, a channel where the bot may not
// post, a group the bot left.
func (a *API) targetChatLocked(r *request) (*world.ChatState, error) {
	c, err := a.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	if err := a.canWriteLocked(c); err != nil {
		return nil, err
	}
	return c, nil
}

func (a *API) canWriteLocked(c *world.ChatState) error {
	switch c.Info.Type {
	case world.ChatPrivate:
		u := a.w.Users[c.Info.ID]
		if u.Blocked {
			return forbidden("bot was blocked by the user")
		}
		if !u.Started {
			return forbidden("bot can't initiate conversation with a user")
		}
	case world.ChatChannel:
		switch c.Info.BotStatus {
		case world.StatusAdministrator, world.StatusCreator:
		case world.StatusMember:
			return badRequest("need administrator rights in the channel chat")
		default:
			return forbidden("bot is not a member of the channel chat")
		}
	default:
		kind := "group"
		if c.Info.Type == world.ChatSupergroup {
			kind = "supergroup"
		}
		switch c.Info.BotStatus {
		case world.StatusKicked:
			return forbidden("bot was kicked from the " + kind + " chat")
		case world.StatusLeft:
			return forbidden("bot is not a member of the " + kind + " chat")
		}
	}
	return nil
}

// botSender is who a bot's message in c is from: the bot, or the channel itself in a channel.
func (a *API) botSender(c *world.ChatState) int64 {
	if c.Info.Type == world.ChatChannel {
		return 0
	}
	return a.w.Bot.ID
}

// limitLocked asks the configured limit whether the bot may write into c now.
func (a *API) limitLocked(r *request, c *world.ChatState) error {
	if a.cfg.Limit == nil {
		return nil
	}
	wait, ok := a.cfg.Limit(c.Info, r.method, r.p.boolean("allow_paid_broadcast"))
	if ok {
		return nil
	}
	return TooManyRequests(int(math.Ceil(wait.Seconds())))
}

// Chat information.

func getChat(a *API, r *request) (any, error) {
	c, err := a.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	i := c.Info
	return telego.ChatFullInfo{ID: i.ID, Type: string(i.Type), Title: i.Title, Username: i.Username,
		FirstName: i.FirstName, LastName: i.LastName, MaxReactionCount: 11}, nil
}

func getChatMember(a *API, r *request) (any, error) {
	c, err := a.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	userID, err := r.p.requireInt("user_id")
	if err != nil {
		return nil, err
	}
	var status world.MemberStatus
	switch {
	case userID == a.w.Bot.ID:
		status = c.Info.BotStatus
	case c.Info.Type == world.ChatPrivate:
		if userID != c.Info.ID {
			return nil, badRequest("user not found")
		}
		status = world.StatusMember
	default:
		if _, ok := a.w.Users[userID]; !ok {
			return nil, badRequest("user not found")
		}
		var ok bool
		if status, ok = c.Members[userID]; !ok {
			status = world.StatusLeft
		}
	}
	member := map[string]any{"status": status, "user": a.w.TgUserLocked(userID)}
	switch status {
	case world.StatusCreator:
		member["is_anonymous"] = false
	case world.StatusAdministrator:
		for _, right := range []string{"can_be_edited", "is_anonymous", "can_promote_members", "can_restrict_members"} {
			member[right] = false
		}
		for _, right := range []string{"can_manage_chat", "can_delete_messages", "can_manage_video_chats",
			"can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
			"can_post_messages", "can_edit_messages", "can_pin_messages"} {
			member[right] = true
		}
	case world.StatusKicked:
		member["until_date"] = 0
	}
	return member, nil
}
