package botapi

import (
	"slices"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/entity"
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// StarsCurrency is Telegram Stars' currency code.
const StarsCurrency = "XTR"

// currencies Telegram Payments accepts (https://core.telegram.org/bots/payments#supported-currencies),
// the ones a Vitrina shop is likely to use, plus Stars.
var currencies = map[string]bool{
	"AED": true, "AMD": true, "ARS": true, "AUD": true, "AZN": true, "BRL": true, "BYN": true, "CAD": true,
	"CHF": true, "CNY": true, "CZK": true, "DKK": true, "EUR": true, "GBP": true, "GEL": true, "HKD": true,
	"IDR": true, "ILS": true, "INR": true, "JPY": true, "KGS": true, "KRW": true, "KZT": true, "MDL": true,
	"MXN": true, "NOK": true, "PLN": true, "RSD": true, "RUB": true, "SEK": true, "SGD": true, "THB": true,
	"TJS": true, "TRY": true, "UAH": true, "USD": true, "UZS": true, "VND": true, StarsCurrency: true,
}

// parseInvoice reads and validates the parameters sendInvoice and createInvoiceLink share.
func (a *API) parseInvoice(p Params) (*world.Invoice, error) {
	inv := &world.Invoice{
		Title: p.Str("title"), Description: p.Str("description"), Payload: p.Str("payload"),
		ProviderToken: p.Str("provider_token"), Currency: strings.ToUpper(p.Str("currency")),
		StartParameter: p.Str("start_parameter"), ProviderData: p.Str("provider_data"),
		PhotoURL: p.Str("photo_url"), NeedName: p.boolean("need_name"),
		NeedPhoneNumber: p.boolean("need_phone_number"), NeedEmail: p.boolean("need_email"),
		NeedShippingAddress:       p.boolean("need_shipping_address"),
		SendPhoneNumberToProvider: p.boolean("send_phone_number_to_provider"),
		SendEmailToProvider:       p.boolean("send_email_to_provider"), IsFlexible: p.boolean("is_flexible"),
	}
	if n := entity.UTF16Len(inv.Title); n < 1 || n > 32 {
		return nil, badRequest("invoice title must be 1-32 characters")
	}
	if n := entity.UTF16Len(inv.Description); n < 1 || n > 255 {
		return nil, badRequest("invoice description must be 1-255 characters")
	}
	if n := len(inv.Payload); n < 1 || n > 128 {
		return nil, badRequest("INVOICE_PAYLOAD_INVALID")
	}
	if !currencies[inv.Currency] {
		return nil, badRequest("CURRENCY_INVALID")
	}
	if _, err := p.Decode("prices", &inv.Prices); err != nil {
		return nil, err
	}
	if len(inv.Prices) == 0 {
		return nil, badRequest("prices must be non-empty")
	}
	var err error
	if inv.MaxTipAmount, err = p.optInt("max_tip_amount", 0); err != nil {
		return nil, err
	}
	if _, err := p.Decode("suggested_tip_amounts", &inv.SuggestedTipAmounts); err != nil {
		return nil, err
	}
	if inv.SubscriptionPeriod, err = p.optInt("subscription_period", 0); err != nil {
		return nil, err
	}
	if inv.Currency == StarsCurrency {
		// Digital goods for Stars: no provider, exactly one price, no tips.
		if inv.ProviderToken != "" {
			return nil, badRequest("PAYMENT_PROVIDER_INVALID")
		}
		if len(inv.Prices) != 1 || inv.MaxTipAmount != 0 || len(inv.SuggestedTipAmounts) > 0 {
			return nil, badRequest("STARS_INVOICE_INVALID")
		}
	} else {
		if inv.ProviderToken == "" ||
			(len(a.cfg.ProviderTokens) > 0 && !slices.Contains(a.cfg.ProviderTokens, inv.ProviderToken)) {
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

func sendInvoice(a *API, r *request) (any, error) {
	inv, err := a.parseInvoice(r.p)
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
	c, err := a.targetChatLocked(r)
	if err != nil {
		return nil, err
	}
	replyTo, err := a.replyToLocked(c, r.p)
	if err != nil {
		return nil, err
	}
	if err := a.limitLocked(r, c); err != nil {
		return nil, err
	}
	m := &world.Message{From: a.botSender(c), FromBot: true, Invoice: inv, InlineKeyboard: mk.inline, ReplyToID: replyTo}
	a.w.AppendLocked(c, m)
	return a.w.TgMessageLocked(m, true), nil
}

func createInvoiceLink(a *API, r *request) (any, error) {
	inv, err := a.parseInvoice(r.p)
	if err != nil {
		return nil, err
	}
	inv.Link = "https://t.me/$" + world.RandomHex(12)
	a.w.InvoiceLinks[inv.Link] = inv
	return inv.Link, nil
}

// ShippingAnswer is the bot's answerShippingQuery.
type ShippingAnswer struct {
	OK           bool
	Options      []telego.ShippingOption
	ErrorMessage string
}

func answerShippingQuery(a *API, r *request) (any, error) {
	id, err := r.p.requireString("shipping_query_id")
	if err != nil {
		return nil, err
	}
	ans := ShippingAnswer{OK: r.p.boolean("ok"), ErrorMessage: r.p.Str("error_message")}
	if _, err := r.p.Decode("shipping_options", &ans.Options); err != nil {
		return nil, err
	}
	if ans.OK {
		if len(ans.Options) == 0 {
			return nil, badRequest("SHIPPING_OPTIONS_EMPTY")
		}
		seen := make(map[string]bool)
		for _, o := range ans.Options {
			if o.ID == "" || o.Title == "" || len(o.Prices) == 0 || seen[o.ID] {
				return nil, badRequest("SHIPPING_OPTION_INVALID")
			}
			seen[o.ID] = true
		}
	} else if ans.ErrorMessage == "" {
		return nil, badRequest("error_message must be non-empty when ok is false")
	}
	q, ok := a.w.OpenQueryLocked("shipping_query", id)
	if !ok {
		return nil, errQueryTooOld
	}
	q.AnswerLocked(ans)
	return true, nil
}

// PreCheckoutAnswer is the bot's answerPreCheckoutQuery.
type PreCheckoutAnswer struct {
	OK           bool
	ErrorMessage string
}

func answerPreCheckoutQuery(a *API, r *request) (any, error) {
	id, err := r.p.requireString("pre_checkout_query_id")
	if err != nil {
		return nil, err
	}
	ans := PreCheckoutAnswer{OK: r.p.boolean("ok"), ErrorMessage: r.p.Str("error_message")}
	if !ans.OK && ans.ErrorMessage == "" {
		return nil, badRequest("error_message must be non-empty when ok is false")
	}
	q, ok := a.w.OpenQueryLocked("pre_checkout_query", id)
	if !ok {
		return nil, errQueryTooOld
	}
	q.AnswerLocked(ans)
	return true, nil
}

func refundStarPayment(a *API, r *request) (any, error) {
	userID, err := r.p.requireInt("user_id")
	if err != nil {
		return nil, err
	}
	chargeID, err := r.p.requireString("telegram_payment_charge_id")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(a.w.Payments, func(p *world.Payment) bool {
		return p.ChargeID == chargeID && p.UserID == userID && p.Currency == StarsCurrency
	})
	if i < 0 {
		return nil, badRequest("CHARGE_NOT_FOUND")
	}
	p := a.w.Payments[i]
	if p.Refunded {
		return nil, badRequest("CHARGE_ALREADY_REFUNDED")
	}
	p.Refunded, p.RefundDate = true, a.w.Now()
	a.w.StarTxns = append(a.w.StarTxns, telego.StarTransaction{
		ID: p.ChargeID, Amount: p.TotalAmount, Date: p.RefundDate.Unix(),
		Receiver: &telego.TransactionPartnerUser{Type: "user", TransactionType: "invoice_payment",
			User: a.w.TgUserLocked(userID), InvoicePayload: p.Payload},
	})
	// The user sees a service message about the refund. Telegram also sends it to the bot as an update;
	// the sandbox does not, to keep deliveries tied to the acting calls.
	if c, ok := a.w.Chats[userID]; ok {
		a.w.AppendLocked(c, &world.Message{From: userID, RefundedPayment: &telego.RefundedPayment{
			Currency: p.Currency, TotalAmount: p.TotalAmount, InvoicePayload: p.Payload,
			TelegramPaymentChargeID: p.ChargeID}})
	}
	a.w.PublishLocked(world.Event{Kind: world.EventPayment, UserID: userID, Payment: new(*p), Status: world.PayRefunded})
	return true, nil
}

func getStarTransactions(a *API, r *request) (any, error) {
	offset, err := r.p.optInt("offset", 0)
	if err != nil {
		return nil, err
	}
	limit, err := r.p.optInt("limit", 100)
	if err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), 100)
	txns := a.w.StarTxns
	offset = min(max(offset, 0), len(txns))
	page := slices.Clone(txns[offset:min(offset+limit, len(txns))])
	if page == nil {
		page = []telego.StarTransaction{}
	}
	return telego.StarTransactions{Transactions: page}, nil
}
