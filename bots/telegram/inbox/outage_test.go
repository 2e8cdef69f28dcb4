package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
)

// outageScenario is how chat 1's first update fails while Telegram is down, for
// checkOutageIsolation.
type outageScenario struct {
	// opts are the inbox's options; MaxParallel below the number of chats.
	opts inbox.Options
	// fail is what the handler of chat 1's first update does on attempt, until
	// Telegram is back.
	fail func(ctx context.Context, attempt int) error
	// ready holds once the outage is under way (attempts: chat 1's first update's
	// attempts so far): then the other chats write.
	ready func(attempts int) bool
	// meanwhile holds once chat 1 was seen in trouble while chat 2's first update is
	// handled (since: chat 1's attempts when that handler started; attempts: now).
	meanwhile func(since, attempts int) bool
	// lastError is in the stored error of chat 1's first update.
	lastError string
}

// Chats and updates of checkOutageIsolation: chat 1 (outageChat) writes updates 1
// and 2; the others, more chats than the tests' MaxParallel, write from update 3 on.
const (
	outageChat   = 1
	outageChats  = 5 // other chats: 2..6
	outageWrites = 4 // updates per other chat
)

// checkOutageIsolation has chat 1's first update fail through Telegram's fault (s)
// until every update of 5 other chats (MaxParallel is 2) is handled, then lets
// Telegram recover. Chat 1's first update is an hour old by then: the default
// OutageWindow keeps it. It checks that the other chats were handled, in order and
// once each, while chat 1 was retried (chat 2's first update is handled only once
// s.meanwhile saw chat 1 in trouble); that chat 1's attempts were not counted as
// failures and it was not set aside; that its second update waited behind the first;
// and that both were handled, once, after the recovery.
func checkOutageIsolation(t *testing.T, s outageScenario) {
	b := setup(t)
	back := make(chan struct{}) // closed when Telegram is back
	ids := map[int64][]int{}    // other chat -> its updates, in order
	for w := range outageWrites {
		for c := range outageChats {
			ids[int64(c+2)] = append(ids[int64(c+2)], 3+w*outageChats+c)
		}
	}
	chat2First := ids[2][0]
	b.bot.behave = func(ctx context.Context, u telego.Update, attempt int) error {
		switch u.UpdateID {
		case 1:
			select {
			case <-back:
				return nil
			default:
				return s.fail(ctx, attempt)
			}
		case chat2First:
			// Not cut short by its own context: this is the test waiting, not the bot.
			since := b.bot.attemptsOf(1)
			return poll(func() bool { return s.meanwhile(since, b.bot.attemptsOf(1)) },
				"chat 1 was not seen in trouble while chat 2 was handled")
		}
		return nil
	}
	reg := prometheus.NewRegistry()
	opts := s.opts
	opts.Registerer = reg
	in := b.newInbox(t, "a", opts)
	runSweeper(t, in)
	srv := httptest.NewServer(in.Webhook(secret))
	defer srv.Close()

	if got := post(t, srv.URL, secret, messageJSON(1, outageChat)); got != http.StatusOK {
		t.Fatalf("update 1: status %d", got)
	}
	waitFor(t, "the outage under way", func() bool {
		if countRows(t, b.pool, "update_id = 1 AND failed_at IS NOT NULL") != 0 {
			t.Fatal("update 1 set aside as failed during the outage")
		}
		return s.ready(b.bot.attemptsOf(1))
	})
	// An hour into the outage: well inside the default OutageWindow.
	if _, err := b.pool.Exec(context.Background(),
		`UPDATE telegram_updates SET received_at = now() - interval '61 minutes' WHERE update_id = 1`); err != nil {
		t.Fatal(err)
	}
	if got := post(t, srv.URL, secret, messageJSON(2, outageChat)); got != http.StatusOK {
		t.Fatalf("update 2: status %d", got)
	}
	var posts sync.WaitGroup
	for chat, chatIDs := range ids {
		posts.Go(func() {
			for _, id := range chatIDs {
				if got := post(t, srv.URL, secret, messageJSON(id, chat)); got != http.StatusOK {
					t.Errorf("update %d: status %d", id, got)
				}
			}
		})
	}
	posts.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for _, chatIDs := range ids {
		for _, id := range chatIDs {
			if err := in.WaitSettled(ctx, int64(id)); err != nil {
				t.Fatalf("update %d: %v", id, err)
			}
		}
	}
	for chat, chatIDs := range ids {
		if got := b.bot.handled(chat); !equalInts(got, chatIDs) {
			t.Errorf("chat %d handled %v, want %v", chat, got, chatIDs)
		}
		for _, id := range chatIDs {
			if a := b.bot.attemptsOf(id); a != 1 {
				t.Errorf("update %d of chat %d tried %d times, want once", id, chat, a)
			}
		}
	}

	// Chat 1 is still in the outage: pending, retried, not a failure.
	if got := b.bot.handled(outageChat); len(got) != 0 {
		t.Fatalf("chat 1 handled %v during the outage", got)
	}
	if a := b.bot.attemptsOf(2); a != 0 {
		t.Errorf("update 2 tried %d times while update 1 of its chat was pending", a)
	}
	var attempts, failures int
	var lastError string
	if err := b.pool.QueryRow(context.Background(), `
		SELECT attempts, failures, last_error FROM telegram_updates
		WHERE update_id = 1 AND handled_at IS NULL AND failed_at IS NULL`).Scan(&attempts, &failures, &lastError); err != nil {
		t.Fatalf("update 1 is not pending: %v", err)
	}
	if attempts <= s.opts.MaxAttempts || failures != 0 {
		t.Errorf("update 1: %d attempts, %d failures counted; want more than MaxAttempts (%d), none counted",
			attempts, failures, s.opts.MaxAttempts)
	}
	if !strings.Contains(lastError, s.lastError) {
		t.Errorf("update 1's last error %q, want it to mention %q", lastError, s.lastError)
	}
	if got := counter(t, reg, "vitrina_telegram_updates_failed_total"); got != 0 {
		t.Errorf("failed_total = %v during an outage, want 0", got)
	}

	close(back)
	waitFor(t, "chat 1 handled once Telegram is back", func() bool { return len(b.bot.handled(outageChat)) >= 2 })
	if err := in.WaitSettled(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if got := b.bot.handled(outageChat); !equalInts(got, []int{1, 2}) {
		t.Errorf("chat 1 handled %v, want [1 2] once each", got)
	}
	if a := b.bot.attemptsOf(2); a != 1 {
		t.Errorf("update 2 tried %d times, want once", a)
	}
	if n := countRows(t, b.pool, "update_id IN (1, 2) AND handled_at IS NOT NULL AND failed_at IS NULL AND failures = 0"); n != 2 {
		t.Errorf("%d of chat 1's updates recorded as handled without counted failures, want 2", n)
	}
	if b.bot.overlapped() {
		t.Error("two updates of one chat were handled at once")
	}
}

// poll returns nil once cond holds, or an error saying what did not happen after
// waitLimit. For handlers, which cannot call t.Fatal.
func poll(cond func() bool, what string) error {
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New(what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// outageErrors are the ways a handler reports Telegram's trouble: a 5xx answer with
// a body, telego's text for one without, a refused connection, a timeout.
var outageErrors = []error{
	fmt.Errorf("send message: %w", &ta.Error{ErrorCode: 502, Description: "Bad Gateway"}),
	errors.New("send message: telego: sendMessage: internal server error: 503"),
	fmt.Errorf("send message: %w", &url.Error{Op: "Post", URL: "https://api.telegram.org/bot/sendMessage",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}),
	fmt.Errorf("send message: %w", context.DeadlineExceeded),
}

// TestInbox_OutageHoldsNoOtherChat fails a chat's update with Telegram's errors
// (5xx, connection refused, timeout) for longer than MaxAttempts and than an hour:
// the other chats, more than MaxParallel, are handled in order meanwhile; the chat's
// update is retried without counting, and handled once Telegram is back.
func TestInbox_OutageHoldsNoOtherChat(t *testing.T) {
	t.Parallel()
	checkOutageIsolation(t, outageScenario{
		opts: inbox.Options{MaxParallel: 2, MaxAttempts: 1, MaxOutageBackoff: 5 * time.Millisecond},
		fail: func(ctx context.Context, attempt int) error {
			return outageErrors[(attempt-1)%len(outageErrors)]
		},
		// Every kind of error, more than MaxAttempts times.
		ready: func(attempts int) bool { return attempts > len(outageErrors) },
		// Chat 1 was retried twice while chat 2's update was in the handler.
		meanwhile: func(since, attempts int) bool { return attempts >= since+2 },
		lastError: "send message",
	})
}

// TestInbox_OutageHangHoldsNoOtherChat has a chat's handler hang until its context
// ends (HandleTimeout), as on a Bot API that accepts connections and never answers:
// the other chats are served while it hangs.
func TestInbox_OutageHangHoldsNoOtherChat(t *testing.T) {
	t.Parallel()
	var hanging atomic.Bool
	checkOutageIsolation(t, outageScenario{
		opts: inbox.Options{MaxParallel: 2, MaxAttempts: 1, MaxOutageBackoff: 5 * time.Millisecond,
			HandleTimeout: 200 * time.Millisecond},
		fail: func(ctx context.Context, attempt int) error {
			hanging.Store(true)
			defer hanging.Store(false)
			<-ctx.Done()
			return fmt.Errorf("send message: %w", ctx.Err())
		},
		// Hanging again after a hang ran out.
		ready: func(attempts int) bool { return attempts >= 2 && hanging.Load() },
		// Chat 2's update is in the handler while chat 1's hangs.
		meanwhile: func(since, attempts int) bool { return hanging.Load() },
		lastError: "deadline exceeded",
	})
}
