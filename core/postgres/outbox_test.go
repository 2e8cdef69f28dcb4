package postgres

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// Every package-level name in this file starts with "outbox": other tests share the
// package.

func outboxSetup(t *testing.T) (*Outbox, *pgxpool.Pool, context.Context) {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	return NewOutbox(pool), pool, context.Background()
}

// outboxWrite writes jobs the way services do: insertJobs in a transaction.
func outboxWrite(t *testing.T, pool *pgxpool.Pool, jobs ...core.Job) {
	t.Helper()
	err := inTx(context.Background(), pool, func(tx pgx.Tx) error { return insertJobs(context.Background(), tx, jobs) })
	if err != nil {
		t.Fatalf("insertJobs: %v", err)
	}
}

func outboxKeys(jobs []core.Job) []string {
	var keys []string
	for _, j := range jobs {
		keys = append(keys, j.Key)
	}
	return keys
}

func TestOutbox_Claim(t *testing.T) {
	o, pool, ctx := outboxSetup(t)
	later := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	outboxWrite(t, pool,
		core.Job{Kind: "k", Key: "a", Payload: []byte(`{"n": 1}`)},
		core.Job{Kind: "k", Key: "b", RunAt: later},
		core.Job{Kind: "k"},
	)
	ids, jobs, err := o.Claim(ctx, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outboxKeys(jobs), []string{"a", "b"}) || len(ids) != 2 || ids[0] >= ids[1] {
		t.Fatalf("claimed %v %v, want a and b in id order", ids, outboxKeys(jobs))
	}
	if string(jobs[0].Payload) != `{"n": 1}` || !jobs[1].RunAt.Equal(later) || string(jobs[1].Payload) != `{}` {
		t.Errorf("claimed jobs %+v", jobs)
	}
	// Claimed rows are not claimed again until their claim ends.
	_, rest, err := o.Claim(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 1 || rest[0].Kind != "k" || len(rest[0].Key) < len("k:x") {
		t.Fatalf("second claim %+v, want the job with a generated key", rest)
	}
	if _, again, err := o.Claim(ctx, 10, time.Minute); err != nil || len(again) != 0 {
		t.Errorf("third claim %v, %v; want nothing", outboxKeys(again), err)
	}

	// Relayed rows are gone for good; a failed or released one comes back.
	if err := o.MarkRelayed(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkFailed(ctx, ids[1], "redis down"); err != nil {
		t.Fatal(err)
	}
	_, back, err := o.Claim(ctx, 10, time.Minute)
	if err != nil || !slices.Equal(outboxKeys(back), []string{"b"}) {
		t.Fatalf("claim after failure = %v, %v; want b", outboxKeys(back), err)
	}
	var attempts int
	var lastError string
	if err := pool.QueryRow(ctx, `SELECT attempts, last_error FROM outbox WHERE id = $1`, ids[1]).Scan(&attempts, &lastError); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || lastError != "redis down" {
		t.Errorf("failure recorded as %d, %q", attempts, lastError)
	}
	if err := o.Release(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, back, err := o.Claim(ctx, 10, time.Minute); err != nil || !slices.Equal(outboxKeys(back), []string{"b"}) {
		t.Errorf("claim after release = %v, %v; want b", outboxKeys(back), err)
	}
}

func TestOutbox_ClaimRunsOut(t *testing.T) {
	o, pool, ctx := outboxSetup(t)
	outboxWrite(t, pool, core.Job{Kind: "k", Key: "a"})
	if _, jobs, err := o.Claim(ctx, 10, 50*time.Millisecond); err != nil || len(jobs) != 1 {
		t.Fatalf("claim = %v, %v", jobs, err)
	}
	time.Sleep(100 * time.Millisecond) // the relay that claimed it died
	if _, jobs, err := o.Claim(ctx, 10, time.Minute); err != nil || len(jobs) != 1 {
		t.Errorf("claim after the first ran out = %v, %v; want the job", jobs, err)
	}
}

// TestOutbox_ConcurrentClaims has relays claim from one outbox at once: no job is
// claimed twice, none is missed.
func TestOutbox_ConcurrentClaims(t *testing.T) {
	o, pool, ctx := outboxSetup(t)
	var jobs []core.Job
	for range 200 {
		jobs = append(jobs, core.Job{Kind: "k"})
	}
	outboxWrite(t, pool, jobs...)
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				ids, _, err := o.Claim(ctx, 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ids) == 0 {
					return
				}
				mu.Lock()
				for _, id := range ids {
					seen[id]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Errorf("%d jobs claimed, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("job %d claimed %d times", id, n)
		}
	}
}

// TestOutbox_KeyRewrite writes a job with the key of a pending one (an extended
// reservation): one row, due at the later time; once relayed, the key is free for a
// new row.
func TestOutbox_KeyRewrite(t *testing.T) {
	o, pool, ctx := outboxSetup(t)
	first := time.Now().Add(time.Minute).Truncate(time.Microsecond)
	outboxWrite(t, pool, core.Job{Kind: "order:expire", Key: "order:expire:1", RunAt: first})
	outboxWrite(t, pool, core.Job{Kind: "order:expire", Key: "order:expire:1", RunAt: first.Add(time.Minute)})
	ids, jobs, err := o.Claim(ctx, 10, time.Minute)
	if err != nil || len(jobs) != 1 || !jobs[0].RunAt.Equal(first.Add(time.Minute)) {
		t.Fatalf("claim = %+v, %v; want one job due at the later time", jobs, err)
	}
	if err := o.MarkRelayed(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	outboxWrite(t, pool, core.Job{Kind: "order:expire", Key: "order:expire:1", RunAt: first.Add(2 * time.Minute)})
	if _, jobs, err := o.Claim(ctx, 10, time.Minute); err != nil || len(jobs) != 1 {
		t.Errorf("claim after the key was relayed = %+v, %v; want the new job", jobs, err)
	}
}

func TestOutbox_DeleteRelayed(t *testing.T) {
	o, pool, ctx := outboxSetup(t)
	outboxWrite(t, pool, core.Job{Kind: "k", Key: "old"}, core.Job{Kind: "k", Key: "new"}, core.Job{Kind: "k", Key: "pending"})
	if _, err := pool.Exec(ctx, `
		UPDATE outbox SET relayed_at = CASE key WHEN 'old' THEN now() - interval '8 days' ELSE now() END
		WHERE key IN ('old', 'new')`); err != nil {
		t.Fatal(err)
	}
	n, err := o.DeleteRelayed(ctx, 7*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("DeleteRelayed = %d, %v; want 1", n, err)
	}
	var left []string
	rows, err := pool.Query(ctx, `SELECT key FROM outbox ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"new", "pending"}) {
		t.Errorf("left %v", left)
	}
}

// TestOutbox_Listen gets a notification when a transaction that wrote jobs commits,
// and none for one that rolled back.
func TestOutbox_Listen(t *testing.T) {
	o, pool, ctx := outboxSetup(t)
	notes := make(chan struct{}, 10)
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- o.Listen(lctx, func() { notes <- struct{}{} }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen: %v", err)
		}
	}()
	outboxWait := func(what string) {
		t.Helper()
		select {
		case <-notes:
		case <-time.After(30 * time.Second):
			t.Fatalf("no notification %s", what)
		}
	}
	outboxWait("on listening")

	rollback := inTx(ctx, pool, func(tx pgx.Tx) error {
		if err := insertJobs(ctx, tx, []core.Job{{Kind: "k", Key: "gone"}}); err != nil {
			return err
		}
		return context.Canceled // roll back
	})
	if rollback == nil {
		t.Fatal("the transaction committed")
	}
	outboxWrite(t, pool, core.Job{Kind: "k", Key: "a"}, core.Job{Kind: "k", Key: "b"})
	outboxWait("after a commit")
	// One transaction, one notification: the rolled back one sent none.
	select {
	case <-notes:
		t.Error("a second notification")
	case <-time.After(200 * time.Millisecond):
	}
}
