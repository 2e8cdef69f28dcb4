package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/vitrina-shop/vitrina/bots/demo"
	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/sandbox/web"
	"github.com/vitrina-shop/vitrina/core/postgres"
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

	tg := sandbox.New(sandbox.Config{Token: demoToken, BotUsername: demoBotUsername, BotName: "Vitrina Demo"})
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
	if err := a.wire(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("wire: %w", err)
	}
	world, err := demo.Seed(ctx, demo.Deps{
		Sandbox: tg, API: a.api, BotUsername: a.botUsername,
		Catalog: a.catalog, Orders: a.orders, Users: a.users, Reviews: a.reviews,
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

	fmt.Fprintf(e.stdout, "\nVitrina demo is running. Open http://%s/sandbox/ in a browser.\n"+
		"You are a shopper (Аня, John, Алия) or the seller (Марина): switch on the left. Ctrl+C stops it.\n\n",
		localAddr(ln.Addr().String()))
	err = a.runStages(ctx, intake, work)
	logStopped(logger, err)
	return err
}

// personas are the sandbox page's people: the seller first, then the shoppers, each seeing
// their chat with the bot and the shop's channel.
func personas(w demo.World) []web.Persona {
	roles := map[string]string{"seller": "Seller", "shopper": "Shopper"}
	out := make([]web.Persona, 0, len(w.Personas))
	for _, p := range w.Personas {
		out = append(out, web.Persona{UserID: p.ID, Name: p.Name, Role: roles[p.Role]})
	}
	return out
}
