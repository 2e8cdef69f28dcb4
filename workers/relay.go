package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/vitrina-shop/vitrina/core"
)

// OutboxStore is the relay's view of the outbox (postgres.Outbox).
type OutboxStore interface {
	// Claim claims up to limit unrelayed jobs in id order, due or not, for claimFor,
	// skipping rows other relays hold; ids[i] is the row of jobs[i].
	Claim(ctx context.Context, limit int, claimFor time.Duration) (ids []int64, jobs []core.Job, err error)
	// MarkRelayed records that the jobs are in the queue.
	MarkRelayed(ctx context.Context, ids ...int64) error
	// MarkFailed records a failed attempt and ends the job's claim.
	MarkFailed(ctx context.Context, id int64, errText string) error
	// Release ends the claims on jobs that were not tried.
	Release(ctx context.Context, ids ...int64) error
	// DeleteRelayed deletes a batch of jobs relayed more than olderThan ago.
	DeleteRelayed(ctx context.Context, olderThan time.Duration) (int64, error)
	// Listen calls notify whenever jobs are committed, until ctx ends (nil) or the
	// connection fails (an error).
	Listen(ctx context.Context, notify func()) error
	// Backlog returns how many jobs are not relayed yet, and how long the oldest due
	// one has waited.
	Backlog(ctx context.Context) (pending int64, oldestDue time.Duration, err error)
}

// Enqueuer puts tasks in asynq (an *asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// TaskDeleter deletes a scheduled or pending task by its id (an *asynq.Inspector).
type TaskDeleter interface {
	DeleteTask(queue, id string) error
}

// RelayOptions tune a Relay. Zero fields take the defaults named.
type RelayOptions struct {
	QueuePrefix string        // before every queue name; "" in production
	Every       time.Duration // poll period when no notification comes; default 500 ms
	Batch       int           // jobs claimed at once; default 100
	ClaimFor    time.Duration // how long a claim keeps other relays off a job; default 30 s
	Retain      time.Duration // how long relayed rows are kept; default 7 days
	Clock       core.Clock    // default the system clock
	Log         *slog.Logger  // default discard
	Registerer  prometheus.Registerer
	// Deleter deletes the tasks of cancel jobs (core.Job.Cancel). Without one, a
	// cancel job counts as relayed with nothing deleted: the task runs and its
	// handler finds nothing to do.
	Deleter TaskDeleter
}

// Defaults of RelayOptions.
const (
	DefaultRelayBatch    = 100
	DefaultRelayClaimFor = 30 * time.Second
	DefaultRelayRetain   = 7 * 24 * time.Hour
)

// relayMaxFailures is how many enqueues in a row may fail before the relay stops the
// batch: Redis is likely down, and each further try would only wait for a timeout.
const relayMaxFailures = 3

// enqueueTimeout bounds one enqueue (and a third of RelayOptions.ClaimFor).
const enqueueTimeout = 5 * time.Second

// relayPruneEvery is how often the relay deletes old relayed rows.
const relayPruneEvery = time.Hour

// Relay moves jobs from the outbox to asynq: task type = job kind, payload = job
// payload, task id = job key, due at the job's RunAt (rounded up to a whole second,
// so it never starts early), in the queue of its kind. A job whose task id is already
// in asynq (asynq.ErrTaskIDConflict) counts as relayed: the task there is the same
// job, or an earlier one with the same key whose handler re-reads the state (an
// extended reservation's first expiry task finds the order not due and re-schedules
// itself). A job that cannot be enqueued (Redis is down) stays in the outbox and is
// tried again on the next round, for as long as it takes.
type Relay struct {
	store OutboxStore
	queue Enqueuer
	opt   RelayOptions
	log   *slog.Logger

	relayed   *prometheus.CounterVec
	cancelled *prometheus.CounterVec
	conflicts *prometheus.CounterVec
	failures  *prometheus.CounterVec

	// redisDown is the current run of failed enqueues (Redis is down, or refuses);
	// dbDown the current run of failed claims (PostgreSQL is). Run's goroutine only.
	redisDown, dbDown outage
}

// outage is a run of failures of one kind, logged when it starts and when it ends
// only: the relay tries again several times a second, and a warning each time would
// bury the rest of the log (the metrics count the failures and the backlog).
type outage struct {
	since time.Time // zero while the calls succeed
}

// failed logs a failure: the first of a run as a warning, the others at debug level.
func (o *outage) failed(log *slog.Logger, msg string, args ...any) {
	if o.since.IsZero() {
		o.since = time.Now()
		log.Warn(msg, args...)
		return
	}
	log.Debug(msg, args...)
}

// ended reports whether a run of failures just ended, and how long it lasted.
func (o *outage) ended() (time.Duration, bool) {
	if o.since.IsZero() {
		return 0, false
	}
	lasted := time.Since(o.since).Round(time.Millisecond)
	o.since = time.Time{}
	return lasted, true
}

// NewRelay returns a relay from store to queue.
func NewRelay(store OutboxStore, queue Enqueuer, opts RelayOptions) *Relay {
	if opts.Every <= 0 {
		opts.Every = DefaultRelayEvery
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultRelayBatch
	}
	if opts.ClaimFor <= 0 {
		opts.ClaimFor = DefaultRelayClaimFor
	}
	if opts.Retain <= 0 {
		opts.Retain = DefaultRelayRetain
	}
	if opts.Clock == nil {
		opts.Clock = core.SystemClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	f := promauto.With(opts.Registerer)
	kind := []string{"kind"}
	return &Relay{
		store: store,
		queue: queue,
		opt:   opts,
		log:   opts.Log.With("component", "outbox-relay"),
		relayed: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_outbox_relayed_total",
			Help: "Outbox jobs handed to asynq, those already there included.",
		}, kind),
		cancelled: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_outbox_tasks_cancelled_total",
			Help: "Scheduled tasks deleted from asynq by cancel jobs (core.Job.Cancel).",
		}, kind),
		conflicts: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_outbox_task_id_conflicts_total",
			Help: "Outbox jobs whose task id was already in asynq; counted as relayed.",
		}, kind),
		failures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_outbox_relay_errors_total",
			Help: "Failed attempts to enqueue an outbox job; it stays in the outbox and is tried again.",
		}, kind),
	}
}

// Run relays jobs until ctx ends, then returns nil. It relays at once when PostgreSQL
// notifies that jobs were committed (LISTEN outbox), and otherwise every
// RelayOptions.Every, so a lost notification or connection only adds that delay. It
// keeps going through batches while they come full. Run it in every worker: claims
// keep two relays off one job. Errors are logged and retried.
func (r *Relay) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		r.listen(ctx, wake)
	}()
	defer func() { <-listening }()

	t := time.NewTicker(r.opt.Every)
	defer t.Stop()
	var pruned time.Time
	for {
		for ctx.Err() == nil {
			n, ok := r.relayBatch(ctx)
			if !ok || n < r.opt.Batch {
				break
			}
		}
		if ctx.Err() == nil && time.Since(pruned) >= relayPruneEvery {
			pruned = time.Now()
			if _, err := r.store.DeleteRelayed(ctx, r.opt.Retain); err != nil && ctx.Err() == nil {
				r.log.Warn("delete old relayed jobs", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-wake:
		}
	}
}

// listen wakes the relay on each notification, reconnecting with a pause when the
// connection fails.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	notify := func() {
		select {
		case wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
	var down outage // a connection that fails at once, again and again: PostgreSQL is down
	for ctx.Err() == nil {
		began := time.Now()
		err := r.store.Listen(ctx, notify)
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > time.Minute {
			down.ended() // it listened for a while: a new failure
		}
		down.failed(r.log, "listen for outbox jobs; polling meanwhile", "error", err)
		pause := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
		case <-pause.C:
		}
		pause.Stop()
	}
}

// relayBatch claims a batch and enqueues it. It returns how many jobs it claimed, and
// false when it stopped early (store error, repeated enqueue failures, ctx ended).
//
// A slow Redis must not make a batch outlast its claim: another relay would then
// claim the jobs not marked yet and enqueue them a second time (for a kind without
// retention, a task that already ran would run again). So each enqueue is bounded by
// a third of the claim, and the jobs the claim might not cover until their enqueue
// ends are released for the next claim instead.
func (r *Relay) relayBatch(ctx context.Context) (int, bool) {
	claimed := time.Now() // the claim runs out ClaimFor after this at the earliest
	ids, jobs, err := r.store.Claim(ctx, r.opt.Batch, r.opt.ClaimFor)
	if err != nil {
		if ctx.Err() == nil {
			r.dbDown.failed(r.log, "claim outbox jobs (is PostgreSQL down?)", "error", err)
		}
		return 0, false
	}
	if lasted, ok := r.dbDown.ended(); ok {
		r.log.Info("claiming outbox jobs again", "outage", lasted.String())
	}
	// Recording what happened must survive the end of ctx, or shutting down would
	// leave jobs claimed (delayed by ClaimFor) or relayed twice.
	bg := context.WithoutCancel(ctx)
	var done []int64
	failures := 0
	ok := true
	timeout := min(enqueueTimeout, r.opt.ClaimFor/3)
	for i, job := range jobs {
		late := time.Since(claimed)+timeout >= r.opt.ClaimFor
		if ctx.Err() != nil || failures >= relayMaxFailures || late {
			if err := r.store.Release(bg, ids[i:]...); err != nil {
				r.log.Warn("release outbox jobs", "error", err)
			}
			// Released for lateness after some progress: go on with a new claim.
			ok = late && i > 0 && ctx.Err() == nil && failures < relayMaxFailures
			break
		}
		err := r.enqueue(ctx, job, timeout)
		if err != nil {
			failures++
			r.failures.WithLabelValues(job.Kind).Inc()
			r.enqueueFailed(job, ids[i], err)
			if err := r.store.MarkFailed(bg, ids[i], err.Error()); err != nil {
				r.log.Warn("record outbox job failure", "outbox_id", ids[i], "error", err)
			}
			continue
		}
		r.enqueued(bg)
		failures = 0
		done = append(done, ids[i])
		r.relayed.WithLabelValues(job.Kind).Inc()
	}
	if err := r.store.MarkRelayed(bg, done...); err != nil {
		// They are in asynq; relaying them again conflicts on their task ids.
		r.log.Warn("mark outbox jobs relayed", "error", err)
		return len(jobs), false
	}
	return len(jobs), ok && failures == 0
}

// enqueueFailed logs a failed enqueue. The first failure after a success is a warning:
// Redis is likely down, and every job waits in the outbox until it is back. The
// failures that follow are logged at debug level only: the relay tries every
// RelayOptions.Every, and a warning each time (several a second) would bury the rest of
// the log; vitrina_outbox_relay_errors_total counts them and vitrina_outbox_backlog
// shows the jobs waiting.
func (r *Relay) enqueueFailed(job core.Job, outboxID int64, err error) {
	// Keys may carry payment ids: log the row id instead.
	r.redisDown.failed(r.log, "cannot enqueue outbox jobs (is Redis down?): they wait in the outbox, tried again until Redis takes them",
		"kind", job.Kind, "outbox_id", outboxID, "error", err)
}

// enqueued ends an outage of Redis, if one was logged, with one line saying how long it
// lasted and how many jobs wait to be relayed.
func (r *Relay) enqueued(ctx context.Context) {
	lasted, ok := r.redisDown.ended()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	pending, _, err := r.store.Backlog(ctx)
	if err != nil {
		r.log.Info("enqueueing outbox jobs again: Redis is back", "outage", lasted.String(), "backlog_error", err)
		return
	}
	r.log.Info("enqueueing outbox jobs again: Redis is back", "outage", lasted.String(), "backlog", pending)
}

// taskID is the asynq task id of a job. A kind whose succeeded tasks are retained
// gets its row's due time (to the microsecond) after the key: the same row relayed
// twice keeps its id, so it does not run twice, while a row written later under the
// same key (after a database is re-created or restored against the same Redis, its
// ids start again) is a new task, not one swallowed as a conflict with a retained one.
// Kinds without retention use the key alone: an expiry rewritten by an extended
// reservation conflicts with the scheduled task, whose handler re-schedules it.
func taskID(job core.Job, rt route) string {
	if rt.retention > 0 {
		return job.Key + "@" + strconv.FormatInt(job.RunAt.UnixMicro(), 10)
	}
	return job.Key
}

// enqueue puts one job in asynq, waiting at most timeout; a task id already there is
// success.
func (r *Relay) enqueue(ctx context.Context, job core.Job, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rt := routeFor(r.opt.QueuePrefix, job.Kind)
	if job.Cancel {
		return r.cancel(job, rt)
	}
	opts := []asynq.Option{asynq.Queue(rt.queue), asynq.TaskID(taskID(job, rt))}
	if rt.retention > 0 {
		opts = append(opts, asynq.Retention(rt.retention))
	}
	if job.RunAt.After(r.opt.Clock.Now()) {
		opts = append(opts, asynq.ProcessAt(ceilSecond(job.RunAt)))
	}
	_, err := r.queue.EnqueueContext(ctx, asynq.NewTask(job.Kind, job.Payload), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		r.conflicts.WithLabelValues(job.Kind).Inc()
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue %s job: %w", job.Kind, err)
	}
	return nil
}

// cancel deletes the task a cancel job names. A task that is not there (it ran, or
// was never enqueued) or is running now counts as deleted: its handler re-reads the
// state and finds nothing to do.
func (r *Relay) cancel(job core.Job, rt route) error {
	if r.opt.Deleter == nil {
		return nil
	}
	err := r.opt.Deleter.DeleteTask(rt.queue, taskID(job, rt))
	switch {
	case err == nil:
		r.cancelled.WithLabelValues(job.Kind).Inc()
		return nil
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return nil
	case strings.Contains(err.Error(), "active state"): // asynq: FailedPrecondition, not exported
		return nil
	}
	return fmt.Errorf("cancel %s job: %w", job.Kind, err)
}
