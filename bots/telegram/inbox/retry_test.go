package inbox_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
)

// echoEnv is an inbox whose bot answers every message through the fake Bot API, so
// the tests can make Telegram fail.
type echoEnv struct {
	*testBundle
	tg  *sandbox.Server
	in  *inbox.Inbox
	reg *prometheus.Registry
	ctx context.Context
}

// newEchoEnv builds an echoEnv; handlerErr, if set, replaces the answer's error.
func newEchoEnv(t *testing.T, opts inbox.Options, handlerErr func(u telego.Update) error) *echoEnv {
	t.Helper()
	e := &echoEnv{testBundle: setup(t), reg: prometheus.NewRegistry(), ctx: context.Background()}
	e.tg = sandbox.New(sandbox.Config{Token: sandboxToken, Delivered: func(id int) { e.in.WaitSettled(e.ctx, int64(id)) }})
	t.Cleanup(e.tg.Close)
	api := httptest.NewServer(e.tg)
	t.Cleanup(api.Close)
	bot, err := telego.NewBot(sandboxToken, telego.WithAPIServer(api.URL),
		telego.WithHTTPClient(&http.Client{Timeout: waitLimit}), telego.WithDiscardLogger())
	if err != nil {
		t.Fatal(err)
	}
	opts.BotID, opts.Holder, opts.Registerer = testBot, "a", e.reg
	if opts.SweepEvery == 0 {
		opts.SweepEvery = 10 * time.Millisecond
	}
	if opts.StaleAfter == 0 {
		opts.StaleAfter = time.Millisecond
	}
	e.in = inbox.New(e.store, handlerFunc(func(ctx context.Context, u telego.Update) error {
		if handlerErr != nil {
			if err := handlerErr(u); err != nil {
				return err
			}
		}
		if u.Message == nil {
			return nil
		}
		_, err := bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: telego.ChatID{ID: u.Message.Chat.ID}, Text: "echo: " + u.Message.Text})
		return err
	}), slog.New(slog.DiscardHandler), opts)
	runSweeper(t, e.in)
	hook := httptest.NewServer(e.in.Webhook(secret))
	t.Cleanup(hook.Close)
	e.tg.SetWebhook(hook.URL, secret)
	return e
}

// send sends text as a new user and returns the user.
func (e *echoEnv) send(t *testing.T, text string) *sandbox.User {
	t.Helper()
	u := e.tg.NewUser(sandbox.UserSpec{FirstName: "A"})
	if err := u.Send(e.ctx, text); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestInbox_TelegramOutage has the Bot API answer 500 to every sendMessage for many
// more attempts than MaxAttempts: the update stays pending (an outage is not a bug),
// and is answered once Telegram is back.
func TestInbox_TelegramOutage(t *testing.T) {
	t.Parallel()
	e := newEchoEnv(t, inbox.Options{MaxAttempts: 2, RetryBackoff: time.Millisecond, MaxOutageBackoff: 5 * time.Millisecond}, nil)
	e.tg.FailAll("sendMessage", http.StatusInternalServerError, "", 0)
	u := e.send(t, "hi")
	waitFor(t, "many attempts", func() bool { return countRows(t, e.pool, "attempts > 6") == 1 })
	if n := countRows(t, e.pool, "failed_at IS NULL AND failures = 0 AND last_error LIKE '%internal server error: 500%'"); n != 1 {
		t.Error("the update was given up, or its failures counted toward MaxAttempts")
	}
	e.tg.ClearFailures()
	waitFor(t, "the answer once Telegram is back", func() bool { return countRows(t, e.pool, "handled_at IS NOT NULL") == 1 })
	if got := u.LastBotMessage().Text; got != "echo: hi" {
		t.Errorf("the user got %q", got)
	}
}

// TestInbox_OutageWindow gives up an update that failed through Telegram's fault for
// longer than OutageWindow (its arrival is moved back, rather than waited for).
func TestInbox_OutageWindow(t *testing.T) {
	t.Parallel()
	e := newEchoEnv(t, inbox.Options{RetryBackoff: time.Hour, OutageWindow: time.Hour}, nil)
	e.tg.FailAll("sendMessage", http.StatusBadGateway, "", 0)
	e.send(t, "hi")
	if n := countRows(t, e.pool, "attempts = 1 AND failed_at IS NULL AND retry_at > now()"); n != 1 {
		t.Fatal("the update is not waiting for a retry")
	}
	if _, err := e.pool.Exec(e.ctx, `UPDATE telegram_updates SET received_at = now() - interval '61 minutes', retry_at = now()`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the update given up", func() bool { return countRows(t, e.pool, "failed_at IS NOT NULL") == 1 })
	// The counter moves after the row is marked failed: wait for it too.
	waitFor(t, "failed{reason=outage} = 1", func() bool {
		return counter(t, e.reg, "vitrina_telegram_updates_failed_total", "message", "outage") == 1
	})
}

// TestInbox_PermanentError sets an update aside at once when the Bot API answers 400:
// it will not heal, and the chat must not wait for it.
func TestInbox_PermanentError(t *testing.T) {
	t.Parallel()
	e := newEchoEnv(t, inbox.Options{MaxAttempts: 5, RetryBackoff: time.Millisecond}, nil)
	e.tg.FailNext("sendMessage", http.StatusBadRequest, "Bad Request: message text is empty", 0)
	u := e.send(t, "first")
	if n := countRows(t, e.pool, "attempts = 1 AND failed_at IS NOT NULL AND last_error LIKE '%400%'"); n != 1 {
		t.Error("the update was not set aside after one attempt")
	}
	waitFor(t, "failed{reason=permanent} = 1", func() bool {
		return counter(t, e.reg, "vitrina_telegram_updates_failed_total", "message", "permanent") == 1
	})
	if err := u.Send(e.ctx, "second"); err != nil {
		t.Fatal(err)
	}
	if got := u.LastBotMessage().Text; got != "echo: second" {
		t.Errorf("the chat's next update answered %q", got)
	}
}

// TestInbox_TooManyRequests retries an update refused with 429 after exactly its
// retry_after, not counting it toward MaxAttempts.
func TestInbox_TooManyRequests(t *testing.T) {
	t.Parallel()
	e := newEchoEnv(t, inbox.Options{MaxAttempts: 1, RetryBackoff: time.Millisecond}, nil)
	e.tg.FailNext("sendMessage", http.StatusTooManyRequests, "", 30)
	u := e.send(t, "hi")
	if n := countRows(t, e.pool, `failed_at IS NULL AND failures = 0
		AND retry_at BETWEEN now() + interval '25 seconds' AND now() + interval '30 seconds'`); n != 1 {
		var retryIn time.Duration
		e.pool.QueryRow(e.ctx, `SELECT coalesce(retry_at - now(), '0') FROM telegram_updates`).Scan(&retryIn)
		t.Fatalf("the update is due again in %v, want retry_after (30 s)", retryIn)
	}
	if _, err := e.pool.Exec(e.ctx, `UPDATE telegram_updates SET retry_at = now()`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the answer after the wait", func() bool { return countRows(t, e.pool, "handled_at IS NOT NULL") == 1 })
	if got := u.LastBotMessage().Text; got != "echo: hi" {
		t.Errorf("the user got %q", got)
	}
}

// TestInbox_RetryAfterMarked retries an update whose handler marked its error with
// RetryAfter after that wait, however many times it fails.
func TestInbox_RetryAfterMarked(t *testing.T) {
	t.Parallel()
	e := newEchoEnv(t, inbox.Options{MaxAttempts: 1}, func(u telego.Update) error {
		return inbox.RetryAfter(errors.New("the shared rate limit said wait"), 10*time.Minute)
	})
	e.send(t, "hi")
	if n := countRows(t, e.pool, `failed_at IS NULL AND failures = 0
		AND retry_at BETWEEN now() + interval '9 minutes' AND now() + interval '10 minutes'`); n != 1 {
		t.Error("the update is not due again in 10 minutes")
	}
	var lastError string
	if err := e.pool.QueryRow(e.ctx, `SELECT last_error FROM telegram_updates`).Scan(&lastError); err != nil || !strings.Contains(lastError, "shared rate limit") {
		t.Errorf("last_error %q, %v", lastError, err)
	}
}
