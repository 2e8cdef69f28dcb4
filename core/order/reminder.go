package order

import (
	"context"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Reminders: to pay an order before its reservation ends, of a cart left alone, and
// to review a completed order. Each is an outbox job written with the change that
// makes it due (checkout, a cart change, completion) and cancelled, where it can be,
// with the change that makes it moot (payment, expiry, cancellation). Its handler
// asks the Service whether it is still due: the Service decides under a row lock and
// records that the reminder went, so one goes per reason however often the job runs.

// Job kinds of reminders. None is retained after it runs: its key comes back when the
// reason comes back (a reservation extended after its reminder, a cart changed after
// its reminder), and a cancel deletes a scheduled task by its key.
const (
	JobRemindUnpaid  = "order:remind"   // payload RemindPayload, key "order:remind:<id>", due at RemindAt
	JobRemindCart    = "cart:remind"    // payload CartRemindPayload, key "cart:remind:<buyer>:<shop>"
	JobRequestReview = "review:request" // payload RemindPayload, key "review:request:<id>", due ReviewRequestDays after completion
)

// RemindPayload names the order of an unpaid reminder or a review request.
type RemindPayload struct {
	OrderID core.OrderID `json:"order_id"`
}

// CartRemindPayload names the cart of an abandoned-cart reminder.
type CartRemindPayload struct {
	BuyerID core.UserID `json:"buyer_id"`
	ShopID  core.ShopID `json:"shop_id"`
}

// Outcomes of a reminder's check that send nothing.
var (
	// ErrNothingToRemind: the reason went away (the order was paid, the cart
	// emptied or ordered, the setting turned off).
	ErrNothingToRemind = &core.Error{Code: core.ECONFLICT, Message: "nothing to remind of"}
	// ErrReminded: this reminder went already.
	ErrReminded = &core.Error{Code: core.ECONFLICT, Message: "already reminded"}
)

// NotDue is ErrNotDue with the time the work is due: a job that fired early runs
// again then.
type NotDue struct{ At time.Time }

func (e *NotDue) Error() string { return "not due until " + e.At.Format(time.RFC3339Nano) }

// Unwrap makes errors.Is(err, ErrNotDue) and core.ErrorCode see ErrNotDue.
func (e *NotDue) Unwrap() error { return ErrNotDue }

// Leads of the unpaid reminder: it goes unpaidLead before the reservation ends, or
// halfway through a reservation shorter than twice that.
const unpaidLead = 5 * time.Minute

// remindAt is when the buyer of an order reserved until until is reminded to pay, the
// reservation having started at now; zero when that time is not after now.
func remindAt(until, now time.Time) time.Time {
	lead := unpaidLead
	if left := until.Sub(now); left < 2*unpaidLead {
		lead = left / 2
	}
	at := until.Add(-lead)
	if !at.After(now) {
		return time.Time{}
	}
	return at
}

// remindJob schedules the unpaid reminder of o at o.RemindAt. The key is fixed per
// order: an extension moves a pending job, or makes the scheduled task fire early and
// reschedule itself.
func remindJob(o Order) core.Job {
	return core.Job{
		Kind:    JobRemindUnpaid,
		Key:     fmt.Sprintf("%s:%d", JobRemindUnpaid, o.ID),
		RunAt:   o.RemindAt,
		Payload: mustJSON(RemindPayload{OrderID: o.ID}),
	}
}

// cancelRemindJobs is what an order leaving awaiting_payment writes: the cancel of its
// unpaid reminder, if one is still to come.
func cancelRemindJobs(o Order) []core.Job {
	if o.RemindAt.IsZero() || !o.RemindedAt.Before(o.RemindAt) {
		return nil
	}
	return []core.Job{{Kind: JobRemindUnpaid, Key: fmt.Sprintf("%s:%d", JobRemindUnpaid, o.ID), Cancel: true}}
}

// reviewRequestJob asks the buyer of o, completed at now, for a review days later.
func reviewRequestJob(o Order, days int, now time.Time) core.Job {
	return core.Job{
		Kind:    JobRequestReview,
		Key:     fmt.Sprintf("%s:%d", JobRequestReview, o.ID),
		RunAt:   now.Add(time.Duration(days) * 24 * time.Hour),
		Payload: mustJSON(RemindPayload{OrderID: o.ID}),
	}
}

// cartRemindJob recalls the cart of buyer in shop at at. Each change of the cart
// writes it again: a pending job moves, a scheduled task fires early and
// reschedules itself.
func cartRemindJob(buyer core.UserID, shop core.ShopID, at time.Time) core.Job {
	return core.Job{
		Kind:    JobRemindCart,
		Key:     fmt.Sprintf("%s:%d:%d", JobRemindCart, buyer, shop),
		RunAt:   at,
		Payload: mustJSON(CartRemindPayload{BuyerID: buyer, ShopID: shop}),
	}
}

// planRemindUnpaid decides whether the buyer of an order is reminded to pay now, and
// records it.
func planRemindUnpaid(snap Snapshot, now time.Time) (*Change, error) {
	o := snap.Order
	switch {
	case o.Status != StatusAwaitingPayment, o.RemindAt.IsZero(), !now.Before(o.ReservedUntil):
		return nil, ErrNothingToRemind
	case !o.RemindedAt.Before(o.RemindAt):
		return nil, ErrReminded
	case now.Before(o.RemindAt):
		return nil, &NotDue{At: o.RemindAt}
	}
	o.RemindedAt = now
	return &Change{Order: o, At: now}, nil
}

// planRequestReview decides whether the buyer of a completed order is asked for a
// review now, and records it. The delay is the shop's as it is now.
func planRequestReview(snap Snapshot, now time.Time) (*Change, error) {
	o := snap.Order
	days := snap.Shop.ReviewRequestDays
	switch {
	case o.Status != StatusCompleted, o.CompletedAt.IsZero(), days <= 0, snap.Shop.Blocked:
		return nil, ErrNothingToRemind
	case !o.ReviewRequestedAt.IsZero():
		return nil, ErrReminded
	}
	if due := o.CompletedAt.Add(time.Duration(days) * 24 * time.Hour); now.Before(due) {
		return nil, &NotDue{At: due}
	}
	o.ReviewRequestedAt = now
	return &Change{Order: o, At: now}, nil
}

// CartState is a cart as its reminder sees it, read under a lock of the cart's
// version.
type CartState struct {
	Cart Cart
	Shop catalog.Shop
	// ChangedAt is when the buyer last changed the cart (zero: never recorded);
	// RemindedAt when they were last reminded of it.
	ChangedAt  time.Time
	RemindedAt time.Time
	// OrderedSince says the buyer placed an order in the shop at or after ChangedAt.
	OrderedSince bool
}

// planCartReminder decides whether a cart is recalled now: the shop recalls carts,
// the cart was left alone for the shop's delay, holds something still for sale,
// nothing was ordered since and this version was not recalled yet.
func planCartReminder(st CartState, now time.Time) error {
	delay := st.Shop.CartReminder
	switch {
	case delay <= 0, st.Shop.Blocked, st.ChangedAt.IsZero(), st.OrderedSince, !forSale(st.Cart):
		return ErrNothingToRemind
	case !st.RemindedAt.Before(st.ChangedAt):
		return ErrReminded
	}
	if due := st.ChangedAt.Add(delay); now.Before(due) {
		return &NotDue{At: due}
	}
	return nil
}

// forSale says whether anything in c can still be bought.
func forSale(c Cart) bool {
	for _, it := range c.Items {
		if !it.Archived && it.Available > 0 {
			return true
		}
	}
	return false
}

// cartChanged writes the cart line and, when the shop recalls abandoned carts, the
// reminder's job, in one transaction.
func (s *Service) cartChanged(ctx context.Context, buyer core.UserID, shop core.ShopID, v core.VariantID, qty int) error {
	sh, err := s.store.Shop(ctx, shop)
	if err != nil {
		return err
	}
	now := s.now()
	var jobs []core.Job
	if sh.CartReminder > 0 && !sh.Blocked {
		jobs = append(jobs, cartRemindJob(buyer, shop, now.Add(sh.CartReminder)))
	}
	return s.store.SetCartItem(ctx, buyer, shop, v, qty, now, jobs)
}

// RemindUnpaid decides whether the buyer of order id is reminded now to pay it, and
// records that they are: the order as it is then. ErrNothingToRemind when it is no
// longer awaiting payment (or has no reminder), ErrReminded when the reminder for
// its reservation went already, *NotDue (ErrNotDue) when called before RemindAt;
// each with the order. ErrOrderNotFound.
func (s *Service) RemindUnpaid(ctx context.Context, id core.OrderID) (Order, error) {
	now := s.now()
	o, err := s.store.UpdateOrder(ctx, id, 0, func(snap Snapshot) (*Change, error) {
		return planRemindUnpaid(snap, now)
	})
	if err != nil {
		return o, fmt.Errorf("remind to pay order %d: %w", id, err)
	}
	return o, nil
}

// LostReminders returns the reminder jobs that PostgreSQL says were due more than
// grace ago and did not go (their task was lost with Redis), up to limit of each
// kind: the jobs to run again. Their handlers decide, as always, whether to send.
func (s *Service) LostReminders(ctx context.Context, grace time.Duration, limit int) ([]core.Job, error) {
	unpaid, reviews, err := s.store.LostReminders(ctx, s.now().Add(-grace), limit)
	if err != nil {
		return nil, err
	}
	jobs := make([]core.Job, 0, len(unpaid)+len(reviews))
	for _, id := range unpaid {
		jobs = append(jobs, remindJob(Order{ID: id}))
	}
	now := s.now()
	for _, id := range reviews {
		jobs = append(jobs, reviewRequestJob(Order{ID: id}, 0, now))
	}
	return jobs, nil
}

// RequestReview decides whether the buyer of completed order id is asked now for a
// review, and records that they are. ErrNothingToRemind when the order is not
// completed or the shop asks for no reviews, ErrReminded when they were asked
// already, *NotDue before the shop's delay after completion; each with the order.
// ErrOrderNotFound.
func (s *Service) RequestReview(ctx context.Context, id core.OrderID) (Order, error) {
	now := s.now()
	o, err := s.store.UpdateOrder(ctx, id, 0, func(snap Snapshot) (*Change, error) {
		return planRequestReview(snap, now)
	})
	if err != nil {
		return o, fmt.Errorf("request review of order %d: %w", id, err)
	}
	return o, nil
}

// RemindCart decides whether buyer is reminded now of their cart in shop, and records
// that they are: the cart's state with its total. ErrNothingToRemind when the shop
// does not recall carts, the cart is empty (or nothing in it is for sale) or the
// buyer ordered since they changed it; ErrReminded when this version of the cart was
// recalled already; *NotDue before the shop's delay after the last change; each with
// the state.
func (s *Service) RemindCart(ctx context.Context, buyer core.UserID, shop core.ShopID) (CartState, error) {
	now := s.now()
	st, err := s.store.RemindCart(ctx, buyer, shop, now, func(st CartState) error {
		return planCartReminder(st, now)
	})
	if err != nil {
		return st, fmt.Errorf("remind of cart of %d in shop %d: %w", buyer, shop, err)
	}
	if st.Cart, err = withTotal(st.Cart); err != nil {
		return st, err
	}
	return st, nil
}
