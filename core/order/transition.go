package order

import "github.com/vitrina-shop/vitrina/core/catalog"

// Action is something that happens to an order.
type Action string

const (
	ActPay            Action = "pay"              // a payment arrived and is honoured
	ActExpire         Action = "expire"           // the reservation ran out unpaid
	ActCancel         Action = "cancel"           // the buyer or staff called it off, or the system its sale
	ActShip           Action = "ship"             // staff sent it
	ActReadyForPickup Action = "ready_for_pickup" // staff put it at the pickup point
	ActComplete       Action = "complete"         // the buyer has it
	ActHoldRefund     Action = "hold_refund"      // a payment arrived that cannot be honoured
	ActRefund         Action = "refund"           // the money went back
)

// Party is who acts on an order. One person can be several: a seller buying in
// their own shop is buyer and staff.
type Party uint8

const (
	PartyBuyer Party = 1 << iota
	PartyStaff
	PartySystem // expiry, payments, refunds: proven by Telegram or the clock, not by a person
)

type transitionKey struct {
	from   Status
	action Action
}

type transitionRule struct {
	to Status
	by Party // who may
}

// transitions is the order's state machine: every move an order can make, and who
// may make it. Anything not listed is refused.
var transitions = map[transitionKey]transitionRule{
	{StatusAwaitingPayment, ActPay}:    {StatusPaid, PartySystem},
	{StatusAwaitingPayment, ActExpire}: {StatusExpired, PartySystem},
	// The system calls off the orders of a sale that was called off (a cancelled
	// live session): unpaid, or paid and not yet on its way.
	{StatusAwaitingPayment, ActCancel}: {StatusCancelled, PartyBuyer | PartyStaff | PartySystem},

	// A payment that arrives after the reservation ended still pays the order if
	// stock allows; otherwise it is held for a refund.
	{StatusExpired, ActPay}:          {StatusPaid, PartySystem},
	{StatusCancelled, ActPay}:        {StatusPaid, PartySystem},
	{StatusExpired, ActHoldRefund}:   {StatusRefundPending, PartySystem},
	{StatusCancelled, ActHoldRefund}: {StatusRefundPending, PartySystem},

	{StatusPaid, ActShip}:           {StatusShipped, PartyStaff},
	{StatusPaid, ActReadyForPickup}: {StatusReadyForPickup, PartyStaff},
	{StatusPaid, ActCancel}:         {StatusCancelled, PartyStaff | PartySystem},
	// Goods nobody collected: staff may still call the order off and refund it.
	{StatusReadyForPickup, ActCancel}: {StatusCancelled, PartyStaff | PartySystem},

	{StatusShipped, ActComplete}:        {StatusCompleted, PartyBuyer | PartyStaff},
	{StatusReadyForPickup, ActComplete}: {StatusCompleted, PartyBuyer | PartyStaff},

	{StatusRefundPending, ActRefund}: {StatusRefunded, PartySystem},
	{StatusCancelled, ActRefund}:     {StatusRefunded, PartySystem},
}

// actionParties is, per action, everyone who may ever do it, whatever the status.
var actionParties = func() map[Action]Party {
	m := map[Action]Party{}
	for k, r := range transitions {
		m[k.action] |= r.by
	}
	return m
}()

// Next returns the status an order in status from moves to when by does action.
// catalog.ErrNotStaff if the action is staff's alone and by is not staff;
// ErrTransition if from does not allow the action, or allows it only to others (the
// buyer cancelling a paid order).
func Next(from Status, action Action, by Party) (Status, error) {
	if by&actionParties[action] == 0 {
		if actionParties[action] == PartyStaff {
			return "", catalog.ErrNotStaff
		}
		return "", ErrTransition
	}
	r, ok := transitions[transitionKey{from, action}]
	if !ok || r.by&by == 0 {
		return "", ErrTransition
	}
	return r.to, nil
}

// paidStatuses are the statuses of an order that was paid and is being or has been
// honoured: what Totals counts.
var paidStatuses = []Status{StatusPaid, StatusShipped, StatusReadyForPickup, StatusCompleted}

func isPaid(s Status) bool {
	for _, p := range paidStatuses {
		if s == p {
			return true
		}
	}
	return false
}

// Paid reports whether an order in status s was paid and goes ahead (paid,
// shipped, ready for pickup, completed).
func (s Status) Paid() bool { return isPaid(s) }

// Over reports whether an order in status s ended without going ahead:
// expired, cancelled, or its payment refunded.
func (s Status) Over() bool {
	switch s {
	case StatusExpired, StatusCancelled, StatusRefundPending, StatusRefunded:
		return true
	}
	return false
}
