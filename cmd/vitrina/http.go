package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Routes of the HTTP server.
const (
	routeWebhook = "POST /telegram/webhook"
	routeHealth  = "GET /healthz"
	routeReady   = "GET /readyz"
	routeMetrics = "GET /metrics"
)

// routes returns the HTTP handler of a process: health, readiness and metrics always, and the
// Telegram webhook when withWebhook (serve, not worker).
func (a *app) routes(withWebhook bool) http.Handler {
	mux := http.NewServeMux()
	handle := func(route string, h http.Handler) { mux.Handle(route, a.httpm.instrument(route, h)) }
	handle(routeHealth, http.HandlerFunc(handleHealth))
	handle(routeReady, http.HandlerFunc(a.handleReady))
	handle(routeMetrics, promhttp.HandlerFor(a.metrics, promhttp.HandlerOpts{
		Registry: a.metrics, // counts its own errors
		ErrorLog: slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}))
	if withWebhook {
		handle(routeWebhook, a.webhookHandler())
	}
	if a.sandboxPage != nil {
		// Not instrumented: its live-update stream would count as one endless request.
		mux.Handle("/sandbox/", a.sandboxPage)
		mux.Handle("GET /sandbox", http.RedirectHandler("/sandbox/", http.StatusFound))
	}
	return mux
}

// handleHealth answers 200 while the process runs; it checks nothing else, so an orchestrator
// restarts the process only when it is truly stuck.
func handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// handleReady answers 200 when the process's dependencies answer a ping within
// readyCheckTimeout, else 503 with one line per dependency saying which failed. It also
// answers 503 once shutdown has started, so a load balancer stops sending traffic. The
// failures' details go to the log, not to the response.
//
// The dependencies are PostgreSQL for serve, whose webhook stores and handles updates
// with PostgreSQL alone (jobs wait in the outbox while Redis is down), so that a Redis
// outage does not take every serve replica out of rotation; PostgreSQL and Redis for
// processes that run the worker (worker, serve --with-worker, demo). The bot's
// readiness (getMe) is not checked: updates are stored meanwhile, and handled once the
// bot is up.
func (a *app) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if a.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyCheckTimeout)
	defer cancel()
	type check struct {
		name string
		ping func(context.Context) error
	}
	checks := []check{{"postgres", a.db.Ping}}
	if !a.readyWithoutRedis {
		checks = append(checks, check{"redis", func(ctx context.Context) error { return a.redis.Ping(ctx).Err() }})
	}
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { errs[i] = c.ping(ctx) })
	}
	wg.Wait()

	var body strings.Builder
	status := http.StatusOK
	for i, c := range checks {
		if errs[i] != nil {
			status = http.StatusServiceUnavailable
			a.logger.Warn("readiness check failed", "dependency", c.name, "err", errs[i])
			fmt.Fprintf(&body, "%s: unreachable\n", c.name)
		} else {
			fmt.Fprintf(&body, "%s: ok\n", c.name)
		}
	}
	w.WriteHeader(status)
	fmt.Fprint(w, body.String())
}

// webhookHandler returns the bot's webhook handler, or one answering 503 while the bot is not
// wired: Telegram then keeps the update and retries, so nothing is lost.
func (a *app) webhookHandler() http.Handler {
	if a.webhook != nil {
		return a.webhook
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bot not wired", http.StatusServiceUnavailable)
	})
}

// listenHTTP opens the HTTP server's socket. serve opens it before it calls setWebhook, so
// the first updates Telegram sends wait in the socket's backlog instead of being refused.
func listenHTTP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http listen on %s: %w", addr, err)
	}
	return ln, nil
}

// serveHTTP serves h on ln until ctx is canceled, then stops accepting connections and waits
// up to httpShutdownTimeout for the requests in flight. Requests do not see ctx's
// cancellation: an update being stored when SIGTERM arrives is answered. It closes ln.
func (a *app) serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// The webhook answers once the update is stored, and the inbox handles it
		// afterwards: a request lasts as long as one insert, so this only has to cover a
		// slow PostgreSQL or /metrics, not a slow Bot API or handler.
		WriteTimeout:   30 * time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	a.logger.Info("http server listening", "addr", ln.Addr().String())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	a.draining.Store(true)
	a.logger.Info("http server shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// httpMetrics counts requests and their durations per route.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) httpMetrics {
	m := httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_http_requests_total",
			Help: "HTTP requests answered, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vitrina_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m httpMetrics) instrument(route string, h http.Handler) http.Handler {
	labels := prometheus.Labels{"route": route}
	return promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(labels),
		promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(labels), h))
}
