// Package teambuy runs team buys: a product's team offer lets 2-5 people buy
// it at a discount together. A shopper starts a team and pays at the team
// price; friends join by the team's link and pay the same; when every place
// is paid within the team's time (24 hours by default) the orders go ahead,
// and when it is not, the team fails and every payment is refunded. Each
// member's unit is reserved from the shop's stock by their order, and sold
// when they pay: a failed team's units come back with the refunds.
//
// Members' orders are the order service's, marked with the team
// (order.Team): their payment, expiry and cancel write order.JobTeam, which
// settles the team (Settle). A team's end is a job of its own (JobExpire).
package teambuy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// ID identifies a team.
type ID = core.TeamID

// Offer is a product's team offer.
type Offer struct {
	Product core.ProductID
	Shop    core.ShopID
	// Size is how many people make a team (2-5); DiscountBP the discount off
	// the variant's price, in basis points (2000 = 20 %); Hours how long a
	// team has to fill.
	Size       int
	DiscountBP int
	Hours      int
}

// Price is a variant's team price: its price less the discount, rounded down
// to a minor unit, never below one.
func (o Offer) Price(p core.Money) core.Money {
	p.Amount = max(p.Amount*int64(10000-o.DiscountBP)/10000, 1)
	return p
}

// Status is where a team is.
type Status string

const (
	StatusForming Status = "forming" // gathering members until it expires
	StatusFilled  Status = "filled"  // every place paid in time: the orders go ahead
	StatusFailed  Status = "failed"  // time ran out: every payment is refunded
)

// Team is a team buy of one variant.
type Team struct {
	ID        ID
	Shop      core.ShopID
	Product   core.ProductID
	Variant   core.VariantID
	Leader    core.UserID
	Size      int
	Price     core.Money
	ExpiresAt time.Time
	Status    Status
	CreatedAt time.Time
}

// Member is a person in a team, with their order and its status.
type Member struct {
	Buyer       core.UserID
	Order       core.OrderID
	OrderStatus order.Status
	JoinedAt    time.Time
}

// Holds reports whether a member keeps a place: their order is not over
// unpaid.
func (m Member) Holds() bool {
	return m.Order == 0 || m.OrderStatus == order.StatusAwaitingPayment || m.Paid()
}

// Paid reports whether a member paid (and was not refunded since).
func (m Member) Paid() bool {
	switch m.OrderStatus {
	case order.StatusPaid, order.StatusShipped, order.StatusReadyForPickup, order.StatusCompleted:
		return true
	}
	return false
}

// Defaults and limits.
const (
	DefaultHours = 24
	MinSize      = 2
	MaxSize      = 5
)

// Jobs of team buys.
const (
	// JobExpire ends a team at its time: not filled, it fails; payload
	// TeamJob, key "team:expire:<team>", due at ExpiresAt.
	JobExpire = "team:expire"
	// JobFilled tells the members that the team filled; key
	// "team:filled:<team>".
	JobFilled = "team:filled"
	// JobFailed calls off the members' orders (refunding the paid) and tells
	// them; key "team:failed:<team>".
	JobFailed = "team:failed"
)

// TeamJob is the payload of a team's jobs.
type TeamJob struct {
	Team ID `json:"team"`
}

func teamJob(kind string, id ID, at time.Time) core.Job {
	payload, _ := json.Marshal(TeamJob{Team: id})
	return core.Job{Kind: kind, Key: fmt.Sprintf("%s:%d", kind, id), Payload: payload, RunAt: at}
}

// FailReason is the reason a failed team's orders are cancelled with.
const FailReason = "the team did not fill in time"

// Errors of team buys.
var (
	ErrNoOffer    = &core.Error{Code: core.ENOTFOUND, Message: "this product has no team price"}
	ErrOffer      = &core.Error{Code: core.EINVALID, Message: "a team is 2-5 people, the discount 1-90 %, the time 1-168 hours"}
	ErrNotFound   = &core.Error{Code: core.ENOTFOUND, Message: "no such team"}
	ErrClosed     = &core.Error{Code: core.ECONFLICT, Message: "this team no longer takes members"}
	ErrFull       = &core.Error{Code: core.ECONFLICT, Message: "this team is full"}
	ErrMember     = &core.Error{Code: core.ECONFLICT, Message: "you are in this team already"}
	ErrNotVariant = &core.Error{Code: core.EINVALID, Message: "no such variant of the product"}
)

// Store is what team buys need of storage.
type Store interface {
	shop.Roles
	// SetOffer records a product's team offer (ErrNotVariant for a product
	// not of the shop); Offer returns one (ErrNoOffer).
	SetOffer(ctx context.Context, o Offer, now time.Time) error
	Offer(ctx context.Context, product core.ProductID) (Offer, error)
	// CreateTeam records a team with its leader as its first member, and
	// the jobs jobs makes of it; the leader's team of the variant forming
	// already is returned instead.
	CreateTeam(ctx context.Context, t Team, jobs func(Team) []core.Job) (Team, error)
	// ChangeTeam locks a team, reads its members (with their orders'
	// statuses), lets fn change its status and add (ID 0) or drop members,
	// and saves them with fn's jobs.
	ChangeTeam(ctx context.Context, id ID, fn func(*Team, *[]Member) ([]core.Job, error)) (Team, []Member, error)
	// SetMemberOrder records the order a member pays with.
	SetMemberOrder(ctx context.Context, id ID, buyer core.UserID, o core.OrderID) error
	// Team returns a team and its members.
	Team(ctx context.Context, id ID) (Team, []Member, error)
}

// Orders is what team buys need of order.Service.
type Orders interface {
	Checkout(ctx context.Context, req order.CheckoutRequest) (order.Order, error)
	CallOff(ctx context.Context, id core.OrderID, reason string) (order.Order, error)
}

// Catalog is what team buys need of the catalog.
type Catalog interface {
	Product(ctx context.Context, id core.ProductID) (catalog.Product, error)
}

// Service runs team buys.
type Service struct {
	store   Store
	orders  Orders
	catalog Catalog
	clock   core.Clock
}

// NewService returns a Service.
func NewService(store Store, orders Orders, cat Catalog, clock core.Clock) *Service {
	return &Service{store: store, orders: orders, catalog: cat, clock: clock}
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.clock.Now() }

// SetOffer sets a product's team offer; the actor must be its shop's staff.
func (s *Service) SetOffer(ctx context.Context, actor core.UserID, o Offer) error {
	if o.Hours == 0 {
		o.Hours = DefaultHours
	}
	if o.Size < MinSize || o.Size > MaxSize || o.DiscountBP < 100 || o.DiscountBP > 9000 || o.Hours < 1 || o.Hours > 168 {
		return ErrOffer
	}
	p, err := s.catalog.Product(ctx, o.Product)
	if err != nil {
		return err
	}
	if _, err := shop.Require(ctx, s.store, p.ShopID, actor, shop.RoleManager); err != nil {
		return err
	}
	o.Shop = p.ShopID
	return s.store.SetOffer(ctx, o, s.clock.Now())
}

// Offer returns a product's team offer; ErrNoOffer.
func (s *Service) Offer(ctx context.Context, product core.ProductID) (Offer, error) {
	return s.store.Offer(ctx, product)
}

// Start starts a team of a variant with buyer as its leader, and makes their
// order at the team price, collected at pickup (one of the shop's points; 0:
// shipped, or nothing to deliver in a Stars shop). Its invoice is the caller's
// to send.
func (s *Service) Start(ctx context.Context, buyer core.UserID, v core.VariantID, product core.ProductID, pickup core.PickupPointID) (Team, order.Order, error) {
	o, err := s.store.Offer(ctx, product)
	if err != nil {
		return Team{}, order.Order{}, err
	}
	p, err := s.catalog.Product(ctx, product)
	if err != nil {
		return Team{}, order.Order{}, err
	}
	var price core.Money
	for _, pv := range p.Variants {
		if pv.ID == v {
			price = o.Price(pv.Price)
		}
	}
	if price.Amount == 0 {
		return Team{}, order.Order{}, ErrNotVariant
	}
	now := s.clock.Now()
	t := Team{Shop: p.ShopID, Product: product, Variant: v, Leader: buyer, Size: o.Size, Price: price,
		ExpiresAt: now.Add(time.Duration(o.Hours) * time.Hour), Status: StatusForming, CreatedAt: now}
	t, err = s.store.CreateTeam(ctx, t, func(t Team) []core.Job { return []core.Job{teamJob(JobExpire, t.ID, t.ExpiresAt)} })
	if err != nil {
		return Team{}, order.Order{}, err
	}
	ord, err := s.memberOrder(ctx, t, buyer, pickup)
	return t, ord, err
}

// Join puts buyer in a forming team and makes their order at the team price,
// collected at pickup (as Start). ErrClosed, ErrFull, ErrMember.
func (s *Service) Join(ctx context.Context, buyer core.UserID, id ID, pickup core.PickupPointID) (Team, order.Order, error) {
	now := s.clock.Now()
	t, _, err := s.store.ChangeTeam(ctx, id, func(t *Team, members *[]Member) ([]core.Job, error) {
		if t.Status != StatusForming || !now.Before(t.ExpiresAt) {
			return nil, ErrClosed
		}
		held := 0
		for _, m := range *members {
			if m.Buyer == buyer && m.Order == 0 {
				return nil, nil // their order was not made (a failure on the way): make it now
			}
			if m.Buyer == buyer {
				return nil, ErrMember
			}
			if m.Holds() {
				held++
			}
		}
		if held >= t.Size {
			return nil, ErrFull
		}
		*members = append(*members, Member{Buyer: buyer, JoinedAt: now})
		return nil, nil
	})
	if err != nil {
		return Team{}, order.Order{}, err
	}
	ord, err := s.memberOrder(ctx, t, buyer, pickup)
	return t, ord, err
}

// memberOrder makes (once: its key) a member's order and records it. A
// checkout the shop refuses (sold out) takes the member out again.
func (s *Service) memberOrder(ctx context.Context, t Team, buyer core.UserID, pickup core.PickupPointID) (order.Order, error) {
	req := order.CheckoutRequest{
		Key: fmt.Sprintf("team:%d:%d", t.ID, buyer), BuyerID: buyer, ShopID: t.Shop,
		Items:    []order.Item{{VariantID: t.Variant, Quantity: 1}},
		Delivery: order.DeliveryShipping,
		Team:     &order.Team{ID: t.ID, Price: t.Price, Until: t.ExpiresAt},
	}
	if pickup != 0 {
		req.Delivery, req.PickupPointID = order.DeliveryPickup, pickup
	}
	o, err := s.orders.Checkout(ctx, req)
	if _, app := errors.AsType[*core.Error](err); app {
		_, _, derr := s.store.ChangeTeam(ctx, t.ID, func(t *Team, members *[]Member) ([]core.Job, error) {
			kept := (*members)[:0]
			for _, m := range *members {
				if m.Buyer != buyer || m.Order != 0 {
					kept = append(kept, m)
				}
			}
			*members = kept
			if len(kept) == 0 {
				t.Status = StatusFailed // the leader's checkout failed: there is no team
			}
			return nil, nil
		})
		return order.Order{}, errors.Join(err, derr)
	}
	if err != nil {
		return order.Order{}, err
	}
	return o, s.store.SetMemberOrder(ctx, t.ID, buyer, o.ID)
}

// Settle looks at a team after a member's order changed (order.JobTeam):
// every place paid in time fills it (JobFilled).
func (s *Service) Settle(ctx context.Context, id ID) (Team, error) {
	t, _, err := s.store.ChangeTeam(ctx, id, func(t *Team, members *[]Member) ([]core.Job, error) {
		if t.Status != StatusForming {
			return nil, nil
		}
		paid := 0
		for _, m := range *members {
			if m.Paid() {
				paid++
			}
		}
		if paid < t.Size {
			return nil, nil
		}
		t.Status = StatusFilled
		return []core.Job{teamJob(JobFilled, t.ID, time.Time{})}, nil
	})
	return t, err
}

// Expire ends a team whose time is up (JobExpire): not filled, it fails
// (JobFailed). due is false before its time.
func (s *Service) Expire(ctx context.Context, id ID) (t Team, due bool, err error) {
	now := s.clock.Now()
	due = true
	t, _, err = s.store.ChangeTeam(ctx, id, func(t *Team, members *[]Member) ([]core.Job, error) {
		if t.Status != StatusForming {
			return nil, nil
		}
		if now.Before(t.ExpiresAt) {
			due = false
			return nil, nil
		}
		paid := 0
		for _, m := range *members {
			if m.Paid() {
				paid++
			}
		}
		if paid >= t.Size {
			// Every place paid in time; the last payment's own job has not
			// settled the team yet.
			t.Status = StatusFilled
			return []core.Job{teamJob(JobFilled, t.ID, time.Time{})}, nil
		}
		t.Status = StatusFailed
		return []core.Job{teamJob(JobFailed, t.ID, time.Time{})}, nil
	})
	return t, due, err
}

// CallOff calls off the orders of a failed team's members: unpaid ones are
// cancelled, paid ones refunded by the orders' own jobs. Done already is
// skipped, so it can run again.
func (s *Service) CallOff(ctx context.Context, id ID) (Team, []Member, error) {
	t, members, err := s.store.Team(ctx, id)
	if err != nil || t.Status != StatusFailed {
		return t, members, err
	}
	for _, m := range members {
		if m.Order == 0 {
			continue
		}
		if _, err := s.orders.CallOff(ctx, m.Order, FailReason); err != nil && !errors.Is(err, order.ErrTransition) {
			return t, members, err
		}
	}
	return t, members, nil
}

// Team returns a team and its members.
func (s *Service) Team(ctx context.Context, id ID) (Team, []Member, error) {
	return s.store.Team(ctx, id)
}
