package order

import (
	"errors"
	"testing"
	"time"
)

func TestOrder_Payable(t *testing.T) {
	t.Parallel()
	end := testNow.Add(10 * time.Minute) // the reservation's end
	before, at, after := end.Add(-time.Second), end, end.Add(time.Second)

	// want is the answer before, at and after the reservation's end.
	tests := []struct {
		status Status
		want   [3]error
	}{
		{StatusAwaitingPayment, [3]error{nil, ErrReservationExpired, ErrReservationExpired}},
		{StatusExpired, [3]error{ErrReservationExpired, ErrReservationExpired, ErrReservationExpired}},
		{StatusPaid, [3]error{ErrAlreadyPaid, ErrAlreadyPaid, ErrAlreadyPaid}},
		{StatusShipped, [3]error{ErrAlreadyPaid, ErrAlreadyPaid, ErrAlreadyPaid}},
		{StatusReadyForPickup, [3]error{ErrAlreadyPaid, ErrAlreadyPaid, ErrAlreadyPaid}},
		{StatusCompleted, [3]error{ErrAlreadyPaid, ErrAlreadyPaid, ErrAlreadyPaid}},
		{StatusCancelled, [3]error{ErrNotPayable, ErrNotPayable, ErrNotPayable}},
		{StatusRefundPending, [3]error{ErrNotPayable, ErrNotPayable, ErrNotPayable}},
		{StatusRefunded, [3]error{ErrNotPayable, ErrNotPayable, ErrNotPayable}},
		{Status("lost"), [3]error{ErrNotPayable, ErrNotPayable, ErrNotPayable}},
	}
	every := map[Status]bool{}
	for _, tt := range tests {
		every[tt.status] = true
		t.Run(string(tt.status), func(t *testing.T) {
			t.Parallel()
			o := Order{ID: 42, Status: tt.status, ReservedUntil: end}
			for i, now := range []time.Time{before, at, after} {
				if err := o.Payable(now); !errors.Is(err, tt.want[i]) {
					t.Errorf("at the reservation's end %+v: err = %v, want %v", now.Sub(end), err, tt.want[i])
				}
			}
		})
	}
	// A status added to the state machine gets a row here.
	for k, r := range transitions {
		for _, s := range []Status{k.from, r.to} {
			if !every[s] {
				t.Errorf("status %q has no row", s)
			}
		}
	}
}
