package bot

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// End-to-end tests of the shopper's side: sandbox users talk to the bot through the
// inbox's webhook handler; shops and products are made with catalog.Service, as the
// seller side would.

func TestShopper_BrowseAndBuyWithStars(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "Twelve cats", variant("", 150, 5))
	u := env.shopper("Anna", "en")

	env.send(u, "/start")
	env.press(u, env.lastBot(u), "Sticker Hub")
	list := env.lastBot(u)
	if !strings.Contains(list.Body(), "Sticker Hub") || !strings.Contains(list.Body(), "all products") {
		t.Errorf("product list = %q", list.Body())
	}
	// A shop without sections opens on its products; back is the list of shops.
	if b, ok := list.Button("Shops"); !ok || b.CallbackData != "sh:0" {
		t.Errorf("back button = %+v (%v)", b, buttonLabels(list))
	}
	env.press(u, list, "Cat stickers")
	card := env.lastBot(u)
	for _, want := range []string{"Cat stickers", "Twelve cats", "150\u00a0⭐", "In stock: 5"} {
		if !strings.Contains(card.Body(), want) {
			t.Errorf("card %q lacks %q", card.Body(), want)
		}
	}
	env.press(u, card, "➕")
	card = env.lastBot(u)
	if _, ok := card.Button("2 pcs"); !ok {
		t.Fatalf("quantity not 2 after +: %v", buttonLabels(card))
	}
	env.press(u, card, "Buy now")
	summary := env.lastBot(u)
	if !strings.Contains(summary.Body(), "Cat stickers — 2 × 150\u00a0⭐") || !strings.Contains(summary.Body(), "Total: 300\u00a0⭐") {
		t.Errorf("summary = %q", summary.Body())
	}
	env.press(u, summary, "Pay 300")

	orders := env.buyerOrders(u)
	if len(orders) != 1 || orders[0].Status != order.StatusAwaitingPayment {
		t.Fatalf("orders after checkout = %+v", orders)
	}
	o := orders[0]
	if on, res := env.stock(p.Variants[0].ID); on != 5 || res != 2 {
		t.Errorf("stock after checkout: on hand %d, reserved %d; want 5, 2", on, res)
	}
	notice := env.messageWith(u, "is created")
	if !strings.Contains(notice.Body(), "#"+strconv.FormatInt(int64(o.ID), 10)) || !strings.Contains(notice.Body(), "15 min") {
		t.Errorf("reservation notice = %q", notice.Body())
	}

	inv := env.lastInvoice(u).Invoice
	if inv.Currency != "XTR" || len(inv.Prices) != 1 || inv.Prices[0].Amount != 300 || inv.ProviderToken != "" {
		t.Errorf("invoice = %+v; want one XTR price of 300 and no provider token", inv)
	}
	if inv.Payload != "o:"+strconv.FormatInt(int64(o.ID), 10) {
		t.Errorf("payload = %q", inv.Payload)
	}
	calls := env.tg.CallsTo("sendInvoice")
	if len(calls) != 1 || calls[0].Param("provider_token") != "" {
		t.Errorf("sendInvoice calls = %d, provider_token %q", len(calls), calls[0].Param("provider_token"))
	}

	res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{})
	if err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Payment received") || !strings.Contains(m.Body(), "300\u00a0⭐") {
		t.Errorf("confirmation = %q", m.Body())
	}
	o, err = env.orders.OrderForSystem(env.ctx, o.ID)
	if err != nil || o.Status != order.StatusPaid {
		t.Fatalf("order = %+v, %v", o, err)
	}
	if on, res := env.stock(p.Variants[0].ID); on != 3 || res != 0 {
		t.Errorf("stock after payment: on hand %d, reserved %d; want 3, 0", on, res)
	}
	if n := len(env.tg.CallsTo("answerPreCheckoutQuery")); n != 1 {
		t.Errorf("pre-checkout answers = %d", n)
	}
	env.noErrorsLogged()
}

func TestShopper_SearchCartAndCardWithShipping(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.cardShop("Dress Code")
	_, err := env.catalog.AddShippingOption(env.ctx, core.UserID(owner.ID()), catalog.ShippingOption{
		ShopID: shop.ID, Name: "Courier", Price: core.Money{Amount: 30000, Currency: "RUB"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := env.product(owner, shop, "Red dress", "Silk, knee length", variant("S", 250050, 2), variant("M", 260000, 0))
	env.product(owner, shop, "Blue scarf", "Wool", variant("", 90000, 9))
	u := env.shopper("Boris", "ru")

	env.send(u, "dress")
	results := env.lastBot(u)
	if !strings.Contains(results.Body(), "Нашлось: 1") {
		t.Fatalf("search = %q", results.Body())
	}
	env.press(u, results, "Red dress")
	card := env.lastBot(u)
	if _, ok := card.Button("M · нет в наличии"); !ok {
		t.Errorf("out-of-stock variant not shown as such: %v", buttonLabels(card))
	}
	if !strings.Contains(card.Body(), "2\u00a0500,50\u00a0₽") || !strings.Contains(card.Body(), "В наличии: 2 шт.") {
		t.Errorf("card = %q", card.Body())
	}
	ans := env.press(u, card, "В корзину")
	if ans.Text != "В корзине: 1 шт." {
		t.Errorf("add to cart answer = %q", ans.Text)
	}
	card = env.lastBot(u)
	env.press(u, card, "Корзина (1)")
	cart := env.lastBot(u)
	if !strings.Contains(cart.Body(), "Итого: 2\u00a0500,50\u00a0₽") {
		t.Errorf("cart = %q", cart.Body())
	}
	env.press(u, cart, "➕")
	cart = env.lastBot(u)
	if !strings.Contains(cart.Body(), "Итого: 5\u00a0001\u00a0₽") {
		t.Errorf("cart after + = %q", cart.Body())
	}
	env.press(u, cart, "Оформить")
	summary := env.lastBot(u)
	env.press(u, summary, "Доставка")

	invMsg := env.lastInvoice(u)
	inv := invMsg.Invoice
	if inv.Currency != "RUB" || inv.ProviderToken != "381764678:TEST:shop-own" || !inv.NeedShippingAddress || !inv.IsFlexible {
		t.Errorf("invoice = %+v", inv)
	}
	if len(inv.Prices) != 1 || inv.Prices[0].Amount != 500100 {
		t.Errorf("prices = %+v; want one line of 5001.00", inv.Prices)
	}
	res, err := u.Pay(env.ctx, invMsg, sandbox.PayOptions{})
	if err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	if len(res.ShippingOptions) != 1 || res.ShippingOptions[0].Title != "Courier" {
		t.Errorf("shipping options = %+v", res.ShippingOptions)
	}
	if res.TotalAmount != 500100+30000 {
		t.Errorf("total paid = %d, want items and shipping %d", res.TotalAmount, 500100+30000)
	}
	o := env.buyerOrders(u)[0]
	if o.Status != order.StatusPaid || o.Total.Amount != 530100 || o.ShippingAddress == nil {
		t.Errorf("order = %+v", o)
	}
	if cart, _ := env.orders.Cart(env.ctx, core.UserID(u.ID()), shop.ID); len(cart.Items) != 0 {
		t.Errorf("cart not emptied by checkout: %+v", cart.Items)
	}
	if on, res := env.stock(p.Variants[0].ID); on != 0 || res != 0 {
		t.Errorf("stock: on hand %d, reserved %d; want 0, 0", on, res)
	}
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Оплата получена") || !strings.Contains(m.Body(), "сообщим, когда заказ отправят") {
		t.Errorf("confirmation = %q", m.Body())
	}
	env.noErrorsLogged()
}

func TestShopper_CardWithPickup(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.cardShop("Bakery")
	if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(owner.ID()), catalog.PickupPoint{
		ShopID: shop.ID, Name: "Main street", Address: "Main st. 1", Hours: "9-18",
	}); err != nil {
		t.Fatal(err)
	}
	env.product(owner, shop, "Bread", "Rye", variant("", 12000, 3))
	u := env.shopper("Carl", "en")
	env.send(u, "/search bread")
	env.press(u, env.lastBot(u), "Bread")
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pickup: Main street")
	inv := env.lastInvoice(u)
	if inv.Invoice.NeedShippingAddress || inv.Invoice.IsFlexible || !inv.Invoice.NeedPhoneNumber {
		t.Errorf("invoice = %+v; want a phone and no address", inv.Invoice)
	}
	if res, err := u.Pay(env.ctx, inv, sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	if m := env.lastBot(u); !strings.Contains(m.Body(), "ready for pickup: Main street, Main st. 1 (9-18)") {
		t.Errorf("confirmation = %q", m.Body())
	}
}

func TestShopper_StaleButtons(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.lastBot(u)

	t.Run("ProductArchived", func(t *testing.T) {
		if _, err := env.catalog.SetArchived(env.ctx, core.UserID(owner.ID()), p.ID, true); err != nil {
			t.Fatal(err)
		}
		ans := env.press(u, card, "Add to cart")
		if ans.Text != "This product is gone." || !ans.ShowAlert {
			t.Errorf("answer = %+v", ans)
		}
		ans = env.press(u, card, "Buy now")
		if ans.Text != "This product is gone." {
			t.Errorf("answer = %+v", ans)
		}
		if _, err := env.catalog.SetArchived(env.ctx, core.UserID(owner.ID()), p.ID, false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OrderAlreadyPaid", func(t *testing.T) {
		env.press(u, card, "Buy now")
		env.press(u, env.refresh(u, card), "Pay")
		// The shopper opens the order, then pays the invoice: the order's Pay button
		// is stale.
		env.press(u, env.messageWith(u, "is created"), "Open the order")
		detail := env.messageWith(u, "Status: awaiting payment")
		if _, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil {
			t.Fatal(err)
		}
		ans := env.press(u, detail, "Pay")
		if ans.Text != "This order was already paid." || !ans.ShowAlert {
			t.Errorf("answer = %+v", ans)
		}
		ans = env.press(u, detail, "Cancel the order")
		if !ans.ShowAlert || !strings.Contains(ans.Text, "cannot be done") {
			t.Errorf("cancel a paid order = %+v", ans)
		}
	})
	t.Run("UnknownData", func(t *testing.T) {
		// Data the bot never made cannot be pressed in the sandbox; hand it to the
		// router as Telegram would deliver it.
		code := env.postUpdate(telego.Update{UpdateID: 990001, CallbackQuery: &telego.CallbackQuery{
			ID: "forged-1", From: telego.User{ID: u.ID(), FirstName: "Anna", LanguageCode: "en"}, Data: "zz:1",
		}})
		if code != http.StatusOK {
			t.Errorf("webhook answered %d", code)
		}
		calls := env.tg.CallsTo("answerCallbackQuery")
		last := calls[len(calls)-1]
		if last.Param("callback_query_id") != "forged-1" || !strings.Contains(last.Param("text"), "no longer works") {
			t.Errorf("last answer = %v", last.Params)
		}
	})
	env.noErrorsLogged()
}

func TestShopper_DoubleTapOnBuy(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Buy now")
	summary := env.lastBot(u)
	pay, ok := summary.Button("Pay")
	if !ok {
		t.Fatalf("no Pay button: %v", buttonLabels(summary))
	}
	// The second tap reaches the bot after the first changed the message; Telegram
	// delivers it with the button's data all the same.
	env.press(u, summary, "Pay")
	env.postUpdate(telego.Update{UpdateID: 990002, CallbackQuery: &telego.CallbackQuery{
		ID: "second-tap", From: telego.User{ID: u.ID(), FirstName: "Anna", LanguageCode: "en"},
		Message: &telego.Message{MessageID: summary.ID, Chat: telego.Chat{ID: u.ID(), Type: telego.ChatTypePrivate}, Text: summary.Body()},
		Data:    pay.CallbackData,
	}})
	if orders := env.buyerOrders(u); len(orders) != 1 {
		t.Fatalf("orders after a double tap = %d, want 1", len(orders))
	}
	if on, res := env.stock(p.Variants[0].ID); on != 5 || res != 1 {
		t.Errorf("stock: on hand %d, reserved %d; want 5, 1", on, res)
	}
	// One invoice, of the one order (the second tap is pointed at it: checkout_test.go); it is paid once.
	if res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	if on, res := env.stock(p.Variants[0].ID); on != 4 || res != 0 {
		t.Errorf("stock after payment: on hand %d, reserved %d; want 4, 0", on, res)
	}
	env.noErrorsLogged()
}

func TestShopper_DoublePay(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pay")
	first := env.lastInvoice(u)
	// The shopper asks for the invoice again from the order: two invoices, one order.
	notice := env.messageWith(u, "is created")
	env.press(u, notice, "Open the order")
	env.press(u, env.refresh(u, notice), "Pay")
	second := env.lastInvoice(u)
	if first.ID == second.ID || first.Invoice.Payload != second.Invoice.Payload {
		t.Fatalf("want a second invoice of the same order: %d %q, %d %q", first.ID, first.Invoice.Payload, second.ID, second.Invoice.Payload)
	}
	if res, err := u.Pay(env.ctx, first, sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("first pay = %+v, %v", res, err)
	}
	res, err := u.Pay(env.ctx, second, sandbox.PayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sandbox.PayDeclined || res.ErrorMessage != "This order was already paid." {
		t.Errorf("second pay = %+v; want declined as already paid", res)
	}
	if n := len(env.tg.Payments()); n != 1 {
		t.Errorf("payments = %d, want 1", n)
	}
	if on, _ := env.stock(p.Variants[0].ID); on != 4 {
		t.Errorf("on hand = %d, want 4", on)
	}
	env.noErrorsLogged()
}

func TestShopper_RedeliveredUpdates(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pay")
	if err := u.RedeliverLast(env.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(env.tg.CallsTo("sendInvoice")); n != 1 {
		t.Errorf("invoices after a redelivered tap = %d, want 1", n)
	}
	if res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	sent := len(env.tg.CallsTo("sendMessage"))
	if err := u.RedeliverLast(env.ctx); err != nil { // the successful_payment message
		t.Fatal(err)
	}
	if n := len(env.tg.CallsTo("sendMessage")); n != sent {
		t.Errorf("a redelivered payment sent %d more messages", n-sent)
	}
	orders := env.buyerOrders(u)
	if len(orders) != 1 || orders[0].Status != order.StatusPaid {
		t.Fatalf("orders = %+v", orders)
	}
	if on, res := env.stock(p.Variants[0].ID); on != 4 || res != 0 {
		t.Errorf("stock: on hand %d, reserved %d; want 4, 0", on, res)
	}
	env.noErrorsLogged()
}

// latePayment is the successful_payment Telegram sends for an order whose
// pre-checkout passed before its reservation ran out.
func latePayment(updateID int, u *sandbox.User, o order.Order, charge string) telego.Update {
	return telego.Update{UpdateID: updateID, Message: &telego.Message{
		MessageID: 5000 + updateID%1000,
		From:      &telego.User{ID: u.ID(), FirstName: "Anna", LanguageCode: "en"},
		Chat:      telego.Chat{ID: u.ID(), Type: telego.ChatTypePrivate},
		Date:      time.Now().Unix(),
		SuccessfulPayment: &telego.SuccessfulPayment{
			Currency: string(o.Total.Currency), TotalAmount: int(o.Total.Amount),
			InvoicePayload: fmt.Sprintf("o:%d", o.ID), TelegramPaymentChargeID: charge,
		},
	}}
}

func TestShopper_PaymentAfterExpiry(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 1))
	u := env.shopper("Anna", "en")
	checkout := func() order.Order {
		t.Helper()
		if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
			t.Fatal(err)
		}
		env.press(u, env.lastBot(u), "Buy now")
		env.press(u, env.lastBot(u), "Pay")
		return env.buyerOrders(u)[0]
	}
	expire := func(o order.Order) {
		t.Helper()
		env.clock.Set(o.ReservedUntil.Add(time.Second))
		if o, err := env.orders.Expire(env.ctx, o.ID); err != nil || o.Status != order.StatusExpired {
			t.Fatalf("expire = %+v, %v", o, err)
		}
	}

	t.Run("RefusedAtPreCheckout", func(t *testing.T) {
		o := checkout()
		env.clock.Set(o.ReservedUntil.Add(time.Second))
		res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{})
		if err != nil || res.Status != sandbox.PayDeclined || res.ErrorMessage != "The reservation has expired. Please check out again." {
			t.Errorf("pay after the reservation = %+v, %v", res, err)
		}
		expire(o)
	})
	t.Run("StockAllows", func(t *testing.T) {
		o := checkout()
		expire(o)
		if code := env.postUpdate(latePayment(990100, u, o, "stx-late-1")); code != http.StatusOK {
			t.Fatalf("webhook = %d", code)
		}
		o, _ = env.orders.OrderForSystem(env.ctx, o.ID)
		if o.Status != order.StatusPaid {
			t.Errorf("status = %s, want paid", o.Status)
		}
		if m := env.lastBot(u); !strings.Contains(m.Body(), "Payment received") {
			t.Errorf("confirmation = %q", m.Body())
		}
		if on, res := env.stock(p.Variants[0].ID); on != 0 || res != 0 {
			t.Errorf("stock: on hand %d, reserved %d; want 0, 0", on, res)
		}
	})
	t.Run("SoldOut", func(t *testing.T) {
		if _, err := env.catalog.AdjustStock(env.ctx, core.UserID(owner.ID()), p.Variants[0].ID, 1, catalog.MoveReceipt, "restock"); err != nil {
			t.Fatal(err)
		}
		o := checkout()
		expire(o)
		// Someone else buys the last unit meanwhile.
		other := env.shopper("Bob", "en")
		if err := other.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
			t.Fatal(err)
		}
		env.press(other, env.lastBot(other), "Buy now")
		env.press(other, env.lastBot(other), "Pay")
		if _, err := other.Pay(env.ctx, env.lastInvoice(other), sandbox.PayOptions{}); err != nil {
			t.Fatal(err)
		}
		env.postUpdate(latePayment(990200, u, o, "stx-late-2"))
		o, _ = env.orders.OrderForSystem(env.ctx, o.ID)
		if o.Status != order.StatusRefundPending {
			t.Errorf("status = %s, want refund_pending", o.Status)
		}
		if m := env.lastBot(u); !strings.Contains(m.Body(), "being refunded") {
			t.Errorf("message = %q", m.Body())
		}
		if on, res := env.stock(p.Variants[0].ID); on != 0 || res != 0 {
			t.Errorf("stock: on hand %d, reserved %d; want 0, 0 (never oversold)", on, res)
		}
	})
}

func TestShopper_InlineQuery(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "Twelve cats", variant("", 150, 5))
	env.product(owner, shop, "Dog stickers", "", variant("", 100, 5))
	u := env.shopper("Anna", "en")

	results, err := u.InlineQuery(env.ctx, "cat")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Title != "Cat stickers" || results[0].Type != "article" {
		t.Fatalf("results = %+v", results)
	}
	link := "https://t.me/" + testBotUsername + "?start=p_" + strconv.FormatInt(int64(p.ID), 10)
	if kb := results[0].InlineKeyboard; len(kb) != 1 || kb[0][0].URL != link {
		t.Errorf("keyboard = %+v, want a button to %s", kb, link)
	}
	if !strings.Contains(results[0].MessageText, "150\u00a0⭐") {
		t.Errorf("shared message = %q", results[0].MessageText)
	}
	// Whoever taps the button lands on the product card.
	friend := env.shopper("Friend", "en")
	if err := friend.OpenLink(env.ctx, link); err != nil {
		t.Fatal(err)
	}
	if card := env.lastBot(friend); !strings.Contains(card.Body(), "Cat stickers") || !strings.Contains(card.Body(), "In stock: 5") {
		t.Errorf("card = %q", card.Body())
	}
	env.noErrorsLogged()
}

func TestShopper_ProductWithPhoto(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	// A photo the seller sent to the bot gives a file id Telegram knows.
	if err := owner.SendPhoto(env.ctx, ""); err != nil {
		t.Fatal(err)
	}
	var fileID string
	for _, m := range owner.Messages() {
		if !m.FromBot && m.Photo != nil {
			fileID = m.Photo.FileID
		}
	}
	p, err := env.catalog.CreateProduct(env.ctx, core.UserID(owner.ID()), catalog.NewProduct{
		ShopID: shop.ID, Title: "Poster", Photos: []string{fileID},
		Variants: []catalog.NewVariant{
			{Name: "A3", Price: core.Money{Amount: 200, Currency: core.Stars}, Stock: 3},
			{Name: "A2", Price: core.Money{Amount: 300, Currency: core.Stars}, Stock: 3},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.lastBot(u)
	if card.Photo == nil || !strings.Contains(card.Caption, "Poster") || !strings.Contains(card.Caption, "Option: A3") {
		t.Fatalf("card = %+v", card)
	}
	env.press(u, card, "A2 · 300")
	card = env.lastBot(u)
	if !strings.Contains(card.Caption, "Option: A2") || !strings.Contains(card.Caption, "300\u00a0⭐") {
		t.Errorf("card after choosing A2 = %q", card.Caption)
	}
	if n := len(env.tg.CallsTo("sendPhoto")); n != 1 {
		t.Errorf("photos sent = %d; choosing a variant edits the caption", n)
	}
	results, err := u.InlineQuery(env.ctx, "poster")
	if err != nil || len(results) != 1 || results[0].Type != "photo" || results[0].PhotoFileID != fileID {
		t.Errorf("inline = %+v, %v", results, err)
	}
	env.noErrorsLogged()
}

func TestShopper_Language(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	u := env.shopper("Anna", "en")
	env.send(u, "/language")
	env.press(u, env.lastBot(u), "Русский")
	if m := env.lastBot(u); m.Body() != "Готово: теперь я говорю по-русски." {
		t.Errorf("confirmation = %q", m.Body())
	}
	env.send(u, "/start")
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Здравствуйте, Anna") {
		t.Errorf("start after switching = %q", m.Body())
	}
	stored, err := env.users.User(env.ctx, core.UserID(u.ID()))
	if err != nil || stored.Language != "ru" {
		t.Errorf("stored user = %+v, %v", stored, err)
	}
	env.send(u, "/language")
	env.press(u, env.lastBot(u), "English")
	env.send(u, "/help")
	if m := env.lastBot(u); !strings.Contains(m.Body(), "How to shop") {
		t.Errorf("help after switching back = %q", m.Body())
	}
}

func TestBot_SetCommands(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	if err := env.bot.SetCommands(env.ctx); err != nil {
		t.Fatal(err)
	}
	byLang := map[string]string{}
	for _, c := range env.tg.CallsTo("setMyCommands") {
		var cmds []telego.BotCommand
		if err := c.Decode("commands", &cmds); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, cmd := range cmds {
			names = append(names, cmd.Command+"="+cmd.Description)
		}
		byLang[c.Param("language_code")] = strings.Join(names, ",")
	}
	if !strings.Contains(byLang["ru"], "orders=Мои заказы") || !strings.Contains(byLang["en"], "orders=My orders") ||
		!strings.Contains(byLang[""], "paysupport=Payment support") {
		t.Errorf("commands = %v", byLang)
	}
}

func TestShopper_DeepLinks(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	if _, err := env.catalog.CreateCategory(env.ctx, core.UserID(owner.ID()), shop.ID, "Animals"); err != nil {
		t.Fatal(err)
	}
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ShopLink(shop.ID)); err != nil {
		t.Fatal(err)
	}
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Sticker Hub") || !strings.Contains(m.Body(), "Choose a section") {
		t.Errorf("shop link = %q %v", m.Body(), buttonLabels(m))
	}
	for _, payload := range []string{"p_999999", "s_0", "garbage"} {
		if err := u.Start(env.ctx, payload); err != nil {
			t.Fatal(err)
		}
		if m := env.lastBot(u); !strings.Contains(m.Body(), "This link is broken or expired") {
			t.Errorf("/start %s = %q", payload, m.Body())
		}
	}
	env.noErrorsLogged()
}

func TestShopper_OrdersAndCancel(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "ru")
	env.send(u, "/orders")
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Заказов пока нет") {
		t.Errorf("no orders = %q", m.Body())
	}
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Купить сейчас")
	env.press(u, env.lastBot(u), "Оплатить")
	env.send(u, "/orders")
	list := env.lastBot(u)
	if _, ok := list.Button("ждёт оплаты"); !ok {
		t.Fatalf("orders = %v", buttonLabels(list))
	}
	env.press(u, list, "ждёт оплаты")
	detail := env.lastBot(u)
	if !strings.Contains(detail.Body(), "Бронь действует ещё 15 мин.") {
		t.Errorf("detail = %q", detail.Body())
	}
	ans := env.press(u, detail, "Отменить заказ")
	if ans.Text != "Заказ отменён" {
		t.Errorf("answer = %+v", ans)
	}
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Статус: отменён") {
		t.Errorf("after cancel = %q", m.Body())
	}
	if _, res := env.stock(p.Variants[0].ID); res != 0 {
		t.Errorf("reserved after cancel = %d", res)
	}
	// The invoice of a cancelled order is refused at pre-checkout.
	res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{})
	if err != nil || res.Status != sandbox.PayDeclined || res.ErrorMessage != "Этот заказ больше нельзя оплатить." {
		t.Errorf("pay a cancelled order = %+v, %v", res, err)
	}
	env.noErrorsLogged()
}

func TestShopper_CartQuantityTyped(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Add to cart")
	env.press(u, env.lastBot(u), "Cart (1)")
	env.press(u, env.lastBot(u), "Cat stickers × 1")
	env.send(u, "lots")
	if m := env.lastBot(u); !strings.Contains(m.Body(), "whole number from 0 to 999") {
		t.Errorf("bad quantity answer = %q", m.Body())
	}
	env.send(u, "3 pcs")
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Total: 450\u00a0⭐") {
		t.Errorf("cart = %q", m.Body())
	}
	// The conversation is over: text is a search again.
	env.send(u, "cat")
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Found: 1") {
		t.Errorf("after the dialog = %q", m.Body())
	}
	env.noErrorsLogged()
}

func TestShopper_CallbacksAlwaysAnswered(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	for i := range 10 {
		env.product(owner, shop, "Sticker "+strconv.Itoa(i), "", variant("", 10, 1))
	}
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ShopLink(shop.ID)); err != nil {
		t.Fatal(err)
	}
	list := env.lastBot(u)
	env.press(u, list, "1 / 2") // a label
	env.press(u, list, "▶️")
	// The Bot API fails the edit: the update is retried later, yet the button is
	// answered now, with an apology.
	env.tg.FailNext("editMessageText", http.StatusInternalServerError, "", 0)
	ans := env.press(u, env.lastBot(u), "◀️")
	if !strings.Contains(ans.Text, "Something went wrong") {
		t.Errorf("answer after a failure = %+v", ans)
	}
	queries := 0
	for _, up := range env.tg.Updates() {
		if up.CallbackQuery != nil {
			queries++
		}
	}
	answered := map[string]bool{}
	for _, c := range env.tg.CallsTo("answerCallbackQuery") {
		if c.Err == nil {
			answered[c.Param("callback_query_id")] = true
		}
	}
	if len(answered) != queries {
		t.Errorf("answered %d of %d callback queries", len(answered), queries)
	}
}

func TestBot_NotifyOrder(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(owner.ID()), catalog.PickupPoint{
		ShopID: shop.ID, Name: "Kiosk", Address: "Lenina 5", Hours: "10-20",
	}); err != nil {
		t.Fatal(err)
	}
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pickup: Kiosk")
	if _, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil {
		t.Fatal(err)
	}
	o := env.buyerOrders(u)[0]

	if err := env.notifyOrder(o.ID, order.EventPaid); err != nil {
		t.Fatal(err)
	}
	staff := env.lastBot(owner)
	if !strings.Contains(staff.Body(), "Новый оплаченный заказ №"+strconv.FormatInt(int64(o.ID), 10)) ||
		!strings.Contains(staff.Body(), "Anna") || !strings.Contains(staff.Body(), "Kiosk") {
		t.Errorf("staff notification = %q", staff.Body())
	}
	// The button opens the order in a new message: the notification stays.
	if b, ok := staff.Button("Открыть заказ"); !ok || b.CallbackData != "aon:"+strconv.FormatInt(int64(o.ID), 10) {
		t.Errorf("staff button = %+v", b)
	}
	env.press(owner, staff, "Открыть заказ")
	if kept := env.refresh(owner, staff); kept.Body() != staff.Body() {
		t.Errorf("the notification became %q", kept.Body())
	}
	if m := env.lastBot(owner); m.ID == staff.ID || !strings.Contains(m.Body(), "Статус: оплачен") {
		t.Errorf("the order opened as %q (message %d, notification %d)", m.Body(), m.ID, staff.ID)
	}

	if _, err := env.orders.MarkReadyForPickup(env.ctx, core.UserID(owner.ID()), o.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.notifyOrder(o.ID, order.EventReadyForPickup); err != nil {
		t.Fatal(err)
	}
	if m := env.lastBot(u); !strings.Contains(m.Body(), "ready for pickup: Kiosk, Lenina 5 (10-20)") {
		t.Errorf("buyer notification = %q", m.Body())
	}

	t.Run("BlockedBuyer", func(t *testing.T) {
		if err := u.Block(env.ctx); err != nil {
			t.Fatal(err)
		}
		msgs, err := env.bot.OrderMessages(env.ctx, o.ID, order.EventCompleted)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("OrderMessages = %v, %v; want the buyer's", msgs, err)
		}
		// The sender marks the buyer unreachable on this (workers' TestSender_Blocked).
		err = env.bot.Deliver(env.ctx, msgs[0])
		if se, ok := errors.AsType[*core.SendError](err); !ok || se.Code != 403 || msgs[0].User != core.UserID(u.ID()) {
			t.Errorf("Deliver to a blocked buyer = %v, want a 403 SendError naming the user", err)
		}
	})
}

func TestBot_RefundStars(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pay")
	res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	buyer := core.UserID(u.ID())
	for range 2 { // a retried job refunds once
		if err := env.bot.RefundStars(env.ctx, buyer, res.Payment.ChargeID); err != nil {
			t.Fatal(err)
		}
	}
	if ps := env.tg.Payments(); len(ps) != 1 || !ps[0].Refunded {
		t.Errorf("payments = %+v", ps)
	}
	if err := env.bot.RefundStars(env.ctx, buyer, "no-such-charge"); err == nil {
		t.Error("refund of an unknown charge succeeded")
	}
}

func TestWebhook_RefusesWithoutSecret(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	resp, err := http.Post(env.webhook, "application/json", strings.NewReader(`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"from":{"id":1,"first_name":"x"},"text":"/start"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", resp.StatusCode)
	}
	if n := len(env.tg.Calls()); n != 1 { // getMe only
		t.Errorf("the bot made %d calls", n)
	}
}

func TestShopper_UserContentEscaped(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Fish & <Chips>")
	env.product(owner, shop, "Tom & Jerry <3", `"Best" <b>cartoon</b>`, variant("", 150, 5))
	u := env.shopper("<i>Eve</i>", "en")
	env.send(u, "/start")
	if m := env.lastBot(u); !strings.Contains(m.Body(), "Hello, <i>Eve</i>!") {
		t.Errorf("welcome = %q", m.Body())
	}
	env.press(u, env.lastBot(u), "🏬 Fish & <Chips>")
	list := env.lastBot(u)
	if _, ok := list.Button("Tom & Jerry <3 · 150\u00a0⭐"); !ok {
		t.Errorf("buttons = %v", buttonLabels(list))
	}
	env.press(u, list, "Tom & Jerry <3")
	if card := env.lastBot(u); !strings.Contains(card.Body(), `Tom & Jerry <3`+"\n"+`"Best" <b>cartoon</b>`) {
		t.Errorf("card = %q", card.Body())
	}
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pay")
	if inv := env.lastInvoice(u).Invoice; !strings.Contains(inv.Description, "Fish & <Chips>: Tom & Jerry <3 × 1") {
		t.Errorf("invoice description = %q", inv.Description)
	}
	env.noErrorsLogged()
}
