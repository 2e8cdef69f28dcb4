package sandbox

import (
	"encoding/json"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/mymmrac/telego"
)

type handlerFunc func(s *Server, r *request) (any, error)

// method is one Bot API method. Handlers run with s.mu held, except selfLocking ones, which wait
// (getUpdates) or fetch files by URL and take the lock themselves.
type method struct {
	name        string
	fn          handlerFunc
	selfLocking bool
}

// methodTable maps lower-cased method names (Telegram's are case-insensitive) to their handlers.
var methodTable = sync.OnceValue(func() map[string]method {
	all := []method{
		{name: "getMe", fn: getMe},
		{name: "logOut", fn: acceptTrue},
		{name: "close", fn: acceptTrue},
		{name: "setMyCommands", fn: setMyCommands},
		{name: "getMyCommands", fn: getMyCommands},
		{name: "deleteMyCommands", fn: deleteMyCommands},
		{name: "setMyName", fn: setBotText("name")},
		{name: "getMyName", fn: getBotText("name")},
		{name: "setMyDescription", fn: setBotText("description")},
		{name: "getMyDescription", fn: getBotText("description")},
		{name: "setMyShortDescription", fn: setBotText("short_description")},
		{name: "getMyShortDescription", fn: getBotText("short_description")},
		{name: "setChatMenuButton", fn: setChatMenuButton},
		{name: "getChatMenuButton", fn: getChatMenuButton},
		{name: "setWebhook", fn: setWebhook},
		{name: "deleteWebhook", fn: deleteWebhook},
		{name: "getWebhookInfo", fn: getWebhookInfo},
		{name: "getUpdates", fn: getUpdates, selfLocking: true},
		{name: "sendMessage", fn: sendMessage},
		{name: "editMessageText", fn: editMessageText},
		{name: "editMessageCaption", fn: editMessageCaption},
		{name: "editMessageReplyMarkup", fn: editMessageReplyMarkup},
		{name: "editMessageMedia", fn: editMessageMedia, selfLocking: true},
		{name: "deleteMessage", fn: deleteMessage},
		{name: "deleteMessages", fn: deleteMessages},
		{name: "sendChatAction", fn: sendChatAction},
		{name: "answerCallbackQuery", fn: answerCallbackQuery},
		{name: "answerInlineQuery", fn: answerInlineQuery},
		{name: "getChat", fn: getChat},
		{name: "getChatMember", fn: getChatMember},
		{name: "sendPhoto", fn: sendPhoto, selfLocking: true},
		{name: "sendDocument", fn: sendDocument, selfLocking: true},
		{name: "sendMediaGroup", fn: sendMediaGroup, selfLocking: true},
		{name: "getFile", fn: getFile},
		{name: "sendInvoice", fn: sendInvoice},
		{name: "createInvoiceLink", fn: createInvoiceLink},
		{name: "answerShippingQuery", fn: answerShippingQuery},
		{name: "answerPreCheckoutQuery", fn: answerPreCheckoutQuery},
		{name: "refundStarPayment", fn: refundStarPayment},
		{name: "getStarTransactions", fn: getStarTransactions},
	}
	table := make(map[string]method, len(all))
	for _, m := range all {
		table[strings.ToLower(m.name)] = m
	}
	return table
})

func lookupMethod(name string) (method, bool) {
	m, ok := methodTable()[strings.ToLower(name)]
	return m, ok
}

func acceptTrue(*Server, *request) (any, error) { return true, nil }

// Chats.

// lookupChatLocked resolves a chat_id parameter: an id, or "@username" of a group or channel.
func (s *Server) lookupChatLocked(r *request, key string) (*chatState, error) {
	raw := strings.TrimSpace(r.p.str(key))
	if raw == "" {
		return nil, badRequest("%s is empty", key)
	}
	if name, ok := strings.CutPrefix(raw, "@"); ok {
		for _, c := range s.st.chats {
			if c.info.Type != ChatPrivate && strings.EqualFold(c.info.Username, name) {
				return c, nil
			}
		}
		return nil, errChatNotFound
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, errChatNotFound
	}
	c, ok := s.st.chats[id]
	if !ok {
		return nil, errChatNotFound
	}
	return c, nil
}

// targetChatLocked resolves chat_id for a method that writes into the chat and applies Telegram's
// access rules: a user who blocked the bot or never started it, a channel where the bot may not
// post, a group the bot left.
func (s *Server) targetChatLocked(r *request) (*chatState, error) {
	c, err := s.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	if err := s.canWriteLocked(c); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Server) canWriteLocked(c *chatState) error {
	switch c.info.Type {
	case ChatPrivate:
		u := s.st.users[c.info.ID]
		if u.blocked {
			return forbidden("bot was blocked by the user")
		}
		if !u.started {
			return forbidden("bot can't initiate conversation with a user")
		}
	case ChatChannel:
		switch c.info.BotStatus {
		case StatusAdministrator, StatusCreator:
		case StatusMember:
			return badRequest("need administrator rights in the channel chat")
		default:
			return forbidden("bot is not a member of the channel chat")
		}
	default:
		kind := "group"
		if c.info.Type == ChatSupergroup {
			kind = "supergroup"
		}
		switch c.info.BotStatus {
		case StatusKicked:
			return forbidden("bot was kicked from the " + kind + " chat")
		case StatusLeft:
			return forbidden("bot is not a member of the " + kind + " chat")
		}
	}
	return nil
}

// botSender is who a bot's message in c is from: the bot, or the channel itself in a channel.
func (s *Server) botSender(c *chatState) int64 {
	if c.info.Type == ChatChannel {
		return 0
	}
	return s.cfg.BotID
}

// limitLocked asks the configured Limiter whether the bot may write into c now.
func (s *Server) limitLocked(r *request, c *chatState) error {
	if s.cfg.Limiter == nil {
		return nil
	}
	wait, ok := s.cfg.Limiter.Allow(LimitRequest{Chat: c.info, Method: r.method,
		PaidBroadcast: r.p.boolean("allow_paid_broadcast"), Now: s.cfg.Now()})
	if ok {
		return nil
	}
	return tooManyRequests(int(math.Ceil(wait.Seconds())))
}

// replyToLocked reads reply_parameters (or the older reply_to_message_id) for a message into c.
func (s *Server) replyToLocked(c *chatState, p params) (int, error) {
	var rp struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if _, err := p.decode("reply_parameters", &rp); err != nil {
		return 0, err
	}
	if rp.MessageID == 0 {
		id, _, err := p.integer("reply_to_message_id")
		if err != nil {
			return 0, err
		}
		rp.MessageID = int(id)
		rp.AllowSendingWithoutReply = p.boolean("allow_sending_without_reply")
	}
	if rp.MessageID == 0 {
		return 0, nil
	}
	if m := c.message(rp.MessageID); m != nil && !m.Deleted {
		return rp.MessageID, nil
	}
	if rp.AllowSendingWithoutReply {
		return 0, nil
	}
	return 0, badRequest("message to be replied not found")
}

// Keyboards.

// markup is a parsed reply_markup.
type markup struct {
	inline     [][]telego.InlineKeyboardButton
	reply      *telego.ReplyKeyboardMarkup
	remove     bool
	forceReply bool
}

func (mk markup) apply(m *Message) {
	m.InlineKeyboard, m.ReplyKeyboard, m.RemoveKeyboard, m.ForceReply = mk.inline, mk.reply, mk.remove, mk.forceReply
}

// parseMarkup reads and validates a reply_markup parameter (an object, or a string of JSON).
func parseMarkup(p params, key string) (markup, error) {
	var fields map[string]json.RawMessage
	ok, err := p.decode(key, &fields)
	if err != nil || !ok {
		return markup{}, err
	}
	var mk markup
	switch {
	case fields["inline_keyboard"] != nil:
		if err := json.Unmarshal(fields["inline_keyboard"], &mk.inline); err != nil {
			return markup{}, badRequest("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")
		}
		if err := validateInlineKeyboard(mk.inline); err != nil {
			return markup{}, err
		}
		if len(mk.inline) == 0 {
			mk.inline = nil
		}
	case fields["keyboard"] != nil:
		var rk telego.ReplyKeyboardMarkup
		raw, _ := json.Marshal(fields)
		if err := json.Unmarshal(raw, &rk); err != nil {
			return markup{}, badRequest("can't parse reply keyboard markup JSON object")
		}
		for _, row := range rk.Keyboard {
			for _, b := range row {
				if b.Text == "" {
					return markup{}, badRequest("keyboard button text must be non-empty")
				}
			}
		}
		mk.reply = &rk
	case fields["remove_keyboard"] != nil:
		mk.remove = true
	case fields["force_reply"] != nil:
		mk.forceReply = true
	default:
		return markup{}, badRequest("can't parse reply keyboard markup JSON object")
	}
	return mk, nil
}

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

func validateInlineKeyboard(kb [][]telego.InlineKeyboardButton) error {
	total := 0
	for _, row := range kb {
		total += len(row)
		for _, b := range row {
			if err := validateInlineButton(b); err != nil {
				return err
			}
		}
	}
	if total > 100 {
		return badRequest("reply markup is too long")
	}
	return nil
}

func validateInlineButton(b telego.InlineKeyboardButton) error {
	if strings.TrimSpace(b.Text) == "" {
		return badRequest("BUTTON_TEXT_INVALID")
	}
	switch {
	case b.CallbackData != "":
		if len(b.CallbackData) > maxCallbackData {
			return badRequest("BUTTON_DATA_INVALID")
		}
	case b.URL != "":
		if !validButtonURL(b.URL) {
			return badRequest("inline keyboard button URL '%s' is invalid: Wrong HTTP URL", b.URL)
		}
	case b.WebApp != nil, b.LoginURL != nil, b.SwitchInlineQuery != nil, b.SwitchInlineQueryCurrentChat != nil,
		b.SwitchInlineQueryChosenChat != nil, b.CopyText != nil, b.CallbackGame != nil, b.Pay:
	default:
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	return nil
}

func validButtonURL(raw string) bool {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return u.Host != "" && !strings.ContainsAny(u.Host, " _")
	case "tg", "ton":
		return true
	}
	return false
}

// Messages.

func sendMessage(s *Server, r *request) (any, error) {
	f, err := formattedParam(r.p, "text", "entities", checkText)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(r.p, "reply_markup")
	if err != nil {
		return nil, err
	}
	c, err := s.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	replyTo, err := s.replyToLocked(c, r.p)
	if err != nil {
		return nil, err
	}
	if err := s.limitLocked(r, c); err != nil {
		return nil, err
	}
	m := &Message{From: s.botSender(c), FromBot: true, Text: f.text, Entities: f.entities,
		ParseMode: f.parseMode, ReplyToID: replyTo}
	mk.apply(m)
	s.appendLocked(c, m)
	return s.tgMessageLocked(m, true), nil
}

func checkText(text string) error {
	if text == "" {
		return badRequest("message text is empty")
	}
	if utf16Len(text) > maxTextLength {
		return badRequest("message is too long")
	}
	return nil
}

func checkCaption(caption string) error {
	if utf16Len(caption) > maxCaptionLength {
		return badRequest("message caption is too long")
	}
	return nil
}

const notModified = "message is not modified: specified new message content and reply markup are exactly " +
	"the same as a current content and reply markup of the message"

// editTargetLocked finds the bot's message an edit method names.
func (s *Server) editTargetLocked(r *request) (*chatState, *Message, error) {
	if r.p.has("inline_message_id") {
		// Messages sent via inline mode are not modelled.
		return nil, nil, badRequest("MESSAGE_ID_INVALID")
	}
	if !r.p.has("chat_id") || !r.p.has("message_id") {
		return nil, nil, badRequest("message identifier is not specified")
	}
	c, err := s.targetChatLocked(r)
	if err != nil {
		return nil, nil, err
	}
	id, err := r.p.requireInt("message_id")
	if err != nil {
		return nil, nil, err
	}
	m := c.message(int(id))
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
func editMarkup(p params) ([][]telego.InlineKeyboardButton, error) {
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

func (s *Server) editedLocked(m *Message) any {
	m.EditDate = s.cfg.Now()
	s.publishLocked(Event{Kind: EventMessageEdited, ChatID: m.ChatID, Message: ptr(m.clone())})
	return s.tgMessageLocked(m, true)
}

func editMessageText(s *Server, r *request) (any, error) {
	f, err := formattedParam(r.p, "text", "entities", checkText)
	if err != nil {
		return nil, err
	}
	kb, err := editMarkup(r.p)
	if err != nil {
		return nil, err
	}
	c, m, err := s.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if m.Text == "" {
		return nil, badRequest("there is no text in the message to edit")
	}
	if f.text == m.Text && sameEntities(f.entities, m.Entities) && sameKeyboard(kb, m.InlineKeyboard) {
		return nil, badRequest(notModified)
	}
	if err := s.limitLocked(r, c); err != nil {
		return nil, err
	}
	m.Text, m.Entities, m.ParseMode, m.InlineKeyboard = f.text, f.entities, f.parseMode, kb
	return s.editedLocked(m), nil
}

func editMessageCaption(s *Server, r *request) (any, error) {
	f, err := formattedParam(r.p, "caption", "caption_entities", checkCaption)
	if err != nil {
		return nil, err
	}
	kb, err := editMarkup(r.p)
	if err != nil {
		return nil, err
	}
	c, m, err := s.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if m.Photo == nil && m.Document == nil {
		return nil, badRequest("there is no caption in the message to edit")
	}
	if f.text == m.Caption && sameEntities(f.entities, m.CaptionEntities) && sameKeyboard(kb, m.InlineKeyboard) {
		return nil, badRequest(notModified)
	}
	if err := s.limitLocked(r, c); err != nil {
		return nil, err
	}
	m.Caption, m.CaptionEntities, m.ParseMode, m.InlineKeyboard = f.text, f.entities, f.parseMode, kb
	return s.editedLocked(m), nil
}

func editMessageReplyMarkup(s *Server, r *request) (any, error) {
	kb, err := editMarkup(r.p)
	if err != nil {
		return nil, err
	}
	c, m, err := s.editTargetLocked(r)
	if err != nil {
		return nil, err
	}
	if sameKeyboard(kb, m.InlineKeyboard) {
		return nil, badRequest(notModified)
	}
	if err := s.limitLocked(r, c); err != nil {
		return nil, err
	}
	m.InlineKeyboard = kb
	return s.editedLocked(m), nil
}

func (s *Server) deleteLocked(c *chatState, m *Message) error {
	if !m.FromBot && c.info.Type != ChatPrivate &&
		c.info.BotStatus != StatusAdministrator && c.info.BotStatus != StatusCreator {
		return badRequest("message can't be deleted")
	}
	m.Deleted = true
	s.publishLocked(Event{Kind: EventMessageDeleted, ChatID: c.info.ID, Message: ptr(m.clone())})
	return nil
}

func deleteMessage(s *Server, r *request) (any, error) {
	c, err := s.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	id, err := r.p.requireInt("message_id")
	if err != nil {
		return nil, err
	}
	m := c.message(int(id))
	if m == nil || m.Deleted {
		return nil, badRequest("message to delete not found")
	}
	if err := s.deleteLocked(c, m); err != nil {
		return nil, err
	}
	return true, nil
}

func deleteMessages(s *Server, r *request) (any, error) {
	c, err := s.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	var ids []int
	if _, err := r.p.decode("message_ids", &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > 100 {
		return nil, badRequest("message_ids must contain 1-100 identifiers")
	}
	deleted := 0
	for _, id := range ids {
		if m := c.message(id); m != nil && !m.Deleted && s.deleteLocked(c, m) == nil {
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

func sendChatAction(s *Server, r *request) (any, error) {
	action := r.p.str("action")
	if !chatActions[action] {
		return nil, badRequest("wrong parameter action in request")
	}
	c, err := s.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	c.action, c.actionAt = action, s.cfg.Now()
	s.publishLocked(Event{Kind: EventChatAction, ChatID: c.info.ID, Action: action})
	return true, nil
}

// Queries.

// CallbackAnswer is the bot's answerCallbackQuery: the toast or alert a pressed button shows.
type CallbackAnswer struct {
	Text      string
	ShowAlert bool
	// URL is the URL the client opens; for a bot it is t.me/<bot>?start=<payload> (User.OpenLink
	// follows it).
	URL       string
	CacheTime int
}

const maxCallbackAnswer = 200

func answerCallbackQuery(s *Server, r *request) (any, error) {
	id, err := r.p.requireString("callback_query_id")
	if err != nil {
		return nil, err
	}
	ans := CallbackAnswer{Text: r.p.str("text"), ShowAlert: r.p.boolean("show_alert"), URL: r.p.str("url")}
	if ans.CacheTime, err = r.p.optInt("cache_time", 0); err != nil {
		return nil, err
	}
	if utf16Len(ans.Text) > maxCallbackAnswer {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	if ans.URL != "" {
		if _, ok := s.startPayload(ans.URL); !ok {
			return nil, badRequest("URL_INVALID")
		}
	}
	q, err := s.openQueryLocked("callback_query", id)
	if err != nil {
		return nil, err
	}
	q.answerLocked(ans)
	s.publishLocked(Event{Kind: EventCallbackAnswered, UserID: q.userID, Answer: &ans})
	return true, nil
}

var startPayloadPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,64}$`)

// startPayload parses a link to the bot, t.me/<bot>?start=<payload> (with or without scheme, or
// tg://resolve?domain=<bot>&start=<payload>); ok is false for any other URL or an invalid payload.
func (s *Server) startPayload(link string) (payload string, ok bool) {
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
	if !strings.EqualFold(bot, s.cfg.BotUsername) {
		return "", false
	}
	payload = u.Query().Get("start")
	if !startPayloadPattern.MatchString(payload) {
		return "", false
	}
	return payload, true
}

func answerInlineQuery(s *Server, r *request) (any, error) {
	id, err := r.p.requireString("inline_query_id")
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if _, err := r.p.decode("results", &raws); err != nil {
		return nil, err
	}
	if len(raws) > 50 {
		return nil, badRequest("RESULTS_TOO_MUCH")
	}
	ans := InlineAnswer{NextOffset: r.p.str("next_offset"), IsPersonal: r.p.boolean("is_personal")}
	if ans.CacheTime, err = r.p.optInt("cache_time", 300); err != nil {
		return nil, err
	}
	if _, err := r.p.decode("button", &ans.Button); err != nil {
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
	q, err := s.openQueryLocked("inline_query", id)
	if err != nil {
		return nil, err
	}
	q.answerLocked(ans)
	return true, nil
}

// Chat information.

func getChat(s *Server, r *request) (any, error) {
	c, err := s.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	i := c.info
	return telego.ChatFullInfo{ID: i.ID, Type: string(i.Type), Title: i.Title, Username: i.Username,
		FirstName: i.FirstName, LastName: i.LastName, MaxReactionCount: 11}, nil
}

func getChatMember(s *Server, r *request) (any, error) {
	c, err := s.lookupChatLocked(r, "chat_id")
	if err != nil {
		return nil, err
	}
	userID, err := r.p.requireInt("user_id")
	if err != nil {
		return nil, err
	}
	var status MemberStatus
	switch {
	case userID == s.cfg.BotID:
		status = c.info.BotStatus
	case c.info.Type == ChatPrivate:
		if userID != c.info.ID {
			return nil, badRequest("user not found")
		}
		status = StatusMember
	default:
		if _, ok := s.st.users[userID]; !ok {
			return nil, badRequest("user not found")
		}
		var ok bool
		if status, ok = c.members[userID]; !ok {
			status = StatusLeft
		}
	}
	member := map[string]any{"status": status, "user": s.tgUserLocked(userID)}
	switch status {
	case StatusCreator:
		member["is_anonymous"] = false
	case StatusAdministrator:
		for _, right := range []string{"can_be_edited", "is_anonymous", "can_promote_members", "can_restrict_members"} {
			member[right] = false
		}
		for _, right := range []string{"can_manage_chat", "can_delete_messages", "can_manage_video_chats",
			"can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
			"can_post_messages", "can_edit_messages", "can_pin_messages"} {
			member[right] = true
		}
	case StatusKicked:
		member["until_date"] = 0
	}
	return member, nil
}
