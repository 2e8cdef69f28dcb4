package workers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
)

var _ workers.OrphanService = (*orphan.Service)(nil)

const orphanTestOperator core.UserID = 900

// orphanComposer is the bot's side of orphan notifications: it records them.
type orphanComposer struct {
	mu     sync.Mutex
	events []string
	nobody bool // no one to tell: no operator has started the bot
}

func (c *orphanComposer) OrphanMessages(ctx context.Context, id orphan.ID, ev orphan.Event) ([]core.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, fmt.Sprintf("%d:%s", id, ev))
	if c.nobody {
		return nil, nil
	}
	return []core.Message{testMessage(fmt.Sprintf("orphan:%d:%s", id, ev), core.PriorityOrder)}, nil
}

type orphanBundle struct {
	*orderBundle
	orphans  *orphan.Service
	composer *orphanComposer
}

func setupOrphans(t *testing.T) *orphanBundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	b := &orphanBundle{
		orderBundle: &orderBundle{
			ctx:      context.Background(),
			pool:     pool,
			clock:    core.NewFakeClock(time.Now().Truncate(time.Millisecond)),
			env:      asynqtest.New(t),
			refunder: &refunder{},
		},
		composer: &orphanComposer{},
	}
	b.orphans = orphan.NewService(postgres.NewOrphans(pool), b.clock, []core.UserID{orphanTestOperator})
	b.w = workers.New(workers.Deps{
		Refunder:    b.refunder,
		Outbox:      postgres.NewOutbox(pool),
		Queue:       b.env.Client,
		QueuePrefix: b.env.QueuePrefix,
		Orphans:     workers.OrphanDeps{Orphans: b.orphans, Composer: b.composer},
	})
	return b
}

// record records an orphan payment of charge in currency (Stars: 50, else 990.00).
func (b *orphanBundle) record(t *testing.T, charge string, cur core.Currency) orphan.Payment {
	t.Helper()
	amount := int64(50)
	if cur != core.Stars {
		amount = 99000
	}
	p, _, err := b.orphans.Record(b.ctx, orphan.Received{
		TelegramChargeID: charge, Amount: core.Money{Amount: amount, Currency: cur},
		PayerID: 7001, PayerName: "Anna", Payload: []byte("o:424242"), Reason: orphan.ReasonNoOrder,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// refundTask is the last orphan refund job of p in the outbox, as the relay
// would enqueue it.
func (b *orphanBundle) refundTask(t *testing.T, p orphan.Payment) *asynq.Task {
	t.Helper()
	var payload []byte
	err := b.pool.QueryRow(b.ctx, `SELECT payload FROM outbox WHERE kind = $1 ORDER BY id DESC LIMIT 1`, orphan.JobRefund).Scan(&payload)
	if err != nil {
		t.Fatalf("outbox refund job of orphan %d: %v", p.ID, err)
	}
	return asynq.NewTask(orphan.JobRefund, payload)
}

func TestWorkers_HandleOrphanRefund(t *testing.T) {
	t.Parallel()
	t.Run("Stars", func(t *testing.T) {
		t.Parallel()
		b := setupOrphans(t)
		p := b.record(t, "stx-orphan", core.Stars)
		if _, err := b.orphans.RequestRefund(b.ctx, orphanTestOperator, p.ID); err != nil {
			t.Fatal(err)
		}
		task := b.refundTask(t, p)
		for range 2 { // a task delivered twice refunds once
			if err := b.w.HandleOrphanRefund(b.ctx, task); err != nil {
				t.Fatalf("HandleOrphanRefund: %v", err)
			}
		}
		if got, want := b.refunder.stars, []string{"7001:stx-orphan"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stars refunds %v, want %v", got, want)
		}
		got, err := b.orphans.PaymentForSystem(b.ctx, p.ID)
		if err != nil || got.Status != orphan.StatusRefunded {
			t.Errorf("after the refund: %+v, %v", got, err)
		}
		// The payer is told through the outbox; the notify task composes it.
		var payload []byte
		if err := b.pool.QueryRow(b.ctx, `SELECT payload FROM outbox WHERE key = $1`,
			fmt.Sprintf("orphan:notify:%d:refunded", p.ID)).Scan(&payload); err != nil {
			t.Fatalf("notify job: %v", err)
		}
		if err := b.w.HandleOrphanNotify(b.ctx, asynq.NewTask(orphan.JobNotify, payload)); err != nil {
			t.Fatalf("HandleOrphanNotify: %v", err)
		}
		if got, want := fmt.Sprint(b.composer.events), fmt.Sprintf("[%d:refunded]", p.ID); got != want {
			t.Errorf("composed %s, want %s", got, want)
		}
	})
	t.Run("TelegramFails", func(t *testing.T) {
		t.Parallel()
		b := setupOrphans(t)
		p := b.record(t, "stx-fail", core.Stars)
		if _, err := b.orphans.RequestRefund(b.ctx, orphanTestOperator, p.ID); err != nil {
			t.Fatal(err)
		}
		b.refunder.err = errors.New("telegram 502")
		err := b.w.HandleOrphanRefund(b.ctx, b.refundTask(t, p))
		if err == nil || errors.Is(err, asynq.SkipRetry) {
			t.Fatalf("HandleOrphanRefund = %v, want an error asynq retries", err)
		}
		if got, _ := b.orphans.PaymentForSystem(b.ctx, p.ID); !got.RefundUnderway() {
			t.Errorf("after a failed refund: %+v, want still under way", got)
		}
	})
	t.Run("NotAskedFor", func(t *testing.T) {
		t.Parallel()
		b := setupOrphans(t)
		p := b.record(t, "stx-nobody", core.Stars)
		task := asynq.NewTask(orphan.JobRefund, fmt.Appendf(nil, `{"orphan_id": %d}`, p.ID))
		if err := b.w.HandleOrphanRefund(b.ctx, task); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("HandleOrphanRefund = %v, want a permanent error", err)
		}
		card := b.record(t, "tgpay-card", "RUB")
		task = asynq.NewTask(orphan.JobRefund, fmt.Appendf(nil, `{"orphan_id": %d}`, card.ID))
		if err := b.w.HandleOrphanRefund(b.ctx, task); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("HandleOrphanRefund of a card payment = %v, want a permanent error", err)
		}
		if len(b.refunder.stars) != 0 {
			t.Errorf("refunded %v, want nothing", b.refunder.stars)
		}
	})
}

func TestWorkers_HandleOrphanNotify(t *testing.T) {
	t.Parallel()
	b := setupOrphans(t)
	p := b.record(t, "stx-new", core.Stars)
	var payload []byte
	if err := b.pool.QueryRow(b.ctx, `SELECT payload FROM outbox WHERE kind = $1`, orphan.JobNotify).Scan(&payload); err != nil {
		t.Fatalf("notify job: %v", err)
	}
	if err := b.w.HandleOrphanNotify(b.ctx, asynq.NewTask(orphan.JobNotify, payload)); err != nil {
		t.Fatalf("HandleOrphanNotify: %v", err)
	}
	if got, want := fmt.Sprint(b.composer.events), fmt.Sprintf("[%d:received]", p.ID); got != want {
		t.Errorf("composed %s, want %s", got, want)
	}
	if err := b.w.HandleOrphanNotify(b.ctx, asynq.NewTask(orphan.JobNotify, []byte(`{}`))); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("a bad payload = %v, want a permanent error", err)
	}
}

// An orphan no operator can be told of (none has started the bot) still leads
// someone to it: a warning and a metric.
func TestWorkers_HandleOrphanNotify_NoOperator(t *testing.T) {
	t.Parallel()
	b := setupOrphans(t)
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	b.w = workers.New(workers.Deps{
		Refunder: b.refunder, Outbox: postgres.NewOutbox(b.pool), Queue: b.env.Client, QueuePrefix: b.env.QueuePrefix,
		Registerer: reg, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Orphans: workers.OrphanDeps{Orphans: b.orphans, Composer: b.composer},
	})
	b.composer.nobody = true
	p := b.record(t, "stx-untold", core.Stars)
	task := asynq.NewTask(orphan.JobNotify, []byte(fmt.Sprintf(`{"orphan_id":%d,"event":"received"}`, p.ID)))
	if err := b.w.HandleOrphanNotify(b.ctx, task); err != nil {
		t.Fatalf("HandleOrphanNotify: %v", err)
	}
	if got := counterValue(t, reg, "vitrina_orphan_payments_untold_total"); got != 1 {
		t.Errorf("untold = %v, want 1", got)
	}
	if !strings.Contains(logs.String(), "no operator can be told") || !strings.Contains(logs.String(), fmt.Sprintf(`"orphan_id":%d`, p.ID)) {
		t.Errorf("log = %s", logs.String())
	}
}

// counterValue reads a counter without labels from reg; -1 when it is not there.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return -1
}
