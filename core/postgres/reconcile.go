package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core/reconcile"
)

// Reconcile is the PostgreSQL side of the Stars reconciliation.
type Reconcile struct {
	pool *pgxpool.Pool
}

var _ reconcile.Store = (*Reconcile)(nil)

// NewReconcile returns the reconciliation store on pool.
func NewReconcile(pool *pgxpool.Pool) *Reconcile { return &Reconcile{pool: pool} }

// StarsPayments returns the Stars payments recorded in [from, to), orphan
// payments (orphan_payments) included: Vitrina knows them too. A payment is
// refunded once Telegram confirmed the refund (status refunded); one whose refund
// is still pending counts as not refunded.
func (r *Reconcile) StarsPayments(ctx context.Context, from, to time.Time) ([]reconcile.StarPayment, error) {
	rows, err := r.pool.Query(ctx, `
		SELECT telegram_payment_charge_id, buyer_id, amount, created_at, status = 'refunded'
		FROM payments
		WHERE currency = 'XTR' AND created_at >= $1 AND created_at < $2
		UNION ALL
		SELECT telegram_payment_charge_id, payer_id, amount, received_at, status = 'refunded'
		FROM orphan_payments
		WHERE currency = 'XTR' AND received_at >= $1 AND received_at < $2
		ORDER BY 4, 1`, from, to)
	if err != nil {
		return nil, fmt.Errorf("stars payments: %w", err)
	}
	defer rows.Close()
	var out []reconcile.StarPayment
	for rows.Next() {
		var p reconcile.StarPayment
		if err := rows.Scan(&p.ChargeID, &p.UserID, &p.Amount, &p.At, &p.Refunded); err != nil {
			return nil, fmt.Errorf("stars payments: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stars payments: %w", err)
	}
	return out, nil
}
