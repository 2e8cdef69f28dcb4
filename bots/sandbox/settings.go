package sandbox

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"
)

// The bot's own settings: profile, command menus, menu buttons.

func getMe(s *Server, _ *request) (any, error) {
	me := s.botUser()
	me.CanJoinGroups = true
	me.CanReadAllGroupMessages = s.cfg.ReadAllGroupMessages
	me.SupportsInlineQueries = !s.cfg.InlineDisabled
	return me, nil
}

// scopeSpec is a BotCommandScope.
type scopeSpec struct {
	Type   string `json:"type"`
	ChatID any    `json:"chat_id"`
	UserID int64  `json:"user_id"`
}

// commandsKey names the command list a call addresses: its scope and language_code.
func commandsKey(p params) (string, error) {
	scope := scopeSpec{Type: "default"}
	if _, err := p.decode("scope", &scope); err != nil {
		return "", err
	}
	key := scope.Type
	if scope.ChatID != nil {
		key += ":" + strings.Trim(string(mustJSON(scope.ChatID)), `"`)
	}
	if scope.UserID != 0 {
		key += ":" + strconv.FormatInt(scope.UserID, 10)
	}
	return key + "|" + p.str("language_code"), nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

var commandPattern = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func setMyCommands(s *Server, r *request) (any, error) {
	var cmds []telego.BotCommand
	if _, err := r.p.decode("commands", &cmds); err != nil {
		return nil, err
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands")
	}
	for _, c := range cmds {
		if !commandPattern.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Len(c.Description); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	key, err := commandsKey(r.p)
	if err != nil {
		return nil, err
	}
	if len(cmds) == 0 {
		delete(s.st.commands, key)
	} else {
		s.st.commands[key] = cmds
	}
	s.st.notifyLocked()
	return true, nil
}

func getMyCommands(s *Server, r *request) (any, error) {
	key, err := commandsKey(r.p)
	if err != nil {
		return nil, err
	}
	cmds := s.st.commands[key]
	if cmds == nil {
		cmds = []telego.BotCommand{}
	}
	return cmds, nil
}

func deleteMyCommands(s *Server, r *request) (any, error) {
	key, err := commandsKey(r.p)
	if err != nil {
		return nil, err
	}
	delete(s.st.commands, key)
	return true, nil
}

// Commands returns the command menu a user sees in the private chat, resolved as Telegram
// resolves scopes: the chat's own scope, then all private chats, then the default; at each scope
// the user's language first, then the language-less list.
func (s *Server) Commands(userID int64, languageCode string) []telego.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strconv.FormatInt(userID, 10)
	for _, scope := range []string{"chat:" + id, "all_private_chats", "default"} {
		for _, lang := range []string{languageCode, ""} {
			if cmds, ok := s.st.commands[scope+"|"+lang]; ok {
				return append([]telego.BotCommand(nil), cmds...)
			}
		}
	}
	return nil
}

func setBotText(kind string) handlerFunc {
	return func(s *Server, r *request) (any, error) {
		s.st.botTexts[kind+"|"+r.p.str("language_code")] = r.p.str(kind)
		s.st.notifyLocked()
		return true, nil
	}
}

func getBotText(kind string) handlerFunc {
	return func(s *Server, r *request) (any, error) {
		text := s.st.botTexts[kind+"|"+r.p.str("language_code")]
		if text == "" && kind == "name" {
			text = s.cfg.BotName
		}
		return map[string]string{kind: text}, nil
	}
}

func setChatMenuButton(s *Server, r *request) (any, error) {
	var chatID int64
	if r.p.has("chat_id") {
		c, err := s.lookupChatLocked(r, "chat_id")
		if err != nil {
			return nil, err
		}
		chatID = c.info.ID
	}
	var button json.RawMessage
	if _, err := r.p.decode("menu_button", &button); err != nil {
		return nil, err
	}
	if button == nil {
		delete(s.st.menuButtons, chatID)
	} else {
		s.st.menuButtons[chatID] = button
	}
	s.st.notifyLocked()
	return true, nil
}

func getChatMenuButton(s *Server, r *request) (any, error) {
	var chatID int64
	if r.p.has("chat_id") {
		c, err := s.lookupChatLocked(r, "chat_id")
		if err != nil {
			return nil, err
		}
		chatID = c.info.ID
	}
	if b, ok := s.st.menuButtons[chatID]; ok {
		return b, nil
	}
	if b, ok := s.st.menuButtons[0]; ok {
		return b, nil
	}
	return map[string]string{"type": "default"}, nil
}
