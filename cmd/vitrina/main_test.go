package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// testRedisURL is the Redis of these tests: VITRINA_TEST_REDIS_URL, else database 15 of the
// local server, away from the queues of other packages' tests (a worker started here would
// take their tasks).
func testRedisURL() string {
	if u := os.Getenv("VITRINA_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/15"
}

// testEnv returns an environment for run with the test services, a Telegram sandbox (a Bot
// API server in process, returned for the test to act as users), JSON logs and a free port,
// plus the given overrides.
//
// The webhook answers once an update is stored and handles it afterwards, so the sandbox's
// acting calls (User.Send, PressButton, Pay, ...) wait, before they return, until the
// update delivered by webhook is settled in databaseURL (see waitSettled): a test asserts
// on the bot's answer right after.
func testEnv(t *testing.T, databaseURL string, overrides map[string]string) (func(string) string, *sandbox.Server) {
	t.Helper()
	settled := newSettledWaiter(t, databaseURL)
	tg := sandbox.New(sandbox.Config{Token: fakeToken, BotUsername: "vitrina_cmd_test_bot", Delivered: settled.wait})
	srv := httptest.NewServer(tg)
	t.Cleanup(func() {
		tg.Close()
		srv.Close()
	})
	m := map[string]string{
		"VITRINA_DATABASE_URL":     databaseURL,
		"VITRINA_REDIS_URL":        testRedisURL(),
		"VITRINA_TELEGRAM_TOKEN":   fakeToken,
		"VITRINA_TELEGRAM_API_URL": srv.URL,
		"VITRINA_HTTP_ADDR":        "127.0.0.1:0",
		"VITRINA_LOG_FORMAT":       "json",
		"VITRINA_LOG_LEVEL":        "debug",
	}
	for k, v := range overrides {
		m[k] = v
	}
	return mapenv(m), tg
}

// settledWaiter waits for updates to be settled in a test's database.
type settledWaiter struct {
	t           *testing.T
	databaseURL string
	mu          sync.Mutex
	pool        *pgxpool.Pool // opened at the first update
}

func newSettledWaiter(t *testing.T, databaseURL string) *settledWaiter {
	w := &settledWaiter{t: t, databaseURL: databaseURL}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.pool != nil {
			w.pool.Close()
		}
	})
	return w
}

// wait returns once the update's current attempt ended: it is handled, failed for good,
// or waiting for its retry (the inbox's own backoff, or a bot that is not ready yet). It
// gives up after a minute (a hang guard): the test then fails on the missing answer.
func (w *settledWaiter) wait(updateID int) {
	w.mu.Lock()
	if w.pool == nil {
		pool, err := pgxpool.New(context.Background(), w.databaseURL)
		if err != nil {
			w.mu.Unlock()
			w.t.Errorf("settled: connect: %v", err)
			return
		}
		w.pool = pool
	}
	pool := w.pool
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		var settled bool
		// No lease on the chat: nobody is handling the update now.
		err := pool.QueryRow(ctx, `
			SELECT handled_at IS NOT NULL OR failed_at IS NOT NULL
				OR (retry_at IS NOT NULL AND NOT EXISTS (
					SELECT 1 FROM chat_leases l WHERE l.chat_key = u.chat_key AND l.expires_at > now()))
			FROM telegram_updates u WHERE update_id = $1`, updateID).Scan(&settled)
		if err == nil && settled {
			return
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			w.t.Logf("settled: update %d: %v", updateID, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// freshDatabaseURL returns the URL of a database that does not exist yet on the test server,
// and drops it when the test ends.
func freshDatabaseURL(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 6)
	rand.Read(random)
	name := pgtest.TestPrefix + "cmd_" + hex.EncodeToString(random)
	u.Path = "/" + name
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgtest.ServerURL())
		if err != nil {
			t.Errorf("connect to drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return u.String()
}

func TestRun_Version(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"vitrina", "version"}, mapenv(nil), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "vitrina "+version+" (commit ") {
		t.Errorf("version printed %q", stdout.String())
	}
}

func TestRun_Usage(t *testing.T) {
	t.Run("Help", func(t *testing.T) {
		var stdout bytes.Buffer
		if err := run(t.Context(), []string{"vitrina", "help"}, mapenv(nil), &stdout, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout.String(), "migrate up|down|status") {
			t.Errorf("help printed %q", stdout.String())
		}
	})
	for _, args := range [][]string{{}, {"nope"}, {"migrate"}, {"migrate", "sideways"}, {"serve", "--nope"}, {"version", "x"}} {
		t.Run(strings.Join(append([]string{"Bad"}, args...), "_"), func(t *testing.T) {
			err := run(t.Context(), append([]string{"vitrina"}, args...), mapenv(nil), io.Discard, io.Discard)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Errorf("run(%q) = %v, want a usage error", args, err)
			}
		})
	}
	t.Run("BadConfig", func(t *testing.T) {
		err := run(t.Context(), []string{"vitrina", "migrate", "status"},
			mapenv(map[string]string{"VITRINA_LOG_LEVEL": "loud"}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "VITRINA_LOG_LEVEL") {
			t.Errorf("err = %v, want one naming VITRINA_LOG_LEVEL", err)
		}
	})
	t.Run("ConfigFile", func(t *testing.T) {
		// A file with a bad value shows which way the file was found.
		path := writeFile(t, "log_level: loud\n")
		for name, c := range map[string]struct {
			args []string
			env  map[string]string
		}{
			"GlobalFlag":  {args: []string{"--config", path, "migrate", "status"}},
			"CommandFlag": {args: []string{"migrate", "--config", path, "status"}},
			"Environment": {args: []string{"migrate", "status"}, env: map[string]string{envConfigPath: path}},
		} {
			err := run(t.Context(), append([]string{"vitrina"}, c.args...), mapenv(c.env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "log_level in "+path) {
				t.Errorf("%s: err = %v, want one naming log_level in %s", name, err, path)
			}
		}
	})
	t.Run("ServeWithoutToken", func(t *testing.T) {
		err := run(t.Context(), []string{"vitrina", "serve"}, mapenv(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "VITRINA_TELEGRAM_TOKEN") {
			t.Errorf("err = %v, want one naming VITRINA_TELEGRAM_TOKEN", err)
		}
	})
}

func TestRun_Migrate(t *testing.T) {
	t.Parallel()
	dbURL := freshDatabaseURL(t)
	getenv := mapenv(map[string]string{"VITRINA_DATABASE_URL": dbURL})
	migrate := func(command string) string {
		t.Helper()
		var stdout bytes.Buffer
		if err := run(t.Context(), []string{"vitrina", "migrate", command}, getenv, &stdout, io.Discard); err != nil {
			t.Fatalf("migrate %s: %v\n%s", command, err, stdout.String())
		}
		return stdout.String()
	}

	// up creates the missing database, then applies everything.
	if out := migrate("up"); !strings.Contains(out, "OK    up 00001_") || !strings.Contains(out, "applied") {
		t.Errorf("first up printed:\n%s", out)
	}
	if out := migrate("up"); !strings.Contains(out, "no pending migrations") {
		t.Errorf("second up printed:\n%s", out)
	}
	out := migrate("status")
	if !strings.Contains(out, "applied") || strings.Contains(out, "pending  ") || !strings.Contains(out, ", 0 pending") {
		t.Errorf("status after up printed:\n%s", out)
	}
	if !strings.Contains(out, "00001_") {
		t.Errorf("status does not list the first migration:\n%s", out)
	}

	if out := migrate("down"); !strings.Contains(out, "OK    down") {
		t.Errorf("down printed:\n%s", out)
	}
	if out := migrate("status"); !strings.Contains(out, "pending") {
		t.Errorf("status after down printed:\n%s", out)
	}
	if out := migrate("up"); !strings.Contains(out, "OK    up") {
		t.Errorf("up after down printed:\n%s", out)
	}
}

// logLines collects the JSON log lines run writes, for a test to wait on.
type logLines struct {
	mu    sync.Mutex
	lines []map[string]any
	raw   bytes.Buffer
	added chan struct{} // closed and replaced on every new line
}

func newLogLines() (*logLines, io.WriteCloser) {
	l := &logLines{added: make(chan struct{})}
	r, w := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line map[string]any
			_ = json.Unmarshal(sc.Bytes(), &line) // non-JSON lines are kept raw only
			l.mu.Lock()
			l.raw.Write(sc.Bytes())
			l.raw.WriteByte('\n')
			if line != nil {
				l.lines = append(l.lines, line)
			}
			close(l.added)
			l.added = make(chan struct{})
			l.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return l, w
}

// waitFor returns the first line whose msg is msg, waiting until done is closed.
func (l *logLines) waitFor(t *testing.T, msg string, done <-chan struct{}) map[string]any {
	t.Helper()
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if line["msg"] == msg {
				l.mu.Unlock()
				return line
			}
		}
		added := l.added
		l.mu.Unlock()
		select {
		case <-added:
		case <-done:
			t.Fatalf("run ended before logging %q; logs:\n%s", msg, l.String())
		case <-time.After(time.Minute): // a hang guard, not a speed check
			t.Fatalf("no %q logged within a minute; logs:\n%s", msg, l.String())
		}
	}
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

// started is a running `vitrina` command.
type started struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	logs   *logLines
}

// start runs the command in the background; the test's cleanup stops it if the test did not.
func start(t *testing.T, getenv func(string) string, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs, w := newLogLines()
	s := &started{cancel: cancel, done: make(chan struct{}), logs: logs}
	go func() {
		defer close(s.done)
		s.err = run(ctx, append([]string{"vitrina"}, args...), getenv, io.Discard, w)
		w.Close()
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels the command's context, as SIGTERM does, and waits for run to return.
func (s *started) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		t.Fatalf("run did not return after cancel; logs:\n%s", s.logs)
	}
	return s.err
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestRun_Serve(t *testing.T) {
	t.Parallel()
	_, dbURL := pgtest.NewDB(t)
	const providerToken = "284685063:TEST:provider-secret"
	env, tg := testEnv(t, dbURL, map[string]string{
		"VITRINA_WEBHOOK_URL":            "https://shop.example.com/telegram/webhook",
		"VITRINA_WEBHOOK_SECRET":         "hook-secret-123",
		"VITRINA_PAYMENT_PROVIDER_TOKEN": providerToken,
	})
	s := start(t, env, "serve")
	addr := s.logs.waitFor(t, "http server listening", s.done)["addr"].(string)
	base := "http://" + addr
	s.logs.waitFor(t, "telegram: receiving updates by webhook", s.done)

	if code, body := get(t, base+"/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	// serve's readiness is PostgreSQL's: the webhook needs nothing else.
	if code, body := get(t, base+"/readyz"); code != http.StatusOK || body != "postgres: ok\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Errorf("/metrics = %d", code)
	}
	for _, metric := range []string{"go_goroutines", "process_cpu_seconds_total", "vitrina_build_info", `vitrina_http_requests_total{code="200",method="get",route="GET /healthz"} 1`} {
		if !strings.Contains(body, metric) {
			t.Errorf("/metrics lacks %s", metric)
		}
	}
	// serve told Telegram where to send updates, with the secret, and set the command menu.
	if url, secret := tg.Webhook(); url != "https://shop.example.com/telegram/webhook" || secret != "hook-secret-123" {
		t.Errorf("setWebhook(%q, %q), want the configured URL and secret", url, secret)
	}
	if calls := tg.CallsTo("setWebhook"); len(calls) != 1 || !sameStrings(calls[0].Params["allowed_updates"], allowedUpdates) {
		t.Errorf("setWebhook calls %+v, want one with allowed_updates %v", calls, allowedUpdates)
	} else if got := calls[0].Params["max_connections"]; got != float64(defaultWebhookMaxConnections) {
		t.Errorf("setWebhook max_connections = %v, want %d", got, defaultWebhookMaxConnections)
	}
	waitUntil(t, "the command menu set", func() bool { return len(tg.CallsTo("setMyCommands")) > 0 })
	// A webhook request without the secret is refused.
	resp, err := http.Post(base+"/telegram/webhook", "application/json", strings.NewReader(`{"update_id":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /telegram/webhook without the secret = %d, want 401", resp.StatusCode)
	}
	// With it, a user's /start reaches the bot and is answered.
	tg.SetWebhook(base+"/telegram/webhook", "hook-secret-123")
	shopper := tg.NewUser(sandbox.UserSpec{ID: 5001, FirstName: "Anna", LanguageCode: "en"})
	if err := shopper.Send(context.Background(), "/start"); err != nil {
		t.Fatalf("send /start: %v", err)
	}
	if got := shopper.LastBotMessage(); got.Text == "" {
		t.Errorf("the bot did not answer /start; chat: %+v", shopper.Messages())
	}
	if code, _ := get(t, base+"/telegram/webhook"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /telegram/webhook = %d, want 405", code)
	}

	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v after cancel", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
	logs := s.logs.String()
	for _, secret := range []string{fakeToken, "hook-secret-123", providerToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs show the secret %q", secret)
		}
	}
	s.logs.waitFor(t, "stopped", nil)
}

// TestRun_ServeFinishesInFlight checks graceful shutdown: a request in progress when the
// context is canceled still gets its answer.
func TestRun_ServeFinishesInFlight(t *testing.T) {
	t.Parallel()
	_, dbURL := pgtest.NewDB(t)
	ctx := context.Background()
	env, _ := testEnv(t, dbURL, nil)
	cfg, err := loadConfig(env, "")
	if err != nil {
		t.Fatal(err)
	}
	logs, w := newLogLines()
	t.Cleanup(func() { w.Close() })
	a, err := newApp(ctx, cfg, newLogger(cfg, w))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	entered, release := make(chan struct{}), make(chan struct{})
	a.webhook = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.Write([]byte("handled"))
	})

	serveCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	ln, err := listenHTTP(cfg.HTTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { served <- a.serveHTTP(serveCtx, ln, a.routes(true)) }()
	addr := logs.waitFor(t, "http server listening", nil)["addr"].(string)

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/telegram/webhook", "application/json", strings.NewReader("{}"))
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- string(b)
	}()
	<-entered
	cancel() // SIGTERM while the update is being handled
	logs.waitFor(t, "http server shutting down", nil)
	rec := httptest.NewRecorder()
	a.handleReady(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz during shutdown = %d %q, want 503", rec.Code, rec.Body)
	}
	close(release)
	if got := <-answer; got != "handled" {
		t.Errorf("in-flight request got %q, want its answer", got)
	}
	if err := <-served; err != nil {
		t.Errorf("serveHTTP = %v", err)
	}
}

func TestRun_Worker(t *testing.T) {
	t.Parallel()
	_, dbURL := pgtest.NewDB(t)
	env, _ := testEnv(t, dbURL, nil)
	s := start(t, env, "worker", "--http-addr", "127.0.0.1:0")
	s.logs.waitFor(t, "worker started", s.done)
	addr := s.logs.waitFor(t, "http server listening", s.done)["addr"].(string)
	if code, body := get(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q", code, body)
	}
	resp, err := http.Post("http://"+addr+"/telegram/webhook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("a worker serves the webhook: %d", resp.StatusCode)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("worker returned %v after cancel", err)
	}
}

// TestRun_ReadyzRedisDown runs each process with Redis down and PostgreSQL up: serve stays
// ready (its webhook needs PostgreSQL only), the processes that run the worker are not.
func TestRun_ReadyzRedisDown(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
		code int
		body string
	}{
		{"Serve", []string{"serve"}, http.StatusOK, "postgres: ok\n"},
		{"ServeWithWorker", []string{"serve", "--with-worker"}, http.StatusServiceUnavailable, "postgres: ok\nredis: unreachable\n"},
		{"Worker", []string{"worker", "--http-addr", "127.0.0.1:0"}, http.StatusServiceUnavailable, "postgres: ok\nredis: unreachable\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, dbURL := pgtest.NewDB(t)
			// Nothing listens on port 1: Redis is down, PostgreSQL is up.
			env, _ := testEnv(t, dbURL, map[string]string{"VITRINA_REDIS_URL": "redis://127.0.0.1:1/0"})
			s := start(t, env, c.args...)
			addr := s.logs.waitFor(t, "http server listening", s.done)["addr"].(string)
			code, body := get(t, "http://"+addr+"/readyz")
			if code != c.code || body != c.body {
				t.Errorf("/readyz = %d %q, want %d %q", code, body, c.code, c.body)
			}
		})
	}
}

// waitUntil polls cond until it holds, failing the test after a minute (a hang guard, not
// a speed check).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}
