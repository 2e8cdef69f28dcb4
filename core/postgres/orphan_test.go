package postgres

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// Every package-level name in this file starts with "orphan": other tests share the
// package.

const orphanOperator core.UserID = 900

type orphanBundle struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	clock *core.FakeClock
	svc   *orphan.Service
}

func orphanSetup(t *testing.T) *orphanBundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	clock := core.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	return &orphanBundle{
		ctx:   context.Background(),
		pool:  pool,
		clock: clock,
		svc:   orphan.NewService(NewOrphans(pool), clock, []core.UserID{orphanOperator}),
	}
}

// orphanStars is a Stars payment of 50 for an order that does not exist.
func orphanStars(charge string) orphan.Received {
	return orphan.Received{
		TelegramChargeID: charge,
		Amount:           core.Money{Amount: 50, Currency: core.Stars},
		PayerID:          7001,
		PayerName:        "Anna",
		PayerUsername:    "anna",
		Payload:          []byte("o:999999"),
		Reason:           orphan.ReasonNoOrder,
	}
}

// orphanJobs returns the keys of the outbox jobs of kind, in the order written.
func (b *orphanBundle) jobs(t *testing.T, kind string) []string {
	t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT key FROM outbox WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

func (b *orphanBundle) rows(t *testing.T) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM orphan_payments`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOrphans_Record(t *testing.T) {
	t.Parallel()
	b := orphanSetup(t)
	r := orphanStars("stx-1")
	// What Telegram may send and text columns refuse: a NUL, invalid UTF-8.
	r.Payload = []byte("gift\x00\xff:1")
	r.PayerName = "An\x00na \xff"
	r.ProviderChargeID = ""

	p, created, err := b.svc.Record(b.ctx, r)
	if err != nil || !created {
		t.Fatalf("record = %+v, %v, %v", p, created, err)
	}
	got, err := b.svc.Payment(b.ctx, orphanOperator, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Payload, r.Payload) || got.PayerName != "Anna \uFFFD" || got.Amount != r.Amount ||
		got.Status != orphan.StatusNew || got.Reason != orphan.ReasonNoOrder || got.PayerID != 7001 ||
		got.PayerUsername != "anna" || !got.ReceivedAt.Equal(b.clock.Now()) {
		t.Errorf("stored %+v", got)
	}

	// Redelivered: nothing new, the same record.
	again, created, err := b.svc.Record(b.ctx, r)
	if err != nil || created || again.ID != p.ID {
		t.Fatalf("second record = %+v, %v, %v", again, created, err)
	}
	if n := b.rows(t); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}
	if jobs := b.jobs(t, orphan.JobNotify); len(jobs) != 1 {
		t.Errorf("notify jobs %v, want one", jobs)
	}

	if _, _, err := b.svc.Record(b.ctx, orphan.Received{Amount: r.Amount}); !errors.Is(err, orphan.ErrNoCharge) {
		t.Errorf("record without a charge id: %v", err)
	}
}

func TestOrphans_RecordConcurrent(t *testing.T) {
	t.Parallel()
	b := orphanSetup(t)
	const n = 8
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		ids     [n]orphan.ID
		created [n]bool
		errs    [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			var p orphan.Payment
			p, created[i], errs[i] = b.svc.Record(b.ctx, orphanStars("stx-race"))
			ids[i] = p.ID
		})
	}
	close(start)
	wg.Wait()
	inserted := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("record %d: %v", i, errs[i])
		}
		if ids[i] == 0 || ids[i] != ids[0] {
			t.Errorf("record %d returned id %d, record 0 id %d", i, ids[i], ids[0])
		}
		if created[i] {
			inserted++
		}
	}
	if inserted != 1 {
		t.Errorf("%d calls say they inserted, want 1", inserted)
	}
	if rows := b.rows(t); rows != 1 {
		t.Errorf("%d rows, want 1", rows)
	}
	if jobs := b.jobs(t, orphan.JobNotify); len(jobs) != 1 {
		t.Errorf("notify jobs %v, want one", jobs)
	}
}

func TestOrphans_Refund(t *testing.T) {
	t.Parallel()
	b := orphanSetup(t)
	p, _, err := b.svc.Record(b.ctx, orphanStars("stx-refund"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OperatorsOnly", func(t *testing.T) {
		if _, err := b.svc.RequestRefund(b.ctx, 7001, p.ID); !errors.Is(err, catalog.ErrNotOperator) {
			t.Errorf("refund by the payer: %v", err)
		}
		if _, _, err := b.svc.Payments(b.ctx, 7001, orphan.Filter{}); !errors.Is(err, catalog.ErrNotOperator) {
			t.Errorf("list by the payer: %v", err)
		}
		if _, err := b.svc.Payment(b.ctx, 7001, p.ID); !errors.Is(err, catalog.ErrNotOperator) {
			t.Errorf("read by the payer: %v", err)
		}
	})
	t.Run("NotYetAsked", func(t *testing.T) {
		if _, err := b.svc.MarkRefunded(b.ctx, p.ID); !errors.Is(err, orphan.ErrNotRequested) {
			t.Errorf("mark refunded before anyone asked: %v", err)
		}
	})
	t.Run("ConcurrentRequests", func(t *testing.T) {
		const n = 8
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = b.svc.RequestRefund(b.ctx, orphanOperator, p.ID)
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, orphan.ErrRefundUnderway):
				t.Errorf("request: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d requests went through, want 1", ok)
		}
		if jobs := b.jobs(t, orphan.JobRefund); len(jobs) != 1 {
			t.Errorf("refund jobs %v, want one", jobs)
		}
		got, _ := b.svc.PaymentForSystem(b.ctx, p.ID)
		if !got.RefundUnderway() || got.RefundRequestedBy != orphanOperator {
			t.Errorf("after the request: %+v", got)
		}
		if _, err := b.svc.Resolve(b.ctx, orphanOperator, p.ID); !errors.Is(err, orphan.ErrRefundUnderway) {
			t.Errorf("resolve during the refund: %v", err)
		}
	})
	t.Run("SweepAsksAgain", func(t *testing.T) {
		if n, err := b.svc.RetryRefunds(b.ctx, time.Hour, 10); err != nil || n != 0 {
			t.Errorf("retry before an hour = %d, %v", n, err)
		}
		b.clock.Advance(2 * time.Hour)
		if n, err := b.svc.RetryRefunds(b.ctx, time.Hour, 10); err != nil || n != 1 {
			t.Errorf("retry after two hours = %d, %v", n, err)
		}
		if jobs := b.jobs(t, orphan.JobRefund); len(jobs) != 2 || jobs[0] == jobs[1] {
			t.Errorf("refund jobs %v, want two under different keys", jobs)
		}
	})
	t.Run("Refunded", func(t *testing.T) {
		got, err := b.svc.MarkRefunded(b.ctx, p.ID)
		if err != nil || got.Status != orphan.StatusRefunded || got.SettledAt.IsZero() {
			t.Fatalf("mark refunded = %+v, %v", got, err)
		}
		if _, err := b.svc.MarkRefunded(b.ctx, p.ID); err != nil {
			t.Errorf("mark refunded again: %v", err)
		}
		if jobs := b.jobs(t, orphan.JobNotify); len(jobs) != 2 {
			t.Errorf("notify jobs %v, want received and refunded", jobs)
		}
		if _, err := b.svc.RequestRefund(b.ctx, orphanOperator, p.ID); !errors.Is(err, orphan.ErrSettled) {
			t.Errorf("refund again: %v", err)
		}
		if _, err := b.svc.Resolve(b.ctx, orphanOperator, p.ID); !errors.Is(err, orphan.ErrSettled) {
			t.Errorf("resolve a refunded one: %v", err)
		}
		if n, err := b.svc.RetryRefunds(b.ctx, 0, 10); err != nil || n != 0 {
			t.Errorf("retry a refunded one = %d, %v", n, err)
		}
	})
	// The Stars reconciliation knows the orphan, refunded: it is not reported as a
	// payment unknown to Vitrina.
	t.Run("Reconciled", func(t *testing.T) {
		now := b.clock.Now()
		got, err := NewReconcile(b.pool).StarsPayments(b.ctx, now.Add(-24*time.Hour), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ChargeID != "stx-refund" || got[0].UserID != 7001 || got[0].Amount != 50 || !got[0].Refunded {
			t.Errorf("stars payments %+v, want the refunded orphan", got)
		}
	})
}

func TestOrphans_Card(t *testing.T) {
	t.Parallel()
	b := orphanSetup(t)
	r := orphanStars("tgpay-1")
	r.Amount = core.Money{Amount: 129900, Currency: "RUB"}
	r.ProviderChargeID = "prov-1"
	r.Payload, r.Reason = []byte("someone else's"), orphan.ReasonPayload
	p, _, err := b.svc.Record(b.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.RequestRefund(b.ctx, orphanOperator, p.ID); !errors.Is(err, orphan.ErrNotStars) {
		t.Errorf("refund a card payment: %v", err)
	}
	if _, err := b.svc.Resolve(b.ctx, 7001, p.ID); !errors.Is(err, catalog.ErrNotOperator) {
		t.Errorf("resolve by the payer: %v", err)
	}
	got, err := b.svc.Resolve(b.ctx, orphanOperator, p.ID)
	if err != nil || got.Status != orphan.StatusResolved || got.SettledBy != orphanOperator {
		t.Fatalf("resolve = %+v, %v", got, err)
	}
	if _, err := b.svc.Resolve(b.ctx, orphanOperator, p.ID); err != nil {
		t.Errorf("resolve again: %v", err)
	}

	// The list: newest first, filtered by status.
	if _, _, err := b.svc.Record(b.ctx, orphanStars("stx-2")); err != nil {
		t.Fatal(err)
	}
	all, total, err := b.svc.Payments(b.ctx, orphanOperator, orphan.Filter{})
	if err != nil || total != 2 || len(all) != 2 || all[0].TelegramChargeID != "stx-2" || all[1].ProviderChargeID != "prov-1" {
		t.Errorf("all = %+v, %d, %v", all, total, err)
	}
	open := orphan.StatusNew
	list, total, err := b.svc.Payments(b.ctx, orphanOperator, orphan.Filter{Status: &open})
	if err != nil || total != 1 || len(list) != 1 || list[0].TelegramChargeID != "stx-2" {
		t.Errorf("new = %+v, %d, %v", list, total, err)
	}
	if _, err := b.svc.Payment(b.ctx, orphanOperator, 424242); !errors.Is(err, orphan.ErrNotFound) {
		t.Errorf("a payment that does not exist: %v", err)
	}
}
