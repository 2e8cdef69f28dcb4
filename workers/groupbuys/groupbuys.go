// Package groupbuys holds the tasks of group buys: a purchase closes at its
// deadline (groupbuy.JobClose); a stopped one's places get their orders and
// invoices (groupbuy.JobInvoices); participants are told what happened to
// their purchase; the pickup codes go out when the goods arrive.
package groupbuys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/workers"
)

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
	// Settle settles a purchase's waiting list: places whose orders ended
	// are freed, lapsed offers end, free places are offered.
	Settle(ctx context.Context, id groupbuy.ID) error
	// Waiter returns buyer's entry on a purchase's waiting list for a variant.
	Waiter(ctx context.Context, id groupbuy.ID, buyer core.UserID, v core.VariantID) (groupbuy.Waiter, error)
	// Unpaid returns the places whose orders await payment.
	Unpaid(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error)
	// Uncollected returns the places whose goods wait at the pickup point.
	Uncollected(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error)
	// Handover returns a handover; FinishHandover calls off the order of a
	// place passed on.
	Handover(ctx context.Context, id groupbuy.HandoverID) (groupbuy.Handover, error)
	FinishHandover(ctx context.Context, id groupbuy.HandoverID) (groupbuy.Handover, groupbuy.Place, error)
	// OrderShipping makes the orders of a purchase's shipping shares,
	// calling send with each awaiting its invoice.
	OrderShipping(ctx context.Context, id groupbuy.ID, send func(order.Order) error) error
	// Cards returns a purchase's latest public cards.
	Cards(ctx context.Context, id groupbuy.ID) ([]groupbuy.Card, error)
	// DropUnpaid gives up the places of an open pay-to-join purchase not
	// paid in time.
	DropUnpaid(ctx context.Context, id groupbuy.ID) (int, error)
	// CallOffPlaceOrder calls off the order of a place left or changed, for
	// reason.
	CallOffPlaceOrder(ctx context.Context, o core.OrderID, reason string) error
	// FreePlace returns a place of a purchase.
	FreePlace(ctx context.Context, id groupbuy.ID, place groupbuy.PlaceID) (groupbuy.Place, error)
}

// Bot is what the tasks of group buys need of the bot.
type Bot interface {
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
	// OfferMessage composes what offers a waiter the place that came free,
	// with the buttons to take it or pass.
	OfferMessage(ctx context.Context, p groupbuy.Purchase, w groupbuy.Waiter) (core.Message, error)
	// PayReminderMessage composes the reminder that a place's order is to be
	// paid by its deadline.
	PayReminderMessage(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place) (core.Message, error)
	// UncollectedMessage composes the reminder that a place's goods wait at
	// its pickup point, with its code (n: the reminder's number).
	UncollectedMessage(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place, n int) (core.Message, error)
	// HandoverAskedMessage composes what asks the organizer to approve a
	// replacement for a place.
	HandoverAskedMessage(ctx context.Context, p groupbuy.Purchase, h groupbuy.Handover) (core.Message, error)
	// HandedOverMessages compose what tells both sides of a decided
	// handover (the replacement alone when declined).
	HandedOverMessages(ctx context.Context, p groupbuy.Purchase, h groupbuy.Handover, old groupbuy.Place) ([]core.Message, error)
	// SendShippingInvoice sends a participant the invoice of their share of
	// the shipping to the pickup point, once.
	SendShippingInvoice(ctx context.Context, o order.Order) error
	// CardEdit composes the edit of a public card into the purchase as it
	// is now, coalesced per card.
	CardEdit(ctx context.Context, p groupbuy.Purchase, c groupbuy.Card) (core.Message, error)
	// OwedMessages compose what tells of a card payment to join owed back:
	// the shop's staff, asked to refund it at the provider, and the
	// participant; once returned, the participant alone.
	OwedMessages(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place) ([]core.Message, error)
}

// Sender is what the tasks need of the workers' sender (*workers.Workers).
type Sender interface {
	Send(ctx context.Context, msgs ...core.Message) error
}

// Deps are what the tasks of group buys need; nil fields make their tasks
// fail (and retry) until wired.
type Deps struct {
	GroupBuys GroupBuys
	Bot       Bot
	Sender    Sender
}

// Tasks are the task handlers of group buys.
type Tasks struct {
	d Deps
}

// New returns the task handlers of group buys.
func New(d Deps) *Tasks { return &Tasks{d: d} }

// Register adds the task handlers of group buys to mux.
func (t *Tasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(groupbuy.JobClose, t.HandleClose)
	mux.HandleFunc(groupbuy.JobInvoices, t.HandleInvoices)
	mux.HandleFunc(groupbuy.JobFailed, t.HandleFailed)
	mux.HandleFunc(groupbuy.JobCut, t.HandleCut)
	mux.HandleFunc(groupbuy.JobExtended, t.HandleExtended)
	mux.HandleFunc(groupbuy.JobCancelled, t.HandleCancelled)
	mux.HandleFunc(groupbuy.JobArrived, t.HandleArrived)
	mux.HandleFunc(groupbuy.JobOffer, t.HandleOffer)
	mux.HandleFunc(groupbuy.JobOfferEnd, t.HandleOfferEnd)
	mux.HandleFunc(order.JobGroupEnded, t.HandleGroupEnded)
	mux.HandleFunc(groupbuy.JobCards, t.HandleCards)
	mux.HandleFunc(groupbuy.JobShipping, t.HandleShipping)
	mux.HandleFunc(groupbuy.JobReopened, t.HandleReopened)
	mux.HandleFunc(groupbuy.JobUncollected, t.HandleUncollected)
	mux.HandleFunc(groupbuy.JobPayReminder, t.HandlePayReminder)
	mux.HandleFunc(groupbuy.JobHandoverAsked, t.HandleHandoverAsked)
	mux.HandleFunc(groupbuy.JobHandedOver, t.HandleHandedOver)
	mux.HandleFunc(groupbuy.JobJoinPay, t.HandleJoinPay)
	mux.HandleFunc(groupbuy.JobCallOff, t.HandleCallOff)
	mux.HandleFunc(groupbuy.JobOwed, t.HandleOwed)
}

// page is how many participants one read composes messages for.
const page = 500

// purchaseOf reads the purchase a group buy's task names (every payload is a
// groupbuy.CloseJob), and checks that the tasks are wired, the bot too when
// bot is set.
func (t *Tasks) purchaseOf(task *asynq.Task, bot bool) (groupbuy.CloseJob, error) {
	p, err := workers.Payload(task, func(p groupbuy.CloseJob) bool { return p.Purchase != 0 })
	if err != nil {
		return p, err
	}
	return p, t.wired(bot)
}

// wired checks that the tasks are wired, the bot and the sender too when bot
// is set.
func (t *Tasks) wired(bot bool) error {
	if t.d.GroupBuys == nil || bot && (t.d.Bot == nil || t.d.Sender == nil) {
		return errors.New("group buys are not wired")
	}
	return nil
}

// closeRecheck is when a close task that ran before the deadline (asynq keeps
// whole seconds, and a deadline may have been moved) looks again, at most.
const closeRecheck = time.Minute

// HandleClose closes a purchase at its deadline (groupbuy.JobClose): the
// service re-checks the deadline and the totals under the purchase's lock,
// so a task run twice, or early, changes nothing it should not.
func (t *Tasks) HandleClose(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, false)
	if err != nil {
		return err
	}
	got, due, err := t.d.GroupBuys.Close(ctx, p.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	if !due {
		left := got.Deadline.Sub(t.d.GroupBuys.Now())
		if left > closeRecheck {
			return nil // the deadline moved later: its own job closes it (groupbuy.Service.Extend)
		}
		return workers.RetryIn(max(left, time.Second), fmt.Errorf("group buy %d closes at %s", p.Purchase, got.Deadline))
	}
	return nil
}

// HandleInvoices makes the orders of a stopped purchase's places and sends
// their invoices (groupbuy.JobInvoices), a page at a time; the sender's rate
// limits pace the invoices' messages. Run again, it sends only what did not go.
func (t *Tasks) HandleInvoices(ctx context.Context, task *asynq.Task) error {
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
			return workers.Classify(err)
		}
		if !more {
			return nil
		}
		after = last
	}
}

// HandleFailed tells every participant of a purchase that failed
// (groupbuy.JobFailed), after calling off the orders of a pay-to-join one
// (the paid ones refunded).
func (t *Tasks) HandleFailed(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, groupbuy.EventFailed, groupbuy.StatusFailed, func(id groupbuy.ID) error {
		_, err := t.d.GroupBuys.CallOffOrders(ctx, id)
		return err
	})
}

// HandleExtended tells every participant that the deadline moved
// (groupbuy.JobExtended).
func (t *Tasks) HandleExtended(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, groupbuy.EventExtended, groupbuy.StatusOpen, nil)
}

// HandleReopened tells every participant that a failed purchase gathers
// again (groupbuy.JobReopened).
func (t *Tasks) HandleReopened(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, groupbuy.EventReopened, groupbuy.StatusOpen, nil)
}

// HandleCancelled calls off the orders of a cancelled purchase's places
// (paid ones refunded by the orders' own jobs) and tells every participant
// (groupbuy.JobCancelled).
func (t *Tasks) HandleCancelled(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, groupbuy.EventCancelled, groupbuy.StatusCancelled, func(id groupbuy.ID) error {
		_, err := t.d.GroupBuys.CallOffOrders(ctx, id)
		return err
	})
}

// tell tells every participant of a purchase in status of ev, after first
// (when set), through the sender: each message once, by its key. A purchase
// in another status by now is left alone.
func (t *Tasks) tell(ctx context.Context, task *asynq.Task, ev groupbuy.Event, status groupbuy.Status, first func(groupbuy.ID) error) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	if gb.Status != status {
		return nil
	}
	if first != nil {
		if err := first(gb.ID); err != nil {
			return workers.Classify(err)
		}
	}
	var after core.UserID
	for {
		users, err := t.d.GroupBuys.Participants(ctx, gb.ID, after, page)
		if err != nil {
			return workers.Classify(err)
		}
		for _, u := range users {
			m, err := t.d.Bot.PurchaseNotice(ctx, gb, u, ev)
			if err != nil {
				return workers.Classify(err)
			}
			if err := t.d.Sender.Send(ctx, m); err != nil {
				return workers.Classify(err)
			}
		}
		if len(users) < page {
			return nil
		}
		after = users[len(users)-1]
	}
}

// HandleCut tells the participants whose places STOP cut to the purchase's
// full size rows what was cut, and that they do not pay for it
// (groupbuy.JobCut); each message once, by its key.
func (t *Tasks) HandleCut(ctx context.Context, task *asynq.Task) error {
	return t.tellPlaces(ctx, task, nil, t.d.GroupBuys.CutPlaces,
		func(gb groupbuy.Purchase, pl groupbuy.Place, _ groupbuy.CloseJob) (core.Message, error) {
			return t.d.Bot.CutMessage(ctx, gb, pl)
		})
}

// tellPlaces tells the participants of the places list returns, of a purchase
// in a status when accepts (any, when nil), a message compose makes of each;
// each once, by its key.
func (t *Tasks) tellPlaces(ctx context.Context, task *asynq.Task, when func(groupbuy.Status) bool,
	list func(context.Context, groupbuy.ID) ([]groupbuy.Place, error),
	compose func(groupbuy.Purchase, groupbuy.Place, groupbuy.CloseJob) (core.Message, error)) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	if when != nil && !when(gb.Status) {
		return nil
	}
	places, err := list(ctx, gb.ID)
	if err != nil {
		return workers.Classify(err)
	}
	msgs := make([]core.Message, 0, len(places))
	for _, pl := range places {
		m, err := compose(gb, pl, p)
		if err != nil {
			return workers.Classify(err)
		}
		msgs = append(msgs, m)
	}
	return workers.Classify(t.d.Sender.Send(ctx, msgs...))
}

// HandleArrived sends each paid place's participant their pickup code once the
// goods arrived (groupbuy.JobArrived), and records each that went: run again,
// it sends only the codes that did not go. (One whose worker dies between the
// send and the record is sent again.)
func (t *Tasks) HandleArrived(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	places, err := t.d.GroupBuys.CodesToSend(ctx, gb.ID)
	if err != nil {
		return workers.Classify(err)
	}
	for _, pl := range places {
		if err := t.d.Bot.SendPickupCode(ctx, gb, pl); err != nil {
			return workers.Classify(err)
		}
		if err := t.d.GroupBuys.CodeSent(ctx, pl.ID); err != nil {
			return workers.Classify(err)
		}
	}
	return nil
}

// offerOf reads an offer's job and checks the wiring.
func (t *Tasks) offerOf(task *asynq.Task) (groupbuy.OfferJob, error) {
	p, err := workers.Payload(task, func(p groupbuy.OfferJob) bool { return p.Purchase != 0 && p.Buyer != 0 && p.Variant != 0 })
	if err != nil {
		return p, err
	}
	return p, t.wired(true)
}

// HandleOffer tells a waiter that a place came free for them
// (groupbuy.JobOffer), if the offer still stands; its key keeps it to one.
func (t *Tasks) HandleOffer(ctx context.Context, task *asynq.Task) error {
	p, err := t.offerOf(task)
	if err != nil {
		return err
	}
	w, err := t.d.GroupBuys.Waiter(ctx, p.Purchase, p.Buyer, p.Variant)
	if err != nil {
		return workers.Classify(err)
	}
	if w.Status != groupbuy.WaitOffered || !w.OfferUntil.Equal(p.Until) {
		return nil // taken, passed or lapsed by now
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	m, err := t.d.Bot.OfferMessage(ctx, gb, w)
	if err != nil {
		return workers.Classify(err)
	}
	return workers.Classify(t.d.Sender.Send(ctx, m))
}

// HandleOfferEnd settles a waiting list when an offer runs out
// (groupbuy.JobOfferEnd): the place goes to the next waiter. Early (asynq
// keeps whole seconds), it comes back at the end.
func (t *Tasks) HandleOfferEnd(ctx context.Context, task *asynq.Task) error {
	p, err := t.offerOf(task)
	if err != nil {
		return err
	}
	if left := p.Until.Sub(t.d.GroupBuys.Now()); left > 0 {
		return workers.RetryIn(max(left, time.Second), fmt.Errorf("the offer to %d ends at %s", p.Buyer, p.Until))
	}
	return workers.Classify(t.d.GroupBuys.Settle(ctx, p.Purchase))
}

// HandleGroupEnded settles the waiting list of a purchase one of whose
// places' orders ended, unpaid or cancelled (order.JobGroupEnded): the place
// is offered to the next waiter.
func (t *Tasks) HandleGroupEnded(ctx context.Context, task *asynq.Task) error {
	p, err := workers.Payload(task, func(p order.GroupEndedPayload) bool { return p.GroupBuy != 0 })
	if err != nil {
		return err
	}
	if err := t.wired(false); err != nil {
		return err
	}
	// An open pay-to-join purchase gives the place up (its units counted no
	// more); a stopped one offers it to the waiting list.
	if _, err := t.d.GroupBuys.DropUnpaid(ctx, p.GroupBuy); err != nil {
		return workers.Classify(err)
	}
	return workers.Classify(t.d.GroupBuys.Settle(ctx, p.GroupBuy))
}

// HandleJoinPay gives up the places of an open pay-to-join purchase not paid
// in time (groupbuy.JobJoinPay).
func (t *Tasks) HandleJoinPay(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, false)
	if err != nil {
		return err
	}
	_, err = t.d.GroupBuys.DropUnpaid(ctx, p.Purchase)
	return workers.Classify(err)
}

// HandleCallOff calls off the order of a pay-to-join place left or changed
// (groupbuy.JobCallOff), should the bot not have done it at once.
func (t *Tasks) HandleCallOff(ctx context.Context, task *asynq.Task) error {
	p, err := workers.Payload(task, func(p groupbuy.OrderJob) bool { return p.Order != 0 })
	if err != nil {
		return err
	}
	if err := t.wired(false); err != nil {
		return err
	}
	return workers.Classify(t.d.GroupBuys.CallOffPlaceOrder(ctx, p.Order, p.Reason))
}

// HandleOwed tells of a card payment to join owed back after the price fell
// (groupbuy.JobOwed): the shop's staff are asked to refund it at the
// provider, and the participant told; once the staff recorded it, the
// participant is told it went back.
func (t *Tasks) HandleOwed(ctx context.Context, task *asynq.Task) error {
	p, err := workers.Payload(task, func(p groupbuy.OwedJob) bool { return p.Purchase != 0 && p.Place != 0 })
	if err != nil {
		return err
	}
	if err := t.wired(true); err != nil {
		return err
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	pl, err := t.d.GroupBuys.FreePlace(ctx, p.Purchase, p.Place)
	if err != nil {
		return workers.Classify(err)
	}
	msgs, err := t.d.Bot.OwedMessages(ctx, gb, pl)
	if err == nil {
		err = t.d.Sender.Send(ctx, msgs...)
	}
	return workers.Classify(err)
}

// HandleCards brings every public card of a purchase up to date
// (groupbuy.JobCards): the edits go through the sender, coalesced per card,
// so a burst of joins makes a few edits of each within its chat's limit, the
// last one showing the purchase as it is.
func (t *Tasks) HandleCards(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, p.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	cards, err := t.d.GroupBuys.Cards(ctx, gb.ID)
	if err != nil || len(cards) == 0 {
		return workers.Classify(err)
	}
	// A change that commits while this task runs finds its job's id taken
	// (the task's own) and adds no task: the purchase is read again after
	// the edits, and a change seen is edited in too.
	for range cardRounds {
		msgs := make([]core.Message, 0, len(cards))
		for _, c := range cards {
			m, err := t.d.Bot.CardEdit(ctx, gb, c)
			if err != nil {
				return workers.Classify(err)
			}
			msgs = append(msgs, m)
		}
		if err := t.d.Sender.Send(ctx, msgs...); err != nil {
			return workers.Classify(err)
		}
		now, err := t.d.GroupBuys.Purchase(ctx, gb.ID)
		if err != nil {
			return workers.Classify(err)
		}
		if now.Totals.Units == gb.Totals.Units && now.Status == gb.Status && now.Deadline.Equal(gb.Deadline) {
			return nil
		}
		gb = now
	}
	// Still changing: a job of a later change comes (its id is free once
	// this task ends), or this one again.
	return workers.RetryIn(time.Second, fmt.Errorf("group buy %d changes while its cards are edited", gb.ID))
}

// cardRounds bounds the rounds of edits one cards task makes.
const cardRounds = 3

// HandleUncollected reminds the participants whose goods wait at the pickup
// point of an arrived purchase (groupbuy.JobUncollected); each message once,
// by its key.
func (t *Tasks) HandleUncollected(ctx context.Context, task *asynq.Task) error {
	arrived := func(st groupbuy.Status) bool { return st == groupbuy.StatusArrived }
	return t.tellPlaces(ctx, task, arrived, t.d.GroupBuys.Uncollected,
		func(gb groupbuy.Purchase, pl groupbuy.Place, p groupbuy.CloseJob) (core.Message, error) {
			return t.d.Bot.UncollectedMessage(ctx, gb, pl, p.Reminder)
		})
}

// handoverOf reads a handover's job and checks the wiring.
func (t *Tasks) handoverOf(task *asynq.Task) (groupbuy.HandoverJob, error) {
	p, err := workers.Payload(task, func(p groupbuy.HandoverJob) bool { return p.Handover != 0 })
	if err != nil {
		return p, err
	}
	return p, t.wired(true)
}

// HandleHandoverAsked asks the organizer to approve a replacement for a
// place (groupbuy.JobHandoverAsked), while the ask stands.
func (t *Tasks) HandleHandoverAsked(ctx context.Context, task *asynq.Task) error {
	p, err := t.handoverOf(task)
	if err != nil {
		return err
	}
	h, err := t.d.GroupBuys.Handover(ctx, p.Handover)
	if err != nil {
		return workers.Classify(err)
	}
	if h.Status != groupbuy.HandoverRequested {
		return nil
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, h.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	m, err := t.d.Bot.HandoverAskedMessage(ctx, gb, h)
	if err != nil {
		return workers.Classify(err)
	}
	return workers.Classify(t.d.Sender.Send(ctx, m))
}

// HandleHandedOver finishes a decided handover (groupbuy.JobHandedOver): the
// old place's order is called off (a payment that beat it is refunded by the
// order's jobs), and both sides are told, each once by its key.
func (t *Tasks) HandleHandedOver(ctx context.Context, task *asynq.Task) error {
	p, err := t.handoverOf(task)
	if err != nil {
		return err
	}
	h, old, err := t.d.GroupBuys.FinishHandover(ctx, p.Handover)
	if err != nil {
		return workers.Classify(err)
	}
	gb, err := t.d.GroupBuys.Purchase(ctx, h.Purchase)
	if err != nil {
		return workers.Classify(err)
	}
	msgs, err := t.d.Bot.HandedOverMessages(ctx, gb, h, old)
	if err != nil {
		return workers.Classify(err)
	}
	return workers.Classify(t.d.Sender.Send(ctx, msgs...))
}

// HandlePayReminder reminds the participants who have not paid for their
// places, a day before the payment deadline (groupbuy.JobPayReminder); each
// message once, by its key.
func (t *Tasks) HandlePayReminder(ctx context.Context, task *asynq.Task) error {
	stopped := func(st groupbuy.Status) bool { return st == groupbuy.StatusStopped || st == groupbuy.StatusArrived }
	return t.tellPlaces(ctx, task, stopped, t.d.GroupBuys.Unpaid,
		func(gb groupbuy.Purchase, pl groupbuy.Place, _ groupbuy.CloseJob) (core.Message, error) {
			return t.d.Bot.PayReminderMessage(ctx, gb, pl)
		})
}

// HandleShipping makes the orders of a purchase's shares of the shipping to
// its pickup points and sends their invoices (groupbuy.JobShipping); run
// again, it sends only what did not go.
func (t *Tasks) HandleShipping(ctx context.Context, task *asynq.Task) error {
	p, err := t.purchaseOf(task, true)
	if err != nil {
		return err
	}
	return workers.Classify(t.d.GroupBuys.OrderShipping(ctx, p.Purchase, func(o order.Order) error {
		return t.d.Bot.SendShippingInvoice(ctx, o)
	}))
}
