package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/workers/ratelimit"
)

const redisAddr = "127.0.0.1:6379"

// setup returns a Redis client and a key prefix unique to this test; every key
// under the prefix is deleted when the test ends.
func setup(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	rdb := newClient(tb)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	prefix := "vitrina:test:ratelimit:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("delete test keys: %v", err)
		}
	})
	return rdb, prefix
}

// newClient returns a separate connection pool, as a separate worker process
// would have.
func newClient(tb testing.TB) *redis.Client {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	tb.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("redis at %s: %v", redisAddr, err)
	}
	return rdb
}

// keys lists the keys under prefix.
func keys(t *testing.T, rdb *redis.Client, prefix string) []string {
	t.Helper()
	ks, err := rdb.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// snapshot returns every key under prefix with its value.
func snapshot(t *testing.T, rdb *redis.Client, prefix string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, k := range keys(t, rdb, prefix) {
		v, err := rdb.Get(context.Background(), k).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		m[k] = v
	}
	return m
}

// takeNow asks for a slot to chat now (no lookahead): 0 when granted, else how long
// until one would be.
func takeNow(ctx context.Context, l *ratelimit.Limiter, chat int64, isGroup bool) (time.Duration, error) {
	g, err := l.Take(ctx, chat, isGroup, 0)
	if err != nil || g.OK {
		return 0, err
	}
	return g.Wait, nil
}

func mustTakeNow(t *testing.T, l *ratelimit.Limiter, chat int64, isGroup bool) time.Duration {
	t.Helper()
	wait, err := takeNow(context.Background(), l, chat, isGroup)
	if err != nil {
		t.Fatal(err)
	}
	return wait
}

// countGrants has each of workers goroutines (spread round-robin over
// limiters) take slots for fresh chats until window has passed, sleeping out
// each refusal, and returns the grants and the window actually measured
// (from before the first call to after the last one returned).
func countGrants(t *testing.T, limiters []*ratelimit.Limiter, workers int, window time.Duration, chat func() (int64, bool)) (int64, time.Duration) {
	t.Helper()
	ctx := context.Background()
	var granted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	deadline := start.Add(window)
	for i := range workers {
		l := limiters[i%len(limiters)]
		wg.Go(func() {
			for time.Now().Before(deadline) {
				id, isGroup := chat()
				wait, err := takeNow(ctx, l, id, isGroup)
				if err != nil {
					errs <- err
					return
				}
				if wait == 0 {
					granted.Add(1)
					continue
				}
				time.Sleep(min(wait, time.Until(deadline)+time.Millisecond))
			}
		})
	}
	wg.Wait()
	measured := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return granted.Load(), measured
}

// maxGrants is what GCRA allows in a window: the burst, then one per interval,
// plus one for the grant that may fall on the window's edge.
func maxGrants(rate float64, burst int, window time.Duration) int64 {
	return int64(burst) + int64(rate*window.Seconds()) + 1
}

func TestLimits(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		got := ratelimit.DefaultLimits()
		want := ratelimit.Limits{Global: 30, GlobalBurst: 1, PerChat: 1, PerChatBurst: 1, PerGroup: 20.0 / 60, PerGroupBurst: 1}
		if got != want {
			t.Errorf("DefaultLimits() = %+v, want %+v", got, want)
		}
	})
	t.Run("ScaleKeepsRatiosAndBursts", func(t *testing.T) {
		got := ratelimit.Limits{PerChatBurst: 5}.Scale(100)
		perGroup := ratelimit.DefaultLimits().PerGroup // a variable: float, not exact constant, arithmetic
		want := ratelimit.Limits{Global: 3000, GlobalBurst: 1, PerChat: 100, PerChatBurst: 5, PerGroup: perGroup * 100, PerGroupBurst: 1}
		if got != want {
			t.Errorf("Scale(100) = %+v, want %+v", got, want)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		for _, l := range []ratelimit.Limits{
			{Global: -1},
			{PerChatBurst: -2},
			{PerGroup: -20.0 / 60},
		} {
			if err := l.Validate(); err == nil {
				t.Errorf("Validate(%+v) = nil, want an error", l)
			}
		}
	})
}

func TestLimiter_Take(t *testing.T) {
	t.Run("PerChatBurstThenOnePerSecond", func(t *testing.T) {
		rdb, prefix := setup(t)
		l := ratelimit.New(rdb, ratelimit.Limits{Global: 1e6, PerChat: 1, PerChatBurst: 3}, ratelimit.Options{KeyPrefix: prefix})
		for i := range 3 {
			if wait := mustTakeNow(t, l, 42, false); wait != 0 {
				t.Fatalf("reservation %d of the burst: wait %v, want 0", i+1, wait)
			}
		}
		wait := mustTakeNow(t, l, 42, false)
		if wait <= 0 || wait > time.Second {
			t.Fatalf("4th reservation: wait %v, want in (0, 1s]", wait)
		}
		if wait := mustTakeNow(t, l, 43, false); wait != 0 {
			t.Errorf("another chat: wait %v, want 0", wait)
		}
	})

	t.Run("PerChatRateOverWindow", func(t *testing.T) {
		rdb, prefix := setup(t)
		// Telegram's ratios, 50 times faster: 50 messages/s to one chat.
		limits := ratelimit.Limits{Global: 1e6, PerChat: 1, PerChatBurst: 3}.Scale(50)
		l := ratelimit.New(rdb, limits, ratelimit.Options{KeyPrefix: prefix})
		got, window := countGrants(t, []*ratelimit.Limiter{l}, 4, 400*time.Millisecond, func() (int64, bool) { return 7, false })
		if limit := maxGrants(limits.PerChat, limits.PerChatBurst, window); got > limit || got < int64(limits.PerChatBurst) {
			t.Errorf("grants to one chat in %v = %d, want %d..%d", window, got, limits.PerChatBurst, limit)
		}
	})

	t.Run("Group20PerMinute", func(t *testing.T) {
		rdb, prefix := setup(t)
		l := ratelimit.New(rdb, ratelimit.Limits{Global: 1000}, ratelimit.Options{KeyPrefix: prefix})
		if wait := mustTakeNow(t, l, -1001, true); wait != 0 {
			t.Fatalf("first message to a group: wait %v, want 0", wait)
		}
		wait := mustTakeNow(t, l, -1001, true)
		if wait <= 2*time.Second || wait > 3*time.Second {
			t.Errorf("second message to the group: wait %v, want in (2s, 3s] (20/minute)", wait)
		}
	})

	t.Run("GroupRateOverWindow", func(t *testing.T) {
		rdb, prefix := setup(t)
		// 20/minute scaled by 120: 40/s to one group, per chat 120/s.
		limits := ratelimit.Limits{Global: 1e6 / 120}.Scale(120)
		l := ratelimit.New(rdb, limits, ratelimit.Options{KeyPrefix: prefix})
		got, window := countGrants(t, []*ratelimit.Limiter{l}, 4, 400*time.Millisecond, func() (int64, bool) { return -1002, true })
		if limit := maxGrants(limits.PerGroup, limits.PerGroupBurst, window); got > limit || got < 1 {
			t.Errorf("grants to one group in %v = %d, want 1..%d", window, got, limit)
		}
	})

	t.Run("GlobalAcrossGoroutinesAndLimiters", func(t *testing.T) {
		_, prefix := setup(t)
		// Two Limiters with their own connections stand for two workers.
		limits := ratelimit.Limits{}.Scale(10) // global 300/s
		a := ratelimit.New(newClient(t), limits, ratelimit.Options{KeyPrefix: prefix})
		b := ratelimit.New(newClient(t), limits, ratelimit.Options{KeyPrefix: prefix})
		var next atomic.Int64
		got, window := countGrants(t, []*ratelimit.Limiter{a, b}, 8, 500*time.Millisecond, func() (int64, bool) {
			return next.Add(1), false // a fresh chat each time: only the global limit binds
		})
		// Per-process limiting would grant about twice the limit.
		if limit := maxGrants(limits.Global, limits.GlobalBurst, window); got > limit || got < 1 {
			t.Errorf("grants in %v across two limiters = %d, want 1..%d", window, got, limit)
		}
		t.Logf("%d grants in %v (limit %.0f/s)", got, window, limits.Global)
	})

	t.Run("RefusedTakesNothing", func(t *testing.T) {
		rdb, prefix := setup(t)
		l := ratelimit.New(rdb, ratelimit.Limits{Global: 1, GlobalBurst: 2, PerChat: 1, PerChatBurst: 1}, ratelimit.Options{KeyPrefix: prefix})
		if wait := mustTakeNow(t, l, 1, false); wait != 0 {
			t.Fatalf("first reservation: wait %v, want 0", wait)
		}
		before := snapshot(t, rdb, prefix)
		if wait := mustTakeNow(t, l, 1, false); wait == 0 {
			t.Fatal("second reservation to a 1/s chat was granted")
		}
		if after := snapshot(t, rdb, prefix); len(after) != len(before) || after[prefix+"{rl}:global"] != before[prefix+"{rl}:global"] || after[prefix+"{rl}:chat:1"] != before[prefix+"{rl}:chat:1"] {
			t.Fatalf("a refused reservation changed the buckets: before %v, after %v", before, after)
		}
		// The refusal by chat 1 left the second global slot for chat 2.
		if wait := mustTakeNow(t, l, 2, false); wait != 0 {
			t.Fatalf("chat 2: wait %v, want 0 (global burst 2, one slot used)", wait)
		}
		// Refused by the global bucket: chat 3's bucket stays untouched.
		if wait := mustTakeNow(t, l, 3, false); wait == 0 {
			t.Fatal("chat 3 was granted beyond the global burst")
		}
		if n, err := rdb.Exists(context.Background(), prefix+"{rl}:chat:3").Result(); err != nil || n != 0 {
			t.Errorf("chat 3's bucket exists after a refusal (n=%d, err=%v)", n, err)
		}
	})

	t.Run("KeysExpire", func(t *testing.T) {
		rdb, prefix := setup(t)
		l := ratelimit.New(rdb, ratelimit.Limits{Global: 100, PerChat: 20, PerChatBurst: 1}, ratelimit.Options{KeyPrefix: prefix})
		mustTakeNow(t, l, 5, false)
		ctx := context.Background()
		for key, most := range map[string]time.Duration{
			prefix + "{rl}:global": 10*time.Millisecond + 2*time.Millisecond,
			prefix + "{rl}:chat:5": 50*time.Millisecond + 2*time.Millisecond,
		} {
			ttl, err := rdb.PTTL(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if ttl <= 0 || ttl > most {
				t.Errorf("PTTL %s = %v, want in (0, %v]", key, ttl, most)
			}
		}
		// They vanish: poll rather than sleep a fixed time.
		for give := time.Now().Add(5 * time.Second); len(keys(t, rdb, prefix)) > 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(give) {
				t.Fatalf("keys still there: %v", keys(t, rdb, prefix))
			}
		}
	})

	t.Run("RedisError", func(t *testing.T) {
		_, prefix := setup(t)
		rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
		rdb.Close()
		l := ratelimit.New(rdb, ratelimit.Limits{}, ratelimit.Options{KeyPrefix: prefix})
		if _, err := l.Take(context.Background(), 1, false, 0); err == nil {
			t.Error("Take on a closed client: nil error")
		}
		if err := l.Backoff(context.Background(), 1, false, time.Second); err == nil {
			t.Error("Backoff on a closed client: nil error")
		}
	})
}

func TestLimiter_Backoff(t *testing.T) {
	t.Run("HoldsTheChatOnEveryLimiter", func(t *testing.T) {
		_, prefix := setup(t)
		limits := ratelimit.Limits{Global: 1000, GlobalBurst: 10, PerChat: 1000, PerChatBurst: 10}
		a := ratelimit.New(newClient(t), limits, ratelimit.Options{KeyPrefix: prefix})
		b := ratelimit.New(newClient(t), limits, ratelimit.Options{KeyPrefix: prefix})
		if wait := mustTakeNow(t, a, 1, false); wait != 0 {
			t.Fatalf("before the 429: wait %v, want 0", wait)
		}
		if err := a.Backoff(context.Background(), 1, false, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		if wait := mustTakeNow(t, b, 1, false); wait <= time.Second || wait > 2*time.Second {
			t.Errorf("the chat on another limiter after Backoff(2s): wait %v, want in (1s, 2s]", wait)
		}
		if wait := mustTakeNow(t, b, 2, false); wait != 0 {
			t.Errorf("another chat after the 429: wait %v, want 0", wait)
		}
	})

	t.Run("DoesNotAddUp", func(t *testing.T) {
		rdb, prefix := setup(t)
		l := ratelimit.New(rdb, ratelimit.Limits{}, ratelimit.Options{KeyPrefix: prefix})
		ctx := context.Background()
		for _, d := range []time.Duration{3 * time.Second, 3 * time.Second, time.Second} {
			if err := l.Backoff(ctx, 1, false, d); err != nil {
				t.Fatal(err)
			}
		}
		if wait := mustTakeNow(t, l, 1, false); wait <= 2*time.Second || wait > 3*time.Second {
			t.Errorf("after Backoff 3s, 3s, 1s: wait %v, want in (2s, 3s]", wait)
		}
		ttl, err := rdb.PTTL(ctx, prefix+"{rl}:chat:1").Result()
		if err != nil || ttl <= 0 || ttl > 3*time.Second+2*time.Millisecond {
			t.Errorf("PTTL of the chat's key = %v (err %v), want in (0, 3s]", ttl, err)
		}
	})

	t.Run("SlowsTheGlobalRate", func(t *testing.T) {
		rdb, prefix := setup(t)
		l := ratelimit.New(rdb, ratelimit.Limits{Global: 1, PerChat: 1}, ratelimit.Options{KeyPrefix: prefix})
		ctx := context.Background()
		if err := l.Backoff(ctx, 1, false, time.Second); err != nil {
			t.Fatal(err)
		}
		ttl, err := rdb.PTTL(ctx, prefix+"{rl}:slow").Result()
		if err != nil || ttl <= 0 || ttl > ratelimit.SlowFor {
			t.Errorf("PTTL of the slowdown = %v (err %v), want in (0, %v]", ttl, err, ratelimit.SlowFor)
		}
		if wait := mustTakeNow(t, l, 2, false); wait != 0 {
			t.Fatalf("first slot after the 429: wait %v, want 0", wait)
		}
		// The global interval of 1 s runs at 1/SlowFactor of itself: 1.25 s.
		if wait := mustTakeNow(t, l, 3, false); wait <= time.Second || wait > 1250*time.Millisecond {
			t.Errorf("second slot after the 429: wait %v, want in (1s, 1.25s]", wait)
		}
	})

	t.Run("RejectsNonPositive", func(t *testing.T) {
		rdb, prefix := setup(t)
		l := ratelimit.New(rdb, ratelimit.Limits{}, ratelimit.Options{KeyPrefix: prefix})
		if err := l.Backoff(context.Background(), 1, false, 0); err == nil {
			t.Error("Backoff(0): nil error")
		}
	})
}

func TestLimits_ScalePanicsOnBadFactor(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Scale(0) did not panic")
		}
	}()
	ratelimit.Limits{}.Scale(0)
}

func TestNew_PanicsOnInvalidLimits(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New with a negative rate did not panic")
		}
	}()
	ratelimit.New(nil, ratelimit.Limits{PerChat: -1}, ratelimit.Options{})
}

// BenchmarkTake measures slots asked for per second against the real Redis,
// from 8 callers per CPU sharing one Limiter (a worker runs many handlers).
func BenchmarkTake(b *testing.B) {
	run := func(b *testing.B, limits ratelimit.Limits, chat func() int64) {
		rdb, prefix := setup(b)
		l := ratelimit.New(rdb, limits, ratelimit.Options{KeyPrefix: prefix})
		ctx := context.Background()
		var granted atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				wait, err := takeNow(ctx, l, chat(), false)
				if err != nil {
					b.Error(err)
					return
				}
				if wait == 0 {
					granted.Add(1)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "takes/s")
		b.ReportMetric(float64(granted.Load())/float64(b.N), "granted/op")
	}
	b.Run("Granted", func(b *testing.B) {
		// Limits no caller reaches, a fresh chat each time: every call writes.
		var next atomic.Int64
		run(b, ratelimit.Limits{}.Scale(1e9), func() int64 { return next.Add(1) })
	})
	b.Run("Refused", func(b *testing.B) {
		// One chat at Telegram's limits: nearly every call is a read-only refusal.
		run(b, ratelimit.Limits{}, func() int64 { return 1 })
	})
}

// A chat with a backlog does not hold the other chats: its future slots are not
// booked, so the global bucket stays free for everyone else.
func TestLimiter_BusyChatDoesNotHoldOthers(t *testing.T) {
	rdb, prefix := setup(t)
	l := ratelimit.New(rdb, ratelimit.Limits{Global: 100, PerChat: 1}, ratelimit.Options{KeyPrefix: prefix})
	ctx := context.Background()
	granted := 0
	for range 5 {
		g, err := l.Take(ctx, 42, false, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if g.OK {
			granted++
		} else if g.Wait <= 0 || g.Wait > time.Second {
			t.Errorf("busy chat refused with wait %v, want up to its 1 s interval", g.Wait)
		}
	}
	if granted != 1 {
		t.Errorf("granted %d slots in one chat at once, want 1 (no burst)", granted)
	}
	g, err := l.Take(ctx, 43, false, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !g.OK || g.Wait > 20*time.Millisecond {
		t.Errorf("another chat after the busy one's backlog: %+v, want a slot at once", g)
	}
}

// TakeSlot answers what Take answers, in plain values, and books the same buckets.
func TestLimiter_TakeSlot(t *testing.T) {
	rdb, prefix := setup(t)
	l := ratelimit.New(rdb, ratelimit.Limits{Global: 100, PerChat: 1}, ratelimit.Options{KeyPrefix: prefix})
	ctx := context.Background()
	wait, ok, err := l.TakeSlot(ctx, 42, false, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("first slot in an idle chat refused (wait %v)", wait)
	}
	wait, ok, err = l.TakeSlot(ctx, 42, false, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ok || wait <= 0 || wait > time.Second {
		t.Errorf("second slot at once in the chat: ok %v, wait %v; want refused for up to 1 s", ok, wait)
	}
	g, err := l.Take(ctx, 42, false, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if g.OK {
		t.Error("Take granted a slot TakeSlot had just taken")
	}
}
