package groupbuystore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Anna passes her unpaid place on: the link is one however often she asks;
// Boris asks first and Gleb is refused; a stranger cannot decide; the
// organizer approves, once: Boris gets a place of his own and its invoice,
// Anna's order is called off, and her place is not freed for the waiting list.
func TestHandover(t *testing.T) {
	t.Parallel()
	b := setup(t, 3)
	anna, boris, gleb := core.UserID(shoppers), core.UserID(shoppers+1), core.UserID(shoppers+2)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 2})
	if _, _, err := b.svc.Join(b.ctx, anna, p.ID, b.sizes[0], 2, b.pickup); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.InviteHandover(b.ctx, anna, p.ID, b.sizes[0]); !errors.Is(err, groupbuy.ErrClosed) {
		t.Fatalf("passing on before STOP: %v", err)
	}
	if _, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil {
		t.Fatal(err)
	}
	var invoices []order.Order
	send := func(o order.Order) error {
		invoices = append(invoices, o)
		return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, int64(100+o.ID))
	}
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, send); err != nil || len(invoices) != 1 {
		t.Fatalf("invoices %+v, %v", invoices, err)
	}
	h, err := b.svc.InviteHandover(b.ctx, anna, p.ID, b.sizes[0])
	if err != nil || h.Status != groupbuy.HandoverInvited || h.Token == "" {
		t.Fatalf("invite: %+v, %v", h, err)
	}
	if again, err := b.svc.InviteHandover(b.ctx, anna, p.ID, b.sizes[0]); err != nil || again.Token != h.Token {
		t.Fatalf("invite again: %+v, %v", again, err)
	}
	if _, err := b.svc.RequestHandover(b.ctx, anna, h.Token); !errors.Is(err, groupbuy.ErrHandoverSelf) {
		t.Fatalf("Anna takes her own place: %v", err)
	}
	for range 2 {
		if got, err := b.svc.RequestHandover(b.ctx, boris, h.Token); err != nil || got.Status != groupbuy.HandoverRequested || got.To != boris {
			t.Fatalf("Boris asks: %+v, %v", got, err)
		}
	}
	if _, err := b.svc.RequestHandover(b.ctx, gleb, h.Token); !errors.Is(err, groupbuy.ErrHandoverGone) {
		t.Fatalf("Gleb asks after Boris: %v", err)
	}
	if _, err := b.svc.DecideHandover(b.ctx, stranger, h.ID, true); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Fatalf("a stranger decides: %v", err)
	}
	for range 2 {
		if got, err := b.svc.DecideHandover(b.ctx, seller, h.ID, true); err != nil || got.Status != groupbuy.HandoverDone || got.NewPlace == 0 {
			t.Fatalf("approve: %+v, %v", got, err)
		}
	}
	invoices = nil
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, send); err != nil || len(invoices) != 1 || invoices[0].BuyerID != boris ||
		invoices[0].Total.Amount != rub(2000).Amount+groupbuy.FeeOf(rub(2000).Amount, 1500) {
		t.Fatalf("Boris's invoice %+v, %v", invoices, err)
	}
	done, old, err := b.svc.FinishHandover(b.ctx, h.ID)
	if err != nil || done.Status != groupbuy.HandoverDone || old.Buyer != anna {
		t.Fatalf("finish: %+v, %+v, %v", done, old, err)
	}
	annas, err := b.orders.OrderForSystem(b.ctx, old.Order)
	if err != nil || annas.Status != order.StatusCancelled || annas.CancelReason != groupbuy.HandoverReason {
		t.Fatalf("Anna's order %+v, %v", annas, err)
	}
	if err := b.svc.Settle(b.ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, free, err := b.svc.WaitlistSize(b.ctx, p.ID); err != nil || free != 0 {
		t.Fatalf("free places %d (%v): a place passed on is not free", free, err)
	}
	if mine, err := b.svc.Places(b.ctx, p.ID, boris); err != nil || len(mine) != 1 || mine[0].From != old.ID {
		t.Fatalf("Boris's places %+v, %v", mine, err)
	}
}

// A KOL working with the shop organizes a purchase of its products: they see
// and run their own, not the staff's; when their work with the shop ends, they
// run it no more (the staff do).
func TestKOLOrganizer(t *testing.T) {
	t.Parallel()
	b := setup(t, 2)
	kol, other := core.UserID(shoppers), core.UserID(shoppers+1)
	if _, err := b.pool.Exec(b.ctx, `INSERT INTO kol_links (shop_id, kol_id, commission_bp, created_at, updated_at)
		VALUES ($1, $2, 1000, now(), now())`, b.shop, kol); err != nil {
		t.Fatal(err)
	}
	staffs := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 1})
	mine, err := b.svc.Create(b.ctx, kol, groupbuy.Purchase{Shop: b.shop, Product: b.prod, Variants: b.sizes, Title: "Кеды от блогера",
		Tiers: groupbuy.Tiers{{From: 1, Price: rub(900)}}, Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 1},
		Pickup: []core.PickupPointID{b.pickup}, Deadline: t0.Add(time.Hour)})
	if err != nil || mine.Organizer != kol {
		t.Fatalf("the KOL's purchase: %+v, %v", mine, err)
	}
	if _, err := b.svc.Create(b.ctx, other, mine); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Fatalf("a stranger creates: %v", err)
	}
	if list, err := b.svc.ShopPurchases(b.ctx, kol, b.shop, 10); err != nil || len(list) != 1 || list[0].ID != mine.ID {
		t.Fatalf("the KOL's list %+v, %v", list, err)
	}
	if list, err := b.svc.ShopPurchases(b.ctx, seller, b.shop, 10); err != nil || len(list) != 2 {
		t.Fatalf("the staff's list %+v, %v", list, err)
	}
	if _, err := b.svc.Extend(b.ctx, kol, staffs.ID, t0.Add(48*time.Hour)); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Fatalf("the KOL runs the staff's purchase: %v", err)
	}
	if _, err := b.svc.Extend(b.ctx, kol, mine.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("the KOL extends their own: %v", err)
	}
	if _, err := b.pool.Exec(b.ctx, `UPDATE kol_links SET ended_at = now() WHERE kol_id = $1`, kol); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Cancel(b.ctx, kol, mine.ID); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Fatalf("a KOL no longer working with the shop cancels: %v", err)
	}
	if _, err := b.svc.Cancel(b.ctx, seller, mine.ID); err != nil {
		t.Fatalf("the staff cancel the KOL's: %v", err)
	}
}
