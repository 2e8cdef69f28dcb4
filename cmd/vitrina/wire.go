package main

import "context"

// wire builds the domain services and the adapters on the app's pools and plugs them into the
// app. It runs in every process (serve, worker) after newApp and before anything starts; an
// error stops the process.
//
// SEAM (lead): nothing is wired yet. Until it is, POST /telegram/webhook answers 503 (Telegram
// keeps the update and retries), long polling does not run, and the worker has no task
// handlers. What to fill in, roughly:
//
//	stores := postgres.New...(a.db)                      // core/postgres
//	svc := catalog.NewService(stores, clock) ...           // core/<domain>
//	bot := telegram.New(a.cfg.TelegramToken,               // bots/telegram, with
//	    telego.WithAPIServer(a.cfg.TelegramAPIURL),        // any Bot API compatible server
//	    telego.WithHTTPClient(&http.Client{Timeout: ...})) // telego's default has no timeout
//	a.webhook = bot.WebhookHandler(a.cfg.WebhookSecret)    // and setWebhook(a.cfg.WebhookURL) on serve
//	a.poll = bot.Poll                                      // serve runs it when a.cfg.WebhookURL == ""
//	a.registerTasks = func(mux *asynq.ServeMux) { workers.Register(mux, ...) }
//	a.background = append(a.background, relay.Run, sweeper.Run) // outbox relay, periodic sweeps
//	a.closers = append(a.closers, func() { ... })
//
// asynq.NewClientFromRedisClient(a.redis) shares the process's Redis pool; register metrics on
// a.metrics; a.cfg.IsAdmin tells the platform operators.
func (a *app) wire(ctx context.Context) error {
	_ = ctx
	return nil
}
