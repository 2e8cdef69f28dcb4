package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/botapi"
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Payments as the payer makes them; the bot's side (sendInvoice, the answers to shipping and
// pre-checkout queries, refunds) is in internal/botapi.

// Payments returns every completed payment, oldest first.
func (s *Server) Payments() []Payment {
	s.w.Lock()
	defer s.w.Unlock()
	out := make([]Payment, len(s.w.Payments))
	for i, p := range s.w.Payments {
		out[i] = *p
	}
	return out
}

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
	s.w.Lock()
	c, m, err := u.visibleMessageLocked(invoiceMsg)
	if err != nil {
		s.w.Unlock()
		return PayResult{}, err
	}
	if m.Invoice == nil {
		s.w.Unlock()
		return PayResult{}, fmt.Errorf("sandbox: message %d in chat %d is not an invoice", m.ID, c.Info.ID)
	}
	if c.Info.Type == ChatPrivate && m.Invoice.ReceiptChargeID != "" {
		s.w.Unlock()
		return PayResult{}, ErrAlreadyPaid
	}
	inv := world.CopyMessage(m).Invoice
	s.w.Unlock()
	return u.pay(ctx, inv, c.Info.ID, m.ID, opts)
}

// QuoteShipping sends the shipping query a Telegram client sends once the payer of a flexible
// invoice message has entered the shipping address (nil takes the sandbox address in Moscow), and
// returns the bot's answer; the payer then picks an option and pays with PayOptions.Quote. The bot's
// refusal or silence is a quote with that Status, not an error. Errors: the message is gone or is no
// invoice, the invoice is not flexible (or is in Stars, which ship nothing), it was already paid, a
// webhook failure, ctx ending.
func (u *User) QuoteShipping(ctx context.Context, invoiceMsg Message, addr *ShippingAddress) (ShippingQuote, error) {
	s := u.s
	s.w.Lock()
	c, m, err := u.visibleMessageLocked(invoiceMsg)
	if err != nil {
		s.w.Unlock()
		return ShippingQuote{}, err
	}
	switch {
	case m.Invoice == nil:
		err = fmt.Errorf("sandbox: message %d in chat %d is not an invoice", m.ID, c.Info.ID)
	case !m.Invoice.IsFlexible || m.Invoice.Currency == botapi.StarsCurrency:
		err = fmt.Errorf("sandbox: the invoice of message %d in chat %d has no shipping options to ask for", m.ID, c.Info.ID)
	case c.Info.Type == ChatPrivate && m.Invoice.ReceiptChargeID != "":
		err = ErrAlreadyPaid
	}
	if err != nil {
		s.w.Unlock()
		return ShippingQuote{}, err
	}
	inv, chatID, msgID := world.CopyMessage(m).Invoice, c.Info.ID, m.ID
	s.w.Unlock()
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
	s.w.Lock()
	q := s.w.NewQueryLocked("shipping_query", u.id)
	sq := &telego.ShippingQuery{ID: q.ID, From: s.w.TgUserLocked(u.id), InvoicePayload: inv.Payload,
		ShippingAddress: address}
	s.w.Unlock()
	ans, err := s.ask(ctx, u.id, q, telego.Update{ShippingQuery: sq}, s.cfg.AnswerTimeout)
	if errors.Is(err, ErrNotAnswered) {
		quote.Status = PayTimedOut
		return quote, nil
	}
	if err != nil {
		return quote, err
	}
	sa := ans.(botapi.ShippingAnswer)
	quote.Options = sa.Options
	if !sa.OK {
		quote.Status, quote.ErrorMessage = PayShippingRejected, sa.ErrorMessage
	}
	return quote, nil
}

// PayLink pays an invoice link from createInvoiceLink; see Pay.
func (u *User) PayLink(ctx context.Context, link string, opts PayOptions) (PayResult, error) {
	s := u.s
	s.w.Lock()
	inv, ok := s.w.InvoiceLinks[link]
	if !ok {
		s.w.Unlock()
		return PayResult{}, fmt.Errorf("sandbox: unknown invoice link %q", link)
	}
	invCopy := *inv
	invCopy.Prices = slices.Clone(inv.Prices)
	s.w.Unlock()
	return u.pay(ctx, &invCopy, 0, 0, opts)
}

// defaultAddress is the address a payer "types" when PayOptions has none.
var defaultAddress = telego.ShippingAddress{CountryCode: "RU", State: "Moscow", City: "Moscow",
	StreetLine1: "Tverskaya 1", StreetLine2: "apt. 1", PostCode: "125009"}

func (u *User) orderInfo(inv *Invoice, opts PayOptions) *telego.OrderInfo {
	if inv.Currency == botapi.StarsCurrency {
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

	if inv.IsFlexible && inv.Currency != botapi.StarsCurrency {
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

	s.w.Lock()
	q := s.w.NewQueryLocked("pre_checkout_query", u.id)
	pq := &telego.PreCheckoutQuery{ID: q.ID, From: s.w.TgUserLocked(u.id), Currency: inv.Currency,
		TotalAmount: res.TotalAmount, InvoicePayload: inv.Payload, ShippingOptionID: shippingOptionID, OrderInfo: info}
	s.w.Unlock()
	ans, err := s.ask(ctx, u.id, q, telego.Update{PreCheckoutQuery: pq}, s.cfg.PreCheckoutTimeout)
	switch {
	case errors.Is(err, ErrNotAnswered):
		res.Status = PayTimedOut
	case err != nil:
		return res, err
	case !ans.(botapi.PreCheckoutAnswer).OK:
		res.Status, res.ErrorMessage = PayDeclined, ans.(botapi.PreCheckoutAnswer).ErrorMessage
	case opts.FailAtProvider:
		res.Status = PayProviderFailed
	}
	if res.Status != "" {
		s.w.Lock()
		s.w.PublishLocked(Event{Kind: EventPayment, ChatID: chatID, UserID: u.id, Status: res.Status})
		s.w.Unlock()
		return res, nil
	}

	s.w.Lock()
	p := &Payment{UserID: u.id, ChatID: chatID, MessageID: msgID, Currency: inv.Currency,
		TotalAmount: res.TotalAmount, Payload: inv.Payload, ShippingOptionID: shippingOptionID,
		OrderInfo: info, Date: s.cfg.Now()}
	if inv.Currency == botapi.StarsCurrency {
		p.ChargeID = "stx" + world.RandomHex(24)
		s.w.StarTxns = append(s.w.StarTxns, telego.StarTransaction{ID: p.ChargeID, Amount: p.TotalAmount,
			Date: p.Date.Unix(), Source: &telego.TransactionPartnerUser{Type: "user",
				TransactionType: "invoice_payment", User: s.w.TgUserLocked(u.id), InvoicePayload: inv.Payload}})
	} else {
		p.ChargeID = "tgpay_" + world.RandomHex(16)
		p.ProviderChargeID = "prov_" + world.RandomHex(12)
	}
	s.w.Payments = append(s.w.Payments, p)

	// The successful_payment message lands where the invoice was, or in the private chat for a link
	// or a private invoice. A payer has talked to the bot: it may write to them from now on.
	s.w.Users[u.id].Started = true
	target := s.w.Chats[u.id]
	if c, ok := s.w.Chats[chatID]; ok {
		if m := c.Message(msgID); m != nil && m.Invoice != nil && c.Info.Type == ChatPrivate {
			m.Invoice.ReceiptChargeID = p.ChargeID
		}
		if c.Info.Type != ChatChannel {
			target = c
		}
	}
	receipt := s.w.AppendLocked(target, &Message{From: u.id, SuccessfulPayment: &telego.SuccessfulPayment{
		Currency: p.Currency, TotalAmount: p.TotalAmount, InvoicePayload: p.Payload,
		ShippingOptionID: shippingOptionID, OrderInfo: info, TelegramPaymentChargeID: p.ChargeID,
		ProviderPaymentChargeID: p.ProviderChargeID}})
	s.w.PublishLocked(Event{Kind: EventPayment, ChatID: target.Info.ID, UserID: u.id, Payment: new(*p), Status: PayPaid})
	upd := telego.Update{Message: s.w.TgMessageLocked(receipt, false)}
	res.Status, res.Payment, res.Receipt = PayPaid, new(*p), world.CopyMessage(receipt)
	s.w.Unlock()

	return res, s.deliver(ctx, u.id, upd)
}

// ask delivers a query's update and waits for the bot's answer until timeout after sending. If
// the webhook refuses the update the query is void.
func (s *Server) ask(ctx context.Context, userID int64, q *world.Query, upd telego.Update, timeout time.Duration) (any, error) {
	deadline := time.Now().Add(timeout)
	if err := s.deliver(ctx, userID, upd); err != nil {
		s.w.TakeAnswer(q)
		return nil, err
	}
	return s.w.AwaitAnswer(ctx, q, deadline)
}
