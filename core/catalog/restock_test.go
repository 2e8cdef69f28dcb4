package catalog

import (
	"errors"
	"testing"
	"time"
)

func TestRestockCount(t *testing.T) {
	for units, want := range map[int]int{0: 0, -1: 0, 1: 3, 3: 5, 10: 12, 20: 24, 100: 120} {
		if got := RestockCount(units); got != want {
			t.Errorf("RestockCount(%d) = %d, want %d", units, got, want)
		}
	}
}

func TestApplySettings_Reminders(t *testing.T) {
	shop := Shop{Name: "Shop", Currency: "XTR", PaymentMethod: PayStars, ReservationTTL: DefaultReservationTTL, ReviewRequestDays: 3}
	dur := func(d time.Duration) *time.Duration { return &d }
	days := func(n int) *int { return &n }
	for _, tt := range []struct {
		name string
		set  ShopSettings
		want error
	}{
		{"CartOn", ShopSettings{CartReminder: dur(3 * time.Hour)}, nil},
		{"CartOff", ShopSettings{CartReminder: dur(0)}, nil},
		{"CartTooSoon", ShopSettings{CartReminder: dur(10 * time.Minute)}, ErrCartReminder},
		{"CartTooLate", ShopSettings{CartReminder: dur(8 * 24 * time.Hour)}, ErrCartReminder},
		{"ReviewOff", ShopSettings{ReviewRequestDays: days(0)}, nil},
		{"ReviewWeek", ShopSettings{ReviewRequestDays: days(7)}, nil},
		{"ReviewNegative", ShopSettings{ReviewRequestDays: days(-1)}, ErrReviewRequest},
		{"ReviewTooLate", ShopSettings{ReviewRequestDays: days(61)}, ErrReviewRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sh := shop
			err := applySettings(&sh, tt.set, false)
			if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
				t.Fatalf("applySettings = %v, want %v", err, tt.want)
			}
			if err != nil && sh != shop {
				t.Errorf("a refused setting changed the shop: %+v", sh)
			}
			if err == nil && tt.set.CartReminder != nil && sh.CartReminder != *tt.set.CartReminder {
				t.Errorf("cart reminder %v", sh.CartReminder)
			}
			if err == nil && tt.set.ReviewRequestDays != nil && sh.ReviewRequestDays != *tt.set.ReviewRequestDays {
				t.Errorf("review days %d", sh.ReviewRequestDays)
			}
		})
	}
}
