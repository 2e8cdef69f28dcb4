package live

import (
	"context"
	"sync"
	"time"
)

// Gate gathers concurrent taps on a lot into batches (group commit): one batch
// of a lot is written at a time per process, and the taps that arrive
// meanwhile wait for the next, so a drop's thousands of taps on one row take
// the row's lock once per batch instead of once per tap. A tap alone goes at
// once: nothing waits for a batch to fill.
//
// Replicas each have their own Gate; their batches queue for the lot's lock in
// PostgreSQL, which is what keeps the lot from being oversold.
type Gate struct {
	taps     func(ctx context.Context, id LotID, taps []Tap) ([]TapResult, error)
	maxBatch int
	timeout  time.Duration

	mu    sync.Mutex
	lanes map[LotID]*lane
}

// lane is a lot's taps waiting for their batch.
type lane struct {
	waiting []*waiter
}

type waiter struct {
	tap  Tap
	done chan tapAnswer // buffered: the batch never waits for a waiter that left
}

type tapAnswer struct {
	result TapResult
	err    error
}

// Gate's bounds.
const (
	// DefaultMaxBatch bounds a batch: its statement's size and the time the
	// lot's lock is held.
	DefaultMaxBatch = 256
	// batchTimeout bounds one batch's transaction. A batch is not cancelled by
	// the request of one of its taps: the others wait for it.
	batchTimeout = 10 * time.Second
)

// NewGate returns a Gate that answers batches of taps with taps (Service.Tap),
// at most maxBatch at once (DefaultMaxBatch if zero).
func NewGate(taps func(ctx context.Context, id LotID, taps []Tap) ([]TapResult, error), maxBatch int) *Gate {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	return &Gate{taps: taps, maxBatch: maxBatch, timeout: batchTimeout, lanes: map[LotID]*lane{}}
}

// Tap answers one tap, in a batch with the lot's other taps that wait. An error
// of the batch is every tap's; ctx's error when ctx ends first (the tap may
// still be claimed: a tap redelivered gets its claim).
func (g *Gate) Tap(ctx context.Context, t Tap) (TapResult, error) {
	w := &waiter{tap: t, done: make(chan tapAnswer, 1)}
	g.mu.Lock()
	l, running := g.lanes[t.Lot]
	if !running {
		l = &lane{}
		g.lanes[t.Lot] = l
	}
	l.waiting = append(l.waiting, w)
	g.mu.Unlock()
	if !running {
		go g.run(t.Lot, l)
	}
	select {
	case a := <-w.done:
		return a.result, a.err
	case <-ctx.Done():
		return TapResult{}, ctx.Err()
	}
}

// run writes the lane's batches until no tap waits, then closes the lane.
func (g *Gate) run(id LotID, l *lane) {
	for {
		g.mu.Lock()
		n := min(len(l.waiting), g.maxBatch)
		if n == 0 {
			delete(g.lanes, id)
			g.mu.Unlock()
			return
		}
		batch := l.waiting[:n:n]
		l.waiting = l.waiting[n:]
		g.mu.Unlock()

		taps := make([]Tap, n)
		for i, w := range batch {
			taps[i] = w.tap
		}
		ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
		results, err := g.taps(ctx, id, taps)
		cancel()
		for i, w := range batch {
			if err != nil {
				w.done <- tapAnswer{err: err}
				continue
			}
			w.done <- tapAnswer{result: results[i]}
		}
	}
}
