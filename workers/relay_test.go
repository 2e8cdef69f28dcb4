package workers_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
)

// waitLimit bounds every wait for background work; reaching it fails the test. It is
// not a performance claim: it only keeps a broken test from hanging.
const waitLimit = 30 * time.Second

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// insertJob writes an outbox row the way a service's transaction does.
func insertJob(t *testing.T, pool *pgxpool.Pool, kind, key, payload string, runAt time.Time) int64 {
	t.Helper()
	var id int64
	err := pool.QueryRow(context.Background(),
		`INSERT INTO outbox (kind, key, payload, run_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		kind, key, payload, runAt).Scan(&id)
	if err != nil {
		t.Fatalf("insert outbox job: %v", err)
	}
	return id
}

// insertNotifyJobs writes n paid notifications of orders 1..n to the outbox.
func insertNotifyJobs(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `
		INSERT INTO outbox (kind, key, payload)
		SELECT 'order:notify', 'order:notify:' || i || ':paid', jsonb_build_object('order_id', i, 'event', 'paid')
		FROM generate_series(1, $1) i`, n); err != nil {
		t.Fatal(err)
	}
}

func countJobs(t *testing.T, pool *pgxpool.Pool, where string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM outbox WHERE "+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// runRelay runs r until the test ends.
func runRelay(t *testing.T, r *workers.Relay) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Relay.Run: %v", err)
		}
	})
}

// TestRelay_JobBecomesTask checks that jobs become asynq tasks of their kind, key,
// payload, queue and due time, and that a notification wakes the relay: it polls only
// once an hour here.
func TestRelay_JobBecomesTask(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	env := asynqtest.New(t)
	r := workers.NewRelay(postgres.NewOutbox(pool), env.Client, workers.RelayOptions{QueuePrefix: env.QueuePrefix, Every: time.Hour})
	runRelay(t, r)

	due := time.Now().Add(time.Hour).Add(300 * time.Millisecond)
	insertJob(t, pool, order.JobNotify, "order:notify:1:paid", `{"order_id": 1, "event": "paid"}`, time.Now())
	insertJob(t, pool, order.JobExpire, "order:expire:1", `{"order_id": 1}`, due)
	waitFor(t, "both jobs relayed", func() bool { return countJobs(t, pool, "relayed_at IS NOT NULL") == 2 })

	pending, err := env.Inspector.ListPendingTasks(env.Queue(workers.QueueCritical))
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending notification tasks = %d, %v; want 1", len(pending), err)
	}
	notify := pending[0]
	if !strings.HasPrefix(notify.ID, "order:notify:1:paid@") {
		t.Errorf("notification task id = %q, want the key and the row's due time", notify.ID)
	}
	if notify.Type != order.JobNotify || string(notify.Payload) != `{"event": "paid", "order_id": 1}` || notify.State != asynq.TaskStatePending {
		t.Errorf("notification task = %s %s %v", notify.Type, notify.Payload, notify.State)
	}
	expire, err := env.Inspector.GetTaskInfo(env.Queue(workers.QueueDefault), "order:expire:1")
	if err != nil {
		t.Fatalf("expiry task: %v", err)
	}
	// Rounded up to the next second: asynq rounds down, and must not run it early.
	wantAt := due.Truncate(time.Second).Add(time.Second)
	if expire.State != asynq.TaskStateScheduled || !expire.NextProcessAt.Equal(wantAt) {
		t.Errorf("expiry task: %v at %v, want scheduled at %v", expire.State, expire.NextProcessAt, wantAt)
	}
}

// TestRelay_TaskIDConflict relays a job whose key has a task in asynq already (an
// extended reservation): it counts as relayed, and the task stays as it was.
func TestRelay_TaskIDConflict(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	env := asynqtest.New(t)
	r := workers.NewRelay(postgres.NewOutbox(pool), env.Client, workers.RelayOptions{QueuePrefix: env.QueuePrefix, Every: 20 * time.Millisecond})
	runRelay(t, r)

	first := time.Now().Add(time.Hour).Truncate(time.Second)
	insertJob(t, pool, order.JobExpire, "order:expire:7", `{"order_id": 7}`, first)
	waitFor(t, "the first job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NOT NULL") == 1 })
	insertJob(t, pool, order.JobExpire, "order:expire:7", `{"order_id": 7}`, first.Add(5*time.Minute))
	waitFor(t, "the second job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NOT NULL") == 2 })

	task, err := env.Inspector.GetTaskInfo(env.Queue(workers.QueueDefault), "order:expire:7")
	if err != nil {
		t.Fatal(err)
	}
	if !task.NextProcessAt.Equal(first) {
		t.Errorf("task due %v, want the first job's %v", task.NextProcessAt, first)
	}
	if n := countJobs(t, pool, "attempts > 0"); n != 0 {
		t.Errorf("%d jobs recorded a failure for a conflict", n)
	}
}

// TestRelay_RetainedKeyWrittenAgain writes a notification under a key whose earlier
// task asynq retains, as happens when a database is re-created or restored against the
// same Redis and order ids start again: the new job is a new task, not a conflict that
// would silently drop it.
func TestRelay_RetainedKeyWrittenAgain(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	env := asynqtest.New(t)
	r := workers.NewRelay(postgres.NewOutbox(pool), env.Client, workers.RelayOptions{QueuePrefix: env.QueuePrefix, Every: 20 * time.Millisecond})
	runRelay(t, r)

	insertJob(t, pool, order.JobNotify, "order:notify:1:paid", `{"order_id": 1, "event": "paid"}`, time.Now())
	waitFor(t, "the first job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NOT NULL") == 1 })
	insertJob(t, pool, order.JobNotify, "order:notify:1:paid", `{"order_id": 1, "event": "paid"}`, time.Now())
	waitFor(t, "the second job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NOT NULL") == 2 })

	pending, err := env.Inspector.ListPendingTasks(env.Queue(workers.QueueCritical))
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].ID == pending[1].ID {
		t.Errorf("pending tasks = %d, want 2 distinct: the second job must not be swallowed", len(pending))
	}
}

// switchEnqueuer sends to whichever enqueuer it was last pointed at, and counts calls.
type switchEnqueuer struct {
	mu    sync.Mutex
	to    workers.Enqueuer
	calls atomic.Int64
}

func (s *switchEnqueuer) point(to workers.Enqueuer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.to = to
}

func (s *switchEnqueuer) EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	s.calls.Add(1)
	s.mu.Lock()
	to := s.to
	s.mu.Unlock()
	return to.EnqueueContext(ctx, task, opts...)
}

// closedPort returns an address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// downRedis returns an asynq client of a Redis that is down: nothing listens at
// its address. Each enqueue fails as soon as its one dial is refused, where a
// default client dials five times and retries three, for seconds.
func downRedis(t *testing.T) *asynq.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr: closedPort(t), DialTimeout: 200 * time.Millisecond, DialerRetries: 1, MaxRetries: -1,
	})
	down := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() {
		down.Close()
		rdb.Close()
	})
	return down
}

// TestRelay_RedisDown keeps jobs in the outbox while Redis is unreachable, with their
// failures recorded, and relays them once it is back.
func TestRelay_RedisDown(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	env := asynqtest.New(t)
	queue := &switchEnqueuer{to: downRedis(t)}
	r := workers.NewRelay(postgres.NewOutbox(pool), queue, workers.RelayOptions{QueuePrefix: env.QueuePrefix, Every: 20 * time.Millisecond})
	runRelay(t, r)

	for i, key := range []string{"order:notify:1:paid", "order:notify:2:paid", "order:notify:3:paid", "order:notify:4:paid", "order:notify:5:paid"} {
		insertJob(t, pool, order.JobNotify, key, `{"order_id": 1, "event": "paid"}`, time.Now().Add(time.Duration(i)*time.Millisecond))
	}
	waitFor(t, "failed attempts recorded", func() bool {
		return countJobs(t, pool, "attempts >= 1 AND last_error <> ''") >= 2
	})
	if n := countJobs(t, pool, "relayed_at IS NOT NULL"); n != 0 {
		t.Fatalf("%d jobs marked relayed while Redis was down", n)
	}

	queue.point(env.Client)
	waitFor(t, "every job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NULL") == 0 })
	info, err := env.Inspector.GetQueueInfo(env.Queue(workers.QueueCritical))
	if err != nil {
		t.Fatal(err)
	}
	if info.Pending != 5 {
		t.Errorf("%d tasks pending, want 5", info.Pending)
	}
}

// TestRelay_ManyRelays runs three relays on one outbox: every job is enqueued once.
func TestRelay_ManyRelays(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	env := asynqtest.New(t)
	const jobs = 300
	insertNotifyJobs(t, pool, jobs)
	var counters []*switchEnqueuer
	for range 3 {
		q := &switchEnqueuer{to: env.Client}
		counters = append(counters, q)
		runRelay(t, workers.NewRelay(postgres.NewOutbox(pool), q, workers.RelayOptions{QueuePrefix: env.QueuePrefix, Batch: 10}))
	}
	waitFor(t, "every job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NULL") == 0 })
	var calls int64
	for _, q := range counters {
		calls += q.calls.Load()
	}
	if calls != jobs {
		t.Errorf("%d enqueues for %d jobs", calls, jobs)
	}
	info, err := env.Inspector.GetQueueInfo(env.Queue(workers.QueueCritical))
	if err != nil {
		t.Fatal(err)
	}
	if info.Pending != jobs {
		t.Errorf("%d tasks pending, want %d", info.Pending, jobs)
	}
}

// slowEnqueuer is a Redis that answers slowly but never fails.
type slowEnqueuer struct {
	to    workers.Enqueuer
	pause time.Duration
	calls atomic.Int64
}

func (s *slowEnqueuer) EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	s.calls.Add(1)
	time.Sleep(s.pause)
	return s.to.EnqueueContext(ctx, task, opts...)
}

// TestRelay_SlowRedis relays a batch that takes longer than a claim lasts, with a
// second relay waiting for work: a relay lets go of what it has not enqueued before
// its claim runs out, so no job is enqueued twice (a kind without retention would
// run twice).
func TestRelay_SlowRedis(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	env := asynqtest.New(t)
	const jobs = 8
	insertNotifyJobs(t, pool, jobs)
	// Each enqueue takes a quarter of the claim, and may take a third (the relay's
	// bound): the margin left for Redis itself, 100 ms, holds on a loaded machine.
	const claim = 1200 * time.Millisecond
	var relays []*slowEnqueuer
	for range 2 {
		q := &slowEnqueuer{to: env.Client, pause: claim / 4}
		relays = append(relays, q)
		runRelay(t, workers.NewRelay(postgres.NewOutbox(pool), q, workers.RelayOptions{
			QueuePrefix: env.QueuePrefix, Every: 10 * time.Millisecond, ClaimFor: claim,
		}))
	}
	waitFor(t, "every job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NULL") == 0 })
	var calls int64
	for _, q := range relays {
		calls += q.calls.Load()
	}
	if calls != jobs {
		t.Errorf("%d enqueues for %d jobs: a claim ran out while its relay was still enqueuing", calls, jobs)
	}
}

// logRecords collects the records of a slog logger, for a test to count them.
type logRecords struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

// at returns the messages logged at level.
func (l *logRecords) at(level slog.Level) []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []slog.Record
	for _, r := range l.records {
		if r.Level == level {
			out = append(out, r)
		}
	}
	return out
}

// TestRelay_RedisOutageLoggedOnce keeps Redis unreachable through many relay rounds: the
// outage is one warning, not one per round and job, and its end is one line with how
// long it lasted and the backlog.
func TestRelay_RedisOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	env := asynqtest.New(t)
	queue := &switchEnqueuer{to: downRedis(t)}
	logs := &logRecords{}
	r := workers.NewRelay(postgres.NewOutbox(pool), queue, workers.RelayOptions{
		QueuePrefix: env.QueuePrefix, Every: 10 * time.Millisecond, Log: slog.New(logs),
	})
	runRelay(t, r)

	for i := range 3 {
		insertJob(t, pool, order.JobNotify, "order:notify:"+strconv.Itoa(i)+":paid", `{"order_id": 1, "event": "paid"}`, time.Now())
	}
	// Every job tried at least five times: many rounds of the relay.
	waitFor(t, "many failed rounds", func() bool { return countJobs(t, pool, "attempts >= 5") == 3 })
	if warns := logs.at(slog.LevelWarn); len(warns) != 1 {
		var msgs []string
		for _, w := range warns {
			msgs = append(msgs, w.Message)
		}
		t.Errorf("%d warnings during the outage, want 1: %q", len(warns), msgs)
	}
	if infos := logs.at(slog.LevelInfo); len(infos) != 0 {
		t.Errorf("%d info lines during the outage, want none", len(infos))
	}

	queue.point(env.Client)
	waitFor(t, "every job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NULL") == 0 })
	infos := logs.at(slog.LevelInfo)
	if len(infos) != 1 {
		t.Fatalf("%d info lines after the outage, want 1 saying Redis is back", len(infos))
	}
	attrs := map[string]slog.Value{}
	infos[0].Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
	if _, ok := attrs["outage"]; !ok || attrs["backlog"].Kind() != slog.KindInt64 {
		t.Errorf("the recovery line %q has attrs %v, want outage and backlog", infos[0].Message, attrs)
	}
	if n := len(logs.at(slog.LevelWarn)); n != 1 {
		t.Errorf("%d warnings in all, want 1", n)
	}
}

// downOutbox is an outbox whose PostgreSQL is down while down is set: Claim and Listen
// fail at once.
type downOutbox struct {
	*postgres.Outbox
	down   atomic.Bool
	claims atomic.Int64
}

func (o *downOutbox) Claim(ctx context.Context, limit int, claimFor time.Duration) ([]int64, []core.Job, error) {
	o.claims.Add(1)
	if o.down.Load() {
		return nil, nil, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return o.Outbox.Claim(ctx, limit, claimFor)
}

func (o *downOutbox) Listen(ctx context.Context, notify func()) error {
	if o.down.Load() {
		return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return o.Outbox.Listen(ctx, notify)
}

// TestRelay_DatabaseOutageLoggedOnce keeps PostgreSQL unreachable through many relay
// rounds: claiming is warned of once, not twice a second, and its end is told once.
func TestRelay_DatabaseOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	env := asynqtest.New(t)
	store := &downOutbox{Outbox: postgres.NewOutbox(pool)}
	store.down.Store(true)
	logs := &logRecords{}
	r := workers.NewRelay(store, env.Client, workers.RelayOptions{
		QueuePrefix: env.QueuePrefix, Every: 10 * time.Millisecond, Log: slog.New(logs),
	})
	runRelay(t, r)
	waitFor(t, "many failed claims", func() bool { return store.claims.Load() >= 20 })
	var claimWarns int
	for _, w := range logs.at(slog.LevelWarn) {
		if strings.HasPrefix(w.Message, "claim outbox jobs") {
			claimWarns++
		}
	}
	if claimWarns != 1 {
		t.Errorf("%d warnings of failed claims during the outage, want 1", claimWarns)
	}
	store.down.Store(false)
	insertJob(t, pool, order.JobNotify, "order:notify:1:paid", `{"order_id": 1, "event": "paid"}`, time.Now())
	waitFor(t, "the job relayed", func() bool { return countJobs(t, pool, "relayed_at IS NULL") == 0 })
	var back int
	for _, l := range logs.at(slog.LevelInfo) {
		if strings.HasPrefix(l.Message, "claiming outbox jobs again") {
			back++
		}
	}
	if back != 1 {
		t.Errorf("%d lines telling the outage's end, want 1", back)
	}
}
