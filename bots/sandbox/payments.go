package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mymmrac/telego"
)

// starsCurrency is Telegram Stars' currency code.
const starsCurrency = "XTR"

// currencies Telegram Payments accepts (https://core.telegram.org/bots/payments#supported-currencies),
// the ones a Vitrina shop is likely to use, plus Stars.
var currencies = map[string]bool{
	"AED": true, "AMD": true, "ARS": true, "AUD": true, "AZN": true, "BRL": true, "BYN": true, "CAD": true,
	"CHF": true, "CNY": true, "CZK": true, "DKK": true, "EUR": true, "GBP": true, "GEL": true, "HKD": true,
	"IDR": true, "ILS": true, "INR": true, "JPY": true, "KGS": true, "KRW": true, "KZT": true, "MDL": true,
	"MXN": true, "NOK": true, "PLN": true, "RSD": true, "RUB": true, "SEK": true, "SGD": true, "THB": true,
	"TJS": true, "TRY": true, "UAH": true, "USD": true, "UZS": true, "VND": true, starsCurrency: true,
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

// Payments returns every completed payment, oldest first.
func (s *Server) Payments() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Payment, len(s.st.payments))
	for i, p := range s.st.payments {
		out[i] = *p
	}
	return out
}

// parseInvoice reads and validates the parameters sendInvoice and createInvoiceLink share.
func (s *Server) parseInvoice(p params) (*Invoice, error) {
	inv := &Invoice{
		Title: p.str("title"), Description: p.str("description"), Payload: p.str("payload"),
		ProviderToken: p.str("provider_token"), Currency: strings.ToUpper(p.str("currency")),
		StartParameter: p.str("start_parameter"), ProviderData: p.str("provider_data"),
		PhotoURL: p.str("photo_url"), NeedName: p.boolean("need_name"),
		NeedPhoneNumber: p.boolean("need_phone_number"), NeedEmail: p.boolean("need_email"),
		NeedShippingAddress:       p.boolean("need_shipping_address"),
		SendPhoneNumberToProvider: p.boolean("send_phone_number_to_provider"),
		SendEmailToProvider:       p.boolean("send_email_to_provider"), IsFlexible: p.boolean("is_flexible"),
	}
	if n := utf16Len(inv.Title); n < 1 || n > 32 {
		return nil, badRequest("invoice title must be 1-32 characters")
	}
	if n := utf16Len(inv.Description); n < 1 || n > 255 {
		return nil, badRequest("invoice description must be 1-255 characters")
	}
	if n := len(inv.Payload); n < 1 || n > 128 {
		return nil, badRequest("INVOICE_PAYLOAD_INVALID")
	}
	if !currencies[inv.Currency] {
		return nil, badRequest("CURRENCY_INVALID")
	}
	if _, err := p.decode("prices", &inv.Prices); err != nil {
		return nil, err
	}
	if len(inv.Prices) == 0 {
		return nil, badRequest("prices must be non-empty")
	}
	var err error
	if inv.MaxTipAmount, err = p.optInt("max_tip_amount", 0); err != nil {
		return nil, err
	}
	if _, err := p.decode("suggested_tip_amounts", &inv.SuggestedTipAmounts); err != nil {
		return nil, err
	}
	if inv.SubscriptionPeriod, err = p.optInt("subscription_period", 0); err != nil {
		return nil, err
	}
	if inv.Currency == starsCurrency {
		// Digital goods for Stars: no provider, exactly one price, no tips.
		if inv.ProviderToken != "" {
			return nil, badRequest("PAYMENT_PROVIDER_INVALID")
		}
		if len(inv.Prices) != 1 || inv.MaxTipAmount != 0 || len(inv.SuggestedTipAmounts) > 0 {
			return nil, badRequest("STARS_INVOICE_INVALID")
		}
	} else {
		if inv.ProviderToken == "" ||
			(len(s.cfg.ProviderTokens) > 0 && !slices.Contains(s.cfg.ProviderTokens, inv.ProviderToken)) {
			return nil, badRequest("PAYMENT_PROVIDER_INVALID")
		}
		if inv.SubscriptionPeriod != 0 {
			return nil, badRequest("SUBSCRIPTION_PERIOD_INVALID")
		}
	}
	if inv.Total() <= 0 {
		return nil, badRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
	}
	if len(inv.SuggestedTipAmounts) > 4 {
		return nil, badRequest("suggested tip amounts must be at most 4")
	}
	for i, tip := range inv.SuggestedTipAmounts {
		if tip <= 0 || tip > inv.MaxTipAmount || (i > 0 && tip <= inv.SuggestedTipAmounts[i-1]) {
			return nil, badRequest("suggested tip amounts must be positive, increasing and at most max_tip_amount")
		}
	}
	return inv, nil
}

func sendInvoice(s *Server, r *request) (any, error) {
	inv, err := s.parseInvoice(r.p)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(r.p, "reply_markup")
	if err != nil {
		return nil, err
	}
	if mk.reply != nil || mk.remove || mk.forceReply {
		return nil, badRequest("inline keyboard expected")
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
	m := &Message{From: s.botSender(c), FromBot: true, Invoice: inv, InlineKeyboard: mk.inline, ReplyToID: replyTo}
	s.appendLocked(c, m)
	return s.tgMessageLocked(m, true), nil
}

func createInvoiceLink(s *Server, r *request) (any, error) {
	inv, err := s.parseInvoice(r.p)
	if err != nil {
		return nil, err
	}
	inv.Link = "https://t.me/$" + randomHex(12)
	s.st.invoiceLinks[inv.Link] = inv
	return inv.Link, nil
}

// shippingAnswer is the bot's answerShippingQuery.
type shippingAnswer struct {
	ok           bool
	options      []telego.ShippingOption
	errorMessage string
}

func answerShippingQuery(s *Server, r *request) (any, error) {
	id, err := r.p.requireString("shipping_query_id")
	if err != nil {
		return nil, err
	}
	ans := shippingAnswer{ok: r.p.boolean("ok"), errorMessage: r.p.str("error_message")}
	if _, err := r.p.decode("shipping_options", &ans.options); err != nil {
		return nil, err
	}
	if ans.ok {
		if len(ans.options) == 0 {
			return nil, badRequest("SHIPPING_OPTIONS_EMPTY")
		}
		seen := make(map[string]bool)
		for _, o := range ans.options {
			if o.ID == "" || o.Title == "" || len(o.Prices) == 0 || seen[o.ID] {
				return nil, badRequest("SHIPPING_OPTION_INVALID")
			}
			seen[o.ID] = true
		}
	} else if ans.errorMessage == "" {
		return nil, badRequest("error_message must be non-empty when ok is false")
	}
	q, err := s.openQueryLocked("shipping_query", id)
	if err != nil {
		return nil, err
	}
	q.answerLocked(ans)
	return true, nil
}

// preCheckoutAnswer is the bot's answerPreCheckoutQuery.
type preCheckoutAnswer struct {
	ok           bool
	errorMessage string
}

func answerPreCheckoutQuery(s *Server, r *request) (any, error) {
	id, err := r.p.requireString("pre_checkout_query_id")
	if err != nil {
		return nil, err
	}
	ans := preCheckoutAnswer{ok: r.p.boolean("ok"), errorMessage: r.p.str("error_message")}
	if !ans.ok && ans.errorMessage == "" {
		return nil, badRequest("error_message must be non-empty when ok is false")
	}
	q, err := s.openQueryLocked("pre_checkout_query", id)
	if err != nil {
		return nil, err
	}
	q.answerLocked(ans)
	return true, nil
}

func refundStarPayment(s *Server, r *request) (any, error) {
	userID, err := r.p.requireInt("user_id")
	if err != nil {
		return nil, err
	}
	chargeID, err := r.p.requireString("telegram_payment_charge_id")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(s.st.payments, func(p *Payment) bool {
		return p.ChargeID == chargeID && p.UserID == userID && p.Currency == starsCurrency
	})
	if i < 0 {
		return nil, badRequest("CHARGE_NOT_FOUND")
	}
	p := s.st.payments[i]
	if p.Refunded {
		return nil, badRequest("CHARGE_ALREADY_REFUNDED")
	}
	p.Refunded, p.RefundDate = true, s.cfg.Now()
	s.st.starTxns = append(s.st.starTxns, telego.StarTransaction{
		ID: p.ChargeID, Amount: p.TotalAmount, Date: p.RefundDate.Unix(),
		Receiver: &telego.TransactionPartnerUser{Type: "user", TransactionType: "invoice_payment",
			User: s.tgUserLocked(userID), InvoicePayload: p.Payload},
	})
	// The user sees a service message about the refund. Telegram also sends it to the bot as an update;
	// the sandbox does not, to keep deliveries tied to the acting calls.
	if c, ok := s.st.chats[userID]; ok {
		s.appendLocked(c, &Message{From: userID, RefundedPayment: &telego.RefundedPayment{
			Currency: p.Currency, TotalAmount: p.TotalAmount, InvoicePayload: p.Payload,
			TelegramPaymentChargeID: p.ChargeID}})
	}
	s.publishLocked(Event{Kind: EventPayment, UserID: userID, Payment: ptr(*p), Status: PayRefunded})
	return true, nil
}

func getStarTransactions(s *Server, r *request) (any, error) {
	offset, err := r.p.optInt("offset", 0)
	if err != nil {
		return nil, err
	}
	limit, err := r.p.optInt("limit", 100)
	if err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), 100)
	txns := s.st.starTxns
	offset = min(max(offset, 0), len(txns))
	page := slices.Clone(txns[offset:min(offset+limit, len(txns))])
	if page == nil {
		page = []telego.StarTransaction{}
	}
	return telego.StarTransactions{Transactions: page}, nil
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

// ShippingAddress is the address a payer enters in the payment form.
type ShippingAddress = telego.ShippingAddress

// PayOptions are the payer's choices in the payment form.
type PayOptions struct {
	// ShippingAddress is used when the invoice asks for one; nil takes a sandbox address in Moscow.
	ShippingAddress *ShippingAddress
	// ShippingOptionID picks one of the options the bot offered; "" takes the first.
	ShippingOptionID string
	// Name, PhoneNumber and Email are used when the invoice asks for them; empty takes values
	// derived from the user's profile.
	Name        string
	PhoneNumber string
	Email       string
	// Tip is the tip in minor units; it must not exceed the invoice's max_tip_amount.
	Tip int
	// FailAtProvider makes the provider decline after the bot approved the pre-checkout query: no
	// successful_payment arrives.
	FailAtProvider bool
	// Quote, from QuoteShipping for the same invoice and user, is the bot's answer to the shipping
	// query the payer already went through: Pay takes the address and the options from it instead
	// of sending another shipping query, as a client that showed the options does.
	Quote *ShippingQuote
}

// ShippingQuote is the bot's answer to the shipping query of a flexible invoice: how, and for how
// much, the order ships to one address.
type ShippingQuote struct {
	// Status is "" when the bot offered options; PayShippingRejected (ErrorMessage says why) or
	// PayTimedOut when it did not.
	Status       PayStatus
	ErrorMessage string
	Address      ShippingAddress
	Options      []telego.ShippingOption

	// The invoice and payer the quote was made for.
	userID  int64
	chatID  int64
	msgID   int
	payload string
}

// PayResult is what a payment attempt came to.
type PayResult struct {
	Status PayStatus
	// ErrorMessage is the bot's error_message for a declined or rejected payment.
	ErrorMessage string
	// ShippingOptions are the options the bot offered for a flexible invoice.
	ShippingOptions []telego.ShippingOption
	// TotalAmount is what the pre-checkout query asked for: prices, shipping and tip.
	TotalAmount int
	// Payment is set when Status is PayPaid.
	Payment *Payment
	// Receipt is the successful_payment message, when Status is PayPaid.
	Receipt Message
}

// ErrAlreadyPaid is returned by Pay for an invoice message in a private chat that was already paid:
// the client shows a receipt there, not a Pay button.
var ErrAlreadyPaid = errors.New("sandbox: this invoice was already paid")

// Pay pays an invoice message the way a Telegram client does: for a flexible invoice it sends a
// shipping_query and waits for answerShippingQuery; then it sends a pre_checkout_query and waits
// for answerPreCheckoutQuery (at most Config.PreCheckoutTimeout); if the bot approved, it sends the
// message with successful_payment (fresh telegram_payment_charge_id, and provider_payment_charge_id
// for a card) and returns PayPaid. A bot's refusal or silence is a result, not an error: see
// PayStatus. Errors are reserved for a payment that could not be attempted (no invoice, already
// paid, shipping option not offered, tip too high), a webhook failure, or ctx ending. A payment
// that went through but whose successful_payment the webhook refused returns PayPaid and the
// *WebhookError: the money is taken either way.
func (u *User) Pay(ctx context.Context, invoiceMsg Message, opts PayOptions) (PayResult, error) {
	s := u.s
	s.mu.Lock()
	c, m, err := u.visibleMessageLocked(invoiceMsg)
	if err != nil {
		s.mu.Unlock()
		return PayResult{}, err
	}
	if m.Invoice == nil {
		s.mu.Unlock()
		return PayResult{}, fmt.Errorf("sandbox: message %d in chat %d is not an invoice", m.ID, c.info.ID)
	}
	if c.info.Type == ChatPrivate && m.Invoice.ReceiptChargeID != "" {
		s.mu.Unlock()
		return PayResult{}, ErrAlreadyPaid
	}
	inv := m.clone().Invoice
	s.mu.Unlock()
	return u.pay(ctx, inv, c.info.ID, m.ID, opts)
}

// QuoteShipping sends the shipping query a Telegram client sends once the payer of a flexible
// invoice message has entered the shipping address (nil takes the sandbox address in Moscow), and
// returns the bot's answer; the payer then picks an option and pays with PayOptions.Quote. The bot's
// refusal or silence is a quote with that Status, not an error. Errors: the message is gone or is no
// invoice, the invoice is not flexible (or is in Stars, which ship nothing), it was already paid, a
// webhook failure, ctx ending.
func (u *User) QuoteShipping(ctx context.Context, invoiceMsg Message, addr *ShippingAddress) (ShippingQuote, error) {
	s := u.s
	s.mu.Lock()
	c, m, err := u.visibleMessageLocked(invoiceMsg)
	if err != nil {
		s.mu.Unlock()
		return ShippingQuote{}, err
	}
	switch {
	case m.Invoice == nil:
		err = fmt.Errorf("sandbox: message %d in chat %d is not an invoice", m.ID, c.info.ID)
	case !m.Invoice.IsFlexible || m.Invoice.Currency == starsCurrency:
		err = fmt.Errorf("sandbox: the invoice of message %d in chat %d has no shipping options to ask for", m.ID, c.info.ID)
	case c.info.Type == ChatPrivate && m.Invoice.ReceiptChargeID != "":
		err = ErrAlreadyPaid
	}
	if err != nil {
		s.mu.Unlock()
		return ShippingQuote{}, err
	}
	inv, chatID, msgID := m.clone().Invoice, c.info.ID, m.ID
	s.mu.Unlock()
	address := defaultAddress
	if addr != nil {
		address = *addr
	}
	quote, err := u.askShipping(ctx, inv, address)
	quote.chatID, quote.msgID = chatID, msgID
	return quote, err
}

// askShipping sends a shipping query for inv and address and waits for the bot's answer.
func (u *User) askShipping(ctx context.Context, inv *Invoice, address ShippingAddress) (ShippingQuote, error) {
	s := u.s
	quote := ShippingQuote{Address: address, userID: u.id, payload: inv.Payload}
	s.mu.Lock()
	q := s.newQueryLocked("shipping_query", u.id)
	sq := &telego.ShippingQuery{ID: q.id, From: s.tgUserLocked(u.id), InvoicePayload: inv.Payload,
		ShippingAddress: address}
	s.mu.Unlock()
	ans, err := s.ask(ctx, u.id, q, telego.Update{ShippingQuery: sq}, s.cfg.AnswerTimeout)
	if errors.Is(err, ErrNotAnswered) {
		quote.Status = PayTimedOut
		return quote, nil
	}
	if err != nil {
		return quote, err
	}
	sa := ans.(shippingAnswer)
	quote.Options = sa.options
	if !sa.ok {
		quote.Status, quote.ErrorMessage = PayShippingRejected, sa.errorMessage
	}
	return quote, nil
}

// PayLink pays an invoice link from createInvoiceLink; see Pay.
func (u *User) PayLink(ctx context.Context, link string, opts PayOptions) (PayResult, error) {
	s := u.s
	s.mu.Lock()
	inv, ok := s.st.invoiceLinks[link]
	if !ok {
		s.mu.Unlock()
		return PayResult{}, fmt.Errorf("sandbox: unknown invoice link %q", link)
	}
	invCopy := *inv
	invCopy.Prices = slices.Clone(inv.Prices)
	s.mu.Unlock()
	return u.pay(ctx, &invCopy, 0, 0, opts)
}

// defaultAddress is the address a payer "types" when PayOptions has none.
var defaultAddress = telego.ShippingAddress{CountryCode: "RU", State: "Moscow", City: "Moscow",
	StreetLine1: "Tverskaya 1", StreetLine2: "apt. 1", PostCode: "125009"}

func (u *User) orderInfo(inv *Invoice, opts PayOptions) *telego.OrderInfo {
	if inv.Currency == starsCurrency {
		return nil // Telegram ignores contact and shipping fields for Stars.
	}
	spec := u.Spec()
	info := &telego.OrderInfo{}
	if inv.NeedName {
		info.Name = opts.Name
		if info.Name == "" {
			info.Name = strings.TrimSpace(spec.FirstName + " " + spec.LastName)
		}
	}
	if inv.NeedPhoneNumber {
		info.PhoneNumber = opts.PhoneNumber
		if info.PhoneNumber == "" {
			info.PhoneNumber = fmt.Sprintf("7900%07d", spec.ID%10000000)
		}
	}
	if inv.NeedEmail {
		info.Email = opts.Email
		if info.Email == "" {
			info.Email = fmt.Sprintf("user%d@example.com", spec.ID)
		}
	}
	if inv.NeedShippingAddress || inv.IsFlexible {
		addr := defaultAddress
		if opts.ShippingAddress != nil {
			addr = *opts.ShippingAddress
		}
		info.ShippingAddress = &addr
	}
	if *info == (telego.OrderInfo{}) {
		return nil
	}
	return info
}

func (u *User) pay(ctx context.Context, inv *Invoice, chatID int64, msgID int, opts PayOptions) (PayResult, error) {
	s := u.s
	if q := opts.Quote; q != nil {
		if q.userID != u.id || q.chatID != chatID || q.msgID != msgID || q.payload != inv.Payload {
			return PayResult{}, errors.New("sandbox: the shipping quote was made for another invoice or payer")
		}
		addr := q.Address
		opts.ShippingAddress = &addr
	}
	info := u.orderInfo(inv, opts)
	res := PayResult{TotalAmount: inv.Total()}
	var shippingOptionID string

	if inv.IsFlexible && inv.Currency != starsCurrency {
		var quote ShippingQuote
		if opts.Quote != nil {
			quote = *opts.Quote
		} else {
			var err error
			if quote, err = u.askShipping(ctx, inv, *info.ShippingAddress); err != nil {
				return res, err
			}
		}
		res.ShippingOptions = quote.Options
		if quote.Status != "" {
			res.Status, res.ErrorMessage = quote.Status, quote.ErrorMessage
			return res, nil
		}
		shippingOptionID = opts.ShippingOptionID
		if shippingOptionID == "" {
			shippingOptionID = quote.Options[0].ID
		}
		i := slices.IndexFunc(quote.Options, func(o telego.ShippingOption) bool { return o.ID == shippingOptionID })
		if i < 0 {
			return res, fmt.Errorf("sandbox: shipping option %q was not offered", shippingOptionID)
		}
		for _, p := range quote.Options[i].Prices {
			res.TotalAmount += p.Amount
		}
	}
	if opts.Tip > 0 {
		if opts.Tip > inv.MaxTipAmount {
			return res, fmt.Errorf("sandbox: tip %d exceeds the invoice's max_tip_amount %d", opts.Tip, inv.MaxTipAmount)
		}
		res.TotalAmount += opts.Tip
	}

	s.mu.Lock()
	q := s.newQueryLocked("pre_checkout_query", u.id)
	pq := &telego.PreCheckoutQuery{ID: q.id, From: s.tgUserLocked(u.id), Currency: inv.Currency,
		TotalAmount: res.TotalAmount, InvoicePayload: inv.Payload, ShippingOptionID: shippingOptionID, OrderInfo: info}
	s.mu.Unlock()
	ans, err := s.ask(ctx, u.id, q, telego.Update{PreCheckoutQuery: pq}, s.cfg.PreCheckoutTimeout)
	switch {
	case errors.Is(err, ErrNotAnswered):
		res.Status = PayTimedOut
	case err != nil:
		return res, err
	case !ans.(preCheckoutAnswer).ok:
		res.Status, res.ErrorMessage = PayDeclined, ans.(preCheckoutAnswer).errorMessage
	case opts.FailAtProvider:
		res.Status = PayProviderFailed
	}
	if res.Status != "" {
		s.mu.Lock()
		s.publishLocked(Event{Kind: EventPayment, ChatID: chatID, UserID: u.id, Status: res.Status})
		s.mu.Unlock()
		return res, nil
	}

	s.mu.Lock()
	p := &Payment{UserID: u.id, ChatID: chatID, MessageID: msgID, Currency: inv.Currency,
		TotalAmount: res.TotalAmount, Payload: inv.Payload, ShippingOptionID: shippingOptionID,
		OrderInfo: info, Date: s.cfg.Now()}
	if inv.Currency == starsCurrency {
		p.ChargeID = "stx" + randomHex(24)
		s.st.starTxns = append(s.st.starTxns, telego.StarTransaction{ID: p.ChargeID, Amount: p.TotalAmount,
			Date: p.Date.Unix(), Source: &telego.TransactionPartnerUser{Type: "user",
				TransactionType: "invoice_payment", User: s.tgUserLocked(u.id), InvoicePayload: inv.Payload}})
	} else {
		p.ChargeID = "tgpay_" + randomHex(16)
		p.ProviderChargeID = "prov_" + randomHex(12)
	}
	s.st.payments = append(s.st.payments, p)

	// The successful_payment message lands where the invoice was, or in the private chat for a link
	// or a private invoice. A payer has talked to the bot: it may write to them from now on.
	s.st.users[u.id].started = true
	target := s.st.chats[u.id]
	if c, ok := s.st.chats[chatID]; ok {
		if m := c.message(msgID); m != nil && m.Invoice != nil && c.info.Type == ChatPrivate {
			m.Invoice.ReceiptChargeID = p.ChargeID
		}
		if c.info.Type != ChatChannel {
			target = c
		}
	}
	receipt := s.appendLocked(target, &Message{From: u.id, SuccessfulPayment: &telego.SuccessfulPayment{
		Currency: p.Currency, TotalAmount: p.TotalAmount, InvoicePayload: p.Payload,
		ShippingOptionID: shippingOptionID, OrderInfo: info, TelegramPaymentChargeID: p.ChargeID,
		ProviderPaymentChargeID: p.ProviderChargeID}})
	s.publishLocked(Event{Kind: EventPayment, ChatID: target.info.ID, UserID: u.id, Payment: ptr(*p), Status: PayPaid})
	upd := telego.Update{Message: s.tgMessageLocked(receipt, false)}
	res.Status, res.Payment, res.Receipt = PayPaid, ptr(*p), receipt.clone()
	s.mu.Unlock()

	return res, s.deliver(ctx, u.id, upd)
}

// ask delivers a query's update and waits for the bot's answer until timeout after sending. If
// the webhook refuses the update the query is void.
func (s *Server) ask(ctx context.Context, userID int64, q *pendingQuery, upd telego.Update, timeout time.Duration) (any, error) {
	deadline := time.Now().Add(timeout)
	if err := s.deliver(ctx, userID, upd); err != nil {
		s.takeAnswerNow(q)
		return nil, err
	}
	return s.awaitAnswer(ctx, q, deadline)
}
