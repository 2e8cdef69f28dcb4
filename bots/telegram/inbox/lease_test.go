package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
	"github.com/vitrina-shop/vitrina/core/postgres/inboxstore"
)

// errDead is what the store of a replica that died answers.
var errDead = errors.New("the replica is gone")

// dyingStore is a replica's connection to the inbox store: once die is called, every
// call fails, as for a process that crashed (or lost the database) in the middle of
// an update. renewFails makes only RenewLease fail.
type dyingStore struct {
	*inboxstore.Store
	dead       atomic.Bool
	renewFails atomic.Bool
}

func (s *dyingStore) die() { s.dead.Store(true) }

func (s *dyingStore) check() error {
	if s.dead.Load() {
		return errDead
	}
	return nil
}

func (s *dyingStore) SaveUpdate(ctx context.Context, botID, updateID, chatKey int64, body []byte) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	return s.Store.SaveUpdate(ctx, botID, updateID, chatKey, body)
}

func (s *dyingStore) SaveFailed(ctx context.Context, botID, updateID, chatKey int64, body []byte, reason string) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	return s.Store.SaveFailed(ctx, botID, updateID, chatKey, body, reason)
}

func (s *dyingStore) AcquireLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	return s.Store.AcquireLease(ctx, chatKey, holder, ttl)
}

func (s *dyingStore) RenewLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	if s.renewFails.Load() {
		return false, errors.New("connection refused")
	}
	return s.Store.RenewLease(ctx, chatKey, holder, ttl)
}

func (s *dyingStore) ReleaseLease(ctx context.Context, chatKey int64, holder string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.ReleaseLease(ctx, chatKey, holder)
}

func (s *dyingStore) NextUpdate(ctx context.Context, botID, chatKey int64) (int64, []byte, bool, error) {
	if err := s.check(); err != nil {
		return 0, nil, false, err
	}
	return s.Store.NextUpdate(ctx, botID, chatKey)
}

func (s *dyingStore) HasPending(ctx context.Context, botID, chatKey int64) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	return s.Store.HasPending(ctx, botID, chatKey)
}

func (s *dyingStore) MarkHandled(ctx context.Context, botID, updateID int64) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.MarkHandled(ctx, botID, updateID)
}

func (s *dyingStore) StartAttempt(ctx context.Context, botID, updateID int64) (int, int, int, time.Duration, error) {
	if err := s.check(); err != nil {
		return 0, 0, 0, 0, err
	}
	return s.Store.StartAttempt(ctx, botID, updateID)
}

func (s *dyingStore) FailAttempt(ctx context.Context, botID, updateID int64, errText string, counted, giveUp bool, retryAfter time.Duration) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	return s.Store.FailAttempt(ctx, botID, updateID, errText, counted, giveUp, retryAfter)
}

func (s *dyingStore) UpdateStatus(ctx context.Context, botID, updateID int64) (int64, bool, bool, error) {
	if err := s.check(); err != nil {
		return 0, false, false, err
	}
	return s.Store.UpdateStatus(ctx, botID, updateID)
}

func (s *dyingStore) StaleChats(ctx context.Context, botID int64, olderThan time.Duration, limit int) ([]int64, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.Store.StaleChats(ctx, botID, olderThan, limit)
}

func (s *dyingStore) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	return s.Store.Prune(ctx, olderThan)
}

func (s *dyingStore) AdoptUpdates(ctx context.Context, botID int64) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	return s.Store.AdoptUpdates(ctx, botID)
}

// handlerFunc is a Handler made of a function.
type handlerFunc func(ctx context.Context, u telego.Update) error

func (f handlerFunc) HandleUpdate(ctx context.Context, u telego.Update) error { return f(ctx, u) }

// TestInbox_UpdateThatKillsItsReplica stores an update whose handling kills the
// process every time (a runtime fatal error, the OOM killer: nothing a recover
// sees), so no attempt ever records its outcome. Each replica that takes the chat
// over dies on it in turn; once MaxAttempts attempts have started, the next replica
// gives the update up without running it, and the chat goes on.
func TestInbox_UpdateThatKillsItsReplica(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, id := range []int64{1, 2} {
		if _, err := b.store.SaveUpdate(ctx, testBot, id, 9, messageJSON(int(id), 9)); err != nil {
			t.Fatal(err)
		}
	}
	const maxAttempts = 3
	var crashes atomic.Int32
	var handled atomic.Bool
	for r := range 2 * maxAttempts {
		if handled.Load() {
			break
		}
		st := &dyingStore{Store: b.store}
		in := inbox.New(st, handlerFunc(func(ctx context.Context, u telego.Update) error {
			if u.UpdateID == 1 {
				crashes.Add(1)
				st.die()
				return errDead
			}
			handled.Store(true)
			return nil
		}), slog.New(slog.DiscardHandler), inbox.Options{
			BotID: testBot, Holder: fmt.Sprint("replica-", r), LeaseTTL: time.Minute, MaxAttempts: maxAttempts,
			SweepEvery: 10 * time.Millisecond, StaleAfter: time.Millisecond,
		})
		sweepCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			in.RunSweeper(sweepCtx)
		}()
		waitFor(t, fmt.Sprint("replica ", r, " to die or go on"), func() bool { return st.dead.Load() || handled.Load() })
		stop()
		<-done
		// The dead replica's lease runs out (here at once, rather than after LeaseTTL).
		if _, err := b.pool.Exec(ctx, `UPDATE chat_leases SET expires_at = now() - interval '1 millisecond'`); err != nil {
			t.Fatal(err)
		}
	}
	if !handled.Load() {
		t.Fatalf("update 1 killed %d replicas in a row and the chat never went on; want it given up after %d attempts",
			crashes.Load(), maxAttempts)
	}
	if got := crashes.Load(); got != maxAttempts {
		t.Errorf("update 1 ran %d times, want %d", got, maxAttempts)
	}
	if n := countRows(t, b.pool, "update_id = 1 AND failed_at IS NOT NULL"); n != 1 {
		t.Error("update 1 not marked failed")
	}
}

// TestInbox_LeaseLostWhileHandling has a replica lose its chat's lease while an
// update is still being handled: another replica took the chat (here: the lease row
// is taken over), or the lease could not be renewed for its whole TTL (the database
// was unreachable). The handler's context ends, so its work stops (its transactions
// roll back) instead of running alongside the new holder's; the attempt is left to
// the new holder and not counted.
func TestInbox_LeaseLostWhileHandling(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"TakenOver", "NotRenewed"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			const ttl = 150 * time.Millisecond
			st := &dyingStore{Store: b.store}
			started := make(chan struct{})
			var once sync.Once
			var cause atomic.Value
			in := inbox.New(st, handlerFunc(func(ctx context.Context, u telego.Update) error {
				once.Do(func() { close(started) })
				select {
				case <-ctx.Done():
					cause.Store(context.Cause(ctx))
					return ctx.Err()
				case <-time.After(waitLimit):
					return errors.New("the handler was never stopped")
				}
			}), slog.New(slog.DiscardHandler), inbox.Options{BotID: testBot, Holder: "a", LeaseTTL: ttl})

			done := make(chan error, 1)
			go func() { done <- in.Receive(context.Background(), decode(t, messageJSON(1, 4))) }()
			select {
			case <-started:
			case err := <-done:
				t.Fatalf("Receive returned before the handler ran: %v", err)
			}
			switch how {
			case "TakenOver":
				if _, err := b.pool.Exec(context.Background(),
					`UPDATE chat_leases SET holder = 'b', expires_at = now() + interval '1 hour' WHERE chat_key = 4`); err != nil {
					t.Fatal(err)
				}
			case "NotRenewed":
				st.renewFails.Store(true)
			}
			if err := <-done; err != nil {
				t.Fatalf("Receive: %v", err)
			}
			if c, _ := cause.Load().(error); !errors.Is(c, inbox.ErrLeaseLost) {
				t.Errorf("handler stopped by %v, want ErrLeaseLost", c)
			}
			if n := countRows(t, b.pool, "update_id = 1 AND handled_at IS NULL AND failed_at IS NULL AND attempts <= 1 AND last_error = ''"); n != 1 {
				t.Error("update 1 is not left pending to the new holder, with no error recorded")
			}
		})
	}
}

// preCheckoutJSON is a pre_checkout_query of user.
func preCheckoutJSON(id int, user int64) []byte {
	return fmt.Appendf(nil, `{"update_id":%d,"pre_checkout_query":{"id":"q%d","from":{"id":%d,"is_bot":false,"first_name":"A"},"currency":"XTR","total_amount":5,"invoice_payload":"o:1"}}`,
		id, id, user)
}

// TestInbox_PreCheckoutNotHeldBack sends a buyer's pre_checkout_query while an
// earlier update of their chat is still being handled (slow, or failing and waiting
// for its retry): Telegram wants the answer within 10 seconds, and nothing in the chat
// comes between a pre-checkout and its payment (Telegram sends the payment only after
// the answer), so the query is not queued behind the chat.
func TestInbox_PreCheckoutNotHeldBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	release := make(chan struct{})
	started := make(chan struct{})
	var answered atomic.Bool
	in := inbox.New(b.store, handlerFunc(func(ctx context.Context, u telego.Update) error {
		switch {
		case u.Message != nil:
			close(started)
			<-release
		case u.PreCheckoutQuery != nil:
			answered.Store(true)
		}
		return nil
	}), slog.New(slog.DiscardHandler), inbox.Options{BotID: testBot, Holder: "a"})
	slow := make(chan error, 1)
	go func() { slow <- in.Receive(context.Background(), decode(t, messageJSON(1, 10))) }()
	defer func() {
		close(release)
		if err := <-slow; err != nil {
			t.Error(err)
		}
	}()
	<-started

	query := make(chan error, 1)
	go func() { query <- in.Receive(context.Background(), decode(t, preCheckoutJSON(2, 10))) }()
	select {
	case err := <-query:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the pre-checkout waited for the chat's slow update")
	}
	if !answered.Load() {
		t.Error("the pre-checkout was not handled while the chat's earlier update was")
	}
}
