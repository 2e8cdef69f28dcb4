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
	"strings"
	"testing"

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

// deleteQueues deletes the test's queues and every key asynq keeps for them
// (Inspector.DeleteQueue leaves completed tasks and statistics behind).
func (e *Env) deleteQueues() error {
	queues, err := e.Inspector.Queues()
	if err != nil {
		return err
	}
	for _, q := range queues {
		if strings.HasPrefix(q, e.QueuePrefix) {
			if err := e.Inspector.DeleteQueue(q, true); err != nil {
				return fmt.Errorf("queue %s: %w", q, err)
			}
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

// Queue returns the name of the test's queue called name ("critical").
func (e *Env) Queue(name string) string { return e.QueuePrefix + name }
