package workers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
	"github.com/vitrina-shop/vitrina/workers/ratelimit"
)

// Every package-level name in this file starts with "bc": the other features'
// tests share the package.

var _ workers.Broadcasts = (*broadcast.Service)(nil)

// bcComposer is the bot's side of broadcasts: plain messages to each recipient,
// and progress edits that say the counters.
type bcComposer struct{}

func (bcComposer) BroadcastMessages(ctx context.Context, b broadcast.Broadcast, to []broadcast.Recipient) ([]core.Message, error) {
	var out []core.Message
	for _, rc := range to {
		out = append(out, core.Message{
			Key: fmt.Sprintf("bc:%d:%d", b.ID, rc.UserID), Chat: int64(rc.UserID), User: rc.UserID,
			Priority: core.PriorityBroadcast, Method: "sendMessage", Ref: fmt.Sprintf("broadcast:%d", b.ID),
			Params: json.RawMessage(fmt.Sprintf(`{"chat_id":%d,"text":%q}`, rc.UserID, b.Content.Text)),
		})
	}
	return out, nil
}

func (bcComposer) BroadcastProgress(ctx context.Context, b broadcast.Broadcast) ([]core.Message, error) {
	text := fmt.Sprintf("%s sent=%d blocked=%d skipped=%d pending=%d", b.Status, b.Sent, b.Blocked, b.Skipped, b.Pending())
	// Ranked as the bot ranks them: progress composed before the end (by another
	// worker, enqueued late) must not replace the final report.
	rank := int64(b.Done())
	if b.Status != broadcast.StatusRunning {
		rank = math.MaxInt64
	}
	return []core.Message{{
		Key:  fmt.Sprintf("bc:%d:progress:%s:%d:%d", b.ID, b.Status, b.Done(), b.Cancelled),
		Chat: b.ProgressChat, Priority: core.PriorityOrder, Method: "editMessageText",
		Coalesce: fmt.Sprintf("bc:%d:progress", b.ID), Rank: rank,
		Params: json.RawMessage(fmt.Sprintf(`{"chat_id":%d,"message_id":%d,"text":%q}`, b.ProgressChat, b.ProgressMessageID, text)),
	}}, nil
}

// bcTransport is Telegram: it records what it took, refuses chats in blocked
// with a 403 and those in tooMany with a 429 (that many times), and calls
// before (if set) ahead of each send.
type bcTransport struct {
	mu      sync.Mutex
	sent    map[int64]int // recipient chat -> messages taken
	edits   []string      // progress texts, in order
	blocked map[int64]bool
	tooMany map[int64]int
	before  func(m core.Message)
}

func (tr *bcTransport) Deliver(ctx context.Context, m core.Message) error {
	if tr.before != nil && m.Method == "sendMessage" {
		tr.before(m)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.blocked[m.Chat] {
		return &core.SendError{Code: 403, Description: "Forbidden: bot was blocked by the user"}
	}
	if tr.tooMany[m.Chat] > 0 {
		tr.tooMany[m.Chat]--
		return &core.SendError{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: time.Second}
	}
	if m.Method == "editMessageText" {
		var p struct{ Text string }
		_ = json.Unmarshal(m.Params, &p)
		tr.edits = append(tr.edits, p.Text)
		return nil
	}
	tr.sent[m.Chat]++
	return nil
}

// got returns how many recipients got a message and whether one got two.
func (tr *bcTransport) got() (people int, twice bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, n := range tr.sent {
		twice = twice || n > 1
	}
	return len(tr.sent), twice
}

func (tr *bcTransport) lastEdit() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.edits) == 0 {
		return ""
	}
	return tr.edits[len(tr.edits)-1]
}

// bcBundle is one test's world: a database with a shop whose customers are
// users first..first+n-1, the broadcast service, the test's asynq queues and
// Redis keys, and the workers with the sender over the recording transport.
type bcBundle struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	svc   *broadcast.Service
	users *user.Service
	env   *asynqtest.Env
	tr    *bcTransport
	w     *workers.Workers
	owner core.UserID
	shop  core.ShopID
}

const (
	bcOwner    = core.UserID(7)
	bcFirst    = core.UserID(10_001)
	bcPageSize = 7
	bcPeople   = 23 // four pages
)

// bcSetup makes the test's world; opts change the broadcast deps (page size
// bcPageSize, progress every 5) before the workers are made.
func bcSetup(t *testing.T, opts ...func(*workers.BroadcastDeps)) *bcBundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	b := &bcBundle{
		ctx: context.Background(), pool: pool, env: asynqtest.New(t), owner: bcOwner,
		tr: &bcTransport{sent: map[int64]int{}, blocked: map[int64]bool{}, tooMany: map[int64]int{}},
	}
	clock := core.SystemClock{}
	b.svc = broadcast.NewService(postgres.NewBroadcasts(pool), clock)
	b.users = user.NewService(postgres.NewUsers(pool), clock)
	deps := workers.BroadcastDeps{Broadcasts: b.svc, Composer: bcComposer{}, PageSize: bcPageSize, ProgressEvery: 5}
	for _, opt := range opts {
		opt(&deps)
	}
	b.w = workers.New(workers.Deps{
		Outbox:      postgres.NewOutbox(pool),
		Queue:       b.env.Client,
		QueuePrefix: b.env.QueuePrefix,
		RelayEvery:  20 * time.Millisecond,
		Redis:       b.env.RDB,
		Transport:   b.tr,
		Recipients:  b.users,
		Sender: workers.SenderOptions{
			KeyPrefix: b.env.KeyPrefix,
			Limits:    ratelimit.Limits{Global: 2000, GlobalBurst: 200, PerChat: 100, PerChatBurst: 10, PerGroup: 100, PerGroupBurst: 10},
		},
		Broadcasts: deps,
	})

	b.exec(t, `INSERT INTO users (id, first_name) SELECT g, 'u' FROM generate_series($1::bigint, $2::bigint) g`,
		bcFirst, bcFirst+bcPeople-1)
	b.exec(t, `INSERT INTO users (id, first_name) VALUES ($1, 'owner')`, b.owner)
	if err := pool.QueryRow(b.ctx, `INSERT INTO shops (name, currency, payment_method, created_by)
		VALUES ('shop', 'XTR', 'stars', $1) RETURNING id`, b.owner).Scan(&b.shop); err != nil {
		t.Fatal(err)
	}
	b.exec(t, `INSERT INTO shop_staff (shop_id, user_id, role) VALUES ($1, $2, 'owner')`, b.shop, b.owner)
	b.exec(t, `INSERT INTO orders (shop_id, buyer_id, status, currency, items_total, total, delivery, checkout_key)
		SELECT $1, g, 'paid', 'XTR', 10, 10, 'none', 'k' FROM generate_series($2::bigint, $3::bigint) g`,
		b.shop, bcFirst, bcFirst+bcPeople-1)
	return b
}

func (b *bcBundle) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := b.pool.Exec(b.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// start starts a broadcast to the shop's customers.
func (b *bcBundle) start(t *testing.T) broadcast.Broadcast {
	t.Helper()
	bc, err := b.svc.Start(b.ctx, b.owner, broadcast.Draft{
		Key: "conv-1", ShopID: b.shop, Content: broadcast.Content{Text: "Sale!"},
		Audience:     broadcast.Audience{Kind: broadcast.AudienceCustomers},
		ProgressChat: int64(b.owner), ProgressMessageID: 99,
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return bc
}

// queueAll runs the start and page tasks of a broadcast by hand, as a worker
// would: the pages send their messages themselves, but for those they hand to
// the sender's queue.
func (b *bcBundle) queueAll(t *testing.T, id broadcast.ID) {
	t.Helper()
	b.materialize(t, id)
	after := core.UserID(0)
	for {
		b.runPage(t, id, after)
		rs, err := b.svc.Recipients(b.ctx, id, after, bcPageSize)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) < bcPageSize {
			return
		}
		after = rs[len(rs)-1].UserID
	}
}

// materialize runs a broadcast's start task by hand: its recipients are
// recorded and its first page task waits in the queue.
func (b *bcBundle) materialize(t *testing.T, id broadcast.ID) {
	t.Helper()
	payload := fmt.Appendf(nil, `{"broadcast_id":%d}`, id)
	if err := b.w.HandleBroadcastStart(b.ctx, asynq.NewTask(broadcast.JobStart, payload)); err != nil {
		t.Fatalf("start task: %v", err)
	}
}

// runPage runs the page task of a broadcast's share above after by hand.
func (b *bcBundle) runPage(t *testing.T, id broadcast.ID, after core.UserID) {
	t.Helper()
	p := fmt.Appendf(nil, `{"broadcast_id":%d,"after":%d}`, id, after)
	if err := b.w.HandleBroadcastPage(b.ctx, asynq.NewTask(workers.TypeBroadcastPage, p)); err != nil {
		t.Fatalf("page task: %v", err)
	}
}

// serve runs an asynq server with the workers' handlers, and the relay, until
// the test ends.
func (b *bcBundle) serve(t *testing.T, concurrency int) {
	t.Helper()
	mux := asynq.NewServeMux()
	b.w.Register(mux)
	cfg := b.w.ServerConfig()
	cfg.ShutdownTimeout = 3 * time.Second
	cfg.Concurrency = concurrency
	b.env.Serve(t, cfg, mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.w.RunRelay(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (b *bcBundle) broadcast(t *testing.T, id broadcast.ID) broadcast.Broadcast {
	t.Helper()
	bc, err := b.svc.BroadcastForSystem(b.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return bc
}

func (b *bcBundle) recipient(t *testing.T, id broadcast.ID, u core.UserID) string {
	t.Helper()
	var status string
	if err := b.pool.QueryRow(b.ctx, `SELECT status FROM broadcast_recipients WHERE broadcast_id = $1 AND user_id = $2`,
		id, u).Scan(&status); err != nil {
		t.Fatal(err)
	}
	return status
}

// bcWait polls cond until it holds, failing the test after 20 s.
func bcWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A broadcast to N people, started through the outbox, sends each one message;
// the one who blocked the bot is marked blocked and unreachable; the seller's
// progress message ends with the final report.
func TestBroadcast_SendsEachOnce(t *testing.T) {
	t.Parallel()
	b := bcSetup(t)
	blocked := bcFirst + 3
	b.tr.blocked[int64(blocked)] = true
	b.serve(t, 10)
	bc := b.start(t)
	bcWait(t, "the broadcast to finish", func() bool { return b.broadcast(t, bc.ID).Status == broadcast.StatusFinished })
	got := b.broadcast(t, bc.ID)
	if got.Total != bcPeople || got.Sent != bcPeople-1 || got.Blocked != 1 || got.Pending() != 0 {
		t.Errorf("finished: %+v", got)
	}
	people, twice := b.tr.got()
	if people != bcPeople-1 || twice {
		t.Errorf("%d people got it (twice: %v), want %d once each", people, twice, bcPeople-1)
	}
	if s := b.recipient(t, bc.ID, blocked); s != "blocked" {
		t.Errorf("the blocked recipient is %s", s)
	}
	if ok, _ := b.users.Reachable(b.ctx, blocked); ok {
		t.Error("a user who blocked the bot is still reachable")
	}
	want := fmt.Sprintf("finished sent=%d blocked=1 skipped=0 pending=0", bcPeople-1)
	bcWait(t, "the final report", func() bool { return b.tr.lastEdit() == want })

	// A page task run again (a retry after a crash) sends nobody twice.
	b.queueAll(t, bc.ID)
	b.env.WaitIdle(t, func() bool { return countJobs(t, b.pool, "relayed_at IS NULL") == 0 })
	if people, twice := b.tr.got(); people != bcPeople-1 || twice {
		t.Errorf("after the pages ran again: %d people, twice %v", people, twice)
	}
	// The sweep finds nothing left to report.
	if err := b.w.HandleBroadcastSweep(b.ctx, asynq.NewTask(workers.TypeBroadcastSweep, nil)); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.svc.Unreported(b.ctx, 10); len(list) != 0 {
		t.Errorf("unreported after the run: %v", list)
	}
}

// Cancelled while its first page is being sent, a broadcast sends nothing past
// that page (a page's recipients are checked together, before it goes): the
// rest are counted not sent, and the report says stopped.
func TestBroadcast_CancelMidway(t *testing.T) {
	t.Parallel()
	// One message at a time: the cancel comes before the page's fourth send.
	b := bcSetup(t, func(d *workers.BroadcastDeps) { d.Senders = 1 })
	bc := b.start(t)
	b.materialize(t, bc.ID)
	var (
		mu    sync.Mutex
		count int
	)
	b.tr.before = func(m core.Message) {
		mu.Lock()
		defer mu.Unlock()
		count++
		if count == 3 {
			if _, err := b.svc.Cancel(b.ctx, b.owner, bc.ID); err != nil {
				t.Errorf("cancel: %v", err)
			}
		}
	}
	b.runPage(t, bc.ID, 0)
	people, twice := b.tr.got()
	if people < 3 || people > bcPageSize || twice {
		t.Errorf("%d people got it (twice: %v) after a cancel at the third, want 3 to %d", people, twice, bcPageSize)
	}
	got := b.broadcast(t, bc.ID)
	if got.Status != broadcast.StatusCancelled || got.Sent+got.Cancelled != bcPeople || got.Sent > people {
		t.Errorf("cancelled: %+v", got)
	}
	// The page task the start queued, and the report the cancel asked for.
	b.serve(t, 10)
	b.env.WaitIdle(t, func() bool { return countJobs(t, b.pool, "relayed_at IS NULL") == 0 })
	if again, _ := b.tr.got(); again != people {
		t.Errorf("%d people got it once the queued page ran, want %d", again, people)
	}
	bcWait(t, "the report after the cancel", func() bool {
		return b.tr.lastEdit() == fmt.Sprintf("cancelled sent=%d blocked=0 skipped=0 pending=0", got.Sent)
	})
}

// Someone who opts out after the broadcast started, before their page is
// sent, does not get it.
func TestBroadcast_UnsubscribeHonoredAtOnce(t *testing.T) {
	t.Parallel()
	b := bcSetup(t)
	bc := b.start(t)
	b.materialize(t, bc.ID)
	last := bcFirst + bcPeople - 1
	if err := b.svc.Unsubscribe(b.ctx, last, b.shop); err != nil {
		t.Fatal(err)
	}
	b.serve(t, 10)
	bcWait(t, "the broadcast to finish", func() bool { return b.broadcast(t, bc.ID).Status == broadcast.StatusFinished })
	got := b.broadcast(t, bc.ID)
	if got.Sent != bcPeople-1 || got.Skipped != 1 {
		t.Errorf("finished: %+v", got)
	}
	b.tr.mu.Lock()
	n := b.tr.sent[int64(last)]
	b.tr.mu.Unlock()
	if n != 0 {
		t.Error("a person who opted out got the broadcast")
	}
	if s := b.recipient(t, bc.ID, last); s != "skipped" {
		t.Errorf("the opted-out recipient is %s", s)
	}
}

// A page run again after its outcomes were lost (a crash before they were
// recorded) sends nobody twice and counts each once; a message Telegram
// refused with 429 goes through the sender's queue after retry_after, and a
// page run again meanwhile leaves it to the queue.
func TestBroadcast_PageRunAgainSendsNobodyTwice(t *testing.T) {
	t.Parallel()
	b := bcSetup(t)
	held := bcFirst + 9
	b.tr.tooMany[int64(held)] = 1
	bc := b.start(t)
	b.queueAll(t, bc.ID)
	if people, twice := b.tr.got(); people != bcPeople-1 || twice {
		t.Fatalf("after the pages: %d people (twice: %v), want all but the one held by a 429", people, twice)
	}
	if s := b.recipient(t, bc.ID, held); s != "pending" {
		t.Fatalf("the recipient held by a 429 is %s, want pending", s)
	}

	// Every outcome lost, as if the worker died before recording any.
	b.exec(t, `UPDATE broadcast_recipients SET status = 'pending', done_at = NULL WHERE broadcast_id = $1`, bc.ID)
	b.exec(t, `DELETE FROM broadcast_counters WHERE broadcast_id = $1`, bc.ID)
	b.queueAll(t, bc.ID)
	if people, twice := b.tr.got(); people != bcPeople-1 || twice {
		t.Errorf("after the pages ran again: %d people (twice: %v)", people, twice)
	}
	if got := b.broadcast(t, bc.ID); got.Sent != bcPeople-1 || got.Pending() != 1 {
		t.Errorf("after the pages ran again: %+v", got)
	}

	// The queue sends the held message after retry_after, and the broadcast ends.
	b.serve(t, 10)
	bcWait(t, "the broadcast to finish", func() bool { return b.broadcast(t, bc.ID).Status == broadcast.StatusFinished })
	if people, twice := b.tr.got(); people != bcPeople || twice {
		t.Errorf("at the end: %d people (twice: %v), want %d once each", people, twice, bcPeople)
	}
	if got := b.broadcast(t, bc.ID); got.Sent != bcPeople {
		t.Errorf("finished: %+v", got)
	}
	want := fmt.Sprintf("finished sent=%d blocked=0 skipped=0 pending=0", bcPeople)
	bcWait(t, "the final report", func() bool { return b.tr.lastEdit() == want })
}

// A broadcast longer than one task's share goes on task after task, the next
// one starting before the last ends, and reaches everyone once.
func TestBroadcast_SharesFollowEachOther(t *testing.T) {
	t.Parallel()
	b := bcSetup(t, func(d *workers.BroadcastDeps) { d.TaskPages = 1 })
	b.serve(t, 10)
	bc := b.start(t)
	bcWait(t, "the broadcast to finish", func() bool { return b.broadcast(t, bc.ID).Status == broadcast.StatusFinished })
	if people, twice := b.tr.got(); people != bcPeople || twice {
		t.Errorf("%d people got it (twice: %v), want %d once each", people, twice, bcPeople)
	}
	want := fmt.Sprintf("finished sent=%d blocked=0 skipped=0 pending=0", bcPeople)
	bcWait(t, "the final report", func() bool { return b.tr.lastEdit() == want })
	// Four shares of seven: four page tasks, none run twice.
	b.env.WaitIdle(t)
	tasks, err := b.env.Inspector.ListCompletedTasks(b.env.QueuePrefix + workers.QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, task := range tasks {
		if task.Type == workers.TypeBroadcastPage {
			pages++
		}
	}
	if pages != 4 {
		t.Errorf("%d page tasks, want 4", pages)
	}
}
