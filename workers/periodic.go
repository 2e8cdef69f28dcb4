package workers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// periodicTask is a task enqueued once per period across all workers: a sweep
// that derives due work from SQL. Features add theirs in New (w.periodic).
type periodicTask struct {
	kind  string        // the task type; it has no payload
	every time.Duration // the period
}

// RunPeriodic enqueues the periodic tasks until ctx ends, then returns nil: the order
// sweep (TypeOrderSweep) every Deps.SweepEvery, and the sweeps of the other features.
//
// Every worker runs it. Each period is a time slot, and the task of a slot has the id
// "<kind>@<slot start, unix seconds>": whichever worker enqueues a slot's task
// first wins, the others get asynq.ErrTaskIDConflict, which is the point. The task is
// retained for two periods after it succeeds, so a worker whose clock lags cannot
// enqueue the slot again after it ran. So there is one sweep per slot however many
// workers run, with no leader to elect and nothing lost when any worker stops. (An
// asynq.Scheduler in every worker would enqueue each tick once per worker; a single
// Scheduler would need a process of its own, and the sweep would stop with it.)
//
// A slot whose enqueue fails (Redis down) is skipped; the next one sweeps everything
// due by then.
func (w *Workers) RunPeriodic(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range w.periodic {
		wg.Go(func() { w.runPeriodic(ctx, p) })
	}
	wg.Wait()
	return nil
}

// runPeriodic enqueues one periodic task at the start of every slot until ctx ends.
func (w *Workers) runPeriodic(ctx context.Context, p periodicTask) {
	for {
		slot := time.Now().Truncate(p.every)
		if err := w.enqueueSlot(ctx, p, slot); err != nil && ctx.Err() == nil {
			w.log.Warn("enqueue a periodic task; the next slot does its work instead", "type", p.kind, "slot", slot, "error", err)
		}
		next := time.NewTimer(time.Until(slot.Add(p.every)))
		select {
		case <-ctx.Done():
			next.Stop()
			return
		case <-next.C:
		}
	}
}

// enqueueSlot enqueues the task of the slot starting at slot, once across workers.
func (w *Workers) enqueueSlot(ctx context.Context, p periodicTask, slot time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	rt := w.route(p.kind)
	_, err := w.queue.EnqueueContext(ctx, asynq.NewTask(p.kind, nil),
		asynq.Queue(rt.queue),
		asynq.TaskID(fmt.Sprintf("%s@%d", p.kind, slot.Unix())),
		asynq.Retention(2*p.every),
		asynq.MaxRetry(0),      // the next slot is the retry
		asynq.Timeout(p.every), // a stuck sweep ends before the next slot's starts
	)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}
