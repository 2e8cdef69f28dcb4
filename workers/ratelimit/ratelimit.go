// Package ratelimit paces outgoing Telegram messages with limits shared by
// every worker replica: the state lives in Redis, so N workers together send
// no faster than one would.
//
// Each limit is a GCRA bucket (generic cell rate algorithm): Redis stores one
// theoretical arrival time (TAT) per key, in microseconds of the Redis
// server's clock, so replicas with skewed clocks agree. A key expires once its
// TAT has passed, because an absent key and a past TAT mean the same thing:
// idle chats cost no memory.
package ratelimit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Telegram's documented limits (Bots FAQ): about 30 messages/s in bulk,
// about 1 message/s per chat with short bursts, 20 messages/minute per group
// or channel. Vitrina takes no burst by default: Telegram does not say how
// long a burst may be, and messages it sends on its own are never urgent to
// the second in one chat.
const (
	DefaultGlobal        = 30.0
	DefaultGlobalBurst   = 1
	DefaultPerChat       = 1.0
	DefaultPerChatBurst  = 1
	DefaultPerGroup      = 20.0 / 60.0
	DefaultPerGroupBurst = 1
	DefaultKeyPrefix     = "vitrina:ratelimit:"
)

// Limits are the rates the Limiter enforces. Rates are in messages per
// second; a burst is how many messages may go back to back after the bucket
// has been idle (1 = strictly spaced). A zero field takes its Default*
// value.
type Limits struct {
	Global        float64 // all chats together, across every replica
	GlobalBurst   int
	PerChat       float64 // one private chat
	PerChatBurst  int
	PerGroup      float64 // one group, supergroup or channel
	PerGroupBurst int
}

// DefaultLimits returns Telegram's limits for a bot without paid broadcasts.
func DefaultLimits() Limits {
	return Limits{}.withDefaults()
}

// Scale returns the limits with every rate multiplied by f and the bursts
// unchanged, keeping the ratios between limits (the broadcast benchmark runs
// Telegram's limits faster by one factor). Zero rates take their defaults
// before scaling. It panics unless f is positive and finite: a zero factor
// would otherwise turn back into the defaults.
func (l Limits) Scale(f float64) Limits {
	if !(f > 0) || math.IsInf(f, 0) {
		panic(fmt.Sprintf("ratelimit: scale factor %v must be positive and finite", f))
	}
	l = l.withDefaults()
	l.Global *= f
	l.PerChat *= f
	l.PerGroup *= f
	return l
}

// Validate reports the first limit that is not a positive finite rate or a
// positive burst, after defaults are applied.
func (l Limits) Validate() error {
	l = l.withDefaults()
	for _, r := range []struct {
		name string
		rate float64
	}{{"Global", l.Global}, {"PerChat", l.PerChat}, {"PerGroup", l.PerGroup}} {
		if !(r.rate > 0) || math.IsInf(r.rate, 0) {
			return fmt.Errorf("ratelimit: %s rate %v must be positive and finite", r.name, r.rate)
		}
	}
	for _, b := range []struct {
		name  string
		burst int
	}{{"GlobalBurst", l.GlobalBurst}, {"PerChatBurst", l.PerChatBurst}, {"PerGroupBurst", l.PerGroupBurst}} {
		if b.burst < 1 {
			return fmt.Errorf("ratelimit: %s %d must be at least 1", b.name, b.burst)
		}
	}
	return nil
}

func (l Limits) withDefaults() Limits {
	if l.Global == 0 {
		l.Global = DefaultGlobal
	}
	if l.GlobalBurst == 0 {
		l.GlobalBurst = DefaultGlobalBurst
	}
	if l.PerChat == 0 {
		l.PerChat = DefaultPerChat
	}
	if l.PerChatBurst == 0 {
		l.PerChatBurst = DefaultPerChatBurst
	}
	if l.PerGroup == 0 {
		l.PerGroup = DefaultPerGroup
	}
	if l.PerGroupBurst == 0 {
		l.PerGroupBurst = DefaultPerGroupBurst
	}
	return l
}

// Options configure where the Limiter keeps its state.
type Options struct {
	// KeyPrefix starts every Redis key (default DefaultKeyPrefix). Limiters
	// that must share limits (all workers of one bot) use the same prefix;
	// tests use a unique one.
	KeyPrefix string
}

// bucket is one GCRA parameter set, in microseconds: the emission interval
// (time per message) and the tolerance (how far ahead of now the TAT may run
// while still granting, i.e. (burst-1) intervals).
type bucket struct {
	interval  float64
	tolerance float64
}

func newBucket(rate float64, burst int) bucket {
	interval := 1e6 / rate
	return bucket{interval: interval, tolerance: float64(burst-1) * interval}
}

// Limiter grants send slots under limits shared through Redis. It is safe for
// concurrent use; any number of Limiters with the same key prefix and limits,
// in any number of processes, enforce the limits together.
type Limiter struct {
	rdb       redis.UniversalClient
	limits    Limits
	global    bucket
	chat      bucket
	group     bucket
	globalKey string
	keyPrefix string
}

// New returns a Limiter enforcing limits (zero fields take their defaults)
// with its state in rdb. It panics if limits are invalid (see
// Limits.Validate): validate configuration before wiring.
//
// Every key carries the hash tag {rl}, so the keys one script touches share a
// slot and the Limiter also runs on Redis Cluster.
func New(rdb redis.UniversalClient, limits Limits, opts Options) *Limiter {
	if err := limits.Validate(); err != nil {
		panic(err)
	}
	limits = limits.withDefaults()
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	prefix += "{rl}:"
	return &Limiter{
		rdb:       rdb,
		limits:    limits,
		global:    newBucket(limits.Global, limits.GlobalBurst),
		chat:      newBucket(limits.PerChat, limits.PerChatBurst),
		group:     newBucket(limits.PerGroup, limits.PerGroupBurst),
		globalKey: prefix + "global",
		keyPrefix: prefix,
	}
}

// Limits returns the limits in force, defaults applied.
func (l *Limiter) Limits() Limits { return l.limits }

// chatKey is the same for a chat whether or not the caller calls it a group:
// a chat's kind does not change, and one key keeps one history per chat.
func (l *Limiter) chatKey(chat int64) string {
	return l.keyPrefix + "chat:" + strconv.FormatInt(chat, 10)
}

//go:embed take.lua
var takeSource string

//go:embed backoff.lua
var backoffSource string

var (
	takeScript    = redis.NewScript(takeSource)
	backoffScript = redis.NewScript(backoffSource)
)

// After a 429, the global rate runs at SlowFactor of itself for SlowFor: Telegram
// said the bot went too fast, and the limits it publishes are approximate.
const (
	SlowFactor = 0.8
	SlowFor    = time.Minute
)

// Grant is the answer of Take.
type Grant struct {
	// OK: the slot is the caller's; send after Wait. Otherwise nothing was taken:
	// ask again after Wait (the chat is free then, or the global slot within
	// reach of the lookahead).
	OK   bool
	Wait time.Duration
}

// Take asks for one message slot to chat (isGroup: a group, supergroup or
// channel), now or booked up to ahead in the future: a caller granted a slot
// Wait from now sleeps that long and sends. Higher priorities book further ahead
// (see workers.lookahead), so they get the next free slot while lower ones are
// refused and wait. Both buckets are checked together, atomically, in Redis, at
// the global rate slowed after a recent 429 (Backoff). It returns an error, and
// takes nothing, when Redis fails or ctx ends.
func (l *Limiter) Take(ctx context.Context, chat int64, isGroup bool, ahead time.Duration) (Grant, error) {
	b := l.chat
	if isGroup {
		b = l.group
	}
	res, err := takeScript.Run(ctx, l.rdb,
		[]string{l.globalKey, l.chatKey(chat), l.slowKey()},
		formatMicros(l.global.interval), formatMicros(l.global.tolerance),
		formatMicros(b.interval), formatMicros(b.tolerance),
		strconv.FormatInt(ahead.Microseconds(), 10),
	).Int64Slice()
	if err != nil || len(res) != 2 {
		return Grant{}, fmt.Errorf("take a slot in chat %d: %w", chat, err)
	}
	return Grant{OK: res[0] == 1, Wait: time.Duration(res[1]) * time.Microsecond}, nil
}

// TakeSlot is Take with the grant as plain values, so that a package which may
// not import workers (bots/telegram/throttle, pacing the bot's replies with these
// same buckets) can declare it in an interface of its own.
func (l *Limiter) TakeSlot(ctx context.Context, chat int64, isGroup bool, ahead time.Duration) (wait time.Duration, ok bool, err error) {
	g, err := l.Take(ctx, chat, isGroup, ahead)
	return g.Wait, g.OK, err
}

// Backoff records a 429 Telegram answered for chat with retry_after d: no
// replica sends to the chat before d from now, and the global rate is slowed to
// SlowFactor for SlowFor. Several replicas reporting one 429 do not add up.
func (l *Limiter) Backoff(ctx context.Context, chat int64, isGroup bool, d time.Duration) error {
	if d <= 0 {
		return errors.New("backoff: duration must be positive")
	}
	b := l.chat
	if isGroup {
		b = l.group
	}
	err := backoffScript.Run(ctx, l.rdb,
		[]string{l.chatKey(chat), l.slowKey()},
		strconv.FormatInt(d.Microseconds(), 10), formatMicros(b.tolerance),
		strconv.FormatFloat(1/SlowFactor, 'g', -1, 64), strconv.FormatInt(SlowFor.Milliseconds(), 10),
	).Err()
	if err != nil {
		return fmt.Errorf("backoff chat %d for %v: %w", chat, d, err)
	}
	return nil
}

// slowKey holds the factor the global interval is multiplied by after a 429.
func (l *Limiter) slowKey() string { return l.keyPrefix + "slow" }

// formatMicros keeps fractions of a microsecond: at a scaled global rate of
// 30,000/s the interval is 33.3 µs, and rounding it would overshoot by 1%.
func formatMicros(us float64) string {
	return strconv.FormatFloat(us, 'g', -1, 64)
}
