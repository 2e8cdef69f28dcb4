package core

import (
	"sync"
	"time"
)

// Clock tells the time. Services take one so tests move time instead of sleeping.
//
// Which clock rules: the Clock of the process deciding (core.Clock, the host's clock
// in production) rules every business time and every decision on one. A
// reservation's end is set by the clock of the replica that checks out and compared
// with the clock of whichever replica checks the pre-checkout, records the payment
// or expires it (the expiry job, the sweep: reserved_until <= the worker's now); paid
// times, history and ledger times, invite expiry and jobs' due times come from it too.
// SQL never compares a business time with PostgreSQL's now(), so a FakeClock moves
// all of them together, and an app clock ahead of or behind the database's changes
// nothing. Replicas' clocks must agree to well under PaymentHold (NTP does): a passed
// pre-checkout holds the reservation that long after the checking replica's now.
//
// PostgreSQL's now() is used only where replicas coordinate with each other and no
// order is decided: outbox claims, chat leases, update retries and retention, pruning,
// and record-keeping stamps nothing decides on (created_at and updated_at defaults,
// archived_at, blocked_at). A job written without a due time is stamped with the
// database's now() (due at once): a database clock ahead of a worker's only delays it
// by the difference.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

// FakeClock is a Clock that moves only when told to. Safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock stopped at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
