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

// End-to-end tests of the seller's orders: a paid order opened from the staff
// notification, shipped with a tracking note, completed; an order cancelled after
// the confirmation step; the totals.

// buyNow walks a shopper from a product link to an order: paid when pay is set,
// else awaiting payment.
func (e *testEnv) buyNow(u *sandbox.User, p core.ProductID, pay bool) order.Order {
	e.t.Helper()
	if err := u.Start(e.ctx, telegram.ProductLink(p)); err != nil {
		e.t.Fatal(err)
	}
	e.press(u, e.lastBot(u), "Buy now")
	e.press(u, e.lastBot(u), "Pay")
	if pay {
		if res, err := u.Pay(e.ctx, e.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
			e.t.Fatalf("pay = %+v, %v", res, err)
		}
	}
	return e.buyerOrders(u)[0]
}

// shippingOption is a shipping option of shop at amount minor units of its currency
// (0: free).
func shippingOption(shop core.ShopID, name string, amount int64) catalog.ShippingOption {
	return catalog.ShippingOption{ShopID: shop, Name: name, Price: core.Money{Amount: amount}}
}

func TestSeller_ShipsPaidOrder(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub") // speaks Russian
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	o := env.buyNow(u, p.ID, true)
	num := strconv.FormatInt(int64(o.ID), 10)

	// The worker relays the outbox's notification; here the test calls it.
	if err := env.notifyOrder(o.ID, order.EventPaid); err != nil {
		t.Fatal(err)
	}
	env.press(owner, env.wantBody(owner, "Новый оплаченный заказ №"+num), "Открыть заказ")
	detail := env.wantBody(owner, "Заказ №"+num, "Статус: оплачен", "Cat stickers — 1 × 150\u00a0⭐",
		"Итого: 150\u00a0⭐", "Покупатель: Anna")
	env.press(owner, detail, "Отправлен")
	env.wantBody(owner, "Пришлите трек-номер")
	env.sendPhoto(owner)
	env.wantBody(owner, "Это фото, а сейчас нужно другое: трек-номер или комментарий текстом")
	env.send(owner, "RA123456789RU")
	env.messageWith(owner, "отмечен отправленным")
	detail = env.wantBody(owner, "Статус: отправлен", "Трек: RA123456789RU")

	o, err := env.orders.OrderForSystem(env.ctx, o.ID)
	if err != nil || o.Status != order.StatusShipped || o.TrackingNote != "RA123456789RU" {
		t.Fatalf("order = %+v, %v", o, err)
	}
	if err := env.notifyOrder(o.ID, order.EventShipped); err != nil {
		t.Fatal(err)
	}
	env.wantBody(u, "Order #"+num+" is shipped", "Tracking: RA123456789RU")

	ans := env.press(owner, detail, "Получен покупателем")
	if !strings.Contains(ans.Text, "Заказ №"+num+" получен") {
		t.Errorf("complete answer = %q", ans.Text)
	}
	env.wantBody(owner, "Статус: получен")
	// A second tap finds the order completed already.
	if got := env.forgePress(owner, detail, "aoc:"+num); got != "С заказом в этом статусе так сделать нельзя." {
		t.Errorf("second complete = %q", got)
	}

	t.Run("Totals", func(t *testing.T) {
		env.send(owner, "/admin")
		env.press(owner, env.lastBot(owner), "Итоги")
		env.wantBody(owner, "За 24 часа: 1 заказ на 150\u00a0⭐", "За 7 дней: 1 заказ на 150\u00a0⭐")
	})

	t.Run("CancelWithConfirmation", func(t *testing.T) {
		o2 := env.buyNow(u, p.ID, false)
		if _, res := env.stock(p.Variants[0].ID); res != 1 {
			t.Fatalf("reserved = %d", res)
		}
		env.send(owner, "/admin")
		env.press(owner, env.lastBot(owner), "Заказы")
		list := env.wantBody(owner, "Оплачены (0)")
		for _, tab := range []string{"• ✅ Оплачены (0) •", "💳 Ждут оплаты (1)", "🎉 Получены (1)", "✖️ Отменены (0)"} {
			if _, ok := list.Button(tab); !ok {
				t.Errorf("no tab %q: %v", tab, buttonLabels(list))
			}
		}
		env.press(owner, list, "Ждут оплаты")
		env.press(owner, env.lastBot(owner), "№"+strconv.FormatInt(int64(o2.ID), 10))
		env.press(owner, env.wantBody(owner, "Статус: ждёт оплаты"), "Отменить заказ")
		confirm := env.wantBody(owner, "Отменить заказ №"+strconv.FormatInt(int64(o2.ID), 10), "Товар вернётся в продажу")
		env.press(owner, confirm, "Да, отменить")
		env.wantBody(owner, "Статус: отменён")
		if _, res := env.stock(p.Variants[0].ID); res != 0 {
			t.Errorf("reserved after cancel = %d", res)
		}
	})

	t.Run("ReadyForPickup", func(t *testing.T) {
		if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(owner.ID()), catalog.PickupPoint{
			ShopID: shop.ID, Name: "Kiosk", Address: "Lenina 5",
		}); err != nil {
			t.Fatal(err)
		}
		if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
			t.Fatal(err)
		}
		env.press(u, env.lastBot(u), "Buy now")
		env.press(u, env.lastBot(u), "Pickup: Kiosk")
		if res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
			t.Fatalf("pay = %+v, %v", res, err)
		}
		o4 := env.buyerOrders(u)[0]
		env.send(owner, "/admin")
		env.press(owner, env.lastBot(owner), "Заказы")
		env.press(owner, env.lastBot(owner), "№"+strconv.FormatInt(int64(o4.ID), 10))
		detail := env.wantBody(owner, "Статус: оплачен", "📍 Kiosk, Lenina 5")
		if _, ok := detail.Button("Отправлен"); ok {
			t.Errorf("a pickup order offers shipping: %v", buttonLabels(detail))
		}
		env.press(owner, detail, "Готов к выдаче")
		env.press(owner, env.wantBody(owner, "Статус: готов к выдаче"), "Получен покупателем")
		if got, _ := env.orders.OrderForSystem(env.ctx, o4.ID); got.Status != order.StatusCompleted {
			t.Errorf("status = %s", got.Status)
		}
	})

	t.Run("PaidCardOrderCancelTellsToRefund", func(t *testing.T) {
		cardOwner, cardShop := env.cardShop("Bakery")
		bread := env.product(cardOwner, cardShop, "Bread", "", variant("", 12000, 3))
		if _, err := env.catalog.AddShippingOption(env.ctx, core.UserID(cardOwner.ID()), shippingOption(cardShop.ID, "Courier", 0)); err != nil {
			t.Fatal(err)
		}
		if err := u.Start(env.ctx, telegram.ProductLink(bread.ID)); err != nil {
			t.Fatal(err)
		}
		env.press(u, env.lastBot(u), "Buy now")
		env.press(u, env.lastBot(u), "Delivery")
		if res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
			t.Fatalf("pay = %+v, %v", res, err)
		}
		o3 := env.buyerOrders(u)[0]
		env.send(cardOwner, "/admin")
		env.press(cardOwner, env.lastBot(cardOwner), "Заказы")
		env.press(cardOwner, env.lastBot(cardOwner), "№"+strconv.FormatInt(int64(o3.ID), 10))
		env.press(cardOwner, env.wantBody(cardOwner, "Доставка по адресу"), "Отменить заказ")
		env.press(cardOwner, env.wantBody(cardOwner, "нужно будет вернуть через платёжного провайдера"), "Да, отменить")
		env.wantBody(cardOwner, "Статус: отменён", "Верните покупателю 120\u00a0₽ через платёжного провайдера")
		if on, _ := env.stock(bread.Variants[0].ID); on != 3 {
			t.Errorf("on hand after cancelling a paid order = %d, want 3", on)
		}
	})
	env.noErrorsLogged()
}

func TestSeller_OutsidersAreRefused(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	buyer := env.shopper("Anna", "en")
	o := env.buyNow(buyer, p.ID, true)
	outsider := env.shopper("Eve", "en")

	env.send(outsider, "/admin")
	env.wantBody(outsider, "You have no shop yet", "/sell")

	shopID := strconv.FormatInt(int64(shop.ID), 10)
	productID := strconv.FormatInt(int64(p.ID), 10)
	variantID := strconv.FormatInt(int64(p.Variants[0].ID), 10)
	orderID := strconv.FormatInt(int64(o.ID), 10)
	for _, data := range []string{
		"am:" + shopID, "apl:" + shopID + ":0:0", "ap:" + productID, "apa:" + productID + ":1",
		"avk:" + variantID + ":w", "ast:" + shopID, "asx:" + shopID, "ase:" + shopID, "asf:" + shopID,
		"asfi:" + shopID, "aol:" + shopID + ":p:0", "apn:" + shopID,
	} {
		if got := env.forgePress(outsider, sandbox.Message{}, data); got != "Only the shop's staff can do this." {
			t.Errorf("outsider pressed %s: %q", data, got)
		}
	}
	// Orders are not found for anyone but their buyer and the shop's staff, so ids
	// cannot be probed.
	for _, data := range []string{"ao:" + orderID, "aos:" + orderID, "aoy:" + orderID, "aoc:" + orderID} {
		if got := env.forgePress(outsider, sandbox.Message{}, data); got != "Order not found." {
			t.Errorf("outsider pressed %s: %q", data, got)
		}
	}
	if got := env.forgePress(outsider, sandbox.Message{}, "aob:"+shopID+":1"); got != "Only platform operators can do this." {
		t.Errorf("outsider blocks: %q", got)
	}
	// The buyer may see their own order, not its admin screen.
	if got := env.forgePress(buyer, sandbox.Message{}, "ao:"+orderID); got != "Only the shop's staff can do this." {
		t.Errorf("buyer opens the admin order: %q", got)
	}
	if got := env.forgePress(buyer, sandbox.Message{}, "aoc:"+orderID); got != "Only the shop's staff can do this." {
		t.Errorf("buyer completes a paid order: %q", got)
	}

	p, err := env.catalog.Product(env.ctx, p.ID)
	if err != nil || p.Archived {
		t.Errorf("product = %+v, %v", p, err)
	}
	if got, _ := env.orders.OrderForSystem(env.ctx, o.ID); got.Status != order.StatusPaid {
		t.Errorf("order status = %s", got.Status)
	}
	if sh, _ := env.catalog.Shop(env.ctx, shop.ID); sh.Blocked {
		t.Error("the shop was blocked")
	}
	if n := len(env.tg.CallsTo("sendDocument")); n != 0 {
		t.Errorf("stock exported to an outsider: %d documents", n)
	}
	env.noErrorsLogged()
}

// Staff notifications are the system writing, not a staff member acting: they
// reach the staff whoever opened the shop.
func TestBot_NotifiesStaffOfShopWhoseFounderLeft(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub") // speaks Russian
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	manager := env.shopper("Max", "en")
	env.send(manager, "/help")
	inv, err := env.catalog.CreateInvite(env.ctx, core.UserID(owner.ID()), shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.catalog.AcceptInvite(env.ctx, core.UserID(manager.ID()), inv.Token); err != nil {
		t.Fatal(err)
	}
	// The person recorded as the shop's creator no longer works for it (as after a
	// change of ownership).
	founder := env.shopper("Founder", "en")
	env.send(founder, "/help")
	if _, err := env.pool.Exec(env.ctx, `UPDATE shops SET created_by = $1 WHERE id = $2`, founder.ID(), shop.ID); err != nil {
		t.Fatal(err)
	}

	u := env.shopper("Anna", "en")
	o := env.buyNow(u, p.ID, true)
	if err := env.notifyOrder(o.ID, order.EventPaid); err != nil {
		t.Fatalf("NotifyOrder: %v", err)
	}
	num := strconv.FormatInt(int64(o.ID), 10)
	env.wantBody(owner, "Новый оплаченный заказ №"+num)
	env.wantBody(manager, "New paid order #"+num)
	if m := env.lastBot(founder); strings.Contains(m.Body(), "paid order") {
		t.Errorf("the founder, not staff, was notified: %q", m.Body())
	}
	env.noErrorsLogged()
}

func TestSeller_ConfirmsCardRefund(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.cardShop("Bakery") // speaks Russian
	if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(owner.ID()), catalog.PickupPoint{
		ShopID: shop.ID, Name: "Kiosk", Address: "Lenina 5",
	}); err != nil {
		t.Fatal(err)
	}
	bread := env.product(owner, shop, "Bread", "", variant("", 12000, 3))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(bread.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pickup: Kiosk")
	res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{})
	if err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	o := env.buyerOrders(u)[0]
	num := strconv.FormatInt(int64(o.ID), 10)

	env.send(owner, "/admin")
	wantButton(t, env.lastBot(owner), "🧾 Заказы · ждут: 1") // the paid order waits for the staff
	env.press(owner, env.lastBot(owner), "Заказы")
	env.press(owner, env.lastBot(owner), "№"+num)
	detail := env.wantBody(owner, "Оплаты", "120\u00a0₽ — получена", res.Payment.ProviderChargeID, res.Payment.ChargeID)
	if _, ok := detail.Button("Возвращено"); ok {
		t.Errorf("a payment that pays its order offers a refund: %v", buttonLabels(detail))
	}
	env.press(owner, detail, "Отменить заказ")
	env.press(owner, env.lastBot(owner), "Да, отменить")
	cancelled := env.wantBody(owner, "Статус: отменён", "120\u00a0₽ — нужно вернуть")
	env.press(owner, cancelled, "💸 Возвращено через провайдера: 120\u00a0₽")
	ask := env.wantBody(owner, "Вы вернули покупателю 120\u00a0₽ за заказ №"+num, res.Payment.ProviderChargeID)
	ans := env.press(owner, ask, "Да, возврат сделан")
	if ans.Text != "Возврат отмечен: покупатель получит уведомление" {
		t.Errorf("answer = %q", ans.Text)
	}
	refunded := env.wantBody(owner, "Статус: оплата возвращена", "120\u00a0₽ — возвращена")
	if _, ok := refunded.Button("Возвращено"); ok {
		t.Errorf("a refunded payment still offers a refund: %v", buttonLabels(refunded))
	}
	got, err := env.orders.OrderForSystem(env.ctx, o.ID)
	if err != nil || got.Status != order.StatusRefunded {
		t.Fatalf("order = %+v, %v", got, err)
	}

	// The buyer is told through the outbox's notification.
	var jobs int
	if err := env.pool.QueryRow(env.ctx, `SELECT count(*) FROM outbox WHERE kind = $1 AND key = $2`,
		order.JobNotify, "order:notify:"+num+":refunded:"+res.Payment.ChargeID).Scan(&jobs); err != nil || jobs != 1 {
		t.Errorf("refunded notifications in the outbox = %d, %v", jobs, err)
	}
	if err := env.notifyOrder(o.ID, order.EventRefunded); err != nil {
		t.Fatal(err)
	}
	env.wantBody(u, "The payment for order #"+num, "is refunded")

	t.Run("SecondTapAndStrangers", func(t *testing.T) {
		pays, err := env.orders.Payments(env.ctx, core.UserID(owner.ID()), o.ID)
		if err != nil || len(pays) != 1 {
			t.Fatalf("payments = %+v, %v", pays, err)
		}
		data := "arfy:" + num + ":" + strconv.FormatInt(int64(pays[0].ID), 10)
		if got := env.forgePress(owner, ask, data); got != "Возврат отмечен: покупатель получит уведомление" {
			t.Errorf("second tap = %q", got)
		}
		if got := env.forgePress(u, sandbox.Message{}, data); got != "Only the shop's staff can do this." {
			t.Errorf("the buyer confirms a refund: %q", got)
		}
		if got := env.forgePress(env.shopper("Eve", "en"), sandbox.Message{}, data); got != "Order not found." {
			t.Errorf("an outsider confirms a refund: %q", got)
		}
		if got := env.forgePress(owner, sandbox.Message{}, "arfy:"+num+":999999"); got != "Платёж не найден." {
			t.Errorf("an unknown payment: %q", got)
		}
	})

	t.Run("StarsAreRefundedByTheWorker", func(t *testing.T) {
		starsOwner, starsShop := env.starsShop("Sticker Hub")
		p := env.product(starsOwner, starsShop, "Cat stickers", "", variant("", 150, 5))
		so := env.buyNow(u, p.ID, true)
		if _, err := env.orders.Cancel(env.ctx, core.UserID(starsOwner.ID()), so.ID, ""); err != nil {
			t.Fatal(err)
		}
		sNum := strconv.FormatInt(int64(so.ID), 10)
		env.send(starsOwner, "/admin")
		env.press(starsOwner, env.lastBot(starsOwner), "Заказы")
		env.press(starsOwner, env.lastBot(starsOwner), "Отменены")
		env.press(starsOwner, env.lastBot(starsOwner), "№"+sNum)
		view := env.wantBody(starsOwner, "возвращаются покупателю автоматически", "150\u00a0⭐ — нужно вернуть")
		if _, ok := view.Button("Возвращено"); ok {
			t.Errorf("a Stars payment offers a manual refund: %v", buttonLabels(view))
		}
		pays, err := env.orders.Payments(env.ctx, core.UserID(starsOwner.ID()), so.ID)
		if err != nil || len(pays) != 1 {
			t.Fatalf("payments = %+v, %v", pays, err)
		}
		data := "arfy:" + sNum + ":" + strconv.FormatInt(int64(pays[0].ID), 10)
		if got := env.forgePress(starsOwner, sandbox.Message{}, data); got != "С заказом в этом статусе так сделать нельзя." {
			t.Errorf("confirming a Stars refund = %q", got)
		}
		if pays, _ := env.orders.Payments(env.ctx, core.UserID(starsOwner.ID()), so.ID); pays[0].Status != order.ChargeRefundPending {
			t.Errorf("the Stars payment is %s; the worker must still refund it", pays[0].Status)
		}
	})
	env.noErrorsLogged()
}

// The refund job of a card payment asks every staff member to refund it at the
// provider and to confirm it from the message.
func TestBot_RequestCardRefund(t *testing.T) {
	env := newTestEnv(t)
	owner, shop := env.cardShop("Bakery") // speaks Russian
	if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(owner.ID()), catalog.PickupPoint{
		ShopID: shop.ID, Name: "Kiosk", Address: "Lenina 5",
	}); err != nil {
		t.Fatal(err)
	}
	manager := env.shopper("Max", "en")
	env.send(manager, "/help")
	inv, err := env.catalog.CreateInvite(env.ctx, core.UserID(owner.ID()), shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.catalog.AcceptInvite(env.ctx, core.UserID(manager.ID()), inv.Token); err != nil {
		t.Fatal(err)
	}
	bread := env.product(owner, shop, "Bread", "", variant("", 12000, 3))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(bread.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pickup: Kiosk")
	res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{})
	if err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	o := env.buyerOrders(u)[0]
	num := strconv.FormatInt(int64(o.ID), 10)
	if _, err := env.orders.Cancel(env.ctx, core.UserID(owner.ID()), o.ID, "out of flour"); err != nil {
		t.Fatal(err)
	}
	ch, err := env.orders.Charge(env.ctx, res.Payment.ChargeID)
	if err != nil || ch.Status != order.ChargeRefundPending {
		t.Fatalf("charge = %+v, %v", ch, err)
	}

	if err := env.requestCardRefund(ch); err != nil {
		t.Fatalf("RequestCardRefund: %v", err)
	}
	env.wantBody(owner, "Заказ №"+num+" · Bakery отменён", "Верните покупателю 120\u00a0₽", res.Payment.ProviderChargeID)
	request := env.wantBody(manager, "Order #"+num+" · Bakery is cancelled", "Please refund ₽120", res.Payment.ProviderChargeID)
	env.press(manager, request, "Refunded at the provider")
	env.press(manager, env.wantBody(manager, "Did you refund ₽120 for order #"+num), "Yes, it is refunded")
	env.wantBody(manager, "Status: refunded")
	if got, _ := env.orders.OrderForSystem(env.ctx, o.ID); got.Status != order.StatusRefunded {
		t.Errorf("order = %s, want refunded", got.Status)
	}

	// A retried job finds the payment refunded and sends nothing.
	sent := len(env.tg.CallsTo("sendMessage"))
	if err := env.requestCardRefund(ch); err != nil {
		t.Errorf("RequestCardRefund again: %v", err)
	}
	if n := len(env.tg.CallsTo("sendMessage")); n != sent {
		t.Errorf("messages sent by a retry = %d", n-sent)
	}
	// The button of the other staff member's message finds it done.
	if ans := env.press(owner, env.messageWith(owner, "Верните покупателю"), "Возвращено через провайдера"); ans.Text != "Возврат отмечен: покупатель получит уведомление" {
		t.Errorf("owner's late tap = %q", ans.Text)
	}

	t.Run("StarsAreNotAskedOf", func(t *testing.T) {
		starsOwner, starsShop := env.starsShop("Sticker Hub")
		p := env.product(starsOwner, starsShop, "Cat stickers", "", variant("", 150, 5))
		so := env.buyNow(u, p.ID, true)
		if _, err := env.orders.Cancel(env.ctx, core.UserID(starsOwner.ID()), so.ID, ""); err != nil {
			t.Fatal(err)
		}
		pays, err := env.orders.Payments(env.ctx, core.UserID(starsOwner.ID()), so.ID)
		if err != nil || len(pays) != 1 {
			t.Fatalf("payments = %+v, %v", pays, err)
		}
		err = env.requestCardRefund(pays[0])
		if core.ErrorCode(err) != core.EINVALID {
			t.Errorf("RequestCardRefund(stars) = %v, want an invalid-request error", err)
		}
	})
	env.noErrorsLogged()
}
