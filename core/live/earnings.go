package live

import (
	"context"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// A KOL earns a commission on the orders of their sessions' lots: the
// session's rate of what the goods were paid (shipping is not theirs), rounded
// down per order. It accrues when an order is paid and goes when the money goes
// back (refunded, or called off after payment): it is derived from the orders as
// they are, never stored. What the seller paid out is recorded (Payout). Amounts
// are per currency: Stars and roubles are never added up.

// Earning is what a KOL earned with one shop in one currency.
type Earning struct {
	Shop     core.ShopID
	KOL      core.UserID
	Orders   int        // paid orders of their lots
	Revenue  core.Money // what the goods of those orders were paid
	Accrued  core.Money // the commission on it
	PaidOut  core.Money // what the seller paid out
	Currency core.Currency
}

// Owed is what the seller still owes.
func (e Earning) Owed() core.Money {
	return core.Money{Amount: e.Accrued.Amount - e.PaidOut.Amount, Currency: e.Currency}
}

// SessionEarning is what one session earned its KOL.
type SessionEarning struct {
	Session  Session
	Orders   int
	Revenue  core.Money
	Accrued  core.Money
	Currency core.Currency
}

// ErrPayout refuses a payout that is not positive or is more than is owed.
var ErrPayout = &core.Error{Code: core.EINVALID, Message: "a payout is more than zero and at most what is owed"}

// Earnings returns what a KOL earned, by shop and currency.
func (s *Service) Earnings(ctx context.Context, kol core.UserID) ([]Earning, error) {
	return s.store.Earnings(ctx, 0, kol)
}

// SessionEarnings returns what each of a KOL's latest sessions earned.
func (s *Service) SessionEarnings(ctx context.Context, kol core.UserID, limit int) ([]SessionEarning, error) {
	return s.store.SessionEarnings(ctx, kol, limit)
}

// ShopEarnings returns what a shop's KOLs earned and are owed; the actor must be
// its staff.
func (s *Service) ShopEarnings(ctx context.Context, actor core.UserID, id core.ShopID) ([]Earning, error) {
	if _, err := shop.Require(ctx, s.store, id, actor, shop.RoleManager); err != nil {
		return nil, err
	}
	return s.store.Earnings(ctx, id, 0)
}

// Payout records that the shop's owner paid a KOL amount of what is owed in its
// currency. ErrPayout when it is more than is owed.
func (s *Service) Payout(ctx context.Context, actor core.UserID, id core.ShopID, kol core.UserID, amount core.Money) (Earning, error) {
	if _, err := shop.Require(ctx, s.store, id, actor, shop.RoleOwner); err != nil {
		return Earning{}, err
	}
	if amount.Amount <= 0 {
		return Earning{}, ErrPayout
	}
	e, err := s.store.RecordPayout(ctx, id, kol, amount, actor, s.clock.Now(), func(e Earning) error {
		if amount.Amount > e.Owed().Amount {
			return ErrPayout
		}
		return nil
	})
	if err != nil {
		return Earning{}, fmt.Errorf("payout to KOL %d: %w", kol, err)
	}
	return e, nil
}

// payoutStore is what earnings need of storage (part of Store).
type payoutStore interface {
	// Earnings returns the earnings by shop, KOL and currency: of one shop
	// (id not 0), or of one KOL (kol not 0).
	Earnings(ctx context.Context, id core.ShopID, kol core.UserID) ([]Earning, error)
	// SessionEarnings returns what a KOL's latest sessions earned.
	SessionEarnings(ctx context.Context, kol core.UserID, limit int) ([]SessionEarning, error)
	// RecordPayout locks the shop's and KOL's earnings in amount's currency,
	// lets check refuse, records the payout and returns the earnings after it.
	RecordPayout(ctx context.Context, id core.ShopID, kol core.UserID, amount core.Money, by core.UserID, at time.Time, check func(Earning) error) (Earning, error)
}
