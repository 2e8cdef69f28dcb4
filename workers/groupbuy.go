package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Group buys' tasks: a purchase closes at its deadline (groupbuy.JobClose);
// a stopped one's places get their orders and invoices (groupbuy.JobInvoices).

// groupBuyRoutes maps the job kinds of group buys to their queue (see routes).
var groupBuyRoutes = map[string]route{
	groupbuy.JobClose:     {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobInvoices:  {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobFailed:    {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobCut:       {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobExtended:  {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobCancelled: {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobArrived:   {queue: QueueDefault, retention: 24 * time.Hour},
}

// GroupBuys is what the tasks of group buys need of groupbuy.Service.
type GroupBuys interface {
	// Close closes a purchase whose deadline has come; due is false before.
	Close(ctx context.Context, id groupbuy.ID) (groupbuy.Purchase, bool, error)
	// OrderPlaces makes a page of a stopped purchase's places' orders, from
	// the place after, calling send with each awaiting its invoice.
	OrderPlaces(ctx context.Context, id groupbuy.ID, after groupbuy.PlaceID, send func(order.Order) error) (groupbuy.PlaceID, bool, error)
	// Purchase returns a purchase.
	Purchase(ctx context.Context, id groupbuy.ID) (groupbuy.Purchase, error)
	// Participants returns up to limit participants, by id above after.
	Participants(ctx context.Context, id groupbuy.ID, after core.UserID, limit int) ([]core.UserID, error)
	// CutPlaces returns the places STOP cut to full size rows.
	CutPlaces(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error)
	// CallOffOrders calls off the orders of a cancelled purchase's places.
	CallOffOrders(ctx context.Context, id groupbuy.ID) (int, error)
	// Now is group buys' clock.
	Now() time.Time
	// CodesToSend returns the places whose pickup code has not gone yet;
	// CodeSent records one that went.
	CodesToSend(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error)
	CodeSent(ctx context.Context, place groupbuy.PlaceID) error
}

// GroupBuyBot is what the tasks of group buys need of the bot.
type GroupBuyBot interface {
	// SendPlaceInvoice sends a participant the invoice of their place's
	// order, once.
	SendPlaceInvoice(ctx context.Context, o order.Order) error
	// PurchaseNotice composes what tells a participant of an event of a
	// purchase: it failed, its deadline moved, it was cancelled.
	PurchaseNotice(ctx context.Context, p groupbuy.Purchase, to core.UserID, ev groupbuy.Event) (core.Message, error)
	// CutMessage composes what tells a participant what of their place STOP
	// cut, beyond the purchase's full size rows.
	CutMessage(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place) (core.Message, error)
	// SendPickupCode sends a participant where to collect their place and
	// its pickup code, as text and as a QR image (calls of its own: a photo
	// uploaded).
	SendPickupCode(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place) error
}

// GroupBuyDeps are what the tasks of group buys need; nil fields make their
// tasks fail (and retry) until wired.
type GroupBuyDeps struct {
	GroupBuys GroupBuys
	Bot       GroupBuyBot
}

// GroupBuyTasks are the task handlers of group buys.
type GroupBuyTasks struct {
	w *Workers
	d GroupBuyDeps
}

// initGroupBuys keeps the deps of group buys.
func (w *Workers) initGroupBuys(d GroupBuyDeps) { w.groupBuys = &GroupBuyTasks{w: w, d: d} }

// GroupBuys returns the task handlers of group buys.
func (w *Workers) GroupBuys() *GroupBuyTasks { return w.groupBuys }

// registerGroupBuys adds the task handlers of group buys to mux.
func (w *Workers) registerGroupBuys(mux *asynq.ServeMux) {
	mux.HandleFunc(groupbuy.JobClose, w.groupBuys.HandleClose)
	mux.HandleFunc(groupbuy.JobInvoices, w.groupBuys.HandleInvoices)
	mux.HandleFunc(groupbuy.JobFailed, w.groupBuys.HandleFailed)
	mux.HandleFunc(groupbuy.JobCut, w.groupBuys.HandleCut)
	mux.HandleFunc(groupbuy.JobExtended, w.groupBuys.HandleExtended)
	mux.HandleFunc(groupbuy.JobCancelled, w.groupBuys.HandleCancelled)
	mux.HandleFunc(groupbuy.JobArrived, w.groupBuys.HandleArrived)
}

// purchaseOf reads the purchase a group buy's task names (every payload is a
// groupbuy.CloseJob), and checks that the tasks are wired, the bot too when
// bot is set.
func (t *GroupBuyTasks) purchaseOf(task *asynq.Task, bot bool) (groupbuy.CloseJob, error) {
	var p groupbuy.CloseJob
	if err := json.Unmarshal(task.Payload(), &p); err != nil || p.Purchase == 0 {
		return p, badPayload(task.Type(), err)
	}
	if t.d.GroupBuys == nil || bot && t.d.Bot == nil {
		return p, errors.New("group buys are not wired")
	}
	return p, nil
}

// closeRecheck is when a close task that ran before the deadline (asynq keeps
// whole seconds, and a deadline may have been moved) looks again, at most.
const closeRecheck = time.Minute

// HandleClose closes a purchase at its deadline (groupbuy.JobClose): the
// service re-checks the deadline and the totals under the purchase's lock,
// so a task run twice, or early, changes nothing it should not.
func (t *GroupBuyTasks) HandleClose(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, false)
	if err != nil {
		return err
	}
	got, due, err := t.d.GroupBuys.Close(ctx, p.Purchase)
	if err != nil {
		return classify(err)
	}
	if !due {
		left := got.Deadline.Sub(t.d.GroupBuys.Now())
		if left > closeRecheck {
			return nil // the deadline moved later: its own job closes it (groupbuy.Service.Extend)
		}
		return &errRetryIn{after: max(left, time.Second), wait: true, err: fmt.Errorf("group buy %d closes at %s", p.Purchase, got.Deadline)}
	}
	return nil
}

// HandleInvoices makes the orders of a stopped purchase's places and sends
// their invoices (groupbuy.JobInvoices), a page at a time; the sender's rate
// limits pace the invoices' messages. Run again, it sends only what did not go.
func (t *GroupBuyTasks) HandleInvoices(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	var after groupbuy.PlaceID
	for {
		last, more, err := t.d.GroupBuys.OrderPlaces(ctx, p.Purchase, after, func(o order.Order) error {
			return t.d.Bot.SendPlaceInvoice(ctx, o)
		})
		if err != nil {
			return classify(err)
		}
		if !more {
			return nil
		}
		after = last
	}
}

// HandleFailed tells every participant of a purchase that failed
// (groupbuy.JobFailed).
func (t *GroupBuyTasks) HandleFailed(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, groupbuy.EventFailed, groupbuy.StatusFailed, nil)
}

// HandleExtended tells every participant that the deadline moved
// (groupbuy.JobExtended).
func (t *GroupBuyTasks) HandleExtended(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, groupbuy.EventExtended, groupbuy.StatusOpen, nil)
}

// HandleCancelled calls off the orders of a cancelled purchase's places
// (paid ones refunded by the orders' own jobs) and tells every participant
// (groupbuy.JobCancelled).
func (t *GroupBuyTasks) HandleCancelled(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, groupbuy.EventCancelled, groupbuy.StatusCancelled, func(id groupbuy.ID) error {
		_, err := t.d.GroupBuys.CallOffOrders(ctx, id)
		return err
	})
}

// tell tells every participant of a purchase in status of ev, after first
// (when set), through the sender: each message once, by its key. A purchase
// in another status by now is left alone.
func (t *GroupBuyTasks) tell(ctx context.Context, task *asynq.Task, ev groupbuy.Event, status groupbuy.Status, first func(groupbuy.ID) error) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return classify(err)
	}
	if gb.Status != status {
		return nil
	}
	if first != nil {
		if err := first(gb.ID); err != nil {
			return classify(err)
		}
	}
	var after core.UserID
	for {
		users, err := t.d.GroupBuys.Participants(ctx, gb.ID, after, remindPage)
		if err != nil {
			return classify(err)
		}
		for _, u := range users {
			m, err := t.d.Bot.PurchaseNotice(ctx, gb, u, ev)
			if err != nil {
				return classify(err)
			}
			if err := t.w.Send(ctx, m); err != nil {
				return classify(err)
			}
		}
		if len(users) < remindPage {
			return nil
		}
		after = users[len(users)-1]
	}
}

// HandleCut tells the participants whose places STOP cut to the purchase's
// full size rows what was cut, and that they do not pay for it
// (groupbuy.JobCut); each message once, by its key.
func (t *GroupBuyTasks) HandleCut(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return classify(err)
	}
	places, err := t.d.GroupBuys.CutPlaces(ctx, gb.ID)
	if err != nil {
		return classify(err)
	}
	for _, pl := range places {
		m, err := t.d.Bot.CutMessage(ctx, gb, pl)
		if err != nil {
			return classify(err)
		}
		if err := t.w.Send(ctx, m); err != nil {
			return classify(err)
		}
	}
	return nil
}

// HandleArrived sends each paid place's participant their pickup code once the
// goods arrived (groupbuy.JobArrived), and records each that went: run again,
// it sends only the codes that did not go. (One whose worker dies between the
// send and the record is sent again.)
func (t *GroupBuyTasks) HandleArrived(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return classify(err)
	}
	places, err := t.d.GroupBuys.CodesToSend(ctx, gb.ID)
	if err != nil {
		return classify(err)
	}
	for _, pl := range places {
		if err := t.d.Bot.SendPickupCode(ctx, gb, pl); err != nil {
			return classify(err)
		}
		if err := t.d.GroupBuys.CodeSent(ctx, pl.ID); err != nil {
			return classify(err)
		}
	}
	return nil
}
