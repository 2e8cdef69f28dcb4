package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Live drops' tasks: a claim becomes an order whose invoice goes to the buyer
// (live.JobClaim); a lot's post in its channel is made, then kept up to date
// (live.JobLotPost); an order of a lot that ended unpaid gives its unit back
// (order.JobHeldEnded).

// liveRoutes maps the job kinds of live drops to their queue (see routes). A
// lot's post job reuses its key on purpose (every change of the lot writes it
// again): no retention.
var liveRoutes = map[string]route{
	live.JobClaim:      {queue: QueueCritical, retention: 24 * time.Hour},
	live.JobLotPost:    {queue: QueueCritical},
	order.JobHeldEnded: {queue: QueueCritical, retention: 24 * time.Hour},
}

// Live is what the tasks of live drops need of live.Service.
type Live interface {
	// OrderClaim makes the order of a held claim (the same one every time);
	// live.ErrClaimReleased.
	OrderClaim(ctx context.Context, lot core.LotID, tap string) (order.Order, error)
	// ReleaseOrder gives the unit of an order that ended unpaid back to its lot.
	ReleaseOrder(ctx context.Context, lot core.LotID, id core.OrderID) (bool, error)
	// Lot returns a lot; live.ErrLotNotFound.
	Lot(ctx context.Context, id core.LotID) (live.Lot, error)
	// SetLotPost records the message of a lot's post.
	SetLotPost(ctx context.Context, id core.LotID, messageID int64) error
}

// LiveBot is what the tasks of live drops need of the bot.
type LiveBot interface {
	// SendClaimInvoice sends the buyer of a claim's order the invoice to pay
	// it, unless one was sent (order.Order.InvoiceMessageID), and records it. A
	// call of its own, not a message of the sender: the invoice's message is
	// recorded, so that opening the bot from the tap's answer points at it
	// instead of sending another. A buyer who has not started the bot cannot be
	// written to: that is no error (they get it when they open the bot).
	SendClaimInvoice(ctx context.Context, o order.Order) error
	// PostLot posts a lot in its session's channel and returns the message. It
	// is a call of its own, not a message of the sender: the post's id is what
	// every later edit names.
	PostLot(ctx context.Context, l live.Lot) (int64, error)
	// LotPostEdit composes the edit of a lot's post as the lot is now (the units
	// left, sold out, ended), coalesced per lot (Message.Coalesce).
	LotPostEdit(ctx context.Context, l live.Lot) (core.Message, error)
}

// LiveDeps are what the tasks of live drops need; nil fields make their tasks
// fail (and retry) until wired.
type LiveDeps struct {
	Live Live
	Bot  LiveBot
}

// initLive keeps the deps of live drops.
func (w *Workers) initLive(d LiveDeps) { w.live = d }

// registerLive adds the task handlers of live drops to mux.
func (w *Workers) registerLive(mux *asynq.ServeMux) {
	mux.HandleFunc(live.JobClaim, w.HandleLiveClaim)
	mux.HandleFunc(live.JobLotPost, w.HandleLotPost)
	mux.HandleFunc(order.JobHeldEnded, w.HandleHeldEnded)
}

func (w *Workers) liveWired() error {
	if w.live.Live == nil || w.live.Bot == nil {
		return errors.New("live drops are not wired")
	}
	return nil
}

// HandleLiveClaim makes the orders of a batch's claimed units and sends the
// buyers their invoices (live.JobClaim). Run again, it finds the orders made
// and the invoices recorded, and does the rest; a claim released meanwhile is
// skipped.
func (w *Workers) HandleLiveClaim(ctx context.Context, t *asynq.Task) error {
	var p live.ClaimJob
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Lot == 0 || len(p.Taps) == 0 {
		return badPayload(t.Type(), err)
	}
	if err := w.liveWired(); err != nil {
		return err
	}
	for _, tap := range p.Taps {
		if err := w.orderClaim(ctx, p.Lot, tap); err != nil {
			return err
		}
	}
	return nil
}

// orderClaim makes the order of one claim and sends its invoice, once.
func (w *Workers) orderClaim(ctx context.Context, lot core.LotID, tap string) error {
	o, err := w.live.Live.OrderClaim(ctx, lot, tap)
	if errors.Is(err, live.ErrClaimReleased) {
		return nil
	}
	if err != nil {
		return classify(err)
	}
	if o.Status != order.StatusAwaitingPayment || o.InvoiceMessageID != 0 {
		return nil // its invoice went when they opened the bot; or it is over
	}
	if err := w.live.Bot.SendClaimInvoice(ctx, o); err != nil {
		return classify(fmt.Errorf("claim %s of lot %d: %w", tap, lot, err))
	}
	return nil
}

// HandleLotPost posts a lot in its channel the first time, and then brings the
// post up to date (live.JobLotPost): the edits are coalesced, so a burst of
// claims makes a few edits within the channel's limit, the last one showing
// the lot as it is.
func (w *Workers) HandleLotPost(ctx context.Context, t *asynq.Task) error {
	var p live.LotPostJob
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Lot == 0 {
		return badPayload(t.Type(), err)
	}
	if err := w.liveWired(); err != nil {
		return err
	}
	l, err := w.live.Live.Lot(ctx, p.Lot)
	if err != nil {
		return classify(err)
	}
	if l.Post == 0 {
		id, err := w.live.Bot.PostLot(ctx, l)
		if err != nil {
			return classify(fmt.Errorf("post lot %d: %w", l.ID, err))
		}
		return classify(w.live.Live.SetLotPost(ctx, l.ID, id))
	}
	m, err := w.live.Bot.LotPostEdit(ctx, l)
	if err != nil {
		return classify(fmt.Errorf("edit the post of lot %d: %w", l.ID, err))
	}
	return classify(w.Send(ctx, m))
}

// HandleHeldEnded gives the unit of a lot's order that ended unpaid back to
// the lot (order.JobHeldEnded); done already is a success.
func (w *Workers) HandleHeldEnded(ctx context.Context, t *asynq.Task) error {
	var p order.HeldEndedPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.OrderID == 0 || p.Lot == 0 {
		return badPayload(t.Type(), err)
	}
	if err := w.liveWired(); err != nil {
		return err
	}
	_, err := w.live.Live.ReleaseOrder(ctx, p.Lot, p.OrderID)
	return classify(err)
}
