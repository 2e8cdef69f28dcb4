package asynqtest_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/workers/asynqtest"
)

func idle(t *testing.T, env *asynqtest.Env) bool {
	t.Helper()
	ok, err := env.Idle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestEnv_Idle(t *testing.T) {
	t.Parallel()
	env := asynqtest.New(t)
	if !idle(t, env) {
		t.Fatal("idle before anything was enqueued: false")
	}
	if _, err := env.Client.Enqueue(asynq.NewTask("now", nil), asynq.Queue(env.Queue("a")), asynq.TaskID("now")); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Enqueue(asynq.NewTask("later", nil), asynq.Queue(env.Queue("b")), asynq.TaskID("later"),
		asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if idle(t, env) {
		t.Fatal("idle with a pending and a scheduled task")
	}
	if err := env.Inspector.DeleteTask(env.Queue("a"), "now"); err != nil {
		t.Fatal(err)
	}
	if idle(t, env) {
		t.Fatal("idle with a task scheduled an hour ahead")
	}
	if err := env.Inspector.DeleteTask(env.Queue("b"), "later"); err != nil {
		t.Fatal(err)
	}
	if !idle(t, env) {
		t.Error("not idle once every task is gone")
	}
}

// WaitIdle returns once a task scheduled ahead, and the task it enqueues into a
// queue of its own, have run.
func TestEnv_WaitIdle(t *testing.T) {
	t.Parallel()
	env := asynqtest.New(t)
	var ran atomic.Int32
	h := asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		ran.Add(1)
		if task.Type() == "first" {
			_, err := env.Client.EnqueueContext(ctx, asynq.NewTask("second", nil), asynq.Queue(env.Queue("b")))
			return err
		}
		return nil
	})
	env.Serve(t, asynq.Config{Queues: map[string]int{env.Queue("a"): 1, env.Queue("b"): 1}}, h)
	if _, err := env.Client.Enqueue(asynq.NewTask("first", nil), asynq.Queue(env.Queue("a")),
		asynq.ProcessIn(time.Second)); err != nil { // asynq counts in whole seconds
		t.Fatal(err)
	}
	env.WaitIdle(t)
	if n := ran.Load(); n != 2 {
		t.Errorf("%d tasks ran when WaitIdle returned, want 2", n)
	}
}
