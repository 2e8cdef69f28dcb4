package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/orphan"
)

// Orphan payments (core/orphan): money that came for an invoice naming no order.
// The bot records it and the outbox brings two kinds of task here. orphan:notify
// tells the operators of a new one, or its payer of a refund. orphan:refund gives
// a Stars orphan back through Telegram once an operator asked for it.

// TypeOrphanSweep is the periodic task that asks again for the Stars refunds of
// orphans that waited too long (their task was lost, or kept failing). No payload.
const TypeOrphanSweep = "orphan:sweep"

// orphanRoutes maps the job kinds of orphan payments to their queue (see routes).
var orphanRoutes = map[string]route{
	orphan.JobNotify: {queue: QueueCritical, retention: 24 * time.Hour},
	orphan.JobRefund: {queue: QueueCritical, retention: 24 * time.Hour},
	TypeOrphanSweep:  {queue: QueueDefault},
}

// Periods of the orphan sweep: how often it runs, and how long a refund may wait
// before it is asked for again (long enough for the task's own retries).
const (
	orphanSweepEvery       = 10 * time.Minute
	orphanRefundRetryAfter = time.Hour
)

// OrphanService is what the orphan tasks need of orphan.Service.
type OrphanService interface {
	// PaymentForSystem returns an orphan payment; orphan.ErrNotFound.
	PaymentForSystem(ctx context.Context, id orphan.ID) (orphan.Payment, error)
	// MarkRefunded records that its Stars came back and tells the payer; marking
	// it again changes nothing.
	MarkRefunded(ctx context.Context, id orphan.ID) (orphan.Payment, error)
	// RetryRefunds writes again the refund jobs of up to limit refunds asked for
	// more than olderThan ago and not done.
	RetryRefunds(ctx context.Context, olderThan time.Duration, limit int) (int, error)
}

// OrphanComposer composes the messages of orphan events. Implemented by the bot.
type OrphanComposer interface {
	// OrphanMessages composes what tells people of event ev of orphan id: none when
	// there is no one to tell. Errors as in OrderNotifier.
	OrphanMessages(ctx context.Context, id orphan.ID, ev orphan.Event) ([]core.Message, error)
}

// OrphanDeps are what the tasks of orphan payments need; with Orphans nil they
// fail (and retry) until wired. The Stars go back through Deps.Refunder.
type OrphanDeps struct {
	Orphans  OrphanService
	Composer OrphanComposer
}

// initOrphans keeps the deps of orphan payments and adds their sweep.
func (w *Workers) initOrphans(d OrphanDeps, reg prometheus.Registerer) {
	w.orphans = d
	w.orphansUntold = promauto.With(reg).NewCounter(prometheus.CounterOpts{
		Name: "vitrina_orphan_payments_untold_total",
		Help: "Orphan payments (money for an invoice naming no order) that no operator could be told of, since none has started the bot: they wait in /admin.",
	})
	if d.Orphans != nil {
		w.periodic = append(w.periodic, periodicTask{kind: TypeOrphanSweep, every: orphanSweepEvery})
	}
}

// registerOrphans adds the task handlers of orphan payments to mux.
func (w *Workers) registerOrphans(mux *asynq.ServeMux) {
	mux.HandleFunc(orphan.JobNotify, w.HandleOrphanNotify)
	mux.HandleFunc(orphan.JobRefund, w.HandleOrphanRefund)
	mux.HandleFunc(TypeOrphanSweep, w.HandleOrphanSweep)
}

// HandleOrphanNotify tells people about an orphan event (orphan.JobNotify).
func (w *Workers) HandleOrphanNotify(ctx context.Context, t *asynq.Task) error {
	var p orphan.NotifyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ID == 0 || p.Event == "" {
		return badPayload(t.Type(), err)
	}
	if w.orphans.Composer == nil {
		return errors.New("no orphan composer wired")
	}
	msgs, err := w.orphans.Composer.OrphanMessages(ctx, p.ID, p.Event)
	if err == nil {
		err = w.Send(ctx, msgs...)
	}
	if err != nil {
		return classify(fmt.Errorf("notify orphan %d %s: %w", p.ID, p.Event, err))
	}
	if p.Event == orphan.EventReceived && len(msgs) == 0 {
		// Money nobody will hear of from the bot: the log and the metric are what
		// leads someone to it.
		w.orphansUntold.Inc()
		w.log.WarnContext(ctx, "orphan payment: no operator can be told (none has started the bot); it waits in /admin",
			"orphan_id", p.ID)
	}
	return nil
}

// HandleOrphanRefund gives a Stars orphan back (orphan.JobRefund): refundStarPayment
// through the bot, then recorded refunded (which tells the payer). A payment
// refunded already is a success with nothing done, so a task delivered twice, or
// the sweep's second job, refunds once. Telegram's CHARGE_ALREADY_REFUNDED is a
// success too (the worker died between the refund and recording it). A payment
// whose refund nobody asked for, or a card one, is refused for good.
func (w *Workers) HandleOrphanRefund(ctx context.Context, t *asynq.Task) error {
	var p orphan.RefundPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ID == 0 {
		return badPayload(t.Type(), err)
	}
	if w.orphans.Orphans == nil || w.refunder == nil {
		return errors.New("no orphan service or refunder wired")
	}
	o, err := w.orphans.Orphans.PaymentForSystem(ctx, p.ID)
	if err != nil {
		return classify(fmt.Errorf("refund orphan %d: %w", p.ID, err))
	}
	switch {
	case o.Status == orphan.StatusRefunded:
		return nil
	case o.Status != orphan.StatusNew:
		return permanent(fmt.Errorf("refund orphan %d: it is %s", p.ID, o.Status))
	case !o.Stars():
		return permanent(fmt.Errorf("refund orphan %d: a %s payment is refunded at the provider", p.ID, o.Amount.Currency))
	case !o.RefundUnderway():
		return permanent(fmt.Errorf("refund orphan %d: nobody asked for it", p.ID))
	}
	if err := w.refunder.RefundStars(ctx, o.PayerID, o.TelegramChargeID); err != nil {
		return classify(fmt.Errorf("refund stars of orphan %d: %w", p.ID, err))
	}
	if _, err := w.orphans.Orphans.MarkRefunded(ctx, p.ID); err != nil {
		return classify(fmt.Errorf("record refund of orphan %d: %w", p.ID, err))
	}
	return nil
}

// HandleOrphanSweep asks again for the Stars refunds of orphans waiting for more
// than an hour (TypeOrphanSweep).
func (w *Workers) HandleOrphanSweep(ctx context.Context, t *asynq.Task) error {
	if w.orphans.Orphans == nil {
		return nil
	}
	_, err := w.orphans.Orphans.RetryRefunds(ctx, orphanRefundRetryAfter, sweepLimit)
	return err
}
