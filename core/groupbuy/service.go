package groupbuy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// Store is what group buys need of storage.
type Store interface {
	shop.Roles
	// CreatePurchase records a purchase and returns it with its id, with the
	// jobs jobs makes of it; the product's variants must be p.Variants
	// (ErrNotOffered otherwise), and its pickup points the shop's (ErrPickup).
	CreatePurchase(ctx context.Context, p Purchase, jobs func(Purchase) []core.Job) (Purchase, error)
	// Purchase returns a purchase with its totals; ErrNotFound.
	Purchase(ctx context.Context, id ID) (Purchase, error)
	// PurchaseStatus returns a purchase's status alone; ErrNotFound.
	PurchaseStatus(ctx context.Context, id ID) (Status, error)
	// ChangePlace locks the purchase, reads the buyer's place of the variant
	// (zero if none; OrderStatus set), lets fn decide its quantity and pickup point (0: the
	// buyer leaves), records it at now with the purchase's units, and returns
	// both.
	// The jobs jobs makes of the purchase are written with the change.
	ChangePlace(ctx context.Context, id ID, buyer core.UserID, v core.VariantID, now time.Time,
		fn func(p Purchase, place Place) (Place, error), jobs func(Purchase) []core.Job) (Purchase, Place, error)
	// BuyerPlaces returns a buyer's places in a purchase: joined, and given
	// up unpaid (their record).
	BuyerPlaces(ctx context.Context, id ID, buyer core.UserID) ([]Place, error)
	// UpdatePurchase locks a purchase (with its totals) and saves its status,
	// price and stop time as fn leaves them, with the jobs fn returns.
	UpdatePurchase(ctx context.Context, id ID, fn func(*Purchase) ([]core.Job, error)) (Purchase, error)
	// SettlePurchase is UpdatePurchase that also gives fn the joined places,
	// oldest first (OrderStatus set), and records what it returns of them: their
	// quantity and cut (a place cut whole is no longer joined; one returned
	// with Status PlaceLeft has left), their shares (Goods, Fee), and the
	// purchase's units.
	SettlePurchase(ctx context.Context, id ID, fn func(*Purchase, []Place) ([]Place, []core.Job, error)) (Purchase, error)
	// ToInvoice returns up to limit joined places of a purchase, by id above
	// after, that have no order yet or whose order awaits payment with no
	// invoice sent.
	ToInvoice(ctx context.Context, id ID, after PlaceID, limit int) ([]Place, error)
	// SetPlaceOrder records the order a place is paid with.
	SetPlaceOrder(ctx context.Context, place PlaceID, o core.OrderID) error

	// LinkJoinOrder records the order a pay-to-join place is paid with, if
	// the place is still joined by its join seq with no other (false if not)
	// and its purchase still open (ErrClosed; checked under the purchase's
	// lock, so a STOP or a cancel sees the order, or the link fails).
	LinkJoinOrder(ctx context.Context, id ID, place PlaceID, seq int, o core.OrderID) (bool, error)
	// UnpaidJoins returns the joined places of a purchase whose order
	// expired or was cancelled, or that got no order and joined before.
	UnpaidJoins(ctx context.Context, id ID, before time.Time) ([]Place, error)
	// Prepaid returns up to limit joined places of a purchase, by id above
	// after, with their orders' status and total.
	Prepaid(ctx context.Context, id ID, after PlaceID, limit int) ([]PrepaidPlace, error)
	// ReplaceOrder makes o the order of a place, keeping the one it had as
	// its join order, and returns that one (0 if none, or o already).
	ReplaceOrder(ctx context.Context, place PlaceID, o core.OrderID) (core.OrderID, error)
	// OweBack records what a place is owed back, once, with job.
	OweBack(ctx context.Context, place PlaceID, owed core.Money, job core.Job) error
	// ReturnOwed records, once, with job, that what a place of a purchase
	// was owed went back at; ErrNotOwed for a place owed nothing.
	ReturnOwed(ctx context.Context, id ID, place PlaceID, at time.Time, job core.Job) (Place, error)
	// Participants returns up to limit buyers with a joined place in a
	// purchase, or on its waiting list, by id above after.
	Participants(ctx context.Context, id ID, after core.UserID, limit int) ([]core.UserID, error)
	// CountParticipants counts the buyers with a joined place in a purchase.
	CountParticipants(ctx context.Context, id ID) (int, error)
	// ShopPurchases returns a shop's purchases, the latest first, at most
	// limit; only those organizer organizes, when not 0.
	ShopPurchases(ctx context.Context, shop core.ShopID, organizer core.UserID, limit int) ([]Purchase, error)
	// WorksWith reports whether user is a KOL working with a shop now.
	WorksWith(ctx context.Context, shop core.ShopID, user core.UserID) (bool, error)
	// CutPlaces returns the places of a purchase that STOP cut.
	CutPlaces(ctx context.Context, id ID) ([]Place, error)
	// OrderedPlaces returns the orders made of a purchase's places.
	OrderedPlaces(ctx context.Context, id ID) ([]core.OrderID, error)
	// Roster returns up to limit joined places of a purchase, oldest first,
	// each with its order's status ("" before STOP).
	Roster(ctx context.Context, id ID, limit int) ([]RosterLine, error)
	// GiveCodes gives each paid place of a purchase without a pickup code one
	// (code makes them; a clash with another place's is made again) and
	// returns every coded place whose order is still only paid (not yet
	// ready for pickup).
	GiveCodes(ctx context.Context, id ID, code func() string) ([]Place, error)
	// Unpaid returns the joined places whose orders await payment.
	Unpaid(ctx context.Context, id ID) ([]Place, error)
	// Uncollected returns the joined places whose pickup code went and which
	// are not collected.
	Uncollected(ctx context.Context, id ID) ([]Place, error)
	// CodesToSend returns the places with a pickup code not sent yet.
	CodesToSend(ctx context.Context, id ID) ([]Place, error)
	// CodeSent records that a place's code went to its participant.
	CodeSent(ctx context.Context, place PlaceID, at time.Time) error
	// Collect finds the place of a purchase with a pickup code, locked, and
	// lets fn collect it (recording when); ErrCode for no such code.
	Collect(ctx context.Context, id ID, code string, at time.Time, fn func(Place) error) (Place, error)
	// PlaceByCode returns the place of a purchase with a pickup code; ErrCode.
	PlaceByCode(ctx context.Context, id ID, code string) (Place, error)
	// Place returns a place of a purchase, whatever its state;
	// ErrNotParticipant.
	Place(ctx context.Context, id ID, place PlaceID) (Place, error)

	// Waitlist locks a purchase, frees (if it keeps a waiting list) the
	// joined places whose orders expired or were cancelled, reads its
	// waiting list (Held for buyer, when not 0), lets fn change it, and
	// saves the waiters, the places passed on and taken, and fn's jobs.
	Waitlist(ctx context.Context, id ID, buyer core.UserID, now time.Time, fn func(*Waitlist) ([]core.Job, error)) (Waitlist, error)
	// BuyerWaits returns buyer's entries on a purchase's waiting list,
	// waiting or offered, with their positions in their variants' queues.
	BuyerWaits(ctx context.Context, id ID, buyer core.UserID) ([]Waiter, error)
	// Waiter returns buyer's entry on a purchase's waiting list for a
	// variant; ErrOfferGone.
	Waiter(ctx context.Context, id ID, buyer core.UserID, v core.VariantID) (Waiter, error)
	// WaitlistSize counts the people waiting or offered in a purchase's
	// waiting list, and its free places.
	WaitlistSize(ctx context.Context, id ID) (waiting, free int, err error)

	// InviteHandover locks a purchase, finds buyer's joined place of a
	// variant (ErrNotParticipant) and its order's status, lets check refuse,
	// and returns the place's open handover, or records a new one with token.
	InviteHandover(ctx context.Context, id ID, buyer core.UserID, v core.VariantID, token string, now time.Time,
		check func(Purchase, Place, order.Status) error) (Handover, error)
	// HandoverByToken returns the handover of an invite link and its place;
	// ErrHandoverGone.
	HandoverByToken(ctx context.Context, token string) (Handover, Place, error)
	// Handover returns a handover; ErrHandoverGone.
	Handover(ctx context.Context, id HandoverID) (Handover, error)
	// ChangeHandover locks a handover's purchase and the handover, reads its
	// place and order status (and what the replacement to, or else its To,
	// holds), lets fn change it, and saves it, the place fn takes (the old
	// one passed), and fn's jobs.
	ChangeHandover(ctx context.Context, id HandoverID, to core.UserID, fn func(*HandoverChange) ([]core.Job, error)) (Handover, error)

	// SplitShipping locks a purchase, reads its paid places collected at a
	// pickup point (their goods), lets fn set the purchase's shipping total
	// and their shares, and saves both with fn's jobs.
	SplitShipping(ctx context.Context, id ID, fn func(*Purchase, []ShippingShare) ([]core.Job, error)) ([]ShippingShare, error)
	// ShippingToInvoice returns the places with a shipping share whose order
	// is not made, or awaits payment with no invoice sent.
	ShippingToInvoice(ctx context.Context, id ID) ([]Place, error)
	// SetShippingOrder records the order a place's shipping share is paid with.
	SetShippingOrder(ctx context.Context, place PlaceID, o core.OrderID) error

	// AddCard records a card (once: the same post or inline message again
	// returns the one recorded), marks the purchase as having cards, and
	// writes jobs.
	AddCard(ctx context.Context, c Card, jobs []core.Job) (Card, error)
	// Cards returns a purchase's latest cards, at most limit.
	Cards(ctx context.Context, id ID, limit int) ([]Card, error)
}

// RosterLine is a place as the organizer's list of participants shows it.
type RosterLine struct {
	Place
	OrderStatus order.Status
}

// Orders is what group buys need of order.Service: a place becomes an order
// the participant pays like any other, and is ready for pickup and collected
// like any other.
type Orders interface {
	MarkReadyForPickup(ctx context.Context, actor core.UserID, id core.OrderID) (order.Order, error)
	Complete(ctx context.Context, actor core.UserID, id core.OrderID) (order.Order, error)
	Checkout(ctx context.Context, req order.CheckoutRequest) (order.Order, error)
	// CallOff cancels an order whose sale was called off, refunding a paid
	// one; order.ErrTransition for one past that.
	CallOff(ctx context.Context, id core.OrderID, reason string) (order.Order, error)
	// OrderForSystem reads an order, whoever's.
	OrderForSystem(ctx context.Context, id core.OrderID) (order.Order, error)
}

// Place is a participant's place in a purchase: a variant and a quantity.
type Place struct {
	ID       PlaceID
	Purchase ID
	Buyer    core.UserID
	Variant  core.VariantID
	Quantity int // 0 when the buyer left
	Pickup   core.PickupPointID
	JoinedAt time.Time
	// Goods and Fee are the place's share, fixed at STOP (Bill); Order is the
	// order it is paid with, once made.
	Goods, Fee core.Money
	Order      core.OrderID
	// Cut is what STOP took off the place: units beyond the purchase's full
	// size rows (CutToRows). A place cut whole has Quantity 0.
	Cut int
	// Code is the place's pickup code, given when the goods arrived;
	// Collected is when it was collected with it.
	Code      string
	Collected time.Time
	// Shipping is the place's share of the shipping to its pickup point,
	// once split (SplitShipping).
	Shipping core.Money
	// From is the place given up unpaid that a waiter took as this one, and
	// PayUntil the payment deadline of its own (zero: the purchase's).
	From     PlaceID
	PayUntil time.Time
	Status   PlaceStatus
	// JoinPrice is the unit price a place of a pay-to-join purchase was
	// ordered at when it joined (the tier its join reached); JoinOrder is
	// that order once STOP replaced it with one at the final share
	// (settlePrepaid).
	JoinPrice core.Money
	JoinOrder core.OrderID
	// JoinSeq counts a pay-to-join place's joins (a change of an unpaid
	// place is one): each has an order of its own.
	JoinSeq int
	// OrderStatus is the status of the place's order ("" for none), on the
	// places ChangePlace and SettlePurchase read.
	OrderStatus order.Status
	// Owed is what of a card payment to join comes back after the price
	// fell, refunded at the provider by the shop's staff; OwedReturned is
	// when they recorded it.
	Owed         core.Money
	OwedReturned time.Time
}

// PlaceStatus is where a place is.
type PlaceStatus string

const (
	PlaceJoined   PlaceStatus = "joined"
	PlaceLeft     PlaceStatus = "left"     // its buyer left before STOP
	PlaceCut      PlaceStatus = "cut"      // STOP cut it whole (CutToRows)
	PlaceReleased PlaceStatus = "released" // given up unpaid: free for the waiting list
	PlacePassed   PlaceStatus = "passed"   // taken by a waiter, whose place names it (From)
)

// MaxQuantity bounds one place.
const MaxQuantity = 99

// Service runs group buys.
type Service struct {
	store  Store
	orders Orders
	clock  core.Clock
}

// NewService returns a Service on store, making the orders of places with
// orders.
func NewService(store Store, orders Orders, clock core.Clock) *Service {
	return &Service{store: store, orders: orders, clock: clock}
}

// Create opens a purchase of a shop's product: the actor must be the shop's
// staff. Tiers are checked (Tiers.Check), the minimum must be above zero, the
// fee 0-50 %, the deadline in the future, and there must be a pickup point
// or shipping. The pay window defaults to three days, the mode to paying
// after STOP.
func (s *Service) Create(ctx context.Context, actor core.UserID, p Purchase) (Purchase, error) {
	if _, err := s.mayOrganize(ctx, actor, p.Shop); err != nil {
		return Purchase{}, err
	}
	now := s.clock.Now()
	p.Title = strings.TrimSpace(p.Title)
	switch {
	case utf8.RuneCountInString(p.Title) < 1 || utf8.RuneCountInString(p.Title) > 128:
		return Purchase{}, ErrTitle
	case len(p.Variants) == 0:
		return Purchase{}, ErrNoVariants
	case p.Minimum.Value <= 0 || !slices.Contains([]MinimumKind{MinUnits, MinSum, MinRows}, p.Minimum.Kind):
		return Purchase{}, ErrMinimum
	case p.FeeBP < 0 || p.FeeBP > MaxFeeBP:
		return Purchase{}, ErrFee
	case !p.Deadline.After(now):
		return Purchase{}, ErrDeadline
	case len(p.Pickup) == 0 && !p.Shipping:
		return Purchase{}, ErrNoDelivery
	}
	if err := p.Tiers.Check(); err != nil {
		return Purchase{}, err
	}
	if p.PayMode == "" {
		p.PayMode = PayAfterStop
	}
	if p.PayMode != PayAfterStop && p.PayMode != PayToJoin {
		return Purchase{}, ErrPayMode
	}
	if p.PayWindow <= 0 {
		p.PayWindow = DefaultPayWindow
	}
	p.Organizer, p.Status, p.CreatedAt = actor, StatusOpen, now
	p.Totals = Totals{}
	p.Price, p.StoppedAt = core.Money{}, time.Time{}
	return s.store.CreatePurchase(ctx, p, func(made Purchase) []core.Job {
		return []core.Job{closeJob(made.ID, made.Deadline)}
	})
}

// Event is what happened to a purchase that its participants are told of.
type Event string

const (
	EventFailed    Event = "failed"    // its minimum was not met by the deadline
	EventExtended  Event = "extended"  // the organizer moved the deadline
	EventCancelled Event = "cancelled" // the organizer called it off
	EventReopened  Event = "reopened"  // the organizer reopened it after it failed
)

// Jobs group buys write with their changes.
const (
	// JobClose closes a purchase at its deadline (Service.Close); key
	// "groupbuy:close:<purchase>", due at the deadline.
	JobClose = "groupbuy:close"
	// JobInvoices makes the orders of a stopped purchase's places and sends
	// their invoices (Service.OrderPlaces); key "groupbuy:invoices:<purchase>".
	JobInvoices = "groupbuy:invoices"
	// JobFailed tells the participants of a purchase that failed (its
	// minimum not met by the deadline); key "groupbuy:failed:<purchase>".
	JobFailed = "groupbuy:failed"
	// JobCut tells the participants whose places STOP cut to full size rows;
	// key "groupbuy:cut:<purchase>".
	JobCut = "groupbuy:cut"
	// JobExtended tells the participants that the deadline moved; key
	// "groupbuy:extended:<purchase>".
	JobExtended = "groupbuy:extended"
	// JobCancelled calls off the orders of a cancelled purchase's places
	// (refunding the paid ones) and tells its participants; key
	// "groupbuy:cancelled:<purchase>".
	JobCancelled = "groupbuy:cancelled"
	// JobReopened tells the participants that a failed purchase gathers
	// again; key "groupbuy:reopened:<purchase>:<deadline>".
	JobReopened = "groupbuy:reopened"
)

// CloseJob is the payload of a purchase's jobs.
type CloseJob struct {
	Purchase ID `json:"purchase"`
	// Reminder is which of UncollectedReminders a JobUncollected is.
	Reminder int `json:"reminder,omitempty"`
}

// closeJob closes a purchase at its deadline; its key names the deadline, so
// a deadline moved has a job of its own (the old one finds nothing due).
func closeJob(id ID, at time.Time) core.Job {
	payload, _ := json.Marshal(CloseJob{Purchase: id})
	return core.Job{Kind: JobClose, Key: fmt.Sprintf("%s:%d:%d", JobClose, id, at.Unix()), Payload: payload, RunAt: at}
}

// purchaseJob is a job of a purchase's with its id as the payload.
func purchaseJob(kind string, id ID) core.Job {
	payload, _ := json.Marshal(CloseJob{Purchase: id})
	return core.Job{Kind: kind, Key: fmt.Sprintf("%s:%d", kind, id), Payload: payload}
}

// Extend moves an open purchase's deadline later, once; the actor must be
// its organizer or its shop's staff. The participants are told
// (JobExtended). ErrExtended, ErrDeadline, ErrClosed.
func (s *Service) Extend(ctx context.Context, actor core.UserID, id ID, deadline time.Time) (Purchase, error) {
	// Who may is checked before the purchase's lock is taken: a query of its
	// own inside that transaction would wait for a connection the joins queued
	// on the lock hold.
	if err := s.organizes(ctx, actor, id); err != nil {
		return Purchase{}, err
	}
	now := s.clock.Now()
	return s.store.UpdatePurchase(ctx, id, func(p *Purchase) ([]core.Job, error) {
		switch {
		case p.Status != StatusOpen || !now.Before(p.Deadline):
			return nil, ErrClosed
		case p.Extended:
			return nil, ErrExtended
		case !deadline.After(p.Deadline):
			return nil, ErrDeadline
		}
		p.Deadline, p.Extended = deadline, true
		return []core.Job{closeJob(p.ID, deadline), purchaseJob(JobExtended, p.ID), cardsJob(p.ID)}, nil
	})
}

// Reopen opens a purchase that failed again, gathering until deadline; its
// participants keep their places and are told (JobReopened). The actor must
// be its organizer or the shop's staff. ErrNotFailed, ErrDeadline.
func (s *Service) Reopen(ctx context.Context, actor core.UserID, id ID, deadline time.Time) (Purchase, error) {
	if err := s.organizes(ctx, actor, id); err != nil {
		return Purchase{}, err
	}
	now := s.clock.Now()
	return s.store.UpdatePurchase(ctx, id, func(p *Purchase) ([]core.Job, error) {
		switch {
		case p.Status != StatusFailed:
			return nil, ErrNotFailed
		case p.PayMode == PayToJoin:
			return nil, ErrPrepaidReopen
		case !deadline.After(now):
			return nil, ErrDeadline
		}
		p.Status, p.Deadline = StatusOpen, deadline
		told := purchaseJob(JobReopened, p.ID)
		told.Key = fmt.Sprintf("%s:%d:%d", JobReopened, p.ID, deadline.Unix())
		return []core.Job{closeJob(p.ID, deadline), told, cardsJob(p.ID)}, nil
	})
}

// Cancel calls a purchase off, open or stopped; the actor must be its
// organizer or its shop's staff. The orders of its places are called off
// (paid ones refunded) and its participants told (JobCancelled).
// Cancelling a cancelled purchase is not an error; one that failed or whose
// goods arrived is past it (ErrClosed).
func (s *Service) Cancel(ctx context.Context, actor core.UserID, id ID) (Purchase, error) {
	// Who may is checked before the purchase's lock is taken: a query of its
	// own inside that transaction would wait for a connection the joins queued
	// on the lock hold.
	if err := s.organizes(ctx, actor, id); err != nil {
		return Purchase{}, err
	}
	return s.store.UpdatePurchase(ctx, id, func(p *Purchase) ([]core.Job, error) {
		switch p.Status {
		case StatusCancelled:
			return nil, nil
		case StatusOpen, StatusStopped:
			p.Status = StatusCancelled
			return []core.Job{purchaseJob(JobCancelled, p.ID), cardsJob(p.ID)}, nil
		}
		return nil, ErrClosed
	})
}

// CancelReason is the reason a cancelled purchase's orders are cancelled
// with (order.Order.CancelReason).
const CancelReason = "the group buy was cancelled"

// CallOffOrders calls off the orders of a cancelled purchase's places
// (JobCancelled), or of a pay-to-join purchase that failed (JobFailed):
// unpaid ones cancelled, paid ones cancelled and refunded.
// Orders called off already are skipped, so it can run again.
func (s *Service) CallOffOrders(ctx context.Context, id ID) (int, error) {
	p, err := s.store.Purchase(ctx, id)
	reason := CancelReason
	switch {
	case err != nil:
		return 0, err
	case p.Status == StatusFailed && p.PayMode == PayToJoin:
		reason = FailedReason // its participants paid to join
	case p.Status != StatusCancelled:
		return 0, nil
	}
	ids, err := s.store.OrderedPlaces(ctx, id)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range ids {
		_, err := s.orders.CallOff(ctx, o, reason)
		switch {
		case err == nil:
			n++
		case !errors.Is(err, order.ErrTransition):
			return n, err
		}
	}
	return n, nil
}

// Close closes a purchase whose deadline has come (JobClose), re-checking
// the deadline and the totals under the purchase's lock: with its minimum
// met it stops at the tier its units reached (StatusStopped, the price fixed
// for everyone); without, it fails. due is false before the deadline (a job
// run early: nothing changes); a purchase closed already is left as it is,
// so the job can run again.
func (s *Service) Close(ctx context.Context, id ID) (p Purchase, due bool, err error) {
	now := s.clock.Now()
	due = true
	p, err = s.store.SettlePurchase(ctx, id, func(p *Purchase, places []Place) ([]Place, []core.Job, error) {
		if p.Status != StatusOpen {
			return nil, nil, nil
		}
		if now.Before(p.Deadline) {
			due = false
			return nil, nil, nil
		}
		kept, dropped, dropJobs := paidOnly(p, places)
		if p.MinimumMet() {
			settled, jobs, err := stop(p, kept, now)
			return append(settled, dropped...), append(jobs, dropJobs...), err
		}
		p.Status = StatusFailed
		payload, _ := json.Marshal(CloseJob{Purchase: p.ID})
		return nil, []core.Job{{Kind: JobFailed, Key: fmt.Sprintf("%s:%d", JobFailed, p.ID), Payload: payload}, cardsJob(p.ID)}, nil
	})
	return p, due, err
}

// ShopPurchases returns a shop's purchases, the latest first, to its staff.
func (s *Service) ShopPurchases(ctx context.Context, actor core.UserID, id core.ShopID, limit int) ([]Purchase, error) {
	staff, err := s.mayOrganize(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	var only core.UserID // a KOL sees the purchases they organize
	if !staff {
		only = actor
	}
	return s.store.ShopPurchases(ctx, id, only, limit)
}

// mayOrganize refuses anyone but a shop's staff (staff) and the KOLs working
// with it.
func (s *Service) mayOrganize(ctx context.Context, actor core.UserID, id core.ShopID) (staff bool, err error) {
	if _, err := shop.Require(ctx, s.store, id, actor, shop.RoleManager); err == nil {
		return true, nil
	} else if core.ErrorCode(err) != core.EFORBIDDEN && core.ErrorCode(err) != core.ENOTFOUND {
		return false, err
	}
	kol, err := s.store.WorksWith(ctx, id, actor)
	if err != nil {
		return false, err
	}
	if !kol {
		return false, ErrNotOrganizer
	}
	return false, nil
}

// JobArrived sends each paid place's participant their pickup code, a text
// and a QR image; key "groupbuy:arrived:<purchase>".
const JobArrived = "groupbuy:arrived"

// Arrive records that a stopped purchase's goods are at its pickup points:
// each paid place gets a pickup code, its order is ready for pickup (the
// participant is told where, by the order's own message) and the codes go
// out (JobArrived). The actor must be the organizer or the shop's staff.
// Places not paid by then keep no code; arriving again gives codes to those
// paid since. ErrClosed for a purchase not stopped or arrived.
func (s *Service) Arrive(ctx context.Context, actor core.UserID, id ID) (Purchase, error) {
	p, err := s.store.Purchase(ctx, id)
	if err != nil {
		return Purchase{}, err
	}
	if err := s.organizer(ctx, actor, p); err != nil {
		return Purchase{}, err
	}
	if p.Status != StatusStopped && p.Status != StatusArrived {
		return Purchase{}, ErrClosed
	}
	// The codes and the orders first: the job that sends the codes is written
	// with the status, after them.
	places, err := s.store.GiveCodes(ctx, id, pickupCode)
	if err != nil {
		return Purchase{}, err
	}
	for _, pl := range places {
		if _, err := s.orders.MarkReadyForPickup(ctx, actor, pl.Order); err != nil && !errors.Is(err, order.ErrTransition) {
			return Purchase{}, err
		}
	}
	now := s.clock.Now()
	return s.store.UpdatePurchase(ctx, id, func(p *Purchase) ([]core.Job, error) {
		// Keyed by the time: arriving again sends the codes of those paid
		// since (an earlier task's id would be taken still).
		codes := purchaseJob(JobArrived, p.ID)
		codes.Key = fmt.Sprintf("%s:%d:%d", JobArrived, p.ID, now.Unix())
		jobs := []core.Job{codes, cardsJob(p.ID)}
		switch p.Status {
		case StatusStopped:
			p.Status = StatusArrived
			for i, after := range UncollectedReminders {
				payload, _ := json.Marshal(CloseJob{Purchase: p.ID, Reminder: i})
				jobs = append(jobs, core.Job{Kind: JobUncollected, Key: fmt.Sprintf("%s:%d:%d", JobUncollected, p.ID, i),
					Payload: payload, RunAt: now.Add(after)})
			}
			return jobs, nil
		case StatusArrived:
			return jobs, nil
		}
		return nil, ErrClosed
	})
}

// JobPayReminder reminds the participants who have not paid for their
// places PayReminderLead before the payment deadline; key
// "groupbuy:payreminder:<purchase>".
const JobPayReminder = "groupbuy:payreminder"

// PayReminderLead is how long before the payment deadline the unpaid are
// reminded.
const PayReminderLead = 24 * time.Hour

// Unpaid returns the joined places of a purchase whose orders await payment.
func (s *Service) Unpaid(ctx context.Context, id ID) ([]Place, error) {
	return s.store.Unpaid(ctx, id)
}

// JobUncollected reminds the participants whose goods wait at the pickup
// point (Uncollected); key "groupbuy:uncollected:<purchase>:<n>", due
// UncollectedReminders[n] after the arrival.
const JobUncollected = "groupbuy:uncollected"

// UncollectedReminders are when, after the goods arrived, those who have not
// collected them are reminded.
var UncollectedReminders = []time.Duration{3 * 24 * time.Hour, 7 * 24 * time.Hour}

// Uncollected returns the places whose pickup code went and whose goods are
// not collected yet.
func (s *Service) Uncollected(ctx context.Context, id ID) ([]Place, error) {
	return s.store.Uncollected(ctx, id)
}

// pickupCode makes a pickup code: six digits, from crypto/rand (a code is
// what hands the goods over).
func pickupCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on the systems Vitrina runs on
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// CodesToSend returns the places whose pickup code has not gone yet
// (JobArrived); CodeSent records one that went.
func (s *Service) CodesToSend(ctx context.Context, id ID) ([]Place, error) {
	return s.store.CodesToSend(ctx, id)
}

// CodeSent records that a place's pickup code went to its participant.
func (s *Service) CodeSent(ctx context.Context, place PlaceID) error {
	return s.store.CodeSent(ctx, place, s.clock.Now())
}

// PlaceByCode finds the place a pickup code names, for the organizer to see
// whose it is before handing it over (a mistyped code can name another's).
// ErrCode, ErrCollected.
func (s *Service) PlaceByCode(ctx context.Context, actor core.UserID, id ID, code string) (Place, error) {
	if err := s.organizes(ctx, actor, id); err != nil {
		return Place{}, err
	}
	pl, err := s.store.PlaceByCode(ctx, id, codeOf(id, code))
	if err == nil && !pl.Collected.IsZero() {
		err = ErrCollected
	}
	return pl, err
}

// codeOf is the pickup code typed, trimmed; a QR's text
// ("vitrina:groupbuy:<purchase>:<code>") gives its code.
func codeOf(id ID, typed string) string {
	code := strings.TrimSpace(typed)
	if rest, ok := strings.CutPrefix(code, fmt.Sprintf("vitrina:groupbuy:%d:", id)); ok {
		return rest
	}
	return code
}

// Collect hands a place over at a pickup point by its code: the actor (the
// organizer or the shop's staff) types the code the participant shows; the
// place's order is completed. A code collected already is ErrCollected; an
// unknown one ErrCode.
func (s *Service) Collect(ctx context.Context, actor core.UserID, id ID, code string) (Place, error) {
	p, err := s.store.Purchase(ctx, id)
	if err != nil {
		return Place{}, err
	}
	if err := s.organizer(ctx, actor, p); err != nil {
		return Place{}, err
	}
	now := s.clock.Now()
	return s.store.Collect(ctx, id, codeOf(id, code), now, func(pl Place) error {
		if !pl.Collected.IsZero() {
			return ErrCollected
		}
		// Only an order ready for pickup is handed over: one cancelled and
		// refunded since must not also give the goods.
		_, err := s.orders.Complete(ctx, actor, pl.Order)
		if errors.Is(err, order.ErrTransition) {
			return ErrNotReady
		}
		return err
	})
}

// Roster returns a purchase's places with their orders' statuses, to its
// organizer or its shop's staff (ErrNotOrganizer otherwise).
func (s *Service) Roster(ctx context.Context, actor core.UserID, id ID, limit int) ([]RosterLine, error) {
	p, err := s.store.Purchase(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.organizer(ctx, actor, p); err != nil {
		return nil, err
	}
	return s.store.Roster(ctx, id, limit)
}

// WaitlistSize counts the people on a purchase's waiting list and its free
// places, for its organizer.
func (s *Service) WaitlistSize(ctx context.Context, id ID) (waiting, free int, err error) {
	return s.store.WaitlistSize(ctx, id)
}

// CountParticipants counts the people with a place in a purchase.
func (s *Service) CountParticipants(ctx context.Context, id ID) (int, error) {
	return s.store.CountParticipants(ctx, id)
}

// Organizes reports whether actor may run a purchase: its organizer or its
// shop's staff (ErrNotOrganizer otherwise).
func (s *Service) Organizes(ctx context.Context, actor core.UserID, p Purchase) error {
	return s.organizer(ctx, actor, p)
}

// Participants returns up to limit buyers with a place in a purchase, by id
// above after.
func (s *Service) Participants(ctx context.Context, id ID, after core.UserID, limit int) ([]core.UserID, error) {
	return s.store.Participants(ctx, id, after, limit)
}

// Stop is the organizer's STOP before the deadline, once the minimum is met:
// the purchase stops at its current tier. The actor must be the organizer or
// the shop's staff. ErrMinimumNotMet, ErrClosed; stopping a stopped purchase
// is not an error.
func (s *Service) Stop(ctx context.Context, actor core.UserID, id ID) (Purchase, error) {
	// Who may is checked before the purchase's lock is taken: a query of its
	// own inside that transaction would wait for a connection the joins queued
	// on the lock hold.
	if err := s.organizes(ctx, actor, id); err != nil {
		return Purchase{}, err
	}
	now := s.clock.Now()
	return s.store.SettlePurchase(ctx, id, func(p *Purchase, places []Place) ([]Place, []core.Job, error) {
		kept, dropped, dropJobs := paidOnly(p, places)
		switch {
		case p.Status == StatusStopped:
			return nil, nil, nil
		case p.Status != StatusOpen:
			return nil, nil, ErrClosed
		case !p.MinimumMet():
			return nil, nil, ErrMinimumNotMet
		}
		settled, jobs, err := stop(p, kept, now)
		return append(settled, dropped...), append(jobs, dropJobs...), err
	})
}

// stop fixes a purchase's price at the tier its units reached and every
// place's share of the bill (Bill: the organizer's fee split so that the parts
// add up exactly), with the job that makes their orders.
func stop(p *Purchase, places []Place, now time.Time) ([]Place, []core.Job, error) {
	payload, _ := json.Marshal(CloseJob{Purchase: p.ID})
	var jobs []core.Job
	if p.Minimum.Kind == MinRows {
		// Only whole rows go ahead: the supplier sells nothing else.
		places = CutToRows(p.Variants, places)
		p.Totals = Totals{PerVariant: map[core.VariantID]int{}}
		cut := false
		for _, pl := range places {
			p.Totals.Units += pl.Quantity
			p.Totals.PerVariant[pl.Variant] += pl.Quantity
			cut = cut || pl.Cut > 0
		}
		if cut {
			jobs = append(jobs, core.Job{Kind: JobCut, Key: fmt.Sprintf("%s:%d", JobCut, p.ID), Payload: payload})
		}
	}
	p.Status, p.Price, p.StoppedAt = StatusStopped, p.Current().Price, now
	qty := make([]int, len(places))
	for i, pl := range places {
		qty[i] = pl.Quantity
	}
	if p.PayMode == PayToJoin {
		for i, pl := range places {
			share := PrepaidShare(p.Price, pl.JoinPrice, p.FeeBP, pl.Quantity)
			places[i].Goods, places[i].Fee = share.Goods, share.Fee
		}
	} else {
		for i, share := range Bill(p.Price, p.FeeBP, core.Money{Currency: p.Currency()}, qty) {
			places[i].Goods, places[i].Fee = share.Goods, share.Fee
		}
	}
	jobs = append(jobs, core.Job{Kind: JobInvoices, Key: fmt.Sprintf("%s:%d", JobInvoices, p.ID), Payload: payload}, cardsJob(p.ID))
	if p.PayWindow > 2*PayReminderLead {
		// A day before the deadline those who have not paid are reminded
		// (their order's own reminder comes minutes before it).
		jobs = append(jobs, core.Job{Kind: JobPayReminder, Key: fmt.Sprintf("%s:%d", JobPayReminder, p.ID), Payload: payload,
			RunAt: now.Add(p.PayWindow - PayReminderLead)})
	}
	return places, jobs, nil
}

// CutPlaces returns the places STOP cut (in part or whole), for telling
// their participants.
func (s *Service) CutPlaces(ctx context.Context, id ID) ([]Place, error) {
	return s.store.CutPlaces(ctx, id)
}

// invoicePage is how many places OrderPlaces orders at a time.
const invoicePage = 200

// OrderPlaces makes the orders of a stopped purchase's places and has their
// invoices sent (JobInvoices), a page of places by id above after: each order
// at the final price with the place's share of the fee, payable for the
// purchase's pay window from STOP, collected at its pickup point. send is
// called with each order awaiting its invoice. It returns the last place done
// and whether more may follow. Run again from 0, it skips the places whose
// invoice went (the order, and its invoice, are made once each).
func (s *Service) OrderPlaces(ctx context.Context, id ID, after PlaceID, send func(order.Order) error) (last PlaceID, more bool, err error) {
	p, err := s.store.Purchase(ctx, id)
	if err != nil || !waitable(p) {
		return after, false, err // (places taken from the waiting list are invoiced after arrival too)
	}
	if p.PayMode == PayToJoin {
		return s.settlePrepaid(ctx, p, after, send)
	}
	places, err := s.store.ToInvoice(ctx, id, after, invoicePage)
	if err != nil {
		return after, false, err
	}
	for _, pl := range places {
		o, err := s.orders.Checkout(ctx, finalOrder(p, pl))
		if _, app := errors.AsType[*core.Error](err); app {
			// This place cannot be ordered (its pickup point archived, its
			// variant gone, the shop unable to take payment): the others go
			// on; the organizer's roster shows it without an order.
			after = pl.ID
			continue
		}
		if err != nil {
			return after, false, fmt.Errorf("order of place %d: %w", pl.ID, err)
		}
		if pl.Order == 0 {
			if err := s.store.SetPlaceOrder(ctx, pl.ID, o.ID); err != nil {
				return after, false, err
			}
		}
		if stop, err := s.invoice(ctx, id, o, send); err != nil || stop {
			return after, false, err
		}
		after = pl.ID
	}
	return after, len(places) == invoicePage, nil
}

// finalOrder is the checkout of a place's order at its final share: the
// final price with its part of the fee, payable for the purchase's pay
// window from STOP (or until the place's own deadline), collected at its
// pickup point or shipped.
func finalOrder(p Purchase, pl Place) order.CheckoutRequest {
	price := p.Price
	if pl.Quantity > 0 && pl.Goods.Amount != price.Amount*int64(pl.Quantity) {
		price = core.Money{Amount: pl.Goods.Amount / int64(pl.Quantity), Currency: price.Currency} // PrepaidShare kept the join price
	}
	req := order.CheckoutRequest{
		Key:     fmt.Sprintf("gb:%d:%d", p.ID, pl.ID),
		BuyerID: pl.Buyer, ShopID: p.Shop,
		Items:    []order.Item{{VariantID: pl.Variant, Quantity: pl.Quantity}},
		Delivery: order.DeliveryPickup, PickupPointID: pl.Pickup,
		Group: &order.Group{Purchase: p.ID, Price: price, Fee: pl.Fee, Until: p.StoppedAt.Add(p.PayWindow)},
	}
	if !pl.PayUntil.IsZero() {
		req.Group.Until = pl.PayUntil
	}
	if pl.Pickup == 0 {
		req.Delivery = order.DeliveryShipping
	}
	return req
}

// invoice has the invoice of a place's order, just linked, sent (once: an
// order whose invoice went is left). First it reads the purchase's status
// again: a cancel that commits after the read lists the order in its
// call-off (JobCancelled); one that committed before is seen here, the order
// called off, and stop is true.
func (s *Service) invoice(ctx context.Context, id ID, o order.Order, send func(order.Order) error) (stop bool, err error) {
	status, err := s.store.PurchaseStatus(ctx, id)
	if err != nil {
		return false, err
	}
	if status == StatusCancelled {
		return true, s.callOff(ctx, o.ID, CancelReason)
	}
	if o.Status == order.StatusAwaitingPayment && o.InvoiceMessageID == 0 {
		return false, send(o)
	}
	return false, nil
}

// organizes refuses anyone who may not run purchase id (organizer).
func (s *Service) organizes(ctx context.Context, actor core.UserID, id ID) error {
	p, err := s.store.Purchase(ctx, id)
	if err != nil {
		return err
	}
	return s.organizer(ctx, actor, p)
}

// organizer refuses anyone but the shop's staff and the purchase's own
// organizer while a KOL working with the shop: one who left the staff, or
// whose work with the shop ended, runs it no more.
func (s *Service) organizer(ctx context.Context, actor core.UserID, p Purchase) error {
	staff, err := s.mayOrganize(ctx, actor, p.Shop)
	switch {
	case err != nil && core.ErrorCode(err) != core.EFORBIDDEN:
		return err
	case err != nil, !staff && actor != p.Organizer:
		return ErrNotOrganizer
	}
	return nil
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Purchase returns a purchase with its totals; ErrNotFound.
func (s *Service) Purchase(ctx context.Context, id ID) (Purchase, error) {
	return s.store.Purchase(ctx, id)
}

// Join puts buyer in an open purchase before its deadline with quantity of a
// variant, to collect at a pickup point (one of the purchase's; 0 when it
// ships); joining again changes the quantity and the point. It returns the
// purchase as it now stands, and the place. In a pay-to-join purchase the
// place gets its order at the tier price its join reaches (Place.Order), and
// a change of an unpaid place is a new join, its old order called off; a paid
// place does not change (ErrPaidPlace). ErrClosed, ErrNotOffered,
// ErrQuantity, ErrPickup.
func (s *Service) Join(ctx context.Context, buyer core.UserID, id ID, v core.VariantID, quantity int, pickup core.PickupPointID) (Purchase, Place, error) {
	if quantity < 1 || quantity > MaxQuantity {
		return Purchase{}, Place{}, ErrQuantity
	}
	now := s.clock.Now()
	var callOff core.OrderID
	p, place, err := s.store.ChangePlace(ctx, id, buyer, v, now, func(p Purchase, place Place) (Place, error) {
		if err := open(p, now); err != nil {
			return Place{}, err
		}
		if !slices.Contains(p.Variants, v) {
			return Place{}, ErrNotOffered
		}
		switch {
		case pickup == 0 && !p.Shipping, pickup != 0 && !slices.Contains(p.Pickup, pickup):
			return Place{}, ErrPickup
		}
		had := place.Quantity
		changed := had != quantity || place.Pickup != pickup
		// (A payment is not made under the purchase's lock: one that lands
		// after this change is refunded with the order it paid.)
		if p.PayMode == PayToJoin && had > 0 && (changed || place.Order != 0 && place.OrderStatus.Over()) {
			if changed && place.Order != 0 && place.OrderStatus.Paid() {
				return Place{}, ErrPaidPlace
			}
			place.Quantity, callOff = 0, place.Order // a new join, paid anew
		}
		if place.Quantity == 0 {
			place.JoinedAt = now
			if p.PayMode == PayToJoin {
				place.JoinPrice, place.Order = p.Tiers.At(p.Totals.Units-had+quantity).Price, 0
				place.JoinSeq++
			}
		}
		place.Quantity, place.Pickup = quantity, pickup
		return place, nil
	}, func(p Purchase) []core.Job {
		jobs := cardJobs(p)
		if callOff != 0 {
			jobs = append(jobs, callOffJob(p.ID, callOff, ChangedReason))
		}
		if p.PayMode == PayToJoin {
			jobs = append(jobs, joinPayJob(p.ID, now))
		}
		return jobs
	})
	if err != nil || p.PayMode != PayToJoin {
		return p, place, err
	}
	if callOff != 0 {
		if err := s.callOff(ctx, callOff, ChangedReason); err != nil {
			return p, place, err
		}
	}
	if place.Order == 0 {
		if place, err = s.joinOrder(ctx, p, place); err != nil {
			return p, Place{}, err
		}
	}
	return p, place, nil
}

// Leave takes buyer's place of a variant out of an open purchase; a
// pay-to-join place's order is called off (a paid one refunded). Leaving a
// place one does not hold is ErrNotParticipant.
func (s *Service) Leave(ctx context.Context, buyer core.UserID, id ID, v core.VariantID) (Purchase, error) {
	return s.leave(ctx, buyer, id, v, func(Place) bool { return true })
}

// Places returns a buyer's places in a purchase.
func (s *Service) Places(ctx context.Context, id ID, buyer core.UserID) ([]Place, error) {
	return s.store.BuyerPlaces(ctx, id, buyer)
}

// open refuses a purchase that takes no participants at now.
func open(p Purchase, now time.Time) error {
	if p.Status != StatusOpen || !now.Before(p.Deadline) {
		return ErrClosed
	}
	return nil
}
