package groupbuystore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

const handoverColumns = `id, purchase_id, place_id, from_buyer, token, coalesce(to_buyer, 0), status, coalesce(new_place_id, 0), created_at`

func scanHandover(row pgx.Row) (groupbuy.Handover, error) {
	var h groupbuy.Handover
	err := row.Scan(&h.ID, &h.Purchase, &h.Place, &h.From, &h.Token, &h.To, &h.Status, &h.NewPlace, &h.CreatedAt)
	return h, err
}

// placeOrderStatus reads, in q, a place of a purchase and its order's status
// ("" for none).
func placeOrderStatus(ctx context.Context, q store.Querier, id groupbuy.ID, cond string, args ...any) (groupbuy.Place, order.Status, error) {
	cur, err := currency(ctx, q, id)
	if err != nil {
		return groupbuy.Place{}, "", err
	}
	var st order.Status
	pl, err := scanPlace(q.QueryRow(ctx, `SELECT `+placeColumns+`, coalesce((SELECT o.status FROM orders o WHERE o.id = p.order_id), '')
		FROM group_buy_places p WHERE p.purchase_id = $1 AND `+cond, append([]any{id}, args...)...), id, cur, &st)
	return pl, st, err
}

// InviteHandover implements groupbuy.Store.
func (s *Store) InviteHandover(ctx context.Context, id groupbuy.ID, buyer core.UserID, v core.VariantID, token string, now time.Time,
	check func(groupbuy.Purchase, groupbuy.Place, order.Status) error) (groupbuy.Handover, error) {
	var h groupbuy.Handover
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := readPurchase(ctx, tx, id, true)
		if err != nil {
			return err
		}
		pl, st, err := placeOrderStatus(ctx, tx, id, `p.buyer_id = $2 AND p.variant_id = $3 AND p.status = 'joined'`, buyer, v)
		if err != nil {
			return store.NotFound(err, groupbuy.ErrNotParticipant)
		}
		if err := check(p, pl, st); err != nil {
			return err
		}
		h, err = scanHandover(tx.QueryRow(ctx, `SELECT `+handoverColumns+` FROM group_buy_handovers
			WHERE place_id = $1 AND status IN ('invited', 'requested')`, pl.ID))
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		h, err = scanHandover(tx.QueryRow(ctx, `
			INSERT INTO group_buy_handovers (purchase_id, place_id, from_buyer, token, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'invited', $5, $5) RETURNING `+handoverColumns, id, pl.ID, buyer, token, now))
		return err
	})
	if err != nil {
		return groupbuy.Handover{}, fmt.Errorf("hand over a place in group buy %d: %w", id, err)
	}
	return h, nil
}

// HandoverByToken implements groupbuy.Store.
func (s *Store) HandoverByToken(ctx context.Context, token string) (groupbuy.Handover, groupbuy.Place, error) {
	h, err := scanHandover(s.pool.QueryRow(ctx, `SELECT `+handoverColumns+` FROM group_buy_handovers WHERE token = $1`, token))
	if err != nil {
		return groupbuy.Handover{}, groupbuy.Place{}, fmt.Errorf("handover: %w", store.NotFound(err, groupbuy.ErrHandoverGone))
	}
	pl, err := s.Place(ctx, h.Purchase, h.Place)
	return h, pl, err
}

// Handover implements groupbuy.Store.
func (s *Store) Handover(ctx context.Context, id groupbuy.HandoverID) (groupbuy.Handover, error) {
	h, err := scanHandover(s.pool.QueryRow(ctx, `SELECT `+handoverColumns+` FROM group_buy_handovers WHERE id = $1`, id))
	if err != nil {
		return groupbuy.Handover{}, fmt.Errorf("handover %d: %w", id, store.NotFound(err, groupbuy.ErrHandoverGone))
	}
	return h, nil
}

// ChangeHandover implements groupbuy.Store.
func (s *Store) ChangeHandover(ctx context.Context, id groupbuy.HandoverID, to core.UserID,
	fn func(*groupbuy.HandoverChange) ([]core.Job, error)) (groupbuy.Handover, error) {
	var c groupbuy.HandoverChange
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var purchase groupbuy.ID
		if err := tx.QueryRow(ctx, `SELECT purchase_id FROM group_buy_handovers WHERE id = $1`, id).Scan(&purchase); err != nil {
			return store.NotFound(err, groupbuy.ErrHandoverGone)
		}
		// The purchase's lock first, as every change of its places takes it.
		var err error
		if c.Purchase, err = readPurchase(ctx, tx, purchase, true); err != nil {
			return err
		}
		if c.Handover, err = scanHandover(tx.QueryRow(ctx, `SELECT `+handoverColumns+` FROM group_buy_handovers WHERE id = $1 FOR UPDATE`, id)); err != nil {
			return err
		}
		if c.Place, c.OrderStatus, err = placeOrderStatus(ctx, tx, purchase, `p.id = $2`, c.Handover.Place); err != nil {
			return err
		}
		who := to
		if who == 0 {
			who = c.Handover.To
		}
		if who != 0 {
			rows, err := tx.Query(ctx, `SELECT DISTINCT variant_id FROM group_buy_places WHERE purchase_id = $1 AND buyer_id = $2 AND status <> 'left'`, purchase, who)
			if err != nil {
				return err
			}
			if c.ToHolds, err = pgx.CollectRows(rows, pgx.RowTo[core.VariantID]); err != nil {
				return err
			}
		}
		jobs, err := fn(&c)
		if err != nil {
			return err
		}
		h := &c.Handover
		if c.Taken != nil {
			pl := c.Taken
			var pickup *core.PickupPointID
			if pl.Pickup != 0 {
				pickup = &pl.Pickup
			}
			if _, err := tx.Exec(ctx, `UPDATE group_buy_places SET status = 'passed', updated_at = $2 WHERE id = $1 AND status = 'joined'`, pl.From, pl.JoinedAt); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `
				INSERT INTO group_buy_places (purchase_id, buyer_id, variant_id, quantity, pickup_point_id, status, joined_at,
					updated_at, goods, fee, from_place_id, pay_until)
				VALUES ($1, $2, $3, $4, $5, 'joined', $6, $6, $7, $8, $9, $10) `+reuseLeft+` RETURNING id`,
				pl.Purchase, pl.Buyer, pl.Variant, pl.Quantity, pickup, pl.JoinedAt, pl.Goods.Amount, pl.Fee.Amount, pl.From, pl.PayUntil).
				Scan(&pl.ID); err != nil {
				return store.NotFound(err, groupbuy.ErrHasPlace) // a place of theirs in another state
			}
			h.NewPlace = pl.ID
			// Waiting for this size no more: they hold a place of it now.
			if _, err := tx.Exec(ctx, `UPDATE group_buy_waiters SET status = 'left'
				WHERE purchase_id = $1 AND buyer_id = $2 AND variant_id = $3 AND status IN ('waiting', 'offered')`,
				pl.Purchase, pl.Buyer, pl.Variant); err != nil {
				return err
			}
		}
		var toArg *core.UserID
		if h.To != 0 {
			toArg = &h.To
		}
		var newPlace *groupbuy.PlaceID
		if h.NewPlace != 0 {
			newPlace = &h.NewPlace
		}
		if _, err := tx.Exec(ctx, `UPDATE group_buy_handovers SET status = $2, to_buyer = $3, new_place_id = $4, updated_at = now() WHERE id = $1`,
			id, h.Status, toArg, newPlace); err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return groupbuy.Handover{}, fmt.Errorf("handover %d: %w", id, err)
	}
	return c.Handover, nil
}
