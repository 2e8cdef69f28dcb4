package inbox

import (
	"testing"
	"time"
)

func TestInbox_Backoff(t *testing.T) {
	in := &Inbox{opt: Options{RetryBackoff: time.Second}}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, 64 * time.Second, 128 * time.Second, 256 * time.Second, maxRetryBackoff, maxRetryBackoff}
	for i, w := range want {
		if got := in.backoff(i + 1); got != w {
			t.Errorf("backoff after attempt %d = %v, want %v", i+1, got, w)
		}
	}
	if got := in.backoff(1000); got != maxRetryBackoff {
		t.Errorf("backoff after attempt 1000 = %v, want the cap", got)
	}
}
