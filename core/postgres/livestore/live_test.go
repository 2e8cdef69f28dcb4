package livestore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/livestore"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/shop"
	"github.com/vitrina-shop/vitrina/core/user"
)

const (
	seller  core.UserID = 100
	kol     core.UserID = 200
	other   core.UserID = 300 // another KOL
	channel int64       = -1001234
)

var t0 = time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)

type bundle struct {
	ctx     context.Context
	pool    *pgxpool.Pool
	url     string
	clock   *core.FakeClock
	svc     *live.Service
	orders  *order.Service
	shop    core.ShopID
	variant core.VariantID
}

// setup makes a Stars shop of seller with one product of 100 units in stock,
// and kol and other as users.
func setup(t testing.TB) *bundle {
	t.Helper()
	pool, url := pgtest.NewDB(t)
	b := &bundle{ctx: context.Background(), pool: pool, url: url, clock: core.NewFakeClock(t0)}
	users := user.NewService(postgres.NewUsers(pool), b.clock)
	for _, id := range []core.UserID{seller, kol, other} {
		if _, err := users.Touch(b.ctx, user.Seen{ID: id, FirstName: fmt.Sprint(id), TelegramLang: "ru"}); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.NewService(postgres.NewCatalog(pool), b.clock, nil)
	s, err := cat.CreateShop(b.ctx, seller, catalog.NewShop{Name: "Лавка свечей", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		t.Fatal(err)
	}
	p, err := cat.CreateProduct(b.ctx, seller, catalog.NewProduct{ShopID: s.ID, Title: "Свеча «Хвоя»",
		Variants: []catalog.NewVariant{{Price: core.Money{Amount: 1500, Currency: core.Stars}, Stock: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	b.shop, b.variant = s.ID, p.Variants[0].ID
	b.orders = order.NewService(postgres.NewOrders(pool), b.clock)
	b.svc = live.NewService(livestore.New(pool), b.orders, b.clock, 0)
	return b
}

// linked makes kol a KOL of the shop with a connected channel.
func (b *bundle) linked(t testing.TB) {
	t.Helper()
	inv, err := b.svc.Invite(b.ctx, seller, b.shop, 1500)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Accept(b.ctx, kol, inv.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.ConnectChannel(b.ctx, kol, live.Channel{Chat: channel, Title: "Марина про свечи", CanPost: true}); err != nil {
		t.Fatal(err)
	}
}

// liveSession schedules a session of kol, allocates units of the variant to it
// and opens it.
func (b *bundle) liveSession(t testing.TB, units, perBuyer int) live.Session {
	t.Helper()
	b.linked(t)
	sess, err := b.svc.Schedule(b.ctx, kol, live.Session{Shop: b.shop, Channel: channel, Title: "Вечерний дроп", StartsAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Allocate(b.ctx, seller, live.Allocation{Session: sess.ID, Variant: b.variant,
		Price: core.Money{Amount: 990, Currency: core.Stars}, Quantity: units, PerBuyer: perBuyer}); err != nil {
		t.Fatal(err)
	}
	if sess, err = b.svc.Open(b.ctx, 0, sess.ID); err != nil {
		t.Fatal(err)
	}
	return sess
}

// lot drops a lot of units with the per-buyer limit.
func (b *bundle) lot(t testing.TB, units, perBuyer int) live.Lot {
	t.Helper()
	sess := b.liveSession(t, units, perBuyer)
	l, err := b.svc.Drop(b.ctx, kol, live.Drop{Session: sess.ID, Variant: b.variant, Duration: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err %v, want %v", err, want)
	}
}

func (b *bundle) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestService_Invite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.svc.Invite(b.ctx, kol, b.shop, 1000)
	wantErr(t, err, shop.ErrNotStaff)
	_, err = b.svc.Invite(b.ctx, seller, b.shop, 10_001)
	wantErr(t, err, live.ErrCommission)

	inv, err := b.svc.Invite(b.ctx, seller, b.shop, 1500)
	if err != nil {
		t.Fatal(err)
	}
	link, err := b.svc.Accept(b.ctx, kol, inv.Token)
	if err != nil || link.Commission != 1500 || link.Shop != b.shop {
		t.Fatalf("accept: %+v, %v", link, err)
	}
	t.Run("OpenedAgainBySamePerson", func(t *testing.T) {
		if again, err := b.svc.Accept(b.ctx, kol, inv.Token); err != nil || again.Commission != 1500 {
			t.Errorf("again: %+v, %v", again, err)
		}
	})
	t.Run("UsedBySomeoneElse", func(t *testing.T) {
		_, err := b.svc.Accept(b.ctx, other, inv.Token)
		wantErr(t, err, live.ErrInviteUsed)
	})
	t.Run("Unknown", func(t *testing.T) {
		_, err := b.svc.Accept(b.ctx, other, "nope")
		wantErr(t, err, live.ErrInviteNotFound)
	})
	t.Run("LowerOnly", func(t *testing.T) {
		_, err := b.svc.LowerCommission(b.ctx, seller, b.shop, kol, 2000)
		wantErr(t, err, live.ErrCommissionRaise)
		if l, err := b.svc.LowerCommission(b.ctx, seller, b.shop, kol, 1000); err != nil || l.Commission != 1000 {
			t.Errorf("lower: %+v, %v", l, err)
		}
		_, err = b.svc.LowerCommission(b.ctx, seller, b.shop, other, 10)
		wantErr(t, err, live.ErrNotKOL)
	})
}

func TestService_InviteExpires(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inv, err := b.svc.Invite(b.ctx, seller, b.shop, 1500)
	if err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(live.InviteTTL)
	_, err = b.svc.Accept(b.ctx, kol, inv.Token)
	wantErr(t, err, live.ErrInviteExpired)
}

func TestService_Schedule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.linked(t)
	sess := live.Session{Shop: b.shop, Channel: channel, Title: "  Вечерний дроп ", StartsAt: t0.Add(time.Hour)}
	t.Run("NotAKOLOfTheShop", func(t *testing.T) {
		_, err := b.svc.Schedule(b.ctx, other, sess)
		wantErr(t, err, live.ErrNotKOL)
	})
	t.Run("SomeoneElsesChannel", func(t *testing.T) {
		_, err := b.svc.ConnectChannel(b.ctx, other, live.Channel{Chat: channel, CanPost: true})
		wantErr(t, err, live.ErrChannelNotYours)
	})
	t.Run("InThePast", func(t *testing.T) {
		past := sess
		past.StartsAt = t0
		_, err := b.svc.Schedule(b.ctx, kol, past)
		wantErr(t, err, live.ErrStartsInPast)
	})
	got, err := b.svc.Schedule(b.ctx, kol, sess)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Вечерний дроп" || got.Status != live.SessionScheduled || got.Commission != 1500 || got.Currency != core.Stars {
		t.Errorf("session %+v", got)
	}
	t.Run("AllocationHoldsStock", func(t *testing.T) {
		a := live.Allocation{Session: got.ID, Variant: b.variant, Price: core.Money{Amount: 990, Currency: core.Stars}, Quantity: 30, PerBuyer: 2}
		wantErr(t, b.svc.Allocate(b.ctx, kol, a), shop.ErrNotStaff)
		if err := b.svc.Allocate(b.ctx, seller, a); err != nil {
			t.Fatal(err)
		}
		if n := b.count(t, `SELECT reserved FROM variants WHERE id = $1`, b.variant); n != 30 {
			t.Errorf("reserved %d, want 30", n)
		}
		a.Quantity = 20 // less: 10 go back
		if err := b.svc.Allocate(b.ctx, seller, a); err != nil {
			t.Fatal(err)
		}
		if n := b.count(t, `SELECT reserved FROM variants WHERE id = $1`, b.variant); n != 20 {
			t.Errorf("reserved %d, want 20", n)
		}
		if n := b.count(t, `SELECT count(*) FROM stock_movements WHERE variant_id = $1 AND note = $2`, b.variant, fmt.Sprintf("live session %d", got.ID)); n != 2 {
			t.Errorf("%d ledger movements, want 2", n)
		}
		a.Quantity = 200
		wantErr(t, b.svc.Allocate(b.ctx, seller, a), live.ErrOverAllocation)
	})
	t.Run("DropsOnlyWhenLive", func(t *testing.T) {
		_, err := b.svc.Drop(b.ctx, kol, live.Drop{Session: got.ID, Variant: b.variant})
		wantErr(t, err, live.ErrSessionState)
		if _, err := b.svc.Open(b.ctx, other, got.ID); !errors.Is(err, live.ErrNotKOL) {
			t.Errorf("opened by another: %v", err)
		}
		if _, err := b.svc.Open(b.ctx, kol, got.ID); err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.Drop(b.ctx, other, live.Drop{Session: got.ID, Variant: b.variant})
		wantErr(t, err, live.ErrNotKOL)
		l, err := b.svc.Drop(b.ctx, kol, live.Drop{Session: got.ID, Variant: b.variant, Quantity: 15})
		if err != nil || l.Remaining != 15 || l.Price.Amount != 990 || l.PerBuyer != 2 {
			t.Fatalf("lot %+v, %v", l, err)
		}
		_, err = b.svc.Drop(b.ctx, kol, live.Drop{Session: got.ID, Variant: b.variant, Quantity: 6})
		wantErr(t, err, live.ErrOverAllocation)
		if n := b.count(t, `SELECT count(*) FROM outbox WHERE key = $1`, fmt.Sprintf("live:lot:post:%d", l.ID)); n != 1 {
			t.Errorf("%d jobs to post the lot, want 1", n)
		}
	})
}

// Many shoppers tap a lot of few units at once, through two gates (two
// replicas), with repeated and redelivered taps: exactly the units are
// claimed, nobody over the limit, and every answer agrees with the record.
func TestService_TapsNeverOversell(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const units, perBuyer, buyers, tapsEach = 40, 2, 120, 4
	l := b.lot(t, units, perBuyer)
	gates := []*live.Gate{live.NewGate(b.svc.Tap, 0), live.NewGate(b.svc.Tap, 16)}

	var mu sync.Mutex
	claimedBy := map[string]core.UserID{} // tap id -> buyer, from the answers
	var wg sync.WaitGroup
	for i := range buyers {
		buyer := core.UserID(10_000 + i)
		wg.Go(func() {
			for n := range tapsEach {
				id := fmt.Sprintf("%d-%d", buyer, n/2) // each tap comes twice: a redelivery
				r, err := gates[(i+n)%2].Tap(b.ctx, live.Tap{Lot: l.ID, Buyer: buyer, ID: id})
				if err != nil {
					t.Error(err)
					return
				}
				if r.Outcome == live.TapClaimed {
					mu.Lock()
					claimedBy[id] = buyer
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(claimedBy) != units {
		t.Errorf("%d taps answered claimed, want %d", len(claimedBy), units)
	}
	if n := b.count(t, `SELECT count(*) FROM lot_claims WHERE lot_id = $1`, l.ID); n != units {
		t.Errorf("%d claims recorded, want %d", n, units)
	}
	if n := b.count(t, `SELECT count(*) FROM lot_claims WHERE lot_id = $1 AND tap_id = ANY($2)`, l.ID, keys(claimedBy)); n != units {
		t.Errorf("%d of the answered claims are recorded, want %d", n, units)
	}
	if n := b.count(t, `SELECT coalesce(max(c), 0) FROM (SELECT count(*) c FROM lot_claims WHERE lot_id = $1 GROUP BY buyer_id) x`, l.ID); n > perBuyer {
		t.Errorf("a buyer holds %d, over the limit of %d", n, perBuyer)
	}
	got, err := b.svc.Lot(b.ctx, l.ID)
	if err != nil || got.Remaining != 0 || got.Taps != buyers*tapsEach {
		t.Errorf("lot %+v, %v; want none left and %d taps", got, err, buyers*tapsEach)
	}
	if r, err := b.svc.Report(b.ctx, l.Session); err != nil || r.Tappers != buyers || r.Taps != buyers*tapsEach {
		t.Errorf("report: %d tappers, %d taps (%v); want %d people, %d taps", r.Tappers, r.Taps, err, buyers, buyers*tapsEach)
	}
	if n := b.count(t, `SELECT coalesce(sum(jsonb_array_length(payload->'taps')), 0) FROM outbox WHERE kind = $1`, live.JobClaim); n != units {
		t.Errorf("the claim jobs name %d claims, want %d", n, units)
	}

	t.Run("SoldOutThenReleased", func(t *testing.T) {
		r, err := gates[0].Tap(b.ctx, live.Tap{Lot: l.ID, Buyer: 1, ID: "late"})
		if err != nil || r.Outcome != live.TapSoldOut {
			t.Fatalf("a tap on a sold-out lot: %+v, %v", r, err)
		}
		var tap string
		if err := b.pool.QueryRow(b.ctx, `SELECT tap_id FROM lot_claims WHERE lot_id = $1 LIMIT 1`, l.ID).Scan(&tap); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.svc.Release(b.ctx, l.ID, tap); err != nil || ok {
			t.Fatalf("released before the hold ended: %v, %v", ok, err)
		}
		b.clock.Advance(live.DefaultHold)
		if ok, err := b.svc.Release(b.ctx, l.ID, tap); err != nil || !ok {
			t.Fatalf("release: %v, %v", ok, err)
		}
		if ok, err := b.svc.Release(b.ctx, l.ID, tap); err != nil || ok {
			t.Fatalf("released twice: %v, %v", ok, err)
		}
		r, err = gates[1].Tap(b.ctx, live.Tap{Lot: l.ID, Buyer: 1, ID: "later"})
		if err != nil || r.Outcome != live.TapClaimed || r.Remaining != 0 {
			t.Fatalf("a tap after a release: %+v, %v", r, err)
		}
	})
	t.Run("Ended", func(t *testing.T) {
		b.clock.Set(l.EndsAt)
		r, err := gates[0].Tap(b.ctx, live.Tap{Lot: l.ID, Buyer: 2, ID: "after"})
		if err != nil || r.Outcome != live.TapEnded {
			t.Fatalf("a tap after the end: %+v, %v", r, err)
		}
	})
	t.Run("NoSuchLot", func(t *testing.T) {
		r, err := gates[0].Tap(b.ctx, live.Tap{Lot: l.ID + 100, Buyer: 2, ID: "x"})
		if err != nil || r.Outcome != live.TapNoLot {
			t.Fatalf("a tap on no lot: %+v, %v", r, err)
		}
	})
}

// A claim becomes an order at the drop price that reserves nothing more (the
// allocation holds the stock); expired, its unit goes back to the lot; paid,
// it is sold from the allocation.
func TestService_OrderClaim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	l := b.lot(t, 5, 1)
	gate := live.NewGate(b.svc.Tap, 0)
	tap := func(buyer core.UserID, id string) live.TapResult {
		t.Helper()
		r, err := gate.Tap(b.ctx, live.Tap{Lot: l.ID, Buyer: buyer, ID: id, FirstName: "Покупатель", Lang: "ru"})
		if err != nil || r.Outcome != live.TapClaimed {
			t.Fatalf("tap: %+v, %v", r, err)
		}
		return r
	}
	reserved := func() int { return b.count(t, `SELECT reserved FROM variants WHERE id = $1`, b.variant) }
	before := reserved()

	r := tap(501, "t1")
	o, err := b.svc.OrderClaim(b.ctx, l.ID, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Lot != l.ID || o.Total.Amount != 990 || !o.ReservedUntil.Equal(r.Claim.HeldUntil) || o.Status != order.StatusAwaitingPayment {
		t.Errorf("order %+v", o)
	}
	if again, err := b.svc.OrderClaim(b.ctx, l.ID, "t1"); err != nil || again.ID != o.ID {
		t.Errorf("a claim ordered again: %d, %v; want order %d", again.ID, err, o.ID)
	}
	if c, err := b.svc.Claim(b.ctx, l.ID, "t1"); err != nil || c.Order != o.ID {
		t.Errorf("claim %+v, %v", c, err)
	}
	// Its invoice has two senders (the worker, the buyer opening the bot): one
	// at a time may send it, and none once it went.
	if ok, err := b.orders.BeginInvoice(b.ctx, o.ID, 501); err != nil || !ok {
		t.Fatalf("first sender: %v, %v", ok, err)
	}
	if ok, _ := b.orders.BeginInvoice(b.ctx, o.ID, 501); ok {
		t.Error("a second sender got the invoice while the first sends it")
	}
	if err := b.orders.AbortInvoice(b.ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.orders.BeginInvoice(b.ctx, o.ID, 501); !ok {
		t.Error("the invoice could not be sent after the first sender gave up")
	}
	if err := b.orders.InvoiceSent(b.ctx, o.ID, 501, 42); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(order.InvoiceLease)
	if ok, _ := b.orders.BeginInvoice(b.ctx, o.ID, 501); ok {
		t.Error("an invoice sent is sent again")
	}
	b.clock.Set(t0)
	if got := reserved(); got != before {
		t.Errorf("reserved %d after the order, want %d: the allocation holds it", got, before)
	}
	if n := b.count(t, `SELECT count(*) FROM users WHERE id = 501 AND first_name = 'Покупатель'`); n != 1 {
		t.Errorf("the buyer is not a user: %d", n)
	}

	t.Run("ExpiredGoesBackToTheLot", func(t *testing.T) {
		b.clock.Set(r.Claim.HeldUntil)
		if ok, err := b.svc.Release(b.ctx, l.ID, "t1"); err != nil || ok {
			t.Errorf("a claim with an order released by time: %v, %v", ok, err)
		}
		exp, err := b.orders.Expire(b.ctx, o.ID)
		if err != nil || exp.Status != order.StatusExpired {
			t.Fatalf("expire: %+v, %v", exp, err)
		}
		if n := b.count(t, `SELECT count(*) FROM outbox WHERE key = $1`, fmt.Sprintf("order:held:%d", o.ID)); n != 1 {
			t.Errorf("%d jobs to give the unit back, want 1", n)
		}
		if ok, err := b.svc.ReleaseOrder(b.ctx, exp.Lot, exp.ID); err != nil || !ok {
			t.Fatalf("release the order: %v, %v", ok, err)
		}
		if ok, err := b.svc.ReleaseOrder(b.ctx, exp.Lot, exp.ID); err != nil || ok {
			t.Fatalf("released twice: %v, %v", ok, err)
		}
		if got, _ := b.svc.Lot(b.ctx, l.ID); got.Remaining != 5 {
			t.Errorf("%d left, want 5", got.Remaining)
		}
		if got := reserved(); got != before {
			t.Errorf("reserved %d after the expiry, want %d", got, before)
		}
		if _, err := b.svc.OrderClaim(b.ctx, l.ID, "t1"); !errors.Is(err, live.ErrClaimReleased) {
			t.Errorf("a released claim ordered: %v", err)
		}
	})
	t.Run("PaidIsSoldFromTheAllocation", func(t *testing.T) {
		tap(502, "t2")
		o, err := b.svc.OrderClaim(b.ctx, l.ID, "t2")
		if err != nil {
			t.Fatal(err)
		}
		paid, outcome, err := b.orders.RecordPayment(b.ctx, order.Payment{OrderID: o.ID, BuyerID: 502, TelegramChargeID: "ch-1", Total: o.Total})
		if err != nil || outcome != order.PaymentApplied || paid.Status != order.StatusPaid {
			t.Fatalf("pay: %+v, %v, %v", paid, outcome, err)
		}
		if got := reserved(); got != before-1 {
			t.Errorf("reserved %d after the sale, want %d", got, before-1)
		}
		if n := b.count(t, `SELECT on_hand FROM variants WHERE id = $1`, b.variant); n != 99 {
			t.Errorf("on hand %d, want 99", n)
		}

		// The KOL earns 15 % of 990, rounded down; the seller owes it and pays part.
		es, err := b.svc.Earnings(b.ctx, kol)
		if err != nil || len(es) != 1 || es[0].Orders != 1 || es[0].Revenue.Amount != 990 || es[0].Accrued.Amount != 148 || es[0].Currency != core.Stars {
			t.Fatalf("earnings %+v, %v", es, err)
		}
		if _, err := b.svc.ShopEarnings(b.ctx, kol, b.shop); !errors.Is(err, shop.ErrNotStaff) {
			t.Errorf("the KOL read the shop's earnings: %v", err)
		}
		_, err = b.svc.Payout(b.ctx, seller, b.shop, kol, core.Money{Amount: 149, Currency: core.Stars})
		wantErr(t, err, live.ErrPayout)
		e, err := b.svc.Payout(b.ctx, seller, b.shop, kol, core.Money{Amount: 100, Currency: core.Stars})
		if err != nil || e.Owed().Amount != 48 {
			t.Fatalf("payout: %+v, %v", e, err)
		}
		if es, _ := b.svc.ShopEarnings(b.ctx, seller, b.shop); len(es) != 1 || es[0].Owed().Amount != 48 || es[0].PaidOut.Amount != 100 {
			t.Errorf("the shop's view %+v", es)
		}
		if ss, err := b.svc.SessionEarnings(b.ctx, kol, 5); err != nil || len(ss) != 1 || ss[0].Orders != 1 || ss[0].Accrued.Amount != 148 {
			t.Errorf("session earnings %+v, %v", ss, err)
		}
		// The seller calls the order off and its money goes back: the commission
		// goes with it as soon as the order is cancelled, and stays gone once
		// the refund is made; the KOL now owes what was paid out.
		cancelled, err := b.orders.Cancel(b.ctx, seller, o.ID, "out of stock")
		if err != nil || cancelled.Status != order.StatusCancelled {
			t.Fatalf("cancel: %+v, %v", cancelled, err)
		}
		if es, _ := b.svc.Earnings(b.ctx, kol); len(es) != 1 || es[0].Accrued.Amount != 0 || es[0].Owed().Amount != -100 {
			t.Errorf("earnings once the paid order is cancelled %+v", es)
		}
		refunded, err := b.orders.MarkRefunded(b.ctx, o.ID, "ch-1")
		if err != nil || refunded.Status != order.StatusRefunded {
			t.Fatalf("refund: %+v, %v", refunded, err)
		}
		if es, _ := b.svc.Earnings(b.ctx, kol); len(es) != 1 || es[0].Orders != 0 || es[0].Accrued.Amount != 0 || es[0].Owed().Amount != -100 {
			t.Errorf("earnings after the refund %+v", es)
		}
	})
}

func keys(m map[string]core.UserID) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// BenchmarkGate_Tap measures taps on one lot with as many units as taps, every
// tap claiming, from 64 shoppers at once (b.SetParallelism): the store side of
// `vitrina bench drop`'s first phase.
func BenchmarkGate_Tap(b *testing.B) {
	bb := setup(b)
	l := bb.lot(b, 100, 100)
	if _, err := bb.pool.Exec(bb.ctx, `
		UPDATE lots SET quantity = 10000000, remaining = 10000000, per_buyer_limit = 10000000 WHERE id = $1`, l.ID); err != nil {
		b.Fatal(err)
	}
	gate := live.NewGate(bb.svc.Tap, 0)
	var next sync.Mutex
	n := 0
	b.SetParallelism(32) // x GOMAXPROCS (2 here): 64 shoppers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			n++
			id := fmt.Sprint(n)
			next.Unlock()
			r, err := gate.Tap(bb.ctx, live.Tap{Lot: l.ID, Buyer: core.UserID(n % 5000), ID: id})
			if err != nil || r.Outcome != live.TapClaimed {
				b.Fatalf("tap: %+v, %v", r, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "taps/s")
}

// BenchmarkHotRow is the naive way BenchmarkGate_Tap is measured against: one
// statement per tap on the lot's row, 64 clients.
func BenchmarkHotRow(b *testing.B) {
	bb := setup(b)
	l := bb.lot(b, 100, 100)
	if _, err := bb.pool.Exec(bb.ctx, `UPDATE lots SET quantity = 10000000, remaining = 10000000 WHERE id = $1`, l.ID); err != nil {
		b.Fatal(err)
	}
	pool, err := pgxpool.New(bb.ctx, bb.url+"&pool_max_conns=64")
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := pool.Exec(bb.ctx, `UPDATE lots SET remaining = remaining - 1 WHERE id = $1 AND remaining >= 1`, l.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "taps/s")
}

// The KOL ends a lot early (taps refused from then on) or extends it once.
func TestService_EndAndExtendLot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	l := b.lot(t, 10, 2)
	_, err := b.svc.ExtendLot(b.ctx, other, l.ID, 5*time.Minute)
	wantErr(t, err, live.ErrNotKOL)
	ext, err := b.svc.ExtendLot(b.ctx, kol, l.ID, 5*time.Minute)
	if err != nil || !ext.EndsAt.Equal(l.EndsAt.Add(5*time.Minute)) || !ext.Extended {
		t.Fatalf("extend: %+v, %v", ext, err)
	}
	_, err = b.svc.ExtendLot(b.ctx, kol, l.ID, 5*time.Minute)
	wantErr(t, err, live.ErrLotState)
	if n := b.count(t, `SELECT count(*) FROM outbox WHERE key = $1`, fmt.Sprintf("live:lot:post:%d:end:%d", l.ID, ext.EndsAt.Unix())); n != 1 {
		t.Errorf("%d jobs for the post at the new end, want 1", n)
	}
	b.clock.Advance(time.Minute)
	ended, err := b.svc.EndLot(b.ctx, kol, l.ID)
	if err != nil || ended.Status != live.LotEnded || !ended.EndsAt.Equal(b.clock.Now()) {
		t.Fatalf("end: %+v, %v", ended, err)
	}
	if _, err := b.svc.EndLot(b.ctx, kol, l.ID); err != nil {
		t.Errorf("ended again: %v", err)
	}
	res, err := b.svc.Tap(b.ctx, l.ID, []live.Tap{{Lot: l.ID, Buyer: 9, ID: "late"}})
	if err != nil || res[0].Outcome != live.TapEnded {
		t.Errorf("a tap after the end: %+v, %v", res, err)
	}
}

// A unit that comes back goes to the waiting list's first, as a reservation of
// their own with its job; the counter does not move.
func TestService_Waitlist(t *testing.T) {
	t.Parallel()
	b := setup(t)
	l := b.lot(t, 1, 1)
	users := user.NewService(postgres.NewUsers(b.pool), b.clock)
	for _, id := range []core.UserID{501, 502, 503} {
		if _, err := users.Touch(b.ctx, user.Seen{ID: id, FirstName: "Подписчик"}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := b.svc.Tap(b.ctx, l.ID, []live.Tap{{Lot: l.ID, Buyer: 501, ID: "a"}, {Lot: l.ID, Buyer: 502, ID: "b"}})
	if err != nil || res[0].Outcome != live.TapClaimed || res[1].Outcome != live.TapSoldOut {
		t.Fatalf("taps: %+v, %v", res, err)
	}
	if n, _, err := b.svc.JoinWaitlist(b.ctx, 502, l.ID); err != nil || n != 1 {
		t.Fatalf("502 joins: %d, %v", n, err)
	}
	if n, _, err := b.svc.JoinWaitlist(b.ctx, 503, l.ID); err != nil || n != 2 {
		t.Fatalf("503 joins: %d, %v", n, err)
	}
	if n, _, _ := b.svc.JoinWaitlist(b.ctx, 502, l.ID); n != 1 {
		t.Errorf("502 joins again: place %d, want still 1", n)
	}
	b.clock.Advance(live.DefaultHold)
	if ok, err := b.svc.Release(b.ctx, l.ID, "a"); err != nil || !ok {
		t.Fatalf("release: %v, %v", ok, err)
	}
	claims, err := b.svc.BuyerClaims(b.ctx, l.ID, 502)
	if err != nil || len(claims) != 1 || claims[0].Status != live.ClaimHeld || !claims[0].HeldUntil.Equal(b.clock.Now().Add(live.DefaultHold)) {
		t.Fatalf("502's claims %+v, %v", claims, err)
	}
	if got, _ := b.svc.Lot(b.ctx, l.ID); got.Remaining != 0 {
		t.Errorf("%d left, want 0: the unit went to the waiting list", got.Remaining)
	}
	if n := b.count(t, `SELECT count(*) FROM outbox WHERE kind = $1 AND payload->'taps' ? $2`, live.JobClaim, claims[0].Tap); n != 1 {
		t.Errorf("%d claim jobs for the waiting list's unit, want 1", n)
	}
	if n, _, _ := b.svc.JoinWaitlist(b.ctx, 503, l.ID); n != 1 {
		t.Errorf("503's place after 502 was served: %d, want 1", n)
	}
	if n, _, _ := b.svc.JoinWaitlist(b.ctx, 502, l.ID); n != 0 {
		t.Errorf("502, served, joins again: place %d, want 0", n)
	}
}

// A buyer who let two reservations of the session run out unpaid may reserve
// no more in it; others may.
func TestService_Strikes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	l := b.lot(t, 10, 5)
	for i, tap := range []string{"s1", "s2"} {
		if res, err := b.svc.Tap(b.ctx, l.ID, []live.Tap{{Lot: l.ID, Buyer: 601, ID: tap}}); err != nil || res[0].Outcome != live.TapClaimed {
			t.Fatalf("tap %d: %+v, %v", i, res, err)
		}
	}
	b.clock.Advance(live.DefaultHold)
	for _, tap := range []string{"s1", "s2"} {
		if ok, err := b.svc.Release(b.ctx, l.ID, tap); err != nil || !ok {
			t.Fatalf("release %s: %v, %v", tap, ok, err)
		}
	}
	res, err := b.svc.Tap(b.ctx, l.ID, []live.Tap{{Lot: l.ID, Buyer: 601, ID: "s3"}, {Lot: l.ID, Buyer: 602, ID: "t1"}})
	if err != nil || res[0].Outcome != live.TapStruck || res[1].Outcome != live.TapClaimed {
		t.Errorf("after two unpaid: %+v, %v", res, err)
	}
}

// A draw: taps in the window enter it, once per buyer; when it closes the units
// go to entrants drawn at random, the others wait in the waiting list; a
// winner's tap sent again finds their reservation.
func TestService_Draw(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sess := b.liveSession(t, 2, 1)
	l, err := b.svc.Drop(b.ctx, kol, live.Drop{Session: sess.ID, Variant: b.variant, Duration: 15 * time.Minute, Mode: live.Draw})
	if err != nil || l.Mode != live.Draw || !l.DrawUntil.Equal(t0.Add(live.DrawWindow)) {
		t.Fatalf("drop: %+v, %v", l, err)
	}
	var taps []live.Tap
	for i := range 5 {
		taps = append(taps, live.Tap{Lot: l.ID, Buyer: core.UserID(700 + i), ID: fmt.Sprint("e", i), FirstName: "Подписчик"})
	}
	taps = append(taps, live.Tap{Lot: l.ID, Buyer: 700, ID: "again", FirstName: "Подписчик"})
	res, err := b.svc.Tap(b.ctx, l.ID, taps)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Outcome != live.TapEntered {
			t.Fatalf("a tap in the window: %+v", r)
		}
	}
	if n := b.count(t, `SELECT count(*) FROM lot_entries WHERE lot_id = $1`, l.ID); n != 5 {
		t.Errorf("%d entries, want 5 (one per buyer)", n)
	}
	if drawn, err := b.svc.Draw(b.ctx, l.ID); err != nil || drawn {
		t.Fatalf("a draw before the window closed: %v, %v", drawn, err)
	}
	b.clock.Set(l.DrawUntil)
	for range 2 {
		if drawn, err := b.svc.Draw(b.ctx, l.ID); err != nil || !drawn {
			t.Fatalf("the draw: %v, %v", drawn, err)
		}
	}
	if n := b.count(t, `SELECT count(*) FROM lot_claims WHERE lot_id = $1`, l.ID); n != 2 {
		t.Errorf("%d claims, want 2 (the units)", n)
	}
	if n := b.count(t, `SELECT count(*) FROM lot_waitlist WHERE lot_id = $1`, l.ID); n != 3 {
		t.Errorf("%d waiting, want the 3 who did not win", n)
	}
	got, _ := b.svc.Lot(b.ctx, l.ID)
	if got.Remaining != 0 || !got.Drawn {
		t.Errorf("lot after the draw %+v", got)
	}
	var winner core.UserID
	var tap string
	if err := b.pool.QueryRow(b.ctx, `SELECT buyer_id, tap_id FROM lot_claims WHERE lot_id = $1 LIMIT 1`, l.ID).Scan(&winner, &tap); err != nil {
		t.Fatal(err)
	}
	again, err := b.svc.Tap(b.ctx, l.ID, []live.Tap{{Lot: l.ID, Buyer: winner, ID: tap}})
	if err != nil || again[0].Outcome != live.TapClaimed {
		t.Errorf("a winner's entry sent again: %+v, %v", again, err)
	}
}

// A session ended (or cancelled) while taps are being written: the units the
// batches took stay theirs, the rest go back to the shop, and once every
// claim is released each unit is back exactly once.
func TestService_EndDuringTaps(t *testing.T) {
	t.Parallel()
	for _, cancel := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancel=%v", cancel), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			available := func() int {
				return b.count(t, `SELECT on_hand - reserved FROM variants WHERE id = $1`, b.variant)
			}
			before := available()
			l := b.lot(t, 60, 1)
			gate := live.NewGate(b.svc.Tap, 0)
			var wg sync.WaitGroup
			started := make(chan struct{})
			for i := range 8 {
				wg.Go(func() {
					for n := range 10 {
						if i == 0 && n == 3 {
							close(started)
						}
						if _, err := gate.Tap(b.ctx, live.Tap{Lot: l.ID, Buyer: core.UserID(20_000 + i*10 + n), ID: fmt.Sprintf("%d-%d", i, n)}); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			<-started
			var err error
			if cancel {
				_, err = b.svc.Cancel(b.ctx, kol, l.Session)
			} else {
				_, err = b.svc.End(b.ctx, kol, l.Session)
			}
			if err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			held := b.count(t, `SELECT count(*) FROM lot_claims WHERE lot_id = $1 AND status = 'held'`, l.ID)
			if got := available(); got != before-held {
				t.Errorf("%d available with %d units claimed, want %d", got, held, before-held)
			}
			// Every claim runs out: each unit comes back once.
			b.clock.Advance(live.DefaultHold)
			rows, err := b.pool.Query(b.ctx, `SELECT tap_id FROM lot_claims WHERE lot_id = $1 AND status = 'held'`, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			taps, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			for _, tap := range taps {
				if _, err := b.svc.Release(b.ctx, l.ID, tap); err != nil {
					t.Fatal(err)
				}
			}
			if got := available(); got != before {
				t.Errorf("%d available once every claim ran out, want all %d back", got, before)
			}
			if got, _ := b.svc.Lot(b.ctx, l.ID); cancel != (got.Status == live.LotCancelled) {
				t.Errorf("the lot is %s after the session was cancelled=%v", got.Status, cancel)
			}
		})
	}
}
