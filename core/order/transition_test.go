package order

import (
	"errors"
	"testing"

	"github.com/vitrina-shop/vitrina/core/catalog"
)

func TestNext(t *testing.T) {
	t.Parallel()
	const (
		buyer  = PartyBuyer
		staff  = PartyStaff
		system = PartySystem
		both   = PartyBuyer | PartyStaff
	)
	allowed := []struct {
		from   Status
		action Action
		by     Party
		want   Status
	}{
		{StatusAwaitingPayment, ActPay, system, StatusPaid},
		{StatusAwaitingPayment, ActExpire, system, StatusExpired},
		{StatusAwaitingPayment, ActCancel, buyer, StatusCancelled},
		{StatusAwaitingPayment, ActCancel, staff, StatusCancelled},
		{StatusAwaitingPayment, ActCancel, system, StatusCancelled}, // its sale was called off
		{StatusPaid, ActCancel, system, StatusCancelled},
		{StatusReadyForPickup, ActCancel, system, StatusCancelled}, // a group buy called off after its goods arrived
		{StatusExpired, ActPay, system, StatusPaid},
		{StatusCancelled, ActPay, system, StatusPaid},
		{StatusExpired, ActHoldRefund, system, StatusRefundPending},
		{StatusCancelled, ActHoldRefund, system, StatusRefundPending},
		{StatusPaid, ActShip, staff, StatusShipped},
		{StatusPaid, ActShip, both, StatusShipped},
		{StatusPaid, ActReadyForPickup, staff, StatusReadyForPickup},
		{StatusPaid, ActCancel, staff, StatusCancelled},
		{StatusPaid, ActCancel, both, StatusCancelled},
		{StatusReadyForPickup, ActCancel, staff, StatusCancelled},
		{StatusShipped, ActComplete, buyer, StatusCompleted},
		{StatusShipped, ActComplete, staff, StatusCompleted},
		{StatusReadyForPickup, ActComplete, buyer, StatusCompleted},
		{StatusRefundPending, ActRefund, system, StatusRefunded},
		{StatusCancelled, ActRefund, system, StatusRefunded},
	}
	for _, tt := range allowed {
		got, err := Next(tt.from, tt.action, tt.by)
		if err != nil || got != tt.want {
			t.Errorf("Next(%s, %s, %b) = %q, %v; want %q", tt.from, tt.action, tt.by, got, err, tt.want)
		}
	}

	refused := []struct {
		from   Status
		action Action
		by     Party
		want   error
	}{
		{StatusAwaitingPayment, ActShip, staff, ErrTransition},
		{StatusAwaitingPayment, ActComplete, buyer, ErrTransition},
		{StatusPaid, ActPay, system, ErrTransition},
		{StatusPaid, ActExpire, system, ErrTransition},
		{StatusPaid, ActCancel, buyer, ErrTransition}, // only staff can call off a paid order
		{StatusShipped, ActCancel, staff, ErrTransition},
		{StatusCompleted, ActCancel, staff, ErrTransition},
		{StatusCompleted, ActComplete, buyer, ErrTransition},
		{StatusExpired, ActCancel, buyer, ErrTransition},
		{StatusExpired, ActExpire, system, ErrTransition},
		{StatusRefundPending, ActPay, system, ErrTransition},
		{StatusRefunded, ActRefund, system, ErrTransition},
		{StatusPaid, ActRefund, system, ErrTransition},
		{StatusShipped, ActShip, staff, ErrTransition},
		{StatusPaid, ActShip, buyer, catalog.ErrNotStaff},
		{StatusPaid, ActReadyForPickup, buyer, catalog.ErrNotStaff},
		{StatusAwaitingPayment, ActPay, buyer, ErrTransition}, // people do not pay by decree
		{StatusAwaitingPayment, ActExpire, staff, ErrTransition},
		{StatusShipped, ActCancel, system, ErrTransition},
		{StatusPaid, ActShip, 0, catalog.ErrNotStaff},
	}
	for _, tt := range refused {
		got, err := Next(tt.from, tt.action, tt.by)
		if !errors.Is(err, tt.want) {
			t.Errorf("Next(%s, %s, %b) = %q, %v; want %v", tt.from, tt.action, tt.by, got, err, tt.want)
		}
	}
}

// TestNext_EveryStatusKnown keeps the table and the statuses in step: every status
// the table names is a status the schema allows.
func TestNext_EveryStatusKnown(t *testing.T) {
	t.Parallel()
	known := map[Status]bool{
		StatusAwaitingPayment: true, StatusPaid: true, StatusShipped: true, StatusReadyForPickup: true,
		StatusCompleted: true, StatusExpired: true, StatusCancelled: true, StatusRefundPending: true,
		StatusRefunded: true,
	}
	for k, r := range transitions {
		if !known[k.from] || !known[r.to] {
			t.Errorf("transition %s -%s-> %s names an unknown status", k.from, k.action, r.to)
		}
		if r.by == 0 {
			t.Errorf("transition %s -%s-> %s allows no one", k.from, k.action, r.to)
		}
	}
}
