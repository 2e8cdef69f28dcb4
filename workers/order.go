package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Orders is what the order tasks need of order.Service.
type Orders interface {
	// Expire ends a due reservation; order.ErrNotDue, with the order, when early; a
	// no-op for an order no longer awaiting payment.
	Expire(ctx context.Context, id core.OrderID) (order.Order, error)
	// ExpireDue expires up to limit orders whose reservation ended.
	ExpireDue(ctx context.Context, limit int) (int, error)
	// Charge returns a recorded payment; order.ErrChargeNotFound.
	Charge(ctx context.Context, telegramChargeID string) (order.Charge, error)
	// MarkRefunded records that a payment was refunded; marking it again changes
	// nothing.
	MarkRefunded(ctx context.Context, id core.OrderID, telegramChargeID string) (order.Order, error)
	// RetryRefunds writes again the refund jobs of up to limit Stars payments whose
	// refund was asked for more than olderThan ago and is not done.
	RetryRefunds(ctx context.Context, olderThan time.Duration, limit int) (int, error)
}

// OrderNotifier composes what tells people about an order's events: the buyer of
// every state change, the shop's staff of a paid order. Implemented by the bot;
// the sender sends the messages, each once by its key.
type OrderNotifier interface {
	// OrderMessages composes the messages of event ev of order id: none when there
	// is no one to tell. It returns a core.Error (invalid, not found, conflict,
	// forbidden) when trying again cannot help (the task is dropped), and any other
	// error to have the task retried.
	OrderMessages(ctx context.Context, id core.OrderID, ev order.Event) ([]core.Message, error)
}

// Refunder gives a payment's money back. Implemented by the bot.
type Refunder interface {
	// RefundStars refunds a Stars payment with refundStarPayment. A charge refunded
	// already (Telegram answers CHARGE_ALREADY_REFUNDED) is success: the task retries
	// after a crash between the refund and recording it. Errors as in OrderMessages.
	RefundStars(ctx context.Context, buyer core.UserID, telegramChargeID string) error
	// CardRefundMessages composes what asks the shop's staff to refund a card
	// payment at the provider (the Bot API cannot) and to confirm it in the admin
	// menu (order.Service.ConfirmRefund). Errors as in OrderMessages.
	CardRefundMessages(ctx context.Context, ch order.Charge) ([]core.Message, error)
}

// TypeOrderSweep is the periodic task that expires the reservations whose expiry task
// was lost (order.Service.ExpireDue). It has no payload.
const TypeOrderSweep = "order:sweep"

// sweepLimit is how many orders one call of ExpireDue expires; the sweep calls it
// until fewer are due, at most sweepRounds times.
const (
	sweepLimit  = 100
	sweepRounds = 50
)

// refundRetryAfter is how long a Stars refund may wait before the sweep asks for it
// again: long enough for the refund task's own retries (asynq's backoff) to run first.
const refundRetryAfter = time.Hour

// HandleOrderExpire ends an order's reservation (order.JobExpire). Called early
// (asynq rounds due times to seconds; a reservation was extended after the task was
// scheduled), it schedules the expiry again at the order's ReservedUntil under a task
// id naming that time, and succeeds. An order paid, cancelled or expired meanwhile is
// a success with nothing done.
func (w *Workers) HandleOrderExpire(ctx context.Context, t *asynq.Task) error {
	var p order.ExpirePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.OrderID == 0 {
		return badPayload(t.Type(), err)
	}
	o, err := w.orders.Expire(ctx, p.OrderID)
	if errors.Is(err, order.ErrNotDue) {
		return w.rescheduleExpire(ctx, t, p.OrderID, o)
	}
	return classify(err)
}

// rescheduleExpire enqueues the expiry of an order that was not due yet at its
// ReservedUntil. The task id "order:expire:<id>@<unix seconds>" is free even while the
// running task holds "order:expire:<id>", and the same for every early firing with one
// due time, so those schedule one task.
func (w *Workers) rescheduleExpire(ctx context.Context, t *asynq.Task, id core.OrderID, o order.Order) error {
	if o.ReservedUntil.IsZero() {
		return fmt.Errorf("order %d not due, and no reservation time to wait for", id) // retry later
	}
	at := ceilSecond(o.ReservedUntil)
	taskID := fmt.Sprintf("%s:%d@%d", order.JobExpire, id, at.Unix())
	if current, _ := asynq.GetTaskID(ctx); current == taskID {
		// This very task is early for its own due time: the clocks of the worker and
		// of the service disagree. Let asynq retry it after a pause; the sweep
		// catches it too.
		return fmt.Errorf("order %d not due until %s", id, o.ReservedUntil.Format("15:04:05.000"))
	}
	rt := w.route(order.JobExpire)
	_, err := w.queue.EnqueueContext(ctx, asynq.NewTask(order.JobExpire, t.Payload()),
		asynq.Queue(rt.queue), asynq.TaskID(taskID), asynq.ProcessAt(at))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("reschedule expiry of order %d: %w", id, err)
	}
	return nil
}

// HandleOrderNotify tells people about an order event (order.JobNotify).
func (w *Workers) HandleOrderNotify(ctx context.Context, t *asynq.Task) error {
	var p order.NotifyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.OrderID == 0 || p.Event == "" {
		return badPayload(t.Type(), err)
	}
	if w.notifier == nil {
		return errors.New("no order notifier wired")
	}
	msgs, err := w.notifier.OrderMessages(ctx, p.OrderID, p.Event)
	if err != nil {
		return classify(fmt.Errorf("notify order %d %s: %w", p.OrderID, p.Event, err))
	}
	if err := w.Send(ctx, msgs...); err != nil {
		return classify(fmt.Errorf("notify order %d %s: %w", p.OrderID, p.Event, err))
	}
	return nil
}

// HandleOrderRefund gives back the money of a payment that is to be refunded
// (order.JobRefund): a Stars payment through Telegram, then recorded refunded; a card
// payment by asking the shop's staff, who confirm it later. A payment refunded
// already is a success with nothing done; one that still pays its order is refused
// for good (the job is wrong, and retrying it will not help).
func (w *Workers) HandleOrderRefund(ctx context.Context, t *asynq.Task) error {
	var p order.RefundPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TelegramChargeID == "" {
		return badPayload(t.Type(), err)
	}
	if w.refunder == nil {
		return errors.New("no refunder wired")
	}
	ch, err := w.orders.Charge(ctx, p.TelegramChargeID)
	if err != nil {
		return classify(fmt.Errorf("refund order %d: %w", p.OrderID, err))
	}
	switch ch.Status {
	case order.ChargeRefunded:
		return nil
	case order.ChargeRefundPending:
	default:
		return permanent(fmt.Errorf("refund order %d: payment is %s, not waiting for a refund", ch.OrderID, ch.Status))
	}
	if ch.Amount.Currency != core.Stars {
		msgs, err := w.refunder.CardRefundMessages(ctx, ch)
		if err == nil {
			err = w.Send(ctx, msgs...)
		}
		if err != nil {
			return classify(fmt.Errorf("ask staff to refund order %d: %w", ch.OrderID, err))
		}
		return nil
	}
	if err := w.refunder.RefundStars(ctx, ch.BuyerID, ch.TelegramChargeID); err != nil {
		return classify(fmt.Errorf("refund stars of order %d: %w", ch.OrderID, err))
	}
	if _, err := w.orders.MarkRefunded(ctx, ch.OrderID, ch.TelegramChargeID); err != nil {
		return classify(fmt.Errorf("record refund of order %d: %w", ch.OrderID, err))
	}
	return nil
}

// HandleOrderSweep expires every order whose reservation ended and is still awaiting
// payment (TypeOrderSweep): the expiries whose task was lost, or late. Then it asks
// again for the Stars refunds waiting for more than an hour: their task was lost or
// kept failing.
func (w *Workers) HandleOrderSweep(ctx context.Context, t *asynq.Task) error {
	var errs []error
	for range sweepRounds {
		n, err := w.orders.ExpireDue(ctx, sweepLimit)
		if err != nil {
			errs = append(errs, err)
		}
		if err != nil || n < sweepLimit {
			break
		}
	}
	if _, err := w.orders.RetryRefunds(ctx, refundRetryAfter, sweepLimit); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// badPayload is the permanent error of a task whose payload cannot be read (err) or
// lacks a field (err is nil). The payload itself is left out: it may carry payment ids.
func badPayload(kind string, err error) error {
	if err == nil {
		err = errors.New("a required field is missing")
	}
	return permanent(fmt.Errorf("bad %s payload: %w", kind, err))
}
