package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// A pay-to-join purchase of a card shop whose price fell: the organizer
// chooses the mode; each shopper pays when joining, at the price their join
// reached; a paid place changes only by leaving; at STOP the one who paid
// more is told the difference comes back, the shop's staff are asked to
// refund it at the provider and record it with a tap, and the shopper is
// told it went back; their card keeps the record.
func TestGroupBuy_PayToJoin(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop, _ := env.bakery()
	env.product(seller, shop, "Хлеб", "", variant("", 12000, 0))
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "🤝 Совместные покупки")
	env.press(seller, env.wantBody(seller, "Пока ни одной."), "➕ Новая совместная покупка")
	env.press(seller, env.wantBody(seller, "Какой товар покупаем вместе?"), "Хлеб")
	env.send(seller, "100; 2: 90")
	env.press(seller, env.wantBody(seller, "Что считаем минимумом"), "Количество штук")
	env.send(seller, "2")
	env.send(seller, "0")
	env.press(seller, env.wantBody(seller, "Когда участники платят?"), "При вступлении")
	env.send(seller, env.clock.Now().Add(48*time.Hour).In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.messageWith(seller, "✅ Совместная покупка «Хлеб» открыта.")
	list, err := env.groups.ShopPurchases(env.ctx, core.UserID(seller.ID()), shop.ID, 5)
	if err != nil || len(list) != 1 || list[0].PayMode != groupbuy.PayToJoin {
		t.Fatalf("purchases %+v, %v", list, err)
	}
	gb := list[0]

	// Anna joins at 100 ₽ and pays at once.
	anna, boris := env.shopper("Анна", "ru"), env.shopper("Boris", "en")
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	env.wantBody(anna, "💳 Оплата при вступлении")
	env.press(anna, env.lastBot(anna), "➕ Хлеб")
	env.messageWith(anna, "🎉 Место за вами — оплатите его в течение часа")
	if inv := env.lastInvoice(anna); invoiceTotal(inv) != 10000 {
		t.Fatalf("Anna's invoice: %+v", inv.Invoice)
	}
	env.press(anna, env.messageWith(anna, "🎉 Место за вами"), "➕") // a new quantity is a new join, paid anew
	if inv := env.lastInvoice(anna); invoiceTotal(inv) != 18000 {
		t.Fatalf("Anna's invoice for two: %+v", inv.Invoice)
	}
	env.press(anna, env.messageWith(anna, "💳 Оплата при вступлении"), "➖")
	if res, err := anna.Pay(env.ctx, env.lastInvoice(anna), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid || res.Payment.TotalAmount != 10000 {
		t.Fatalf("Anna pays: %+v, %v", res, err)
	}
	env.waitFor("Anna's place paid", func() bool {
		for _, o := range env.buyerOrders(anna) {
			if o.Status == order.StatusPaid {
				return true
			}
		}
		return false
	})
	// Her card: paid, and a paid place changes only by leaving.
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	card := env.wantBody(anna, "• Хлеб × 1 · оплачено ✅")
	if _, ok := card.Button("🚪 Выйти (деньги вернутся)"); !ok {
		t.Errorf("a paid place's buttons %v", buttonLabels(card))
	}
	if _, ok := card.Button("➕"); ok {
		t.Errorf("a paid place offers ➕: %v", buttonLabels(card))
	}
	if got := env.forgePress(anna, card, fmt.Sprintf("gbq:%d:%d:2", gb.ID, gb.Variants[0])); !strings.Contains(got, "Ваше место оплачено") {
		t.Errorf("a paid place changed: %q", got)
	}

	// Boris's join brings 90 ₽.
	env.send(boris, fmt.Sprintf("/start gb_%d", gb.ID))
	env.press(boris, env.lastBot(boris), "➕ Хлеб")
	if res, err := boris.Pay(env.ctx, env.lastInvoice(boris), sandbox.PayOptions{}); err != nil || res.Payment.TotalAmount != 9000 {
		t.Fatalf("Boris pays: %+v, %v", res, err)
	}
	env.waitFor("Boris's place paid", func() bool {
		os := env.buyerOrders(boris)
		return len(os) == 1 && os[0].Status == order.StatusPaid
	})

	// STOP at 90 ₽: nobody is invoiced again; Anna is owed 10 ₽.
	if _, err := env.groups.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := env.groups.OrderPlaces(env.ctx, gb.ID, 0, func(o order.Order) error {
			t.Errorf("invoiced at STOP: %+v", o)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if keys := env.outboxKeys(groupbuy.JobOwed); len(keys) != 1 {
		t.Fatalf("owed jobs %v", keys)
	}
	owed := func() {
		t.Helper()
		places, err := env.groups.Places(env.ctx, gb.ID, core.UserID(anna.ID()))
		if err != nil || len(places) != 1 {
			t.Fatalf("Anna's places %+v, %v", places, err)
		}
		p, _ := env.groups.Purchase(env.ctx, gb.ID)
		msgs, err := env.bot.GroupBuys.OwedMessages(env.ctx, p, places[0]) // the workers' groupbuy:owed
		if err != nil {
			t.Fatal(err)
		}
		env.deliver(msgs...)
	}
	owed()
	env.messageWith(anna, "💸 Совместная покупка «Хлеб» состоялась по цене 90\u00a0₽ за шт.")
	ask := env.wantBody(seller, "Верните участнику разницу 10\u00a0₽", "Анна")
	if got := env.forgePress(anna, card, fmt.Sprintf("agb:%d:1", gb.ID)); !strings.Contains(got, "Это может только организатор") {
		t.Errorf("a shopper records a refund: %q", got)
	}
	env.press(seller, ask, "✅ Вернули 10\u00a0₽")
	env.wantBody(seller, "✅ Отмечено: 10\u00a0₽ возвращены")
	if keys := env.outboxKeys(groupbuy.JobOwed); len(keys) != 2 {
		t.Fatalf("owed jobs %v, want the ask and the returned", keys)
	}
	owed()
	env.messageWith(anna, "✅ Магазин вернул вам 10\u00a0₽")
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	env.wantBody(anna, "• Хлеб × 1 · оплачено", "возвращено 10\u00a0₽")
	env.noErrorsLogged()
}

// invoiceTotal is what an invoice asks, in minor units.
func invoiceTotal(m sandbox.Message) int {
	total := 0
	for _, p := range m.Invoice.Prices {
		total += p.Amount
	}
	return total
}

// A Stars purchase paid to join whose price fell: Stars come back only as a
// whole payment, so the first participant's payment is refunded whole and
// the final share invoiced, the bot saying why; the one who paid the final
// price is not invoiced again.
func TestGroupBuy_PayToJoinStars(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	stars := func(n int64) core.Money { return core.Money{Amount: n, Currency: core.Stars} }
	gb, err := env.groups.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID,
		Variants: []core.VariantID{p.Variants[0].ID}, Title: "Стикеры вместе", PayMode: groupbuy.PayToJoin,
		Tiers:   groupbuy.Tiers{{From: 1, Price: stars(100)}, {From: 3, Price: stars(80)}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 3}, Shipping: true, Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna, oleg := env.shopper("Анна", "ru"), env.shopper("Oleg", "en")
	for i, u := range []*sandbox.User{anna, oleg} {
		env.send(u, fmt.Sprintf("/start gb_%d", gb.ID))
		env.press(u, env.lastBot(u), "➕ Стикерпак")
		if i == 1 {
			env.press(u, env.messageWith(u, "💳 Pay to join"), "➕")
		}
		want := []int{100, 160}[i]
		if res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid || res.Payment.TotalAmount != want {
			t.Fatalf("%s pays: %+v, %v; want %d ⭐", u.Spec().FirstName, res, err, want)
		}
	}
	env.waitFor("both places paid", func() bool {
		paid := 0
		for _, u := range []*sandbox.User{anna, oleg} {
			for _, o := range env.buyerOrders(u) {
				if o.Status == order.StatusPaid {
					paid++
				}
			}
		}
		return paid == 2
	})
	if _, err := env.groups.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the workers' groupbuy:invoices, run twice
		if _, _, err := env.groups.OrderPlaces(env.ctx, gb.ID, 0, func(o order.Order) error {
			return env.bot.GroupBuys.SendPlaceInvoice(env.ctx, o)
		}); err != nil {
			t.Fatal(err)
		}
	}
	env.messageWith(anna, "Стикерпак × 1 по итоговой цене 80\u00a0⭐")
	env.messageWith(anna, "Цена упала. Звёзды возвращаются только целым платежом, поэтому 100\u00a0⭐, уплаченные при вступлении, вернутся полностью")
	if inv := env.lastInvoice(anna); invoiceTotal(inv) != 80 {
		t.Fatalf("Anna's final invoice: %d ⭐", invoiceTotal(inv))
	}
	if keys := env.outboxKeys(order.JobRefund); len(keys) != 1 {
		t.Errorf("refunds %v, want Anna's payment to join", keys)
	}
	for _, m := range oleg.Messages() {
		if strings.Contains(m.Body(), "goes ahead") {
			t.Errorf("Oleg, who paid the final price, was invoiced again: %q", m.Body())
		}
	}
	env.noErrorsLogged()
}
