package world

// The sandbox's data types. Package sandbox re-exports each under the same name (sandbox.Message
// is world.Message), so tests and the demo use them from there.

import (
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

// CopyMessage returns a deep copy of m, which the caller may keep after the lock is released.
func CopyMessage(m *Message) Message {
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

// Payment is a payment a user completed.
type Payment struct {
	// ChargeID is telegram_payment_charge_id: unique per payment, the key for idempotency and for
	// refundStarPayment.
	ChargeID string
	// ProviderChargeID is provider_payment_charge_id; "" for Stars.
	ProviderChargeID string
	UserID           int64
	// ChatID and MessageID locate the invoice message paid; 0 for an invoice link.
	ChatID           int64
	MessageID        int
	Currency         string
	TotalAmount      int
	Payload          string
	ShippingOptionID string
	OrderInfo        *telego.OrderInfo
	Date             time.Time
	Refunded         bool
	RefundDate       time.Time
}

// PayStatus is how a payment attempt ended.
type PayStatus string

// Payment outcomes.
const (
	// PayPaid: the payment went through; the bot got the successful_payment message.
	PayPaid PayStatus = "paid"
	// PayDeclined: the bot answered the pre-checkout query with ok=false.
	PayDeclined PayStatus = "declined"
	// PayShippingRejected: the bot answered the shipping query with ok=false.
	PayShippingRejected PayStatus = "shipping_rejected"
	// PayTimedOut: the bot did not answer the shipping or pre-checkout query in time.
	PayTimedOut PayStatus = "timed_out"
	// PayProviderFailed: the provider declined the card after the bot approved the pre-checkout query.
	PayProviderFailed PayStatus = "provider_failed"
	// PayRefunded: reported in events when the bot refunds a Stars payment.
	PayRefunded PayStatus = "refunded"
)

// CallbackAnswer is the bot's answerCallbackQuery: the toast or alert a pressed button shows.
type CallbackAnswer struct {
	Text      string
	ShowAlert bool
	// URL is the URL the client opens; for a bot it is t.me/<bot>?start=<payload> (User.OpenLink
	// follows it).
	URL       string
	CacheTime int
}
