package groupbuy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Passing a place on ("пристрой"). After STOP a participant who wants out
// and has not paid invites a replacement with a link; the replacement asks
// to take the place over; the organizer approves. The replacement gets a
// place of their own (the same variant, quantity and shares, From naming
// the old one) and its invoice; the old place is passed, and its order is
// called off by a job (JobHandedOver), so a payment that beats the call-off
// is refunded: the place is paid for once, by the one who holds it.

// HandoverID identifies a handover.
type HandoverID int64

// HandoverStatus is where a handover is.
type HandoverStatus string

const (
	HandoverInvited   HandoverStatus = "invited"   // the link is out
	HandoverRequested HandoverStatus = "requested" // a replacement asked; the organizer decides
	HandoverDone      HandoverStatus = "done"      // approved: the place is the replacement's
	HandoverDeclined  HandoverStatus = "declined"  // the organizer said no
)

// Handover is a place being passed on.
type Handover struct {
	ID       HandoverID
	Purchase ID
	Place    PlaceID
	From     core.UserID
	// Token is the invite link's secret; To the replacement who asked.
	Token  string
	To     core.UserID
	Status HandoverStatus
	// NewPlace is the replacement's place, once done.
	NewPlace  PlaceID
	CreatedAt time.Time
}

// JobHandedOver finishes a decided handover: a done one calls off the old
// place's order and tells both sides, a declined one tells the replacement;
// payload HandoverJob, key "groupbuy:handed:<handover>".
const JobHandedOver = "groupbuy:handed"

// JobHandoverAsked tells the organizer that a replacement asks to take a
// place over; payload HandoverJob, key "groupbuy:handover:<handover>:<to>".
const JobHandoverAsked = "groupbuy:handover"

// HandoverJob is the payload of a handover's jobs.
type HandoverJob struct {
	Handover HandoverID `json:"handover"`
}

// HandoverReason is the reason the old place's order is called off with.
const HandoverReason = "the place was passed on to another participant"

// Errors of handovers.
var (
	ErrHandoverGone = &core.Error{Code: core.ENOTFOUND, Message: "this place is no longer being passed on"}
	ErrHandoverPaid = &core.Error{Code: core.ECONFLICT, Message: "a paid place is not passed on; ask the organizer"}
	ErrHandoverSelf = &core.Error{Code: core.ECONFLICT, Message: "this is your own place"}
)

// HandoverChange is a handover as its store reads it under the purchase's
// lock, with the place passed on and its order's status.
type HandoverChange struct {
	Purchase    Purchase
	Handover    Handover
	Place       Place
	OrderStatus order.Status
	// ToHolds are the variants of which the replacement (To) has a place on
	// record.
	ToHolds []core.VariantID
	// Taken is the replacement's place that fn makes, saved with the
	// old place passed.
	Taken *Place
}

// InviteHandover makes the link with which buyer passes their unpaid place
// of a variant on; asking again returns the same link.
func (s *Service) InviteHandover(ctx context.Context, buyer core.UserID, id ID, v core.VariantID) (Handover, error) {
	token := rand.Text()[:16]
	return s.store.InviteHandover(ctx, id, buyer, v, token, s.clock.Now(), func(p Purchase, pl Place, st order.Status) error {
		switch {
		case !waitable(p):
			return ErrClosed
		case st != order.StatusAwaitingPayment:
			return ErrHandoverPaid
		}
		return nil
	})
}

// HandoverByToken returns the handover of an invite link.
func (s *Service) HandoverByToken(ctx context.Context, token string) (Handover, Place, error) {
	return s.store.HandoverByToken(ctx, token)
}

// RequestHandover is the replacement's ask to take the place of an invite
// link over; the organizer is told (JobHandoverAsked). Asking again is no
// error. ErrHandoverGone, ErrHandoverSelf, ErrHasPlace.
func (s *Service) RequestHandover(ctx context.Context, to core.UserID, token string) (Handover, error) {
	h, _, err := s.store.HandoverByToken(ctx, token)
	if err != nil {
		return Handover{}, err
	}
	return s.store.ChangeHandover(ctx, h.ID, to, func(c *HandoverChange) ([]core.Job, error) {
		h := &c.Handover
		switch {
		case h.From == to:
			return nil, ErrHandoverSelf
		case h.Status == HandoverRequested && h.To == to:
			return nil, nil
		case h.Status != HandoverInvited, !waitable(c.Purchase), c.OrderStatus != order.StatusAwaitingPayment:
			// (Asked by someone else already, decided, or paid.)
			return nil, ErrHandoverGone
		case slices.Contains(c.ToHolds, c.Place.Variant):
			return nil, ErrHasPlace
		}
		h.To, h.Status = to, HandoverRequested
		payload, _ := json.Marshal(HandoverJob{Handover: h.ID})
		return []core.Job{{Kind: JobHandoverAsked, Key: fmt.Sprintf("%s:%d:%d", JobHandoverAsked, h.ID, to), Payload: payload}}, nil
	})
}

// DecideHandover is the organizer's answer to a replacement's ask: approved,
// the place becomes theirs (a place of their own, payable until
// now+OfferWindow, invoiced by JobInvoices) and the old one's order is called
// off (JobHandedOver); declined, the replacement is told. Deciding again is
// no error. ErrNotOrganizer, ErrHandoverGone, ErrHandoverPaid.
func (s *Service) DecideHandover(ctx context.Context, actor core.UserID, hid HandoverID, approve bool) (Handover, error) {
	h, err := s.store.Handover(ctx, hid)
	if err != nil {
		return Handover{}, err
	}
	if err := s.organizes(ctx, actor, h.Purchase); err != nil {
		return Handover{}, err
	}
	now := s.clock.Now()
	return s.store.ChangeHandover(ctx, hid, 0, func(c *HandoverChange) ([]core.Job, error) {
		h := &c.Handover
		switch {
		case h.Status == HandoverDone && approve, h.Status == HandoverDeclined && !approve:
			return nil, nil
		case h.Status != HandoverRequested || !waitable(c.Purchase):
			return nil, ErrHandoverGone
		}
		payload, _ := json.Marshal(HandoverJob{Handover: h.ID})
		done := core.Job{Kind: JobHandedOver, Key: fmt.Sprintf("%s:%d", JobHandedOver, h.ID), Payload: payload}
		if !approve {
			h.Status = HandoverDeclined
			return []core.Job{done}, nil
		}
		switch c.OrderStatus {
		case order.StatusAwaitingPayment:
		case order.StatusExpired, order.StatusCancelled:
			// Not paid in time: the place went to the waiting list, not to
			// the replacement, who is told.
			h.Status = HandoverDeclined
			return []core.Job{done}, nil
		default:
			return nil, ErrHandoverPaid
		}
		if slices.Contains(c.ToHolds, c.Place.Variant) {
			return nil, ErrHasPlace
		}
		was := c.Place
		c.Taken = &Place{Purchase: was.Purchase, Buyer: h.To, Variant: was.Variant, Quantity: was.Quantity, Pickup: was.Pickup,
			JoinedAt: now, Goods: was.Goods, Fee: was.Fee, From: was.ID, PayUntil: now.Add(OfferWindow), Status: PlaceJoined}
		h.Status = HandoverDone
		inv := purchaseJob(JobInvoices, h.Purchase)
		inv.Key = fmt.Sprintf("%s:%d:handover:%d", JobInvoices, h.Purchase, h.ID)
		return []core.Job{inv, done}, nil
	})
}

// FinishHandover calls off the order of a place passed on (JobHandedOver):
// unpaid, it is cancelled; paid after all (the payment beat the handover), it
// is refunded by the order's own jobs. Done already is no error.
func (s *Service) FinishHandover(ctx context.Context, hid HandoverID) (Handover, Place, error) {
	h, err := s.store.Handover(ctx, hid)
	if err != nil {
		return Handover{}, Place{}, err
	}
	old, err := s.store.Place(ctx, h.Purchase, h.Place)
	if err != nil {
		return Handover{}, Place{}, err
	}
	if h.Status == HandoverDone && old.Order != 0 {
		if err := s.callOff(ctx, old.Order, HandoverReason); err != nil {
			return Handover{}, Place{}, err
		}
	}
	return h, old, nil
}

// Handover returns a handover.
func (s *Service) Handover(ctx context.Context, id HandoverID) (Handover, error) {
	return s.store.Handover(ctx, id)
}
