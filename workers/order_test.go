package workers_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
)

// The real implementations satisfy the interfaces the workers declare.
var (
	_ workers.Orders      = (*order.Service)(nil)
	_ workers.OutboxStore = (*postgres.Outbox)(nil)
	_ workers.Enqueuer    = (*asynq.Client)(nil)
)

// notifier is the bot's side of notifications: it records them.
type notifier struct {
	mu     sync.Mutex
	events []string
}

func (n *notifier) OrderMessages(ctx context.Context, id core.OrderID, ev order.Event) ([]core.Message, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, fmt.Sprintf("%d:%s", id, ev))
	return []core.Message{testMessage(fmt.Sprintf("order:%d:%s", id, ev), core.PriorityOrder)}, nil
}

// testMessage is a message to chat 1 under key.
func testMessage(key string, prio core.Priority) core.Message {
	return core.Message{Key: key, Chat: 1, Priority: prio, Method: "sendMessage", Params: []byte(`{"chat_id":1,"text":"hi"}`)}
}

func (n *notifier) got() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.events...)
}

// refunder is the bot's side of refunds: it records them, or fails with err.
type refunder struct {
	mu    sync.Mutex
	stars []string
	cards []string
	err   error
}

func (r *refunder) RefundStars(ctx context.Context, buyer core.UserID, charge string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.stars = append(r.stars, fmt.Sprintf("%d:%s", buyer, charge))
	return nil
}

func (r *refunder) CardRefundMessages(ctx context.Context, ch order.Charge) ([]core.Message, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	r.cards = append(r.cards, fmt.Sprintf("%d:%s:%s", ch.OrderID, ch.TelegramChargeID, ch.Amount))
	return []core.Message{testMessage(fmt.Sprintf("refund:%d", ch.ID), core.PriorityOrder)}, nil
}

// orderBundle is one test's world: a database with the order service on a clock the
// test moves, the test's asynq queues, and the workers over them.
type orderBundle struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	clock    *core.FakeClock
	svc      *order.Service
	env      *asynqtest.Env
	w        *workers.Workers
	notifier *notifier
	refunder *refunder
	seq      int
}

func setupOrders(t *testing.T) *orderBundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	b := &orderBundle{
		ctx:      context.Background(),
		pool:     pool,
		clock:    core.NewFakeClock(time.Now().Truncate(time.Millisecond)),
		env:      asynqtest.New(t),
		notifier: &notifier{},
		refunder: &refunder{},
	}
	b.svc = order.NewService(postgres.NewOrders(pool), b.clock)
	b.w = workers.New(workers.Deps{
		Orders:      b.svc,
		Notifier:    b.notifier,
		Refunder:    b.refunder,
		Outbox:      postgres.NewOutbox(pool),
		Queue:       b.env.Client,
		QueuePrefix: b.env.QueuePrefix,
		RelayEvery:  20 * time.Millisecond,
		SweepEvery:  time.Second,
	})
	return b
}

func (b *orderBundle) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := b.pool.Exec(b.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// shop creates a shop with an owner, a product of one variant with stock, and a
// buyer; the reservation time is a minute.
func (b *orderBundle) shop(t *testing.T, stars bool) (owner, buyer core.UserID, shop core.ShopID, v core.VariantID) {
	t.Helper()
	b.seq++
	owner, buyer = core.UserID(1000+b.seq), core.UserID(2000+b.seq)
	b.exec(t, `INSERT INTO users (id) VALUES ($1), ($2)`, owner, buyer)
	cur, method := "RUB", "card"
	if stars {
		cur, method = "XTR", "stars"
	}
	if err := b.pool.QueryRow(b.ctx, `
		INSERT INTO shops (name, currency, payment_method, reservation_ttl_seconds, created_by)
		VALUES ('shop', $1, $2, 60, $3) RETURNING id`, cur, method, owner).Scan(&shop); err != nil {
		t.Fatal(err)
	}
	b.exec(t, `INSERT INTO shop_staff (shop_id, user_id, role) VALUES ($1, $2, 'owner')`, shop, owner)
	var product core.ProductID
	if err := b.pool.QueryRow(b.ctx, `INSERT INTO products (shop_id, title) VALUES ($1, 'thing') RETURNING id`, shop).Scan(&product); err != nil {
		t.Fatal(err)
	}
	if err := b.pool.QueryRow(b.ctx, `
		INSERT INTO variants (product_id, shop_id, sku, price, on_hand) VALUES ($1, $2, 'SKU', 500, 5) RETURNING id`,
		product, shop).Scan(&v); err != nil {
		t.Fatal(err)
	}
	b.exec(t, `INSERT INTO stock_movements (variant_id, kind, on_hand_before, on_hand_after, reserved_before, reserved_after)
		VALUES ($1, 'receipt', 0, 5, 0, 0)`, v)
	return owner, buyer, shop, v
}

func (b *orderBundle) checkout(t *testing.T, stars bool) (owner core.UserID, o order.Order) {
	t.Helper()
	owner, buyer, shop, v := b.shop(t, stars)
	req := order.CheckoutRequest{Key: "k", BuyerID: buyer, ShopID: shop, Items: []order.Item{{VariantID: v, Quantity: 2}}}
	if stars {
		req.Delivery = order.DeliveryNone
	} else {
		req.Delivery = order.DeliveryPickup
		if err := b.pool.QueryRow(b.ctx, `INSERT INTO pickup_points (shop_id, name, address) VALUES ($1, 'Desk', 'Main st 1') RETURNING id`,
			shop).Scan(&req.PickupPointID); err != nil {
			t.Fatal(err)
		}
	}
	o, err := b.svc.Checkout(b.ctx, req)
	if err != nil {
		t.Fatalf("checkout: %v", err)
	}
	return owner, o
}

// owner returns the owner of a shop.
func (b *orderBundle) owner(t *testing.T, shop core.ShopID) core.UserID {
	t.Helper()
	var id core.UserID
	if err := b.pool.QueryRow(b.ctx, `SELECT user_id FROM shop_staff WHERE shop_id = $1 AND role = 'owner'`, shop).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (b *orderBundle) status(t *testing.T, id core.OrderID) order.Status {
	t.Helper()
	o, err := b.svc.OrderForSystem(b.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

// task returns the outbox job of kind with the given key as the relay would enqueue it.
func (b *orderBundle) task(t *testing.T, kind, key string) *asynq.Task {
	t.Helper()
	var payload []byte
	if err := b.pool.QueryRow(b.ctx, `SELECT payload FROM outbox WHERE kind = $1 AND key = $2 ORDER BY id DESC LIMIT 1`, kind, key).Scan(&payload); err != nil {
		t.Fatalf("outbox job %s: %v", key, err)
	}
	return asynq.NewTask(kind, payload)
}

// serve runs an asynq server with the workers' handlers, behind mws, until the
// test ends.
func (b *orderBundle) serve(t *testing.T, mws ...asynq.MiddlewareFunc) {
	t.Helper()
	mux := asynq.NewServeMux()
	b.w.Register(mux)
	mux.Use(mws...)
	cfg := b.w.ServerConfig()
	cfg.LogLevel = asynq.ErrorLevel
	cfg.ShutdownTimeout = 5 * time.Second
	b.env.Serve(t, cfg, mux)
}

// run runs fn until the test ends.
func run(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// TestWorkers_ExpireEarly calls the expiry handler before the reservation ends, as
// asynq may: it schedules the expiry again at the reservation's end and succeeds;
// called when due, it expires the order; called again, it does nothing.
func TestWorkers_ExpireEarly(t *testing.T) {
	t.Parallel()
	b := setupOrders(t)
	_, o := b.checkout(t, false)
	key := fmt.Sprintf("order:expire:%d", o.ID)
	task := b.task(t, order.JobExpire, key)

	b.clock.Set(o.ReservedUntil.Add(-800 * time.Millisecond))
	for range 2 { // the second early firing schedules nothing more
		if err := b.w.HandleOrderExpire(b.ctx, task); err != nil {
			t.Fatalf("early HandleOrderExpire: %v", err)
		}
	}
	if s := b.status(t, o.ID); s != order.StatusAwaitingPayment {
		t.Fatalf("status after an early firing = %s", s)
	}
	at := ceilSecond(o.ReservedUntil)
	again, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueDefault), fmt.Sprintf("%s@%d", key, at.Unix()))
	if err != nil {
		t.Fatalf("rescheduled task: %v", err)
	}
	if again.State != asynq.TaskStateScheduled || !again.NextProcessAt.Equal(at) || string(again.Payload) != string(task.Payload()) {
		t.Errorf("rescheduled task: %v at %v with %s; want scheduled at %v", again.State, again.NextProcessAt, again.Payload, at)
	}
	if scheduled, err := b.env.Inspector.ListScheduledTasks(b.env.Queue(workers.QueueDefault)); err != nil || len(scheduled) != 1 {
		t.Errorf("%d scheduled tasks (%v), want 1", len(scheduled), err)
	}

	b.clock.Set(o.ReservedUntil)
	for range 2 {
		if err := b.w.HandleOrderExpire(b.ctx, task); err != nil {
			t.Fatalf("due HandleOrderExpire: %v", err)
		}
	}
	if s := b.status(t, o.ID); s != order.StatusExpired {
		t.Errorf("status when due = %s, want expired", s)
	}
}

// TestWorkers_ExpireExtended extends a reservation after its expiry task was
// scheduled: the new job conflicts with the task, which fires at the old time, finds
// the order not due, and schedules the expiry at the new time.
func TestWorkers_ExpireExtended(t *testing.T) {
	t.Parallel()
	b := setupOrders(t)
	run(t, b.w.RunRelay)
	_, o := b.checkout(t, true)
	key := fmt.Sprintf("order:expire:%d", o.ID)
	waitFor(t, "the expiry relayed", func() bool { return countJobs(t, b.pool, "relayed_at IS NULL") == 0 })

	// The buyer pays a little later: the pre-checkout keeps the reservation alive.
	b.clock.Advance(30 * time.Second)
	if err := b.svc.CheckPreCheckout(b.ctx, order.PreCheckout{OrderID: o.ID, BuyerID: o.BuyerID, Total: o.Total}); err != nil {
		t.Fatalf("CheckPreCheckout: %v", err)
	}
	extended, err := b.svc.OrderForSystem(b.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !extended.ReservedUntil.After(o.ReservedUntil) {
		t.Fatalf("reservation not extended: %v", extended.ReservedUntil)
	}
	waitFor(t, "the new expiry relayed", func() bool { return countJobs(t, b.pool, "relayed_at IS NULL") == 0 })
	first, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueDefault), key)
	if err != nil {
		t.Fatal(err)
	}
	if !first.NextProcessAt.Equal(ceilSecond(o.ReservedUntil)) {
		t.Fatalf("the task moved to %v", first.NextProcessAt)
	}

	// The first task fires at the old time.
	b.clock.Set(o.ReservedUntil)
	if err := b.w.HandleOrderExpire(b.ctx, asynq.NewTask(first.Type, first.Payload)); err != nil {
		t.Fatalf("HandleOrderExpire: %v", err)
	}
	if s := b.status(t, o.ID); s != order.StatusAwaitingPayment {
		t.Fatalf("status = %s: expired before its extended end", s)
	}
	at := ceilSecond(extended.ReservedUntil)
	if _, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueDefault), fmt.Sprintf("%s@%d", key, at.Unix())); err != nil {
		t.Fatalf("expiry at the new end: %v", err)
	}

	b.clock.Set(extended.ReservedUntil)
	if err := b.w.HandleOrderExpire(b.ctx, asynq.NewTask(first.Type, first.Payload)); err != nil {
		t.Fatalf("HandleOrderExpire: %v", err)
	}
	if s := b.status(t, o.ID); s != order.StatusExpired {
		t.Errorf("status = %s, want expired", s)
	}
}

// TestWorkers_SweepCatchesLostExpiry loses an order's expiry task; the periodic sweep
// expires the order anyway.
func TestWorkers_SweepCatchesLostExpiry(t *testing.T) {
	t.Parallel()
	b := setupOrders(t)
	_, o := b.checkout(t, false)
	b.exec(t, `DELETE FROM outbox`) // the task never reaches asynq
	b.clock.Set(o.ReservedUntil.Add(time.Second))

	// The sweeps that ran, by the slot in their task id ("order:sweep@<unix>").
	var (
		mu     sync.Mutex
		sweeps = map[int64]int{}
		badIDs []string
	)
	countSweeps := func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
			if task.Type() == workers.TypeOrderSweep {
				id, _ := asynq.GetTaskID(ctx)
				mu.Lock()
				if slot, err := strconv.ParseInt(strings.TrimPrefix(id, workers.TypeOrderSweep+"@"), 10, 64); err == nil {
					sweeps[slot]++
				} else {
					badIDs = append(badIDs, id)
				}
				mu.Unlock()
			}
			return next.ProcessTask(ctx, task)
		})
	}
	b.serve(t, countSweeps)
	run(t, b.w.RunPeriodic)
	run(t, b.w.RunPeriodic) // a second worker: still one sweep per slot
	waitFor(t, "the sweep to expire the order", func() bool { return b.status(t, o.ID) == order.StatusExpired })
	// The slot both workers start in, and two whose start their timers waited for.
	waitFor(t, "the sweeps of three slots", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(sweeps)+len(badIDs) >= 3
	})
	mu.Lock()
	defer mu.Unlock()
	if len(badIDs) > 0 {
		t.Errorf("sweep task ids %q, want %s@<slot start>", badIDs, workers.TypeOrderSweep)
	}
	for slot, n := range sweeps {
		if n != 1 {
			t.Errorf("%d sweeps in the slot of %v, want one per slot with two workers", n, time.Unix(slot, 0))
		}
	}
}

// TestWorkers_SweepRetriesLostRefund loses the task of a Stars refund (Redis failed
// over and lost it): the periodic sweep writes the refund job again once it has waited
// an hour, and the refund goes through. A card refund, which staff make by hand, and a
// Stars refund asked for recently are left alone.
func TestWorkers_SweepRetriesLostRefund(t *testing.T) {
	t.Parallel()
	b := setupOrders(t)
	lost := b.paidAndCancelled(t, true, "ch-lost")
	b.paidAndCancelled(t, false, "ch-card")
	b.exec(t, `DELETE FROM outbox`) // relayed long ago, and the tasks are gone
	b.clock.Advance(2 * time.Hour)
	recent := b.paidAndCancelled(t, true, "ch-recent")
	b.exec(t, `DELETE FROM outbox WHERE key = 'order:refund:ch-recent'`)

	if err := b.w.HandleOrderSweep(b.ctx, asynq.NewTask(workers.TypeOrderSweep, nil)); err != nil {
		t.Fatalf("HandleOrderSweep: %v", err)
	}
	if n := countJobs(t, b.pool, "kind = 'order:refund'"); n != 1 {
		t.Fatalf("%d refund jobs written by the sweep, want 1 (the lost Stars refund)", n)
	}
	if err := b.w.HandleOrderRefund(b.ctx, b.task(t, order.JobRefund, "order:refund:ch-lost")); err != nil {
		t.Fatalf("HandleOrderRefund: %v", err)
	}
	if s := b.status(t, lost.ID); s != order.StatusRefunded {
		t.Errorf("order with the lost refund is %s, want refunded", s)
	}
	if s := b.status(t, recent.ID); s != order.StatusCancelled {
		t.Errorf("order refunded recently is %s, want cancelled (its refund still under way)", s)
	}
	// Asked for again just now: the next sweep leaves it alone.
	b.exec(t, `DELETE FROM outbox`)
	if err := b.w.HandleOrderSweep(b.ctx, asynq.NewTask(workers.TypeOrderSweep, nil)); err != nil {
		t.Fatalf("HandleOrderSweep: %v", err)
	}
	if n := countJobs(t, b.pool, "kind = 'order:refund'"); n != 0 {
		t.Errorf("%d refund jobs written by a second sweep, want none", n)
	}
}

// TestWorkers_Notify follows a paid order's notification from the outbox through the
// relay and asynq to the notifier.
func TestWorkers_Notify(t *testing.T) {
	t.Parallel()
	b := setupOrders(t)
	b.serve(t)
	run(t, b.w.RunRelay)
	_, o := b.checkout(t, true)
	if _, outcome, err := b.svc.RecordPayment(b.ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, TelegramChargeID: "ch-1", Total: o.Total}); err != nil || outcome != order.PaymentApplied {
		t.Fatalf("RecordPayment: %s, %v", outcome, err)
	}
	want := fmt.Sprintf("%d:%s", o.ID, order.EventPaid)
	waitFor(t, "the paid notification", func() bool {
		for _, ev := range b.notifier.got() {
			if ev == want {
				return true
			}
		}
		return false
	})
}

// paidAndCancelled returns an order paid with charge and then cancelled by its shop,
// which leaves a refund job.
func (b *orderBundle) paidAndCancelled(t *testing.T, stars bool, charge string) order.Order {
	t.Helper()
	owner, o := b.checkout(t, stars)
	if _, outcome, err := b.svc.RecordPayment(b.ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, TelegramChargeID: charge, Total: o.Total}); err != nil || outcome != order.PaymentApplied {
		t.Fatalf("RecordPayment: %s, %v", outcome, err)
	}
	if _, err := b.svc.Cancel(b.ctx, owner, o.ID, "out of stock"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	return o
}

func TestWorkers_HandleOrderRefund(t *testing.T) {
	t.Parallel()
	t.Run("Stars", func(t *testing.T) {
		t.Parallel()
		b := setupOrders(t)
		o := b.paidAndCancelled(t, true, "ch-stars")
		task := b.task(t, order.JobRefund, "order:refund:ch-stars")
		for range 2 { // a retried task refunds once
			if err := b.w.HandleOrderRefund(b.ctx, task); err != nil {
				t.Fatalf("HandleOrderRefund: %v", err)
			}
		}
		if got, want := b.refunder.stars, []string{fmt.Sprintf("%d:ch-stars", o.BuyerID)}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stars refunds %v, want %v", got, want)
		}
		ch, err := b.svc.Charge(b.ctx, "ch-stars")
		if err != nil {
			t.Fatal(err)
		}
		if ch.Status != order.ChargeRefunded {
			t.Errorf("charge %s, want refunded", ch.Status)
		}
		if s := b.status(t, o.ID); s != order.StatusRefunded {
			t.Errorf("order %s, want refunded", s)
		}
	})
	// Staff cannot mark a Stars refund done by hand: it would make the job skip the
	// refund, and the buyer would never get the Stars back.
	t.Run("StarsNotConfirmedByHand", func(t *testing.T) {
		t.Parallel()
		b := setupOrders(t)
		o := b.paidAndCancelled(t, true, "ch-hand")
		owner := b.owner(t, o.ShopID)
		if _, err := b.svc.ConfirmRefund(b.ctx, owner, o.ID, "ch-hand"); !errors.Is(err, order.ErrStarsRefund) {
			t.Fatalf("ConfirmRefund of Stars = %v, want ErrStarsRefund", err)
		}
		if err := b.w.HandleOrderRefund(b.ctx, b.task(t, order.JobRefund, "order:refund:ch-hand")); err != nil {
			t.Fatalf("HandleOrderRefund: %v", err)
		}
		if got, want := b.refunder.stars, []string{fmt.Sprintf("%d:ch-hand", o.BuyerID)}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stars refunds %v, want %v", got, want)
		}
	})
	t.Run("Card", func(t *testing.T) {
		t.Parallel()
		b := setupOrders(t)
		o := b.paidAndCancelled(t, false, "ch-card")
		if err := b.w.HandleOrderRefund(b.ctx, b.task(t, order.JobRefund, "order:refund:ch-card")); err != nil {
			t.Fatalf("HandleOrderRefund: %v", err)
		}
		if len(b.refunder.stars) != 0 || len(b.refunder.cards) != 1 {
			t.Fatalf("stars refunds %v, card requests %v; want one card request", b.refunder.stars, b.refunder.cards)
		}
		if want := fmt.Sprintf("%d:ch-card:%s", o.ID, o.Total); b.refunder.cards[0] != want {
			t.Errorf("card request %s, want %s", b.refunder.cards[0], want)
		}
		ch, err := b.svc.Charge(b.ctx, "ch-card")
		if err != nil {
			t.Fatal(err)
		}
		if ch.Status != order.ChargeRefundPending {
			t.Errorf("charge %s, want refund_pending until staff confirm", ch.Status)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		b := setupOrders(t)
		b.paidAndCancelled(t, true, "ch-err")
		task := b.task(t, order.JobRefund, "order:refund:ch-err")

		b.refunder.err = errors.New("connection reset")
		if err := b.w.HandleOrderRefund(b.ctx, task); err == nil || errors.Is(err, asynq.SkipRetry) {
			t.Errorf("network error: %v, want an error asynq retries", err)
		}
		b.refunder.err = core.Errorf(core.EINVALID, "bad charge")
		if err := b.w.HandleOrderRefund(b.ctx, task); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("application error: %v, want SkipRetry", err)
		}
		b.refunder.err = nil
		unknown := asynq.NewTask(order.JobRefund, []byte(`{"order_id": 1, "telegram_charge_id": "nope"}`))
		if err := b.w.HandleOrderRefund(b.ctx, unknown); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("unknown charge: %v, want SkipRetry", err)
		}
	})
}

func TestWorkers_BadPayload(t *testing.T) {
	t.Parallel()
	b := setupOrders(t)
	handlers := map[string]func(context.Context, *asynq.Task) error{
		order.JobExpire: b.w.HandleOrderExpire,
		order.JobNotify: b.w.HandleOrderNotify,
		order.JobRefund: b.w.HandleOrderRefund,
	}
	for kind, h := range handlers {
		if err := h(b.ctx, asynq.NewTask(kind, []byte(`{not json`))); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: %v, want SkipRetry", kind, err)
		}
	}
}
