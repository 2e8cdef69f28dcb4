package order

import (
	"errors"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core/catalog"
)

func TestRemindAt(t *testing.T) {
	for _, tt := range []struct {
		name string
		left time.Duration
		want time.Duration // after now; 0: none
	}{
		{"Long", 15 * time.Minute, 10 * time.Minute},
		{"TenMinutes", 10 * time.Minute, 5 * time.Minute},
		{"ShortHalfway", 4 * time.Minute, 2 * time.Minute},
		{"PaymentHold", PaymentHold, PaymentHold / 2},
		{"Over", 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := remindAt(testNow.Add(tt.left), testNow)
			if tt.want == 0 && !got.IsZero() || tt.want != 0 && !got.Equal(testNow.Add(tt.want)) {
				t.Errorf("remindAt(now + %v) = %v, want now + %v", tt.left, got, tt.want)
			}
		})
	}
}

func TestPlanRemindUnpaid(t *testing.T) {
	awaiting := Order{ID: 7, Status: StatusAwaitingPayment, ReservedUntil: testNow.Add(5 * time.Minute), RemindAt: testNow}
	t.Run("Due", func(t *testing.T) {
		c, err := planRemindUnpaid(Snapshot{Order: awaiting}, testNow)
		if err != nil || !c.Order.RemindedAt.Equal(testNow) || c.History != nil || len(c.Jobs) != 0 {
			t.Fatalf("change %+v, %v; want reminded now, nothing else", c, err)
		}
		if _, err := planRemindUnpaid(Snapshot{Order: c.Order}, testNow.Add(time.Second)); !errors.Is(err, ErrReminded) {
			t.Errorf("again: %v, want ErrReminded", err)
		}
	})
	t.Run("Early", func(t *testing.T) {
		_, err := planRemindUnpaid(Snapshot{Order: awaiting}, testNow.Add(-time.Second))
		var nd *NotDue
		if !errors.As(err, &nd) || !nd.At.Equal(testNow) || !errors.Is(err, ErrNotDue) {
			t.Errorf("early: %v, want NotDue at RemindAt", err)
		}
	})
	t.Run("Paid", func(t *testing.T) {
		paid := awaiting
		paid.Status = StatusPaid
		if _, err := planRemindUnpaid(Snapshot{Order: paid}, testNow); !errors.Is(err, ErrNothingToRemind) {
			t.Errorf("paid: %v, want ErrNothingToRemind", err)
		}
	})
	t.Run("ExtendedAfterReminder", func(t *testing.T) {
		// Reminded, then a pre-checkout extended the hold: the new reservation gets
		// its own reminder.
		o := awaiting
		o.RemindedAt = testNow
		snap := Snapshot{Order: o, Shop: catalog.Shop{ID: 1}}
		c, err := planPreCheckout(snap, PreCheckout{OrderID: 7, BuyerID: o.BuyerID, Total: o.Total}, testNow.Add(2*time.Minute))
		if err != nil || c == nil {
			t.Fatalf("pre-checkout: %+v, %v", c, err)
		}
		if want := testNow.Add(2*time.Minute + PaymentHold/2); !c.Order.RemindAt.Equal(want) || len(c.Jobs) != 2 || c.Jobs[1].Kind != JobRemindUnpaid {
			t.Fatalf("remind at %v with jobs %+v, want %v and a reminder job", c.Order.RemindAt, c.Jobs, want)
		}
		if _, err := planRemindUnpaid(Snapshot{Order: c.Order}, c.Order.RemindAt); err != nil {
			t.Errorf("the extended reservation's reminder: %v", err)
		}
	})
}

func TestPlanCancelRemind(t *testing.T) {
	o := Order{ID: 7, Status: StatusAwaitingPayment, ReservedUntil: testNow, RemindAt: testNow.Add(-time.Minute)}
	c, err := planExpire(Snapshot{Order: o}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if j := c.Jobs[len(c.Jobs)-1]; j.Kind != JobRemindUnpaid || !j.Cancel || j.Key != "order:remind:7" {
		t.Errorf("expiry jobs %+v, want the reminder's cancel last", c.Jobs)
	}
	o.RemindedAt = o.RemindAt // sent already: nothing to cancel
	if c, _ := planExpire(Snapshot{Order: o}, testNow); len(c.Jobs) != 1 {
		t.Errorf("expiry jobs %+v, want only the notification", c.Jobs)
	}
}

func TestPlanRequestReview(t *testing.T) {
	done := Order{ID: 7, Status: StatusCompleted, CompletedAt: testNow}
	shop := catalog.Shop{ReviewRequestDays: 3}
	due := testNow.Add(72 * time.Hour)
	var nd *NotDue
	if _, err := planRequestReview(Snapshot{Order: done, Shop: shop}, due.Add(-time.Second)); !errors.As(err, &nd) || !nd.At.Equal(due) {
		t.Errorf("early: %v, want NotDue at %v", err, due)
	}
	c, err := planRequestReview(Snapshot{Order: done, Shop: shop}, due)
	if err != nil || !c.Order.ReviewRequestedAt.Equal(due) {
		t.Fatalf("due: %+v, %v", c, err)
	}
	if _, err := planRequestReview(Snapshot{Order: c.Order, Shop: shop}, due); !errors.Is(err, ErrReminded) {
		t.Errorf("asked again: %v, want ErrReminded", err)
	}
	if _, err := planRequestReview(Snapshot{Order: done, Shop: catalog.Shop{}}, due); !errors.Is(err, ErrNothingToRemind) {
		t.Errorf("shop asks for none: %v, want ErrNothingToRemind", err)
	}
}

func TestPlanCartReminder(t *testing.T) {
	items := []CartItem{{VariantID: 1, Quantity: 1, Available: 3}}
	base := CartState{
		Cart:      Cart{Items: items},
		Shop:      catalog.Shop{CartReminder: time.Hour},
		ChangedAt: testNow,
	}
	due := testNow.Add(time.Hour)
	for _, tt := range []struct {
		name string
		edit func(*CartState)
		at   time.Time
		want error
	}{
		{"Due", func(*CartState) {}, due, nil},
		{"Early", func(*CartState) {}, due.Add(-time.Second), ErrNotDue},
		{"Off", func(s *CartState) { s.Shop.CartReminder = 0 }, due, ErrNothingToRemind},
		{"Empty", func(s *CartState) { s.Cart.Items = nil }, due, ErrNothingToRemind},
		{"SoldOut", func(s *CartState) { s.Cart.Items = []CartItem{{Available: 0}} }, due, ErrNothingToRemind},
		{"Ordered", func(s *CartState) { s.OrderedSince = true }, due, ErrNothingToRemind},
		{"Reminded", func(s *CartState) { s.RemindedAt = testNow.Add(time.Hour) }, due, ErrReminded},
		{"ChangedAfterReminder", func(s *CartState) { s.RemindedAt = testNow.Add(-time.Minute) }, due, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := base
			tt.edit(&st)
			err := planCartReminder(st, tt.at)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("planCartReminder = %v, want %v", err, tt.want)
			}
		})
	}
}
