package botapi

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/entity"
)

// The bot's own settings: profile, command menus, menu buttons.

func getMe(a *API, _ *request) (any, error) {
	me := a.w.Bot.User()
	me.CanJoinGroups = true
	me.CanReadAllGroupMessages = a.cfg.ReadAllGroupMessages
	me.SupportsInlineQueries = !a.cfg.InlineDisabled
	return me, nil
}

// scopeSpec is a BotCommandScope.
type scopeSpec struct {
	Type   string `json:"type"`
	ChatID any    `json:"chat_id"`
	UserID int64  `json:"user_id"`
}

// commandsKey names the command list a call addresses: its scope and language_code.
func commandsKey(p Params) (string, error) {
	scope := scopeSpec{Type: "default"}
	if _, err := p.Decode("scope", &scope); err != nil {
		return "", err
	}
	key := scope.Type
	if scope.ChatID != nil {
		key += ":" + strings.Trim(string(mustJSON(scope.ChatID)), `"`)
	}
	if scope.UserID != 0 {
		key += ":" + strconv.FormatInt(scope.UserID, 10)
	}
	return key + "|" + p.Str("language_code"), nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

var commandPattern = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func setMyCommands(a *API, r *request) (any, error) {
	var cmds []telego.BotCommand
	if _, err := r.p.Decode("commands", &cmds); err != nil {
		return nil, err
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands")
	}
	for _, c := range cmds {
		if !commandPattern.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := entity.UTF16Len(c.Description); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	key, err := commandsKey(r.p)
	if err != nil {
		return nil, err
	}
	if len(cmds) == 0 {
		delete(a.w.Commands, key)
	} else {
		a.w.Commands[key] = cmds
	}
	a.w.NotifyLocked()
	return true, nil
}

func getMyCommands(a *API, r *request) (any, error) {
	key, err := commandsKey(r.p)
	if err != nil {
		return nil, err
	}
	cmds := a.w.Commands[key]
	if cmds == nil {
		cmds = []telego.BotCommand{}
	}
	return cmds, nil
}

func deleteMyCommands(a *API, r *request) (any, error) {
	key, err := commandsKey(r.p)
	if err != nil {
		return nil, err
	}
	delete(a.w.Commands, key)
	return true, nil
}

// Commands returns the command menu a user sees in the private chat, resolved as Telegram
// resolves scopes: the chat's own scope, then all private chats, then the default; at each scope
// the user's language first, then the language-less list.
func (a *API) Commands(userID int64, languageCode string) []telego.BotCommand {
	a.w.Lock()
	defer a.w.Unlock()
	id := strconv.FormatInt(userID, 10)
	for _, scope := range []string{"chat:" + id, "all_private_chats", "default"} {
		for _, lang := range []string{languageCode, ""} {
			if cmds, ok := a.w.Commands[scope+"|"+lang]; ok {
				return append([]telego.BotCommand(nil), cmds...)
			}
		}
	}
	return nil
}

func setBotText(kind string) handlerFunc {
	return func(a *API, r *request) (any, error) {
		a.w.BotTexts[kind+"|"+r.p.Str("language_code")] = r.p.Str(kind)
		a.w.NotifyLocked()
		return true, nil
	}
}

func getBotText(kind string) handlerFunc {
	return func(a *API, r *request) (any, error) {
		text := a.w.BotTexts[kind+"|"+r.p.Str("language_code")]
		if text == "" && kind == "name" {
			text = a.w.Bot.Name
		}
		return map[string]string{kind: text}, nil
	}
}

func setChatMenuButton(a *API, r *request) (any, error) {
	var chatID int64
	if r.p.has("chat_id") {
		c, err := a.lookupChatLocked(r, "chat_id")
		if err != nil {
			return nil, err
		}
		chatID = c.Info.ID
	}
	var button json.RawMessage
	if _, err := r.p.Decode("menu_button", &button); err != nil {
		return nil, err
	}
	if button == nil {
		delete(a.w.MenuButtons, chatID)
	} else {
		a.w.MenuButtons[chatID] = button
	}
	a.w.NotifyLocked()
	return true, nil
}

func getChatMenuButton(a *API, r *request) (any, error) {
	var chatID int64
	if r.p.has("chat_id") {
		c, err := a.lookupChatLocked(r, "chat_id")
		if err != nil {
			return nil, err
		}
		chatID = c.Info.ID
	}
	if b, ok := a.w.MenuButtons[chatID]; ok {
		return b, nil
	}
	if b, ok := a.w.MenuButtons[0]; ok {
		return b, nil
	}
	return map[string]string{"type": "default"}, nil
}
