package groupbuy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
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
	// ChangePlace locks the purchase, reads the buyer's place of the variant
	// (zero if none), lets fn decide its quantity and pickup point (0: the
	// buyer leaves), records it at now with the purchase's units, and returns
	// both.
	ChangePlace(ctx context.Context, id ID, buyer core.UserID, v core.VariantID, now time.Time,
		fn func(p Purchase, place Place) (Place, error)) (Purchase, Place, error)
	// BuyerPlaces returns a buyer's places in a purchase, joined ones only.
	BuyerPlaces(ctx context.Context, id ID, buyer core.UserID) ([]Place, error)
	// UpdatePurchase locks a purchase (with its totals) and saves its status,
	// price and stop time as fn leaves them, with the jobs fn returns.
	UpdatePurchase(ctx context.Context, id ID, fn func(*Purchase) ([]core.Job, error)) (Purchase, error)
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
}

// MaxQuantity bounds one place.
const MaxQuantity = 99

// Service runs group buys.
type Service struct {
	store Store
	clock core.Clock
}

// NewService returns a Service on store.
func NewService(store Store, clock core.Clock) *Service {
	return &Service{store: store, clock: clock}
}

// Create opens a purchase of a shop's product: the actor must be the shop's
// staff. Tiers are checked (Tiers.Check), the minimum must be above zero, the
// fee 0-50 %, the deadline in the future, and there must be a pickup point
// or shipping. The pay window defaults to three days, the mode to paying
// after STOP.
func (s *Service) Create(ctx context.Context, actor core.UserID, p Purchase) (Purchase, error) {
	if _, err := shop.Require(ctx, s.store, p.Shop, actor, shop.RoleManager); err != nil {
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

// Jobs group buys write with their changes.
const (
	// JobClose closes a purchase at its deadline (Service.Close); key
	// "groupbuy:close:<purchase>", due at the deadline.
	JobClose = "groupbuy:close"
)

// CloseJob is JobClose's payload.
type CloseJob struct {
	Purchase ID `json:"purchase"`
}

func closeJob(id ID, at time.Time) core.Job {
	payload, _ := json.Marshal(CloseJob{Purchase: id})
	return core.Job{Kind: JobClose, Key: fmt.Sprintf("%s:%d", JobClose, id), Payload: payload, RunAt: at}
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
	p, err = s.store.UpdatePurchase(ctx, id, func(p *Purchase) ([]core.Job, error) {
		if p.Status != StatusOpen {
			return nil, nil
		}
		if now.Before(p.Deadline) {
			due = false
			return nil, nil
		}
		if p.MinimumMet() {
			stop(p, now)
		} else {
			p.Status = StatusFailed
		}
		return nil, nil
	})
	return p, due, err
}

// Stop is the organizer's STOP before the deadline, once the minimum is met:
// the purchase stops at its current tier. The actor must be the organizer or
// the shop's staff. ErrMinimumNotMet, ErrClosed; stopping a stopped purchase
// is not an error.
func (s *Service) Stop(ctx context.Context, actor core.UserID, id ID) (Purchase, error) {
	now := s.clock.Now()
	return s.store.UpdatePurchase(ctx, id, func(p *Purchase) ([]core.Job, error) {
		if err := s.organizer(ctx, actor, *p); err != nil {
			return nil, err
		}
		switch {
		case p.Status == StatusStopped:
			return nil, nil
		case p.Status != StatusOpen:
			return nil, ErrClosed
		case !p.MinimumMet():
			return nil, ErrMinimumNotMet
		}
		stop(p, now)
		return nil, nil
	})
}

// stop fixes a purchase's price at the tier its units reached.
func stop(p *Purchase, now time.Time) {
	p.Status, p.Price, p.StoppedAt = StatusStopped, p.Current().Price, now
}

// organizer refuses anyone but the purchase's organizer and its shop's staff.
func (s *Service) organizer(ctx context.Context, actor core.UserID, p Purchase) error {
	if actor == p.Organizer {
		return nil
	}
	if _, err := shop.Require(ctx, s.store, p.Shop, actor, shop.RoleManager); err != nil {
		return ErrNotOrganizer
	}
	return nil
}

// Purchase returns a purchase with its totals; ErrNotFound.
func (s *Service) Purchase(ctx context.Context, id ID) (Purchase, error) {
	return s.store.Purchase(ctx, id)
}

// Join puts buyer in an open purchase before its deadline with quantity of a
// variant, to collect at a pickup point (one of the purchase's; 0 when it
// ships); joining again changes the quantity and the point. It returns the
// purchase as it now stands. ErrClosed, ErrNotOffered, ErrQuantity, ErrPickup.
func (s *Service) Join(ctx context.Context, buyer core.UserID, id ID, v core.VariantID, quantity int, pickup core.PickupPointID) (Purchase, Place, error) {
	if quantity < 1 || quantity > MaxQuantity {
		return Purchase{}, Place{}, ErrQuantity
	}
	now := s.clock.Now()
	return s.store.ChangePlace(ctx, id, buyer, v, now, func(p Purchase, place Place) (Place, error) {
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
		if place.Quantity == 0 {
			place.JoinedAt = now
		}
		place.Quantity, place.Pickup = quantity, pickup
		return place, nil
	})
}

// Leave takes buyer's place of a variant out of an open purchase. Leaving a
// place one does not hold is ErrNotParticipant.
func (s *Service) Leave(ctx context.Context, buyer core.UserID, id ID, v core.VariantID) (Purchase, error) {
	now := s.clock.Now()
	p, _, err := s.store.ChangePlace(ctx, id, buyer, v, now, func(p Purchase, place Place) (Place, error) {
		if err := open(p, now); err != nil {
			return Place{}, err
		}
		if place.Quantity == 0 {
			return Place{}, ErrNotParticipant
		}
		place.Quantity = 0
		return place, nil
	})
	return p, err
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
