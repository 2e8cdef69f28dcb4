// Package reconcile compares the Stars payments Telegram knows with those
// Vitrina recorded, so that a payment lost on either side is found within a day.
package reconcile

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// StarPayment is one Stars payment, as Telegram or Vitrina knows it.
type StarPayment struct {
	ChargeID string // telegram_payment_charge_id (= the Star transaction's id)
	UserID   core.UserID
	Amount   int64 // Stars
	At       time.Time
	Refunded bool
}

// Report is what differs between the two sides over a window.
type Report struct {
	From, To time.Time
	// Checked is how many payments Telegram listed in the window.
	Checked int
	// UnknownToVitrina: Telegram took the money and Vitrina has no record of it
	// (an order may be waiting for goods that will never ship).
	UnknownToVitrina []StarPayment
	// UnknownToTelegram: Vitrina recorded a payment Telegram does not list.
	UnknownToTelegram []StarPayment
	// RefundMismatch: refunded on one side only.
	RefundMismatch []StarPayment
}

// Clean reports whether both sides agree.
func (r Report) Clean() bool {
	return len(r.UnknownToVitrina) == 0 && len(r.UnknownToTelegram) == 0 && len(r.RefundMismatch) == 0
}

// Compare matches the payments of both sides by charge id. Both lists should
// cover the same window; payments near its edges may be listed by one side only,
// so callers leave a margin (Service.Reconcile).
func Compare(telegram, vitrina []StarPayment) Report {
	byID := make(map[string]StarPayment, len(vitrina))
	for _, p := range vitrina {
		byID[p.ChargeID] = p
	}
	var r Report
	seen := make(map[string]bool, len(telegram))
	for _, t := range telegram {
		seen[t.ChargeID] = true
		v, ok := byID[t.ChargeID]
		switch {
		case !ok:
			r.UnknownToVitrina = append(r.UnknownToVitrina, t)
		case v.Refunded != t.Refunded:
			r.RefundMismatch = append(r.RefundMismatch, t)
		}
	}
	for _, v := range vitrina {
		if !seen[v.ChargeID] {
			r.UnknownToTelegram = append(r.UnknownToTelegram, v)
		}
	}
	r.Checked = len(telegram)
	for _, list := range [][]StarPayment{r.UnknownToVitrina, r.UnknownToTelegram, r.RefundMismatch} {
		slices.SortFunc(list, func(a, b StarPayment) int { return cmp.Compare(a.ChargeID, b.ChargeID) })
	}
	return r
}

// Store lists Vitrina's Stars payments (postgres.Reconcile).
type Store interface {
	// StarsPayments returns the Stars payments recorded in [from, to).
	StarsPayments(ctx context.Context, from, to time.Time) ([]StarPayment, error)
}

// Service reconciles Stars payments.
type Service struct {
	store Store
	clock core.Clock
}

// NewService returns a Service.
func NewService(store Store, clock core.Clock) *Service {
	return &Service{store: store, clock: clock}
}

// Window is the stretch of time a daily reconciliation checks: the two days
// before the last quarter of an hour, so that each payment is checked twice
// and none is caught between Telegram taking it and the bot recording it.
func (s *Service) Window() (from, to time.Time) {
	to = s.clock.Now().Add(-15 * time.Minute)
	return to.Add(-48 * time.Hour), to
}

// Reconcile compares the payments Telegram listed (telegram, any time) with
// Vitrina's over [from, to). Telegram's payments outside the window are left
// out; Vitrina's are matched against all of Telegram's, so a payment recorded
// at the window's edge is not reported missing.
func (s *Service) Reconcile(ctx context.Context, from, to time.Time, telegram []StarPayment) (Report, error) {
	ours, err := s.store.StarsPayments(ctx, from, to)
	if err != nil {
		return Report{}, fmt.Errorf("reconcile stars: %w", err)
	}
	var inWindow []StarPayment
	all := make(map[string]bool, len(telegram))
	for _, t := range telegram {
		all[t.ChargeID] = true
		if !t.At.Before(from) && t.At.Before(to) {
			inWindow = append(inWindow, t)
		}
	}
	r := Compare(inWindow, ours)
	var missing []StarPayment
	for _, v := range r.UnknownToTelegram {
		if !all[v.ChargeID] {
			missing = append(missing, v)
		}
	}
	r.UnknownToTelegram = missing
	r.From, r.To = from, to
	return r, nil
}
