package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// reminderJob is the pending outbox row of a key: its kind, due time and whether it
// cancels; found is false when there is none.
func reminderJob(e *orderEnv, key string) (kind string, runAt time.Time, cancel, found bool) {
	e.t.Helper()
	n := e.count(`SELECT count(*) FROM outbox WHERE key = $1 AND relayed_at IS NULL`, key)
	if n == 0 {
		return "", time.Time{}, false, false
	}
	if n > 1 {
		e.t.Fatalf("%d pending rows for %s", n, key)
	}
	if err := e.pool.QueryRow(e.ctx, `SELECT kind, run_at, cancel FROM outbox WHERE key = $1 AND relayed_at IS NULL`, key).
		Scan(&kind, &runAt, &cancel); err != nil {
		e.t.Fatal(err)
	}
	return kind, runAt, cancel, true
}

// reminderSubscribe makes user wait for v, as the catalog does.
func reminderSubscribe(e *orderEnv, user core.UserID, v core.VariantID) {
	e.t.Helper()
	e.user(user)
	e.exec(`INSERT INTO restock_subscriptions (user_id, variant_id, created_at) VALUES ($1, $2, $3)`, user, v, e.clock.Now())
}

// TestReminders_Jobs checks that each change writes the jobs of reminders and
// alerts in its own transaction: the reminder to pay with the checkout and its
// cancel with the payment or expiry, the restock alert with stock coming back from
// zero, the review request with completion, the cart reminder with each cart change.
func TestReminders_Jobs(t *testing.T) {
	t.Parallel()

	t.Run("UnpaidCancelledByPayment", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
		key := fmt.Sprintf("order:remind:%d", o.ID)
		kind, runAt, cancel, found := reminderJob(e, key)
		if !found || kind != order.JobRemindUnpaid || cancel || !runAt.Equal(orderStart.Add(5*time.Minute)) {
			t.Fatalf("reminder job %q at %v cancel %v found %v; want one 5 minutes before the 10-minute reservation ends", kind, runAt, cancel, found)
		}
		if got, err := e.store.Order(e.ctx, o.ID); err != nil || !got.RemindAt.Equal(runAt) {
			t.Errorf("remind_at = %v (%v), want %v", got.RemindAt, err, runAt)
		}
		e.clock.Advance(time.Minute)
		e.pay(o, "ch1")
		if _, _, cancel, found := reminderJob(e, key); !found || !cancel {
			t.Errorf("after payment: cancel %v found %v; want the pending reminder replaced by its cancel", cancel, found)
		}
	})

	t.Run("UnpaidCancelledByExpiry", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
		e.exec(`UPDATE outbox SET relayed_at = now()`) // the reminder is in the queue
		e.clock.Set(o.ReservedUntil)
		if _, err := e.svc.Expire(e.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		if kind, _, cancel, found := reminderJob(e, fmt.Sprintf("order:remind:%d", o.ID)); !found || !cancel || kind != order.JobRemindUnpaid {
			t.Errorf("after expiry: %q cancel %v found %v; want a cancel of the reminder", kind, cancel, found)
		}
	})

	t.Run("ShortReservationRemindsHalfway", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{Stars: true, TTL: 4 * time.Minute})
		o := e.checkout(e.user(100), shop, order.DeliveryNone, order.Item{VariantID: e.variant(shop, 50, 5), Quantity: 1})
		if _, runAt, _, found := reminderJob(e, fmt.Sprintf("order:remind:%d", o.ID)); !found || !runAt.Equal(orderStart.Add(2*time.Minute)) {
			t.Errorf("reminder at %v (found %v), want halfway through the 4 minutes", runAt, found)
		}
	})

	t.Run("RestockOnRelease", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{Stars: true})
		waited, alone := e.variant(shop, 50, 1), e.variant(shop, 50, 1)
		o := e.checkout(e.user(100), shop, order.DeliveryNone,
			order.Item{VariantID: waited, Quantity: 1}, order.Item{VariantID: alone, Quantity: 1})
		reminderSubscribe(e, 200, waited)
		e.clock.Set(o.ReservedUntil)
		if _, err := e.svc.Expire(e.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		if kind, _, _, found := reminderJob(e, fmt.Sprintf("stock:restock:%d", waited)); !found || kind != catalog.JobRestock {
			t.Errorf("no restock job for the variant waited for, back from 0 to 1")
		}
		if _, _, _, found := reminderJob(e, fmt.Sprintf("stock:restock:%d", alone)); found {
			t.Errorf("a restock job for a variant nobody waits for")
		}
	})

	t.Run("RestockOnAdjust", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		cat := catalog.NewService(NewCatalog(e.pool), e.clock, nil)
		shop := e.shop(orderShopOpts{Stars: true})
		empty, some := e.variant(shop, 50, 0), e.variant(shop, 50, 2)
		reminderSubscribe(e, 200, empty)
		reminderSubscribe(e, 200, some)
		for _, v := range []core.VariantID{empty, some} {
			if _, err := cat.AdjustStock(e.ctx, shop.Owner, v, 3, catalog.MoveReceipt, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, _, found := reminderJob(e, fmt.Sprintf("stock:restock:%d", empty)); !found {
			t.Errorf("no restock job for a variant back from 0 to 3")
		}
		if _, _, _, found := reminderJob(e, fmt.Sprintf("stock:restock:%d", some)); found {
			t.Errorf("a restock job for a variant that was not sold out")
		}
	})

	t.Run("RestockOnImport", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		cat := catalog.NewService(NewCatalog(e.pool), e.clock, nil)
		shop := e.shop(orderShopOpts{Stars: true})
		v := e.variant(shop, 50, 0)
		reminderSubscribe(e, 200, v)
		var sku string
		if err := e.pool.QueryRow(e.ctx, `SELECT sku FROM variants WHERE id = $1`, v).Scan(&sku); err != nil {
			t.Fatal(err)
		}
		four := 4
		plan, err := cat.PlanImport(e.ctx, shop.Owner, shop.ID, []catalog.ImportRow{{Line: 2, SKU: sku, Stock: &four}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cat.ApplyImport(e.ctx, shop.Owner, plan); err != nil {
			t.Fatal(err)
		}
		if _, _, _, found := reminderJob(e, fmt.Sprintf("stock:restock:%d", v)); !found {
			t.Errorf("no restock job for a variant imported back from 0 to 4")
		}
	})

	t.Run("ReviewOnComplete", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		o := e.pay(e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1}), "ch1")
		if _, err := e.svc.MarkShipped(e.ctx, shop.Owner, o.ID, ""); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		done, err := e.svc.Complete(e.ctx, buyer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !done.CompletedAt.Equal(e.clock.Now()) {
			t.Errorf("completed at %v, want now", done.CompletedAt)
		}
		kind, runAt, _, found := reminderJob(e, fmt.Sprintf("review:request:%d", o.ID))
		if !found || kind != order.JobRequestReview || !runAt.Equal(e.clock.Now().Add(3*24*time.Hour)) {
			t.Errorf("review request %q at %v (found %v), want one 3 days after completion", kind, runAt, found)
		}

		// A shop that asks for no reviews writes none.
		e.exec(`UPDATE shops SET review_request_days = 0 WHERE id = $1`, shop.ID)
		o2 := e.pay(e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1}), "ch2")
		if _, err := e.svc.MarkShipped(e.ctx, shop.Owner, o2.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Complete(e.ctx, shop.Owner, o2.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, _, found := reminderJob(e, fmt.Sprintf("review:request:%d", o2.ID)); found {
			t.Errorf("a review request from a shop that asks for none")
		}
	})

	t.Run("CartReminderMoves", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		key := fmt.Sprintf("cart:remind:%d:%d", buyer, shop.ID)
		if _, err := e.svc.AddToCart(e.ctx, buyer, v, 1); err != nil {
			t.Fatal(err)
		}
		if _, _, _, found := reminderJob(e, key); found {
			t.Fatalf("a cart reminder from a shop that recalls no carts")
		}
		e.exec(`UPDATE shops SET cart_reminder_seconds = 3600 WHERE id = $1`, shop.ID)
		if _, err := e.svc.AddToCart(e.ctx, buyer, v, 1); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Minute)
		if _, err := e.svc.SetCartQuantity(e.ctx, buyer, v, 1); err != nil {
			t.Fatal(err)
		}
		kind, runAt, _, found := reminderJob(e, key)
		if !found || kind != order.JobRemindCart || !runAt.Equal(e.clock.Now().Add(time.Hour)) {
			t.Errorf("cart reminder %q at %v (found %v), want one an hour after the last change", kind, runAt, found)
		}
		var changed time.Time
		if err := e.pool.QueryRow(e.ctx, `SELECT changed_at FROM carts WHERE buyer_id = $1 AND shop_id = $2`, buyer, shop.ID).Scan(&changed); err != nil || !changed.Equal(e.clock.Now()) {
			t.Errorf("cart changed at %v (%v), want now", changed, err)
		}
	})
}
