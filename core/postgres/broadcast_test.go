package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// Every package-level name in this file starts with "bc": other stores' tests
// share the package.

// bcEnv is one test's world: a database with a shop (owner 1), the broadcast
// store and service over it.
type bcEnv struct {
	t     *testing.T
	ctx   context.Context
	pool  *pgxpool.Pool
	clock *core.FakeClock
	store *Broadcasts
	svc   *broadcast.Service
	owner core.UserID
	shop  core.ShopID
	seq   int
}

func bcSetup(t *testing.T) *bcEnv {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	e := &bcEnv{t: t, ctx: context.Background(), pool: pool, clock: core.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	e.store = NewBroadcasts(pool)
	e.svc = broadcast.NewService(e.store, e.clock)
	e.owner = e.user(1)
	e.shop = e.newShop(e.owner)
	return e
}

func (e *bcEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *bcEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e *bcEnv) user(id core.UserID) core.UserID {
	e.t.Helper()
	e.exec(`INSERT INTO users (id, first_name) VALUES ($1, 'u') ON CONFLICT DO NOTHING`, id)
	return id
}

func (e *bcEnv) newShop(owner core.UserID) core.ShopID {
	e.t.Helper()
	var id core.ShopID
	if err := e.pool.QueryRow(e.ctx, `INSERT INTO shops (name, currency, payment_method, created_by)
		VALUES ('shop', 'XTR', 'stars', $1) RETURNING id`, owner).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	e.exec(`INSERT INTO shop_staff (shop_id, user_id, role) VALUES ($1, $2, 'owner')`, id, owner)
	return id
}

// product adds a product of one variant to shop.
func (e *bcEnv) product(shop core.ShopID) (core.ProductID, core.VariantID) {
	e.t.Helper()
	e.seq++
	var p core.ProductID
	var v core.VariantID
	if err := e.pool.QueryRow(e.ctx, `INSERT INTO products (shop_id, title) VALUES ($1, 'thing') RETURNING id`, shop).Scan(&p); err != nil {
		e.t.Fatal(err)
	}
	if err := e.pool.QueryRow(e.ctx, `INSERT INTO variants (product_id, shop_id, sku, price, on_hand)
		VALUES ($1, $2, $3, 10, 100) RETURNING id`, p, shop, fmt.Sprintf("SKU-%d", e.seq)).Scan(&v); err != nil {
		e.t.Fatal(err)
	}
	return p, v
}

// order records an order of buyer in shop with status, of one line of p.
func (e *bcEnv) order(shop core.ShopID, buyer core.UserID, status string, p core.ProductID, v core.VariantID) {
	e.t.Helper()
	e.seq++
	var id int64
	if err := e.pool.QueryRow(e.ctx, `INSERT INTO orders (shop_id, buyer_id, status, currency, items_total, total, delivery, checkout_key)
		VALUES ($1, $2, $3, 'XTR', 10, 10, 'none', $4) RETURNING id`, shop, buyer, status, fmt.Sprintf("k%d", e.seq)).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	e.exec(`INSERT INTO order_lines (order_id, line_no, variant_id, product_id, title, sku, quantity, unit_price)
		VALUES ($1, 1, $2, $3, 'thing', 'SKU', 1, 10)`, id, v, p)
}

func (e *bcEnv) wantCount(a broadcast.Audience, want int) {
	e.t.Helper()
	n, err := e.svc.Count(e.ctx, e.owner, e.shop, a)
	if err != nil {
		e.t.Fatalf("count %v: %v", a, err)
	}
	if n != want {
		e.t.Errorf("count %v = %d, want %d", a, n, want)
	}
}

func (e *bcEnv) start(key string, a broadcast.Audience) broadcast.Broadcast {
	e.t.Helper()
	b, err := e.svc.Start(e.ctx, e.owner, broadcast.Draft{
		Key: key, ShopID: e.shop, Content: broadcast.Content{Text: "Spring sale!"}, Audience: a,
		ProgressChat: int64(e.owner), ProgressMessageID: 77,
	})
	if err != nil {
		e.t.Fatalf("start: %v", err)
	}
	return b
}

var bcCustomers = broadcast.Audience{Kind: broadcast.AudienceCustomers}

// bcWorld makes the audience most tests use: buyers 101 (paid, product A), 102
// (completed, product B), 103 (only an expired order), 104 (paid A, then opted
// out), 105 (paid A, blocked the bot), and subscribers 102, 106.
func bcWorld(t *testing.T) (*bcEnv, core.ProductID) {
	e := bcSetup(t)
	pa, va := e.product(e.shop)
	pb, vb := e.product(e.shop)
	for id := core.UserID(101); id <= 106; id++ {
		e.user(id)
	}
	e.order(e.shop, 101, "paid", pa, va)
	e.order(e.shop, 101, "shipped", pa, va) // two orders, one person
	e.order(e.shop, 102, "completed", pb, vb)
	e.order(e.shop, 103, "expired", pa, va)
	e.order(e.shop, 104, "paid", pa, va)
	e.order(e.shop, 105, "ready_for_pickup", pa, va)
	e.exec(`UPDATE users SET unreachable_at = now() WHERE id = 105`)
	if err := e.svc.Unsubscribe(e.ctx, 104, e.shop); err != nil {
		t.Fatal(err)
	}
	for _, u := range []core.UserID{102, 106} {
		if err := e.svc.Subscribe(e.ctx, u, e.shop); err != nil {
			t.Fatal(err)
		}
	}
	// Another shop's customer is nobody's concern here.
	other := e.newShop(e.user(2))
	po, vo := e.product(other)
	e.order(other, 106, "paid", po, vo)
	return e, pa
}

func TestBroadcasts_Audience(t *testing.T) {
	e, pa := bcWorld(t)
	e.wantCount(bcCustomers, 2)                                                       // 101, 102
	e.wantCount(broadcast.Audience{Kind: broadcast.AudienceBuyers, ProductID: pa}, 1) // 101
	e.wantCount(broadcast.Audience{Kind: broadcast.AudienceSubscribers}, 2)           // 102, 106
	if _, err := e.svc.Count(e.ctx, 101, e.shop, bcCustomers); !errors.Is(err, catalog.ErrNotStaff) {
		t.Errorf("count by a shopper: %v, want ErrNotStaff", err)
	}
	if _, err := e.svc.Count(e.ctx, e.owner, e.shop, broadcast.Audience{Kind: "everyone"}); !errors.Is(err, broadcast.ErrAudience) {
		t.Errorf("unknown audience: %v", err)
	}
	po, _ := e.product(e.newShop(e.user(3)))
	if _, err := e.svc.Count(e.ctx, e.owner, e.shop, broadcast.Audience{Kind: broadcast.AudienceBuyers, ProductID: po}); !errors.Is(err, catalog.ErrProductNotFound) {
		t.Errorf("another shop's product: %v", err)
	}

	t.Run("SubscribeAgainClearsOptOut", func(t *testing.T) {
		if err := e.svc.Subscribe(e.ctx, 104, e.shop); err != nil {
			t.Fatal(err)
		}
		e.wantCount(bcCustomers, 3)
		e.wantCount(broadcast.Audience{Kind: broadcast.AudienceSubscribers}, 3)
		if err := e.svc.Unsubscribe(e.ctx, 104, e.shop); err != nil {
			t.Fatal(err)
		}
		e.wantCount(bcCustomers, 2)
		if ok, _ := e.svc.Subscribed(e.ctx, e.shop, 104); ok {
			t.Error("104 still subscribed after unsubscribing")
		}
	})
}

func TestBroadcasts_Start(t *testing.T) {
	e, _ := bcWorld(t)
	b := e.start("conv-1", bcCustomers)
	if b.Status != broadcast.StatusRunning || b.Materialized || b.ProgressMessageID != 77 {
		t.Errorf("started: %+v", b)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE kind = $1 AND key = $2 AND payload->>'broadcast_id' = $3`,
		broadcast.JobStart, fmt.Sprintf("broadcast:start:%d", b.ID), fmt.Sprint(b.ID)); n != 1 {
		t.Errorf("%d start jobs, want 1", n)
	}

	t.Run("SameKeyIsTheSameBroadcast", func(t *testing.T) {
		again := e.start("conv-1", bcCustomers)
		if again.ID != b.ID {
			t.Errorf("second start made broadcast %d, want %d", again.ID, b.ID)
		}
		if n := e.count(`SELECT count(*) FROM outbox WHERE kind = $1`, broadcast.JobStart); n != 1 {
			t.Errorf("%d start jobs after a double start, want 1", n)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			actor core.UserID
			d     broadcast.Draft
			want  error
		}{
			{"NotStaff", 101, broadcast.Draft{Key: "x", ShopID: e.shop, Content: broadcast.Content{Text: "hi"}, Audience: bcCustomers}, catalog.ErrNotStaff},
			{"Empty", e.owner, broadcast.Draft{Key: "x", ShopID: e.shop, Content: broadcast.Content{Text: " \u200b"}, Audience: bcCustomers}, broadcast.ErrEmpty},
			{"NoKey", e.owner, broadcast.Draft{ShopID: e.shop, Content: broadcast.Content{Text: "hi"}, Audience: bcCustomers}, broadcast.ErrNoKey},
			{"TooManyButtons", e.owner, broadcast.Draft{Key: "x", ShopID: e.shop, Content: broadcast.Content{Text: "hi", Products: []core.ProductID{1, 2, 3, 4}}, Audience: bcCustomers}, broadcast.ErrTooManyButtons},
			{"Nobody", e.owner, broadcast.Draft{Key: "x", ShopID: e.shop, Content: broadcast.Content{Text: "hi"}, Audience: broadcast.Audience{Kind: broadcast.AudienceBuyers, ProductID: e.productWithoutBuyers()}}, broadcast.ErrNobody},
		} {
			if _, err := e.svc.Start(e.ctx, tc.actor, tc.d); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
	})
}

func (e *bcEnv) productWithoutBuyers() core.ProductID {
	p, _ := e.product(e.shop)
	return p
}

func TestBroadcasts_Materialize(t *testing.T) {
	e, _ := bcWorld(t)
	b := e.start("k", bcCustomers)
	got, err := e.svc.Materialize(e.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Materialized || got.Total != 2 || got.Pending() != 2 {
		t.Errorf("materialized: %+v", got)
	}
	// A second run (a retried job) records nobody twice, even if the audience grew.
	e.user(107)
	pa, va := e.product(e.shop)
	e.order(e.shop, 107, "paid", pa, va)
	again, err := e.svc.Materialize(e.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Total != 2 || e.count(`SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = $1`, b.ID) != 2 {
		t.Errorf("after a second run: total %d", again.Total)
	}
	rs, err := e.svc.Recipients(e.ctx, b.ID, 0, 1)
	if err != nil || len(rs) != 1 || rs[0].UserID != 101 {
		t.Fatalf("first page: %v %v", rs, err)
	}
	rs, err = e.svc.Recipients(e.ctx, b.ID, rs[0].UserID, 10)
	if err != nil || len(rs) != 1 || rs[0].UserID != 102 {
		t.Fatalf("second page: %v %v", rs, err)
	}

	t.Run("EmptyAudienceFinishes", func(t *testing.T) {
		b := e.start("sub", broadcast.Audience{Kind: broadcast.AudienceSubscribers})
		for _, u := range []core.UserID{102, 106} {
			if err := e.svc.Unsubscribe(e.ctx, u, e.shop); err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.svc.Materialize(e.ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != broadcast.StatusFinished || got.Total != 0 {
			t.Errorf("empty audience: %+v", got)
		}
	})
}

func TestBroadcasts_Outcomes(t *testing.T) {
	e, _ := bcWorld(t)
	b := e.start("k", bcCustomers)
	if _, err := e.svc.Materialize(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	should := func(u core.UserID, want bool) {
		t.Helper()
		ok, err := e.svc.ShouldSend(e.ctx, b.ID, u)
		if err != nil || ok != want {
			t.Errorf("ShouldSend(%d) = %v, %v; want %v", u, ok, err, want)
		}
	}
	should(101, true)
	should(103, false) // not a recipient

	st, changed, err := e.svc.RecordOutcome(e.ctx, b.ID, 101, broadcast.OutcomeSent)
	if err != nil || !changed || st.Seq != 1 || st.Remaining != 2 {
		t.Fatalf("first outcome: %+v %v %v", st, changed, err)
	}
	should(101, false) // sent already
	if _, changed, _ := e.svc.RecordOutcome(e.ctx, b.ID, 101, broadcast.OutcomeSent); changed {
		t.Error("a second outcome of one message counted")
	}
	if _, finished, err := e.svc.Finish(e.ctx, b.ID); err != nil || finished {
		t.Errorf("finished with a recipient pending: %v %v", finished, err)
	}

	// An opt-out is honoured at once by a message still queued.
	if err := e.svc.Unsubscribe(e.ctx, 102, e.shop); err != nil {
		t.Fatal(err)
	}
	should(102, false)
	st, changed, err = e.svc.RecordOutcome(e.ctx, b.ID, 102, broadcast.OutcomeSkipped)
	if err != nil || !changed || st.Seq != 2 || st.Remaining != 1 {
		t.Fatalf("last outcome: %+v %v %v", st, changed, err)
	}
	got, finished, err := e.svc.Finish(e.ctx, b.ID)
	if err != nil || !finished || got.Status != broadcast.StatusFinished || got.Sent != 1 || got.Skipped != 1 || got.FinishedAt.IsZero() {
		t.Fatalf("finish: %+v %v %v", got, finished, err)
	}
	if _, again, _ := e.svc.Finish(e.ctx, b.ID); again {
		t.Error("finished twice")
	}

	list, err := e.svc.Unreported(e.ctx, 10)
	if err != nil || len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("unreported: %v %v", list, err)
	}
	if err := e.svc.MarkReported(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.svc.Unreported(e.ctx, 10); len(list) != 0 {
		t.Errorf("reported broadcast still unreported: %v", list)
	}
}

// Outcomes recorded at once by many workers are each counted once, and the
// broadcast is finished once, by one of those that asked.
func TestBroadcasts_ConcurrentOutcomes(t *testing.T) {
	e := bcSetup(t)
	const n = 300
	e.exec(`INSERT INTO users (id, first_name) SELECT g, 'u' FROM generate_series(5000, 5000 + $1 - 1) g`, n)
	e.exec(`INSERT INTO shop_subscribers (shop_id, user_id) SELECT $1, g FROM generate_series(5000, 5000 + $2 - 1) g`, e.shop, n)
	b := e.start("k", broadcast.Audience{Kind: broadcast.AudienceSubscribers})
	if _, err := e.svc.Materialize(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	var (
		wg       sync.WaitGroup
		finished atomic.Int32
		next     atomic.Int32
	)
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				u := core.UserID(5000 + i)
				for range 2 { // each outcome told twice, as a retried Done would
					if _, _, err := e.svc.RecordOutcome(e.ctx, b.ID, u, broadcast.OutcomeSent); err != nil {
						t.Error(err)
						return
					}
				}
				if _, ok, err := e.svc.Finish(e.ctx, b.ID); err != nil {
					t.Error(err)
				} else if ok {
					finished.Add(1)
				}
			}
		})
	}
	wg.Wait()
	got, _ := e.store.Broadcast(e.ctx, b.ID)
	if got.Sent != n || got.Status != broadcast.StatusFinished || finished.Load() != 1 {
		t.Errorf("after %d outcomes: %+v, finished %d times", n, got, finished.Load())
	}
}

func TestBroadcasts_Cancel(t *testing.T) {
	e, _ := bcWorld(t)
	b := e.start("k", bcCustomers)
	if _, err := e.svc.Materialize(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.RecordOutcome(e.ctx, b.ID, 101, broadcast.OutcomeSent); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cancel(e.ctx, 101, b.ID); !errors.Is(err, broadcast.ErrNotFound) {
		t.Errorf("cancel by a shopper: %v", err)
	}
	got, err := e.svc.Cancel(e.ctx, e.owner, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != broadcast.StatusCancelled || got.Cancelled != 1 || got.Sent != 1 || got.Pending() != 0 || got.Total != 2 {
		t.Errorf("cancelled: %+v", got)
	}
	if ok, _ := e.svc.ShouldSend(e.ctx, b.ID, 102); ok {
		t.Error("a cancelled broadcast still sends")
	}
	if _, changed, _ := e.svc.RecordOutcome(e.ctx, b.ID, 102, broadcast.OutcomeSkipped); changed {
		t.Error("a cancelled recipient's outcome counted")
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE kind = $1`, broadcast.JobProgress); n != 1 {
		t.Errorf("%d progress jobs after cancel, want 1", n)
	}
	if _, err := e.svc.Cancel(e.ctx, e.owner, b.ID); !errors.Is(err, broadcast.ErrOver) {
		t.Errorf("second cancel: %v, want ErrOver", err)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE kind = $1`, broadcast.JobProgress); n != 1 {
		t.Errorf("%d progress jobs after a second cancel, want 1", n)
	}
	// A cancelled broadcast is never materialized later (its start job ran late).
	if got, _ := e.svc.Materialize(e.ctx, b.ID); got.Status != broadcast.StatusCancelled {
		t.Errorf("materialize after cancel: %+v", got)
	}
}

// A page's recipients are checked in one query, and their outcomes recorded in
// one statement, each once; the broadcast's end is found by position, whatever
// the recipients' status.
func TestBroadcasts_Pages(t *testing.T) {
	e := bcSetup(t)
	const n = 10
	e.exec(`INSERT INTO users (id, first_name) SELECT g, 'u' FROM generate_series(201, 200 + $1) g`, n)
	e.exec(`INSERT INTO shop_subscribers (shop_id, user_id) SELECT $1, g FROM generate_series(201, 200 + $2) g`, e.shop, n)
	b := e.start("k", broadcast.Audience{Kind: broadcast.AudienceSubscribers})
	if _, err := e.svc.Materialize(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("RecipientAfter", func(t *testing.T) {
		for _, tc := range []struct {
			after core.UserID
			n     int
			want  core.UserID
			ok    bool
		}{{0, 1, 201, true}, {0, 10, 210, true}, {0, 11, 0, false}, {205, 3, 208, true}, {209, 1, 210, true}, {210, 1, 0, false}} {
			got, ok, err := e.svc.RecipientAfter(e.ctx, b.ID, tc.after, tc.n)
			if err != nil || got != tc.want || ok != tc.ok {
				t.Errorf("RecipientAfter(%d, %d) = %d, %v, %v; want %d, %v", tc.after, tc.n, got, ok, err, tc.want, tc.ok)
			}
		}
	})

	t.Run("Page", func(t *testing.T) {
		e.exec(`UPDATE users SET language = 'kk' WHERE id = 202`)
		e.exec(`UPDATE broadcast_recipients SET status = 'sent' WHERE broadcast_id = $1 AND user_id = 203`, b.ID)
		defer e.exec(`UPDATE broadcast_recipients SET status = 'pending' WHERE broadcast_id = $1 AND user_id = 203`, b.ID)
		p, err := e.svc.Page(e.ctx, b.ID, 201, 3)
		if err != nil || p.Size != 3 || p.Last != 204 || fmt.Sprint(p.Pending) != "[{202 kk} {204 }]" {
			t.Errorf("page after 201: %+v %v", p, err)
		}
		if p, err := e.svc.Page(e.ctx, b.ID, 208, 5); err != nil || p.Size != 2 || p.Last != 210 || len(p.Pending) != 2 {
			t.Errorf("last page: %+v %v", p, err)
		}
		if p, err := e.svc.Page(e.ctx, b.ID, 210, 5); err != nil || p.Size != 0 || p.Last != 0 {
			t.Errorf("past the end: %+v %v", p, err)
		}
	})

	// 203 opts out, 204 blocks the bot; 209 is not asked about; 999 is nobody.
	if err := e.svc.Unsubscribe(e.ctx, 203, e.shop); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE users SET unreachable_at = now() WHERE id = 204`)
	running, send, err := e.svc.Sendable(e.ctx, b.ID, []core.UserID{201, 202, 203, 204, 205, 999})
	if err != nil || !running || fmt.Sprint(send) != "[201 202 205]" {
		t.Fatalf("sendable: %v %v %v", running, send, err)
	}

	batch, err := e.svc.RecordOutcomes(e.ctx, b.ID, []broadcast.Result{
		{User: 201, Outcome: broadcast.OutcomeSent}, {User: 202, Outcome: broadcast.OutcomeBlocked},
		{User: 203, Outcome: broadcast.OutcomeSkipped}, {User: 204, Outcome: broadcast.OutcomeSkipped},
		{User: 201, Outcome: broadcast.OutcomeSent}, // told twice in one batch
		{User: 999, Outcome: broadcast.OutcomeSent}, // not a recipient
	})
	if err != nil || !batch.Running || batch.Remaining != n || fmt.Sprint(batch.Seqs) != "[1 2 3 4]" {
		t.Fatalf("first batch: %+v %v", batch, err)
	}
	// Told again (a page run again), nothing is counted twice.
	batch, err = e.svc.RecordOutcomes(e.ctx, b.ID, []broadcast.Result{
		{User: 201, Outcome: broadcast.OutcomeSent}, {User: 205, Outcome: broadcast.OutcomeFailed},
	})
	if err != nil || batch.Remaining != n-4 || fmt.Sprint(batch.Seqs) != "[5]" {
		t.Fatalf("second batch: %+v %v", batch, err)
	}
	got, _ := e.store.Broadcast(e.ctx, b.ID)
	if got.Sent != 1 || got.Blocked != 1 || got.Skipped != 2 || got.Failed != 1 || got.Pending() != n-5 {
		t.Errorf("after the batches: %+v", got)
	}
	if _, err := e.svc.RecordOutcomes(e.ctx, b.ID, []broadcast.Result{{User: 206, Outcome: "lost"}}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("an unknown outcome: %v", err)
	}

	// Once cancelled, nobody is sendable, a late batch changes nothing and says
	// the broadcast stopped.
	if _, err := e.svc.Cancel(e.ctx, e.owner, b.ID); err != nil {
		t.Fatal(err)
	}
	if running, send, err := e.svc.Sendable(e.ctx, b.ID, []core.UserID{206, 207}); err != nil || running || len(send) != 0 {
		t.Errorf("sendable after the cancel: %v %v %v", running, send, err)
	}
	batch, err = e.svc.RecordOutcomes(e.ctx, b.ID, []broadcast.Result{{User: 206, Outcome: broadcast.OutcomeSent}})
	if err != nil || batch.Running || len(batch.Seqs) != 0 {
		t.Errorf("a batch after the cancel: %+v %v", batch, err)
	}
	if _, _, err := e.svc.Sendable(e.ctx, b.ID+1000, []core.UserID{201}); !errors.Is(err, broadcast.ErrNotFound) {
		t.Errorf("sendable of no broadcast: %v", err)
	}
}

// Batches recorded at once, overlapping and in any order, count each outcome
// once and never wait for each other in a circle (a deadlock would fail one).
func TestBroadcasts_ConcurrentBatches(t *testing.T) {
	e := bcSetup(t)
	const n = 600
	e.exec(`INSERT INTO users (id, first_name) SELECT g, 'u' FROM generate_series(5000, 5000 + $1 - 1) g`, n)
	e.exec(`INSERT INTO shop_subscribers (shop_id, user_id) SELECT $1, g FROM generate_series(5000, 5000 + $2 - 1) g`, e.shop, n)
	b := e.start("k", broadcast.Audience{Kind: broadcast.AudienceSubscribers})
	if _, err := e.svc.Materialize(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			// Each goroutine tells every outcome, in batches of 50 that run
			// backwards in every other goroutine.
			for i := range n / 50 {
				if g%2 == 1 {
					i = n/50 - 1 - i
				}
				batch := make([]broadcast.Result, 50)
				for j := range batch {
					batch[j] = broadcast.Result{User: core.UserID(5000 + i*50 + j), Outcome: broadcast.OutcomeSent}
				}
				if _, err := e.svc.RecordOutcomes(e.ctx, b.ID, batch); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, _ := e.store.Broadcast(e.ctx, b.ID)
	if got.Sent != n || got.Pending() != 0 {
		t.Errorf("after %d outcomes told 8 times: %+v", n, got)
	}
}
