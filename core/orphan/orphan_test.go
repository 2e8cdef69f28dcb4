package orphan

import (
	"errors"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

func TestPlans(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	stars := Payment{ID: 1, Amount: core.Money{Amount: 50, Currency: core.Stars}, Status: StatusNew}
	card := Payment{ID: 2, Amount: core.Money{Amount: 100, Currency: "RUB"}, Status: StatusNew}
	asked := stars
	asked.RefundRequestedAt, asked.RefundRequestedBy = now, 9
	refunded := asked
	refunded.Status, refunded.SettledAt = StatusRefunded, now
	resolved := card
	resolved.Status, resolved.SettledAt = StatusResolved, now

	tests := []struct {
		name    string
		plan    func(Payment) (*Change, error)
		p       Payment
		want    error
		status  Status // of the change; "" for none
		jobKind string // of the change's job; "" for none
	}{
		{"RefundStars", func(p Payment) (*Change, error) { return planRefund(p, 9, now) }, stars, nil, StatusNew, JobRefund},
		{"RefundCard", func(p Payment) (*Change, error) { return planRefund(p, 9, now) }, card, ErrNotStars, "", ""},
		{"RefundTwice", func(p Payment) (*Change, error) { return planRefund(p, 9, now) }, asked, ErrRefundUnderway, "", ""},
		{"RefundRefunded", func(p Payment) (*Change, error) { return planRefund(p, 9, now) }, refunded, ErrSettled, "", ""},
		{"RefundedAsked", func(p Payment) (*Change, error) { return planRefunded(p, now) }, asked, nil, StatusRefunded, JobNotify},
		{"RefundedNotAsked", func(p Payment) (*Change, error) { return planRefunded(p, now) }, stars, ErrNotRequested, "", ""},
		{"RefundedAgain", func(p Payment) (*Change, error) { return planRefunded(p, now) }, refunded, nil, "", ""},
		{"RefundedResolved", func(p Payment) (*Change, error) { return planRefunded(p, now) }, resolved, ErrSettled, "", ""},
		{"ResolveCard", func(p Payment) (*Change, error) { return planResolve(p, 9, now) }, card, nil, StatusResolved, ""},
		{"ResolveStars", func(p Payment) (*Change, error) { return planResolve(p, 9, now) }, stars, nil, StatusResolved, ""},
		{"ResolveDuringRefund", func(p Payment) (*Change, error) { return planResolve(p, 9, now) }, asked, ErrRefundUnderway, "", ""},
		{"ResolveAgain", func(p Payment) (*Change, error) { return planResolve(p, 9, now) }, resolved, nil, "", ""},
		{"ResolveRefunded", func(p Payment) (*Change, error) { return planResolve(p, 9, now) }, refunded, ErrSettled, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.plan(tt.p)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			switch {
			case tt.status == "" && c != nil:
				t.Errorf("change %+v, want none", c)
			case tt.status != "" && (c == nil || c.Payment.Status != tt.status):
				t.Errorf("change %+v, want status %s", c, tt.status)
			}
			if c == nil {
				return
			}
			if tt.jobKind == "" && len(c.Jobs) != 0 || tt.jobKind != "" && (len(c.Jobs) != 1 || c.Jobs[0].Kind != tt.jobKind) {
				t.Errorf("jobs %+v, want %q", c.Jobs, tt.jobKind)
			}
		})
	}
}

func TestNewPayment(t *testing.T) {
	long := make([]byte, 2000)
	p, err := newPayment(Received{TelegramChargeID: "c", PayerName: "A\x00b\xffc", Payload: long}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p.PayerName != "Ab\uFFFDc" || len(p.Payload) != maxPayload || p.Status != StatusNew {
		t.Errorf("payment %+v", p)
	}
	if _, err := newPayment(Received{}, time.Now()); !errors.Is(err, ErrNoCharge) {
		t.Errorf("without a charge id: %v", err)
	}
	if got := storable("ёёё", 5); got != "ёё" {
		t.Errorf("storable cut %q, want whole characters", got)
	}
}
