package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/orphan"
)

// Orphans is the store of orphan payments: payments whose invoice names no order.
type Orphans struct {
	pool *pgxpool.Pool
}

var _ orphan.Store = (*Orphans)(nil)

// NewOrphans returns the orphan payment store over pool.
func NewOrphans(pool *pgxpool.Pool) *Orphans { return &Orphans{pool: pool} }

const orphanSelect = `
	SELECT id, telegram_payment_charge_id, provider_payment_charge_id, amount, currency,
	       payer_id, payer_name, payer_username, invoice_payload, reason, status, received_at,
	       refund_requested_at, coalesce(refund_requested_by, 0), settled_at, coalesce(settled_by, 0)
	FROM orphan_payments`

func orphanScan(row pgx.Row) (orphan.Payment, error) {
	var p orphan.Payment
	var requested, settled *time.Time
	err := row.Scan(&p.ID, &p.TelegramChargeID, &p.ProviderChargeID, &p.Amount.Amount, &p.Amount.Currency,
		&p.PayerID, &p.PayerName, &p.PayerUsername, &p.Payload, &p.Reason, &p.Status, &p.ReceivedAt,
		&requested, &p.RefundRequestedBy, &settled, &p.SettledBy)
	if requested != nil {
		p.RefundRequestedAt = *requested
	}
	if settled != nil {
		p.SettledAt = *settled
	}
	return p, err
}

// Record inserts p unless its Telegram charge id is recorded already, with its
// jobs, in one transaction. A concurrent Record of the same charge waits on the
// unique index until the first commits, inserts nothing, and reads the row the
// first inserted.
func (s *Orphans) Record(ctx context.Context, p orphan.Payment, jobs func(orphan.Payment) []core.Job) (orphan.Payment, bool, error) {
	var out orphan.Payment
	created := false
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO orphan_payments (telegram_payment_charge_id, provider_payment_charge_id, amount, currency,
				payer_id, payer_name, payer_username, invoice_payload, reason, status, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (telegram_payment_charge_id) DO NOTHING
			RETURNING id`,
			p.TelegramChargeID, p.ProviderChargeID, p.Amount.Amount, p.Amount.Currency,
			p.PayerID, p.PayerName, p.PayerUsername, p.Payload, p.Reason, p.Status, p.ReceivedAt,
		).Scan(&p.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			// Recorded before: this statement saw the other transaction's commit.
			out, err = orphanScan(tx.QueryRow(ctx, orphanSelect+` WHERE telegram_payment_charge_id = $1`, p.TelegramChargeID))
			if err != nil {
				return fmt.Errorf("read orphan payment: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("insert orphan payment: %w", err)
		}
		out, created = p, true
		return insertJobs(ctx, tx, jobs(p))
	})
	if err != nil {
		return orphan.Payment{}, false, err
	}
	return out, created, nil
}

// Payment returns an orphan payment; orphan.ErrNotFound.
func (s *Orphans) Payment(ctx context.Context, id orphan.ID) (orphan.Payment, error) {
	p, err := orphanScan(s.pool.QueryRow(ctx, orphanSelect+` WHERE id = $1`, id))
	if err != nil {
		return orphan.Payment{}, fmt.Errorf("orphan payment %d: %w", id, notFound(err, orphan.ErrNotFound))
	}
	return p, nil
}

// Payments lists orphan payments by filter, newest first, and how many match.
func (s *Orphans) Payments(ctx context.Context, f orphan.Filter) ([]orphan.Payment, int, error) {
	status := f.Status
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM orphan_payments WHERE $1::text IS NULL OR status = $1`,
		status).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count orphan payments: %w", err)
	}
	rows, err := s.pool.Query(ctx, orphanSelect+`
		WHERE $1::text IS NULL OR status = $1
		ORDER BY id DESC LIMIT $2 OFFSET $3`, status, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list orphan payments: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (orphan.Payment, error) { return orphanScan(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("list orphan payments: %w", err)
	}
	return list, total, nil
}

// Update locks a payment, asks fn, and saves its change with the jobs.
func (s *Orphans) Update(ctx context.Context, id orphan.ID, fn func(orphan.Payment) (*orphan.Change, error)) (orphan.Payment, error) {
	var out orphan.Payment
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := orphanScan(tx.QueryRow(ctx, orphanSelect+` WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return fmt.Errorf("orphan payment %d: %w", id, notFound(err, orphan.ErrNotFound))
		}
		out = p
		c, err := fn(p)
		if err != nil || c == nil {
			return err
		}
		if err := orphanSave(ctx, tx, c); err != nil {
			return err
		}
		out = c.Payment
		return nil
	})
	return out, err
}

// RetryRefunds applies plan to up to limit payments whose refund was asked for
// before before and is not done, oldest first, skipping those locked by others,
// all in one transaction.
func (s *Orphans) RetryRefunds(ctx context.Context, before time.Time, limit int, plan func(orphan.Payment) (*orphan.Change, error)) (int, error) {
	n := 0
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, orphanSelect+`
			WHERE status = 'new' AND refund_requested_at < $1
			ORDER BY refund_requested_at, id
			LIMIT $2
			FOR UPDATE SKIP LOCKED`, before, limit)
		if err != nil {
			return fmt.Errorf("find orphan refunds to retry: %w", err)
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (orphan.Payment, error) { return orphanScan(r) })
		if err != nil {
			return fmt.Errorf("find orphan refunds to retry: %w", err)
		}
		for _, p := range list {
			c, err := plan(p)
			if err != nil {
				return err
			}
			if c == nil {
				continue
			}
			if err := orphanSave(ctx, tx, c); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// orphanSave writes what a change may change of a payment, and its jobs.
func orphanSave(ctx context.Context, tx pgx.Tx, c *orphan.Change) error {
	p := c.Payment
	_, err := tx.Exec(ctx, `
		UPDATE orphan_payments
		SET status = $2, refund_requested_at = $3, refund_requested_by = $4, settled_at = $5, settled_by = $6
		WHERE id = $1`,
		p.ID, p.Status, orderNullTime(p.RefundRequestedAt), orderNullID(int64(p.RefundRequestedBy)),
		orderNullTime(p.SettledAt), orderNullID(int64(p.SettledBy)))
	if err != nil {
		return fmt.Errorf("save orphan payment %d: %w", p.ID, err)
	}
	return insertJobs(ctx, tx, c.Jobs)
}
