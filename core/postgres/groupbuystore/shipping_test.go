package groupbuystore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// The shipping to the pickup point is split among the paid places by their
// goods, the parts adding up to it exactly, once; the organizer's alone; each
// share becomes an order of its own, invoiced once.
func TestSplitShipping(t *testing.T) {
	t.Parallel()
	b := setup(t, 4)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 1})
	for i, qty := range []int{1, 2, 3, 1} {
		if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+i), p.ID, b.sizes[i], qty, b.pickup); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
		if o.BuyerID == shoppers+3 {
			return nil // the last does not pay: no share
		}
		_, _, err := b.orders.RecordPayment(b.ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, Total: o.Total,
			TelegramChargeID: fmt.Sprintf("c%d", o.ID), ProviderChargeID: fmt.Sprintf("p%d", o.ID)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.SplitShipping(b.ctx, stranger, p.ID, rub(100)); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Fatalf("a stranger splits: %v", err)
	}
	shares, err := b.svc.SplitShipping(b.ctx, seller, p.ID, core.Money{Amount: 10001, Currency: "RUB"})
	if err != nil || len(shares) != 3 {
		t.Fatalf("split: %+v, %v", shares, err)
	}
	var sum int64
	for _, sh := range shares {
		sum += sh.Share
	}
	if sum != 10001 || shares[0].Share != 1667 || shares[1].Share != 3334 || shares[2].Share != 5000 {
		t.Fatalf("shares %+v (sum %d); want 1/6, 2/6 and 3/6 of 100,01 ₽, adding up", shares, sum)
	}
	if _, err := b.svc.SplitShipping(b.ctx, seller, p.ID, rub(50)); !errors.Is(err, groupbuy.ErrShippingSplit) {
		t.Fatalf("split twice: %v", err)
	}
	var sent []order.Order
	for range 2 {
		if err := b.svc.OrderShipping(b.ctx, p.ID, func(o order.Order) error {
			sent = append(sent, o)
			return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, int64(o.ID))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(sent) != 3 || sent[0].Total.Amount != 1667 || sent[0].Lines[0].Title != groupbuy.ShippingLine || sent[0].PickupPointID != b.pickup {
		t.Fatalf("shipping orders %+v", sent)
	}
}
