package bot

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// TestRestock_NotifyMe taps "Notify me" on a sold-out product, changes their mind
// and back, and gets the alert when stock returns, with a button to the card.
func TestRestock_NotifyMe(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.starsShop("Lamp Shop")
	p := env.product(owner, shop, "Desk lamp", "Warm light", variant("", 300, 0))
	v := p.Variants[0].ID
	u := env.shopper("Ann", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.wantBody(u, "Desk lamp", "Out of stock")
	if _, ok := card.Button("🛒 Add to cart"); ok {
		t.Fatalf("a sold-out card offers Add to cart: %v", buttonLabels(card))
	}
	subscribed := func() bool {
		t.Helper()
		ok, err := env.catalog.RestockSubscribed(env.ctx, core.UserID(u.ID()), v)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	if ans := env.press(u, card, "🔔 Notify me when available"); ans.Text != "🔔 We will tell you as soon as it is back." {
		t.Errorf("answer %q", ans.Text)
	}
	card = env.refresh(u, card)
	if _, ok := card.Button("🔕 Don't notify me"); !ok || !subscribed() {
		t.Fatalf("after Notify me: buttons %v, subscribed %v", buttonLabels(card), subscribed())
	}
	// A second tap on the old button (its state is in the data) changes nothing.
	data := fmt.Sprintf("nr:%d:%d:1", p.ID, v)
	if got := env.forgePress(u, card, data); got == "" || !subscribed() {
		t.Errorf("second subscribe answered %q, subscribed %v", got, subscribed())
	}

	env.press(u, env.refresh(u, card), "🔕 Don't notify me")
	card = env.refresh(u, card)
	if _, ok := card.Button("🔔 Notify me when available"); !ok || subscribed() {
		t.Fatalf("after Don't notify me: buttons %v, subscribed %v", buttonLabels(card), subscribed())
	}
	env.press(u, card, "🔔 Notify me when available")

	// The seller receives two lamps: the alert goes to Ann.
	if _, err := env.catalog.AdjustStock(env.ctx, core.UserID(owner.ID()), v, 2, catalog.MoveReceipt, ""); err != nil {
		t.Fatal(err)
	}
	batch, err := env.catalog.RestockBatch(env.ctx, v)
	if err != nil || len(batch.Subscribers) != 1 {
		t.Fatalf("restock batch %+v, %v; want Ann", batch.Subscribers, err)
	}
	msgs, err := env.bot.RestockAlerts(env.ctx, batch)
	if err != nil || len(msgs) != 1 || msgs[0].Priority != core.PriorityReminder {
		t.Fatalf("alerts %+v, %v", msgs, err)
	}
	env.deliver(msgs...)
	alert := env.wantBody(u, "Desk lamp is back in stock!")
	env.press(u, alert, "🛍 Take a look")
	if _, ok := env.lastBot(u).Button("🛒 Add to cart"); !ok {
		t.Errorf("the alert's button opened %q with %v", env.lastBot(u).Body(), buttonLabels(env.lastBot(u)))
	}

	// The old "Notify me" button, pressed now that it is in stock, says so.
	if got := env.forgePress(u, sandbox.Message{}, data); got != "It is in stock now!" {
		t.Errorf("notify me on a product in stock: %q", got)
	}
}

// TestAdminReminders_Settings has the owner turn the abandoned cart reminder on and
// the review request off; a manager cannot, and a made-up value is refused.
func TestAdminReminders_Settings(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub") // speaks Russian
	sid := strconv.FormatInt(int64(shop.ID), 10)
	env.send(owner, "/admin")
	env.press(owner, env.lastBot(owner), "⚙️ Настройки")
	env.press(owner, env.lastBot(owner), "🔔 Напоминания")
	screen := env.wantBody(owner, "Напоминания · Sticker Hub", "Брошенная корзина: выключено", "после получения: через 3 дня")

	if ans := env.press(owner, screen, "3 ч"); ans.Text != "Сохранено" {
		t.Errorf("answer %q", ans.Text)
	}
	screen = env.wantBody(owner, "Брошенная корзина: через 3 часа")
	if _, ok := screen.Button("✅ 3 ч"); !ok {
		t.Errorf("the chosen delay is not marked: %v", buttonLabels(screen))
	}
	if got := env.forgePress(owner, screen, "nv:"+sid+":0"); got != "Сохранено" {
		t.Errorf("review off answered %q", got)
	}
	sh, err := env.catalog.Shop(env.ctx, shop.ID)
	if err != nil || sh.CartReminder != 3*time.Hour || sh.ReviewRequestDays != 0 {
		t.Fatalf("shop settings %v, %d (%v); want 3 hours and no review request", sh.CartReminder, sh.ReviewRequestDays, err)
	}

	if got := env.forgePress(owner, sandbox.Message{}, "nc:"+sid+":500"); got == "Сохранено" {
		t.Errorf("a cart delay of 500 hours was saved")
	}

	manager := env.shopper("Max", "en")
	env.send(manager, "/start")
	inv, err := env.catalog.CreateInvite(env.ctx, core.UserID(owner.ID()), shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.catalog.AcceptInvite(env.ctx, core.UserID(manager.ID()), inv.Token); err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{"ns:" + sid, "nc:" + sid + ":1", "nv:" + sid + ":7"} {
		if got := env.forgePress(manager, sandbox.Message{}, data); got != "Only the shop's owner can do this." {
			t.Errorf("manager pressed %s: %q", data, got)
		}
	}
	if sh, _ := env.catalog.Shop(env.ctx, shop.ID); sh.CartReminder != 3*time.Hour || sh.ReviewRequestDays != 0 {
		t.Errorf("a manager changed the settings: %v, %d", sh.CartReminder, sh.ReviewRequestDays)
	}
}

// TestReminders_Messages delivers the reminder to pay, the cart reminder and the
// review request, and follows their buttons.
func TestReminders_Messages(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.starsShop("Tea House")
	p := env.product(owner, shop, "Green tea", "", variant("", 150, 5))
	u := env.shopper("Ann", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	buyer := core.UserID(u.ID())

	o, err := env.orders.Checkout(env.ctx, order.CheckoutRequest{Key: "k1", BuyerID: buyer, ShopID: shop.ID,
		Items: []order.Item{{VariantID: p.Variants[0].ID, Quantity: 2}}, Delivery: order.DeliveryNone})
	if err != nil {
		t.Fatal(err)
	}
	env.clock.Set(o.RemindAt)
	o, err = env.orders.RemindUnpaid(env.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := env.bot.UnpaidReminder(env.ctx, o)
	if err != nil || len(msgs) != 1 || msgs[0].Key != fmt.Sprintf("remind:unpaid:%d:%d", o.ID, o.ReservedUntil.Unix()) {
		t.Fatalf("unpaid reminder %+v, %v", msgs, err)
	}
	env.deliver(msgs...)
	reminder := env.wantBody(u, "Your order is waiting for payment", fmt.Sprintf("Order #%d from Tea House", o.ID), "5 min")
	invoices := countInvoices(u)
	env.press(u, reminder, "💳 Pay")
	if countInvoices(u) != invoices+1 {
		t.Errorf("Pay sent no invoice")
	}

	if _, err := env.orders.AddToCart(env.ctx, buyer, p.Variants[0].ID, 1); err != nil {
		t.Fatal(err)
	}
	cart, err := env.orders.Cart(env.ctx, buyer, shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err = env.bot.CartReminder(env.ctx, order.CartState{Cart: cart, Shop: shop, ChangedAt: env.clock.Now()})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("cart reminder %+v, %v", msgs, err)
	}
	env.deliver(msgs...)
	env.press(u, env.wantBody(u, "You left these in your cart at Tea House", "Green tea × 1"), "🛒 Open the cart")
	env.wantBody(u, "Green tea")

	msgs, err = env.bot.ReviewRequest(env.ctx, o)
	if err != nil || len(msgs) != 1 || msgs[0].Key != fmt.Sprintf("review:request:%d", o.ID) {
		t.Fatalf("review request %+v, %v", msgs, err)
	}
	env.deliver(msgs...)
	if _, ok := env.wantBody(u, "How do you like order", "• Green tea").Button("⭐ Rate"); !ok {
		t.Errorf("the review request has no Rate button: %v", buttonLabels(env.lastBot(u)))
	}
}
