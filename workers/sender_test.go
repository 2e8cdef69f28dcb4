package workers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
	"github.com/vitrina-shop/vitrina/workers/ratelimit"
)

var _ workers.Recipients = (*user.Service)(nil)

// transport is Telegram for the sender: it records the messages it took, and
// answers with the errors a test queues for a message key.
type transport struct {
	mu     sync.Mutex
	got    []core.Message
	at     []time.Time
	errs   map[string][]error // key -> errors to answer, first first
	calls  map[string]int
	before func(m core.Message)
}

func newTransport() *transport {
	return &transport{errs: map[string][]error{}, calls: map[string]int{}}
}

func (tr *transport) Deliver(ctx context.Context, m core.Message) error {
	if tr.before != nil {
		tr.before(m)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.calls[m.Key]++
	if errs := tr.errs[m.Key]; len(errs) > 0 {
		tr.errs[m.Key] = errs[1:]
		return errs[0]
	}
	tr.got = append(tr.got, m)
	tr.at = append(tr.at, time.Now())
	return nil
}

func (tr *transport) fail(key string, errs ...error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.errs[key] = append(tr.errs[key], errs...)
}

// keys returns the keys of the messages taken, in order.
func (tr *transport) keys() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, m := range tr.got {
		out = append(out, m.Key)
	}
	return out
}

func (tr *transport) callsOf(key string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.calls[key]
}

// senderBundle is a sender on the test's Redis and queues, with a user service
// on a test database.
type senderBundle struct {
	ctx   context.Context
	env   *asynqtest.Env
	tr    *transport
	users *user.Service
	w     *workers.Workers
}

func setupSender(t *testing.T, limits ratelimit.Limits) *senderBundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	b := &senderBundle{ctx: context.Background(), env: asynqtest.New(t), tr: newTransport()}
	b.users = user.NewService(postgres.NewUsers(pool), core.SystemClock{})
	b.w = b.newWorkers(limits)
	return b
}

func (b *senderBundle) newWorkers(limits ratelimit.Limits) *workers.Workers {
	return workers.New(workers.Deps{
		Outbox:      nil,
		Queue:       b.env.Client,
		QueuePrefix: b.env.QueuePrefix,
		Redis:       b.env.RDB,
		Transport:   b.tr,
		Recipients:  b.users,
		Sender:      workers.SenderOptions{Limits: limits, KeyPrefix: b.env.KeyPrefix},
	})
}

// serve runs an asynq server with w's handlers (mux wraps them, if set) until
// the test ends, and returns it.
func (b *senderBundle) serve(t *testing.T, w *workers.Workers, wrap func(asynq.Handler) asynq.Handler) *asynq.Server {
	t.Helper()
	mux := asynq.NewServeMux()
	w.Register(mux)
	var h asynq.Handler = mux
	if wrap != nil {
		h = wrap(mux)
	}
	cfg := w.ServerConfig()
	cfg.ShutdownTimeout = 2 * time.Second
	cfg.Concurrency = 20
	return b.env.Serve(t, cfg, h)
}

func msg(key string, chat int64, prio core.Priority) core.Message {
	return core.Message{
		Key: key, Chat: chat, User: core.UserID(chat), Priority: prio, Method: "sendMessage",
		Params: json.RawMessage(fmt.Sprintf(`{"chat_id":%d,"text":%q}`, chat, key)),
	}
}

func TestSender_SendsEachMessageOnce(t *testing.T) {
	t.Parallel()
	b := setupSender(t, ratelimit.Limits{})
	b.serve(t, b.w, nil)
	m := msg("hello:1", 501, core.PriorityOrder)
	// Enqueued twice (a notify task retried after a partial failure): sent once.
	for range 2 {
		if err := b.w.Send(b.ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the message", func() bool { return len(b.tr.keys()) == 1 })

	// The same task run again (asynq redelivers it after a crash): not sent again.
	payload, _ := json.Marshal(map[string]any{"m": m, "at": time.Now().UnixMicro()})
	if err := b.w.HandleSend(b.ctx, asynq.NewTask(workers.TypeSend, payload)); err != nil {
		t.Fatalf("HandleSend again: %v", err)
	}
	b.env.WaitIdle(t)
	if got := b.tr.keys(); len(got) != 1 {
		t.Errorf("sent %v, want the message once", got)
	}
}

// A worker that dies after Telegram took a message and before asynq recorded the
// task done: asynq gives the task to another worker, which must not send it again.
func TestSender_WorkerKilledAfterSending(t *testing.T) {
	t.Parallel()
	b := setupSender(t, ratelimit.Limits{})
	sent := make(chan struct{}, 1)
	hang := func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
			if err := next.ProcessTask(ctx, task); err != nil {
				return err
			}
			sent <- struct{}{}
			<-ctx.Done() // the worker hangs here until it is shut down: never acknowledged
			return ctx.Err()
		})
	}
	first := b.serve(t, b.w, hang)
	if err := b.w.Send(b.ctx, msg("paid:7", 502, core.PriorityOrder)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sent:
	case <-time.After(20 * time.Second):
		t.Fatal("the first worker never sent the message")
	}
	first.Shutdown() // the task goes back to the queue, unacknowledged

	second := b.newWorkers(ratelimit.Limits{})
	b.serve(t, second, nil)
	waitFor(t, "the task to finish on the second worker", func() bool {
		info, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueCritical), "msg:paid:7")
		return err == nil && info.State == asynq.TaskStateCompleted
	})
	if got := b.tr.keys(); len(got) != 1 {
		t.Errorf("Telegram got %v, want the message once", got)
	}
}

func TestSender_Blocked(t *testing.T) {
	t.Parallel()
	b := setupSender(t, ratelimit.Limits{})
	if _, err := b.users.Touch(b.ctx, user.Seen{ID: 503, FirstName: "Anya"}); err != nil {
		t.Fatal(err)
	}
	b.tr.fail("first", &core.SendError{Code: 403, Description: "Forbidden: bot was blocked by the user"})
	b.serve(t, b.w, nil)
	if err := b.w.Send(b.ctx, msg("first", 503, core.PriorityReminder)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the user to be marked unreachable", func() bool {
		ok, err := b.users.Reachable(b.ctx, 503)
		return err == nil && !ok
	})
	// Further messages are not even tried until the user writes again.
	if err := b.w.Send(b.ctx, msg("second", 503, core.PriorityReminder)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second task to finish", func() bool {
		info, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueDefault), "msg:second")
		return err == nil && info.State == asynq.TaskStateCompleted
	})
	if n := b.tr.callsOf("second"); n != 0 {
		t.Errorf("a message to an unreachable user was tried %d times", n)
	}
	if n := b.tr.callsOf("first"); n != 1 {
		t.Errorf("the refused message was tried %d times, want 1 (403 is not retried)", n)
	}

	// They write again (the bot's Touch clears it): messages go again.
	if _, err := b.users.Touch(b.ctx, user.Seen{ID: 503, FirstName: "Anya"}); err != nil {
		t.Fatal(err)
	}
	if err := b.w.Send(b.ctx, msg("third", 503, core.PriorityReminder)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the third message", func() bool { return slices.Contains(b.tr.keys(), "third") })
}

func TestSender_TooManyRequests(t *testing.T) {
	t.Parallel()
	b := setupSender(t, ratelimit.Limits{})
	b.tr.fail("flood", &core.SendError{Code: 429, Description: "Too Many Requests: retry after 2", RetryAfter: 2 * time.Second})
	var tried time.Time
	b.tr.before = func(m core.Message) {
		if m.Key == "flood" && tried.IsZero() {
			tried = time.Now()
		}
	}
	b.serve(t, b.w, nil)
	if err := b.w.Send(b.ctx, msg("flood", 504, core.PriorityOrder)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message after its retry_after", func() bool { return len(b.tr.keys()) == 1 })
	b.tr.mu.Lock()
	gap := b.tr.at[0].Sub(tried)
	b.tr.mu.Unlock()
	if gap < 2*time.Second {
		t.Errorf("retried %v after the 429, before its retry_after of 2 s", gap)
	}
	if n := b.tr.callsOf("flood"); n != 2 {
		t.Errorf("tried %d times, want 2", n)
	}

	// The chat stays closed to other workers for retry_after, and the global rate
	// is slowed: a limiter on the same Redis sees both.
	b.tr.fail("flood2", &core.SendError{Code: 429, RetryAfter: 5 * time.Second})
	if err := b.w.Send(b.ctx, msg("flood2", 505, core.PriorityOrder)); err != nil {
		t.Fatal(err)
	}
	// Back in the queue for its retry_after: the sender recorded the 429 before.
	waitFor(t, "the second 429", func() bool {
		info, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueCritical), "msg:flood2")
		return err == nil && info.State == asynq.TaskStateRetry
	})
	if n := b.tr.callsOf("flood2"); n != 1 {
		t.Errorf("flood2 tried %d times before its retry_after, want once", n)
	}
	l := ratelimit.New(b.env.RDB, ratelimit.Limits{}, ratelimit.Options{KeyPrefix: b.env.KeyPrefix + "ratelimit:"})
	g, err := l.Take(b.ctx, 505, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if g.OK || g.Wait < 3*time.Second {
		t.Errorf("chat 505 reopens in %v (granted %v) after a 429 with retry_after 5 s", g.Wait, g.OK)
	}
}

func TestSender_ChatGoneIsDropped(t *testing.T) {
	t.Parallel()
	b := setupSender(t, ratelimit.Limits{})
	b.tr.fail("gone", &core.SendError{Code: 400, Gone: true, Description: "Bad Request: chat not found"})
	b.tr.fail("bad", &core.SendError{Code: 400, Description: "Bad Request: can't parse entities"})
	b.serve(t, b.w, nil)
	if err := b.w.Send(b.ctx, msg("gone", 506, core.PriorityOrder), msg("bad", 507, core.PriorityOrder)); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"gone", "bad"} {
		waitFor(t, key+" to finish", func() bool {
			info, err := b.env.Inspector.GetTaskInfo(b.env.Queue(workers.QueueCritical), "msg:"+key)
			return err == nil && info.State == asynq.TaskStateCompleted
		})
		if n := b.tr.callsOf(key); n != 1 {
			t.Errorf("%s tried %d times, want once (a 400 is never retried)", key, n)
		}
	}
}

// Edits of one state (a channel post's counter) are coalesced: while one is on
// its way, newer ones replace each other, and the last one is always sent.
func TestSender_CoalescesEdits(t *testing.T) {
	t.Parallel()
	b := setupSender(t, ratelimit.Limits{})
	slow, onItsWay := make(chan struct{}), make(chan struct{})
	b.tr.before = func(m core.Message) {
		if m.Key == "post:v1" {
			close(onItsWay)
			<-slow
		}
	}
	b.serve(t, b.w, nil)
	edit := func(v int) core.Message {
		m := msg(fmt.Sprintf("post:v%d", v), -100500, core.PriorityReminder)
		m.User, m.Group, m.Coalesce, m.Method = 0, true, "lot:9", "editMessageText"
		return m
	}
	if err := b.w.Send(b.ctx, edit(1)); err != nil {
		t.Fatal(err)
	}
	<-onItsWay
	for v := 2; v <= 10; v++ {
		if err := b.w.Send(b.ctx, edit(v)); err != nil {
			t.Fatal(err)
		}
	}
	close(slow)
	// Every task done, the follow-ups scheduled a second ahead included.
	b.env.WaitIdle(t)
	got := b.tr.keys()
	if want := []string{"post:v1", "post:v10"}; !slices.Equal(got, want) {
		t.Errorf("edits sent %v, want %v", got, want)
	}
}

// Payments go before broadcasts: a payment message enqueued behind hundreds of
// broadcast messages is sent long before they are done.
func TestSender_PaymentsOvertakeBroadcasts(t *testing.T) {
	t.Parallel()
	limits := ratelimit.DefaultLimits().Scale(100.0 / ratelimit.DefaultGlobal) // 100/s overall
	b := setupSender(t, limits)
	const n = 300
	var msgs []core.Message
	for i := range n {
		msgs = append(msgs, msg(fmt.Sprintf("bc:%d", i), int64(10_000+i), core.PriorityBroadcast))
	}
	if err := b.w.Send(b.ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	b.serve(t, b.w, nil)
	waitFor(t, "the broadcast to start", func() bool { return len(b.tr.keys()) >= 50 })
	if err := b.w.Send(b.ctx, msg("paid:1", 9, core.PriorityOrder)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the whole broadcast", func() bool { return len(b.tr.keys()) == n+1 })
	pos := slices.Index(b.tr.keys(), "paid:1")
	// Behind it were ~250 broadcast messages, 2.5 s at 100/s.
	if pos > 100 {
		t.Errorf("the payment message went out %d of %d, behind the broadcast", pos+1, n+1)
	}
}

// A state composed earlier but enqueued later (two workers composing at once)
// does not replace a later one: it ranks lower.
func TestSender_CoalescedRankKeepsTheLaterState(t *testing.T) {
	t.Parallel()
	b := setupSender(t, ratelimit.Limits{})
	slow, onItsWay := make(chan struct{}), make(chan struct{})
	b.tr.before = func(m core.Message) {
		if m.Key == "progress:1" {
			close(onItsWay)
			<-slow
		}
	}
	b.serve(t, b.w, nil)
	edit := func(rank int64) core.Message {
		m := msg(fmt.Sprintf("progress:%d", rank), 600, core.PriorityOrder)
		m.Coalesce, m.Rank, m.Method = "bc:1:progress", rank, "editMessageText"
		return m
	}
	if err := b.w.Send(b.ctx, edit(1)); err != nil {
		t.Fatal(err)
	}
	<-onItsWay
	for _, rank := range []int64{1000, 500} { // the final report, then a late progress
		if err := b.w.Send(b.ctx, edit(rank)); err != nil {
			t.Fatal(err)
		}
	}
	close(slow)
	b.env.WaitIdle(t) // every task done, the follow-ups scheduled a second ahead included
	if got, want := b.tr.keys(), []string{"progress:1", "progress:1000"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}
