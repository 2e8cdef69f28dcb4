package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Reminders and alerts: to pay an order before its reservation ends, of a cart left
// alone, that a sold-out variant is back, and to review a completed order. Each is
// scheduled from the outbox by the change that makes it due; its handler asks the
// service whether it still is (the order may have been paid meanwhile, the cart
// changed, asynq fired a second early), has the bot compose the message and sends it
// with PriorityReminder. A handler that fires before its time schedules itself again
// at the time PostgreSQL says, under a task id naming that time (as HandleOrderExpire).

// reminderRoutes maps the job kinds of reminders to their queue (see routes). None is
// retained: their keys come back (a reservation extended, a cart changed again, a
// variant sold out and back), and a cancel deletes a scheduled task by its key.
var reminderRoutes = map[string]route{
	order.JobRemindUnpaid:  {queue: QueueDefault},
	order.JobRemindCart:    {queue: QueueDefault},
	order.JobRequestReview: {queue: QueueDefault},
	catalog.JobRestock:     {queue: QueueDefault},
}

// RestockPace is how long the subscribers of a variant back in stock who were not
// told in one round wait for the next: those told first had their chance to buy.
const RestockPace = 10 * time.Minute

// ReminderOrders is what reminders need of order.Service.
type ReminderOrders interface {
	// RemindUnpaid decides whether the buyer is reminded now to pay, and records it:
	// order.ErrNothingToRemind, order.ErrReminded or *order.NotDue otherwise.
	RemindUnpaid(ctx context.Context, id core.OrderID) (order.Order, error)
	// RemindCart is RemindUnpaid for a buyer's cart in a shop.
	RemindCart(ctx context.Context, buyer core.UserID, shop core.ShopID) (order.CartState, error)
	// RequestReview is RemindUnpaid for asking the buyer of a completed order for a
	// review.
	RequestReview(ctx context.Context, id core.OrderID) (order.Order, error)
	// LostReminders returns the reminder jobs due more than grace ago that did not
	// go (their task was lost), up to limit of each kind.
	LostReminders(ctx context.Context, grace time.Duration, limit int) ([]core.Job, error)
}

// ReminderCatalog is what back-in-stock alerts need of catalog.Service.
type ReminderCatalog interface {
	// RestockBatch returns the subscribers to tell now that a variant is back.
	RestockBatch(ctx context.Context, v core.VariantID) (catalog.RestockBatch, error)
	// RestockNotified removes the subscriptions of subscribers told.
	RestockNotified(ctx context.Context, subs []catalog.RestockSubscription) error
}

// ReminderComposer composes the messages of reminders, in each recipient's
// language, with PriorityReminder and a key that names the reminder's reason.
// Implemented by the bot. None for a recipient who blocked the bot. Errors as in
// OrderNotifier.
type ReminderComposer interface {
	// UnpaidReminder asks the buyer of o to pay, with the Pay button and the time
	// left; key "remind:unpaid:<order>:<reserved_until unix>".
	UnpaidReminder(ctx context.Context, o order.Order) ([]core.Message, error)
	// CartReminder shows a buyer what they left in their cart, with a button to open
	// it; key "remind:cart:<buyer>:<shop>:<changed unix>".
	CartReminder(ctx context.Context, st order.CartState) ([]core.Message, error)
	// RestockAlerts tells each subscriber of b that the variant is back, with a
	// button to its card; key "restock:<variant>:<user>:<subscribed unix>".
	RestockAlerts(ctx context.Context, b catalog.RestockBatch) ([]core.Message, error)
	// ReviewRequest asks the buyer of completed order o for a review; key
	// "review:request:<order>".
	ReviewRequest(ctx context.Context, o order.Order) ([]core.Message, error)
}

// ReminderDeps are what the tasks of reminders need. A nil field makes the tasks
// that need it fail (and retry) until one is wired.
type ReminderDeps struct {
	Orders   ReminderOrders   // order.Service
	Catalog  ReminderCatalog  // catalog.Service
	Composer ReminderComposer // the bot
	// Clock times the next round of restock alerts; default the system clock.
	Clock core.Clock
}

// TypeReminderSweep is the periodic task that runs again the unpaid reminders and
// review requests PostgreSQL says are due and did not go: their task was lost.
const TypeReminderSweep = "reminder:sweep"

// Reminder sweep: every 30 s, the reminders due for over 15 s (a reminder to pay
// may have only a minute or two before the reservation ends).
const (
	reminderSweepEvery = 30 * time.Second
	reminderSweepGrace = 15 * time.Second
	reminderSweepLimit = 500
)

// initReminders keeps the deps of reminders and adds their periodic tasks (w.periodic).
func (w *Workers) initReminders(d ReminderDeps) {
	if d.Clock == nil {
		d.Clock = core.SystemClock{}
	}
	w.reminders = d
	w.periodic = append(w.periodic, periodicTask{kind: TypeReminderSweep, every: reminderSweepEvery})
}

// HandleReminderSweep enqueues the lost reminders again (TypeReminderSweep), each
// under its own task id: one still scheduled conflicts and is left alone.
func (w *Workers) HandleReminderSweep(ctx context.Context, t *asynq.Task) error {
	if w.reminders.Orders == nil {
		return nil
	}
	jobs, err := w.reminders.Orders.LostReminders(ctx, reminderSweepGrace, reminderSweepLimit)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		rt := w.route(j.Kind)
		_, err := w.queue.EnqueueContext(ctx, asynq.NewTask(j.Kind, j.Payload), asynq.Queue(rt.queue), asynq.TaskID(j.Key))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("enqueue lost reminder: %w", err)
		}
	}
	return nil
}

// registerReminders adds the task handlers of reminders to mux.
func (w *Workers) registerReminders(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeReminderSweep, w.HandleReminderSweep)
	mux.HandleFunc(order.JobRemindUnpaid, w.HandleRemindUnpaid)
	mux.HandleFunc(order.JobRemindCart, w.HandleRemindCart)
	mux.HandleFunc(order.JobRequestReview, w.HandleRequestReview)
	mux.HandleFunc(catalog.JobRestock, w.HandleRestock)
}

// errNoReminderDeps fails (and retries) a reminder task while its deps are not wired.
var errNoReminderDeps = errors.New("reminder deps not wired")

// HandleRemindUnpaid reminds the buyer of an order awaiting payment to pay before the
// reservation ends (order.JobRemindUnpaid). An order paid, cancelled or expired, or
// reminded already, is a success with nothing sent; early, the reminder is scheduled
// again at its time. A retry of a task that recorded the reminder but failed to
// enqueue it sends it again: the message's key keeps it from going twice.
func (w *Workers) HandleRemindUnpaid(ctx context.Context, t *asynq.Task) error {
	var p order.RemindPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.OrderID == 0 {
		return badPayload(t.Type(), err)
	}
	return runReminder(w, ctx, t, fmt.Sprintf("%s:%d", t.Type(), p.OrderID),
		func(d ReminderDeps) (order.Order, error) { return d.Orders.RemindUnpaid(ctx, p.OrderID) },
		func(d ReminderDeps, o order.Order) ([]core.Message, error) { return d.Composer.UnpaidReminder(ctx, o) })
}

// HandleRemindCart reminds a buyer of the cart they left in a shop
// (order.JobRemindCart). Each change of the cart moves the reminder: a task that
// fires before the shop's delay after the last change is scheduled again then.
func (w *Workers) HandleRemindCart(ctx context.Context, t *asynq.Task) error {
	var p order.CartRemindPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.BuyerID == 0 || p.ShopID == 0 {
		return badPayload(t.Type(), err)
	}
	return runReminder(w, ctx, t, fmt.Sprintf("%s:%d:%d", t.Type(), p.BuyerID, p.ShopID),
		func(d ReminderDeps) (order.CartState, error) { return d.Orders.RemindCart(ctx, p.BuyerID, p.ShopID) },
		func(d ReminderDeps, st order.CartState) ([]core.Message, error) {
			return d.Composer.CartReminder(ctx, st)
		})
}

// HandleRequestReview asks the buyer of a completed order for a review, the shop's
// number of days after completion (order.JobRequestReview).
func (w *Workers) HandleRequestReview(ctx context.Context, t *asynq.Task) error {
	var p order.RemindPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.OrderID == 0 {
		return badPayload(t.Type(), err)
	}
	return runReminder(w, ctx, t, fmt.Sprintf("%s:%d", t.Type(), p.OrderID),
		func(d ReminderDeps) (order.Order, error) { return d.Orders.RequestReview(ctx, p.OrderID) },
		func(d ReminderDeps, o order.Order) ([]core.Message, error) { return d.Composer.ReviewRequest(ctx, o) })
}

// runReminder is the shape of every reminder's task: check asks the service
// whether the reminder is due and records it (reminderDue reads its answer, key
// names the task to schedule again when early), compose makes its messages, and
// the sender sends them.
func runReminder[T any](w *Workers, ctx context.Context, t *asynq.Task, key string,
	check func(ReminderDeps) (T, error), compose func(ReminderDeps, T) ([]core.Message, error)) error {
	d := w.reminders
	if d.Orders == nil || d.Composer == nil {
		return errNoReminderDeps
	}
	state, err := check(d)
	if done, err := w.reminderDue(ctx, t, key, err); done {
		return err
	}
	msgs, err := compose(d, state)
	if err == nil {
		err = w.Send(ctx, msgs...)
	}
	return classify(err)
}

// reminderDue reads the answer of a reminder's check. done says the handler
// returns err now: nothing to send (its reason went away, it went already), the
// check failed, or it was early and is scheduled again at its time under
// "<key>@<unix seconds>". A retry of a task that recorded its reminder (ErrReminded
// on a retry) is not done: the reminder may not have been enqueued.
func (w *Workers) reminderDue(ctx context.Context, t *asynq.Task, key string, err error) (done bool, _ error) {
	var nd *order.NotDue
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &nd):
		return true, w.reschedule(ctx, t, key, nd.At)
	case errors.Is(err, order.ErrReminded):
		if retried, _ := asynq.GetRetryCount(ctx); retried > 0 {
			return false, nil
		}
		return true, nil
	case errors.Is(err, order.ErrNothingToRemind):
		return true, nil
	}
	return true, classify(err)
}

// reschedule enqueues task t again at at, under the task id "<key>@<unix seconds>":
// free while the running task holds key, and the same for every early firing with
// one due time, so those schedule one task.
func (w *Workers) reschedule(ctx context.Context, t *asynq.Task, key string, at time.Time) error {
	at = ceilSecond(at)
	taskID := fmt.Sprintf("%s@%d", key, at.Unix())
	if current, _ := asynq.GetTaskID(ctx); current == taskID {
		// This very task is early for its own time: the clocks disagree. Let asynq
		// retry it after a pause.
		return fmt.Errorf("%s not due until %s", key, at.Format("15:04:05"))
	}
	rt := w.route(t.Type())
	_, err := w.queue.EnqueueContext(ctx, asynq.NewTask(t.Type(), t.Payload()),
		asynq.Queue(rt.queue), asynq.TaskID(taskID), asynq.ProcessAt(at))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("reschedule %s: %w", key, err)
	}
	return nil
}

// HandleRestock tells the subscribers of a variant back in stock
// (catalog.JobRestock): the oldest first, as many as there are units plus a margin.
// Their messages are enqueued before their subscriptions are removed, so a crash in
// between sends nothing twice (the keys) and loses no one. When others wait and
// units are left, it runs again after RestockPace for them, with the stock as it is
// then; with nothing left they wait for the next restock.
func (w *Workers) HandleRestock(ctx context.Context, t *asynq.Task) error {
	var p catalog.RestockPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.VariantID == 0 {
		return badPayload(t.Type(), err)
	}
	d := w.reminders
	if d.Catalog == nil || d.Composer == nil {
		return errNoReminderDeps
	}
	b, err := d.Catalog.RestockBatch(ctx, p.VariantID)
	if err != nil {
		return classify(err)
	}
	if len(b.Subscribers) == 0 {
		return nil
	}
	msgs, err := d.Composer.RestockAlerts(ctx, b)
	if err == nil {
		err = w.Send(ctx, msgs...)
	}
	if err == nil {
		err = d.Catalog.RestockNotified(ctx, b.Subscribers)
	}
	if err != nil {
		return classify(fmt.Errorf("restock alerts of variant %d: %w", p.VariantID, err))
	}
	if !b.More {
		return nil
	}
	next := d.Clock.Now().Add(RestockPace)
	return w.reschedule(ctx, t, fmt.Sprintf("%s:%d", t.Type(), p.VariantID), next)
}
