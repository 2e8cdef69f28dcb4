package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// RunPeriodic enqueues the periodic tasks until ctx ends, then returns nil: the order
// sweep (TypeOrderSweep) every Deps.SweepEvery.
//
// Every worker runs it. Each period is a time slot, and the task of a slot has the id
// "order:sweep@<slot start, unix seconds>": whichever worker enqueues a slot's task
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
	for {
		slot := time.Now().Truncate(w.every)
		if err := w.enqueueSweep(ctx, slot); err != nil && ctx.Err() == nil {
			w.log.Warn("enqueue the order sweep; the next slot sweeps instead", "slot", slot, "error", err)
		}
		next := time.NewTimer(time.Until(slot.Add(w.every)))
		select {
		case <-ctx.Done():
			next.Stop()
			return nil
		case <-next.C:
		}
	}
}

// enqueueSweep enqueues the sweep of the slot starting at slot, once across workers.
func (w *Workers) enqueueSweep(ctx context.Context, slot time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	rt := w.route(TypeOrderSweep)
	_, err := w.queue.EnqueueContext(ctx, asynq.NewTask(TypeOrderSweep, nil),
		asynq.Queue(rt.queue),
		asynq.TaskID(fmt.Sprintf("%s@%d", TypeOrderSweep, slot.Unix())),
		asynq.Retention(2*w.every),
		asynq.MaxRetry(0),      // the next slot is the retry
		asynq.Timeout(w.every), // a stuck sweep ends before the next slot's starts
	)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}
