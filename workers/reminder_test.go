package workers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/workers"
)

// The real services satisfy the interfaces reminders declare.
var (
	_ workers.ReminderOrders  = (*order.Service)(nil)
	_ workers.ReminderCatalog = (*catalog.Service)(nil)
)

// composer is the bot's side of reminders: it records what it was asked to compose
// and composes one message per recipient under the bot's keys.
type composer struct {
	mu    sync.Mutex
	calls []string
}

func (c *composer) record(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, s)
}

func (c *composer) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

func reminderMessage(key string, to core.UserID) core.Message {
	return core.Message{Key: key, Chat: int64(to), User: to, Priority: core.PriorityReminder, Method: "sendMessage",
		Params: []byte(fmt.Sprintf(`{"chat_id":%d,"text":"hi"}`, to))}
}

func (c *composer) UnpaidReminder(ctx context.Context, o order.Order) ([]core.Message, error) {
	c.record(fmt.Sprintf("unpaid:%d", o.ID))
	return []core.Message{reminderMessage(fmt.Sprintf("remind:unpaid:%d:%d", o.ID, o.ReservedUntil.Unix()), o.BuyerID)}, nil
}

func (c *composer) CartReminder(ctx context.Context, st order.CartState) ([]core.Message, error) {
	c.record(fmt.Sprintf("cart:%d:%d", st.Cart.BuyerID, st.Cart.ShopID))
	key := fmt.Sprintf("remind:cart:%d:%d:%d", st.Cart.BuyerID, st.Cart.ShopID, st.ChangedAt.Unix())
	return []core.Message{reminderMessage(key, st.Cart.BuyerID)}, nil
}

func (c *composer) RestockAlerts(ctx context.Context, b catalog.RestockBatch) ([]core.Message, error) {
	var msgs []core.Message
	for _, s := range b.Subscribers {
		c.record(fmt.Sprintf("restock:%d", s.UserID))
		msgs = append(msgs, reminderMessage(fmt.Sprintf("restock:%d:%d:%d", s.VariantID, s.UserID, s.CreatedAt.Unix()), s.UserID))
	}
	return msgs, nil
}

func (c *composer) ReviewRequest(ctx context.Context, o order.Order) ([]core.Message, error) {
	c.record(fmt.Sprintf("review:%d", o.ID))
	return []core.Message{reminderMessage(fmt.Sprintf("review:request:%d", o.ID), o.BuyerID)}, nil
}

// reminderBundle is an orderBundle whose workers have the reminders' deps, the
// real sender (over a recording transport) and a deleter for cancel jobs.
type reminderBundle struct {
	*orderBundle
	catalog  *catalog.Service
	composer *composer
	tr       *transport
}

func setupReminders(t *testing.T) *reminderBundle {
	t.Helper()
	ob := setupOrders(t)
	b := &reminderBundle{orderBundle: ob, composer: &composer{}, tr: newTransport()}
	b.catalog = catalog.NewService(postgres.NewCatalog(ob.pool), ob.clock, nil)
	ob.w = workers.New(workers.Deps{
		Orders:      ob.svc,
		Notifier:    ob.notifier,
		Refunder:    ob.refunder,
		Outbox:      postgres.NewOutbox(ob.pool),
		Queue:       ob.env.Client,
		QueuePrefix: ob.env.QueuePrefix,
		Clock:       ob.clock,
		RelayEvery:  20 * time.Millisecond,
		Deleter:     ob.env.Inspector,
		Redis:       ob.env.RDB,
		Transport:   b.tr,
		Sender:      workers.SenderOptions{KeyPrefix: ob.env.KeyPrefix},
		Reminders:   workers.ReminderDeps{Orders: ob.svc, Catalog: b.catalog, Composer: b.composer, Clock: ob.clock},
	})
	return b
}

// sent returns the keys of the messages handed to the sender with PriorityReminder
// (the default queue), sorted.
func (b *reminderBundle) sent(t *testing.T) []string {
	t.Helper()
	tasks, err := b.env.Inspector.ListPendingTasks(b.env.Queue(workers.QueueDefault), asynq.PageSize(1000))
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		t.Fatal(err)
	}
	var keys []string
	for _, task := range tasks {
		if task.Type != workers.TypeSend {
			continue
		}
		var p struct {
			M core.Message `json:"m"`
		}
		if err := json.Unmarshal(task.Payload, &p); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, p.M.Key)
	}
	slices.Sort(keys)
	return keys
}

// scheduled returns the ids of the scheduled tasks of the default queue, sorted.
func (b *reminderBundle) scheduled(t *testing.T) []string {
	t.Helper()
	tasks, err := b.env.Inspector.ListScheduledTasks(b.env.Queue(workers.QueueDefault), asynq.PageSize(1000))
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range tasks {
		ids = append(ids, task.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestReminders_UnpaidCancelledWhenPaid schedules the reminder to pay with the
// checkout, pays the order before it is due, and finds the scheduled task deleted
// by the cancel written with the payment; the handler, run anyway, sends nothing.
func TestReminders_UnpaidCancelledWhenPaid(t *testing.T) {
	t.Parallel()
	b := setupReminders(t)
	run(t, b.w.RunRelay)
	_, o := b.checkout(t, true)
	if want := o.ReservedUntil.Add(-30 * time.Second); !o.RemindAt.Equal(want) {
		t.Fatalf("remind at %v, want halfway through the minute's reservation (%v)", o.RemindAt, want)
	}
	key := fmt.Sprintf("order:remind:%d", o.ID)
	waitFor(t, "the jobs relayed", func() bool { return countJobs(t, b.pool, "relayed_at IS NULL") == 0 })
	info, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueDefault), key)
	if err != nil {
		t.Fatalf("the reminder's task: %v", err)
	}
	if info.State != asynq.TaskStateScheduled || !info.NextProcessAt.Equal(ceilSecond(o.RemindAt)) {
		t.Fatalf("the reminder's task is %v at %v, want scheduled at %v", info.State, info.NextProcessAt, ceilSecond(o.RemindAt))
	}
	task := asynq.NewTask(info.Type, info.Payload)

	b.clock.Advance(10 * time.Second)
	if _, outcome, err := b.svc.RecordPayment(b.ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, TelegramChargeID: "ch1", Total: o.Total}); err != nil || outcome != order.PaymentApplied {
		t.Fatalf("RecordPayment: %v, %v", outcome, err)
	}
	waitFor(t, "the cancel relayed", func() bool { return countJobs(t, b.pool, "relayed_at IS NULL") == 0 })
	if _, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueDefault), key); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("the reminder's task after payment: %v, want it deleted", err)
	}

	// A cancel can be late, and a task already running is not stopped: the
	// handler checks PostgreSQL.
	b.clock.Set(o.RemindAt)
	if err := b.w.HandleRemindUnpaid(b.ctx, task); err != nil {
		t.Fatalf("HandleRemindUnpaid: %v", err)
	}
	if got := b.composer.got(); len(got) != 0 {
		t.Errorf("composed %v for a paid order", got)
	}
	if got := b.sent(t); len(got) != 0 {
		t.Errorf("sent %v for a paid order", got)
	}
}

// TestReminders_UnpaidEarly fires the reminder to pay before its time, as asynq may:
// nothing is sent, it is scheduled again at its time; then it is sent once, however
// often the task runs.
func TestReminders_UnpaidEarly(t *testing.T) {
	t.Parallel()
	b := setupReminders(t)
	_, o := b.checkout(t, false)
	key := fmt.Sprintf("order:remind:%d", o.ID)
	task := b.task(t, order.JobRemindUnpaid, key)

	b.clock.Set(o.RemindAt.Add(-700 * time.Millisecond))
	for range 2 { // the second early firing schedules nothing more
		if err := b.w.HandleRemindUnpaid(b.ctx, task); err != nil {
			t.Fatalf("early HandleRemindUnpaid: %v", err)
		}
	}
	if got := b.sent(t); len(got) != 0 {
		t.Fatalf("sent %v before the reminder's time", got)
	}
	at := ceilSecond(o.RemindAt)
	if got, want := b.scheduled(t), []string{fmt.Sprintf("%s@%d", key, at.Unix())}; !slices.Equal(got, want) {
		t.Fatalf("scheduled %v, want %v", got, want)
	}

	b.clock.Set(o.RemindAt)
	for range 2 {
		if err := b.w.HandleRemindUnpaid(b.ctx, task); err != nil {
			t.Fatalf("due HandleRemindUnpaid: %v", err)
		}
	}
	want := []string{fmt.Sprintf("remind:unpaid:%d:%d", o.ID, o.ReservedUntil.Unix())}
	if got := b.sent(t); !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	if got := b.composer.got(); len(got) != 1 {
		t.Errorf("composed %v, want the reminder once", got)
	}
	got, err := b.svc.OrderForSystem(b.ctx, o.ID)
	if err != nil || !got.RemindedAt.Equal(o.RemindAt) {
		t.Errorf("reminded at %v (%v), want %v", got.RemindedAt, err, o.RemindAt)
	}
}

// TestReminders_Restock brings a sold-out variant back with 3 units for 12
// subscribers: the 5 oldest (3 units and a margin of 2) are told at once, their
// subscriptions removed, and the alerts run again 10 minutes later for the next 5,
// then the last 2; nothing is scheduled after them.
func TestReminders_Restock(t *testing.T) {
	t.Parallel()
	b := setupReminders(t)
	owner, _, _, v := b.shop(t, true)
	b.exec(t, `UPDATE variants SET on_hand = 0 WHERE id = $1`, v)
	var subs []core.UserID
	for i := range 12 {
		u := core.UserID(5000 + 12 - i) // ids in the other order than age: age decides
		subs = append(subs, u)
		b.clock.Advance(time.Second)
		if err := b.catalog.SubscribeRestock(b.ctx, u, v); err != nil {
			t.Fatalf("SubscribeRestock: %v", err)
		}
	}
	if _, err := b.catalog.AdjustStock(b.ctx, owner, v, 3, catalog.MoveReceipt, ""); err != nil {
		t.Fatalf("AdjustStock: %v", err)
	}
	task := b.task(t, catalog.JobRestock, fmt.Sprintf("stock:restock:%d", v))
	told := func(users []core.UserID) []string {
		var want []string
		for _, u := range users {
			want = append(want, fmt.Sprintf("restock:%d", u))
		}
		return want
	}

	if err := b.w.HandleRestock(b.ctx, task); err != nil {
		t.Fatalf("HandleRestock: %v", err)
	}
	if got := b.composer.got(); !slices.Equal(got, told(subs[:5])) {
		t.Fatalf("told %v, want the 5 oldest %v", got, told(subs[:5]))
	}
	if got := b.sent(t); len(got) != 5 {
		t.Errorf("sent %v, want 5 messages", got)
	}
	var left int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM restock_subscriptions WHERE variant_id = $1`, v).Scan(&left); err != nil || left != 7 {
		t.Errorf("%d subscriptions left (%v), want 7", left, err)
	}
	next := ceilSecond(b.clock.Now().Add(workers.RestockPace))
	if got, want := b.scheduled(t), []string{fmt.Sprintf("stock:restock:%d@%d", v, next.Unix())}; !slices.Equal(got, want) {
		t.Fatalf("scheduled %v, want the next round %v", got, want)
	}

	// The next round, 10 minutes later, with the 3 units still there.
	b.clock.Advance(workers.RestockPace)
	if err := b.w.HandleRestock(b.ctx, task); err != nil {
		t.Fatalf("HandleRestock: %v", err)
	}
	b.clock.Advance(workers.RestockPace)
	if err := b.w.HandleRestock(b.ctx, task); err != nil {
		t.Fatalf("HandleRestock: %v", err)
	}
	if got := b.composer.got(); !slices.Equal(got, told(subs)) {
		t.Errorf("told %v, want everyone oldest first %v", got, told(subs))
	}
	if got := b.sent(t); len(got) != 12 {
		t.Errorf("sent %d messages, want 12", len(got))
	}
	if got := b.scheduled(t); len(got) != 2 {
		t.Errorf("scheduled %v, want the two rounds and no third", got)
	}

	// A run with nobody left sends nothing.
	if err := b.w.HandleRestock(b.ctx, task); err != nil {
		t.Fatalf("HandleRestock: %v", err)
	}
	if got := b.composer.got(); len(got) != 12 {
		t.Errorf("told %d, want no one more", len(got))
	}
}

// TestReminders_RestockSoldOutAgain stops the alerts when the units are gone before
// the next round: the subscribers left wait for the next restock.
func TestReminders_RestockSoldOutAgain(t *testing.T) {
	t.Parallel()
	b := setupReminders(t)
	owner, _, _, v := b.shop(t, true)
	b.exec(t, `UPDATE variants SET on_hand = 0 WHERE id = $1`, v)
	for i := range 4 {
		b.clock.Advance(time.Second)
		if err := b.catalog.SubscribeRestock(b.ctx, core.UserID(6000+i), v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.catalog.AdjustStock(b.ctx, owner, v, 1, catalog.MoveReceipt, ""); err != nil {
		t.Fatal(err)
	}
	task := b.task(t, catalog.JobRestock, fmt.Sprintf("stock:restock:%d", v))
	if err := b.w.HandleRestock(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	if got := b.composer.got(); len(got) != 3 {
		t.Fatalf("told %v, want 3 (1 unit and a margin of 2)", got)
	}
	if _, err := b.catalog.AdjustStock(b.ctx, owner, v, -1, catalog.MoveWriteOff, ""); err != nil {
		t.Fatal(err)
	}
	if err := b.w.HandleRestock(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	if got := b.composer.got(); len(got) != 3 {
		t.Errorf("told %v after the units were gone, want no one more", got)
	}
	var left int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM restock_subscriptions WHERE variant_id = $1`, v).Scan(&left); err != nil || left != 1 {
		t.Errorf("%d subscriptions left (%v), want the last one kept", left, err)
	}
}

// TestReminders_CartEarly changes a cart after its reminder was scheduled: the
// reminder fires at the first time, finds the cart changed since, and is scheduled
// again for the shop's delay after the last change, when it is sent once.
func TestReminders_CartEarly(t *testing.T) {
	t.Parallel()
	b := setupReminders(t)
	_, buyer, shop, v := b.shop(t, true)
	b.exec(t, `UPDATE shops SET cart_reminder_seconds = 3600 WHERE id = $1`, shop)
	start := b.clock.Now()
	if _, err := b.svc.AddToCart(b.ctx, buyer, v, 1); err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("cart:remind:%d:%d", buyer, shop)
	task := b.task(t, order.JobRemindCart, key)
	b.clock.Advance(20 * time.Minute)
	if _, err := b.svc.AddToCart(b.ctx, buyer, v, 1); err != nil {
		t.Fatal(err)
	}
	changed := b.clock.Now()

	b.clock.Set(start.Add(time.Hour))
	if err := b.w.HandleRemindCart(b.ctx, task); err != nil {
		t.Fatalf("early HandleRemindCart: %v", err)
	}
	if got := b.sent(t); len(got) != 0 {
		t.Fatalf("sent %v 40 minutes after the last change", got)
	}
	at := ceilSecond(changed.Add(time.Hour))
	if got, want := b.scheduled(t), []string{fmt.Sprintf("%s@%d", key, at.Unix())}; !slices.Equal(got, want) {
		t.Fatalf("scheduled %v, want %v", got, want)
	}

	b.clock.Set(changed.Add(time.Hour))
	for range 2 {
		if err := b.w.HandleRemindCart(b.ctx, task); err != nil {
			t.Fatalf("HandleRemindCart: %v", err)
		}
	}
	if got, want := b.sent(t), []string{fmt.Sprintf("remind:cart:%d:%d:%d", buyer, shop, changed.Unix())}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}

// TestReminders_SweepRunsLostReminders loses an unpaid reminder's task (Redis
// lost it) and finds the sweep enqueueing it again once it is overdue, under its
// own task id, and nothing for a reminder that went.
func TestReminders_SweepRunsLostReminders(t *testing.T) {
	t.Parallel()
	b := setupReminders(t)
	_, o := b.checkout(t, false)
	key := fmt.Sprintf("order:remind:%d", o.ID)
	sweep := asynq.NewTask(workers.TypeReminderSweep, nil)

	// Not overdue yet: nothing to do.
	if err := b.w.HandleReminderSweep(b.ctx, sweep); err != nil {
		t.Fatal(err)
	}
	pending := func() []string {
		tasks, err := b.env.Inspector.ListPendingTasks(b.env.Queue(workers.QueueDefault))
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		var ids []string
		for _, task := range tasks {
			ids = append(ids, task.ID)
		}
		return ids
	}
	if got := pending(); len(got) != 0 {
		t.Fatalf("pending %v before the reminder is overdue", got)
	}

	b.clock.Set(o.RemindAt.Add(20 * time.Second)) // overdue, the reservation not over yet
	if err := b.w.HandleReminderSweep(b.ctx, sweep); err != nil {
		t.Fatal(err)
	}
	if got := pending(); !slices.Equal(got, []string{key}) {
		t.Fatalf("pending %v after the sweep, want the lost reminder %s", got, key)
	}
	if err := b.w.HandleRemindUnpaid(b.ctx, b.task(t, order.JobRemindUnpaid, key)); err != nil {
		t.Fatal(err)
	}
	if got := b.sent(t); len(got) != 1 {
		t.Fatalf("sent %v, want the reminder", got)
	}
	if _, err := b.env.Inspector.DeleteAllPendingTasks(b.env.Queue(workers.QueueDefault)); err != nil {
		t.Fatal(err)
	}
	if err := b.w.HandleReminderSweep(b.ctx, sweep); err != nil {
		t.Fatal(err)
	}
	if got := pending(); len(got) != 0 {
		t.Errorf("pending %v after the reminder went", got)
	}
}
