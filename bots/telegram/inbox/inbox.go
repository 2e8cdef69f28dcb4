// Package inbox receives Telegram updates without losing or doubling them.
//
// Every update is stored in PostgreSQL, byte for byte as Telegram sent it and
// de-duplicated by (bot id, update_id), before Telegram is told it arrived (the webhook
// answers 200, long polling moves its offset). Then the updates of its chat are handled
// one at a time in update_id order, in the background, by whichever replica holds the
// chat's lease; different chats run in parallel (a user's shipping and pre-checkout
// queries count as a chat of their own: see route). A sweeper picks up what a crashed
// replica left and retries failed attempts when they are due.
//
// What the handler gets: before an update is decoded for the handler, a copy is
// cleaned in one way (see clean): \u0000 escapes inside JSON strings, escapes of lone
// UTF-16 surrogates (\ud800) and bytes that are not valid UTF-8 become U+FFFD, the
// replacement character. Handlers store what users type in PostgreSQL text columns,
// which refuse NUL, and telego's decoders would otherwise let invalid UTF-8 through. An
// update that does not decode at all (a type this telego version does not know) is
// stored and set aside at once as failed ("decode: ...").
//
// A handler error is classified (see classify): a 429 or an error marked by RetryAfter
// is retried after exactly the wait it names; Telegram's or the network's trouble (5xx,
// timeouts, refused or reset connections) and PostgreSQL unreachable are retried with
// a pause doubling from Options.RetryBackoff up to Options.MaxOutageBackoff, for
// Options.OutageWindow from the update's arrival; a 400, 401 or 403 of the Bot API
// sets the update aside at once; anything else (a bug) is tried Options.MaxAttempts
// times with a pause doubling from Options.RetryBackoff. Meanwhile the chat's later
// updates wait; other chats never do. An attempt is counted before the handler runs:
// an update whose attempts never finish (it kills its process every time) is set aside
// after Options.MaxAttempts of them in a row.
//
// An update set aside as failed is counted in vitrina_telegram_updates_failed_total
// (labels kind and reason: decode, permanent, attempts, outage, crashed), logged once
// with its update_id, kind and reason, and kept (see inboxstore.Store.Prune) for an
// operator to replay. It never blocks other updates or its own chat.
//
// Delivery to the handler is at least once: a replica that dies in the middle of an
// update, or loses its lease, means the update is handled again. Handlers are
// idempotent (see the developers' guide).
//
// Two replicas can handle one chat at the same time only when the first lost its
// lease while a handler ran: it could not renew it for a whole LeaseTTL (a long
// pause, the database unreachable) and the sweeper of another gave the chat to it.
// The first then cancels its handler's context (cause ErrLeaseLost), so the work
// stops, its transactions roll back, and its outcome is not recorded; what it did
// before that is made safe by the handlers' own idempotency (checkout keys, payment
// charge ids, the order row locks). Messages may then be sent twice.
//
// The order is update_id order among the updates stored when a chat's turn comes: an
// update that reaches us after a later one of its chat was handled (Telegram sent them
// over two webhook connections at once) is handled after it.
package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mymmrac/telego"
	"github.com/prometheus/client_golang/prometheus"
)

// Handler handles updates: the bot.
type Handler interface {
	// HandleUpdate handles one update. An error leaves the update pending or sets it
	// aside, as the package documentation tells. ctx (also u.Context()) ends after
	// Options.HandleTimeout; it is not cancelled when the request that brought the
	// update ends, nor at once when the process shuts down: an update in progress is
	// finished, if it takes less than Options.ShutdownGrace more. A panic counts as an
	// error.
	HandleUpdate(ctx context.Context, u telego.Update) error
}

// Store keeps updates and the chats' leases. It is implemented by inboxstore.Store, with
// builtin types only so that neither package imports the other. Updates are keyed by
// (botID, updateID). Durations and ages are measured by the store's own clock.
type Store interface {
	// SaveUpdate stores an update as received unless it is stored already, and
	// reports whether it stored it.
	SaveUpdate(ctx context.Context, botID, updateID, chatKey int64, body []byte) (bool, error)
	// SaveFailed stores an update already set aside as failed with reason, unless it
	// is stored already, and reports whether it stored it.
	SaveFailed(ctx context.Context, botID, updateID, chatKey int64, body []byte, reason string) (bool, error)
	// AcquireLease gives the chat to holder for ttl if no one holds it or the last
	// lease ran out, and reports whether it did; a holder never gets a lease it holds.
	AcquireLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error)
	// RenewLease extends holder's lease to ttl from now; false if holder lost it.
	RenewLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease frees the chat if holder holds it.
	ReleaseLease(ctx context.Context, chatKey int64, holder string) error
	// NextUpdate returns the chat's pending update with the lowest id, if any and
	// if it is not waiting for its retry time.
	NextUpdate(ctx context.Context, botID, chatKey int64) (updateID int64, body []byte, found bool, err error)
	// HasPending reports whether the chat has a pending update NextUpdate would
	// return.
	HasPending(ctx context.Context, botID, chatKey int64) (bool, error)
	// MarkHandled records that the update was handled (and forgets its body).
	MarkHandled(ctx context.Context, botID, updateID int64) error
	// StartAttempt counts an attempt before the handler runs. It returns the
	// attempts started (this one included; 0 when the update is no longer pending),
	// the attempts started in a row without an outcome (this one included), the
	// failures that counted toward the attempt limit, and the update's age.
	StartAttempt(ctx context.Context, botID, updateID int64) (attempt, unfinished, failures int, age time.Duration, err error)
	// FailAttempt records the outcome of a failed attempt: errText, and the update
	// given up (no longer pending) or due again after retryAfter; counted counts the
	// failure toward the limit. It reports false when the update was not pending.
	FailAttempt(ctx context.Context, botID, updateID int64, errText string, counted, giveUp bool, retryAfter time.Duration) (bool, error)
	// UpdateStatus returns the update's chat and whether it is settled: handled,
	// given up, or its last attempt recorded its outcome. found is false for an
	// update not stored.
	UpdateStatus(ctx context.Context, botID, updateID int64) (chatKey int64, settled, found bool, err error)
	// StaleChats returns up to limit chats with a pending update older than
	// olderThan, none waiting for its retry time, and no live lease.
	StaleChats(ctx context.Context, botID int64, olderThan time.Duration, limit int) ([]int64, error)
	// AdoptUpdates moves the pending updates of bot 0 (stored before updates had a
	// bot) to botID, and returns how many.
	AdoptUpdates(ctx context.Context, botID int64) (int64, error)
	// Prune deletes handled updates older than olderThan and returns how many;
	// failed ones are kept for an operator to replay.
	Prune(ctx context.Context, olderThan time.Duration) (int64, error)
}

// Options tune an Inbox. Zero fields take the defaults named.
type Options struct {
	// BotID is the bot's id, the number before ':' in its token (see BotID): update
	// ids are unique per bot only. Default 0.
	BotID int64
	// Holder names this replica in chat leases: unique per Inbox. Default: host name,
	// process id and a random suffix.
	Holder string
	// LeaseTTL is how long a chat stays with a replica that stopped renewing its lease
	// (it crashed): its chat waits that long. Renewed every third of it. Default 30 s.
	LeaseTTL time.Duration
	// MaxAttempts is how many times an update whose handler fails with an error that
	// is neither Telegram's nor the network's (a bug) is tried before it is set aside;
	// also how many attempts in a row may never finish. Default 8: with the default
	// RetryBackoff, about two minutes of trying.
	MaxAttempts int
	// RetryBackoff is the pause before an update that failed is tried again; it
	// doubles with each attempt, up to 5 minutes (MaxOutageBackoff for outages).
	// Meanwhile the chat's later updates wait. Default 1 s.
	RetryBackoff time.Duration
	// OutageWindow is how long, from its arrival, an update failing because of
	// Telegram or the network (or on 429s) is tried again before it is set aside.
	// Default 3 hours.
	OutageWindow time.Duration
	// MaxOutageBackoff caps the pause between two attempts during an outage.
	// Default 1 min.
	MaxOutageBackoff time.Duration
	// SweepEvery is how often RunSweeper looks for pending updates no one is handling.
	// Default 2 s.
	SweepEvery time.Duration
	// StaleAfter is how long a pending update is left to the replica that received it
	// before the sweeper takes it. Default 1 s.
	StaleAfter time.Duration
	// Retention is how long handled updates are kept: the de-duplication horizon
	// (failed ones are kept until an operator replays or deletes them).
	// Default 7 days.
	Retention time.Duration
	// HandleTimeout bounds one call of the handler. Default 1 min.
	HandleTimeout time.Duration
	// ShutdownGrace is how long an update in progress when the drain's context ends
	// (RunSweeper's, Poll's or Receive's: the process shuts down) may still run; then
	// its handler's context ends with cause ErrShuttingDown and the update is left
	// pending, due at once, the attempt not counted. It keeps a shutdown within a
	// container's stop timeout (usually 30 s) whatever HandleTimeout is. Default 15 s.
	ShutdownGrace time.Duration
	// MaxParallel bounds the chats that RunSweeper (updates from the webhook, and the
	// sweeps) and Poll drain at once, each. Default 32.
	MaxParallel int
	// PollTimeout is the long-polling timeout of getUpdates; the bot's HTTP client
	// must wait longer than that. Default 25 s.
	PollTimeout time.Duration
	// Registerer receives the Inbox's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Express, if set, is asked first about every webhook update: ok true means
	// it dealt with the update, which is not stored, and answer (a Bot API call
	// as JSON, or nil) is the webhook's response. On an error, or when ctx ends
	// (ExpressTimeout), the update is stored and handled like any other, so what
	// Express does must be durable and idempotent by itself, and agree with the
	// ordinary handler. Long polling does not ask it.
	Express func(ctx context.Context, body []byte) (answer []byte, ok bool, err error)
	// ExpressTimeout bounds one call of Express. Default 2 s.
	ExpressTimeout time.Duration
}

// Defaults of Options.
const (
	DefaultLeaseTTL         = 30 * time.Second
	DefaultMaxAttempts      = 8
	DefaultRetryBackoff     = time.Second
	DefaultOutageWindow     = 3 * time.Hour
	DefaultMaxOutageBackoff = time.Minute
	DefaultSweepEvery       = 2 * time.Second
	DefaultStaleAfter       = time.Second
	DefaultRetention        = 7 * 24 * time.Hour
	DefaultHandleTimeout    = time.Minute
	DefaultShutdownGrace    = 15 * time.Second
	DefaultMaxParallel      = 32
	DefaultPollTimeout      = 25 * time.Second
)

// pruneEvery is how often the sweeper deletes handled updates older than Retention.
const pruneEvery = time.Minute

// maxRetryBackoff bounds the pause between two attempts of an update failing with a
// bug.
const maxRetryBackoff = 5 * time.Minute

// staleChatsBatch bounds the chats one sweep picks up.
const staleChatsBatch = 100

// ErrNoUpdateID is returned by Receive for an update without a positive update_id,
// which cannot be de-duplicated.
var ErrNoUpdateID = errors.New("update has no update_id")

// ErrLeaseLost is the cause of the end of a handler's context when this replica
// lost its chat's lease while the handler ran: another replica may be handling the
// chat now (context.Cause tells it from a timeout).
var ErrLeaseLost = errors.New("the chat's lease was lost: another replica may handle it")

// ErrShuttingDown is the cause of the end of a handler's context when the process
// shut down and Options.ShutdownGrace ran out before the handler returned.
var ErrShuttingDown = errors.New("shutting down: the update is tried again later")

// Inbox receives updates, stores them and has them handled. It is safe for concurrent
// use; run one per process.
type Inbox struct {
	store   Store
	handler Handler
	log     *slog.Logger
	opt     Options
	policy  policy
	metrics *metrics

	// locks serializes the drains of a chat inside this process, so that a drain of
	// a chat another drain holds waits for it and then finds its update handled,
	// instead of finding the lease taken.
	locks chatLocks

	// slots bounds the background drains (RunSweeper's, and Poll's).
	slots chan struct{}

	mu sync.Mutex
	// kicked holds the chats with a background drain queued or running, and whether
	// it must run once more when it ends (more updates came meanwhile).
	kicked map[int64]bool
	// queued holds the chats the webhook stored updates of, for RunSweeper to drain,
	// in order; inQueue is its set.
	queued  []int64
	inQueue map[int64]bool
	// settled is closed (and replaced) whenever an attempt ends or a drain stops, so
	// that WaitSettled looks again at once.
	settled chan struct{}
	// wake tells RunSweeper that chats were queued.
	wake chan struct{}
	// expressed holds the last updates the express lane answered (never
	// stored), for WaitSettled; expressedOrder is their order, oldest first.
	expressed      map[int64]bool
	expressedOrder []int64
}

// maxExpressed bounds what the Inbox remembers of expressed updates.
const maxExpressed = 4096

// markExpressed remembers that the express lane answered update id.
func (i *Inbox) markExpressed(id int64) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.expressed == nil {
		i.expressed = make(map[int64]bool)
	}
	if i.expressed[id] {
		return
	}
	i.expressed[id] = true
	i.expressedOrder = append(i.expressedOrder, id)
	if len(i.expressedOrder) > maxExpressed {
		delete(i.expressed, i.expressedOrder[0])
		i.expressedOrder = i.expressedOrder[1:]
	}
}

// New returns an Inbox that keeps updates in store and hands them to h.
func New(store Store, h Handler, log *slog.Logger, opts Options) *Inbox {
	if opts.Holder == "" {
		opts.Holder = defaultHolder()
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = DefaultRetryBackoff
	}
	if opts.OutageWindow <= 0 {
		opts.OutageWindow = DefaultOutageWindow
	}
	if opts.MaxOutageBackoff <= 0 {
		opts.MaxOutageBackoff = DefaultMaxOutageBackoff
	}
	if opts.SweepEvery <= 0 {
		opts.SweepEvery = DefaultSweepEvery
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = DefaultStaleAfter
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.HandleTimeout <= 0 {
		opts.HandleTimeout = DefaultHandleTimeout
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = DefaultShutdownGrace
	}
	if opts.MaxParallel <= 0 {
		opts.MaxParallel = DefaultMaxParallel
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = DefaultPollTimeout
	}
	if opts.ExpressTimeout <= 0 {
		opts.ExpressTimeout = defaultExpressTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Inbox{
		store:   store,
		handler: h,
		log:     log.With("component", "inbox"),
		opt:     opts,
		policy: policy{
			maxAttempts:      opts.MaxAttempts,
			retryBackoff:     opts.RetryBackoff,
			outageWindow:     opts.OutageWindow,
			maxOutageBackoff: opts.MaxOutageBackoff,
		},
		metrics: newMetrics(opts.Registerer),
		locks:   chatLocks{chats: map[int64]*chatLock{}},
		slots:   make(chan struct{}, opts.MaxParallel),
		kicked:  map[int64]bool{},
		inQueue: map[int64]bool{},
		settled: make(chan struct{}),
		wake:    make(chan struct{}, 1),
	}
}

// BotID returns the bot's id in a bot token ("123456:ABC..." -> 123456), or 0 if the
// token has none.
func BotID(token string) int64 {
	id, _, _ := strings.Cut(token, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// defaultHolder names this process uniquely among replicas and restarts.
func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	random := make([]byte, 4)
	rand.Read(random) // never fails (crypto/rand, Go 1.24+)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(random))
}

// Receive stores the update and then handles its chat's pending updates, this one
// included, before it returns, if no other replica is handling that chat (that replica
// then handles it before it lets the chat go). It returns an error only when the update
// could not be stored. A redelivered update is not stored twice nor handled again. A
// handler error is not returned: the update is safe and the sweeper retries it. The
// webhook and Poll do the same, but handle the updates in the background.
//
// When ctx ends, Receive stops after the update in progress; the rest is left to the
// sweeper.
func (i *Inbox) Receive(ctx context.Context, u telego.Update) error {
	body, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("encode update %d: %w", u.UpdateID, err)
	}
	in, err := i.accept(ctx, body)
	if err != nil {
		return err
	}
	if in.pending {
		i.drain(ctx, in.chat)
	}
	return nil
}

// acquireFloor is the least time a drain waits for the chat's lease: with the
// short leases of tests (150 ms), a third of one is less than a loaded machine
// takes to answer, and the update would wait for the sweeper.
const acquireFloor = 2 * time.Second

// drain handles the chat's pending updates in order while it holds the chat's lease,
// and returns when none is left, when another replica holds the lease, when an update
// fails (the sweeper retries it), or when ctx ends (after the update in progress).
func (i *Inbox) drain(ctx context.Context, chat int64) {
	if err := i.locks.lock(ctx, chat); err != nil {
		return // the drain we waited for, or the sweeper, takes the update
	}
	defer i.locks.unlock(chat)
	bg := context.WithoutCancel(ctx)
	work, stopWork := i.graceful(ctx)
	defer stopWork()
	for ctx.Err() == nil {
		asked := time.Now() // the lease runs out LeaseTTL after this at the earliest
		// Not cut short by the end of ctx: a query cancelled while under way may still
		// take the lease, after a release sent at once has found nothing to free, and
		// the chat would then wait LeaseTTL for every replica.
		// Bounded by a third of the lease, but not below acquireFloor: a loaded
		// database answering a little late is not a failure.
		actx, cancel := context.WithTimeout(bg, max(i.opt.LeaseTTL/3, acquireFloor))
		ok, err := i.store.AcquireLease(actx, chat, i.opt.Holder, i.opt.LeaseTTL)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				i.log.Warn("acquire chat lease", "chat", chat, "error", err)
			}
			return
		}
		if !ok {
			// Another replica has the chat. It looks for pending updates again after
			// it releases the lease, so it handles the one we stored.
			return
		}
		if ctx.Err() != nil {
			if err := i.store.ReleaseLease(bg, chat, i.opt.Holder); err != nil {
				i.log.Warn("release chat lease", "chat", chat, "error", err)
			}
			return
		}
		emptied := i.drainLeased(ctx, work, chat, asked)
		if err := i.store.ReleaseLease(bg, chat, i.opt.Holder); err != nil {
			i.log.Warn("release chat lease", "chat", chat, "error", err) // it runs out by itself
			return
		}
		if !emptied {
			return
		}
		// An update stored while we held the lease found it taken and was left to us:
		// look again, now that the lease is free for its receiver too.
		pending, err := i.store.HasPending(ctx, i.opt.BotID, chat)
		if err != nil {
			if ctx.Err() == nil {
				i.log.Warn("look for pending updates", "chat", chat, "error", err)
			}
			return
		}
		if !pending {
			return
		}
	}
}

// graceful returns the context handlers run in: it outlives ctx by
// Options.ShutdownGrace, then ends with cause ErrShuttingDown. stop releases it.
func (i *Inbox) graceful(ctx context.Context) (work context.Context, stop func()) {
	work, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-work.Done():
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(i.opt.ShutdownGrace)
		defer t.Stop()
		select {
		case <-work.Done():
		case <-t.C:
			cancel(ErrShuttingDown)
		}
	}()
	return work, func() { cancel(nil) }
}

// drainLeased handles the chat's pending updates in order while the lease, asked for
// at asked, is held, renewing it, and reports whether it stopped because none was
// left (or the next waits for its retry time). Handlers run in work (see graceful).
func (i *Inbox) drainLeased(ctx, work context.Context, chat int64, asked time.Time) (emptied bool) {
	lease, stop := i.keepLease(ctx, work, chat, asked)
	defer stop()
	for ctx.Err() == nil && lease.Err() == nil {
		id, body, found, err := i.store.NextUpdate(ctx, i.opt.BotID, chat)
		if err != nil {
			if ctx.Err() == nil {
				i.log.Warn("read next update", "chat", chat, "error", err)
			}
			return false
		}
		if !found {
			return true
		}
		if !i.handle(ctx, lease, chat, id, body) {
			return false
		}
	}
	return false
}

// keepLease renews the chat's lease every third of its TTL until stop is called. The
// returned context ends with cause ErrLeaseLost as soon as the lease may belong to
// another replica: a renewal found it taken, or renewals failed for so long that it
// may run out before the next one (the last that worked was asked for at asked, or
// later). It is derived from work, not ctx: an update in progress is finished.
func (i *Inbox) keepLease(ctx, work context.Context, chat int64, asked time.Time) (lease context.Context, stop func()) {
	lease, cancel := context.WithCancelCause(work)
	every := i.opt.LeaseTTL / 3
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		held := asked // when the last renewal that worked was asked for
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			sent := time.Now()
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), every)
			ok, err := i.store.RenewLease(rctx, chat, i.opt.Holder, i.opt.LeaseTTL)
			rcancel()
			switch {
			case err == nil && ok:
				held = sent
			case err == nil:
				i.log.Warn("lost chat lease: another replica took the chat", "chat", chat)
				cancel(ErrLeaseLost)
				return
			case time.Since(held)+every >= i.opt.LeaseTTL:
				// The lease may run out before the next renewal: stop before another
				// replica can take the chat.
				i.log.Warn("chat lease not renewed in time: giving the chat up", "chat", chat, "error", err)
				cancel(ErrLeaseLost)
				return
			default:
				i.log.Warn("renew chat lease", "chat", chat, "error", err)
			}
		}
	})
	return lease, func() {
		close(done)
		wg.Wait()
		cancel(nil)
	}
}

// handle runs the handler on one update and records the outcome. It reports whether
// the update is finished (handled, or set aside) so the chat goes on; false leaves it
// pending and the chat waits for a retry. The handler's context is derived from
// lease, which ends when the chat's lease is lost: then nothing is recorded, the new
// holder takes the update over.
func (i *Inbox) handle(ctx, lease context.Context, chat, updateID int64, body []byte) bool {
	defer i.notifySettled()
	// Recording the outcome must not be cut short by the end of ctx: the work is done.
	bg := context.WithoutCancel(ctx)
	var a attemptState
	var err error
	a.attempt, a.unfinished, a.failures, a.age, err = i.store.StartAttempt(bg, i.opt.BotID, updateID)
	if err != nil {
		i.log.Warn("start attempt", "update_id", updateID, "chat", chat, "error", err)
		return false
	}
	if a.attempt == 0 {
		return true // handled or given up meanwhile (by a replica that held the chat before)
	}
	u, err := decodeUpdate(body)
	if err != nil {
		// It decoded when it was stored; only a change of telego could make it
		// unreadable, and trying again will not help.
		return i.giveUp(bg, updateID, kindOf(body), chat, reasonDecode, "decode: "+err.Error(), false)
	}
	kind, _ := route(u)
	if i.policy.crashed(a) {
		return i.giveUp(bg, updateID, kind, chat, reasonCrashed,
			fmt.Sprintf("crashed: %d attempts in a row never finished (did the process die?)", a.unfinished-1), false)
	}

	hctx, cancel := context.WithTimeout(lease, i.opt.HandleTimeout)
	start := time.Now()
	err = i.call(hctx, u.WithContext(hctx))
	cancel()
	i.metrics.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())

	if err == nil {
		// Recorded even if the lease was lost meanwhile: the work is done, and the new
		// holder need not do it again.
		if err := i.store.MarkHandled(bg, i.opt.BotID, updateID); err != nil {
			// It will be handled again; handlers are idempotent.
			i.log.Warn("record handled update", "update_id", updateID, "error", err)
			return false
		}
		i.metrics.handled.WithLabelValues(kind).Inc()
		i.log.Debug("update handled", "update_id", updateID, "kind", kind, "chat", chat, "took", time.Since(start))
		return true
	}
	switch cause := context.Cause(lease); {
	case errors.Is(cause, ErrLeaseLost):
		i.log.Warn("update stopped: the chat's lease was lost; its new holder handles it", "update_id", updateID, "kind", kind, "chat", chat, "error", err)
		return false
	case errors.Is(cause, ErrShuttingDown):
		// Not the update's fault: due again at once (for the next replica to take the
		// chat), and not counted, nor taken for a crash.
		if _, ferr := i.store.FailAttempt(bg, i.opt.BotID, updateID, ErrShuttingDown.Error(), false, false, 0); ferr != nil {
			i.log.Warn("record interrupted attempt", "update_id", updateID, "kind", kind, "chat", chat, "error", ferr)
		}
		i.log.Warn("update interrupted by shutdown: it is tried again", "update_id", updateID, "kind", kind, "chat", chat,
			"grace", i.opt.ShutdownGrace, "error", err)
		return false
	}

	i.metrics.errors.WithLabelValues(kind).Inc()
	class, wait := classify(err)
	v := i.policy.afterFailure(a, class, wait)
	if v.giveUp {
		return i.giveUp(bg, updateID, kind, chat, v.reason, err.Error(), v.counted)
	}
	if _, ferr := i.store.FailAttempt(bg, i.opt.BotID, updateID, err.Error(), v.counted, false, v.retryAfter); ferr != nil {
		i.log.Warn("record failed attempt", "update_id", updateID, "kind", kind, "chat", chat, "error", err, "record_error", ferr)
		return false
	}
	level := slog.LevelWarn
	if class != classBug && a.attempt&(a.attempt-1) != 0 {
		// An outage fails every update every minute for as long as it lasts: the
		// attempts numbered by a power of two are told (about ten in OutageWindow, so an
		// update held for hours stays visible), the others counted (the errors metric).
		level = slog.LevelDebug
	}
	i.log.Log(bg, level, "update failed: will retry", "update_id", updateID, "kind", kind, "chat", chat,
		"attempt", a.attempt, "class", class.String(), "retry_in", v.retryAfter, "error", err)
	return false
}

// giveUp sets the update aside as failed for reason (errText is kept with it), counts
// it and logs it, and reports whether the chat can go on (false: it could not be
// recorded, the update stays pending).
func (i *Inbox) giveUp(ctx context.Context, updateID int64, kind string, chat int64, reason, errText string, counted bool) bool {
	recorded, err := i.store.FailAttempt(ctx, i.opt.BotID, updateID, errText, counted, true, 0)
	if err != nil {
		i.log.Warn("record failed update", "update_id", updateID, "kind", kind, "chat", chat, "error", err)
		return false
	}
	if recorded {
		i.setAside(updateID, kind, chat, reason, errText)
	}
	return true
}

// setAside counts and logs an update set aside as failed.
func (i *Inbox) setAside(updateID int64, kind string, chat int64, reason, errText string) {
	i.metrics.failed.WithLabelValues(kind, reason).Inc()
	i.log.Error("update set aside as failed", "update_id", updateID, "kind", kind, "chat", chat, "reason", reason, "error", errText)
}

// decodeUpdate decodes a stored update for the handler, after cleaning it.
func decodeUpdate(body []byte) (telego.Update, error) {
	var u telego.Update
	if err := json.Unmarshal(clean(body), &u); err != nil {
		return telego.Update{}, err
	}
	return u, nil
}

// call runs the handler, turning a panic into an error so that a poison update is
// counted and given up on instead of crashing every replica that takes it.
func (i *Inbox) call(ctx context.Context, u telego.Update) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v\n%s", r, debug.Stack())
		}
	}()
	return i.handler.HandleUpdate(ctx, u)
}

// kick has the chat drained in the background (tracked by wg), unless a background
// drain of it is queued or running in this process: that one then runs once more. It
// waits for one of the MaxParallel slots, and reports false if ctx ended first.
func (i *Inbox) kick(ctx context.Context, wg *sync.WaitGroup, chat int64) bool {
	i.mu.Lock()
	if _, queued := i.kicked[chat]; queued {
		i.kicked[chat] = true
		i.mu.Unlock()
		return true
	}
	i.kicked[chat] = false
	i.mu.Unlock()

	select {
	case i.slots <- struct{}{}:
	case <-ctx.Done():
		i.mu.Lock()
		delete(i.kicked, chat)
		i.mu.Unlock()
		return false
	}
	wg.Go(func() {
		defer func() { <-i.slots }()
		for {
			i.drain(ctx, chat)
			i.mu.Lock()
			if again := i.kicked[chat]; again && ctx.Err() == nil {
				i.kicked[chat] = false
				i.mu.Unlock()
				continue
			}
			delete(i.kicked, chat)
			i.notifyLocked()
			i.mu.Unlock()
			return
		}
	})
	return true
}

// chatLocks are per-chat mutexes that a waiter can give up on.
type chatLocks struct {
	mu    sync.Mutex
	chats map[int64]*chatLock
}

type chatLock struct {
	held chan struct{} // capacity 1: full while the chat is locked
	refs int           // holders and waiters; the lock is dropped at 0
}

// lock locks the chat, or returns ctx's error if ctx ends first.
func (l *chatLocks) lock(ctx context.Context, chat int64) error {
	l.mu.Lock()
	c, ok := l.chats[chat]
	if !ok {
		c = &chatLock{held: make(chan struct{}, 1)}
		l.chats[chat] = c
	}
	c.refs++
	l.mu.Unlock()
	select {
	case c.held <- struct{}{}:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		l.drop(chat, c)
		l.mu.Unlock()
		return ctx.Err()
	}
}

// unlock unlocks a chat locked by lock.
func (l *chatLocks) unlock(chat int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.chats[chat]
	<-c.held
	l.drop(chat, c)
}

// drop forgets one holder or waiter; l.mu is held.
func (l *chatLocks) drop(chat int64, c *chatLock) {
	c.refs--
	if c.refs == 0 {
		delete(l.chats, chat)
	}
}
