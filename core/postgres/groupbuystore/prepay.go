package groupbuystore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

// LinkJoinOrder implements groupbuy.Store.
func (s *Store) LinkJoinOrder(ctx context.Context, place groupbuy.PlaceID, seq int, o core.OrderID) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE group_buy_places SET order_id = $3
		WHERE id = $1 AND status = 'joined' AND join_seq = $2 AND (order_id IS NULL OR order_id = $3)`, place, seq, o)
	if err != nil {
		return false, fmt.Errorf("join order of place %d: %w", place, err)
	}
	return tag.RowsAffected() == 1, nil
}

// UnpaidJoins implements groupbuy.Store.
func (s *Store) UnpaidJoins(ctx context.Context, id groupbuy.ID, before time.Time) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.status = 'joined' AND (
		(p.order_id IS NULL AND p.joined_at < $2)
		OR EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.status IN ('expired', 'cancelled')))
		ORDER BY p.id`, before)
	if err != nil {
		return nil, fmt.Errorf("unpaid places of group buy %d: %w", id, err)
	}
	return out, nil
}

// Prepaid implements groupbuy.Store.
func (s *Store) Prepaid(ctx context.Context, id groupbuy.ID, after groupbuy.PlaceID, limit int) ([]groupbuy.PrepaidPlace, error) {
	cur, err := currency(ctx, s.pool, id)
	if err != nil {
		return nil, fmt.Errorf("group buy %d: %w", id, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+placeColumns+`, coalesce((SELECT o.status FROM orders o WHERE o.id = p.order_id), ''),
			coalesce((SELECT o.total FROM orders o WHERE o.id = p.order_id), 0)
		FROM group_buy_places p WHERE p.purchase_id = $1 AND p.status = 'joined' AND p.id > $2 ORDER BY p.id LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("prepaid places of group buy %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.PrepaidPlace, error) {
		var status order.Status
		var total int64
		pl, err := scanPlace(r, id, cur, &status, &total)
		return groupbuy.PrepaidPlace{Place: pl, OrderStatus: status, OrderTotal: core.Money{Amount: total, Currency: cur}}, err
	})
	if err != nil {
		return nil, fmt.Errorf("prepaid places of group buy %d: %w", id, err)
	}
	return out, nil
}

// ReplaceOrder implements groupbuy.Store.
func (s *Store) ReplaceOrder(ctx context.Context, place groupbuy.PlaceID, o core.OrderID) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE group_buy_places SET join_order_id = coalesce(order_id, join_order_id), order_id = $2
		WHERE id = $1 AND order_id IS DISTINCT FROM $2`, place, o)
	if err != nil {
		return fmt.Errorf("final order of place %d: %w", place, err)
	}
	return nil
}

// OweBack implements groupbuy.Store.
func (s *Store) OweBack(ctx context.Context, place groupbuy.PlaceID, owed core.Money, job core.Job) error {
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE group_buy_places SET owed = $2 WHERE id = $1 AND owed IS NULL`, place, owed.Amount)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return store.InsertJobs(ctx, tx, []core.Job{job})
	})
	if err != nil {
		return fmt.Errorf("owed back of place %d: %w", place, err)
	}
	return nil
}

// ReturnOwed implements groupbuy.Store.
func (s *Store) ReturnOwed(ctx context.Context, id groupbuy.ID, place groupbuy.PlaceID, at time.Time, job core.Job) (groupbuy.Place, error) {
	var pl groupbuy.Place
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := currency(ctx, tx, id)
		if err != nil {
			return err
		}
		pl, err = scanPlace(tx.QueryRow(ctx, `SELECT `+placeColumns+` FROM group_buy_places p
			WHERE p.purchase_id = $1 AND p.id = $2 FOR UPDATE`, id, place), id, cur)
		switch {
		case err != nil:
			return store.NotFound(err, groupbuy.ErrNotOwed)
		case pl.Owed.Amount == 0:
			return groupbuy.ErrNotOwed
		case !pl.OwedReturned.IsZero():
			return nil // recorded already
		}
		pl.OwedReturned = at
		if _, err := tx.Exec(ctx, `UPDATE group_buy_places SET owed_returned_at = $2 WHERE id = $1`, place, at); err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, []core.Job{job})
	})
	if err != nil {
		return groupbuy.Place{}, fmt.Errorf("owed back of place %d: %w", place, err)
	}
	return pl, nil
}
