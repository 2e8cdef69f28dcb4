package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// newLogger returns the process logger writing to w: JSON lines for log collectors, or text
// for a person at a terminal. cfg.LogFormat picks one; when it is empty, text is used if w is
// a terminal and JSON otherwise. Every line has cfg's secrets scrubbed (see secrets).
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: newSecrets(cfg).replaceAttr}
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// asynqLogger adapts slog to asynq.Logger. asynq's Info lines are its own start and stop
// chatter ("Starting processing", "Waiting for all workers to finish...", seven of them per
// run), which runWorker already says in one line each: they go to Debug.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// Fatal is part of asynq.Logger's contract ("log, then exit with status 1"). asynq v0.26 never
// calls it.
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...))
	os.Exit(1)
}

// redisLog is go-redis's logger: the library logs with log.Printf to stderr, which puts
// plain-text lines ("redis: 2026/11/02 ... failed to dial after 5 attempts") into the
// JSON log, once per failed dial during a Redis outage. Its logger is one for the whole
// process (redis.SetLogger), so it is set once and writes to the logger of the app made
// last: there is one app per process, except in tests.
var (
	redisLog     atomic.Pointer[slog.Logger]
	redisLogOnce sync.Once
)

// routeRedisLog sends go-redis's log lines to logger, as warnings of component "redis".
func routeRedisLog(logger *slog.Logger) {
	redisLog.Store(logger.With("component", "redis"))
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{}) })
}

// redisLogger adapts slog to go-redis's logging interface.
type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l := redisLog.Load()
	if l == nil {
		return
	}
	msg := strings.TrimSpace(strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
	l.WarnContext(ctx, "redis client", "detail", msg)
}
