package drops_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/livestore"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
	"github.com/vitrina-shop/vitrina/workers/drops"
)

var _ drops.Live = (*live.Service)(nil)

// liveBot is the bot's side of live drops: it records what it was asked, and
// records an invoice sent as the bot does.
type liveBot struct {
	orders   *order.Service
	mu       sync.Mutex
	posts    []core.LotID
	reports  []live.Report
	edits    []core.LotID
	invoices []core.OrderID
}

func (lb *liveBot) SendClaimInvoice(ctx context.Context, o order.Order) error {
	lb.mu.Lock()
	lb.invoices = append(lb.invoices, o.ID)
	lb.mu.Unlock()
	return lb.orders.InvoiceSent(ctx, o.ID, o.BuyerID, 77)
}

func (lb *liveBot) PostLot(ctx context.Context, l live.Lot) (int64, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.posts = append(lb.posts, l.ID)
	return 501, nil
}

func (lb *liveBot) CancelledMessage(ctx context.Context, s live.Session, to core.UserID) (core.Message, error) {
	m := testMessage(fmt.Sprintf("cancelled:%d:%d", s.ID, to), core.PriorityReminder)
	m.Chat, m.User = int64(to), to
	return m, nil
}

func (lb *liveBot) RateLoweredMessage(ctx context.Context, j live.RateJob) (core.Message, error) {
	m := testMessage(fmt.Sprintf("rate:%d:%d:%d", j.Shop, j.KOL, j.To), core.PriorityOrder)
	m.Chat, m.User = int64(j.KOL), j.KOL
	return m, nil
}

func (lb *liveBot) SendReport(ctx context.Context, r live.Report) error {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.reports = append(lb.reports, r)
	return nil
}

func (lb *liveBot) Announce(ctx context.Context, s live.Session) (int64, error) { return 777, nil }

func (lb *liveBot) ReminderMessage(ctx context.Context, s live.Session, to core.UserID, before time.Duration) (core.Message, error) {
	m := testMessage(fmt.Sprintf("remind:%d:%d:%d", s.ID, before/time.Second, to), core.PriorityReminder)
	m.Chat, m.User = int64(to), to
	return m, nil
}

func (lb *liveBot) LotPostEdit(ctx context.Context, l live.Lot) (core.Message, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.edits = append(lb.edits, l.ID)
	m := testMessage("lot:edit", core.PriorityReminder)
	m.Coalesce, m.Rank = "lot:1", l.Taps
	return m, nil
}

type liveBundle struct {
	pool   *pgxpool.Pool
	env    *asynqtest.Env
	users  *user.Service
	ctx    context.Context
	clock  *core.FakeClock
	live   *live.Service
	orders *order.Service
	bot    *liveBot
	w      *workers.Workers
	tasks  *drops.Tasks
	lot    live.Lot
}

// setupLive makes a lot of 3 units in a live session, and workers with the
// live tasks.
func setupLive(t *testing.T) *liveBundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	ctx := context.Background()
	clock := core.NewFakeClock(time.Now().Truncate(time.Millisecond))
	users := user.NewService(postgres.NewUsers(pool), clock)
	for _, id := range []core.UserID{1, 2} {
		if _, err := users.Touch(ctx, user.Seen{ID: id, FirstName: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.NewService(postgres.NewCatalog(pool), clock, nil)
	shop, err := cat.CreateShop(ctx, 1, catalog.NewShop{Name: "Лавка", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		t.Fatal(err)
	}
	p, err := cat.CreateProduct(ctx, 1, catalog.NewProduct{ShopID: shop.ID, Title: "Свеча",
		Variants: []catalog.NewVariant{{Price: core.Money{Amount: 100, Currency: core.Stars}, Stock: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	orders := order.NewService(postgres.NewOrders(pool), clock)
	svc := live.NewService(livestore.New(pool), orders, clock, 0)
	inv, err := svc.Invite(ctx, 1, shop.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Accept(ctx, 2, inv.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ConnectChannel(ctx, 2, live.Channel{Chat: -100, Title: "Канал", CanPost: true}); err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Schedule(ctx, 2, live.Session{Shop: shop.ID, Channel: -100, Title: "Дроп", StartsAt: clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Allocate(ctx, 1, live.Allocation{Session: sess.ID, Variant: p.Variants[0].ID,
		Price: core.Money{Amount: 90, Currency: core.Stars}, Quantity: 3, PerBuyer: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Open(ctx, 2, sess.ID); err != nil {
		t.Fatal(err)
	}
	lot, err := svc.Drop(ctx, 2, live.Drop{Session: sess.ID, Variant: p.Variants[0].ID, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	env := asynqtest.New(t)
	b := &liveBundle{pool: pool, env: env, users: users, ctx: ctx, clock: clock, live: svc, orders: orders, bot: &liveBot{orders: orders}, lot: lot}
	b.w = workers.New(workers.Deps{
		Outbox: postgres.NewOutbox(pool), Queue: env.Client, QueuePrefix: env.QueuePrefix, Redis: env.RDB,
		Sender: workers.SenderOptions{KeyPrefix: env.KeyPrefix},
	})
	b.tasks = drops.New(drops.Deps{Live: svc, Bot: b.bot, Sender: b.w})
	b.w.Add(b.tasks)
	return b
}

// available is a variant's stock the shop can sell: on hand, less reserved
// (a session's allocation included).
func (b *liveBundle) available(t *testing.T, id core.VariantID) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, `SELECT on_hand - reserved FROM variants WHERE id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (b *liveBundle) tap(t *testing.T, buyer core.UserID, id string) live.TapResult {
	t.Helper()
	res, err := b.live.Tap(b.ctx, b.lot.ID, []live.Tap{{Lot: b.lot.ID, Buyer: buyer, ID: id, FirstName: "Покупатель"}})
	if err != nil || res[0].Outcome != live.TapClaimed {
		t.Fatalf("tap: %+v, %v", res, err)
	}
	return res[0]
}

func liveTask(t *testing.T, kind string, payload any) *asynq.Task {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return asynq.NewTask(kind, body)
}

func TestLive_Claim(t *testing.T) {
	t.Parallel()
	b := setupLive(t)
	b.tap(t, 10, "t1")
	task := liveTask(t, live.JobClaim, live.ClaimJob{Lot: b.lot.ID, Taps: []string{"t1"}})
	for range 2 { // redelivered: one order, one invoice
		if err := b.tasks.HandleLiveClaim(b.ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	c, err := b.live.Claim(b.ctx, b.lot.ID, "t1")
	if err != nil || c.Order == 0 {
		t.Fatalf("claim %+v, %v", c, err)
	}
	if len(b.bot.invoices) != 1 || b.bot.invoices[0] != c.Order {
		t.Errorf("invoices %v, want one of order %d", b.bot.invoices, c.Order)
	}

	t.Run("ExpiredGivesTheUnitBack", func(t *testing.T) {
		b.clock.Set(c.HeldUntil)
		o, err := b.orders.Expire(b.ctx, c.Order)
		if err != nil || o.Status != order.StatusExpired {
			t.Fatalf("expire: %+v, %v", o, err)
		}
		task := liveTask(t, order.JobHeldEnded, order.HeldEndedPayload{OrderID: o.ID, Lot: b.lot.ID})
		for range 2 {
			if err := b.tasks.HandleHeldEnded(b.ctx, task); err != nil {
				t.Fatal(err)
			}
		}
		if l, _ := b.live.Lot(b.ctx, b.lot.ID); l.Remaining != 3 {
			t.Errorf("%d left, want all 3 back", l.Remaining)
		}
		// The claim's task, run late, finds it released and does nothing.
		if err := b.tasks.HandleLiveClaim(b.ctx, liveTask(t, live.JobClaim, live.ClaimJob{Lot: b.lot.ID, Taps: []string{"t1"}})); err != nil {
			t.Fatal(err)
		}
		if len(b.bot.invoices) != 1 {
			t.Errorf("invoices %v after the release", b.bot.invoices)
		}
	})
}

func TestLive_LotPost(t *testing.T) {
	t.Parallel()
	b := setupLive(t)
	task := liveTask(t, live.JobLotPost, live.LotPostJob{Lot: b.lot.ID})
	if err := b.tasks.HandleLotPost(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	if l, _ := b.live.Lot(b.ctx, b.lot.ID); l.Post != 501 || len(b.bot.posts) != 1 {
		t.Fatalf("posted %v, post %d", b.bot.posts, l.Post)
	}
	b.tap(t, 10, "t1")
	if err := b.tasks.HandleLotPost(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	if len(b.bot.posts) != 1 || len(b.bot.edits) != 1 {
		t.Errorf("posts %v, edits %v: want the post once, then an edit", b.bot.posts, b.bot.edits)
	}
}

// The followers who asked are reminded: every message queued in the sender due
// at the reminder's time, never before; one who cancelled is not; the task run
// again queues nothing more.
func TestLive_Remind(t *testing.T) {
	t.Parallel()
	b := setupLive(t)
	for _, id := range []core.UserID{10, 11, 12} {
		if _, err := b.users.Touch(b.ctx, user.Seen{ID: id, FirstName: "Follower"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.live.RSVP(b.ctx, id, b.lot.Session); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.live.CancelRSVP(b.ctx, 11, b.lot.Session); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.live.CountRSVPs(b.ctx, b.lot.Session); n != 2 {
		t.Fatalf("%d RSVPs, want 2", n)
	}
	// The session started already in setupLive (opened before its time): remind
	// of a session an hour ahead instead.
	sess, _, err := b.live.Session(b.ctx, b.lot.Session)
	if err != nil {
		t.Fatal(err)
	}
	task := liveTask(t, live.JobRemind, live.RemindJob{Session: sess.ID, Before: int64(15 * time.Minute / time.Second)})
	for range 2 {
		if err := b.tasks.HandleLiveRemind(b.ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	due := sess.StartsAt.Add(-15 * time.Minute)
	scheduled, err := b.env.Inspector.ListScheduledTasks(b.env.Queue(workers.QueueDefault))
	if err != nil {
		t.Fatal(err)
	}
	if len(scheduled) != 2 {
		t.Fatalf("%d reminders queued, want 2 (the follower who cancelled is not reminded)", len(scheduled))
	}
	for _, s := range scheduled {
		if s.NextProcessAt.Before(due) {
			t.Errorf("a reminder due at %v is queued for %v: early", due, s.NextProcessAt)
		}
	}
}

// An ended session's report goes once, with its figures: the reservation and
// the paid order of its lot.
func TestLive_Report(t *testing.T) {
	t.Parallel()
	b := setupLive(t)
	b.tap(t, 10, "t1")
	if err := b.tasks.HandleLiveClaim(b.ctx, liveTask(t, live.JobClaim, live.ClaimJob{Lot: b.lot.ID, Taps: []string{"t1"}})); err != nil {
		t.Fatal(err)
	}
	c, _ := b.live.Claim(b.ctx, b.lot.ID, "t1")
	if _, _, err := b.orders.RecordPayment(b.ctx, order.Payment{OrderID: c.Order, BuyerID: 10, TelegramChargeID: "ch", Total: core.Money{Amount: 90, Currency: core.Stars}}); err != nil {
		t.Fatal(err)
	}
	task := liveTask(t, live.JobReport, live.SessionJob{Session: b.lot.Session})
	if err := b.tasks.HandleLiveReport(b.ctx, task); err != nil || len(b.bot.reports) != 0 {
		t.Fatalf("a report of a session still live: %v, %d sent", err, len(b.bot.reports))
	}
	if _, err := b.live.End(b.ctx, 2, b.lot.Session); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := b.tasks.HandleLiveReport(b.ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.bot.reports) != 1 {
		t.Fatalf("%d reports sent, want 1", len(b.bot.reports))
	}
	r := b.bot.reports[0]
	if r.Reservations != 1 || r.PaidOrders != 1 || r.Revenue.Amount != 90 || r.Commission.Amount != 9 || r.Buyers != 1 ||
		len(r.Lots) != 1 || r.Lots[0].PerMinute[0] != 1 || r.Conversion() != 100 {
		t.Errorf("report %+v", r)
	}
}

// A draw's task that runs before its window closed comes back; after it, it
// draws.
func TestLive_Draw(t *testing.T) {
	t.Parallel()
	b := setupLive(t)
	sess, allocs, err := b.live.Session(b.ctx, b.lot.Session)
	if err != nil || len(allocs) != 1 {
		t.Fatalf("session %+v, %v", allocs, err)
	}
	// Three more units for a second lot, a draw.
	a := allocs[0]
	a.Quantity += 3
	if err := b.live.Allocate(b.ctx, 1, a); err != nil {
		t.Fatal(err)
	}
	lot, err := b.live.Drop(b.ctx, 2, live.Drop{Session: sess.ID, Variant: a.Variant, Duration: 10 * time.Minute, Mode: live.Draw})
	if err != nil {
		t.Fatal(err)
	}
	task := liveTask(t, live.JobDraw, live.LotPostJob{Lot: lot.ID})
	if err := b.tasks.HandleDraw(b.ctx, task); err == nil {
		t.Fatal("a draw ran before its window closed")
	}
	b.clock.Set(lot.DrawUntil)
	if err := b.tasks.HandleDraw(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.live.Lot(b.ctx, lot.ID); !got.Drawn {
		t.Errorf("lot %+v not drawn", got)
	}
}

// A scheduled session called off: its allocation goes back to the shop, and
// the followers who asked to be reminded are told, once each.
func TestLive_Cancelled(t *testing.T) {
	t.Parallel()
	b := setupLive(t)
	sess, err := b.live.Schedule(b.ctx, 2, live.Session{Shop: 1, Channel: -100, Title: "Завтра", StartsAt: b.clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []core.UserID{10, 11} {
		if _, err := b.users.Touch(b.ctx, user.Seen{ID: id, FirstName: "Follower"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.live.RSVP(b.ctx, id, sess.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.live.Cancel(b.ctx, 1, sess.ID); !errors.Is(err, live.ErrNotKOL) {
		t.Errorf("cancelled by someone else: %v", err)
	}
	got, err := b.live.Cancel(b.ctx, 2, sess.ID)
	if err != nil || got.Status != live.SessionCancelled {
		t.Fatalf("cancel: %+v, %v", got, err)
	}
	task := liveTask(t, live.JobCancelled, live.SessionJob{Session: sess.ID})
	for range 2 {
		if err := b.tasks.HandleCancelled(b.ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := b.env.Inspector.ListPendingTasks(b.env.Queue(workers.QueueDefault))
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 {
		t.Errorf("%d messages queued, want one to each of the 2 followers", len(pending))
	}
}

// A live session called off: the paid order is cancelled with its payment to
// be refunded, the unpaid one cancelled, a claim not yet an order released;
// every unit goes back to the shop, once, however often the tasks run.
func TestLive_CancelledLive(t *testing.T) {
	t.Parallel()
	b := setupLive(t)
	for i, buyer := range []core.UserID{10, 11, 12} {
		if _, err := b.users.Touch(b.ctx, user.Seen{ID: buyer, FirstName: "Покупатель"}); err != nil {
			t.Fatal(err)
		}
		b.tap(t, buyer, fmt.Sprintf("t%d", i+1))
	}
	claim := func(tap string) error {
		return b.tasks.HandleLiveClaim(b.ctx, liveTask(t, live.JobClaim, live.ClaimJob{Lot: b.lot.ID, Taps: []string{tap}}))
	}
	for _, tap := range []string{"t1", "t2"} {
		if err := claim(tap); err != nil {
			t.Fatal(err)
		}
	}
	paid, _ := b.live.Claim(b.ctx, b.lot.ID, "t1")
	unpaid, _ := b.live.Claim(b.ctx, b.lot.ID, "t2")
	if _, _, err := b.orders.RecordPayment(b.ctx, order.Payment{OrderID: paid.Order, BuyerID: 10, TelegramChargeID: "ch1",
		Total: core.Money{Amount: 90, Currency: core.Stars}}); err != nil {
		t.Fatal(err)
	}
	if got := b.available(t, b.lot.Variant); got != 7 {
		t.Fatalf("%d available during the session, want 10 less the 3 allocated", got)
	}

	if _, err := b.live.Cancel(b.ctx, 1, b.lot.Session); !errors.Is(err, live.ErrNotKOL) {
		t.Errorf("cancelled by someone else: %v", err)
	}
	sess, err := b.live.Cancel(b.ctx, 2, b.lot.Session)
	if err != nil || sess.Status != live.SessionCancelled {
		t.Fatalf("cancel: %+v, %v", sess, err)
	}
	if _, err := b.live.Cancel(b.ctx, 2, b.lot.Session); err != nil {
		t.Errorf("cancelled again: %v", err)
	}
	if l, _ := b.live.Lot(b.ctx, b.lot.ID); !l.Over(b.clock.Now()) {
		t.Errorf("the lot %+v is still open", l)
	}
	task := liveTask(t, live.JobCallOff, live.SessionJob{Session: sess.ID})
	for range 2 { // run again, as the late run does: nothing more
		if err := b.tasks.HandleCallOff(b.ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []live.Claim{paid, unpaid} {
		o, err := b.orders.OrderForSystem(b.ctx, c.Order)
		if err != nil || o.Status != order.StatusCancelled || o.CancelReason != live.CallOffReason {
			t.Errorf("order %d: %+v, %v; want cancelled as the session's", c.Order, o, err)
		}
	}
	charges, err := b.orders.Payments(b.ctx, 1, paid.Order)
	if err != nil || len(charges) != 1 || charges[0].Status != order.ChargeRefundPending {
		t.Errorf("the paid order's charges %+v, %v; want one to refund", charges, err)
	}
	// The unpaid order's unit comes back through its order's end; the claim
	// that never became an order is released by its claim task.
	var held []byte // the job the unpaid order's call-off wrote
	if err := b.pool.QueryRow(b.ctx, `SELECT payload FROM outbox WHERE kind = $1 AND payload->>'order_id' = $2`,
		order.JobHeldEnded, fmt.Sprint(unpaid.Order)).Scan(&held); err != nil {
		t.Fatalf("the unpaid order's held-ended job: %v", err)
	}
	if err := b.tasks.HandleHeldEnded(b.ctx, asynq.NewTask(order.JobHeldEnded, held)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := claim("t3"); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := b.live.Claim(b.ctx, b.lot.ID, "t3"); c.Status != live.ClaimReleased || c.Order != 0 {
		t.Errorf("the claim without an order: %+v", c)
	}
	if len(b.bot.invoices) != 2 {
		t.Errorf("invoices %v: the called-off claim got one", b.bot.invoices)
	}
	if got := b.available(t, b.lot.Variant); got != 10 {
		t.Errorf("%d available after the call-off, want all 10: each of the 3 units back once", got)
	}
	var jobs int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE key LIKE 'live:calloff:%'`).Scan(&jobs); err != nil || jobs != 1 {
		t.Errorf("%d call-off jobs (%v), want one", jobs, err)
	}
}

// A lowered rate is told to the KOL once, however often its task runs.
func TestLive_RateLowered(t *testing.T) {
	t.Parallel()
	b := setupLive(t)
	if _, err := b.live.LowerCommission(b.ctx, 1, 1, 2, 500); err != nil {
		t.Fatal(err)
	}
	var payload []byte
	if err := b.pool.QueryRow(b.ctx, `SELECT payload FROM outbox WHERE kind = $1`, live.JobRateLowered).Scan(&payload); err != nil {
		t.Fatalf("the rate job: %v", err)
	}
	var j live.RateJob
	if err := json.Unmarshal(payload, &j); err != nil || j != (live.RateJob{Shop: 1, KOL: 2, From: 1000, To: 500, At: b.clock.Now().UnixMicro()}) {
		t.Fatalf("the rate job %+v, %v", j, err)
	}
	task := asynq.NewTask(live.JobRateLowered, payload)
	for range 2 {
		if err := b.tasks.HandleRateLowered(b.ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := b.env.Inspector.ListPendingTasks(b.env.Queue(workers.QueueCritical))
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 {
		t.Errorf("%d messages queued, want one to the KOL", len(pending))
	}
}

// testMessage is a message of the sender with key and priority.
func testMessage(key string, prio core.Priority) core.Message {
	return core.Message{Key: key, Chat: 1, Priority: prio, Method: "sendMessage", Params: []byte(`{"chat_id":1,"text":"hi"}`)}
}
