package postgres

import (
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// orderGroupBuy records a group buy of a shop's variant, as groupbuystore
// does, for the orders of its places.
func (e *orderEnv) orderGroupBuy(shop orderShop, v core.VariantID) core.GroupBuyID {
	e.t.Helper()
	var id core.GroupBuyID
	err := e.pool.QueryRow(e.ctx, `
		INSERT INTO group_buys (shop_id, organizer_id, product_id, variant_ids, title, currency, tiers, min_kind, min_value,
			fee_bp, shipping, deadline, pay_mode, pay_window_seconds, created_at)
		SELECT $1, $2, product_id, ARRAY[$3::bigint], 'СП', $4, '[{"from":1,"price":40}]', 'units', 1, 1500, true, $5,
			'after_stop', 259200, $5
		FROM variants WHERE id = $3 RETURNING id`, shop.ID, shop.Owner, v, shop.Cur, orderStart).Scan(&id)
	if err != nil {
		e.t.Fatalf("insert group buy: %v", err)
	}
	return id
}

// An order of a group buy's place: priced at the purchase's price with the
// organizer's fee on top, paid for exactly that, and never touching the shop's
// stock (the supplier's goods) whether paid, cancelled or expired.
func TestOrders_Group(t *testing.T) {
	t.Parallel()
	e, shop, buyer, v := orderStarsShop(t)
	gb := e.orderGroupBuy(shop, v)
	place := func(key string) order.Order {
		t.Helper()
		o, err := e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: key, BuyerID: buyer, ShopID: shop.ID,
			Items: []order.Item{{VariantID: v, Quantity: 2}}, Delivery: order.DeliveryNone,
			Group: &order.Group{Purchase: gb, Price: core.Money{Amount: 40, Currency: core.Stars},
				Fee: core.Money{Amount: 12, Currency: core.Stars}, Until: orderStart.Add(72 * time.Hour)}})
		if err != nil {
			t.Fatalf("checkout: %v", err)
		}
		return o
	}
	o := place("gb-1")
	if o.ItemsTotal.Amount != 80 || o.Fee.Amount != 12 || o.Total.Amount != 92 || o.GroupBuy != gb || !o.ReservedUntil.Equal(orderStart.Add(72*time.Hour)) {
		t.Fatalf("the order %+v", o)
	}
	e.wantStock(v, 5, 0)
	if got, _ := e.svc.OrderForSystem(e.ctx, o.ID); got.Fee.Amount != 12 || got.GroupBuy != gb || got.Total.Amount != 92 {
		t.Errorf("read back %+v", got)
	}

	// Paid without the fee: refunded. Paid in full: paid, and still no stock.
	short := orderPaymentFor(o, "short")
	short.Total.Amount = 80
	if _, out, err := e.svc.RecordPayment(e.ctx, short); err != nil || out != order.PaymentRefunding {
		t.Errorf("paid without the fee: %q, %v", out, err)
	}
	paid := e.pay(o, "full")
	if paid.Status != order.StatusPaid {
		t.Fatalf("paid %+v", paid)
	}
	e.wantStock(v, 5, 0)
	cancelled, err := e.svc.Cancel(e.ctx, shop.Owner, o.ID, "the supplier failed")
	if err != nil || cancelled.Status != order.StatusCancelled {
		t.Fatalf("cancel: %+v, %v", cancelled, err)
	}
	e.wantStock(v, 5, 0)

	// Unpaid by the payment deadline: it expires, and a payment after that goes back.
	late := place("gb-2")
	e.clock.Set(late.ReservedUntil)
	if exp, err := e.svc.Expire(e.ctx, late.ID); err != nil || exp.Status != order.StatusExpired {
		t.Fatalf("expire: %+v, %v", exp, err)
	}
	e.wantStock(v, 5, 0)
	if _, out, err := e.svc.RecordPayment(e.ctx, orderPaymentFor(late, "late")); err != nil || out != order.PaymentRefunding {
		t.Errorf("a payment after the deadline: %q, %v", out, err)
	}
	if n := e.count(`SELECT count(*) FROM stock_movements WHERE variant_id = $1`, v); n != 1 {
		t.Errorf("%d stock movements, want only the opening receipt", n)
	}
	e.checkBooks()
}
