package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/workers/ratelimit"
)

// The sender: every message Vitrina writes on its own initiative (core.Message)
// goes through it, as one asynq task per message, in the queue of its priority
// (a broadcast's page tasks take the same steps for their messages themselves,
// and hand it only those to try again later: broadcast.go).
// The task waits for a slot of the rate limits every worker shares through Redis
// (workers/ratelimit), asks the transport (the bot) to make the Bot API call, and
// then remembers the message's key for a day, so that neither a second enqueue
// nor a retry after a crash sends it again.

// Task types of the sender.
const (
	// TypeSend sends one message; its task id is "msg:<instance>:<key>".
	TypeSend = "msg:send"
	// TypeSendLatest sends the latest message of a coalesced state (Message.Coalesce).
	TypeSendLatest = "msg:latest"
)

// Transport makes the Bot API call of a message. Implemented by the bot.
type Transport interface {
	// Deliver sends m. A refusal by Telegram is a *core.SendError (429 with its
	// retry_after, 403, 400 with Gone when the chat or message is no more); an edit
	// that changes nothing is a success. Any other error is retried.
	Deliver(ctx context.Context, m core.Message) error
}

// Recipients is what the sender knows of users (user.Service).
type Recipients interface {
	// Reachable reports whether the bot may write to the user: false once they
	// blocked it, until they write again. A user Vitrina never saw is reachable.
	Reachable(ctx context.Context, id core.UserID) (bool, error)
	// MarkUnreachable records that the user refused a message (403).
	MarkUnreachable(ctx context.Context, id core.UserID) error
}

// Tracker follows the messages of one kind of Message.Ref ("broadcast").
type Tracker interface {
	// ShouldSend says, just before the send, whether the message still should go
	// (its broadcast was not cancelled, its recipient did not opt out). It also
	// says no for a recipient who blocked the bot: the sender does not ask
	// Recipients about tracked messages.
	ShouldSend(ctx context.Context, m core.Message) (bool, error)
	// Done records what became of the message. It is called at least once per
	// outcome: make it idempotent.
	Done(ctx context.Context, m core.Message, o core.Outcome) error
}

// SenderOptions tune the sender. Zero fields take the defaults named.
type SenderOptions struct {
	// Limits are Telegram's limits, shared by every worker (default
	// ratelimit.DefaultLimits).
	Limits ratelimit.Limits
	// PaidBroadcast sends broadcasts with allow_paid_broadcast: Telegram then allows
	// up to 1,000 messages/s and charges Stars above 30/s. Set Limits.Global to the
	// rate to pay for.
	PaidBroadcast bool
	// KeyLifetime is how long a sent message's key is remembered (default a day).
	KeyLifetime time.Duration
	// KeyPrefix starts the sender's Redis keys (default "vitrina:"); tests give each
	// test its own.
	KeyPrefix string
}

// Defaults of SenderOptions and limits of the sender.
const (
	DefaultKeyLifetime = 24 * time.Hour
	// sendMaxRetry bounds the retries of a message that keeps failing for a reason
	// a retry may fix (the network, Telegram's 5xx, a 429). Waits for a rate-limit
	// slot are not retries.
	sendMaxRetry = 20
	// maxInlineWait is the longest a send task waits for its slot in the handler;
	// longer (a group's 20 a minute, a penalty after a 429) it goes back to the
	// queue for that long and frees the worker.
	maxInlineWait = 3 * time.Second
	// sendTimeout bounds one Bot API call.
	sendTimeout = 30 * time.Second
)

// lookahead is how far ahead of its turn a message of each priority may book a
// rate-limit slot. Broadcasts book only what is almost free, so a payment
// notification arriving in the middle of 50,000 of them books the next slot after
// at most lookahead[broadcast] of booked broadcasts, not after the backlog.
var lookahead = map[core.Priority]time.Duration{
	core.PriorityOrder:     10 * time.Second,
	core.PriorityReminder:  time.Second,
	core.PriorityBroadcast: 100 * time.Millisecond,
}

// queueOf is the asynq queue of a priority.
func queueOf(p core.Priority) string {
	switch p {
	case core.PriorityOrder:
		return QueueCritical
	case core.PriorityReminder:
		return QueueDefault
	}
	return QueueLow
}

// sendTask is the payload of TypeSend: the message and when it was enqueued, for
// the lag metric.
type sendTask struct {
	Message  core.Message `json:"m"`
	Enqueued int64        `json:"at"` // unix microseconds
}

// latestTask is the payload of TypeSendLatest.
type latestTask struct {
	Coalesce string `json:"c"`
	// Version is the state a follow-up task was enqueued for (0: the name's
	// own task): once a later one was sent, the follow-up has nothing to do.
	Version int64 `json:"v,omitempty"`
}

// sender is the state of the sender in a Workers.
type sender struct {
	rdb       redis.UniversalClient
	limiter   *ratelimit.Limiter
	transport Transport
	users     Recipients
	opt       SenderOptions
	prefix    string // of the keys of sent messages and coalesced states
	taskIDs   string // starts the task ids of messages

	mu       sync.RWMutex
	trackers map[string]Tracker

	// flights bounds the calls of broadcast pages under way (broadcast.go).
	flights *flights

	sent      *prometheus.CounterVec
	tooMany   prometheus.Counter
	retries   *prometheus.CounterVec
	lag       *prometheus.HistogramVec
	duplicate prometheus.Counter
}

func newSender(rdb redis.UniversalClient, tr Transport, users Recipients, instance string, opt SenderOptions, reg prometheus.Registerer) *sender {
	if opt.KeyLifetime <= 0 {
		opt.KeyLifetime = DefaultKeyLifetime
	}
	if opt.KeyPrefix == "" {
		opt.KeyPrefix = "vitrina:"
	}
	s := &sender{
		rdb:       rdb,
		transport: tr,
		users:     users,
		opt:       opt,
		prefix:    opt.KeyPrefix,
		taskIDs:   "msg:",
		trackers:  make(map[string]Tracker),
	}
	if instance != "" {
		// Rate limits are the bot's, whatever the database; sent keys are the database's.
		s.prefix = opt.KeyPrefix + instance + ":"
		s.taskIDs = "msg:" + instance + ":"
	}
	if rdb != nil {
		s.limiter = ratelimit.New(rdb, opt.Limits, ratelimit.Options{KeyPrefix: opt.KeyPrefix + "ratelimit:"})
		s.flights = newFlights(s.limiter.Limits().Global)
	}
	f := promauto.With(reg)
	s.sent = f.NewCounterVec(prometheus.CounterOpts{
		Name: "vitrina_messages_total",
		Help: "Messages the sender finished with, by priority and outcome (sent, skipped, blocked, gone, failed).",
	}, []string{"priority", "outcome"})
	s.tooMany = f.NewCounter(prometheus.CounterOpts{
		Name: "vitrina_telegram_429_total",
		Help: "Sends Telegram refused with 429 Too Many Requests; each is retried after its retry_after.",
	})
	s.retries = f.NewCounterVec(prometheus.CounterOpts{
		Name: "vitrina_message_retries_total",
		Help: "Sends that failed and go back to the queue, by reason (429, error).",
	}, []string{"reason"})
	s.lag = f.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vitrina_message_lag_seconds",
		Help:    "From a message's enqueue to Telegram taking it, by priority.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 1800},
	}, []string{"priority"})
	s.duplicate = f.NewCounter(prometheus.CounterOpts{
		Name: "vitrina_message_duplicates_total",
		Help: "Send tasks whose message was sent already (a retry after a crash, a second enqueue): not sent again.",
	})
	return s
}

// Track makes t the tracker of messages whose Ref is "<kind>:...". Call it
// before the workers start.
func (w *Workers) Track(kind string, t Tracker) {
	w.send.mu.Lock()
	defer w.send.mu.Unlock()
	w.send.trackers[kind] = t
}

// Send enqueues messages for the sender, each once: a message whose key was
// enqueued already (and is pending, or was sent within the key's lifetime) is not
// enqueued again. It returns a core.Error for an invalid message, and the queue's
// error when Redis fails: then the caller's task fails and retries, and the
// messages enqueued before the failure are not sent twice.
//
// Many messages are enqueued by several goroutines at once: one enqueue is a
// round trip to Redis, and one after the other they would cap the sender at
// about a thousand messages a second.
func (w *Workers) Send(ctx context.Context, msgs ...core.Message) error {
	for _, m := range msgs {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	if len(msgs) <= 4 {
		for _, m := range msgs {
			if err := w.enqueueMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan core.Message)
	var wg sync.WaitGroup
	for range min(sendEnqueuers, len(msgs)) {
		wg.Go(func() {
			for m := range next {
				if err := w.enqueueMessage(ctx, m); err != nil {
					cancel(err)
				}
			}
		})
	}
	for _, m := range msgs {
		if ctx.Err() != nil {
			break
		}
		next <- m
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// sendEnqueuers is how many goroutines Send enqueues many messages with.
const sendEnqueuers = 16

// enqueueMessage puts one message in the queue of its priority, or stores it as
// the latest state of its Coalesce.
func (w *Workers) enqueueMessage(ctx context.Context, m core.Message) error {
	if m.Coalesce != "" {
		return w.sendLatest(ctx, m)
	}
	return w.enqueueMessageIn(ctx, m, 0)
}

// enqueueMessageIn puts one message in the queue of its priority, to be sent
// no sooner than in delay.
func (w *Workers) enqueueMessageIn(ctx context.Context, m core.Message, delay time.Duration) error {
	payload, err := json.Marshal(sendTask{Message: m, Enqueued: time.Now().UnixMicro()})
	if err != nil {
		return fmt.Errorf("enqueue message %s: %w", m.Key, err)
	}
	opts := []asynq.Option{
		asynq.Queue(w.prefix + queueOf(m.Priority)),
		asynq.TaskID(w.send.taskIDs + m.Key),
		asynq.Retention(w.send.opt.KeyLifetime),
		asynq.MaxRetry(sendMaxRetry),
		asynq.Timeout(maxInlineWait + sendTimeout + 10*time.Second),
	}
	if delay > 0 {
		opts = append(opts, asynq.ProcessIn(delay))
	}
	_, err = w.queue.EnqueueContext(ctx, asynq.NewTask(TypeSend, payload), opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue message %s: %w", m.Key, err)
	}
	return nil
}

// HandleSend sends one message (TypeSend).
func (w *Workers) HandleSend(ctx context.Context, t *asynq.Task) error {
	var p sendTask
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Message.Validate() != nil {
		return badPayload(t.Type(), err)
	}
	_, err := w.deliver(ctx, p.Message, time.UnixMicro(p.Enqueued))
	if err != nil && lastAttempt(ctx, err) {
		w.giveUp(ctx, p.Message)
	}
	return err
}

// lastAttempt reports whether the task failing with err will not run again.
func lastAttempt(ctx context.Context, err error) bool {
	if !isFailure(err) {
		return false
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	return errors.Is(err, asynq.SkipRetry) || retried >= maxRetry
}

// giveUp tells the tracker that a message failed for good, so that what it is
// part of (a broadcast) can finish.
func (w *Workers) giveUp(ctx context.Context, m core.Message) {
	w.send.sent.WithLabelValues(priorityLabel(m.Priority), string(core.OutcomeFailed)).Inc()
	if tracker := w.send.tracker(m.Ref); tracker != nil {
		if err := tracker.Done(context.WithoutCancel(ctx), m, core.OutcomeFailed); err != nil {
			w.log.Warn("record a message given up", "key", m.Key, "error", err)
		}
	}
}

// errRetryIn sends a task back to the queue for a given time (RetryDelay).
// When wait is set, the task only waits for its rate-limit slot: that is not a
// failure, and does not use up its retries (isFailure).
type errRetryIn struct {
	after time.Duration
	wait  bool
	err   error
}

func (e *errRetryIn) Error() string { return fmt.Sprintf("%v (again in %s)", e.err, e.after) }
func (e *errRetryIn) Unwrap() error { return e.err }

// isFailure is asynq's IsFailure: a task sent back to wait for its rate-limit
// slot did not fail.
func isFailure(err error) bool {
	r, ok := errors.AsType[*errRetryIn](err)
	return !ok || !r.wait
}

// retryDelay is asynq's RetryDelayFunc: a 429 or a long rate-limit wait comes back
// after exactly the time it named, everything else after asynq's backoff.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if r, ok := errors.AsType[*errRetryIn](err); ok {
		return r.after
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// sentKey is the Redis key that remembers a sent message.
func (s *sender) sentKey(key string) string { return s.prefix + "sent:" + key }

// queuedKey is the Redis key that remembers a broadcast's message a page task
// handed to the queue (it then belongs to its TypeSend task).
func (s *sender) queuedKey(key string) string { return s.prefix + "queued:" + key }

// deliver sends m unless it was sent already, its recipient is unreachable or
// its tracker says no, waiting for its rate-limit slot first. It returns the
// outcome, and an error when the task should be retried (or fail for good).
func (w *Workers) deliver(ctx context.Context, m core.Message, enqueued time.Time) (core.Outcome, error) {
	s := w.send
	if s.transport == nil || s.limiter == nil {
		return "", errors.New("sender: no transport or Redis wired")
	}
	n, err := s.rdb.Exists(ctx, s.sentKey(m.Key)).Result()
	if err != nil {
		return "", fmt.Errorf("message %s: %w", m.Key, err)
	}
	tracker := s.tracker(m.Ref)
	if n > 0 {
		// Sent by an earlier run, which may have failed to tell the tracker:
		// telling it again is harmless (Done is idempotent).
		s.duplicate.Inc()
		if tracker != nil {
			if err := tracker.Done(ctx, m, core.OutcomeSent); err != nil {
				return core.OutcomeSent, fmt.Errorf("message %s sent: %w", m.Key, err)
			}
		}
		return core.OutcomeSent, nil
	}
	done := func(o core.Outcome) (core.Outcome, error) {
		s.sent.WithLabelValues(priorityLabel(m.Priority), string(o)).Inc()
		if tracker != nil {
			if err := tracker.Done(ctx, m, o); err != nil {
				return o, fmt.Errorf("message %s %s: %w", m.Key, o, err)
			}
		}
		return o, nil
	}
	// A tracked message's tracker knows whether its recipient is reachable
	// (Tracker.ShouldSend), in the query it makes anyway.
	if m.User != 0 && s.users != nil && tracker == nil {
		ok, err := s.users.Reachable(ctx, m.User)
		if err != nil {
			return "", fmt.Errorf("message %s: %w", m.Key, err)
		}
		if !ok {
			return done(core.OutcomeSkipped)
		}
	}
	if tracker != nil {
		ok, err := tracker.ShouldSend(ctx, m)
		if err != nil {
			return "", classify(fmt.Errorf("message %s: %w", m.Key, err))
		}
		if !ok {
			return done(core.OutcomeSkipped)
		}
	}
	if err := w.waitSlot(ctx, m); err != nil {
		return "", err
	}
	o, err := w.call(ctx, m, enqueued)
	if err != nil {
		return "", err
	}
	if _, err := done(o); err != nil {
		return "", err
	}
	return o, nil
}

// call makes the Bot API call of m, whose rate-limit slot is taken, and says
// what became of it: the outcome when the message is done with (sent, or
// refused for good), or an error when it should be tried again (an
// *errRetryIn after a 429, whose pause it has shared with the other workers).
// A sent message's key is remembered before call returns.
func (w *Workers) call(ctx context.Context, m core.Message, enqueued time.Time) (core.Outcome, error) {
	s := w.send
	m.PaidBroadcast = s.opt.PaidBroadcast && m.Priority == core.PriorityBroadcast
	// The call is not cut short by the task's deadline or a shutdown: Telegram may
	// take a message whose answer we did not wait for, and the retry would send
	// it again.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	err := s.transport.Deliver(callCtx, m)
	cancel()
	if err == nil {
		// Remembered before anything else can fail: a retry from here on finds it.
		if err := s.rdb.Set(context.WithoutCancel(ctx), s.sentKey(m.Key), 1, s.opt.KeyLifetime).Err(); err != nil {
			w.log.Warn("remember a sent message; a retry could send it again", "key", m.Key, "error", err)
		}
		s.lag.WithLabelValues(priorityLabel(m.Priority)).Observe(time.Since(enqueued).Seconds())
		return core.OutcomeSent, nil
	}
	se, ok := errors.AsType[*core.SendError](err)
	switch {
	case !ok && core.ErrorCode(err) == core.EINVALID: // a message the transport cannot make
		w.log.Warn("message cannot be sent", "chat", m.Chat, "method", m.Method, "error", err)
		return core.OutcomeFailed, nil
	case !ok:
		s.retries.WithLabelValues("error").Inc()
		return "", fmt.Errorf("message %s: %w", m.Key, err)
	case se.Code == 429:
		s.tooMany.Inc()
		s.retries.WithLabelValues("429").Inc()
		after := max(se.RetryAfter, time.Second)
		if err := s.limiter.Backoff(ctx, m.Chat, m.Group, after); err != nil {
			w.log.Warn("share a 429's pause with the other workers", "error", err)
		}
		return "", &errRetryIn{after: after, err: fmt.Errorf("message %s: %w", m.Key, err)}
	case se.Code == 403:
		if m.User != 0 && s.users != nil {
			if err := s.users.MarkUnreachable(ctx, m.User); err != nil && core.ErrorCode(err) != core.ENOTFOUND {
				return "", fmt.Errorf("message %s: mark user unreachable: %w", m.Key, err)
			}
		}
		return core.OutcomeBlocked, nil
	case se.Gone:
		w.log.Info("message dropped: its chat or message is gone", "chat", m.Chat, "method", m.Method, "error", err)
		return core.OutcomeGone, nil
	case se.Code >= 500:
		s.retries.WithLabelValues("error").Inc()
		return "", fmt.Errorf("message %s: %w", m.Key, err)
	}
	w.log.Warn("message refused by Telegram", "chat", m.Chat, "method", m.Method, "error", err)
	return core.OutcomeFailed, nil
}

// waitSlot waits until the rate limits grant m a slot. A wait longer than
// maxInlineWait sends the task back to the queue for that long instead.
func (w *Workers) waitSlot(ctx context.Context, m core.Message) error {
	for {
		g, err := w.send.limiter.Take(ctx, m.Chat, m.Group, lookahead[m.Priority])
		if err != nil {
			return fmt.Errorf("message %s: %w", m.Key, err)
		}
		if !g.OK && g.Wait > maxInlineWait {
			return &errRetryIn{after: g.Wait, wait: true, err: fmt.Errorf("message %s waits for its rate limit", m.Key)}
		}
		if g.Wait > 0 {
			timer := time.NewTimer(g.Wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return ctx.Err()
			case <-timer.C:
			}
		}
		if g.OK {
			return nil
		}
	}
}

// tracker returns the tracker of a Ref's kind, nil for none.
func (s *sender) tracker(ref string) Tracker {
	if ref == "" {
		return nil
	}
	kind, _, _ := strings.Cut(ref, ":")
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.trackers[kind]
}

func priorityLabel(p core.Priority) string {
	switch p {
	case core.PriorityOrder:
		return "order"
	case core.PriorityReminder:
		return "reminder"
	}
	return "broadcast"
}
