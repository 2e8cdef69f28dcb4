package sandbox

import (
	"sync"
	"time"
)

// Limiter decides whether the bot may send or edit a message in a chat now. The server asks it
// before each sendMessage, sendPhoto, sendDocument, sendMediaGroup, sendInvoice and edit, with its
// lock held; a refusal is answered 429 "Too Many Requests: retry after N" with
// parameters.retry_after = ceil(retryAfter). Implementations must be safe for concurrent use.
type Limiter interface {
	Allow(req LimitRequest) (retryAfter time.Duration, ok bool)
}

// LimitRequest is one call a Limiter rules on.
type LimitRequest struct {
	Chat   ChatInfo
	Method string
	// PaidBroadcast is set when the call passed allow_paid_broadcast.
	PaidBroadcast bool
	Now           time.Time
}

// Rate is a token bucket: Events per Per on average, up to Burst at once.
type Rate struct {
	Events int
	Per    time.Duration
	Burst  int
}

// RateLimits configures a RateLimiter.
type RateLimits struct {
	// PerChat limits each private chat.
	PerChat Rate
	// PerGroup limits each group, supergroup and channel.
	PerGroup Rate
	// Global limits all chats together.
	Global Rate
	// PaidBroadcast replaces Global for calls with allow_paid_broadcast (Telegram: up to 1000/s,
	// paid in Stars above 30/s).
	PaidBroadcast Rate
	// Scale multiplies every rate (not the bursts): 2 allows twice as many messages, 0.1 a tenth.
	// 0 means 1.
	Scale float64
}

// TelegramRateLimits are the limits the Bots FAQ publishes: about one message per second per chat
// with short bursts (the burst size is not documented; 3 here), 20 messages per minute per group or
// channel, about 30 messages per second overall, up to 1000 per second for paid broadcasts.
func TelegramRateLimits() RateLimits {
	return RateLimits{
		PerChat:       Rate{Events: 1, Per: time.Second, Burst: 3},
		PerGroup:      Rate{Events: 20, Per: time.Minute, Burst: 20},
		Global:        Rate{Events: 30, Per: time.Second, Burst: 30},
		PaidBroadcast: Rate{Events: 1000, Per: time.Second, Burst: 1000},
	}
}

// RateLimiter is a Limiter of token buckets per chat, per group and overall.
type RateLimiter struct {
	limits RateLimits

	mu      sync.Mutex
	chats   map[int64]*bucket
	overall bucket
	paid    bucket
}

// NewRateLimiter returns a RateLimiter enforcing limits. A Rate with zero Events is not enforced.
func NewRateLimiter(limits RateLimits) *RateLimiter {
	if limits.Scale <= 0 {
		limits.Scale = 1
	}
	return &RateLimiter{limits: limits, chats: make(map[int64]*bucket)}
}

type bucket struct {
	tokens float64
	last   time.Time
	primed bool
}

// check refills b at rate by now and reports whether a token is there, or how long until one is.
func (b *bucket) check(r Rate, scale float64, now time.Time) (wait time.Duration, ok bool) {
	if r.Events <= 0 || r.Per <= 0 {
		return 0, true
	}
	burst := float64(max(r.Burst, 1))
	perSecond := float64(r.Events) / r.Per.Seconds() * scale
	if !b.primed {
		b.tokens, b.last, b.primed = burst, now, true
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(burst, b.tokens+elapsed*perSecond)
		b.last = now
	}
	const epsilon = 1e-9 // refills computed from float seconds land a hair below whole tokens
	if b.tokens >= 1-epsilon {
		b.tokens = max(b.tokens, 1)
		return 0, true
	}
	return time.Duration((1 - b.tokens) / perSecond * float64(time.Second)), false
}

// Allow takes a token from the chat's bucket and the global one (the paid-broadcast one for a paid
// broadcast), or none when either is empty.
func (l *RateLimiter) Allow(req LimitRequest) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rate := l.limits.PerChat
	if req.Chat.Type != ChatPrivate {
		rate = l.limits.PerGroup
	}
	cb, ok := l.chats[req.Chat.ID]
	if !ok {
		cb = &bucket{}
		l.chats[req.Chat.ID] = cb
	}
	global, globalRate := &l.overall, l.limits.Global
	if req.PaidBroadcast {
		global, globalRate = &l.paid, l.limits.PaidBroadcast
	}
	chatWait, chatOK := cb.check(rate, l.limits.Scale, req.Now)
	globalWait, globalOK := global.check(globalRate, l.limits.Scale, req.Now)
	if !chatOK || !globalOK {
		return max(chatWait, globalWait), false
	}
	if rate.Events > 0 {
		cb.tokens--
	}
	if globalRate.Events > 0 {
		global.tokens--
	}
	return 0, true
}
