package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres/groupbuystore"
)

// A group buy that stopped: each participant is told it goes ahead and gets
// the invoice of their place (the final price, the organizer's fee), once,
// and pays it.
func TestGroupBuy_Invoices(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	svc := groupbuy.NewService(groupbuystore.New(env.pool), env.orders, env.clock)
	gb, err := svc.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID,
		Variants: []core.VariantID{p.Variants[0].ID}, Title: "Стикеры вместе",
		Tiers:   groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}, {From: 3, Price: core.Money{Amount: 80, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 3}, FeeBP: 1000, Shipping: true, Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna, oleg := env.shopper("Анна", "ru"), env.shopper("Oleg", "en")
	for i, u := range []*sandbox.User{anna, oleg} {
		env.send(u, "/start")
		if _, _, err := svc.Join(env.ctx, core.UserID(u.ID()), gb.ID, p.Variants[0].ID, 1+i, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the workers' groupbuy:invoices, run twice
		if _, more, err := svc.OrderPlaces(env.ctx, gb.ID, 0, func(o order.Order) error {
			return env.bot.GroupBuys.SendPlaceInvoice(env.ctx, o)
		}); err != nil || more {
			t.Fatalf("order places: %v, %v", more, err)
		}
	}
	// Anna: 1 × 80 ⭐ and her part of the 10 % fee (24 ⭐ in all: 8 and 16).
	env.messageWith(anna, "🎉 Совместная покупка состоялась: Стикерпак × 1 по итоговой цене 80\u00a0⭐ за шт., сбор организатора 8\u00a0⭐. К оплате: 88\u00a0⭐")
	env.messageWith(oleg, "🎉 The group buy goes ahead: Стикерпак × 2 at the final price of 80\u00a0⭐ each, organizer's fee 16\u00a0⭐. To pay: 176\u00a0⭐")
	invoices := 0
	for _, m := range anna.Messages() {
		if m.Invoice != nil {
			invoices++
		}
	}
	if invoices != 1 {
		t.Errorf("Anna got %d invoices, want one", invoices)
	}
	if res, err := anna.Pay(env.ctx, env.lastInvoice(anna), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid || res.Payment.TotalAmount != 88 {
		t.Fatalf("pay: %+v, %v", res, err)
	}
	env.waitFor("Anna's place paid", func() bool {
		os := env.buyerOrders(anna)
		return len(os) == 1 && os[0].Status == order.StatusPaid && os[0].GroupBuy == gb.ID
	})
	if !strings.Contains(env.lastBot(anna).Body(), "Оплата получена") {
		t.Errorf("after paying: %q", env.lastBot(anna).Body())
	}
	env.noErrorsLogged()
}
