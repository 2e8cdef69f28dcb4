package groupbuystore_test

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// A place given up unpaid goes to the waiting list: offered to the first
// waiter of its size, who may pass (it goes to the next) or let it lapse;
// someone waiting later when it is still free is offered it at once, takes
// it, and gets an invoice of their own, due by their own deadline.
func TestWaitlist(t *testing.T) {
	t.Parallel()
	b := setup(t, 5)
	anna, boris, vera, gleb, dina := core.UserID(shoppers), core.UserID(shoppers+1), core.UserID(shoppers+2), core.UserID(shoppers+3), core.UserID(shoppers+4)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 3})
	if _, err := b.svc.Wait(b.ctx, vera, p.ID, b.sizes[0], b.pickup); !errors.Is(err, groupbuy.ErrNoWaitlist) {
		t.Fatalf("waiting before STOP: %v", err)
	}
	if _, _, err := b.svc.Join(b.ctx, anna, p.ID, b.sizes[0], 2, b.pickup); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.svc.Join(b.ctx, boris, p.ID, b.sizes[1], 1, b.pickup); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Wait(b.ctx, anna, p.ID, b.sizes[0], b.pickup); !errors.Is(err, groupbuy.ErrHasPlace) {
		t.Fatalf("a participant waiting for their own size: %v", err)
	}
	for _, w := range []struct {
		who  core.UserID
		size int
	}{{vera, 0}, {gleb, 0}, {dina, 1}} {
		if wt, err := b.svc.Wait(b.ctx, w.who, p.ID, b.sizes[w.size], b.pickup); err != nil || wt.Status != groupbuy.WaitWaiting {
			t.Fatalf("wait: %+v, %v", wt, err)
		}
	}
	if _, err := b.svc.Wait(b.ctx, gleb, p.ID, b.sizes[0], b.pickup); err != nil {
		t.Fatalf("waiting again: %v", err)
	}
	if ws, err := b.svc.Waits(b.ctx, p.ID, gleb); err != nil || len(ws) != 1 || ws[0].Position != 2 {
		t.Fatalf("Gleb's waits: %+v, %v; want second in line", ws, err)
	}
	sendAll := func() []order.Order {
		var sent []order.Order
		if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
			sent = append(sent, o)
			return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, int64(100+o.ID))
		}); err != nil {
			t.Fatal(err)
		}
		return sent
	}
	invoices := sendAll()
	if len(invoices) != 2 {
		t.Fatalf("%d invoices, want two", len(invoices))
	}

	// Anna does not pay: her order expires, and its job settles the list,
	// as many times as it runs.
	b.clock.Set(t0.Add(groupbuy.DefaultPayWindow + time.Minute))
	annas := invoices[0]
	if annas.BuyerID != anna {
		annas = invoices[1]
	}
	if _, err := b.orders.Expire(b.ctx, annas.ID); err != nil {
		t.Fatal(err)
	}
	var ended int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE kind = $1`, order.JobGroupEnded).Scan(&ended); err != nil || ended != 1 {
		t.Fatalf("%d group-ended jobs (%v), want one", ended, err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := b.svc.Settle(b.ctx, p.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	offered := func(who core.UserID) groupbuy.Waiter {
		t.Helper()
		ws, err := b.svc.Waits(b.ctx, p.ID, who)
		if err != nil || len(ws) != 1 {
			t.Fatalf("waits of %d: %+v, %v", who, ws, err)
		}
		return ws[0]
	}
	if w := offered(vera); w.Status != groupbuy.WaitOffered || !w.OfferUntil.Equal(b.clock.Now().Add(groupbuy.OfferWindow)) {
		t.Fatalf("Vera, first in line: %+v", w)
	}
	if w := offered(gleb); w.Status != groupbuy.WaitWaiting {
		t.Fatalf("Gleb: %+v", w)
	}
	if w := offered(dina); w.Status != groupbuy.WaitWaiting {
		t.Fatalf("Dina waits for another size: %+v", w)
	}
	var offers int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE kind = $1`, groupbuy.JobOffer).Scan(&offers); err != nil || offers != 1 {
		t.Fatalf("%d offers (%v), want one", offers, err)
	}
	if _, err := b.svc.Take(b.ctx, gleb, p.ID, b.sizes[0]); !errors.Is(err, groupbuy.ErrOfferGone) {
		t.Fatalf("Gleb takes Vera's offer: %v", err)
	}

	// Vera passes: Gleb is offered it; he lets it lapse: nobody else waits.
	if err := b.svc.Pass(b.ctx, vera, p.ID, b.sizes[0]); err != nil {
		t.Fatal(err)
	}
	if w := offered(gleb); w.Status != groupbuy.WaitOffered {
		t.Fatalf("Gleb after Vera passed: %+v", w)
	}
	if ws, _ := b.svc.Waits(b.ctx, p.ID, vera); len(ws) != 0 {
		t.Fatalf("Vera still waits: %+v", ws)
	}
	b.clock.Advance(groupbuy.OfferWindow)
	if err := b.svc.Settle(b.ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Take(b.ctx, gleb, p.ID, b.sizes[0]); !errors.Is(err, groupbuy.ErrOfferGone) {
		t.Fatalf("taking a lapsed offer: %v", err)
	}
	if waiting, free, err := b.svc.WaitlistSize(b.ctx, p.ID); err != nil || waiting != 1 || free != 1 {
		t.Fatalf("waiting %d, free %d (%v); want Dina, and Anna's place", waiting, free, err)
	}

	// Vera changes her mind: back at the end of the queue, the place is
	// offered at once, and she takes it.
	if w, err := b.svc.Wait(b.ctx, vera, p.ID, b.sizes[0], b.pickup); err != nil || w.Status != groupbuy.WaitOffered {
		t.Fatalf("Vera again: %+v, %v", w, err)
	}
	took, err := b.svc.Take(b.ctx, vera, p.ID, b.sizes[0])
	if err != nil || took.Buyer != vera || took.Quantity != 2 || took.Goods != rub(2000) || took.From == 0 ||
		!took.PayUntil.Equal(b.clock.Now().Add(groupbuy.OfferWindow)) {
		t.Fatalf("took %+v, %v", took, err)
	}
	if _, err := b.svc.Take(b.ctx, vera, p.ID, b.sizes[0]); !errors.Is(err, groupbuy.ErrOfferGone) {
		t.Fatalf("taking twice: %v", err)
	}
	sent := sendAll()
	if len(sent) != 1 || sent[0].BuyerID != vera || !sent[0].ReservedUntil.Equal(took.PayUntil) || sent[0].Total != annas.Total {
		t.Fatalf("Vera's invoice: %+v", sent)
	}
	if waiting, free, err := b.svc.WaitlistSize(b.ctx, p.ID); err != nil || waiting != 1 || free != 0 {
		t.Fatalf("waiting %d, free %d (%v); want Dina alone", waiting, free, err)
	}
	if _, err := b.svc.Wait(b.ctx, vera, p.ID, b.sizes[0], b.pickup); !errors.Is(err, groupbuy.ErrHasPlace) {
		t.Fatalf("Vera waits for the size she holds: %v", err)
	}
	// Those to tell of the purchase: its participants and Dina, who waits.
	if told, err := b.svc.Participants(b.ctx, p.ID, 0, 10); err != nil || !slices.Equal(told, []core.UserID{boris, vera, dina}) {
		t.Fatalf("participants to tell %v, %v", told, err)
	}
}

// Gleb joined a size and left before STOP: he may wait for it, and take the
// place Anna gives up (his old row is reused); the offer's jobs name him, as
// he was offered it the moment he began to wait.
func TestWaitlistLeftBeforeStop(t *testing.T) {
	t.Parallel()
	b := setup(t, 2)
	anna, gleb := core.UserID(shoppers), core.UserID(shoppers+1)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 2})
	if _, _, err := b.svc.Join(b.ctx, gleb, p.ID, b.sizes[0], 1, b.pickup); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Leave(b.ctx, gleb, p.ID, b.sizes[0]); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.svc.Join(b.ctx, anna, p.ID, b.sizes[0], 2, b.pickup); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil {
		t.Fatal(err)
	}
	var annas order.Order
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
		annas = o
		return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, 1)
	}); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(annas.ReservedUntil)
	if _, err := b.orders.Expire(b.ctx, annas.ID); err != nil {
		t.Fatal(err)
	}
	w, err := b.svc.Wait(b.ctx, gleb, p.ID, b.sizes[0], b.pickup)
	if err != nil || w.Status != groupbuy.WaitOffered {
		t.Fatalf("Gleb waits: %+v, %v", w, err)
	}
	var payload []byte
	if err := b.pool.QueryRow(b.ctx, `SELECT payload FROM outbox WHERE kind = $1`, groupbuy.JobOffer).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var job groupbuy.OfferJob
	if err := json.Unmarshal(payload, &job); err != nil || job.Buyer != gleb || job.Variant != b.sizes[0] || !job.Until.Equal(w.OfferUntil) {
		t.Fatalf("the offer's job %s, %v", payload, err)
	}
	took, err := b.svc.Take(b.ctx, gleb, p.ID, b.sizes[0])
	if err != nil || took.Quantity != 2 {
		t.Fatalf("Gleb takes the place: %+v, %v", took, err)
	}
	var sent []order.Order
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
		sent = append(sent, o)
		return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, 2)
	}); err != nil || len(sent) != 1 || sent[0].BuyerID != gleb {
		t.Fatalf("Gleb's invoice %+v, %v", sent, err)
	}
}
