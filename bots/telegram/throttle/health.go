package throttle

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// health follows whether Redis answers. Serving updates needs only PostgreSQL, so
// while Redis is away replies go out unpaced; the outage is logged when it starts
// and when it ends, not once per reply, and only one reply per probe interval
// spends time asking Redis whether it is back.
type health struct {
	log   *slog.Logger
	probe time.Duration
	down  prometheus.Gauge

	isDown atomic.Bool  // read on every reply: no lock while Redis is fine
	lastOK atomic.Int64 // when Redis last answered, in Unix nanoseconds

	mu        sync.Mutex
	since     time.Time // start of the outage
	nextProbe time.Time
}

// usable reports whether to ask Redis: always while it answers; during an outage,
// for one caller per probe interval.
func (h *health) usable() bool {
	if !h.isDown.Load() {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.isDown.Load() {
		return true
	}
	now := time.Now()
	if now.Before(h.nextProbe) {
		return false
	}
	h.nextProbe = now.Add(h.probe)
	return true
}

// failed records that Redis did not answer a call started at start, and reports
// whether Redis is away: it answered no call since. One that answered others
// meanwhile is busy (a burst of replies queued for its connections), not away:
// the caller asks again instead of letting a burst through unpaced. The first
// failure of an outage is logged.
func (h *health) failed(err error, start time.Time) (away bool) {
	if h.lastOK.Load() >= start.UnixNano() {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	h.nextProbe = now.Add(h.probe)
	if h.isDown.Swap(true) {
		return true
	}
	h.since = now
	h.down.Set(1)
	h.log.Warn("reply throttle: Redis unreachable; replies go out without rate-limit slots until it is back", "err", err)
	return true
}

// ok records that Redis answered, logging the end of an outage.
func (h *health) ok() {
	h.lastOK.Store(time.Now().UnixNano())
	if !h.isDown.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.isDown.Swap(false) {
		return
	}
	h.down.Set(0)
	h.log.Info("reply throttle: Redis is back; replies are paced again", "outage", time.Since(h.since).Round(time.Millisecond))
}
