package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vitrina-shop/vitrina/bots/demo"
	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/sandbox/web"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/livestore"
)

// The demo bot's identity. The token only has to look like one: the sandbox is its Telegram.
const (
	demoToken       = "777000:DEMOdemoDEMOdemoDEMOdemoDEMOdemo-_x"
	demoBotUsername = "vitrina_demo_bot"
	// demoProviderToken is the card provider of the demo shop; the sandbox takes any.
	demoProviderToken = "demo-provider:TEST:sandbox"
	// The demo's own database and Redis database on the default servers.
	demoDatabaseURL = "postgres://postgres@127.0.0.1:5432/vitrina_demo?sslmode=disable"
	demoRedisURL    = "redis://127.0.0.1:6379/1"
)

// cmdDemo runs all of Vitrina against an embedded Telegram sandbox, with no token and no
// network: a Bot API server in this process on a loopback port of its own, which the real
// bot talks to over HTTP exactly as it talks to Telegram, and the sandbox's web client at
// /sandbox/ for a person to act as the demo's personas. It migrates the database, seeds the
// demo world (or finds the one an earlier run made), and runs serve and worker in one
// process until ctx is canceled.
func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := e.flags("demo")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("demo takes no arguments, got %q", fs.Args())}
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	// The demo keeps to a database and a Redis database of its own unless told otherwise,
	// so that it never mixes its world with a real bot's, nor its workers with a real bot's
	// tasks, on the same machine.
	if e.getenv("VITRINA_DATABASE_URL") == "" && e.configPath == "" && e.getenv(envConfigPath) == "" {
		cfg.DatabaseURL = demoDatabaseURL
	}
	if e.getenv("VITRINA_REDIS_URL") == "" && e.configPath == "" && e.getenv(envConfigPath) == "" {
		cfg.RedisURL = demoRedisURL
	}

	tg := sandbox.New(sandbox.Config{Token: demoToken, BotUsername: demoBotUsername, BotName: "Vitrina Demo", InlineFeedback: true})
	defer tg.Close()
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("sandbox listen: %w", err)
	}
	apiSrv := &http.Server{Handler: tg, ReadHeaderTimeout: 5 * time.Second}
	go apiSrv.Serve(apiLn)
	defer apiSrv.Close()

	ln, err := listenHTTP(cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("%w (is another Vitrina running? set VITRINA_HTTP_ADDR to another port)", err)
	}
	cfg.TelegramToken = demoToken
	cfg.TelegramAPIURL = "http://" + apiLn.Addr().String()
	cfg.WebhookURL = "http://" + ln.Addr().String() + "/telegram/webhook"
	cfg.WebhookSecret = rand.Text()
	if cfg.PaymentProviderToken == "" {
		cfg.PaymentProviderToken = demoProviderToken
	}
	logger := newLogger(cfg, e.stderr)
	logger.Info("starting", "command", "demo", "version", version, "commit", commitOrUnknown(), "config", cfg)

	if err := postgres.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		ln.Close()
		return err
	}
	if err := postgres.Migrate(ctx, cfg.DatabaseURL, postgres.MigrateUp, io.Discard); err != nil {
		ln.Close()
		return fmt.Errorf("migrate the demo database: %w", err)
	}
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.close()
	states := postgres.NewSandboxStates(a.db)
	if err := restoreSandbox(ctx, tg, states, logger); err != nil {
		ln.Close()
		return err
	}
	if err := a.wire(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("wire: %w", err)
	}
	if err := a.connectBot(ctx); err != nil { // the seeding needs the bot's username
		ln.Close()
		if ctx.Err() != nil {
			return nil // stopped (Ctrl+C) before the sandbox answered: not a failure
		}
		return err
	}
	world, err := demo.Seed(ctx, demo.Deps{
		Sandbox: tg, API: a.api, BotUsername: a.botUsername,
		Catalog: a.catalog, Orders: a.orders, Users: a.users, Reviews: a.reviews, Live: a.live, GroupBuys: a.groupBuys,
		PostCard: a.bot.GroupBuys.PostCard, Teams: a.teams,
		LiveAt: func(c core.Clock) (*live.Service, *order.Service) {
			orders := order.NewService(postgres.NewOrders(a.db), c)
			return live.NewService(livestore.New(a.db), orders, c, 0), orders
		},
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("seed the demo world: %w", err)
	}
	page := web.New(tg, web.Options{Personas: personas(world), BotName: "Vitrina Demo", Logger: logger})
	a.sandboxPage = page
	// Close the page's live streams first, or they would hold up the HTTP server's shutdown.
	stopPage := func(ctx context.Context) error {
		<-ctx.Done()
		page.Close()
		return nil
	}

	if err := a.startBot(ctx); err != nil {
		ln.Close()
		return err
	}
	if err := a.registerQueueMetrics(); err != nil {
		ln.Close()
		return err
	}
	intake := []func(context.Context) error{
		func(ctx context.Context) error { return a.serveHTTP(ctx, ln, a.routes(true)) },
		stopPage,
	}
	intake = append(intake, a.serveBackground...)
	work := append([]func(context.Context) error{a.runWorker}, a.background...)
	// The sandbox's world is saved last, once nothing changes it any more.
	keep := []func(context.Context) error{func(ctx context.Context) error {
		return saveSandbox(ctx, tg, states, logger)
	}}

	fmt.Fprintf(e.stdout, "\nVitrina demo is running. Open http://%s/sandbox/ in a browser.\n"+
		"You are a shopper (Аня, John, Алия), the seller (Марина) or a KOL (Даша, her drop starts in a few minutes): switch on the left. Ctrl+C stops it.\n\n",
		localAddr(ln.Addr().String()))
	err = a.runStages(ctx, intake, work, keep)
	logStopped(logger, err)
	return err
}

// personas are the sandbox page's people: the seller first, then the shoppers, each seeing
// their chat with the bot and the shop's channel.
func personas(w demo.World) []web.Persona {
	roles := map[string]string{"seller": "Seller", "shopper": "Shopper", "kol": "KOL"}
	out := make([]web.Persona, 0, len(w.Personas))
	for _, p := range w.Personas {
		out = append(out, web.Persona{UserID: p.ID, Name: p.Name, Role: roles[p.Role]})
	}
	return out
}

// sandboxStateName names the demo sandbox's saved world in its database.
const sandboxStateName = "demo"

// sandboxSaveEvery is how often the demo saves its sandbox's world when it changed: a demo
// killed without a chance to save loses at most this much of its chat history.
const sandboxSaveEvery = 2 * time.Second

// sandboxStates is where the demo keeps its sandbox's world between runs.
type sandboxStates interface {
	Load(ctx context.Context, name string) ([]byte, bool, error)
	Save(ctx context.Context, name string, state []byte) error
	MaxUpdateID(ctx context.Context, botID int64) (int64, error)
}

// restoreSandbox gives the sandbox the world an earlier run saved (personas, chats and their
// history, files, payments), so the seeding finds it and a second run looks like the first
// one went on. Update numbering continues past both the saved world and every update the
// inbox holds: the inbox takes an id it has seen for a redelivery and drops it. A saved world
// that cannot be restored (another format) is left behind with a warning: the demo starts
// with empty chats rather than not at all.
func restoreSandbox(ctx context.Context, tg *sandbox.Server, states sandboxStates, logger *slog.Logger) error {
	saved, ok, err := states.Load(ctx, sandboxStateName)
	if err != nil {
		return err
	}
	if ok {
		if err := tg.Restore(saved); err != nil {
			logger.Warn("the sandbox's saved chats cannot be restored; starting with empty chats", "err", err)
		} else {
			logger.Info("sandbox restored", "chats", len(tg.Chats()), "bytes", len(saved))
		}
	}
	seen, err := states.MaxUpdateID(ctx, tg.BotID())
	if err != nil {
		return err
	}
	tg.SetNextUpdateID(int(seen) + 1)
	return nil
}

// saveSandbox saves the sandbox's world whenever it changed, every sandboxSaveEvery, and a
// last time when ctx ends. A failed save is logged once until one succeeds again, and never
// stops the demo: the next one saves the same and more.
func saveSandbox(ctx context.Context, tg *sandbox.Server, states sandboxStates, logger *slog.Logger) error {
	var saved uint64
	failing := false
	save := func(ctx context.Context) {
		gen := tg.Generation()
		if gen == saved {
			return
		}
		err := func() error {
			snap, err := tg.Snapshot()
			if err != nil {
				return err
			}
			return states.Save(ctx, sandboxStateName, snap)
		}()
		switch {
		case err != nil && !failing:
			logger.Warn("cannot save the sandbox's chats; retrying", "err", err)
			failing = true
		case err == nil:
			if failing {
				logger.Info("the sandbox's chats are saved again")
			}
			failing, saved = false, gen
		}
	}
	tick := time.NewTicker(sandboxSaveEvery)
	defer tick.Stop()
	for {
		save(ctx)
		select {
		case <-tick.C:
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			save(final)
			return nil
		}
	}
}
