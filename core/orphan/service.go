package orphan

import (
	"context"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// Store is what orphan payments need from storage. Implemented by core/postgres.
type Store interface {
	// Record inserts p unless a payment with its Telegram charge id is recorded
	// already, with the jobs jobs returns for it (its ID set), in one transaction.
	// It returns the payment as stored and whether this call inserted it. Two
	// concurrent calls with one charge id insert one row, and both return it.
	Record(ctx context.Context, p Payment, jobs func(Payment) []core.Job) (Payment, bool, error)
	// Payment returns an orphan payment; ErrNotFound.
	Payment(ctx context.Context, id ID) (Payment, error)
	// Payments lists by filter, newest first, and how many match in all. The filter
	// is complete: Limit is set.
	Payments(ctx context.Context, f Filter) ([]Payment, int, error)
	// Update locks a payment, and saves what fn decides (nil: nothing) with its jobs.
	// It returns the payment as saved; when fn fails, as read with fn's error.
	// ErrNotFound.
	Update(ctx context.Context, id ID, fn func(Payment) (*Change, error)) (Payment, error)
	// RetryRefunds asks again, with plan, for up to limit refunds asked for before
	// before and not done, oldest first, skipping payments locked by others. It
	// returns how many.
	RetryRefunds(ctx context.Context, before time.Time, limit int, plan func(Payment) (*Change, error)) (int, error)
}

// Service is the rules of orphan payments.
type Service struct {
	store     Store
	clock     core.Clock
	operators shop.Operators
}

// NewService returns a Service. operators are the platform operators
// (VITRINA_ADMIN_IDS): only they see orphan payments and act on them.
func NewService(store Store, clock core.Clock, operators []core.UserID) *Service {
	return &Service{store: store, clock: clock, operators: shop.NewOperators(operators)}
}

// now is the clock's time at the precision PostgreSQL keeps.
func (s *Service) now() time.Time { return s.clock.Now().Truncate(time.Microsecond) }

// IsOperator reports whether id is a platform operator.
func (s *Service) IsOperator(id core.UserID) bool { return s.operators.Is(id) }

// Record records a payment that names no order, once per Telegram charge id, with
// the job that tells the operators (JobNotify, EventReceived). It returns the
// payment as recorded and whether this call recorded it: false for a charge
// recorded before (a redelivered update), when nothing is written.
//
// ErrNoCharge without a charge id. Text Telegram sent that PostgreSQL cannot store
// (a NUL, invalid UTF-8) is cleaned; the payload is kept byte for byte. Any other
// error means nothing was recorded and the caller must let the update come back.
func (s *Service) Record(ctx context.Context, r Received) (Payment, bool, error) {
	p, err := newPayment(r, s.now())
	if err != nil {
		return Payment{}, false, err
	}
	got, created, err := s.store.Record(ctx, p, func(p Payment) []core.Job {
		return []core.Job{notifyJob(p.ID, EventReceived)}
	})
	if err != nil {
		return Payment{}, false, fmt.Errorf("record orphan payment: %w", err)
	}
	return got, created, nil
}

// Payments lists orphan payments newest first for an operator, and how many match
// in all; shop.ErrNotOperator for anyone else.
func (s *Service) Payments(ctx context.Context, actor core.UserID, f Filter) ([]Payment, int, error) {
	if err := s.operators.Require(actor); err != nil {
		return nil, 0, err
	}
	switch {
	case f.Limit <= 0:
		f.Limit = 10
	case f.Limit > 50:
		f.Limit = 50
	}
	f.Offset = max(f.Offset, 0)
	list, n, err := s.store.Payments(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("orphan payments: %w", err)
	}
	return list, n, nil
}

// Payment returns an orphan payment to an operator; shop.ErrNotOperator,
// ErrNotFound.
func (s *Service) Payment(ctx context.Context, actor core.UserID, id ID) (Payment, error) {
	if err := s.operators.Require(actor); err != nil {
		return Payment{}, err
	}
	return s.PaymentForSystem(ctx, id)
}

// PaymentForSystem returns an orphan payment without a viewer check: for the
// workers and the messages they compose. ErrNotFound.
func (s *Service) PaymentForSystem(ctx context.Context, id ID) (Payment, error) {
	p, err := s.store.Payment(ctx, id)
	if err != nil {
		return Payment{}, fmt.Errorf("orphan payment %d: %w", id, err)
	}
	return p, nil
}

// RequestRefund (operators) asks for the refund of a Stars orphan: the refund job
// (JobRefund) is written with the request, and the worker gives the Stars back
// through Telegram, records it and tells the payer.
//
// Asking twice (a double tap, two operators at once) writes one job: the second
// gets ErrRefundUnderway. shop.ErrNotOperator, ErrNotFound, ErrNotStars for a
// card payment, ErrSettled for one refunded or resolved. The payment is returned
// as it is after the call, also with ErrRefundUnderway and ErrSettled.
func (s *Service) RequestRefund(ctx context.Context, actor core.UserID, id ID) (Payment, error) {
	if err := s.operators.Require(actor); err != nil {
		return Payment{}, err
	}
	now := s.now()
	p, err := s.store.Update(ctx, id, func(p Payment) (*Change, error) {
		return planRefund(p, actor, now)
	})
	if err != nil {
		return p, fmt.Errorf("refund orphan payment %d: %w", id, err)
	}
	return p, nil
}

// MarkRefunded records that a Stars orphan's refund went through, and tells the
// payer (JobNotify, EventRefunded). For the refund worker, which proves the
// refund: no role is checked. Marking it again changes nothing.
//
// ErrNotFound; ErrNotRequested when nobody asked for its refund; ErrSettled for a
// resolved one; ErrNotStars.
func (s *Service) MarkRefunded(ctx context.Context, id ID) (Payment, error) {
	now := s.now()
	p, err := s.store.Update(ctx, id, func(p Payment) (*Change, error) {
		return planRefunded(p, now)
	})
	if err != nil {
		return p, fmt.Errorf("mark orphan payment %d refunded: %w", id, err)
	}
	return p, nil
}

// Resolve (operators) marks an orphan settled by other means: a card payment
// refunded at the provider, or a payment matched to goods by hand. Resolving it
// again changes nothing. shop.ErrNotOperator, ErrNotFound, ErrRefundUnderway
// while a Stars refund is under way, ErrSettled for a refunded one.
func (s *Service) Resolve(ctx context.Context, actor core.UserID, id ID) (Payment, error) {
	if err := s.operators.Require(actor); err != nil {
		return Payment{}, err
	}
	now := s.now()
	p, err := s.store.Update(ctx, id, func(p Payment) (*Change, error) {
		return planResolve(p, actor, now)
	})
	if err != nil {
		return p, fmt.Errorf("resolve orphan payment %d: %w", id, err)
	}
	return p, nil
}

// defaultSweep is how many refunds RetryRefunds asks for again when limit is not
// positive.
const defaultSweep = 100

// RetryRefunds asks again for the Stars refunds asked for more than olderThan ago
// and not done (their task was lost in Redis, or kept failing): each gets a new
// refund job. Refunding twice is harmless: Telegram answers that the charge is
// refunded already, which the worker takes as done. Returns how many; a limit of 0
// or less means 100.
func (s *Service) RetryRefunds(ctx context.Context, olderThan time.Duration, limit int) (int, error) {
	if limit <= 0 {
		limit = defaultSweep
	}
	now := s.now()
	n, err := s.store.RetryRefunds(ctx, now.Add(-olderThan), limit, func(p Payment) (*Change, error) {
		if !p.RefundUnderway() {
			return nil, nil
		}
		p.RefundRequestedAt = now
		return &Change{Payment: p, Jobs: []core.Job{refundJob(p)}}, nil
	})
	if err != nil {
		return n, fmt.Errorf("retry orphan refunds: %w", err)
	}
	return n, nil
}
