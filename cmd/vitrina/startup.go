package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"

	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
)

// Start-up against a Bot API that may be down or refusing for a while.
//
// serve and worker come up whatever Telegram answers: /healthz answers, the HTTP server
// listens and the webhook stores updates at once, and the calls Telegram must answer
// (getMe, setWebhook or deleteWebhook) are retried in the background with a capped
// backoff, honouring a 429's retry_after. Updates wait to be handled until getMe told the
// bot its username; the worker waits for it before it takes tasks (the outbox relay runs
// meanwhile). The command menu (setMyCommands) is retried in the background and never
// stops the process.
//
// Only an answer that cannot heal stops the process (see fatalTelegram): 401 (the token is
// wrong or revoked) and 404 (no bot at that URL). Everything else (5xx, 429, timeouts,
// connections refused, answers that are not the Bot API's JSON) is retried: under
// `restart: unless-stopped` exiting would only restart into the same failure, repeating
// the start-up calls, while a process that stays up takes updates as soon as Telegram is
// back.

// Backoff of the start-up calls: the first retry after startRetryMin, doubling up to
// startRetryMax.
const (
	startRetryMin = time.Second
	startRetryMax = time.Minute
)

// Readiness gate of updates that arrive before the bot is ready (getMe has not answered
// yet): the handler waits up to botGateWait for it, then has the inbox try the update
// again after botGateRetry.
const (
	botGateWait  = 10 * time.Second
	botGateRetry = 5 * time.Second
)

// errBotNotReady is the handler error of an update that came before getMe answered.
var errBotNotReady = errors.New("the bot is not ready: getMe has not answered yet")

// fatalTelegram returns a clear error when err is a Bot API answer that retrying cannot
// fix, else nil:
//   - 401 Unauthorized: Telegram does not know the token (mistyped, or revoked by
//     @BotFather). Only a new VITRINA_TELEGRAM_TOKEN helps.
//   - 404 Not Found: the server at VITRINA_TELEGRAM_API_URL has no bot at /bot<token>/:
//     a URL that is not a Bot API server's root (a path added to it), or a token the
//     server rejects by its form. A Bot API that is up answers 404 the same way every time.
//
// Everything else heals: 5xx and 429 are Telegram's, network errors and answers that are
// not the Bot API's JSON are the network's or a proxy's. A 400 of setWebhook ("bad
// webhook: Failed to resolve host") may heal as DNS propagates: it is retried, and logged
// as an error.
func fatalTelegram(call string, err error) error {
	var apiErr *ta.Error
	if !errors.As(err, &apiErr) {
		return nil
	}
	switch apiErr.ErrorCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("telegram %s: Telegram refused the bot token (401 Unauthorized): VITRINA_TELEGRAM_TOKEN is wrong or was revoked; "+
			"take the current token from @BotFather (/mybots, API Token): %w", call, err)
	case http.StatusNotFound:
		return fmt.Errorf("telegram %s: no bot at this Bot API server (404 Not Found): check VITRINA_TELEGRAM_API_URL "+
			"(the server's root, such as https://api.telegram.org, without a path) and VITRINA_TELEGRAM_TOKEN: %w", call, err)
	}
	return nil
}

// retryAfter returns the pause a 429 asks for, or 0.
func retryAfter(err error) time.Duration {
	var apiErr *ta.Error
	if errors.As(err, &apiErr) && apiErr.Parameters != nil && apiErr.Parameters.RetryAfter > 0 {
		return time.Duration(apiErr.Parameters.RetryAfter) * time.Second
	}
	return 0
}

// callUntilDone calls fn until it succeeds, waiting between attempts from startRetryMin
// doubling to startRetryMax, or a 429's retry_after. It returns nil on success, the clear
// error of fatalTelegram for an answer that cannot heal, or ctx's error when ctx ends
// first. Each failure is logged on log at level (Warn, or Error for a 4xx that may heal).
func callUntilDone(ctx context.Context, log *slog.Logger, call string, fn func(ctx context.Context) error) error {
	delay := startRetryMin
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			if attempt > 1 {
				log.Info("telegram: "+call+" succeeded after retries", "attempts", attempt)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if fatal := fatalTelegram(call, err); fatal != nil {
			return fatal
		}
		wait := delay
		if ra := retryAfter(err); ra > 0 {
			wait = ra
		}
		level := slog.LevelWarn
		var apiErr *ta.Error
		if errors.As(err, &apiErr) && apiErr.ErrorCode >= 400 && apiErr.ErrorCode < 500 && apiErr.ErrorCode != http.StatusTooManyRequests {
			level = slog.LevelError // a request Telegram finds wrong: someone should look
		}
		log.Log(ctx, level, "telegram: "+call+" failed; retrying", "attempt", attempt, "retry_in", wait.String(), "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, startRetryMax)
	}
}

// updateHandler is what the inbox hands updates to: the bot.
type updateHandler interface {
	HandleUpdate(ctx context.Context, u telego.Update) error
}

// botGate is the inbox's handler until and after the bot exists: the inbox is built (and
// the webhook stores updates) before getMe answered, the bot only after. An update that
// comes before waits for the bot a little, then goes back to the inbox to be tried again
// later, without counting toward giving up on it.
type botGate struct {
	ready chan struct{} // closed by open
	once  sync.Once
	bot   atomic.Pointer[updateHandler]
	wait  time.Duration // how long an update waits for the bot; default botGateWait
	retry time.Duration // when the inbox tries it again; default botGateRetry
}

func newBotGate() *botGate {
	return &botGate{ready: make(chan struct{}), wait: botGateWait, retry: botGateRetry}
}

// expressHandler answers some webhook updates in the webhook's response
// (telegram.Bot.Express: a drop's Buy button).
type expressHandler interface {
	Express(ctx context.Context, body []byte) ([]byte, bool, error)
}

// Express is the inbox's express lane (inbox.Options.Express): the bot's, once
// it exists; until then every update goes to the inbox, which hands it to the
// bot when it is ready.
func (g *botGate) Express(ctx context.Context, body []byte) ([]byte, bool, error) {
	h := g.bot.Load()
	if h == nil {
		return nil, false, nil
	}
	ex, ok := (*h).(expressHandler)
	if !ok {
		return nil, false, nil
	}
	return ex.Express(ctx, body)
}

// open hands updates to h from now on.
func (g *botGate) open(h updateHandler) {
	g.once.Do(func() {
		g.bot.Store(&h)
		close(g.ready)
	})
}

// HandleUpdate hands u to the bot, waiting for it up to g.wait.
func (g *botGate) HandleUpdate(ctx context.Context, u telego.Update) error {
	if h := g.bot.Load(); h != nil {
		return (*h).HandleUpdate(ctx, u)
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case <-g.ready:
		return (*g.bot.Load()).HandleUpdate(ctx, u)
	case <-t.C:
		return inbox.RetryAfter(errBotNotReady, g.retry)
	case <-ctx.Done():
		return inbox.RetryAfter(fmt.Errorf("%w (%w)", errBotNotReady, ctx.Err()), g.retry)
	}
}

// botReady is closed once the bot exists (connectBot succeeded).
func (a *app) botReady() <-chan struct{} { return a.gate.ready }

// connectBot asks Telegram who the bot is (getMe), retrying until it answers (see
// callUntilDone), then builds the bot and the task handlers and hands updates to the
// bot. It returns nil at once when the bot exists already; an error for an answer that
// cannot heal, or when ctx ends first.
func (a *app) connectBot(ctx context.Context) error {
	select {
	case <-a.botReady():
		return nil
	default:
	}
	var me *telego.User
	err := callUntilDone(ctx, a.logger, "getMe", func(ctx context.Context) error {
		var err error
		me, err = a.api.GetMe(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if err := a.newBot(me.Username); err != nil {
		return err
	}
	a.gate.open(a.bot)
	a.logger.Info("telegram: bot ready", "bot", me.Username)
	return nil
}

// startBot tells Telegram how this bot takes updates: setWebhook with the configured URL,
// secret, update kinds and max_connections, or deleteWebhook before long polling (the two
// exclude each other; pending updates are kept). It retries until Telegram agrees (see
// callUntilDone). It also sets the command menu in the background: that is cosmetic, so
// its failures are only logged, and retried until the app closes. Call it after
// connectBot.
func (a *app) startBot(ctx context.Context) error {
	menuCtx, stopMenu := context.WithCancel(context.WithoutCancel(ctx))
	var menu sync.WaitGroup
	menu.Go(func() {
		if err := callUntilDone(menuCtx, a.logger, "setMyCommands", a.bot.SetCommands); err != nil && menuCtx.Err() == nil {
			a.logger.Error("telegram: the command menu is not set; the bot works without it", "error", err)
		}
	})
	a.closers = append(a.closers, func() {
		stopMenu()
		menu.Wait()
	})

	if a.cfg.WebhookURL == "" {
		err := callUntilDone(ctx, a.logger, "deleteWebhook", func(ctx context.Context) error {
			return a.api.DeleteWebhook(ctx, &telego.DeleteWebhookParams{})
		})
		if err != nil {
			return err
		}
		a.logger.Info("telegram: receiving updates by long polling (run one serve process only)", "bot", a.botUsername)
		return nil
	}
	err := callUntilDone(ctx, a.logger, "setWebhook", func(ctx context.Context) error {
		return a.api.SetWebhook(ctx, &telego.SetWebhookParams{
			URL:            a.cfg.WebhookURL,
			SecretToken:    a.cfg.WebhookSecret,
			AllowedUpdates: allowedUpdates,
			MaxConnections: a.cfg.WebhookMaxConnections,
		})
	})
	if err != nil {
		return err
	}
	a.logger.Info("telegram: receiving updates by webhook", "bot", a.botUsername,
		"webhook_url", redactURL(a.cfg.WebhookURL), "max_connections", a.cfg.WebhookMaxConnections)
	return nil
}

// runBot returns the part of serve (intake) or worker (!intake) that brings the bot up
// in the background: connectBot, then for serve startBot and, without a webhook URL,
// long polling. It returns nil when ctx ends, and an error only for an answer of
// Telegram that cannot heal (the process then stops).
func (a *app) runBot(intake bool) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		err := a.connectBot(ctx)
		if err == nil && intake {
			err = a.startBot(ctx)
			if err == nil && a.cfg.WebhookURL == "" {
				return a.poll(ctx)
			}
		}
		if ctx.Err() != nil {
			return nil // shutting down before Telegram answered
		}
		if err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
}

// afterBot returns fn to run once the bot exists: it waits for botReady (returning nil
// if ctx ends first), then runs fn.
func (a *app) afterBot(fn func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		select {
		case <-a.botReady():
			return fn(ctx)
		case <-ctx.Done():
			return nil
		}
	}
}
