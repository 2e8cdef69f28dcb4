package inbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
)

// TestInbox_ShutdownGrace stops the sweeper while a handler hangs, with a handle
// timeout far beyond a container's stop timeout: RunSweeper returns once the grace
// ran out, the handler's context ends with cause ErrShuttingDown, and the update stays
// pending, its attempt neither counted nor taken for a crash, for the next replica.
func TestInbox_ShutdownGrace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	started := make(chan struct{}, 1)
	causes := make(chan error, 1)
	b.bot.behave = func(ctx context.Context, u telego.Update, attempt int) error {
		if attempt > 1 {
			return nil
		}
		started <- struct{}{}
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return ctx.Err()
	}
	a := b.newInbox(t, "a", inbox.Options{HandleTimeout: time.Hour, ShutdownGrace: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunSweeper(ctx) }()
	if _, err := b.store.SaveUpdate(context.Background(), testBot, 1, 5, messageJSON(1, 5)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(waitLimit):
		t.Fatal("the update was not handled")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunSweeper: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("RunSweeper waited for the hanging handler beyond its shutdown grace")
	}
	if cause := <-causes; cause != inbox.ErrShuttingDown {
		t.Errorf("the handler's context ended with %v, want ErrShuttingDown", cause)
	}
	var attempts, unfinished, failures int
	var due bool
	if err := b.pool.QueryRow(context.Background(), `
		SELECT attempts, unfinished, failures, coalesce(retry_at <= now(), true) FROM telegram_updates
		WHERE bot_id = $1 AND update_id = 1 AND handled_at IS NULL AND failed_at IS NULL`, testBot).
		Scan(&attempts, &unfinished, &failures, &due); err != nil {
		t.Fatalf("the interrupted update is not pending: %v", err)
	}
	if attempts != 1 || unfinished != 0 || failures != 0 || !due {
		t.Errorf("after the interrupted attempt: attempts %d, unfinished %d, failures %d, due %v; want 1, 0, 0, true",
			attempts, unfinished, failures, due)
	}
	runSweeper(t, b.newInbox(t, "b", inbox.Options{}))
	waitFor(t, "the next replica to handle the interrupted update", func() bool { return len(b.bot.handled(5)) == 1 })
}
