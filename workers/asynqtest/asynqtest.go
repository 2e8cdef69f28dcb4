// Package asynqtest gives each test its own asynq queues on the test Redis, so tests
// of many packages share one Redis (and one database index) without seeing each
// other's tasks. Nothing is flushed: at the end of the test, the test's queues are
// deleted, and only those.
//
// The Redis is VITRINA_TEST_REDIS_URL (default DefaultRedisURL).
package asynqtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// EnvRedisURL names the variable that points tests at a Redis.
const EnvRedisURL = "VITRINA_TEST_REDIS_URL"

// DefaultRedisURL is the Redis used when VITRINA_TEST_REDIS_URL is not set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// Env is a test's share of the test Redis.
type Env struct {
	// Redis connects asynq servers, clients and inspectors to the test Redis.
	Redis asynq.RedisConnOpt
	// QueuePrefix starts the name of every queue of the test: give it to
	// workers.Deps.QueuePrefix, and put it before queue names.
	QueuePrefix string
	// Client enqueues tasks; Inspector looks at them. Both are closed at cleanup.
	Client    *asynq.Client
	Inspector *asynq.Inspector
	// Redis is a go-redis client on the test Redis (the sender's rate limits and
	// sent keys); KeyPrefix starts the test's own keys: give it to
	// workers.SenderOptions.KeyPrefix. Keys under it are deleted at cleanup.
	RDB       redis.UniversalClient
	KeyPrefix string
}

// New returns the test's Env. It fails the test if Redis does not answer. At cleanup,
// which runs after the cleanups registered later (asynq servers the test starts
// after calling New), it deletes every queue whose name starts with QueuePrefix.
func New(t testing.TB) *Env {
	t.Helper()
	url := os.Getenv(EnvRedisURL)
	if url == "" {
		url = DefaultRedisURL
	}
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		t.Fatalf("asynqtest: %s: %v", EnvRedisURL, err)
	}
	random := make([]byte, 6)
	rand.Read(random) // never fails (crypto/rand, Go 1.24+)
	env := &Env{
		Redis:       opt,
		QueuePrefix: "test-" + hex.EncodeToString(random) + "-",
		Client:      asynq.NewClient(opt),
		Inspector:   asynq.NewInspector(opt),
		KeyPrefix:   "test-" + hex.EncodeToString(random) + ":",
	}
	rdb, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		t.Fatal("asynqtest: not a go-redis client")
	}
	env.RDB = rdb
	if _, err := env.Inspector.Queues(); err != nil {
		env.Client.Close()
		env.Inspector.Close()
		t.Fatalf("asynqtest: Redis for tests unreachable (%s; start it with .ci/run): %v", EnvRedisURL, err)
	}
	t.Cleanup(func() {
		defer env.Client.Close()
		defer env.Inspector.Close()
		defer env.RDB.Close()
		if err := env.deleteQueues(); err != nil {
			t.Errorf("asynqtest: delete the test's queues: %v", err)
		}
	})
	return env
}

// WaitLimit bounds WaitIdle; reaching it fails the test. It is not a claim about
// speed: it only keeps a broken test from hanging.
const WaitLimit = 30 * time.Second

// Idle reports whether the test's queues hold no task that is pending, active,
// scheduled or waiting for a retry: everything enqueued so far has run, and no
// task is due later (a follow-up scheduled a second ahead, a retry after a 429).
// Completed and archived tasks do not count.
//
// The counts of all the queues are read in one MULTI/EXEC, so they describe one
// instant: a task that enqueues another before it ends is seen either active or
// with its successor pending, never as neither. The list of queues is read before
// and after: a queue created meanwhile makes the answer false, to be asked again.
// (It reads asynq's keys of a queue, "asynq:{<queue>}:<state>", as deleteQueues
// does; tasks in aggregation groups are not counted, and Vitrina enqueues none.)
func (e *Env) Idle(ctx context.Context) (bool, error) {
	before, err := e.queues()
	if err != nil {
		return false, err
	}
	if len(before) == 0 {
		return true, nil
	}
	pipe := e.RDB.TxPipeline()
	var counts []*redis.IntCmd
	for _, q := range before {
		key := "asynq:{" + q + "}:"
		counts = append(counts,
			pipe.LLen(ctx, key+"pending"), pipe.LLen(ctx, key+"active"),
			pipe.ZCard(ctx, key+"scheduled"), pipe.ZCard(ctx, key+"retry"))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	after, err := e.queues()
	if err != nil {
		return false, err
	}
	if !slices.Equal(before, after) {
		return false, nil
	}
	for _, c := range counts {
		if c.Val() != 0 {
			return false, nil
		}
	}
	return true, nil
}

// WaitIdle waits until the test's queues are idle (Idle) and every cond holds,
// and fails the test after WaitLimit. Use it before asserting that nothing more
// happened: once it returns, every task enqueued before has run, and none is
// due later.
//
// A cond covers work that is not in the queues yet, such as outbox rows a relay
// has still to enqueue. It is asked between two readings of the queues that both
// find them idle: with no task active at the first, only the test and the loops
// it runs (relays, periodic tasks) make new work, and what cond found enqueued
// has run by the second.
func (e *Env) WaitIdle(t testing.TB, cond ...func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for !e.idle(t) || !all(cond) || !e.idle(t) {
		if time.Now().After(deadline) {
			t.Fatalf("asynqtest: the test's queues were not idle after %v", WaitLimit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *Env) idle(t testing.TB) bool {
	t.Helper()
	idle, err := e.Idle(context.Background())
	if err != nil {
		t.Fatalf("asynqtest: read the test's queues: %v", err)
	}
	return idle
}

func all(conds []func() bool) bool {
	for _, c := range conds {
		if !c() {
			return false
		}
	}
	return true
}

// queues returns the names of the test's queues, sorted.
func (e *Env) queues() ([]string, error) {
	all, err := e.Inspector.Queues()
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, q := range all {
		if strings.HasPrefix(q, e.QueuePrefix) {
			mine = append(mine, q)
		}
	}
	slices.Sort(mine)
	return mine, nil
}

// deleteQueues deletes the test's queues and every key asynq keeps for them
// (Inspector.DeleteQueue leaves completed tasks and statistics behind).
func (e *Env) deleteQueues() error {
	queues, err := e.queues()
	if err != nil {
		return err
	}
	for _, q := range queues {
		if err := e.Inspector.DeleteQueue(q, true); err != nil {
			return fmt.Errorf("queue %s: %w", q, err)
		}
	}
	rc, ok := e.Redis.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return errors.New("not a go-redis client")
	}
	defer rc.Close()
	ctx := context.Background()
	// asynq's keys of queue q all start with "asynq:{q}".
	for _, pattern := range []string{"asynq:{" + e.QueuePrefix + "*", e.KeyPrefix + "*"} {
		iter := rc.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			if err := rc.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Serve starts an asynq server on the test's Redis with cfg, running h, and shuts
// it down at cleanup. asynq's polling is made quick for tests, whatever cfg says:
// new tasks are looked for every 50 ms while the queues are empty (asynq's
// default is a second), and due scheduled and retry tasks are moved every 100 ms
// (workers.ServerConfig: a second). Unless cfg sets a LogLevel, messages below
// Fatal are not logged.
func (e *Env) Serve(t testing.TB, cfg asynq.Config, h asynq.Handler) *asynq.Server {
	t.Helper()
	cfg.TaskCheckInterval = 50 * time.Millisecond
	cfg.DelayedTaskCheckInterval = 100 * time.Millisecond
	if cfg.LogLevel == 0 {
		cfg.LogLevel = asynq.FatalLevel
	}
	srv := asynq.NewServer(e.Redis, cfg)
	if err := srv.Start(h); err != nil {
		t.Fatalf("asynqtest: start a server: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// Queue returns the name of the test's queue called name ("critical").
func (e *Env) Queue(name string) string { return e.QueuePrefix + name }
