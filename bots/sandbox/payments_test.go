package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

// shopBot is a webhook bot that approves or declines checkouts, offers shipping, and records what
// it was told.
type shopBot struct {
	b *bundle

	mu          sync.Mutex
	decline     string // error_message to decline pre-checkout with; "" approves
	silent      bool   // do not answer pre-checkout at all
	preCheckout []telego.PreCheckoutQuery
	shipping    []telego.ShippingQuery
	paid        []telego.SuccessfulPayment
}

func newShopBot(t *testing.T, b *bundle) *shopBot {
	sb := &shopBot{b: b}
	b.serveWebhook(t, "secret", func(ctx context.Context, upd telego.Update) {
		sb.mu.Lock()
		decline, silent := sb.decline, sb.silent
		sb.mu.Unlock()
		switch {
		case upd.ShippingQuery != nil:
			sb.mu.Lock()
			sb.shipping = append(sb.shipping, *upd.ShippingQuery)
			sb.mu.Unlock()
			_ = b.bot.AnswerShippingQuery(ctx, tu.ShippingQuery(upd.ShippingQuery.ID, true,
				tu.ShippingOption("courier", "Courier", tu.LabeledPrice("Courier", 30000)),
				tu.ShippingOption("post", "Post", tu.LabeledPrice("Post", 15000))))
		case upd.PreCheckoutQuery != nil:
			sb.mu.Lock()
			sb.preCheckout = append(sb.preCheckout, *upd.PreCheckoutQuery)
			sb.mu.Unlock()
			switch {
			case silent:
			case decline != "":
				_ = b.bot.AnswerPreCheckoutQuery(ctx, tu.PreCheckoutQuery(upd.PreCheckoutQuery.ID, false).WithErrorMessage(decline))
			default:
				_ = b.bot.AnswerPreCheckoutQuery(ctx, tu.PreCheckoutQuery(upd.PreCheckoutQuery.ID, true))
			}
		case upd.Message != nil && upd.Message.SuccessfulPayment != nil:
			sb.mu.Lock()
			sb.paid = append(sb.paid, *upd.Message.SuccessfulPayment)
			sb.mu.Unlock()
		}
	})
	return sb
}

func starsInvoice(chat int64, payload string) *telego.SendInvoiceParams {
	return tu.Invoice(chatID(chat), "E-book", "The Vitrina handbook", payload, "", "XTR", tu.LabeledPrice("E-book", 50))
}

func TestUser_PayStars(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := startedUser(b, 1001)
	sb := newShopBot(t, b)

	sent, err := b.bot.SendInvoice(ctx, starsInvoice(1001, "order:77"))
	if err != nil {
		t.Fatal(err)
	}
	if sent.Invoice == nil || sent.Invoice.TotalAmount != 50 || sent.Invoice.Currency != "XTR" {
		t.Fatalf("invoice message = %+v", sent)
	}
	res, err := u.Pay(ctx, u.LastMessage(), sandbox.PayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sandbox.PayPaid || !strings.HasPrefix(res.Payment.ChargeID, "stx") || res.Payment.ProviderChargeID != "" {
		t.Fatalf("result = %+v", res)
	}
	if len(sb.preCheckout) != 1 || sb.preCheckout[0].TotalAmount != 50 || sb.preCheckout[0].InvoicePayload != "order:77" ||
		sb.preCheckout[0].OrderInfo != nil {
		t.Fatalf("pre-checkout queries = %+v", sb.preCheckout)
	}
	if len(sb.paid) != 1 || sb.paid[0].TelegramPaymentChargeID != res.Payment.ChargeID {
		t.Fatalf("the bot was told %+v", sb.paid)
	}
	if m := u.LastMessage(); m.SuccessfulPayment == nil || m.From != 1001 {
		t.Fatalf("the receipt is the user's service message: %+v", m)
	}

	t.Run("AlreadyPaid", func(t *testing.T) {
		_, err := u.Pay(ctx, u.Messages()[0], sandbox.PayOptions{})
		if !errors.Is(err, sandbox.ErrAlreadyPaid) {
			t.Fatalf("want ErrAlreadyPaid, got %v", err)
		}
	})
	t.Run("StarTransactions", func(t *testing.T) {
		txns, err := b.bot.GetStarTransactions(ctx, &telego.GetStarTransactionsParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(txns.Transactions) != 1 || txns.Transactions[0].ID != res.Payment.ChargeID || txns.Transactions[0].Amount != 50 {
			t.Fatalf("transactions = %+v", txns)
		}
	})
	t.Run("Refund", func(t *testing.T) {
		params := &telego.RefundStarPaymentParams{UserID: 1001, TelegramPaymentChargeID: res.Payment.ChargeID}
		if err := b.bot.RefundStarPayment(ctx, params); err != nil {
			t.Fatal(err)
		}
		err := b.bot.RefundStarPayment(ctx, params)
		wantAPIError(t, err, 400, "Bad Request: CHARGE_ALREADY_REFUNDED")
		if p := b.s.Payments()[0]; !p.Refunded {
			t.Fatalf("payment = %+v", p)
		}
		err = b.bot.RefundStarPayment(ctx, &telego.RefundStarPaymentParams{UserID: 1001, TelegramPaymentChargeID: "stxnope"})
		wantAPIError(t, err, 400, "Bad Request: CHARGE_NOT_FOUND")
	})
	t.Run("ChargeIDsAreUnique", func(t *testing.T) {
		if _, err := b.bot.SendInvoice(ctx, starsInvoice(1001, "order:78")); err != nil {
			t.Fatal(err)
		}
		again, err := u.Pay(ctx, u.LastMessage(), sandbox.PayOptions{})
		if err != nil || again.Status != sandbox.PayPaid || again.Payment.ChargeID == res.Payment.ChargeID {
			t.Fatalf("second payment = %+v, %v", again, err)
		}
	})
}

func TestUser_PayCardWithShipping(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := startedUser(b, 1001)
	sb := newShopBot(t, b)

	params := tu.Invoice(chatID(1001), "Mug", "Red mug, 300 ml", "order:12", "381764678:TEST:100", "RUB",
		tu.LabeledPrice("Mug", 125000)).
		WithNeedShippingAddress().WithIsFlexible().WithNeedName()
	if _, err := b.bot.SendInvoice(ctx, params); err != nil {
		t.Fatal(err)
	}
	addr := &sandbox.ShippingAddress{CountryCode: "RU", City: "Kazan", StreetLine1: "Baumana 1", PostCode: "420111"}
	res, err := u.Pay(ctx, u.LastMessage(), sandbox.PayOptions{ShippingAddress: addr, ShippingOptionID: "post"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sandbox.PayPaid || res.TotalAmount != 140000 || res.Payment.ProviderChargeID == "" {
		t.Fatalf("result = %+v", res)
	}
	if len(sb.shipping) != 1 || sb.shipping[0].ShippingAddress.City != "Kazan" {
		t.Fatalf("shipping queries = %+v", sb.shipping)
	}
	pq := sb.preCheckout[0]
	if pq.ShippingOptionID != "post" || pq.TotalAmount != 140000 || pq.OrderInfo == nil || pq.OrderInfo.Name != "Anna" ||
		pq.OrderInfo.ShippingAddress.PostCode != "420111" {
		t.Fatalf("pre-checkout = %+v", pq)
	}
	sp := sb.paid[0]
	if sp.ShippingOptionID != "post" || sp.OrderInfo == nil || sp.ProviderPaymentChargeID != res.Payment.ProviderChargeID {
		t.Fatalf("successful payment = %+v", sp)
	}

	t.Run("OptionNotOffered", func(t *testing.T) {
		if _, err := b.bot.SendInvoice(ctx, params); err != nil {
			t.Fatal(err)
		}
		_, err := u.Pay(ctx, u.LastMessage(), sandbox.PayOptions{ShippingOptionID: "drone"})
		if err == nil || !strings.Contains(err.Error(), "drone") {
			t.Fatalf("want an error naming the option, got %v", err)
		}
	})
}

func TestUser_PayDeclinedAndTimedOut(t *testing.T) {
	b := setup(t, sandbox.Config{PreCheckoutTimeout: 100 * time.Millisecond})
	ctx := ctxT(t)
	u := startedUser(b, 1001)
	sb := newShopBot(t, b)

	sb.decline = "Sorry, the mug is sold out"
	if _, err := b.bot.SendInvoice(ctx, starsInvoice(1001, "order:1")); err != nil {
		t.Fatal(err)
	}
	invoice := u.LastMessage()
	res, err := u.Pay(ctx, invoice, sandbox.PayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sandbox.PayDeclined || res.ErrorMessage != "Sorry, the mug is sold out" || len(sb.paid) != 0 {
		t.Fatalf("result = %+v, paid %v", res, sb.paid)
	}
	err = b.bot.AnswerPreCheckoutQuery(ctx, tu.PreCheckoutQuery(sb.preCheckout[0].ID, true))
	wantAPIError(t, err, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid")

	sb.mu.Lock()
	sb.decline, sb.silent = "", true
	sb.mu.Unlock()
	res, err = u.Pay(ctx, invoice, sandbox.PayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sandbox.PayTimedOut || len(b.s.Payments()) != 0 {
		t.Fatalf("result = %+v", res)
	}
	err = b.bot.AnswerPreCheckoutQuery(ctx, tu.PreCheckoutQuery(sb.preCheckout[1].ID, true))
	wantAPIError(t, err, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid")

	sb.mu.Lock()
	sb.silent = false
	sb.mu.Unlock()
	res, err = u.Pay(ctx, invoice, sandbox.PayOptions{FailAtProvider: true})
	if err != nil || res.Status != sandbox.PayProviderFailed || len(sb.paid) != 0 {
		t.Fatalf("provider failure: %+v, %v", res, err)
	}
}

func TestServer_InvoiceValidation(t *testing.T) {
	b := setup(t, sandbox.Config{ProviderTokens: []string{"381764678:TEST:100"}})
	startedUser(b, 1001)
	card := func(token string) *telego.SendInvoiceParams {
		return tu.Invoice(chatID(1001), "Mug", "Red mug", "order:1", token, "RUB", tu.LabeledPrice("Mug", 125000))
	}
	twoPrices := starsInvoice(1001, "order:1")
	twoPrices.Prices = append(twoPrices.Prices, tu.LabeledPrice("Wrap", 5))
	starsWithToken := starsInvoice(1001, "order:1")
	starsWithToken.ProviderToken = "381764678:TEST:100"
	tests := []struct {
		name   string
		params *telego.SendInvoiceParams
		desc   string
	}{
		{"StarsWithProviderToken", starsWithToken, "Bad Request: PAYMENT_PROVIDER_INVALID"},
		{"StarsWithTwoPrices", twoPrices, "Bad Request: STARS_INVOICE_INVALID"},
		{"CardWithoutProvider", card(""), "Bad Request: PAYMENT_PROVIDER_INVALID"},
		{"UnknownProvider", card("1:LIVE:nope"), "Bad Request: PAYMENT_PROVIDER_INVALID"},
		{"PayloadTooLong", starsInvoice(1001, strings.Repeat("p", 129)), "Bad Request: INVOICE_PAYLOAD_INVALID"},
		{"UnknownCurrency", tu.Invoice(chatID(1001), "Mug", "Red mug", "o", "381764678:TEST:100", "ABC", tu.LabeledPrice("Mug", 1)),
			"Bad Request: CURRENCY_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.bot.SendInvoice(ctxT(t), tt.params)
			wantAPIError(t, err, 400, tt.desc)
		})
	}
	t.Run("PayloadAtLimit", func(t *testing.T) {
		if _, err := b.bot.SendInvoice(ctxT(t), starsInvoice(1001, strings.Repeat("p", 128))); err != nil {
			t.Fatalf("128 bytes of payload must pass: %v", err)
		}
	})
	t.Run("InvoiceLink", func(t *testing.T) {
		link, err := b.bot.CreateInvoiceLink(ctxT(t), &telego.CreateInvoiceLinkParams{Title: "E-book",
			Description: "Handbook", Payload: "order:9", Currency: "XTR", Prices: []telego.LabeledPrice{{Label: "E-book", Amount: 5}}})
		if err != nil || !strings.HasPrefix(*link, "https://t.me/$") {
			t.Fatalf("link = %v, %v", link, err)
		}
	})
}

func TestUser_QuoteShipping(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := startedUser(b, 1001)
	sb := newShopBot(t, b)

	inv := tu.Invoice(chatID(1001), "Teapot", "Cast iron", "order:9", "prov", "RUB", tu.LabeledPrice("Teapot", 250000)).
		WithNeedShippingAddress().WithIsFlexible()
	if _, err := b.bot.SendInvoice(ctx, inv); err != nil {
		t.Fatal(err)
	}
	msg := u.LastBotMessage()
	addr := &sandbox.ShippingAddress{CountryCode: "GE", City: "Tbilisi", StreetLine1: "Rustaveli 1", PostCode: "0108"}
	quote, err := u.QuoteShipping(ctx, msg, addr)
	if err != nil {
		t.Fatal(err)
	}
	if quote.Status != "" || len(quote.Options) != 2 || quote.Address.City != "Tbilisi" {
		t.Fatalf("quote = %+v", quote)
	}

	res, err := u.Pay(ctx, msg, sandbox.PayOptions{Quote: &quote, ShippingOptionID: "post"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sandbox.PayPaid || res.TotalAmount != 265000 {
		t.Fatalf("pay = %+v", res)
	}
	sb.mu.Lock()
	shipping, pre := len(sb.shipping), sb.preCheckout
	sb.mu.Unlock()
	if shipping != 1 {
		t.Errorf("%d shipping queries, want the quote's one", shipping)
	}
	if len(pre) != 1 || pre[0].ShippingOptionID != "post" || pre[0].OrderInfo.ShippingAddress.City != "Tbilisi" {
		t.Errorf("pre-checkout = %+v", pre)
	}

	// A quote pays only its own invoice.
	if _, err := b.bot.SendInvoice(ctx, inv.WithPayload("order:10")); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Pay(ctx, u.LastBotMessage(), sandbox.PayOptions{Quote: &quote}); err == nil {
		t.Error("paying another invoice with the quote must fail")
	}
	if _, err := u.QuoteShipping(ctx, msg, nil); !errors.Is(err, sandbox.ErrAlreadyPaid) {
		t.Errorf("quoting a paid invoice: %v", err)
	}
	if _, err := b.bot.SendInvoice(ctx, starsInvoice(1001, "order:11")); err != nil {
		t.Fatal(err)
	}
	if _, err := u.QuoteShipping(ctx, u.LastBotMessage(), nil); err == nil {
		t.Error("a Stars invoice has no shipping to quote")
	}
}
