package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mymmrac/telego"
)

// ChatType is a chat's kind, as in Telegram's Chat.type.
type ChatType string

// Chat kinds.
const (
	ChatPrivate    ChatType = "private"
	ChatGroup      ChatType = "group"
	ChatSupergroup ChatType = "supergroup"
	ChatChannel    ChatType = "channel"
)

// MemberStatus is a user's or the bot's standing in a group or channel, as in ChatMember.status.
type MemberStatus string

// Member statuses.
const (
	StatusCreator       MemberStatus = "creator"
	StatusAdministrator MemberStatus = "administrator"
	StatusMember        MemberStatus = "member"
	StatusLeft          MemberStatus = "left"
	StatusKicked        MemberStatus = "kicked"
)

// UserSpec describes a persona: a Telegram user who talks to the bot.
type UserSpec struct {
	// ID is the user's id; 0 lets the server pick an unused one.
	ID        int64
	FirstName string // default "User <id>"
	LastName  string
	Username  string // without "@"
	// LanguageCode is the IETF tag the client reports (from.language_code), e.g. "ru" or "en".
	LanguageCode string
	IsPremium    bool
	// StartedBot marks a user who opened the bot's chat before the sandbox's history begins, so the
	// bot may write first. Otherwise the bot's messages to the user fail with 403 until the user has
	// sent something, as on Telegram.
	StartedBot bool
}

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

// ChatInfo is a chat as the sandbox knows it.
type ChatInfo struct {
	ID        int64
	Type      ChatType
	Title     string // groups and channels
	Username  string
	FirstName string // private chats: the user's name
	LastName  string
	BotStatus MemberStatus
}

// Attachment is a file carried by a message: a photo (one size) or a document.
type Attachment struct {
	FileID       string
	FileUniqueID string
	FileName     string
	MIMEType     string
	Size         int64
	Width        int    // photos only
	Height       int    // photos only
	URL          string // the HTTP URL the bot sent the file by, if it did
}

// Invoice is an invoice message's content (sendInvoice) or an invoice link's (createInvoiceLink).
type Invoice struct {
	Title       string
	Description string
	Payload     string
	// ProviderToken is checked when the invoice is sent and never shown; it is a payment
	// provider's secret, so a Snapshot (saved in the demo's database) leaves it out.
	ProviderToken             string `json:"-"`
	Currency                  string
	Prices                    []telego.LabeledPrice
	MaxTipAmount              int
	SuggestedTipAmounts       []int
	StartParameter            string
	ProviderData              string
	PhotoURL                  string
	NeedName                  bool
	NeedPhoneNumber           bool
	NeedEmail                 bool
	NeedShippingAddress       bool
	SendPhoneNumberToProvider bool
	SendEmailToProvider       bool
	IsFlexible                bool
	SubscriptionPeriod        int
	// Link is the URL createInvoiceLink returned; "" for an invoice message.
	Link string
	// ReceiptChargeID is the telegram_payment_charge_id of the payment made from this invoice
	// message; "" while unpaid. A paid invoice message shows a receipt instead of a Pay button.
	ReceiptChargeID string
}

// Total returns the sum of the invoice's prices, in the currency's minor units.
func (i Invoice) Total() int {
	total := 0
	for _, p := range i.Prices {
		total += p.Amount
	}
	return total
}

// Message is one message in a chat in its current state: edits applied, deletion marked.
type Message struct {
	ID     int
	ChatID int64
	// From is the sender's user id: the bot's id for the bot's messages, 0 for a channel post.
	From    int64
	FromBot bool
	Date    time.Time
	// EditDate is the time of the last edit; zero if never edited.
	EditDate time.Time
	// Text is the plain text, formatting removed, as Telegram returns it; Entities hold the formatting
	// (offsets in UTF-16 code units).
	Text     string
	Entities []telego.MessageEntity
	// Caption and CaptionEntities are a media message's caption.
	Caption         string
	CaptionEntities []telego.MessageEntity
	// ParseMode is the parse mode the sender used ("HTML", "MarkdownV2", ...), "" if none. Entities
	// are computed for HTML only; other modes keep the source text as is.
	ParseMode         string
	Photo             *Attachment
	Document          *Attachment
	MediaGroupID      string
	Invoice           *Invoice
	SuccessfulPayment *telego.SuccessfulPayment
	RefundedPayment   *telego.RefundedPayment
	// InlineKeyboard is the message's inline keyboard; nil when it has none.
	InlineKeyboard [][]telego.InlineKeyboardButton
	// ReplyKeyboard is the custom keyboard this message showed; RemoveKeyboard tells the message
	// removed it; ForceReply that it asked for a reply.
	ReplyKeyboard  *telego.ReplyKeyboardMarkup
	RemoveKeyboard bool
	ForceReply     bool
	// ReplyToID is the id of the message this one replies to, 0 if none.
	ReplyToID int
	// ViaBot is set on a message a user sent through the bot's inline mode.
	ViaBot  bool
	Deleted bool
}

// Body returns the text of a text message or the caption of a media message.
func (m Message) Body() string {
	if m.Text != "" {
		return m.Text
	}
	return m.Caption
}

// Buttons returns the inline keyboard's buttons row by row, flattened.
func (m Message) Buttons() []telego.InlineKeyboardButton {
	var out []telego.InlineKeyboardButton
	for _, row := range m.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

// Button finds an inline button by its label: the button whose text equals label, else the only
// button whose text contains it. ok is false when there is none or the match is ambiguous.
func (m Message) Button(label string) (b telego.InlineKeyboardButton, ok bool) {
	var partial []telego.InlineKeyboardButton
	for _, btn := range m.Buttons() {
		if btn.Text == label {
			return btn, true
		}
		if strings.Contains(btn.Text, label) {
			partial = append(partial, btn)
		}
	}
	if len(partial) == 1 {
		return partial[0], true
	}
	return telego.InlineKeyboardButton{}, false
}

// hasCallbackData reports whether the message has a callback button carrying data.
func (m Message) hasCallbackData(data string) bool {
	for _, b := range m.Buttons() {
		if b.CallbackData == data {
			return true
		}
	}
	return false
}

func (m *Message) clone() Message {
	c := *m
	c.Entities = slices.Clone(m.Entities)
	c.CaptionEntities = slices.Clone(m.CaptionEntities)
	if m.Photo != nil {
		p := *m.Photo
		c.Photo = &p
	}
	if m.Document != nil {
		d := *m.Document
		c.Document = &d
	}
	if m.Invoice != nil {
		inv := *m.Invoice
		inv.Prices = slices.Clone(m.Invoice.Prices)
		inv.SuggestedTipAmounts = slices.Clone(m.Invoice.SuggestedTipAmounts)
		c.Invoice = &inv
	}
	if m.SuccessfulPayment != nil {
		sp := *m.SuccessfulPayment
		c.SuccessfulPayment = &sp
	}
	if m.RefundedPayment != nil {
		rp := *m.RefundedPayment
		c.RefundedPayment = &rp
	}
	if m.InlineKeyboard != nil {
		c.InlineKeyboard = make([][]telego.InlineKeyboardButton, len(m.InlineKeyboard))
		for i, row := range m.InlineKeyboard {
			c.InlineKeyboard[i] = slices.Clone(row)
		}
	}
	if m.ReplyKeyboard != nil {
		rk := *m.ReplyKeyboard
		c.ReplyKeyboard = &rk
	}
	return c
}

// state is everything the server holds; Server.mu guards it.
type state struct {
	users      map[int64]*userState
	chats      map[int64]*chatState
	nextUserID int64
	nextChatID int64

	files     map[string]*storedFile // by file_id
	filePaths map[string]*storedFile // by file_path
	fileSeq   int

	updateSeq int
	webhook   webhookState
	queue     []queuedUpdate // for getUpdates, when no webhook is set
	queueWake chan struct{}  // closed and replaced when the queue grows or pollers must wake
	pollGen   int
	recent    []sentUpdate // the last updates sent, for redelivery
	failed    []sentUpdate // updates the webhook refused, oldest first

	queries  map[string]*pendingQuery
	querySeq int

	invoiceLinks map[string]*Invoice
	payments     []*Payment
	starTxns     []telego.StarTransaction

	commands    map[string][]telego.BotCommand // by scope and language
	menuButtons map[int64]json.RawMessage      // by chat id; 0 is the default
	botTexts    map[string]string              // name, description, short_description by language

	calls      []Call
	faults     []fault              // FailNext, used up in order
	outages    map[string]*APIError // FailAll, by lower-case method ("" = every method)
	hangs      []*hang              // Hang, until released
	hanging    int                  // calls held by a Hang now
	changed    chan struct{}        // closed and replaced on every change of the model
	generation uint64               // counts the changes of the model
	closed     bool
}

type fault struct {
	method string
	err    *APIError
}

func (st *state) init() {
	st.users = make(map[int64]*userState)
	st.chats = make(map[int64]*chatState)
	st.nextUserID = 1000001
	st.nextChatID = 1
	st.files = make(map[string]*storedFile)
	st.filePaths = make(map[string]*storedFile)
	st.queueWake = make(chan struct{})
	st.queries = make(map[string]*pendingQuery)
	st.invoiceLinks = make(map[string]*Invoice)
	st.commands = make(map[string][]telego.BotCommand)
	st.menuButtons = make(map[int64]json.RawMessage)
	st.botTexts = make(map[string]string)
	st.changed = make(chan struct{})
	st.webhook.maxConnections = 40
}

// notifyLocked wakes everything waiting for a change of the model (User.WaitMessage) and counts
// the change (Server.Generation). Every change a Snapshot would show calls it.
func (st *state) notifyLocked() {
	st.generation++
	close(st.changed)
	st.changed = make(chan struct{})
}

type userState struct {
	spec    UserSpec
	started bool
	blocked bool
}

type chatState struct {
	info     ChatInfo
	messages []*Message
	lastID   int
	members  map[int64]MemberStatus
	action   string
	actionAt time.Time
}

func (c *chatState) message(id int) *Message {
	// Ids increase with the slice index, so search.
	i, found := slices.BinarySearchFunc(c.messages, id, func(m *Message, id int) int { return m.ID - id })
	if !found {
		return nil
	}
	return c.messages[i]
}

func (c *chatState) snapshot() []Message {
	out := make([]Message, len(c.messages))
	for i, m := range c.messages {
		out[i] = m.clone()
	}
	return out
}

// appendLocked adds m to chat with the next message id and announces it.
func (s *Server) appendLocked(c *chatState, m *Message) *Message {
	c.lastID++
	m.ID = c.lastID
	m.ChatID = c.info.ID
	if m.Date.IsZero() {
		m.Date = s.cfg.Now()
	}
	c.messages = append(c.messages, m)
	s.publishLocked(Event{Kind: EventMessageNew, ChatID: c.info.ID, Message: ptr(m.clone())})
	return m
}

func ptr[T any](v T) *T { return &v }

// NewUser adds a persona and its private chat with the bot, and returns its handle. A spec whose ID
// is already known updates that user and returns its handle.
func (s *Server) NewUser(spec UserSpec) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec.ID == 0 {
		for s.st.users[s.st.nextUserID] != nil {
			s.st.nextUserID++
		}
		spec.ID = s.st.nextUserID
		s.st.nextUserID++
	}
	if spec.FirstName == "" {
		spec.FirstName = fmt.Sprintf("User %d", spec.ID)
	}
	spec.Username = strings.TrimPrefix(spec.Username, "@")
	if u, ok := s.st.users[spec.ID]; ok {
		u.spec = spec
		u.started = u.started || spec.StartedBot
	} else {
		s.st.users[spec.ID] = &userState{spec: spec, started: spec.StartedBot}
	}
	c, ok := s.st.chats[spec.ID]
	if !ok {
		c = &chatState{members: map[int64]MemberStatus{spec.ID: StatusMember}}
		s.st.chats[spec.ID] = c
	}
	c.info = ChatInfo{ID: spec.ID, Type: ChatPrivate, Username: spec.Username, FirstName: spec.FirstName,
		LastName: spec.LastName, BotStatus: StatusMember}
	s.st.notifyLocked()
	return &User{s: s, id: spec.ID}
}

// User returns the handle of a known user; nil if there is none with that id.
func (s *Server) User(id int64) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.users[id]; !ok {
		return nil
	}
	return &User{s: s, id: id}
}

// Users returns every persona's profile, ordered by id.
func (s *Server) Users() []UserSpec {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]UserSpec, 0, len(s.st.users))
	for _, u := range s.st.users {
		out = append(out, u.spec)
	}
	slices.SortFunc(out, func(a, b UserSpec) int { return cmpInt64(a.ID, b.ID) })
	return out
}

// BlockUser makes the user block the bot: the bot's further messages to the user fail with 403
// "Forbidden: bot was blocked by the user". No update is sent; User.Block also tells the bot.
func (s *Server) BlockUser(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.st.users[id]; ok {
		u.blocked = true
		s.st.notifyLocked()
	}
}

// UnblockUser undoes BlockUser, silently.
func (s *Server) UnblockUser(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.st.users[id]; ok {
		u.blocked = false
		s.st.notifyLocked()
	}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec.ID == 0 {
		for {
			id := -(1000000 + s.st.nextChatID)
			if spec.Type != ChatGroup {
				id = -(1001000000000 + s.st.nextChatID)
			}
			s.st.nextChatID++
			if s.st.chats[id] == nil {
				spec.ID = id
				break
			}
		}
	}
	if spec.Title == "" {
		spec.Title = fmt.Sprintf("Chat %d", spec.ID)
	}
	c, ok := s.st.chats[spec.ID]
	if !ok {
		c = &chatState{members: make(map[int64]MemberStatus)}
		s.st.chats[spec.ID] = c
	} else if c.info.Type == ChatPrivate {
		panic(fmt.Sprintf("sandbox: chat id %d belongs to a user", spec.ID))
	}
	c.info = ChatInfo{ID: spec.ID, Type: spec.Type, Title: spec.Title,
		Username: strings.TrimPrefix(spec.Username, "@"), BotStatus: spec.BotStatus}
	s.st.notifyLocked()
	return &Chat{s: s, id: spec.ID}
}

// Chat returns the handle of a known chat; nil if there is none with that id.
func (s *Server) Chat(id int64) *Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.chats[id]; !ok {
		return nil
	}
	return &Chat{s: s, id: id}
}

// Chats returns every chat, private ones included, ordered by id.
func (s *Server) Chats() []ChatInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ChatInfo, 0, len(s.st.chats))
	for _, c := range s.st.chats {
		out = append(out, c.info)
	}
	slices.SortFunc(out, func(a, b ChatInfo) int { return cmpInt64(a.ID, b.ID) })
	return out
}

// ID returns the chat's id.
func (c *Chat) ID() int64 { return c.id }

// Info returns the chat's description.
func (c *Chat) Info() ChatInfo {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.st.chats[c.id].info
}

// Messages returns the chat's messages in order, in their current state, deleted ones marked.
func (c *Chat) Messages() []Message {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.st.chats[c.id].snapshot()
}

// LastMessage returns the chat's last message that is not deleted; the zero Message if none.
func (c *Chat) LastMessage() Message {
	return lastMatching(c.Messages(), func(Message) bool { return true })
}

// AddMember makes a user a member (or administrator, ...) of the group or channel. No update is
// sent to the bot.
func (c *Chat) AddMember(userID int64, status MemberStatus) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.st.chats[c.id].members[userID] = status
	c.s.st.notifyLocked()
}

// Member returns a user's standing in the chat: StatusLeft for a user who is not in it. In a private
// chat the user whose chat it is is a member.
func (c *Chat) Member(userID int64) MemberStatus {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if status, ok := c.s.st.chats[c.id].members[userID]; ok {
		return status
	}
	return StatusLeft
}

// ChatAction returns the last chat action the bot sent (sendChatAction) and when; "" if none.
func (c *Chat) ChatAction() (action string, at time.Time) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ch := c.s.st.chats[c.id]
	return ch.action, ch.actionAt
}

func lastMatching(msgs []Message, match func(Message) bool) Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if !msgs[i].Deleted && match(msgs[i]) {
			return msgs[i]
		}
	}
	return Message{}
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Telegram shapes. The helpers below build the JSON objects the bot decodes; the lock is held.

func (s *Server) botUser() telego.User {
	return telego.User{ID: s.cfg.BotID, IsBot: true, FirstName: s.cfg.BotName, Username: s.cfg.BotUsername}
}

func (s *Server) tgUserLocked(id int64) telego.User {
	if id == s.cfg.BotID {
		return s.botUser()
	}
	u, ok := s.st.users[id]
	if !ok {
		return telego.User{ID: id, FirstName: fmt.Sprintf("User %d", id)}
	}
	return telego.User{ID: id, FirstName: u.spec.FirstName, LastName: u.spec.LastName,
		Username: u.spec.Username, LanguageCode: u.spec.LanguageCode, IsPremium: u.spec.IsPremium}
}

func tgChat(info ChatInfo) telego.Chat {
	return telego.Chat{ID: info.ID, Type: string(info.Type), Title: info.Title, Username: info.Username,
		FirstName: info.FirstName, LastName: info.LastName}
}

// tgMessageLocked renders m as the Bot API's Message; withReply includes reply_to_message.
func (s *Server) tgMessageLocked(m *Message, withReply bool) *telego.Message {
	c := s.st.chats[m.ChatID]
	out := &telego.Message{
		MessageID:       m.ID,
		Date:            m.Date.Unix(),
		Chat:            tgChat(c.info),
		Text:            m.Text,
		Entities:        m.Entities,
		Caption:         m.Caption,
		CaptionEntities: m.CaptionEntities,
		MediaGroupID:    m.MediaGroupID,
	}
	if m.From != 0 {
		from := s.tgUserLocked(m.From)
		out.From = &from
	} else {
		chat := tgChat(c.info)
		out.SenderChat = &chat
	}
	if !m.EditDate.IsZero() {
		out.EditDate = m.EditDate.Unix()
	}
	if m.ViaBot {
		bot := s.botUser()
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
		if r := c.message(m.ReplyToID); r != nil && !r.Deleted {
			out.ReplyToMessage = s.tgMessageLocked(r, false)
		}
	}
	return out
}

func (s *Server) chatInstance(chatID int64) string {
	return fmt.Sprintf("%d", chatID*7919+s.cfg.BotID)
}
