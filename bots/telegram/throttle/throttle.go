// Package throttle paces the bot's replies (the messages it sends and edits while
// handling an update) by Telegram's limits, with the same Redis-shared buckets the
// sender (workers/sender.go) takes its slots from: a busy moment then slows down
// instead of storming Telegram with calls it refuses with 429.
//
// A Caller wraps telego's API caller. It acts only on calls made under
// Replies(ctx) (Handler marks the context of every update it handles) whose method
// sends or edits a message in a chat; everything else passes through untouched,
// the sender's calls included, since the sender took its slot already.
package throttle

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Limiter hands out message slots under limits shared by every replica
// (workers/ratelimit.Limiter).
type Limiter interface {
	// TakeSlot asks for one slot in chat (isGroup: a group, supergroup or channel),
	// now or booked up to ahead in the future. ok: the slot is the caller's, to use
	// after wait; otherwise nothing was taken, ask again after wait.
	TakeSlot(ctx context.Context, chat int64, isGroup bool, ahead time.Duration) (wait time.Duration, ok bool, err error)
	// Backoff records a 429 with retry_after d for chat: no replica writes to it
	// before d from now.
	Backoff(ctx context.Context, chat int64, isGroup bool, d time.Duration) error
}

// Options tune a Caller. Zero fields take the defaults named.
type Options struct {
	// MaxWait is the longest a reply waits for its slot (default 5 s), and how far
	// ahead of its turn it may book the global bucket: someone waiting for an
	// answer goes before broadcasts, which book only what is almost free. A reply
	// whose slot is further away is answered 429 with retry_after without calling
	// Telegram, for the inbox to retry the update then: the bot answers a callback
	// query after its other calls, and a spinning button must not wait long.
	MaxWait time.Duration
	// MaxRetryWait: a 429 whose retry_after is at most this (and fits in the
	// call's context) is waited out and the call made once more (default 5 s).
	// Longer ones are returned, for the inbox to retry the update after them.
	MaxRetryWait time.Duration
	// RedisTimeout bounds one call to the Limiter (default 1 s). Past it, unless
	// Redis answered other calls meanwhile, Redis counts as away and the reply
	// goes out without a slot rather than wait for it.
	RedisTimeout time.Duration
	// ProbeInterval: while Redis is unreachable, one reply in this long asks the
	// Limiter whether it is back (default 5 s); the others go straight out.
	ProbeInterval time.Duration
	// Log receives the outage of Redis (once) and its end (once). Default: discard.
	Log *slog.Logger
	// Registerer takes the Caller's metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
}

// Defaults of Options.
const (
	DefaultMaxWait       = 5 * time.Second
	DefaultMaxRetryWait  = 5 * time.Second
	DefaultRedisTimeout  = time.Second
	DefaultProbeInterval = 5 * time.Second
)

// ChatBurst is how many replies may go at once in one private chat (configure the
// Limiter's per-chat burst with it). Telegram allows short bursts of an
// undocumented size (the sandbox models 3): two let one update's answers (an edit
// and an invoice) go without waiting, and leave a message of slack for the jitter
// between taking a slot and reaching Telegram, so that the next reply, a second
// later, is not refused.
const ChatBurst = 2

// callMargin is the time a call itself needs after its wait: a wait that leaves
// less than this before the context's deadline is not worth starting.
const callMargin = time.Second

type repliesKey struct{}

// Replies marks ctx as the handling of an update: a Caller paces the messages sent
// or edited under it.
func Replies(ctx context.Context) context.Context {
	return context.WithValue(ctx, repliesKey{}, true)
}

// IsReplies reports whether ctx was marked by Replies.
func IsReplies(ctx context.Context) bool {
	v, _ := ctx.Value(repliesKey{}).(bool)
	return v
}

type beforeWaitKey struct{}

// BeforeWait returns ctx with fn, which a Caller calls on the reply's goroutine
// just before a reply made under ctx waits: for its slot, or out a 429's
// retry_after. The bot answers a pressed button there, so that it does not spin
// for the wait. fn may be called more than once.
func BeforeWait(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, beforeWaitKey{}, fn)
}

// beforeWait calls the function BeforeWait put in ctx, if any.
func beforeWait(ctx context.Context) {
	if fn, ok := ctx.Value(beforeWaitKey{}).(func()); ok && fn != nil {
		fn()
	}
}

// UpdateHandler handles one update (inbox.Handler; *telegram.Bot implements it).
type UpdateHandler interface {
	HandleUpdate(ctx context.Context, u telego.Update) error
}

// Handler returns h with every update handled under Replies (ctx and
// u.Context() both), so that the replies it makes are paced.
func Handler(h UpdateHandler) UpdateHandler { return repliesHandler{h} }

type repliesHandler struct{ next UpdateHandler }

func (r repliesHandler) HandleUpdate(ctx context.Context, u telego.Update) error {
	ctx = Replies(ctx)
	return r.next.HandleUpdate(ctx, u.WithContext(ctx))
}

// Caller is a telego API caller that paces replies (see the package comment). It
// is safe for concurrent use.
type Caller struct {
	next   ta.Caller
	limit  Limiter
	opt    Options
	health *health

	waits       prometheus.Histogram
	tooMany     *prometheus.CounterVec
	unthrottled prometheus.Counter
}

var _ ta.Caller = (*Caller)(nil)

// New returns a Caller making its calls with next and taking slots from limit.
func New(next ta.Caller, limit Limiter, opt Options) *Caller {
	if opt.MaxWait <= 0 {
		opt.MaxWait = DefaultMaxWait
	}
	if opt.MaxRetryWait <= 0 {
		opt.MaxRetryWait = DefaultMaxRetryWait
	}
	if opt.RedisTimeout <= 0 {
		opt.RedisTimeout = DefaultRedisTimeout
	}
	if opt.ProbeInterval <= 0 {
		opt.ProbeInterval = DefaultProbeInterval
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	f := promauto.With(opt.Registerer)
	return &Caller{
		next:  next,
		limit: limit,
		opt:   opt,
		health: &health{
			log:   opt.Log,
			probe: opt.ProbeInterval,
			down: f.NewGauge(prometheus.GaugeOpts{
				Name: "vitrina_reply_throttle_redis_down",
				Help: "1 while the reply throttle cannot reach Redis and lets replies through without a slot.",
			}),
		},
		waits: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "vitrina_reply_slot_wait_seconds",
			Help:    "Time a reply waited for its rate-limit slot.",
			Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2, 5, 10, 30},
		}),
		tooMany: f.NewCounterVec(prometheus.CounterOpts{
			Name: "vitrina_reply_429_total",
			Help: "Replies Telegram refused with 429, by what followed: retried (after a short retry_after) or returned (for the inbox to retry the update).",
		}, []string{"outcome"}),
		unthrottled: f.NewCounter(prometheus.CounterOpts{
			Name: "vitrina_reply_unthrottled_total",
			Help: "Replies sent without a rate-limit slot because Redis was unreachable.",
		}),
	}
}

// Call makes the call with the next caller; a reply first waits for its slot. A
// reply whose slot lies beyond MaxWait or ctx's deadline is not made: it is
// answered as Telegram would, 429 with retry_after, without calling Telegram.
// After a 429 from Telegram the chat is held for retry_after on every replica; a
// short retry_after is waited out and the call made once more (a 429 means
// Telegram did not execute it, so the retry cannot duplicate a message), a longer
// one is returned.
func (c *Caller) Call(ctx context.Context, url string, data *ta.RequestData) (*ta.Response, error) {
	if !IsReplies(ctx) || !paced(methodOf(url)) {
		return c.next.Call(ctx, url, data)
	}
	data, t := targetOf(data)
	if t.known {
		if resp, err := c.acquire(ctx, t); resp != nil || err != nil {
			return resp, err
		}
	}
	resp, err := c.next.Call(ctx, url, data)
	d, limited := retryAfter(resp)
	if !limited {
		return resp, err
	}
	c.backoff(ctx, t, d)
	// A streamed body (a multipart upload) was read by the first call: it cannot
	// be sent again.
	if data == nil || data.BodyRaw == nil || d > c.opt.MaxRetryWait || !fits(ctx, d) {
		c.tooMany.WithLabelValues("returned").Inc()
		return resp, err
	}
	c.tooMany.WithLabelValues("retried").Inc()
	beforeWait(ctx)
	if sleep(ctx, d) != nil {
		return resp, err
	}
	if t.known {
		if r, err := c.acquire(ctx, t); r != nil || err != nil {
			return r, err
		}
	}
	resp, err = c.next.Call(ctx, url, data)
	if d, limited := retryAfter(resp); limited {
		c.backoff(ctx, t, d)
		c.tooMany.WithLabelValues("returned").Inc()
	}
	return resp, err
}

// acquire waits for a slot in t's chat. It returns a 429 answer when the slot lies
// beyond MaxWait or ctx's deadline, and an error when ctx ends; nil, nil when the
// reply may go. Without Redis every reply may go at once.
func (c *Caller) acquire(ctx context.Context, t target) (*ta.Response, error) {
	start := time.Now()
	limit := start.Add(c.opt.MaxWait)
	if deadline, ok := ctx.Deadline(); ok && deadline.Add(-callMargin).Before(limit) {
		limit = deadline.Add(-callMargin)
	}
	for {
		wait, ok, err := c.take(ctx, t)
		if err != nil {
			return nil, err
		}
		if time.Now().Add(wait).After(limit) {
			return tooManyRequests(wait), nil
		}
		if wait > 0 {
			beforeWait(ctx)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("wait for a reply slot in chat %d: %w", t.chat, err)
		}
		if ok {
			c.waits.Observe(time.Since(start).Seconds())
			return nil, nil
		}
	}
}

// take asks the Limiter for a slot; while Redis is unreachable it grants one
// without asking (the outage is logged once and counted). A Redis too busy to
// answer in time, but answering others, is asked again. The only error is ctx's.
func (c *Caller) take(ctx context.Context, t target) (time.Duration, bool, error) {
	if !c.health.usable() {
		c.unthrottled.Inc()
		return 0, true, nil
	}
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, c.opt.RedisTimeout)
	wait, ok, err := c.limit.TakeSlot(rctx, t.chat, t.group, c.opt.MaxWait)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return 0, false, fmt.Errorf("take a reply slot in chat %d: %w", t.chat, context.Cause(ctx))
		}
		if !c.health.failed(err, start) {
			return 0, false, nil // busy, not away: ask again
		}
		c.unthrottled.Inc()
		return 0, true, nil
	}
	c.health.ok()
	return wait, ok, nil
}

// backoff shares a 429's retry_after with every replica and the sender, if Redis
// can be reached.
func (c *Caller) backoff(ctx context.Context, t target, d time.Duration) {
	if !t.known || !c.health.usable() {
		return
	}
	start := time.Now()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opt.RedisTimeout)
	defer cancel()
	if err := c.limit.Backoff(rctx, t.chat, t.group, d); err != nil {
		c.health.failed(err, start)
		return
	}
	c.health.ok()
}

// target is the chat a call writes to, when the call names one by number.
type target struct {
	chat  int64
	group bool
	known bool
}

// methodOf is the last element of a Bot API URL (.../bot<token>/<method>).
func methodOf(url string) string {
	return url[strings.LastIndexByte(url, '/')+1:]
}

// paced reports whether method sends or edits a message in a chat, spending
// Telegram's per-chat and global budget. Answers to queries (callback, inline,
// pre-checkout, shipping) have deadlines of their own and no such budget; chat
// actions, deletions and settings are not messages. Method names are
// case-insensitive on Telegram.
func paced(method string) bool {
	switch {
	case strings.EqualFold(method, "sendChatAction"):
		return false
	case hasPrefixFold(method, "send"), hasPrefixFold(method, "editMessage"):
		return true
	}
	for _, m := range [...]string{"copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "stopPoll"} {
		if strings.EqualFold(method, m) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// retryAfter reports whether resp is a 429, and the pause it asks for (at least a
// second: Telegram counts in seconds, and a 429 without retry_after still means
// "slow down").
func retryAfter(resp *ta.Response) (time.Duration, bool) {
	if resp == nil || resp.Ok || resp.Error == nil || resp.Error.ErrorCode != 429 {
		return 0, false
	}
	d := time.Second
	if p := resp.Error.Parameters; p != nil && p.RetryAfter > 1 {
		d = time.Duration(p.RetryAfter) * time.Second
	}
	return d, true
}

// tooManyRequests is the answer to a reply whose slot is too far away: Telegram's
// own 429, so that the bot and the inbox treat it as one (retry the update after
// retry_after).
func tooManyRequests(wait time.Duration) *ta.Response {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	return &ta.Response{
		Ok: false,
		Error: &ta.Error{
			ErrorCode:   429,
			Description: fmt.Sprintf("Too Many Requests: retry after %d (held back by the reply throttle)", secs),
			Parameters:  &ta.ResponseParameters{RetryAfter: secs},
		},
	}
}

// fits reports whether a wait of d leaves time for the call before ctx's deadline.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d+callMargin
}

// sleep waits d, or until ctx ends (returning its cause).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
