package sandbox_test

import (
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

func TestRateLimiter_Scale(t *testing.T) {
	limits := sandbox.TelegramRateLimits()
	limits.Scale = 10 // 10 messages/s per chat, 300/s overall, same bursts
	l := sandbox.NewRateLimiter(limits)
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	chat := sandbox.ChatInfo{ID: 1001, Type: sandbox.ChatPrivate}
	allow := func(paid bool) (time.Duration, bool) {
		return l.Allow(sandbox.LimitRequest{Chat: chat, Method: "sendMessage", PaidBroadcast: paid, Now: now})
	}
	for i := range 3 {
		if _, ok := allow(false); !ok {
			t.Fatalf("message %d of the burst refused", i)
		}
	}
	wait, ok := allow(false)
	if ok || wait <= 0 || wait > 100*time.Millisecond {
		t.Fatalf("after the burst: ok=%v wait=%v, want a refusal for at most 1/10 s", ok, wait)
	}
	now = now.Add(wait)
	if _, ok := allow(false); !ok {
		t.Fatal("refused after waiting the advertised time")
	}

	t.Run("PaidBroadcastHasItsOwnGlobalBudget", func(t *testing.T) {
		l := sandbox.NewRateLimiter(sandbox.TelegramRateLimits())
		sent := 0
		for i := range 2000 {
			req := sandbox.LimitRequest{Chat: sandbox.ChatInfo{ID: int64(i + 1), Type: sandbox.ChatPrivate},
				PaidBroadcast: true, Now: now}
			if _, ok := l.Allow(req); ok {
				sent++
			}
		}
		if sent != 1000 {
			t.Fatalf("%d paid messages in one instant, want the burst of 1000", sent)
		}
		if _, ok := l.Allow(sandbox.LimitRequest{Chat: sandbox.ChatInfo{ID: 5000, Type: sandbox.ChatPrivate}, Now: now}); !ok {
			t.Fatal("the free global budget is separate from the paid one")
		}
	})
}
