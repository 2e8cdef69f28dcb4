package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/reconcile"
)

func TestCompare(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	pay := func(id string, refunded bool) reconcile.StarPayment {
		return reconcile.StarPayment{ChargeID: id, UserID: 7, Amount: 150, At: at, Refunded: refunded}
	}
	telegram := []reconcile.StarPayment{pay("both", false), pay("only-telegram", false), pay("refunded-there", true)}
	vitrina := []reconcile.StarPayment{pay("both", false), pay("only-vitrina", false), pay("refunded-there", false)}
	r := reconcile.Compare(telegram, vitrina)
	if r.Clean() || r.Checked != 3 {
		t.Fatalf("report = %+v, want differences over 3 payments", r)
	}
	ids := func(list []reconcile.StarPayment) []string {
		var out []string
		for _, p := range list {
			out = append(out, p.ChargeID)
		}
		return out
	}
	if got := ids(r.UnknownToVitrina); len(got) != 1 || got[0] != "only-telegram" {
		t.Errorf("unknown to Vitrina = %v", got)
	}
	if got := ids(r.UnknownToTelegram); len(got) != 1 || got[0] != "only-vitrina" {
		t.Errorf("unknown to Telegram = %v", got)
	}
	if got := ids(r.RefundMismatch); len(got) != 1 || got[0] != "refunded-there" {
		t.Errorf("refund mismatch = %v", got)
	}
	if r := reconcile.Compare(vitrina[:1], telegram[:1]); !r.Clean() {
		t.Errorf("same payments: %+v", r)
	}
}

// store is a fixed list of Vitrina's payments.
type store []reconcile.StarPayment

func (s store) StarsPayments(ctx context.Context, from, to time.Time) ([]reconcile.StarPayment, error) {
	var out []reconcile.StarPayment
	for _, p := range s {
		if !p.At.Before(from) && p.At.Before(to) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Payments at the window's edges are listed by one side only; they are not
// reported.
func TestService_ReconcileWindowEdges(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	svc := reconcile.NewService(store{
		{ChargeID: "a", At: now.Add(-time.Hour)},
		{ChargeID: "edge", At: now.Add(-20 * time.Minute)}, // Vitrina's clock a little ahead of Telegram's
	}, core.NewFakeClock(now))
	from, to := svc.Window()
	if got := to.Sub(from); got != 48*time.Hour || !to.Equal(now.Add(-15*time.Minute)) {
		t.Fatalf("window %v..%v", from, to)
	}
	telegram := []reconcile.StarPayment{
		{ChargeID: "a", At: now.Add(-time.Hour)},
		{ChargeID: "edge", At: now.Add(-10 * time.Minute)}, // after the window at Telegram
		{ChargeID: "late", At: now.Add(-5 * time.Minute)},  // not recorded yet: in flight
	}
	r, err := svc.Reconcile(context.Background(), from, to, telegram)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Clean() || r.Checked != 1 {
		t.Errorf("report = %+v, want clean over 1 payment", r)
	}
}
