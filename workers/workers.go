// Package workers runs Vitrina's background work on asynq: the relay that moves jobs
// from the PostgreSQL outbox to asynq, the periodic sweep that derives due work from
// SQL, and the handlers of the tasks, which call core.
//
// PostgreSQL is the record and asynq tasks are triggers: a job is written to the
// outbox in the transaction of the change that caused it, the relay enqueues it with
// its key as the task id, and every handler re-reads the state it acts on, so a task
// delivered twice, early or late does no harm, and a task lost in Redis only waits for
// the sweep. asynq stays here: core and the bot never see a task.
//
// Run in every worker process, all alike: an asynq server with ServerConfig and
// Register, plus RunRelay and RunPeriodic. The outbox claims and the periodic tasks'
// ids let any number of workers cooperate.
package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Queues. A worker serves them by weight (6:3:1), so a backlog of low work never
// starves payments; the sender puts broadcasts in QueueLow.
const (
	QueueCritical = "critical" // payments, refunds, order notifications
	QueueDefault  = "default"  // reservation expiries, sweeps, anything not listed
	QueueLow      = "low"      // bulk work: broadcasts
)

// route is where a job kind goes in asynq.
type route struct {
	queue string
	// retention keeps a succeeded task, and so its id, for a while: a job relayed
	// twice (the relay died between enqueueing and marking it relayed) within that
	// time is not run twice. Zero for kinds whose key is reused on purpose: an
	// expiry's key comes back when a reservation is extended after its task ran.
	retention time.Duration
}

// routes maps job kinds (= task types) to queues; kinds not listed go to
// QueueDefault without retention.
var routes = map[string]route{
	order.JobNotify: {queue: QueueCritical, retention: 24 * time.Hour},
	order.JobRefund: {queue: QueueCritical, retention: 24 * time.Hour},
	order.JobExpire: {queue: QueueDefault},
	TypeOrderSweep:  {queue: QueueDefault},
}

// featureRoutes are the routes the features declare in their files.
var featureRoutes = []map[string]route{reminderRoutes, reviewRoutes, broadcastRoutes, orphanRoutes, liveRoutes, groupBuyRoutes, teamRoutes}

// Deps are what the workers need. Orders, Outbox and Queue are required; a nil
// Notifier or Refunder makes the tasks that need it fail (and retry) until one is
// wired.
type Deps struct {
	Orders   Orders
	Notifier OrderNotifier
	Refunder Refunder
	// Outbox is the relay's store (postgres.Outbox).
	Outbox OutboxStore
	// Queue enqueues tasks (an *asynq.Client).
	Queue Enqueuer
	// Clock tells the relay whether a job is due; default the system clock.
	Clock core.Clock
	// Log is where the relay and the asynq error handler write; default discard.
	Log *slog.Logger
	// QueuePrefix is put before every queue name: "" in production; tests give each
	// test its own queues on a shared Redis.
	QueuePrefix string
	// Registerer receives the metrics of the relay, the sender and orphan payments;
	// nil registers none.
	Registerer prometheus.Registerer
	// RelayEvery is how often the relay polls the outbox when no notification wakes
	// it. Default 500 ms.
	RelayEvery time.Duration
	// Relay, when set, is the relay RunRelay runs (Outbox, RelayEvery and Deleter are
	// then its business): built by the caller with NewRelay to start before the rest,
	// as a worker process relays the outbox while it waits for the Bot API. nil: New
	// builds one.
	Relay *Relay
	// SweepEvery is the period of the order sweep. Default 30 s.
	SweepEvery time.Duration

	// Redis holds the sender's shared rate limits and the keys of sent messages.
	Redis redis.UniversalClient
	// Transport delivers the sender's messages (the bot).
	Transport Transport
	// Recipients tells the sender who blocked the bot (user.Service).
	Recipients Recipients
	// Deleter deletes the tasks of cancel jobs (an *asynq.Inspector); nil deletes
	// none (their handlers find nothing to do).
	Deleter TaskDeleter
	// Sender tunes the sender.
	Sender SenderOptions
	// Instance is the database's identity (postgres.InstanceID): the keys of sent
	// messages carry it, so a database created anew against the same Redis does not
	// find its messages "sent already". Tests, whose queues and keys are their own,
	// may leave it empty.
	Instance string

	// Reconciler and Stars run the daily Stars reconciliation; nil skips it.
	Reconciler Reconciler
	Stars      StarsTelegram

	// The features' own dependencies, declared in their files.
	Reminders  ReminderDeps
	Reviews    ReviewDeps
	Broadcasts BroadcastDeps
	Orphans    OrphanDeps
}

// Workers holds the task handlers and the background loops.
type Workers struct {
	orders   Orders
	notifier OrderNotifier
	refunder Refunder
	queue    Enqueuer
	log      *slog.Logger
	prefix   string
	relay    *Relay
	send     *sender
	periodic []periodicTask

	reconciler Reconciler
	stars      StarsTelegram

	reminders  ReminderDeps
	reviews    ReviewDeps
	broadcasts BroadcastDeps
	orphans    OrphanDeps
	features   []Feature
	// orphansUntold counts orphan payments no operator could be told of.
	orphansUntold prometheus.Counter
}

// Defaults of Deps.
const (
	DefaultRelayEvery = 500 * time.Millisecond
	DefaultSweepEvery = 30 * time.Second
)

// New returns the workers for deps.
func New(deps Deps) *Workers {
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = core.SystemClock{}
	}
	if deps.SweepEvery <= 0 {
		deps.SweepEvery = DefaultSweepEvery
	}
	w := &Workers{
		orders:     deps.Orders,
		notifier:   deps.Notifier,
		refunder:   deps.Refunder,
		queue:      deps.Queue,
		log:        deps.Log.With("component", "workers"),
		prefix:     deps.QueuePrefix,
		periodic:   []periodicTask{{kind: TypeOrderSweep, every: deps.SweepEvery}, {kind: TypeStarsReconcile, every: reconcileEvery}},
		reconciler: deps.Reconciler,
		stars:      deps.Stars,
		send:       newSender(deps.Redis, deps.Transport, deps.Recipients, deps.Instance, deps.Sender, deps.Registerer),
	}
	w.relay = deps.Relay
	if w.relay == nil {
		w.relay = NewRelay(deps.Outbox, deps.Queue, RelayOptions{
			QueuePrefix: deps.QueuePrefix,
			Every:       deps.RelayEvery,
			Clock:       deps.Clock,
			Log:         deps.Log,
			Registerer:  deps.Registerer,
			Deleter:     deps.Deleter,
		})
	}
	w.initReminders(deps.Reminders)
	w.initReviews(deps.Reviews)
	w.initBroadcasts(deps.Broadcasts)
	w.initOrphans(deps.Orphans, deps.Registerer)
	return w
}

// Register adds the task handlers to mux, the features' (Add) too.
func (w *Workers) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(order.JobExpire, w.HandleOrderExpire)
	mux.HandleFunc(order.JobNotify, w.HandleOrderNotify)
	mux.HandleFunc(order.JobRefund, w.HandleOrderRefund)
	mux.HandleFunc(TypeOrderSweep, w.HandleOrderSweep)
	mux.HandleFunc(TypeSend, w.HandleSend)
	mux.HandleFunc(TypeSendLatest, w.HandleSendLatest)
	mux.HandleFunc(TypeStarsReconcile, w.HandleStarsReconcile)
	w.registerReminders(mux)
	w.registerReviews(mux)
	w.registerBroadcasts(mux)
	w.registerOrphans(mux)
	for _, f := range w.features {
		f.Register(mux)
	}
}

// Queues returns the queues to serve with their weights, for asynq.Config.Queues.
func (w *Workers) Queues() map[string]int {
	return map[string]int{
		w.prefix + QueueCritical: 6,
		w.prefix + QueueDefault:  3,
		w.prefix + QueueLow:      1,
	}
}

// ServerConfig returns the asynq server configuration the workers expect: their
// queues, an error handler that logs each failure once, a 1 s check of scheduled
// tasks (asynq's default of 5 s would make expiries up to 5 s late), and a
// taskCheckInterval look at empty queues. Set Concurrency and the like on the
// result.
func (w *Workers) ServerConfig() asynq.Config {
	return asynq.Config{
		Queues:                   w.Queues(),
		ErrorHandler:             asynq.ErrorHandlerFunc(w.logTaskError),
		RetryDelayFunc:           retryDelay,
		IsFailure:                isFailure,
		DelayedTaskCheckInterval: time.Second,
		TaskCheckInterval:        taskCheckInterval,
	}
}

// taskCheckInterval is how often a worker whose queues were all empty looks
// again (asynq sleeps half of it plus a random part of it). asynq's default of
// a second made a payment confirmation wait 0.5-1.5 s whenever nothing else was
// queued, a quiet shop's usual state, and also during a seller's broadcast,
// whose pages run as long tasks and leave the queues empty. A look is one
// Lua script in Redis: ten a second per worker process costs nothing felt.
const taskCheckInterval = 100 * time.Millisecond

// RunRelay moves outbox jobs to asynq until ctx ends (see Relay.Run).
func (w *Workers) RunRelay(ctx context.Context) error { return w.relay.Run(ctx) }

// route returns the queue and retention of a task type.
func (w *Workers) route(kind string) route {
	return routeFor(w.prefix, kind)
}

// routeFor returns the route of a task type with its queue named after prefix.
func routeFor(prefix, kind string) route {
	r, ok := routes[kind]
	for _, more := range featureRoutes {
		if ok {
			break
		}
		r, ok = more[kind]
	}
	if !ok {
		r = route{queue: QueueDefault}
	}
	r.queue = prefix + r.queue
	return r
}

// logTaskError is the edge where task errors are logged, once. Task ids and payloads
// are left out: they may carry payment ids.
func (w *Workers) logTaskError(ctx context.Context, t *asynq.Task, err error) {
	if !isFailure(err) {
		// A task sent back to wait for its turn (a rate-limit slot, a lock) did
		// not fail: at a thousand messages a second a warning each would bury
		// the ones that matter.
		w.log.Debug("task waits for its turn", "type", t.Type(), "error", err)
		return
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if errors.Is(err, asynq.SkipRetry) || retried >= maxRetry {
		w.log.Error("task failed for good", "type", t.Type(), "retried", retried, "error", err)
		return
	}
	w.log.Warn("task failed; asynq will retry it", "type", t.Type(), "retried", retried, "error", err)
}

// permanent marks err as one that retrying cannot fix: asynq archives the task
// instead of retrying it.
func permanent(err error) error {
	return fmt.Errorf("%w (%w)", err, asynq.SkipRetry)
}

// classify returns err as it is when a retry may fix it (an infrastructure failure),
// and marks it permanent when it is an application error (invalid, not found,
// conflict, forbidden): the same call would fail the same way.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch core.ErrorCode(err) {
	case core.EINVALID, core.ENOTFOUND, core.ECONFLICT, core.EFORBIDDEN:
		return permanent(err)
	}
	return err
}

// ceilSecond rounds t up to a whole second. asynq keeps a task's due time in whole
// seconds, rounded down, so a task due at 12:00:00.700 may start at 12:00:00.0;
// scheduling at the next whole second means it never starts before t.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}
