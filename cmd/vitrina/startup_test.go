package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// Start-up against a Telegram that fails: serve and worker stay up and retry, and only an
// answer that cannot heal stops them.

// webhookEnv is the environment of a serve test with a webhook configured.
func webhookEnv(t *testing.T, dbURL string) (func(string) string, *sandbox.Server) {
	t.Helper()
	return testEnv(t, dbURL, map[string]string{
		"VITRINA_WEBHOOK_URL":    "https://shop.example.com/telegram/webhook",
		"VITRINA_WEBHOOK_SECRET": "startup-secret",
	})
}

// TestRun_ServeCommandMenuFails: setMyCommands failing (bot settings) never stops serve:
// it logs, retries in the background, and the bot answers updates meanwhile.
func TestRun_ServeCommandMenuFails(t *testing.T) {
	t.Parallel()
	_, dbURL := pgtest.NewDB(t)
	env, tg := webhookEnv(t, dbURL)
	tg.FailAll("setMyCommands", http.StatusInternalServerError, "", 0)

	s := start(t, env, "serve")
	addr := s.logs.waitFor(t, "http server listening", s.done)["addr"].(string)
	s.logs.waitFor(t, "telegram: setMyCommands failed; retrying", s.done)
	s.logs.waitFor(t, "telegram: receiving updates by webhook", s.done)

	tg.SetWebhook("http://"+addr+"/telegram/webhook", "startup-secret")
	shopper := tg.NewUser(sandbox.UserSpec{ID: 5201, FirstName: "Anna", LanguageCode: "en"})
	if err := shopper.Send(t.Context(), "/start"); err != nil {
		t.Fatalf("send /start: %v", err)
	}
	if _, err := shopper.WaitMessage(t.Context(), func(m sandbox.Message) bool { return m.FromBot }); err != nil {
		t.Fatalf("the bot did not answer /start while the menu failed: %v\nlogs:\n%s", err, s.logs)
	}

	// Once Telegram takes it, the menu is set, by the same process.
	tg.ClearFailures()
	s.logs.waitFor(t, "telegram: setMyCommands succeeded after retries", s.done)
	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v after cancel", err)
	}
}

// TestRun_ServeGetMeOutage: getMe answering 500 does not stop serve: it is healthy and
// ready (PostgreSQL is up), its webhook stores updates, and it handles them once getMe
// answers. A 500 is Telegram's trouble: nothing blames the token.
func TestRun_ServeGetMeOutage(t *testing.T) {
	t.Parallel()
	pool, dbURL := pgtest.NewDB(t)
	env, tg := webhookEnv(t, dbURL)
	tg.FailAll("getMe", http.StatusInternalServerError, "Internal Server Error", 0)

	s := start(t, env, "serve")
	addr := s.logs.waitFor(t, "http server listening", s.done)["addr"].(string)
	base := "http://" + addr
	s.logs.waitFor(t, "telegram: getMe failed; retrying", s.done)
	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz during the outage = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz during the outage = %d %q", code, body)
	}

	// An update comes while the bot does not know who it is: it is stored, and waits.
	tg.SetWebhook(base+"/telegram/webhook", "startup-secret")
	shopper := tg.NewUser(sandbox.UserSpec{ID: 5202, FirstName: "Ivan", LanguageCode: "en"})
	sent := make(chan error, 1)
	go func() { sent <- shopper.Send(context.Background(), "/start") }()
	waitUntil(t, "the update stored", func() bool { return countUpdates(t, pool) == 1 })
	if len(shopper.Messages()) != 1 {
		t.Errorf("the bot answered before it knew its name: %+v", shopper.Messages())
	}

	tg.ClearFailures()
	s.logs.waitFor(t, "telegram: bot ready", s.done)
	if err := <-sent; err != nil {
		t.Fatalf("send /start: %v", err)
	}
	if _, err := shopper.WaitMessage(t.Context(), func(m sandbox.Message) bool { return m.FromBot }); err != nil {
		t.Fatalf("the bot did not answer the stored /start once getMe answered: %v\nlogs:\n%s", err, s.logs)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v after cancel", err)
	}
	for _, hint := range []string{"VITRINA_TELEGRAM_TOKEN", "token right", "Unauthorized"} {
		if strings.Contains(s.logs.String(), hint) {
			t.Errorf("the logs blame the token (%q) for a 500:\n%s", hint, s.logs)
		}
	}
}

// countUpdates returns how many updates the inbox stored.
func countUpdates(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM telegram_updates`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRun_TelegramRefusesToken: a 401 (the token is wrong or revoked) will not heal: serve
// and worker stop with an error naming VITRINA_TELEGRAM_TOKEN. So does a 404 (no bot at the
// Bot API URL), naming VITRINA_TELEGRAM_API_URL.
func TestRun_TelegramRefusesToken(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"Serve401", []string{"serve"}, http.StatusUnauthorized, "VITRINA_TELEGRAM_TOKEN is wrong or was revoked"},
		{"Worker401", []string{"worker"}, http.StatusUnauthorized, "VITRINA_TELEGRAM_TOKEN is wrong or was revoked"},
		{"Serve404", []string{"serve"}, http.StatusNotFound, "check VITRINA_TELEGRAM_API_URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, dbURL := pgtest.NewDB(t)
			env, tg := testEnv(t, dbURL, nil)
			tg.FailAll("getMe", c.code, "", 0)
			s := start(t, env, c.args...)
			select {
			case <-s.done:
			case <-time.After(time.Minute): // a hang guard, not a speed check
				t.Fatalf("%s kept running after getMe answered %d; logs:\n%s", c.args[0], c.code, s.logs)
			}
			if s.err == nil || !strings.Contains(s.err.Error(), c.want) || !strings.Contains(s.err.Error(), "getMe") {
				t.Errorf("run = %v, want an error about getMe saying %q", s.err, c.want)
			}
			if n := len(tg.CallsTo("getMe")); n != 1 {
				t.Errorf("getMe called %d times, want once: a %d does not heal", n, c.code)
			}
		})
	}
}

// TestRun_SetWebhook429: setWebhook answered 429 is tried again after retry_after, and the
// webhook is set, with max_connections from VITRINA_WEBHOOK_MAX_CONNECTIONS.
func TestRun_SetWebhook429(t *testing.T) {
	t.Parallel()
	_, dbURL := pgtest.NewDB(t)
	env, tg := webhookEnv(t, dbURL)
	env = overrideEnv(env, map[string]string{"VITRINA_WEBHOOK_MAX_CONNECTIONS": "7"})
	tg.FailNext("setWebhook", http.StatusTooManyRequests, "", 1)

	s := start(t, env, "serve")
	warn := s.logs.waitFor(t, "telegram: setWebhook failed; retrying", s.done)
	if warn["retry_in"] != "1s" {
		t.Errorf("retry_in = %v, want retry_after's 1s", warn["retry_in"])
	}
	s.logs.waitFor(t, "telegram: receiving updates by webhook", s.done)
	if url, secret := tg.Webhook(); url != "https://shop.example.com/telegram/webhook" || secret != "startup-secret" {
		t.Errorf("webhook = %q, %q; want the configured one", url, secret)
	}
	calls := tg.CallsTo("setWebhook")
	if len(calls) != 2 {
		t.Fatalf("%d setWebhook calls, want 2 (a 429, then success)", len(calls))
	}
	if got := calls[1].Params["max_connections"]; got != float64(7) {
		t.Errorf("max_connections = %v, want 7", got)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v after cancel", err)
	}
}

// TestRun_WorkerWaitsForBot: the worker takes no task before getMe answered (its handlers
// send with the bot), stays up meanwhile, and starts when Telegram is back.
func TestRun_WorkerWaitsForBot(t *testing.T) {
	t.Parallel()
	_, dbURL := pgtest.NewDB(t)
	env, tg := testEnv(t, dbURL, nil)
	tg.FailAll("getMe", http.StatusBadGateway, "", 0)

	s := start(t, env, "worker", "--http-addr", "127.0.0.1:0")
	addr := s.logs.waitFor(t, "http server listening", s.done)["addr"].(string)
	s.logs.waitFor(t, "telegram: getMe failed; retrying", s.done)
	if code, body := get(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q", code, body)
	}
	if strings.Contains(s.logs.String(), `"msg":"worker started"`) {
		t.Error("the worker started taking tasks before the bot was ready")
	}
	tg.ClearFailures()
	s.logs.waitFor(t, "worker started", s.done)
	if err := s.stop(t); err != nil {
		t.Errorf("worker returned %v after cancel", err)
	}
}

// TestRedisLogThroughSlog: go-redis's own log lines (a failed dial) reach the app's JSON
// log, not stderr as plain text. Not parallel: go-redis's logger is the process's.
func TestRedisLogThroughSlog(t *testing.T) {
	var buf lockedBuffer
	cfg := Config{LogFormat: "json", LogLevel: 0}
	routeRedisLog(newLogger(cfg, &buf))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: closed, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Ping(t.Context()).Err(); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	found := false
	for line := range bytes.Lines(buf.Bytes()) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Errorf("a log line is not JSON: %q", line)
			continue
		}
		if m["msg"] == "redis client" && m["component"] == "redis" && strings.Contains(m["detail"].(string), "dial") {
			found = true
		}
	}
	if !found {
		t.Errorf("go-redis's failed dial is not in the JSON log:\n%s", buf.Bytes())
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
