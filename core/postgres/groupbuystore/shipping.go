package groupbuystore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

// SplitShipping implements groupbuy.Store.
func (s *Store) SplitShipping(ctx context.Context, id groupbuy.ID,
	fn func(*groupbuy.Purchase, []groupbuy.ShippingShare) ([]core.Job, error)) ([]groupbuy.ShippingShare, error) {
	var shares []groupbuy.ShippingShare
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := readPurchase(ctx, tx, id, true)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT p.id, coalesce(p.goods, 0) FROM group_buy_places p JOIN orders o ON o.id = p.order_id
			WHERE p.purchase_id = $1 AND p.status = 'joined' AND p.pickup_point_id IS NOT NULL
				AND o.status IN ('paid', 'ready_for_pickup', 'completed')
			ORDER BY p.id`, id)
		if err != nil {
			return err
		}
		shares, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.ShippingShare, error) {
			var sh groupbuy.ShippingShare
			return sh, r.Scan(&sh.Place, &sh.Goods)
		})
		if err != nil {
			return err
		}
		jobs, err := fn(&p, shares)
		if err != nil {
			return err
		}
		ids, parts := make([]int64, len(shares)), make([]int64, len(shares))
		for i, sh := range shares {
			ids[i], parts[i] = int64(sh.Place), sh.Share
		}
		if _, err := tx.Exec(ctx, `
			UPDATE group_buy_places p SET shipping = x.part
			FROM unnest($1::bigint[], $2::bigint[]) AS x(id, part) WHERE p.id = x.id`, ids, parts); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE group_buys SET shipping_total = $2 WHERE id = $1`, id, p.ShippingTotal.Amount); err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return nil, fmt.Errorf("split the shipping of group buy %d: %w", id, err)
	}
	return shares, nil
}

// ShippingToInvoice implements groupbuy.Store.
func (s *Store) ShippingToInvoice(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.shipping > 0
		AND (p.shipping_order_id IS NULL OR EXISTS (SELECT 1 FROM orders o WHERE o.id = p.shipping_order_id
			AND o.status = 'awaiting_payment' AND o.invoice_message_id = 0))
		ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("shipping to invoice of group buy %d: %w", id, err)
	}
	return out, nil
}

// SetShippingOrder implements groupbuy.Store.
func (s *Store) SetShippingOrder(ctx context.Context, place groupbuy.PlaceID, o core.OrderID) error {
	if _, err := s.pool.Exec(ctx, `UPDATE group_buy_places SET shipping_order_id = $2 WHERE id = $1 AND shipping_order_id IS NULL`, place, o); err != nil {
		return fmt.Errorf("shipping order of place %d: %w", place, err)
	}
	return nil
}
