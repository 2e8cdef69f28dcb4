package web

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

// The JSON the page reads. It is the page's own shape, not the Bot API's: what a client shows,
// already resolved for one persona (whose messages are outgoing, names, file URLs, formatted
// amounts). Texts keep Telegram's plain text and entities with offsets in UTF-16 code units, which
// are JavaScript's string indices.

type messageView struct {
	ID       int        `json:"id"`
	ChatID   int64      `json:"chat_id"`
	Sender   senderView `json:"sender"`
	Outgoing bool       `json:"outgoing"`
	// Date and EditDate are Unix seconds; EditDate is 0 for a message never edited.
	Date            int64                  `json:"date"`
	EditDate        int64                  `json:"edit_date,omitempty"`
	Text            string                 `json:"text,omitempty"`
	Entities        []telego.MessageEntity `json:"entities,omitempty"`
	Caption         string                 `json:"caption,omitempty"`
	CaptionEntities []telego.MessageEntity `json:"caption_entities,omitempty"`
	Photo           *fileView              `json:"photo,omitempty"`
	Document        *fileView              `json:"document,omitempty"`
	Invoice         *invoiceView           `json:"invoice,omitempty"`
	Paid            *paymentView           `json:"paid,omitempty"`     // successful_payment
	Refunded        *paymentView           `json:"refunded,omitempty"` // refunded_payment
	InlineKeyboard  [][]buttonView         `json:"inline_keyboard,omitempty"`
	ReplyKeyboard   *replyKeyboardView     `json:"reply_keyboard,omitempty"`
	RemoveKeyboard  bool                   `json:"remove_keyboard,omitempty"`
	ForceReply      bool                   `json:"force_reply,omitempty"`
	ReplyToID       int                    `json:"reply_to_id,omitempty"`
	// ViaBot is the bot's @username for a message sent through inline mode.
	ViaBot       string `json:"via_bot,omitempty"`
	MediaGroupID string `json:"media_group_id,omitempty"`
	Deleted      bool   `json:"deleted,omitempty"`
}

type senderView struct {
	ID int64 `json:"id"`
	// Kind is "bot", "user" or "channel" (a post signed by the channel).
	Kind string `json:"kind"`
	Name string `json:"name"`
}

type fileView struct {
	URL      string `json:"url"`
	Name     string `json:"name,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size"`
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
}

type invoiceView struct {
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Currency    string      `json:"currency"`
	Total       int         `json:"total"`
	TotalText   string      `json:"total_text"`
	Prices      []priceView `json:"prices"`
	PhotoURL    string      `json:"photo_url,omitempty"`
	NeedName    bool        `json:"need_name,omitempty"`
	NeedPhone   bool        `json:"need_phone,omitempty"`
	NeedEmail   bool        `json:"need_email,omitempty"`
	// NeedShipping: the form asks for an address; Flexible: the bot is asked for shipping options.
	// Both are false for Stars, which ship nothing.
	NeedShipping bool `json:"need_shipping,omitempty"`
	Flexible     bool `json:"flexible,omitempty"`
	// Paid is set once the persona's payment of this invoice went through (private chats only: a
	// paid invoice shows a receipt instead of a Pay button).
	Paid bool `json:"paid,omitempty"`
}

type priceView struct {
	Label      string `json:"label"`
	Amount     int    `json:"amount"`
	AmountText string `json:"amount_text"`
}

type paymentView struct {
	Currency  string `json:"currency"`
	Total     int    `json:"total"`
	TotalText string `json:"total_text"`
}

type buttonView struct {
	Text string `json:"text"`
	// Kind is what a tap does: "callback" (Data), "url" (URL), "switch_inline" and
	// "switch_inline_current" (Query into the input), "copy" (Copy to the clipboard), "pay" (the
	// invoice's Pay button), "web_app" and "login" (URL in a new tab), "unsupported".
	Kind  string `json:"kind"`
	Data  string `json:"data,omitempty"`
	URL   string `json:"url,omitempty"`
	Query string `json:"query,omitempty"`
	Copy  string `json:"copy,omitempty"`
	Style string `json:"style,omitempty"`
}

type replyKeyboardView struct {
	Rows        [][]string `json:"rows"`
	OneTime     bool       `json:"one_time,omitempty"`
	Resize      bool       `json:"resize,omitempty"`
	Persistent  bool       `json:"persistent,omitempty"`
	Placeholder string     `json:"placeholder,omitempty"`
}

// viewer renders messages for one persona.
type viewer struct {
	botID       int64
	botName     string
	botUsername string
	persona     int64
	names       map[int64]string // users' names by id
	chat        sandbox.ChatInfo
}

func (h *Handler) viewer(p Persona, chat sandbox.ChatInfo) *viewer {
	v := &viewer{botID: h.s.BotID(), botName: h.opts.BotName, botUsername: h.s.BotUsername(),
		persona: p.UserID, names: make(map[int64]string), chat: chat}
	for _, u := range h.s.Users() {
		v.names[u.ID] = fullName(u)
	}
	for _, q := range h.personas() {
		v.names[q.UserID] = q.Name
	}
	return v
}

func (v *viewer) message(m sandbox.Message) messageView {
	out := messageView{ID: m.ID, ChatID: m.ChatID, Outgoing: m.From == v.persona && m.From != 0,
		Date: m.Date.Unix(), Text: m.Text, Entities: m.Entities, Caption: m.Caption,
		CaptionEntities: m.CaptionEntities, ReplyToID: m.ReplyToID, MediaGroupID: m.MediaGroupID,
		RemoveKeyboard: m.RemoveKeyboard, ForceReply: m.ForceReply, Deleted: m.Deleted}
	if !m.EditDate.IsZero() {
		out.EditDate = m.EditDate.Unix()
	}
	switch {
	case m.From == 0:
		out.Sender = senderView{ID: v.chat.ID, Kind: "channel", Name: chatTitle(v.chat, v.botName)}
	case m.From == v.botID:
		out.Sender = senderView{ID: v.botID, Kind: "bot", Name: v.botName}
	default:
		name := v.names[m.From]
		if name == "" {
			name = "User " + strconv.FormatInt(m.From, 10)
		}
		out.Sender = senderView{ID: m.From, Kind: "user", Name: name}
	}
	if m.ViaBot {
		out.ViaBot = "@" + v.botUsername
	}
	if m.Photo != nil {
		out.Photo = fileOf(*m.Photo)
	}
	if m.Document != nil {
		out.Document = fileOf(*m.Document)
	}
	if inv := m.Invoice; inv != nil {
		out.Invoice = invoiceOf(*inv, v.chat.Type == sandbox.ChatPrivate)
	}
	if sp := m.SuccessfulPayment; sp != nil {
		out.Paid = &paymentView{Currency: sp.Currency, Total: sp.TotalAmount, TotalText: formatAmount(sp.TotalAmount, sp.Currency)}
	}
	if rp := m.RefundedPayment; rp != nil {
		out.Refunded = &paymentView{Currency: rp.Currency, Total: rp.TotalAmount, TotalText: formatAmount(rp.TotalAmount, rp.Currency)}
	}
	for _, row := range m.InlineKeyboard {
		var vr []buttonView
		for _, b := range row {
			vr = append(vr, buttonOf(b))
		}
		out.InlineKeyboard = append(out.InlineKeyboard, vr)
	}
	if rk := m.ReplyKeyboard; rk != nil {
		kv := &replyKeyboardView{OneTime: rk.OneTimeKeyboard, Resize: rk.ResizeKeyboard,
			Persistent: rk.IsPersistent, Placeholder: rk.InputFieldPlaceholder}
		for _, row := range rk.Keyboard {
			var texts []string
			for _, b := range row {
				texts = append(texts, b.Text)
			}
			kv.Rows = append(kv.Rows, texts)
		}
		out.ReplyKeyboard = kv
	}
	return out
}

func fileOf(a sandbox.Attachment) *fileView {
	return &fileView{URL: "files/" + url.PathEscape(a.FileID), Name: a.FileName, MIMEType: a.MIMEType,
		Size: a.Size, Width: a.Width, Height: a.Height}
}

func invoiceOf(inv sandbox.Invoice, private bool) *invoiceView {
	stars := inv.Currency == "XTR"
	out := &invoiceView{Title: inv.Title, Description: inv.Description, Currency: inv.Currency,
		Total: inv.Total(), TotalText: formatAmount(inv.Total(), inv.Currency), PhotoURL: inv.PhotoURL,
		NeedName: inv.NeedName && !stars, NeedPhone: inv.NeedPhoneNumber && !stars, NeedEmail: inv.NeedEmail && !stars,
		NeedShipping: (inv.NeedShippingAddress || inv.IsFlexible) && !stars, Flexible: inv.IsFlexible && !stars,
		Paid: private && inv.ReceiptChargeID != ""}
	for _, p := range inv.Prices {
		out.Prices = append(out.Prices, priceView{Label: p.Label, Amount: p.Amount, AmountText: formatAmount(p.Amount, inv.Currency)})
	}
	return out
}

func buttonOf(b telego.InlineKeyboardButton) buttonView {
	out := buttonView{Text: b.Text, Style: b.Style}
	switch {
	case b.CallbackData != "":
		out.Kind, out.Data = "callback", b.CallbackData
	case b.URL != "":
		out.Kind, out.URL = "url", b.URL
	case b.SwitchInlineQueryCurrentChat != nil:
		out.Kind, out.Query = "switch_inline_current", *b.SwitchInlineQueryCurrentChat
	case b.SwitchInlineQuery != nil:
		out.Kind, out.Query = "switch_inline", *b.SwitchInlineQuery
	case b.SwitchInlineQueryChosenChat != nil:
		out.Kind, out.Query = "switch_inline", b.SwitchInlineQueryChosenChat.Query
	case b.CopyText != nil:
		out.Kind, out.Copy = "copy", b.CopyText.Text
	case b.Pay:
		out.Kind = "pay"
	case b.WebApp != nil:
		out.Kind, out.URL = "web_app", b.WebApp.URL
	case b.LoginURL != nil:
		out.Kind, out.URL = "login", b.LoginURL.URL
	default:
		out.Kind = "unsupported"
	}
	return out
}

// chatTitle is the title a chat has in the persona's list: the bot's name for the private chat.
func chatTitle(c sandbox.ChatInfo, botName string) string {
	if c.Type == sandbox.ChatPrivate {
		return botName
	}
	return c.Title
}

// preview is a one-line summary of a message for the chat list.
func preview(m messageView) string {
	var s string
	switch {
	case m.Paid != nil:
		s = "Payment: " + m.Paid.TotalText
	case m.Refunded != nil:
		s = "Refund: " + m.Refunded.TotalText
	case m.Invoice != nil:
		s = "Invoice: " + m.Invoice.Title + ", " + m.Invoice.TotalText
	case m.Text != "":
		s = m.Text
	case m.Photo != nil:
		s = "Photo"
		if m.Caption != "" {
			s += ", " + m.Caption
		}
	case m.Document != nil:
		s = "File: " + m.Document.Name
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 90 {
		s = string([]rune(s)[:89]) + "…"
	}
	return s
}

// Money. Amounts arrive in the currency's minor units, whose exponent Telegram lists per currency
// (https://core.telegram.org/bots/payments/currencies.json): 2 for most, 0 for a few, and 0 for
// Stars (XTR).

var zeroExponent = map[string]bool{
	"XTR": true, "JPY": true, "KRW": true, "VND": true, "CLP": true, "ISK": true, "PYG": true, "UGX": true,
}

var (
	prefixSymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}
	suffixSymbols = map[string]string{"RUB": "₽", "UAH": "₴", "KZT": "₸", "BYN": "Br", "GEL": "₾", "AMD": "֏",
		"TRY": "₺", "INR": "₹", "JPY": "¥", "CNY": "¥", "KRW": "₩"}
)

// formatAmount writes an amount in minor units for people: "$1,500.00", "1,500.00 ₽", "⭐ 250",
// "12.50 CHF".
func formatAmount(amount int, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	exp := 2
	if zeroExponent[currency] {
		exp = 0
	}
	unit := 1
	for range exp {
		unit *= 10
	}
	digits := groupThousands(strconv.Itoa(amount / unit))
	if exp > 0 {
		frac := strconv.Itoa(amount % unit)
		digits += "." + strings.Repeat("0", exp-len(frac)) + frac
	}
	switch {
	case currency == "XTR":
		return sign + "⭐ " + digits
	case prefixSymbols[currency] != "":
		return sign + prefixSymbols[currency] + digits
	case suffixSymbols[currency] != "":
		return sign + digits + " " + suffixSymbols[currency]
	default:
		return sign + digits + " " + currency
	}
}

func groupThousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
