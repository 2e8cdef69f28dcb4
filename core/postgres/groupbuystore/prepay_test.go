package groupbuystore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/groupbuystore"
)

// prepaid opens a pay-to-join purchase of the tiers (1-19 at
// 1,000 ₽, 20-49 at 900 ₽, 50+ at 800 ₽, a 15 % fee), 20 units at least.
func (b *bundle) prepaid(t *testing.T) groupbuy.Purchase {
	t.Helper()
	p, err := b.svc.Create(b.ctx, seller, groupbuy.Purchase{
		Shop: b.shop, Product: b.prod, Variants: b.sizes, Title: "Кеды, оплата сразу",
		Tiers:   groupbuy.Tiers{{From: 1, Price: rub(1000)}, {From: 20, Price: rub(900)}, {From: 50, Price: rub(800)}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 20}, FeeBP: 1500,
		Pickup: []core.PickupPointID{b.pickup}, Deadline: t0.Add(24 * time.Hour), PayMode: groupbuy.PayToJoin,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// join joins buyer and returns the place's order.
func (b *bundle) joinPaying(t *testing.T, id groupbuy.ID, buyer core.UserID, v core.VariantID, qty int) order.Order {
	t.Helper()
	_, pl, err := b.svc.Join(b.ctx, buyer, id, v, qty, b.pickup)
	if err != nil || pl.Order == 0 {
		t.Fatalf("join of %d: %+v, %v", buyer, pl, err)
	}
	o, err := b.orders.OrderForSystem(b.ctx, pl.Order)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (b *bundle) pay(t *testing.T, o order.Order) {
	t.Helper()
	if _, outcome, err := b.orders.RecordPayment(b.ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, Total: o.Total,
		TelegramChargeID: fmt.Sprintf("c%d", o.ID), ProviderChargeID: fmt.Sprintf("p%d", o.ID)}); err != nil || outcome != order.PaymentApplied {
		t.Fatalf("payment of order %d: %s, %v", o.ID, outcome, err)
	}
}

// jobs counts the outbox's jobs of a kind.
func (b *bundle) jobs(t *testing.T, kind string) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A card purchase paid to join: each pays the tier their join reached; an
// unpaid place is given up after the pay window, a paid one changes only by
// leaving (refunded); at STOP the one who paid above the final price is owed
// the difference (asked of the staff, once), an unpaid one is invoiced at
// the final price, and the others owe nothing more.
func TestPayToJoinCard(t *testing.T) {
	t.Parallel()
	b := setup(t, 5)
	p := b.prepaid(t)
	first := b.joinPaying(t, p.ID, shoppers, b.sizes[0], 10)
	if first.Total != rub(11500) { // 10 × 1,000 ₽ + 15 %
		t.Fatalf("the first join's order: %v", first.Total)
	}
	b.pay(t, first)
	second := b.joinPaying(t, p.ID, shoppers+1, b.sizes[1], 10)
	if second.Total != rub(10350) { // the 20th unit brings 900 ₽
		t.Fatalf("the second join's order: %v", second.Total)
	}
	b.pay(t, second)
	// A double tap makes no second order.
	if _, pl, err := b.svc.Join(b.ctx, shoppers+1, p.ID, b.sizes[1], 10, b.pickup); err != nil || pl.Order != second.ID {
		t.Fatalf("the second join again: %+v, %v", pl, err)
	}

	// One who does not pay in time gives the place up.
	unpaid := b.joinPaying(t, p.ID, shoppers+2, b.sizes[2], 1)
	b.clock.Set(t0.Add(groupbuy.JoinPayWindow + time.Minute))
	if _, err := b.orders.Expire(b.ctx, unpaid.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := b.svc.DropUnpaid(b.ctx, p.ID); err != nil || n != 1 {
		t.Fatalf("dropped %d, %v", n, err)
	}
	if n, err := b.svc.DropUnpaid(b.ctx, p.ID); err != nil || n != 0 {
		t.Fatalf("dropped again %d, %v", n, err)
	}
	if got, _ := b.svc.Purchase(b.ctx, p.ID); got.Totals.Units != 20 {
		t.Fatalf("units after the unpaid place went: %d", got.Totals.Units)
	}

	// A paid place changes only by leaving, which refunds it.
	fourth := b.joinPaying(t, p.ID, shoppers+3, b.sizes[3], 5)
	b.pay(t, fourth)
	if _, _, err := b.svc.Join(b.ctx, shoppers+3, p.ID, b.sizes[3], 6, b.pickup); !errors.Is(err, groupbuy.ErrPaidPlace) {
		t.Fatalf("a paid place changed: %v", err)
	}
	if _, err := b.svc.Leave(b.ctx, shoppers+3, p.ID, b.sizes[3]); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.orders.OrderForSystem(b.ctx, fourth.ID); got.Status != order.StatusCancelled {
		t.Fatalf("the order of a paid place left: %s", got.Status)
	}
	if charges, err := b.orders.Payments(b.ctx, seller, fourth.ID); err != nil || len(charges) != 1 || charges[0].Status != order.ChargeRefundPending {
		t.Fatalf("the charge of a paid place left: %+v, %v", charges, err)
	}

	// Joining again after giving up makes a new order; an unpaid place's
	// change makes another, calling the last off.
	again := b.joinPaying(t, p.ID, shoppers+2, b.sizes[2], 1)
	if again.ID == unpaid.ID {
		t.Fatal("the place joined again kept its expired order")
	}
	changed := b.joinPaying(t, p.ID, shoppers+2, b.sizes[2], 2)
	if changed.ID == again.ID || changed.Total != rub(2070) {
		t.Fatalf("the changed place's order %+v", changed)
	}
	if got, _ := b.orders.OrderForSystem(b.ctx, again.ID); got.Status != order.StatusCancelled {
		t.Fatalf("the order of the place before its change: %s", got.Status)
	}

	// STOP counts the paid units alone: the unpaid place (2 units) leaves,
	// its order called off, and the 20 paid bring 900 ₽.
	stopped, err := b.svc.Stop(b.ctx, seller, p.ID)
	if err != nil || stopped.Totals.Units != 20 || stopped.Price != rub(900) {
		t.Fatalf("STOP: %+v, %v", stopped, err)
	}
	if places, _ := b.svc.Places(b.ctx, p.ID, shoppers+2); len(places) != 0 {
		t.Fatalf("the unpaid place after STOP: %+v", places)
	}
	if n := b.jobs(t, groupbuy.JobCallOff); n < 1 {
		t.Fatal("the unpaid place's order is not called off")
	}
	if err := b.svc.CallOffPlaceOrder(b.ctx, changed.ID, groupbuy.UnpaidReason); err != nil { // the workers' groupbuy:calloff
		t.Fatal(err)
	}
	if got, _ := b.orders.OrderForSystem(b.ctx, changed.ID); got.Status != order.StatusCancelled || got.CancelReason != groupbuy.UnpaidReason {
		t.Fatalf("the unpaid join order after STOP: %s %q", got.Status, got.CancelReason)
	}
	// Nobody is invoiced again: both paid places paid no less than their share.
	for range 2 {
		if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
			t.Errorf("invoiced at STOP: %+v", o)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	places, err := b.svc.Places(b.ctx, p.ID, shoppers)
	if err != nil || len(places) != 1 || places[0].Owed != rub(1150) || places[0].Goods != rub(9000) || places[0].Fee != rub(1350) {
		t.Fatalf("the first place after STOP: %+v, %v; want 1,150 ₽ owed", places, err)
	}
	if places, _ := b.svc.Places(b.ctx, p.ID, shoppers+1); places[0].Owed.Amount != 0 {
		t.Fatalf("the place that paid the final price is owed %v", places[0].Owed)
	}
	if n := b.jobs(t, groupbuy.JobOwed); n != 1 {
		t.Fatalf("%d owed jobs, want one", n)
	}

	// The shop's staff record the refund, once; nobody else may.
	owed := places[0]
	if _, err := b.svc.ReturnOwed(b.ctx, stranger, p.ID, owed.ID); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Fatalf("a stranger records the refund: %v", err)
	}
	if _, err := b.svc.ReturnOwed(b.ctx, seller, p.ID, places[0].ID+1000); !errors.Is(err, groupbuy.ErrNotOwed) {
		t.Fatalf("a place owed nothing: %v", err)
	}
	for range 2 {
		if got, err := b.svc.ReturnOwed(b.ctx, seller, p.ID, owed.ID); err != nil || got.OwedReturned.IsZero() {
			t.Fatalf("recorded: %+v, %v", got, err)
		}
	}
	if n := b.jobs(t, groupbuy.JobOwed); n != 2 {
		t.Fatalf("%d owed jobs, want the ask and the returned", n)
	}
}

// A Stars purchase paid to join whose price fell: Stars are refunded whole
// only, so the payment is called off (refunded) and the final share invoiced
// as a new order, once; the place keeps the new order, the old one as its
// join order. A failed pay-to-join purchase refunds everyone and does not
// reopen.
func TestPayToJoinStars(t *testing.T) {
	t.Parallel()
	b := setup(t, 3)
	cat := catalog.NewService(postgres.NewCatalog(b.pool), b.clock, nil)
	shop, err := cat.CreateShop(b.ctx, seller, catalog.NewShop{Name: "Стикеры", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		t.Fatal(err)
	}
	stars := func(n int64) core.Money { return core.Money{Amount: n, Currency: core.Stars} }
	prod, err := cat.CreateProduct(b.ctx, seller, catalog.NewProduct{ShopID: shop.ID, Title: "Набор", Variants: []catalog.NewVariant{{Price: stars(100)}}})
	if err != nil {
		t.Fatal(err)
	}
	v := prod.Variants[0].ID
	open := func(title string, min int) groupbuy.Purchase {
		p, err := b.svc.Create(b.ctx, seller, groupbuy.Purchase{Shop: shop.ID, Product: prod.ID, Variants: []core.VariantID{v}, Title: title,
			Tiers: groupbuy.Tiers{{From: 1, Price: stars(100)}, {From: 3, Price: stars(80)}}, Shipping: true,
			Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: int64(min)}, Deadline: t0.Add(24 * time.Hour), PayMode: groupbuy.PayToJoin})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	join := func(p groupbuy.Purchase, buyer core.UserID, qty int) order.Order {
		_, pl, err := b.svc.Join(b.ctx, buyer, p.ID, v, qty, 0)
		if err != nil {
			t.Fatal(err)
		}
		o, err := b.orders.OrderForSystem(b.ctx, pl.Order)
		if err != nil {
			t.Fatal(err)
		}
		b.pay(t, o)
		return o
	}
	p := open("Набор вместе", 3)
	first := join(p, shoppers, 1)    // 100 ⭐
	second := join(p, shoppers+1, 2) // 3 units: 80 ⭐ each
	if first.Total != stars(100) || second.Total != stars(160) {
		t.Fatalf("paid to join: %v, %v", first.Total, second.Total)
	}
	if _, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil {
		t.Fatal(err)
	}
	var sent []order.Order
	for range 2 {
		if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
			sent = append(sent, o)
			return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, int64(100+len(sent)))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(sent) != 1 || sent[0].BuyerID != shoppers || sent[0].Total != stars(80) {
		t.Fatalf("invoiced at STOP: %+v, want 80 ⭐ to the first", sent)
	}
	if got, _ := b.orders.OrderForSystem(b.ctx, first.ID); got.Status != order.StatusCancelled && got.Status != order.StatusRefundPending {
		t.Fatalf("the first join order after STOP: %s", got.Status)
	}
	if charges, err := b.orders.Payments(b.ctx, seller, first.ID); err != nil || len(charges) != 1 || charges[0].Status != order.ChargeRefundPending {
		t.Fatalf("the first payment after STOP: %+v, %v; want it refunded whole", charges, err)
	}
	places, err := b.svc.Places(b.ctx, p.ID, shoppers)
	if err != nil || places[0].Order != sent[0].ID || places[0].JoinOrder != first.ID {
		t.Fatalf("the first place after STOP: %+v, %v", places, err)
	}
	if got, _ := b.orders.OrderForSystem(b.ctx, second.ID); got.Status != order.StatusPaid {
		t.Fatalf("the order that paid the final price: %s", got.Status)
	}

	// An order made as the purchase closes is not linked to its place: the
	// close, or a cancel, would not see it to call it off.
	late := open("Поздно", 1)
	_, latePlace, err := b.svc.Join(b.ctx, shoppers+2, late.ID, v, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Cancel(b.ctx, seller, late.ID); err != nil {
		t.Fatal(err)
	}
	if linked, err := groupbuystore.New(b.pool).LinkJoinOrder(b.ctx, late.ID, latePlace.ID, latePlace.JoinSeq, latePlace.Order+1000); linked || !errors.Is(err, groupbuy.ErrClosed) {
		t.Fatalf("linked to a cancelled purchase: %v, %v", linked, err)
	}

	// One that fails refunds its payments, and is not reopened.
	short := open("Мало", 5)
	lone := join(short, shoppers+2, 1)
	b.clock.Set(short.Deadline)
	if _, _, err := b.svc.Close(b.ctx, short.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := b.svc.CallOffOrders(b.ctx, short.ID); err != nil || n != 1 {
		t.Fatalf("called off %d, %v", n, err)
	}
	if got, _ := b.orders.OrderForSystem(b.ctx, lone.ID); got.CancelReason != groupbuy.FailedReason {
		t.Fatalf("the order of a failed purchase: %+v", got)
	}
	if _, err := b.svc.Reopen(b.ctx, seller, short.ID, short.Deadline.Add(time.Hour)); !errors.Is(err, groupbuy.ErrPrepaidReopen) {
		t.Fatalf("reopened: %v", err)
	}
}
