package groupbuy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// The waiting list of a stopped purchase. Joining closes at STOP, but places
// come free after it: a participant who does not pay by the payment deadline
// (their order expires, or is cancelled) gives their place up. A freed place
// is offered, whole (its variant and quantity at the final price and its
// share of the fee), to the first person waiting for its variant; they have
// OfferWindow to take it, and then as long again to pay. One who passes, lets
// the offer lapse, or takes it and does not pay, frees it for the next. A
// place nobody waits for stays free until someone does.
//
// The list is settled under the purchase's lock (Store.Waitlist): every
// change (someone waits, leaves, takes, passes; an order ends; an offer
// lapses) runs the same settle, so a job run twice, or two changes at once,
// offer a place to one person at a time.

// WaiterID identifies a place on a waiting list.
type WaiterID int64

// WaitStatus is where someone on a waiting list is.
type WaitStatus string

const (
	WaitWaiting WaitStatus = "waiting" // in the queue for a variant
	WaitOffered WaitStatus = "offered" // a freed place is theirs to take until OfferUntil
	WaitTook    WaitStatus = "took"    // took a place: they are a participant now
	WaitPassed  WaitStatus = "passed"  // said no to an offer
	WaitLapsed  WaitStatus = "lapsed"  // let an offer run out
	WaitLeft    WaitStatus = "left"    // left the list
)

// Waiter is someone waiting for a place of a variant in a stopped purchase.
type Waiter struct {
	ID       WaiterID
	Purchase ID
	Buyer    core.UserID
	Variant  core.VariantID
	// Pickup is where they would collect (0: shipping).
	Pickup core.PickupPointID
	Status WaitStatus
	// Place is the freed place offered to them, or taken.
	Place      PlaceID
	OfferUntil time.Time
	QueuedAt   time.Time
	// Position is their place in the queue of their variant, from 1 (read
	// with Service.Waits).
	Position int
}

// Waitlist is a purchase's waiting list as the store reads it under the
// purchase's lock, for settle and the changes around it.
type Waitlist struct {
	Purchase Purchase
	// Waiters are those waiting or offered, first queued first. Changed or
	// added ones (ID 0) are saved.
	Waiters []Waiter
	// Free are the places given up unpaid (their orders expired or were
	// cancelled) and not passed on, oldest first.
	Free []Place
	// Held are the variants of which the buyer the list was read for has a
	// place on record (joined, cut, given up): a waiter may not wait for one.
	Held []core.VariantID
	// Holds are the variants each waiter has a place of since they began to
	// wait (one handed over to them): such a place is not offered to them.
	Holds map[core.UserID][]core.VariantID
	// Passed are free places taken by waiters, and Taken the places made of
	// them (From set), saved as such.
	Passed []PlaceID
	Taken  []Place
}

// OfferWindow is how long a waiter has to take a freed place, and then to
// pay for it.
const OfferWindow = 24 * time.Hour

// Jobs of the waiting list.
const (
	// JobOffer tells a waiter that a freed place is theirs to take; payload
	// OfferJob, key "groupbuy:offer:<waiter>:<offer until>".
	JobOffer = "groupbuy:offer"
	// JobOfferEnd settles the waiting list when an offer runs out; payload
	// OfferJob, due at its end.
	JobOfferEnd = "groupbuy:offer_end"
)

// OfferJob is the payload of an offer's jobs.
// It names the waiter by buyer and variant: a waiter new to the list has no
// id until the list is saved, after its jobs are made.
type OfferJob struct {
	Purchase ID             `json:"purchase"`
	Buyer    core.UserID    `json:"buyer"`
	Variant  core.VariantID `json:"variant"`
	Until    time.Time      `json:"until"`
}

// Errors of the waiting list.
var (
	ErrNoWaitlist = &core.Error{Code: core.ECONFLICT, Message: "this group buy has no waiting list now"}
	ErrHasPlace   = &core.Error{Code: core.ECONFLICT, Message: "you have a place of this variant in the group buy already"}
	ErrOfferGone  = &core.Error{Code: core.ECONFLICT, Message: "this offer is no longer open"}
)

// waitable reports whether a purchase keeps a waiting list: after STOP,
// until its places are settled.
func waitable(p Purchase) bool {
	return p.Status == StatusStopped || p.Status == StatusArrived
}

// settle lapses the offers whose time ran out and offers each free place no
// one holds an offer of to the first waiter of its variant, returning the
// offers' jobs.
func (w *Waitlist) settle(now time.Time) []core.Job {
	var jobs []core.Job
	held := map[PlaceID]bool{}
	for i := range w.Waiters {
		wt := &w.Waiters[i]
		if wt.Status != WaitOffered {
			continue
		}
		if !now.Before(wt.OfferUntil) || !waitable(w.Purchase) {
			wt.Status = WaitLapsed
			continue
		}
		held[wt.Place] = true
	}
	if !waitable(w.Purchase) {
		return nil
	}
	for _, pl := range w.Free {
		if held[pl.ID] {
			continue
		}
		i := slices.IndexFunc(w.Waiters, func(wt Waiter) bool {
			return wt.Status == WaitWaiting && wt.Variant == pl.Variant && !slices.Contains(w.Holds[wt.Buyer], pl.Variant)
		})
		if i < 0 {
			continue
		}
		wt := &w.Waiters[i]
		wt.Status, wt.Place, wt.OfferUntil = WaitOffered, pl.ID, now.Add(OfferWindow)
		held[pl.ID] = true
		jobs = append(jobs, offerJobs(*wt)...)
	}
	return jobs
}

// offerJobs are an offer's message and its end; keyed by the offer's end, as
// a waiter offered again later is told again.
func offerJobs(wt Waiter) []core.Job {
	payload, _ := json.Marshal(OfferJob{Purchase: wt.Purchase, Buyer: wt.Buyer, Variant: wt.Variant, Until: wt.OfferUntil})
	at := wt.OfferUntil.Unix()
	return []core.Job{
		{Kind: JobOffer, Key: fmt.Sprintf("%s:%d:%d:%d", JobOffer, wt.Purchase, wt.Buyer, at), Payload: payload},
		{Kind: JobOfferEnd, Key: fmt.Sprintf("%s:%d:%d:%d", JobOfferEnd, wt.Purchase, wt.Buyer, at), Payload: payload, RunAt: wt.OfferUntil},
	}
}

// waiter finds buyer's entry for variant v, or -1.
func (w *Waitlist) waiter(buyer core.UserID, v core.VariantID) int {
	return slices.IndexFunc(w.Waiters, func(wt Waiter) bool { return wt.Buyer == buyer && wt.Variant == v })
}

// take makes waiter i's offered place theirs: a new place of the freed one's
// variant, quantity and shares, to collect where the waiter said, payable
// until now+OfferWindow.
func (w *Waitlist) take(i int, now time.Time) (Place, error) {
	wt := &w.Waiters[i]
	if wt.Status != WaitOffered || !now.Before(wt.OfferUntil) || !waitable(w.Purchase) {
		return Place{}, ErrOfferGone
	}
	j := slices.IndexFunc(w.Free, func(pl Place) bool { return pl.ID == wt.Place })
	if j < 0 {
		return Place{}, ErrOfferGone
	}
	was := w.Free[j]
	pl := Place{Purchase: was.Purchase, Buyer: wt.Buyer, Variant: was.Variant, Quantity: was.Quantity, Pickup: wt.Pickup,
		JoinedAt: now, Goods: was.Goods, Fee: was.Fee, From: was.ID, PayUntil: now.Add(OfferWindow), Status: PlaceJoined}
	wt.Status = WaitTook
	w.Free = slices.Delete(w.Free, j, j+1)
	w.Passed = append(w.Passed, was.ID)
	w.Taken = append(w.Taken, pl)
	return pl, nil
}

// Wait puts buyer on a stopped purchase's waiting list for a variant, to
// collect at pickup (one of the purchase's; 0 when it ships). A place free
// already is offered at once. Waiting again is no error: it keeps one's turn.
// ErrNoWaitlist, ErrNotOffered, ErrPickup, ErrHasPlace.
func (s *Service) Wait(ctx context.Context, buyer core.UserID, id ID, v core.VariantID, pickup core.PickupPointID) (Waiter, error) {
	now := s.clock.Now()
	var out Waiter
	_, err := s.store.Waitlist(ctx, id, buyer, now, func(w *Waitlist) ([]core.Job, error) {
		p := w.Purchase
		switch {
		case !waitable(p):
			return nil, ErrNoWaitlist
		case !slices.Contains(p.Variants, v):
			return nil, ErrNotOffered
		case pickup == 0 && !p.Shipping, pickup != 0 && !slices.Contains(p.Pickup, pickup):
			return nil, ErrPickup
		case slices.Contains(w.Held, v):
			return nil, ErrHasPlace
		}
		i := w.waiter(buyer, v)
		if i < 0 || w.Waiters[i].Status != WaitWaiting && w.Waiters[i].Status != WaitOffered {
			// New, or back after passing or leaving: at the end of the queue.
			wt := Waiter{Purchase: id, Buyer: buyer, Variant: v, Status: WaitWaiting, QueuedAt: now}
			if i >= 0 {
				wt.ID = w.Waiters[i].ID
				w.Waiters = slices.Delete(w.Waiters, i, i+1)
			}
			w.Waiters = append(w.Waiters, wt)
			i = len(w.Waiters) - 1
		}
		w.Waiters[i].Pickup = pickup
		jobs := w.settle(now)
		out = w.Waiters[i]
		return jobs, nil
	})
	return out, err
}

// Unwait takes buyer off a purchase's waiting list for a variant; an offer
// they held goes to the next. Not waiting is no error.
func (s *Service) Unwait(ctx context.Context, buyer core.UserID, id ID, v core.VariantID) error {
	now := s.clock.Now()
	_, err := s.store.Waitlist(ctx, id, buyer, now, func(w *Waitlist) ([]core.Job, error) {
		if i := w.waiter(buyer, v); i >= 0 {
			w.Waiters[i].Status = WaitLeft
		}
		return w.settle(now), nil
	})
	return err
}

// Take takes the place offered to buyer for a variant: it becomes theirs, and
// its invoice goes out (JobInvoices). ErrOfferGone when the offer lapsed or
// was never theirs.
func (s *Service) Take(ctx context.Context, buyer core.UserID, id ID, v core.VariantID) (Place, error) {
	now := s.clock.Now()
	var pl Place
	_, err := s.store.Waitlist(ctx, id, buyer, now, func(w *Waitlist) ([]core.Job, error) {
		jobs := w.settle(now)
		i := w.waiter(buyer, v)
		if i < 0 {
			return nil, ErrOfferGone
		}
		var err error
		if pl, err = w.take(i, now); err != nil {
			return nil, err
		}
		inv := purchaseJob(JobInvoices, id)
		inv.Key = fmt.Sprintf("%s:%d:took:%d:%d", JobInvoices, id, buyer, now.Unix())
		return append(jobs, inv), nil
	})
	return pl, err
}

// Pass turns down the place offered to buyer for a variant; it goes to the
// next waiter, and buyer leaves the list. Not offered is no error.
func (s *Service) Pass(ctx context.Context, buyer core.UserID, id ID, v core.VariantID) error {
	now := s.clock.Now()
	_, err := s.store.Waitlist(ctx, id, buyer, now, func(w *Waitlist) ([]core.Job, error) {
		if i := w.waiter(buyer, v); i >= 0 && w.Waiters[i].Status == WaitOffered {
			w.Waiters[i].Status = WaitPassed
		}
		return w.settle(now), nil
	})
	return err
}

// Settle settles a purchase's waiting list: the places whose orders ended
// unpaid are freed, lapsed offers end, and free places are offered. The jobs
// of an order that ended (order.JobGroupEnded) and of an offer's end run it.
func (s *Service) Settle(ctx context.Context, id ID) error {
	now := s.clock.Now()
	_, err := s.store.Waitlist(ctx, id, 0, now, func(w *Waitlist) ([]core.Job, error) {
		return w.settle(now), nil
	})
	return err
}

// Waits returns buyer's entries on a purchase's waiting list, waiting or
// offered, with their positions.
func (s *Service) Waits(ctx context.Context, id ID, buyer core.UserID) ([]Waiter, error) {
	return s.store.BuyerWaits(ctx, id, buyer)
}

// Waiter returns buyer's entry on a purchase's waiting list for a variant.
func (s *Service) Waiter(ctx context.Context, id ID, buyer core.UserID, v core.VariantID) (Waiter, error) {
	return s.store.Waiter(ctx, id, buyer, v)
}

// FreePlace returns a place of a purchase (one offered to a waiter).
func (s *Service) FreePlace(ctx context.Context, id ID, place PlaceID) (Place, error) {
	return s.store.Place(ctx, id, place)
}
