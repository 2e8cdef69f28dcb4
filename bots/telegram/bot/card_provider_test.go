package bot

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// End-to-end tests of the platform's default card provider: a card shop without a
// token of its own pays through whatever VITRINA_PAYMENT_PROVIDER_TOKEN is when the
// buyer checks out.

// restartBot replaces the bot, its inbox and webhook by new ones whose platform
// provider token is token, on the same database and fake Telegram: the deployment
// restarted with VITRINA_PAYMENT_PROVIDER_TOKEN changed.
func (e *testEnv) restartBot(token string) {
	e.t.Helper()
	d := e.deps
	d.ProviderToken = token
	bot, err := New(d)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.bot, e.deps = bot, d
	e.startInbox(bot, d.Log)
}

// lastInvoiceToken returns the provider token of the last sendInvoice call.
func (e *testEnv) lastInvoiceToken() string {
	e.t.Helper()
	calls := e.tg.CallsTo("sendInvoice")
	if len(calls) == 0 {
		e.t.Fatal("no invoice was sent")
	}
	return calls[len(calls)-1].Param("provider_token")
}

func TestShopper_CardShopOnPlatformProvider(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.sellerIn("Sveta", "en", catalog.NewShop{
		Name: "Bakery", Currency: "RUB", PaymentMethod: catalog.PayCard, PlatformProvider: true,
	})
	if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(owner.ID()), catalog.PickupPoint{
		ShopID: shop.ID, Name: "Kiosk", Address: "Lenina 5",
	}); err != nil {
		t.Fatal(err)
	}
	bread := env.product(owner, shop, "Bread", "", variant("", 12000, 5))
	u := env.shopper("Anna", "en")

	// summary walks u from the product to the checkout summary.
	summary := func() {
		t.Helper()
		if err := u.Start(env.ctx, telegram.ProductLink(bread.ID)); err != nil {
			t.Fatal(err)
		}
		env.press(u, env.lastBot(u), "Buy now")
	}

	summary()
	env.press(u, env.lastBot(u), "Pickup: Kiosk")
	if got := env.lastInvoiceToken(); got != testProviderToken {
		t.Errorf("invoice provider token = %q, want the platform's", got)
	}
	if res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}

	t.Run("RotatedTokenReachesTheShop", func(t *testing.T) {
		const rotated = "284685063:TEST:rotated"
		env.restartBot(rotated)
		summary()
		env.press(u, env.lastBot(u), "Pickup: Kiosk")
		if got := env.lastInvoiceToken(); got != rotated {
			t.Errorf("invoice provider token = %q, want the rotated platform token", got)
		}
		env.send(owner, "/admin")
		env.press(owner, env.lastBot(owner), "Settings")
		env.wantBody(owner, "Payment: card, RUB (the platform's provider)")
	})

	t.Run("NoProviderAnywhere", func(t *testing.T) {
		// An order awaiting payment from before the platform lost its provider, and a
		// checkout summary shown before it.
		pending := env.buyerOrders(u)[0]
		if pending.Status != order.StatusAwaitingPayment {
			t.Fatalf("the last order is %s", pending.Status)
		}
		summary()
		stale := env.lastBot(u)
		ordersBefore := len(env.buyerOrders(u))
		_, reservedBefore := env.stock(bread.Variants[0].ID)
		invoicesBefore := len(env.tg.CallsTo("sendInvoice"))

		env.restartBot("")
		const refusal = "This shop cannot take card payments right now. Please try again later."
		if err := u.Start(env.ctx, telegram.ProductLink(bread.ID)); err != nil {
			t.Fatal(err)
		}
		if ans := env.press(u, env.lastBot(u), "Buy now"); ans.Text != refusal {
			t.Errorf("buy now = %q", ans.Text)
		}
		// The delivery button of the summary shown before reserves nothing.
		if ans := env.press(u, stale, "Pickup: Kiosk"); ans.Text != refusal {
			t.Errorf("confirm = %q", ans.Text)
		}
		if n := len(env.buyerOrders(u)); n != ordersBefore {
			t.Errorf("orders = %d, want %d: an order was made", n, ordersBefore)
		}
		if _, reserved := env.stock(bread.Variants[0].ID); reserved != reservedBefore {
			t.Errorf("reserved = %d, want %d", reserved, reservedBefore)
		}

		// Asking to pay the pending order gives its goods back.
		env.send(u, "/orders")
		env.press(u, env.lastBot(u), "#"+strconv.FormatInt(int64(pending.ID), 10))
		if ans := env.press(u, env.lastBot(u), "Pay"); ans.Text != refusal {
			t.Errorf("pay again = %q", ans.Text)
		}
		env.wantBody(u, "Status: cancelled")
		if got, _ := env.orders.OrderForSystem(env.ctx, pending.ID); got.Status != order.StatusCancelled {
			t.Errorf("pending order = %s, want cancelled", got.Status)
		}
		if _, reserved := env.stock(bread.Variants[0].ID); reserved != reservedBefore-1 {
			t.Errorf("reserved = %d, want %d", reserved, reservedBefore-1)
		}
		if n := len(env.tg.CallsTo("sendInvoice")); n != invoicesBefore {
			t.Errorf("invoices sent = %d, want %d", n, invoicesBefore)
		}

		// The seller is told why buyers cannot pay.
		env.send(owner, "/admin")
		env.press(owner, env.lastBot(owner), "Settings")
		env.wantBody(owner, "the platform's provider, which is not set up now")

		// A shop with its own token still sells.
		own, ownShop := env.sellerIn("Petr", "en", catalog.NewShop{
			Name: "Own Bakery", Currency: "RUB", PaymentMethod: catalog.PayCard, ProviderToken: "381764678:TEST:own",
		})
		if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(own.ID()), catalog.PickupPoint{
			ShopID: ownShop.ID, Name: "Stall", Address: "Mira 1",
		}); err != nil {
			t.Fatal(err)
		}
		bun := env.product(own, ownShop, "Bun", "", variant("", 5000, 5))
		if err := u.Start(env.ctx, telegram.ProductLink(bun.ID)); err != nil {
			t.Fatal(err)
		}
		env.press(u, env.lastBot(u), "Buy now")
		env.press(u, env.lastBot(u), "Pickup: Stall")
		if got := env.lastInvoiceToken(); got != "381764678:TEST:own" {
			t.Errorf("invoice provider token = %q, want the shop's own", got)
		}
	})
	env.noErrorsLogged()
}

func TestSeller_SwitchesToPlatformProvider(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sveta", "en", catalog.NewShop{
		Name: "Tees", Currency: "RUB", PaymentMethod: catalog.PayCard, ProviderToken: "381764678:TEST:own",
	})
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Settings")
	env.press(seller, env.wantBody(seller, "(your own provider)"), "Payment")
	env.press(seller, env.lastBot(seller), "Card")
	env.press(seller, env.lastBot(seller), "RUB")
	env.press(seller, env.wantBody(seller, "Send the payment provider token"), "Use the platform's provider")
	env.wantBody(seller, "Payment: card, RUB (the platform's provider)")
	if got, _ := env.catalog.Shop(env.ctx, shop.ID); got.PaymentMethod != catalog.PayCard || got.ProviderToken != "" {
		t.Errorf("shop = %+v; want a card shop without a token", got)
	}
	for _, c := range env.tg.Calls() {
		if strings.Contains(c.Param("text"), testProviderToken) {
			t.Errorf("the platform's token was shown by %s", c.Method)
		}
	}
	env.noErrorsLogged()
}
