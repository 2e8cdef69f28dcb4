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

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	tgbot "github.com/vitrina-shop/vitrina/bots/telegram/bot"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/review"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
)

// Shutdown budgets. Shutdown runs in stages (see runStages): first the intake of updates
// (HTTP server, long polling) finishes what is in flight, then the worker. Together they stay
// under the 30 s a container orchestrator usually waits between SIGTERM and SIGKILL.
const (
	httpShutdownTimeout   = 15 * time.Second // in-flight requests (storing a webhook update, a scrape) finish within this
	workerShutdownTimeout = 8 * time.Second  // after the intake stopped, in-flight tasks finish within this, or go back to Redis
	readyCheckTimeout     = 2 * time.Second
)

// app holds what one process shares between its parts: the pools, the metrics registry, and
// the pieces that wire (wire.go) plugs in. Nothing in it is state another replica needs.
type app struct {
	cfg     Config
	logger  *slog.Logger
	db      *pgxpool.Pool
	redis   redis.UniversalClient // shared by asynq (server and clients) and health checks
	metrics *prometheus.Registry
	httpm   httpMetrics
	secrets *secrets // scrubbed from errors of the Bot API client
	// rateScale multiplies every Telegram limit of the sender: `vitrina bench
	// broadcast` runs its workers faster against the sandbox. 0 is 1.
	rateScale float64

	// Set by wire; each may stay nil until its part exists.

	// webhook handles POST /telegram/webhook. It must check X-Telegram-Bot-Api-Secret-Token
	// and answer 200 only once the update is safe. nil: the route answers 503, so Telegram
	// keeps the update and retries.
	webhook http.Handler
	// gate hands updates to the bot once it exists (see connectBot); until then the
	// inbox stores them and they wait.
	gate *botGate
	// newBot builds the bot and the task handlers (bot, tasks, botUsername) for the
	// username getMe answered; connectBot calls it once.
	newBot func(username string) error
	// poll receives updates by long polling until ctx is canceled; serve runs it when no
	// webhook URL is configured. It returns nil after a clean stop.
	poll func(ctx context.Context) error
	// serveBackground runs in serve processes next to the HTTP server: the inbox's
	// sweeper of updates left by a crashed replica.
	serveBackground []func(ctx context.Context) error
	// tasks are the task handlers and the asynq settings they expect. Set by newBot:
	// read it only after botReady is closed.
	tasks *workers.Workers
	// background runs in worker processes (and serve --with-worker) next to asynq: the outbox
	// relay, periodic sweeps. Each runs until ctx is canceled and then returns nil; an error
	// stops the process.
	background []func(ctx context.Context) error
	// closers run when the app closes, last added first, before the pools close.
	closers []func()

	// The services and the bot's client, for the demo's seeding.
	catalog     *catalog.Service
	orders      *order.Service
	users       *user.Service
	reviews     *review.Service
	live        *live.Service
	groupBuys   *groupbuy.Service
	teams       *teambuy.Service
	api         *telego.Bot
	bot         *tgbot.Bot // set by newBot, with botUsername
	botUsername string
	// readyWithoutRedis makes /readyz check PostgreSQL only: serve without the worker
	// stores and handles updates with PostgreSQL alone.
	readyWithoutRedis bool
	// sandboxPage is the demo's web client, mounted at /sandbox/ when set (vitrina demo
	// only: anyone who reaches it can act as any persona).
	sandboxPage http.Handler

	draining atomic.Bool // set when shutdown starts: /readyz answers 503 from then on
	// stopping is closed when shutdown starts, before the intake has stopped: the worker
	// stops taking new tasks then, and finishes the ones in flight later (runWorker).
	stopping     chan struct{}
	stoppingOnce sync.Once
}

// newApp connects to PostgreSQL (failing when it does not answer) and builds the Redis client
// (a Redis that is down only logs a warning: the outbox keeps jobs until it is back). The
// caller closes the app.
func newApp(ctx context.Context, cfg Config, logger *slog.Logger) (*app, error) {
	redisOpt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return nil, errors.New("VITRINA_REDIS_URL: not a Redis URL") // the error would show the password
	}
	rdb, ok := redisOpt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("redis client of unexpected type %T", redisOpt.MakeRedisClient())
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	a := &app{
		cfg:      cfg,
		logger:   logger,
		db:       db,
		redis:    rdb,
		metrics:  newMetricsRegistry(),
		secrets:  newSecrets(cfg),
		stopping: make(chan struct{}),
		gate:     newBotGate(),
	}
	routeRedisLog(logger)
	a.httpm = newHTTPMetrics(a.metrics)

	pingCtx, cancel := context.WithTimeout(ctx, readyCheckTimeout)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		logger.Warn("redis unreachable at start-up; continuing", "err", err)
	}
	return a, nil
}

// close releases everything the app holds. Call it once every part has stopped.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	if err := a.redis.Close(); err != nil {
		a.logger.Warn("close redis", "err", err)
	}
	a.db.Close()
}

// newMetricsRegistry returns a registry with the Go runtime and process collectors and
// vitrina_build_info. Parts of the app register their own metrics on it.
func newMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vitrina_build_info",
		Help: "Always 1; the labels say which build runs.",
	}, []string{"version", "commit"})
	buildInfo.WithLabelValues(version, commitOrUnknown()).Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
	)
	return reg
}

// beginShutdown marks the start of shutdown, once: /readyz answers 503 and the worker stops
// taking new tasks.
func (a *app) beginShutdown() {
	a.stoppingOnce.Do(func() {
		a.draining.Store(true)
		close(a.stopping)
	})
}

// runStages runs every part of every stage at once until ctx is canceled or any part returns
// (a part that stops early stops the process). Then it shuts down stage by stage: it calls
// beginShutdown, cancels the context of the first stage's parts and waits for all of them to
// return, then does the same with the next stage. So serve stops taking updates and finishes
// the ones in flight before the worker that relays and runs their jobs stops; the caller
// closes the pools after runStages returns. It returns the first error of any part.
func (a *app) runStages(ctx context.Context, stages ...[]func(ctx context.Context) error) error {
	var (
		mu      sync.Mutex
		first   error
		stopped = make(chan struct{}) // closed when the first part returns
		once    sync.Once
	)
	cancels := make([]context.CancelFunc, len(stages))
	waits := make([]*sync.WaitGroup, len(stages))
	for i, parts := range stages {
		// Not derived from ctx: a stage ends when its turn comes, not with the signal.
		stageCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancels[i] = cancel
		waits[i] = &sync.WaitGroup{}
		for _, fn := range parts {
			waits[i].Go(func() {
				err := fn(stageCtx)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
				once.Do(func() { close(stopped) })
			})
		}
	}
	select {
	case <-ctx.Done():
		a.logger.Info("shutting down: finishing the work in flight (a second signal stops at once)")
	case <-stopped:
		a.logger.Info("shutting down: a part stopped")
	}
	a.beginShutdown()
	for i := range stages {
		cancels[i]()
		waits[i].Wait()
	}
	return first
}
