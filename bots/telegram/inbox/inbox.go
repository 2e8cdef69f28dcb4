// Package inbox receives Telegram updates without losing or doubling them.
//
// Every update is stored in PostgreSQL, de-duplicated by update_id, before Telegram is
// told it arrived (the webhook answers 200, long polling moves its offset). Then the
// updates of its chat are handled one at a time in update_id order by whichever
// replica holds the chat's lease; different chats run in parallel (a user's shipping
// and pre-checkout queries count as a chat of their own: see route). A handler error
// leaves the update pending and it is retried; after Options.MaxAttempts attempts it
// is marked failed and logged, and the chat's later updates go ahead. A sweeper picks
// up what a crashed replica left and retries failed attempts, each after a pause that
// doubles (Options.RetryBackoff), so a few minutes of trouble (the database failing
// over, the Bot API down) do not use up an update's attempts. An attempt is counted
// before the handler runs: an update that kills its process every time is given up
// too. Failed updates are kept (see postgres.Inbox.Prune) for an operator to replay.
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
	"sync"
	"time"

	"github.com/mymmrac/telego"
	"github.com/prometheus/client_golang/prometheus"
)

// Handler handles updates: the bot.
type Handler interface {
	// HandleUpdate handles one update. An error leaves the update pending: it is
	// retried later, up to Options.MaxAttempts attempts in all, while the chat's later
	// updates wait. ctx (also u.Context()) ends after Options.HandleTimeout; it is not
	// cancelled when the request that brought the update ends or the process shuts
	// down, so an update in progress is finished. A panic counts as an error.
	HandleUpdate(ctx context.Context, u telego.Update) error
}

// Store keeps updates and the chats' leases. It is implemented by postgres.Inbox, with
// builtin types only so that neither package imports the other. Durations are measured
// by the store's own clock.
type Store interface {
	// SaveUpdate stores an update unless one with its id is stored already, and
	// reports whether it stored it.
	SaveUpdate(ctx context.Context, updateID, chatKey int64, body []byte) (bool, error)
	// AcquireLease gives the chat to holder for ttl if no one holds it or the last
	// lease ran out, and reports whether it did; a holder never gets a lease it holds.
	AcquireLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error)
	// RenewLease extends holder's lease to ttl from now; false if holder lost it.
	RenewLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease frees the chat if holder holds it.
	ReleaseLease(ctx context.Context, chatKey int64, holder string) error
	// NextUpdate returns the chat's pending update with the lowest id, if any and
	// if it is not waiting for its retry time.
	NextUpdate(ctx context.Context, chatKey int64) (updateID int64, body []byte, found bool, err error)
	// HasPending reports whether the chat has a pending update NextUpdate would
	// return.
	HasPending(ctx context.Context, chatKey int64) (bool, error)
	// MarkHandled records that the update was handled.
	MarkHandled(ctx context.Context, updateID int64) error
	// StartAttempt counts an attempt before the handler runs and returns its number;
	// run is false when the update is no longer pending (attempt 0) or maxAttempts
	// attempts started already: the update is then marked failed.
	StartAttempt(ctx context.Context, updateID int64, maxAttempts int) (attempt int, run bool, err error)
	// FailAttempt records the error of the attempt counted last: the update is marked
	// failed (no longer pending) if it was the maxAttempts-th, and is otherwise due
	// again after retryAfter.
	FailAttempt(ctx context.Context, updateID int64, errText string, maxAttempts int, retryAfter time.Duration) (failed bool, err error)
	// StaleChats returns up to limit chats with a pending update older than
	// olderThan, none waiting for its retry time, and no live lease.
	StaleChats(ctx context.Context, olderThan time.Duration, limit int) ([]int64, error)
	// Prune deletes handled updates older than olderThan and returns how many;
	// failed ones are kept for an operator to replay.
	Prune(ctx context.Context, olderThan time.Duration) (int64, error)
}

// Options tune an Inbox. Zero fields take the defaults named.
type Options struct {
	// Holder names this replica in chat leases: unique per Inbox. Default: host name,
	// process id and a random suffix.
	Holder string
	// LeaseTTL is how long a chat stays with a replica that stopped renewing its lease
	// (it crashed): its chat waits that long. Renewed every third of it. Default 30 s.
	LeaseTTL time.Duration
	// MaxAttempts is how many times an update is tried before it is marked failed.
	// Default 8: with the default RetryBackoff, about two minutes of trying.
	MaxAttempts int
	// RetryBackoff is the pause before an update that failed is tried again; it
	// doubles with each attempt, up to 5 minutes. Meanwhile the chat's later
	// updates wait. Default 1 s.
	RetryBackoff time.Duration
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
	// MaxParallel bounds the chats that Poll and the sweeper, together, drain at
	// once. Webhook requests drain their own chat and are bounded by the HTTP server.
	// Default 32.
	MaxParallel int
	// PollTimeout is the long-polling timeout of getUpdates; the bot's HTTP client
	// must wait longer than that. Default 25 s.
	PollTimeout time.Duration
	// Registerer receives the Inbox's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Defaults of Options.
const (
	DefaultLeaseTTL      = 30 * time.Second
	DefaultMaxAttempts   = 8
	DefaultRetryBackoff  = time.Second
	DefaultSweepEvery    = 2 * time.Second
	DefaultStaleAfter    = time.Second
	DefaultRetention     = 7 * 24 * time.Hour
	DefaultHandleTimeout = time.Minute
	DefaultMaxParallel   = 32
	DefaultPollTimeout   = 25 * time.Second
)

// pruneEvery is how often the sweeper deletes handled updates older than Retention.
const pruneEvery = time.Minute

// maxRetryBackoff bounds the pause between two attempts of an update.
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

// Inbox receives updates, stores them and has them handled. It is safe for concurrent
// use; run one per process.
type Inbox struct {
	store   Store
	handler Handler
	log     *slog.Logger
	opt     Options
	metrics *metrics

	// locks serializes the drains of a chat inside this process, so that a webhook
	// request for a chat another request is draining waits for it and then finds its
	// update handled, instead of finding the lease taken.
	locks chatLocks

	// slots bounds the background drains (Poll, sweeper).
	slots chan struct{}

	mu sync.Mutex
	// kicked holds the chats with a background drain queued or running, and whether
	// it must run once more when it ends (more updates came meanwhile).
	kicked map[int64]bool
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
	if opts.MaxParallel <= 0 {
		opts.MaxParallel = DefaultMaxParallel
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = DefaultPollTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Inbox{
		store:   store,
		handler: h,
		log:     log.With("component", "inbox"),
		opt:     opts,
		metrics: newMetrics(opts.Registerer),
		locks:   chatLocks{chats: map[int64]*chatLock{}},
		slots:   make(chan struct{}, opts.MaxParallel),
		kicked:  map[int64]bool{},
	}
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
// included, if no other replica is handling that chat (that replica then handles it
// before it lets the chat go). It returns an error only when the update could not be
// stored: the caller must then let Telegram send it again. A redelivered update is
// not stored twice nor handled again. A handler error is not returned: the update is
// safe and the sweeper retries it.
//
// When ctx ends, Receive stops after the update in progress; the rest is left to the
// sweeper.
func (i *Inbox) Receive(ctx context.Context, u telego.Update) error {
	body, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("encode update %d: %w", u.UpdateID, err)
	}
	chat, err := i.save(ctx, u, body)
	if err != nil {
		return err
	}
	i.drain(ctx, chat)
	return nil
}

// save stores an update as body (its JSON) and returns its chat key.
func (i *Inbox) save(ctx context.Context, u telego.Update, body []byte) (int64, error) {
	if u.UpdateID <= 0 {
		return 0, ErrNoUpdateID
	}
	kind, chat := route(u)
	fresh, err := i.store.SaveUpdate(ctx, int64(u.UpdateID), chat, body)
	if err != nil {
		return 0, fmt.Errorf("store update %d: %w", u.UpdateID, err)
	}
	i.metrics.received.WithLabelValues(kind).Inc()
	if !fresh {
		i.metrics.duplicates.WithLabelValues(kind).Inc()
	}
	return chat, nil
}

// drain handles the chat's pending updates in order while it holds the chat's lease,
// and returns when none is left, when another replica holds the lease, when an update
// fails (the sweeper retries it), or when ctx ends (after the update in progress).
func (i *Inbox) drain(ctx context.Context, chat int64) {
	if err := i.locks.lock(ctx, chat); err != nil {
		return // the drain we waited for, or the sweeper, takes the update
	}
	defer i.locks.unlock(chat)
	bg := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		asked := time.Now() // the lease runs out LeaseTTL after this at the earliest
		ok, err := i.store.AcquireLease(ctx, chat, i.opt.Holder, i.opt.LeaseTTL)
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
		emptied := i.drainLeased(ctx, chat, asked)
		if err := i.store.ReleaseLease(bg, chat, i.opt.Holder); err != nil {
			i.log.Warn("release chat lease", "chat", chat, "error", err) // it runs out by itself
			return
		}
		if !emptied {
			return
		}
		// An update stored while we held the lease found it taken and was left to us:
		// look again, now that the lease is free for its receiver too.
		pending, err := i.store.HasPending(ctx, chat)
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

// drainLeased handles the chat's pending updates in order while the lease, asked for
// at asked, is held, renewing it, and reports whether it stopped because none was
// left (or the next waits for its retry time).
func (i *Inbox) drainLeased(ctx context.Context, chat int64, asked time.Time) (emptied bool) {
	lease, stop := i.keepLease(ctx, chat, asked)
	defer stop()
	for ctx.Err() == nil && lease.Err() == nil {
		id, body, found, err := i.store.NextUpdate(ctx, chat)
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
// later). It is not cancelled by ctx: an update in progress is finished.
func (i *Inbox) keepLease(ctx context.Context, chat int64, asked time.Time) (lease context.Context, stop func()) {
	lease, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
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
// the update is finished (handled, or failed for good) so the chat goes on; false
// leaves it pending and the chat waits for a retry. The handler's context is
// derived from lease, which ends when the chat's lease is lost: then nothing is
// recorded, the new holder takes the update over.
func (i *Inbox) handle(ctx, lease context.Context, chat, updateID int64, body []byte) bool {
	// Recording the outcome must not be cut short by the end of ctx: the work is done.
	bg := context.WithoutCancel(ctx)
	attempt, run, err := i.store.StartAttempt(bg, updateID, i.opt.MaxAttempts)
	switch {
	case err != nil:
		i.log.Warn("start attempt", "update_id", updateID, "chat", chat, "error", err)
		return false
	case !run && attempt == 0:
		return true // handled or given up meanwhile (by a replica that held the chat before)
	case !run:
		i.metrics.failed.WithLabelValues("unknown").Inc()
		i.log.Error("update given up: its attempts never finished", "update_id", updateID, "chat", chat, "attempts", attempt)
		return true
	}
	var u telego.Update
	if err := json.Unmarshal(body, &u); err != nil {
		// We stored valid JSON; only a change of telego could make it unreadable, and
		// trying again will not help: this attempt is the last.
		if _, err := i.store.FailAttempt(bg, updateID, "decode: "+err.Error(), attempt, 0); err != nil {
			i.log.Warn("record failed update", "update_id", updateID, "error", err)
			return false
		}
		i.metrics.failed.WithLabelValues("unknown").Inc()
		i.log.Error("update cannot be decoded: marked failed", "update_id", updateID, "chat", chat, "error", err)
		return true
	}
	kind, _ := route(u)

	hctx, cancel := context.WithTimeout(lease, i.opt.HandleTimeout)
	start := time.Now()
	err = i.call(hctx, u.WithContext(hctx))
	cancel()
	i.metrics.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())

	if err == nil {
		// Recorded even if the lease was lost meanwhile: the work is done, and the new
		// holder need not do it again.
		if err := i.store.MarkHandled(bg, updateID); err != nil {
			// It will be handled again; handlers are idempotent.
			i.log.Warn("record handled update", "update_id", updateID, "error", err)
			return false
		}
		i.metrics.handled.WithLabelValues(kind).Inc()
		return true
	}
	if errors.Is(context.Cause(lease), ErrLeaseLost) {
		i.log.Warn("update stopped: the chat's lease was lost; its new holder handles it", "update_id", updateID, "kind", kind, "chat", chat, "error", err)
		return false
	}

	i.metrics.errors.WithLabelValues(kind).Inc()
	failed, merr := i.store.FailAttempt(bg, updateID, err.Error(), i.opt.MaxAttempts, i.backoff(attempt))
	if merr != nil {
		i.log.Warn("record failed attempt", "update_id", updateID, "kind", kind, "chat", chat, "error", err, "record_error", merr)
		return false
	}
	if failed {
		i.metrics.failed.WithLabelValues(kind).Inc()
		i.log.Error("update failed: giving up", "update_id", updateID, "kind", kind, "chat", chat, "attempts", attempt, "error", err)
		return true
	}
	i.log.Warn("update failed: will retry", "update_id", updateID, "kind", kind, "chat", chat, "attempts", attempt, "error", err)
	return false
}

// backoff is the pause after the attempt-th attempt failed: RetryBackoff, doubled
// for each attempt before, at most maxRetryBackoff.
func (i *Inbox) backoff(attempt int) time.Duration {
	d := i.opt.RetryBackoff
	for range attempt - 1 {
		if d >= maxRetryBackoff/2 {
			return maxRetryBackoff
		}
		d *= 2
	}
	return min(d, maxRetryBackoff)
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
