package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/ratelimit"
)

// `vitrina bench broadcast` measures the sender the way it runs in production:
// real worker processes (`vitrina worker`, as many as asked), the real Redis
// for the queues and the shared rate limits, PostgreSQL, and the sandbox as
// Telegram, enforcing Telegram's limits with 429s. Every limit is scaled by one
// factor so that a broadcast of 20,000 messages takes seconds, not minutes.

const benchUsage = `usage: vitrina bench broadcast [flags]

Sends a broadcast through the real sender: worker processes, Redis, PostgreSQL,
and the sandbox Bot API enforcing Telegram's limits (429 with retry_after when a
limit is broken), every limit scaled by --scale. It uses (and empties) its own
database and Redis database, given by the flags.
`

// benchSandboxToken is the sandbox bot's token: any well-formed one.
const benchSandboxToken = "777000:BenchBenchBenchBenchBenchBenchBench"

// Chat ids of the benchmark's people.
const (
	benchFirstRecipient = 5_000_000
	benchRegulars       = 20  // chats that get several messages straight to the sender
	benchRegularEvery   = 250 // every 250 messages, a regular gets benchRegularRun in a row
	benchRegularRun     = 5
	benchSeller         = 4_999_998 // the seller; the broadcast's progress is edited in their chat
	benchPayer          = 4_999_999 // the chat of the payment confirmation sent mid-broadcast
)

func cmdBench(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "drop" {
		return cmdBenchDrop(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "broadcast" {
		fmt.Fprint(e.stderr, benchUsage+"\n"+benchDropUsage)
		return usageError{"bench: the benchmarks are \"broadcast\" and \"drop\""}
	}
	fs := e.flags("bench broadcast")
	fs.Usage = func() { fmt.Fprint(e.stderr, benchUsage); fs.PrintDefaults() }
	messages := fs.Int("messages", 20000, "broadcast messages to send")
	scale := fs.Float64("scale", 20, "multiply every Telegram limit by this (20: 600 messages/s overall, 20/s per chat)")
	workerCount := fs.Int("workers", 1, "worker processes")
	concurrency := fs.Int("concurrency", 64, "tasks each worker process runs at once")
	dbURL := fs.String("database-url", "postgres://postgres@127.0.0.1:5432/vitrina_bench?sslmode=disable", "PostgreSQL database to create anew (its name must start with vitrina_bench)")
	redisURL := fs.String("redis-url", "redis://127.0.0.1:6379/3", "Redis database to use and empty (not 0)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	via := fs.String("via", "sender", `"sender": the messages go straight to the sender; "broadcast": a seller's broadcast to the shop's subscribers (service, pages of recipients, their checks and outcomes, progress)`)
	if err := e.parse(fs, args[1:]); err != nil {
		return err
	}
	switch {
	case *messages < 100:
		return usageError{"--messages must be at least 100"}
	case !(*scale > 0) || math.IsInf(*scale, 0):
		return usageError{"--scale must be positive"}
	case *workerCount < 1 || *workerCount > 16:
		return usageError{"--workers must be 1-16"}
	case *concurrency < 1:
		return usageError{"--concurrency must be positive"}
	case *via != "sender" && *via != "broadcast":
		return usageError{`--via must be "sender" or "broadcast"`}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	b := &broadcastBench{
		e: e, messages: *messages, scale: *scale, workers: *workerCount, concurrency: *concurrency,
		dbURL: *dbURL, redisURL: *redisURL, viaBroadcast: *via == "broadcast",
		limits: ratelimit.DefaultLimits().Scale(*scale),
	}
	return b.run(ctx)
}

// broadcastBench is one run of the benchmark.
type broadcastBench struct {
	e           *env
	messages    int
	scale       float64
	workers     int
	concurrency int
	dbURL       string
	redisURL    string
	limits      ratelimit.Limits
	// viaBroadcast sends a seller's broadcast instead of messages straight to the sender.
	viaBroadcast bool

	watch *watchingLimiter
}

func (b *broadcastBench) logf(format string, args ...any) {
	fmt.Fprintf(b.e.stdout, format+"\n", args...)
}

func (b *broadcastBench) run(ctx context.Context) error {
	// Telegram: the sandbox, on its own port, enforcing Telegram's limits scaled.
	sandboxLimits := sandbox.TelegramRateLimits()
	sandboxLimits.Scale = b.scale
	b.watch = &watchingLimiter{inner: sandbox.NewRateLimiter(sandboxLimits), last: map[int64]time.Time{}, minGap: time.Hour}
	tg := sandbox.New(sandbox.Config{Token: benchSandboxToken, BotUsername: "vitrina_bench_bot", Limiter: b.watch})
	defer tg.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("sandbox listener: %w", err)
	}
	srv := &http.Server{Handler: tg, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	apiURL := "http://" + ln.Addr().String()
	recipients := b.recipients()
	for _, id := range append(recipients, benchPayer, benchSeller) {
		tg.NewUser(sandbox.UserSpec{ID: id, FirstName: "Reader " + strconv.FormatInt(id, 10), StartedBot: true})
	}

	// A database of its own, created anew, and a Redis database emptied.
	instance, err := b.freshDatabase(ctx)
	if err != nil {
		return err
	}
	rdb, queue, inspector, err := b.freshRedis(ctx)
	if err != nil {
		return err
	}
	defer rdb.Close()
	defer queue.Close()
	defer inspector.Close()

	via := "straight to the sender"
	if b.viaBroadcast {
		via = "as a seller's broadcast"
	}
	b.logf("bench broadcast: %d messages %s, %d worker process(es) x %d, limits x%g: %.0f/s overall, %.3g/s per chat, %.3g/min per group",
		b.messages, via, b.workers, b.concurrency, b.scale, b.limits.Global, b.limits.PerChat, b.limits.PerGroup*60)

	stop, err := b.startWorkers(ctx, apiURL)
	if err != nil {
		return err
	}
	defer stop()
	if err := waitWorkers(ctx, inspector, b.workers); err != nil {
		return err
	}

	sender := workers.New(workers.Deps{Queue: queue, Redis: rdb, Instance: instance})
	if b.viaBroadcast {
		if err := b.startBroadcast(ctx, apiURL, recipients); err != nil {
			return err
		}
	} else {
		// The messages go straight to the sender: one task per message, in the
		// broadcast queue, as a broadcast's messages to try again go.
		b.watch.start(time.Now())
		start := time.Now()
		msgs := make([]core.Message, 0, 500)
		for i, chat := range recipients {
			msgs = append(msgs, benchMessage(fmt.Sprintf("bench:%d", i), chat, core.PriorityBroadcast))
			if len(msgs) == cap(msgs) || i == len(recipients)-1 {
				if err := sender.Send(ctx, msgs...); err != nil {
					return fmt.Errorf("enqueue the broadcast: %w", err)
				}
				msgs = msgs[:0]
			}
		}
		b.logf("enqueued %d messages in %.1f s", len(recipients), time.Since(start).Seconds())
	}

	// Halfway through, a payment confirmation: how long does it wait?
	if err := b.watch.waitFor(ctx, func() bool { return b.watch.sent >= len(recipients)/2 }); err != nil {
		return fmt.Errorf("halfway: %w (sent %d)", err, b.watch.sentCount())
	}
	b.watch.markPayment(time.Now())
	if err := sender.Send(ctx, benchMessage("bench:payment", benchPayer, core.PriorityOrder)); err != nil {
		return fmt.Errorf("enqueue the payment confirmation: %w", err)
	}
	if err := b.watch.waitFor(ctx, func() bool { return b.watch.sent >= len(recipients)+1 }); err != nil {
		return fmt.Errorf("the end: %w (sent %d of %d)", err, b.watch.sentCount(), len(recipients)+1)
	}
	return b.report()
}

// startBroadcast makes a shop whose subscribers are the recipients and starts a
// seller's broadcast to them, as the admin menu does: the workers relay its job,
// write its recipients, send them page by page (a check of each page's
// recipients, the outcomes recorded in batches), and edit the seller's progress
// message.
func (b *broadcastBench) startBroadcast(ctx context.Context, apiURL string, recipients []int64) error {
	start := time.Now()
	pool, err := postgres.Open(ctx, b.dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	clock := core.SystemClock{}
	users := user.NewService(postgres.NewUsers(pool), clock)
	cat := catalog.NewService(postgres.NewCatalog(pool), clock, nil)
	casts := broadcast.NewService(postgres.NewBroadcasts(pool), clock)
	if _, err := users.Touch(ctx, user.Seen{ID: benchSeller, FirstName: "Марина", TelegramLang: "ru"}); err != nil {
		return err
	}
	shop, err := cat.CreateShop(ctx, benchSeller, catalog.NewShop{Name: "Лавка Марины", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		return err
	}
	if err := parallel(ctx, recipients, func(ctx context.Context, id int64) error {
		if _, err := users.Touch(ctx, user.Seen{ID: core.UserID(id), FirstName: "Reader", TelegramLang: "ru"}); err != nil {
			return err
		}
		return casts.Subscribe(ctx, core.UserID(id), shop.ID)
	}); err != nil {
		return fmt.Errorf("subscribe the recipients: %w", err)
	}
	progress, err := b.progressMessage(ctx, apiURL)
	if err != nil {
		return err
	}
	b.logf("set up a shop with %d subscribers in %.1f s", len(recipients), time.Since(start).Seconds())
	b.watch.start(time.Now())
	if _, err := casts.Start(ctx, benchSeller, broadcast.Draft{
		Key: "bench", ShopID: shop.ID,
		Content:      broadcast.Content{Text: "Новинки недели: платья из льна, −15% до воскресенья."},
		Audience:     broadcast.Audience{Kind: broadcast.AudienceSubscribers},
		ProgressChat: benchSeller, ProgressMessageID: progress,
	}); err != nil {
		return fmt.Errorf("start the broadcast: %w", err)
	}
	return nil
}

// progressMessage sends the seller the message the broadcast's progress is
// edited into, as the admin menu does when the seller confirms.
func (b *broadcastBench) progressMessage(ctx context.Context, apiURL string) (int, error) {
	api, err := telego.NewBot(benchSandboxToken, telego.WithAPIServer(apiURL),
		telego.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}), telego.WithDiscardLogger())
	if err != nil {
		return 0, err
	}
	m, err := api.SendMessage(ctx, &telego.SendMessageParams{ChatID: telego.ChatID{ID: benchSeller}, Text: "Рассылка запускается…"})
	if err != nil {
		return 0, fmt.Errorf("send the progress message: %w", err)
	}
	return m.MessageID, nil
}

// parallel calls fn for every id from 16 goroutines, and returns the first error.
func parallel(ctx context.Context, ids []int64, fn func(context.Context, int64) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int64)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for id := range next {
				if err := fn(ctx, id); err != nil {
					cancel(err)
				}
			}
		})
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- id
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// recipients are the chats the messages go to. A seller's broadcast writes to
// each subscriber once, and edits the seller's progress message often: that
// chat shows the per-chat limit. Straight to the sender, a few regulars get a
// run of messages in a row now and then instead.
func (b *broadcastBench) recipients() []int64 {
	out := make([]int64, b.messages)
	for i := range out {
		out[i] = benchFirstRecipient + benchRegulars + int64(i)
		if !b.viaBroadcast && i%benchRegularEvery < benchRegularRun {
			out[i] = benchFirstRecipient + int64(i/benchRegularEvery%benchRegulars)
		}
	}
	return out
}

func benchMessage(key string, chat int64, prio core.Priority) core.Message {
	params, _ := json.Marshal(map[string]any{"chat_id": chat, "text": "Новинки недели: платья из льна, −15% до воскресенья."})
	return core.Message{Key: key, Chat: chat, User: core.UserID(chat), Priority: prio, Method: "sendMessage", Params: params}
}

// freshDatabase drops and creates the benchmark's database, migrates it, and
// returns its instance id.
func (b *broadcastBench) freshDatabase(ctx context.Context) (string, error) {
	return freshDatabase(ctx, b.dbURL)
}

// freshDatabase drops the benchmark's database (its name must start with
// vitrina_bench), creates and migrates it anew, and returns its instance id.
func freshDatabase(ctx context.Context, dbURL string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", usageError{"--database-url: not a URL"}
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !strings.HasPrefix(name, "vitrina_bench") {
		return "", usageError{"--database-url: the database is dropped and created anew, so its name must start with vitrina_bench"}
	}
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return "", fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	conn.Close(ctx)
	if err != nil {
		return "", fmt.Errorf("drop %s: %w", name, err)
	}
	if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
		return "", err
	}
	if err := postgres.Migrate(ctx, dbURL, postgres.MigrateUp, io.Discard); err != nil {
		return "", err
	}
	pool, err := postgres.Open(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	return postgres.InstanceID(ctx, pool)
}

// freshRedis connects to the benchmark's Redis database and empties it.
func (b *broadcastBench) freshRedis(ctx context.Context) (redis.UniversalClient, *asynq.Client, *asynq.Inspector, error) {
	return freshRedis(ctx, b.redisURL)
}

// freshRedis connects to a benchmark's Redis database (not 0) and empties it.
func freshRedis(ctx context.Context, redisURL string) (redis.UniversalClient, *asynq.Client, *asynq.Inspector, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, nil, nil, usageError{"--redis-url: not a Redis URL"}
	}
	if o, ok := opt.(asynq.RedisClientOpt); !ok || o.DB == 0 {
		return nil, nil, nil, usageError{"--redis-url: name a database other than 0 (redis://host:6379/3): the benchmark empties it"}
	}
	rdb, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, nil, nil, errors.New("redis client of unexpected type")
	}
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		rdb.Close()
		return nil, nil, nil, fmt.Errorf("empty the benchmark's Redis database: %w", err)
	}
	return rdb, asynq.NewClientFromRedisClient(rdb), asynq.NewInspectorFromRedisClient(rdb), nil
}

// startWorkers starts the worker processes and returns what stops them.
func (b *broadcastBench) startWorkers(ctx context.Context, apiURL string) (func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary: %w", err)
	}
	env := append(os.Environ(),
		"VITRINA_DATABASE_URL="+b.dbURL,
		"VITRINA_REDIS_URL="+b.redisURL,
		"VITRINA_TELEGRAM_TOKEN="+benchSandboxToken,
		"VITRINA_TELEGRAM_API_URL="+apiURL,
		"VITRINA_WORKER_CONCURRENCY="+strconv.Itoa(b.concurrency),
		"VITRINA_SEND_RATE=30",
		"VITRINA_PAID_BROADCAST=false",
		"VITRINA_LOG_LEVEL=warn",
		"VITRINA_CONFIG=",
	)
	// The workers' output goes to ours, from one copying goroutine per stream
	// unless ours is a file: one writer at a time.
	out := &lockedWriter{w: b.e.stderr}
	var cmds []*exec.Cmd
	stop := func() {
		for _, c := range cmds {
			c.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range cmds {
			c.Wait()
		}
	}
	for range b.workers {
		c := exec.CommandContext(ctx, self, "worker", "--rate-scale", strconv.FormatFloat(b.scale, 'g', -1, 64))
		c.Env = env
		c.Stdout, c.Stderr = out, out
		c.Cancel = func() error { return c.Process.Signal(syscall.SIGTERM) }
		c.WaitDelay = 15 * time.Second
		if err := c.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("start a worker: %w", err)
		}
		cmds = append(cmds, c)
	}
	return stop, nil
}

// waitWorkers waits until n asynq servers are up.
func waitWorkers(ctx context.Context, inspector *asynq.Inspector, n int) error {
	for {
		servers, err := inspector.Servers()
		if err == nil && len(servers) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d worker(s) to start: %w", n, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// report prints what the sandbox saw; the last line is for scripts.
func (b *broadcastBench) report() error {
	w := b.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	seconds := w.lastAt.Sub(w.firstAt).Seconds()
	// Every call after the first, over the time they took: the progress edits take
	// slots of the global limit too.
	rate := float64(w.sent+w.editsAfterFirst-1) / seconds
	fraction := rate / b.limits.Global
	minGap := w.minGap
	if minGap == time.Hour {
		minGap = 0
	}
	wait := w.paymentAt.Sub(w.paymentQueued)
	b.logf("sent %d messages and %d edits of the seller's progress in %.1f s: %.0f/s, %.3f of the global limit of %.0f/s",
		w.sent, w.edits, seconds, rate, fraction, b.limits.Global)
	b.logf("answered 429 (Too Many Requests): %d", w.refused)
	b.logf("closest two messages to one chat: %d ms apart (the per-chat limit allows %.0f ms)", minGap.Milliseconds(), 1000/b.limits.PerChat)
	b.logf("a payment confirmation enqueued halfway waited %d ms", wait.Milliseconds())
	b.logf("broadcast: messages=%d seconds=%.1f rate_fraction=%.3f got_429=%d min_chat_gap_ms=%d payment_wait_ms=%d workers=%d",
		w.sent, seconds, fraction, w.refused, minGap.Milliseconds(), wait.Milliseconds(), b.workers)
	return nil
}

// watchingLimiter is the sandbox's limiter, watched: it counts the sends it let
// through and refused, and the closest two sends to one chat.
type watchingLimiter struct {
	inner sandbox.Limiter

	mu              sync.Mutex
	sent            int
	refused         int
	firstAt         time.Time
	lastAt          time.Time
	last            map[int64]time.Time
	minGap          time.Duration
	started         bool
	edits           int // of the seller's progress message
	editsAfterFirst int // of them, after the broadcast's first message
	paymentQueued   time.Time
	paymentAt       time.Time
}

func (w *watchingLimiter) Allow(req sandbox.LimitRequest) (time.Duration, bool) {
	retry, ok := w.inner.Allow(req)
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !ok {
		w.refused++
		return retry, ok
	}
	if !w.started {
		return retry, ok
	}
	chat := req.Chat.ID
	if chat == benchPayer {
		w.paymentAt = now
	}
	edit := strings.HasPrefix(req.Method, "edit")
	if w.sent == 0 && edit {
		// The progress message says "0 of N" before the first page is composed:
		// the rate counts from the first message of the broadcast.
		w.edits++
		return retry, ok
	}
	if w.sent == 0 {
		w.firstAt = now
	}
	if edit {
		w.edits++
		w.editsAfterFirst++
	} else {
		w.sent++
	}
	w.lastAt = now
	if prev, seen := w.last[chat]; seen && now.Sub(prev) < w.minGap {
		w.minGap = now.Sub(prev)
	}
	w.last[chat] = now
	return retry, ok
}

// start makes the sends from now on count.
func (w *watchingLimiter) start(time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.started = true
}

func (w *watchingLimiter) sentCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sent
}

func (w *watchingLimiter) markPayment(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paymentQueued = at
}

// waitFor polls cond (under the lock) until it holds or ctx ends.
func (w *watchingLimiter) waitFor(ctx context.Context, cond func() bool) error {
	for {
		w.mu.Lock()
		ok := cond()
		w.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// lockedWriter writes to w one Write at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
