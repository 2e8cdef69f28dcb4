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
func (s *Store) LinkJoinOrder(ctx context.Context, id groupbuy.ID, place groupbuy.PlaceID, seq int, o core.OrderID) (bool, error) {
	var linked bool
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// Shared with the other joins' links, exclusive of STOP, the close and
		// a cancel (they lock the row for update): each sees this order linked,
		// or the link sees the purchase closed.
		var status groupbuy.Status
		if err := tx.QueryRow(ctx, `SELECT status FROM group_buys WHERE id = $1 FOR SHARE`, id).Scan(&status); err != nil {
			return store.NotFound(err, groupbuy.ErrNotFound)
		}
		if status != groupbuy.StatusOpen {
			return groupbuy.ErrClosed
		}
		tag, err := tx.Exec(ctx, `
			UPDATE group_buy_places SET order_id = $4
			WHERE id = $2 AND purchase_id = $1 AND status = 'joined' AND join_seq = $3 AND (order_id IS NULL OR order_id = $4)`,
			id, place, seq, o)
		linked = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("join order of place %d: %w", place, err)
	}
	return linked, nil
}

// UnpaidJoins implements groupbuy.Store.
func (s *Store) UnpaidJoins(ctx context.Context, id groupbuy.ID, before time.Time) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.status = 'joined' AND (
		(p.order_id IS NULL AND p.joined_at < $2)
		OR EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id
			AND o.status IN ('expired', 'cancelled', 'refund_pending', 'refunded')))
		AND p.join_seq > 0 -- (joined to be paid: not before paying to join was built)
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
			coalesce((SELECT o.total - o.shipping_total FROM orders o WHERE o.id = p.order_id), 0)
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
func (s *Store) ReplaceOrder(ctx context.Context, place groupbuy.PlaceID, o core.OrderID) (core.OrderID, error) {
	var prev core.OrderID
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(order_id, 0) FROM group_buy_places WHERE id = $1 FOR UPDATE`, place).Scan(&prev); err != nil {
			return err
		}
		if prev == o {
			prev = 0
			return nil
		}
		_, err := tx.Exec(ctx, `
			UPDATE group_buy_places SET join_order_id = coalesce(order_id, join_order_id), order_id = $2 WHERE id = $1`, place, o)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("final order of place %d: %w", place, err)
	}
	return prev, nil
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
