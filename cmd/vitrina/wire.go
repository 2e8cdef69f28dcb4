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
	tgbot "github.com/vitrina-shop/vitrina/bots/telegram/bot"
	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
	"github.com/vitrina-shop/vitrina/bots/telegram/throttle"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/groupbuystore"
	"github.com/vitrina-shop/vitrina/core/postgres/inboxstore"
	"github.com/vitrina-shop/vitrina/core/postgres/livestore"
	"github.com/vitrina-shop/vitrina/core/postgres/teamstore"
	"github.com/vitrina-shop/vitrina/core/reconcile"
	"github.com/vitrina-shop/vitrina/core/review"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	droptasks "github.com/vitrina-shop/vitrina/workers/drops"
	groupbuytasks "github.com/vitrina-shop/vitrina/workers/groupbuys"
	"github.com/vitrina-shop/vitrina/workers/ratelimit"
	teamtasks "github.com/vitrina-shop/vitrina/workers/teams"
)

// telegramTimeout bounds one Bot API call. It is longer than the long-polling timeout
// (inbox.Options.PollTimeout, 25 s), which shares the client.
const telegramTimeout = 40 * time.Second

// allowedUpdates are the update kinds the bot asks Telegram for (setWebhook,
// getUpdates): by default Telegram leaves out some, and sends others we do not use.
// chosen_inline_result comes only to a bot with inline feedback on (BotFather,
// /setinlinefeedback): it records the group buy cards shared, to keep them current.
var allowedUpdates = []string{
	"message", "edited_message", "callback_query", "inline_query", "chosen_inline_result",
	"shipping_query", "pre_checkout_query", "my_chat_member", "channel_post",
}

// wire builds the domain services on the app's pools, the Bot API client, the update
// inbox and the outbox relay, and plugs them into the app; the bot and the task
// handlers need getMe's answer, so it leaves them to a.newBot (see connectBot). It runs
// in every process (serve and worker) after newApp and before anything starts, and
// makes no call to Telegram.
func (a *app) wire(ctx context.Context) error {
	clock := core.SystemClock{}
	cat := catalog.NewService(postgres.NewCatalog(a.db), clock, operators(a.cfg.AdminIDs))
	orders := order.NewService(postgres.NewOrders(a.db), clock)
	orphans := orphan.NewService(postgres.NewOrphans(a.db), clock, operators(a.cfg.AdminIDs))
	users := user.NewService(postgres.NewUsers(a.db), clock)
	reviews := review.NewService(postgres.NewReviews(a.db), clock, operators(a.cfg.AdminIDs))
	casts := broadcast.NewService(postgres.NewBroadcasts(a.db), clock)
	drops := live.NewService(livestore.New(a.db), orders, clock, 0)
	// One gate per process: the taps on a lot that arrive together are written together.
	taps := live.NewGate(drops.Tap, 0)
	groups := groupbuy.NewService(groupbuystore.New(a.db), orders, clock)
	teams := teambuy.NewService(teamstore.New(a.db), orders, cat, clock)

	// Replies to updates take slots in the sender's Redis-shared buckets (same keys),
	// with a short burst per chat; without Redis they go unpaced.
	replyLimits := a.sendLimits()
	replyLimits.PerChatBurst = throttle.ChatBurst
	replies := throttle.New(ta.HTTPCaller{Client: &http.Client{Timeout: telegramTimeout}},
		ratelimit.New(a.redis, replyLimits, ratelimit.Options{KeyPrefix: ratelimit.DefaultKeyPrefix}),
		throttle.Options{Log: a.logger.With("component", "throttle"), Registerer: a.metrics})
	api, err := telego.NewBot(a.cfg.TelegramToken,
		telego.WithAPIServer(a.cfg.TelegramAPIURL),
		// net/http, with a timeout (telego's default fasthttp client has none), paced
		// for replies, behind a caller that scrubs the token from the URL in its errors.
		telego.WithAPICaller(redactingCaller{next: replies, secrets: a.secrets}),
		telego.WithDiscardLogger(), // API errors are returned, and logged once where handled
	)
	if err != nil {
		return fmt.Errorf("telegram client: %w", err)
	}
	a.catalog, a.orders, a.users, a.reviews, a.live, a.groupBuys, a.api = cat, orders, users, reviews, drops, groups, api
	a.teams = teams

	// serve: updates arrive by webhook, or by long polling when no webhook URL is set.
	// The inbox stores them from the start; the gate hands them to the bot once getMe
	// answered (connectBot). inbox.New and workers.New name their component in the log
	// themselves.
	in := inbox.New(inboxstore.New(a.db), throttle.Handler(a.gate), a.logger, inbox.Options{
		BotID:      inbox.BotID(a.cfg.TelegramToken),
		Registerer: a.metrics,
		Express:    a.gate.Express,
	})
	a.webhook = in.Webhook(a.cfg.WebhookSecret)
	// getUpdates' raw answer: one update telego cannot decode must not fail the batch.
	poller := inbox.BotAPI{Caller: redactingCaller{next: ta.HTTPCaller{Client: &http.Client{Timeout: telegramTimeout}}, secrets: a.secrets},
		Server: a.cfg.TelegramAPIURL, Token: a.cfg.TelegramToken}
	a.poll = func(ctx context.Context) error { return in.Poll(ctx, poller, allowedUpdates) }
	a.serveBackground = append(a.serveBackground, in.RunSweeper)

	// worker: the outbox relay needs only PostgreSQL and Redis, so it starts at once;
	// the task handlers and periodic sweeps need the bot, and wait for it.
	instance, err := postgres.InstanceID(ctx, a.db)
	if err != nil {
		return err
	}
	queue := asynq.NewClientFromRedisClient(a.redis)
	inspector := asynq.NewInspectorFromRedisClient(a.redis)
	a.closers = append(a.closers, func() { queue.Close() })
	relay := workers.NewRelay(postgres.NewOutbox(a.db), queue, workers.RelayOptions{
		Clock:      clock,
		Log:        a.logger,
		Registerer: a.metrics,
		Deleter:    inspector,
	})
	a.background = append(a.background, relay.Run, a.afterBot(func(ctx context.Context) error {
		return a.tasks.RunPeriodic(ctx)
	}))

	// newBot builds the bot and the task handlers once getMe told the bot's username.
	a.newBot = func(username string) error {
		bot, err := tgbot.New(telegram.Deps{
			API:           api,
			Catalog:       cat,
			Orders:        orders,
			Orphans:       orphans,
			Users:         users,
			Reviews:       reviews,
			Broadcasts:    casts,
			Live:          drops,
			GroupBuys:     groups,
			Teams:         teams,
			Taps:          taps,
			Dialogs:       postgres.NewDialogs(a.db),
			Clock:         clock,
			Log:           a.logger.With("component", "bot"),
			Username:      username,
			ProviderToken: a.cfg.PaymentProviderToken,
			Operators:     operators(a.cfg.AdminIDs),
		})
		if err != nil {
			return fmt.Errorf("bot: %w", err)
		}
		a.bot, a.botUsername = bot, username
		a.tasks = workers.New(workers.Deps{
			Orders:     orders,
			Notifier:   bot,
			Refunder:   bot,
			Outbox:     postgres.NewOutbox(a.db),
			Relay:      relay,
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
			Broadcasts: workers.BroadcastDeps{Broadcasts: casts, Composer: bot.Broadcasts},
			Reminders:  workers.ReminderDeps{Orders: orders, Catalog: cat, Composer: bot, Clock: clock},
			Orphans:    workers.OrphanDeps{Orphans: orphans, Composer: bot},
			Reviews:    workers.ReviewDeps{Composer: bot.Reviews},
			Sender: workers.SenderOptions{
				Limits:        a.sendLimits(),
				PaidBroadcast: a.cfg.PaidBroadcast,
			},
		})
		a.tasks.Add(
			droptasks.New(droptasks.Deps{Live: drops, Bot: bot.Drops, Sender: a.tasks, Log: a.logger}),
			groupbuytasks.New(groupbuytasks.Deps{GroupBuys: groups, Bot: bot.GroupBuys, Sender: a.tasks}),
			teamtasks.New(teamtasks.Deps{Teams: teams, Bot: bot.Teams, Sender: a.tasks}),
		)
		return nil
	}
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
