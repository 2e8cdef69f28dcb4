package live

import (
	"context"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// After a session ends, its KOL and the shop's owner get a report: who asked to
// be reminded, how many tapped and reserved, what was paid, the revenue and the
// commission, and per lot how fast it sold, with the reservations per minute.

// Report is what a session did.
type Report struct {
	Session      Session
	RSVPs        int
	Taps         int64 // every tap on its lots' Buy buttons
	Tappers      int   // different people who tapped them
	Buyers       int   // different people who reserved a unit
	Reservations int
	PaidOrders   int
	Revenue      core.Money // what the goods of its paid orders were paid
	Commission   core.Money // the KOL's commission on it
	Lots         []LotReport
}

// Conversion is the share of reservations that were paid, in percent.
func (r Report) Conversion() int {
	if r.Reservations == 0 {
		return 0
	}
	return r.PaidOrders * 100 / r.Reservations
}

// LotReport is what one lot did.
type LotReport struct {
	Lot          Lot
	Reservations int
	PaidOrders   int
	// SoldOut: every unit was reserved at some moment, SoldOutAfter after the
	// lot's start.
	SoldOut      bool
	SoldOutAfter time.Duration
	// PerMinute are the reservations in each minute from the lot's start.
	PerMinute []int
}

// JobReport sends a session's report once it ended; key "live:report:<session>",
// due ReportAfter its end.
const JobReport = "live:report"

// ReportAfter is how long after a session ends its report goes: the
// reservations made at the end are paid or released by then.
const ReportAfter = 15 * time.Minute

// Report returns what a session did.
func (s *Service) Report(ctx context.Context, id SessionID) (Report, error) {
	return s.store.SessionReport(ctx, id)
}

// MarkReported records that the session's report went; false when it had.
func (s *Service) MarkReported(ctx context.Context, id SessionID) (bool, error) {
	return s.store.MarkReported(ctx, id, s.clock.Now())
}

// reportStore is what reports need of storage (part of Store).
type reportStore interface {
	SessionReport(ctx context.Context, id SessionID) (Report, error)
	MarkReported(ctx context.Context, id SessionID, at time.Time) (bool, error)
}
