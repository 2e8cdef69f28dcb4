package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/reconcile"
	"github.com/vitrina-shop/vitrina/core/review"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/ratelimit"
)

// telegramTimeout bounds one Bot API call. It is longer than the long-polling timeout
// (inbox.Options.PollTimeout, 25 s), which shares the client.
const telegramTimeout = 40 * time.Second

// allowedUpdates are the update kinds the bot asks Telegram for (setWebhook,
// getUpdates): by default Telegram leaves out some, and sends others we do not use.
var allowedUpdates = []string{
	"message", "edited_message", "callback_query", "inline_query",
	"shipping_query", "pre_checkout_query", "my_chat_member",
}

// wire builds the domain services on the app's pools, the bot, the update inbox and
// the workers, and plugs them into the app. It runs in every process (serve and
// worker) after newApp and before anything starts.
func (a *app) wire(ctx context.Context) error {
	clock := core.SystemClock{}
	cat := catalog.NewService(postgres.NewCatalog(a.db), clock, operators(a.cfg.AdminIDs))
	orders := order.NewService(postgres.NewOrders(a.db), clock)
	users := user.NewService(postgres.NewUsers(a.db), clock)
	reviews := review.NewService(postgres.NewReviews(a.db), clock, operators(a.cfg.AdminIDs))
	casts := broadcast.NewService(postgres.NewBroadcasts(a.db), clock)

	api, err := telego.NewBot(a.cfg.TelegramToken,
		telego.WithAPIServer(a.cfg.TelegramAPIURL),
		// net/http, with a timeout (telego's default fasthttp client has none), behind a
		// caller that scrubs the token from the URL in its errors.
		telego.WithAPICaller(redactingCaller{
			next:    ta.HTTPCaller{Client: &http.Client{Timeout: telegramTimeout}},
			secrets: a.secrets,
		}),
		telego.WithDiscardLogger(), // API errors are returned, and logged once where handled
	)
	if err != nil {
		return fmt.Errorf("telegram client: %w", err)
	}
	me, err := api.GetMe(ctx)
	if err != nil {
		return fmt.Errorf("telegram getMe (is VITRINA_TELEGRAM_TOKEN right?): %w", err)
	}
	bot, err := telegram.New(telegram.Deps{
		API:           api,
		Catalog:       cat,
		Orders:        orders,
		Users:         users,
		Reviews:       reviews,
		Broadcasts:    casts,
		Dialogs:       postgres.NewDialogs(a.db),
		Clock:         clock,
		Log:           a.logger.With("component", "bot"),
		Username:      me.Username,
		ProviderToken: a.cfg.PaymentProviderToken,
		Operators:     operators(a.cfg.AdminIDs),
	})
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}

	a.catalog, a.orders, a.users, a.reviews, a.api, a.botUsername = cat, orders, users, reviews, api, me.Username
	// serve: updates arrive by webhook, or by long polling when no webhook URL is set.
	// inbox.New and workers.New name their component in the log themselves.
	in := inbox.New(postgres.NewInbox(a.db), bot, a.logger, inbox.Options{
		Registerer: a.metrics,
	})
	a.webhook = in.Webhook(a.cfg.WebhookSecret)
	a.startBot = func(ctx context.Context) error {
		if err := bot.SetCommands(ctx); err != nil {
			return fmt.Errorf("set bot commands: %w", err)
		}
		if a.cfg.WebhookURL == "" {
			// Long polling and a webhook exclude each other. Pending updates are kept.
			if err := api.DeleteWebhook(ctx, &telego.DeleteWebhookParams{}); err != nil {
				return fmt.Errorf("telegram deleteWebhook: %w", err)
			}
			a.logger.Info("telegram: receiving updates by long polling (run one serve process only)", "bot", me.Username)
			return nil
		}
		err := api.SetWebhook(ctx, &telego.SetWebhookParams{
			URL:            a.cfg.WebhookURL,
			SecretToken:    a.cfg.WebhookSecret,
			AllowedUpdates: allowedUpdates,
		})
		if err != nil {
			return fmt.Errorf("telegram setWebhook: %w", err)
		}
		a.logger.Info("telegram: receiving updates by webhook", "bot", me.Username, "webhook_url", redactURL(a.cfg.WebhookURL))
		return nil
	}
	a.poll = func(ctx context.Context) error { return in.Poll(ctx, api, allowedUpdates) }
	a.serveBackground = append(a.serveBackground, in.RunSweeper)

	// worker: the outbox relay, periodic sweeps and the task handlers.
	instance, err := postgres.InstanceID(ctx, a.db)
	if err != nil {
		return err
	}
	queue := asynq.NewClientFromRedisClient(a.redis)
	inspector := asynq.NewInspectorFromRedisClient(a.redis)
	w := workers.New(workers.Deps{
		Orders:     orders,
		Notifier:   bot,
		Refunder:   bot,
		Outbox:     postgres.NewOutbox(a.db),
		Queue:      queue,
		Clock:      clock,
		Log:        a.logger,
		Registerer: a.metrics,
		Redis:      a.redis,
		Transport:  bot,
		Recipients: users,
		Deleter:    inspector,
		Instance:   instance,
		Reconciler: reconcile.NewService(postgres.NewReconcile(a.db), clock),
		Stars:      bot,
		Broadcasts: workers.BroadcastDeps{Broadcasts: casts, Composer: bot},
		Reminders:  workers.ReminderDeps{Orders: orders, Catalog: cat, Composer: bot, Clock: clock},
		Sender: workers.SenderOptions{
			Limits:        a.sendLimits(),
			PaidBroadcast: a.cfg.PaidBroadcast,
		},
	})
	a.tasks = w
	a.background = append(a.background, w.RunRelay, w.RunPeriodic)
	a.closers = append(a.closers, func() { queue.Close() })
	return nil
}

// sendLimits are the limits the sender keeps: Telegram's, with the configured
// global rate, all scaled by rateScale when a benchmark asked for it.
func (a *app) sendLimits() ratelimit.Limits {
	limits := ratelimit.Limits{Global: a.cfg.SendRate}
	if a.rateScale > 0 {
		limits = limits.Scale(a.rateScale)
	}
	return limits
}

// operators converts the configured operator ids.
func operators(ids []int64) []core.UserID {
	out := make([]core.UserID, len(ids))
	for i, id := range ids {
		out[i] = core.UserID(id)
	}
	return out
}
