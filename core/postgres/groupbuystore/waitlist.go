package groupbuystore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

const waiterColumns = `id, purchase_id, buyer_id, variant_id, coalesce(pickup_point_id, 0), status, coalesce(place_id, 0),
	coalesce(offer_until, 'epoch'), queued_at`

func scanWaiter(row pgx.Row, extra ...any) (groupbuy.Waiter, error) {
	var w groupbuy.Waiter
	err := row.Scan(append([]any{&w.ID, &w.Purchase, &w.Buyer, &w.Variant, &w.Pickup, &w.Status, &w.Place, &w.OfferUntil, &w.QueuedAt}, extra...)...)
	w.OfferUntil = unepoch(w.OfferUntil)
	return w, err
}

// Waitlist implements groupbuy.Store.
func (s *Store) Waitlist(ctx context.Context, id groupbuy.ID, buyer core.UserID, now time.Time,
	fn func(*groupbuy.Waitlist) ([]core.Job, error)) (groupbuy.Waitlist, error) {
	var w groupbuy.Waitlist
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if w.Purchase, err = readPurchase(ctx, tx, id, true); err != nil {
			return err
		}
		if st := w.Purchase.Status; st == groupbuy.StatusStopped || st == groupbuy.StatusArrived {
			// A place whose order ended unpaid is free: its buyer gave it up.
			// (A purchase called off cancels its orders too: its places stay.)
			if _, err := tx.Exec(ctx, `
				UPDATE group_buy_places p SET status = 'released', updated_at = $2
				FROM orders o WHERE p.purchase_id = $1 AND p.status = 'joined' AND o.id = p.order_id
					AND o.status IN ('expired', 'cancelled')`, id, now); err != nil {
				return err
			}
			// A place taken from the list (or handed over) that never got its
			// order (its invoices' task came after its payment deadline).
			if _, err := tx.Exec(ctx, `
				UPDATE group_buy_places SET status = 'released', updated_at = $2
				WHERE purchase_id = $1 AND status = 'joined' AND order_id IS NULL AND pay_until < $2`, id, now); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT `+waiterColumns+` FROM group_buy_waiters
			WHERE purchase_id = $1 AND (status IN ('waiting', 'offered') OR buyer_id = $2) ORDER BY queued_at, id`, id, buyer)
		if err != nil {
			return err
		}
		if w.Waiters, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.Waiter, error) { return scanWaiter(r) }); err != nil {
			return err
		}
		if w.Free, err = places(ctx, tx, id, `p.status = 'released' ORDER BY p.id`); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `
			SELECT DISTINCT p.buyer_id, p.variant_id FROM group_buy_places p JOIN group_buy_waiters w
				ON w.purchase_id = p.purchase_id AND w.buyer_id = p.buyer_id AND w.status IN ('waiting', 'offered')
			WHERE p.purchase_id = $1 AND p.status <> 'left'`, id)
		if err != nil {
			return err
		}
		w.Holds = map[core.UserID][]core.VariantID{}
		for rows.Next() {
			var b core.UserID
			var v core.VariantID
			if err := rows.Scan(&b, &v); err != nil {
				rows.Close()
				return err
			}
			w.Holds[b] = append(w.Holds[b], v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if buyer != 0 {
			rows, err := tx.Query(ctx, `SELECT DISTINCT variant_id FROM group_buy_places WHERE purchase_id = $1 AND buyer_id = $2 AND status <> 'left'`, id, buyer)
			if err != nil {
				return err
			}
			if w.Held, err = pgx.CollectRows(rows, pgx.RowTo[core.VariantID]); err != nil {
				return err
			}
		}
		jobs, err := fn(&w)
		if err != nil {
			return err
		}
		if err := saveWaitlist(ctx, tx, &w, now); err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return groupbuy.Waitlist{}, fmt.Errorf("waiting list of group buy %d: %w", id, err)
	}
	return w, nil
}

// reuseLeft makes a place taken (from the list, or handed over) reuse the
// taker's row of the variant if they left it before STOP: one row a buyer and
// variant. A row in any other state is theirs still (no row comes back).
const reuseLeft = `ON CONFLICT (purchase_id, buyer_id, variant_id) DO UPDATE
	SET quantity = excluded.quantity, pickup_point_id = excluded.pickup_point_id, status = 'joined',
		joined_at = excluded.joined_at, updated_at = excluded.updated_at, goods = excluded.goods, fee = excluded.fee,
		from_place_id = excluded.from_place_id, pay_until = excluded.pay_until, order_id = NULL, cut = 0
	WHERE group_buy_places.status = 'left'`

// saveWaitlist writes what a change of a waiting list left: the places
// passed on and taken, then the waiters (a taker's names their new place).
func saveWaitlist(ctx context.Context, tx pgx.Tx, w *groupbuy.Waitlist, now time.Time) error {
	if len(w.Passed) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE group_buy_places SET status = 'passed', updated_at = $2 WHERE id = ANY($1)`, w.Passed, now); err != nil {
			return err
		}
	}
	taken := map[groupbuy.PlaceID]groupbuy.PlaceID{} // the place freed -> the one made of it
	for i, pl := range w.Taken {
		var pickup *core.PickupPointID
		if pl.Pickup != 0 {
			pickup = &pl.Pickup
		}
		if err := tx.QueryRow(ctx, `
			INSERT INTO group_buy_places (purchase_id, buyer_id, variant_id, quantity, pickup_point_id, status, joined_at,
				updated_at, goods, fee, from_place_id, pay_until)
			VALUES ($1, $2, $3, $4, $5, 'joined', $6, $6, $7, $8, $9, $10)
			`+reuseLeft+`
			RETURNING id`, pl.Purchase, pl.Buyer, pl.Variant, pl.Quantity, pickup, pl.JoinedAt, pl.Goods.Amount, pl.Fee.Amount,
			pl.From, pl.PayUntil).Scan(&w.Taken[i].ID); err != nil {
			return store.NotFound(err, groupbuy.ErrHasPlace) // a place of theirs in another state
		}
		taken[pl.From] = w.Taken[i].ID
	}
	for i, wt := range w.Waiters {
		place := wt.Place
		if wt.Status == groupbuy.WaitTook {
			place = taken[wt.Place]
			w.Waiters[i].Place = place
		}
		var placeArg *groupbuy.PlaceID
		if place != 0 {
			placeArg = &place
		}
		var until *time.Time
		if !wt.OfferUntil.IsZero() {
			until = &wt.OfferUntil
		}
		var pickup *core.PickupPointID
		if wt.Pickup != 0 {
			pickup = &wt.Pickup
		}
		if wt.ID == 0 {
			// Waiting again after passing or leaving queues anew.
			if err := tx.QueryRow(ctx, `
				INSERT INTO group_buy_waiters (purchase_id, buyer_id, variant_id, pickup_point_id, status, place_id, offer_until, queued_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (purchase_id, buyer_id, variant_id) DO UPDATE
				SET pickup_point_id = excluded.pickup_point_id, status = excluded.status, place_id = excluded.place_id,
					offer_until = excluded.offer_until, queued_at = excluded.queued_at
				RETURNING id`, wt.Purchase, wt.Buyer, wt.Variant, pickup, wt.Status, placeArg, until, wt.QueuedAt).Scan(&w.Waiters[i].ID); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.Exec(ctx, `
			UPDATE group_buy_waiters SET pickup_point_id = $2, status = $3, place_id = $4, offer_until = $5, queued_at = $6
			WHERE id = $1`, wt.ID, pickup, wt.Status, placeArg, until, wt.QueuedAt); err != nil {
			return err
		}
	}
	return nil
}

// BuyerWaits implements groupbuy.Store.
func (s *Store) BuyerWaits(ctx context.Context, id groupbuy.ID, buyer core.UserID) ([]groupbuy.Waiter, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+waiterColumns+`, (SELECT count(*) FROM group_buy_waiters q WHERE q.purchase_id = w.purchase_id
			AND q.variant_id = w.variant_id AND q.status IN ('waiting', 'offered') AND (q.queued_at, q.id) <= (w.queued_at, w.id))::int
		FROM group_buy_waiters w WHERE purchase_id = $1 AND buyer_id = $2 AND status IN ('waiting', 'offered') ORDER BY id`, id, buyer)
	if err != nil {
		return nil, fmt.Errorf("waits of %d in group buy %d: %w", buyer, id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.Waiter, error) {
		var pos int
		w, err := scanWaiter(r, &pos)
		w.Position = pos
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("waits of %d in group buy %d: %w", buyer, id, err)
	}
	return out, nil
}

// Waiter implements groupbuy.Store.
func (s *Store) Waiter(ctx context.Context, id groupbuy.ID, buyer core.UserID, v core.VariantID) (groupbuy.Waiter, error) {
	w, err := scanWaiter(s.pool.QueryRow(ctx, `SELECT `+waiterColumns+` FROM group_buy_waiters
		WHERE purchase_id = $1 AND buyer_id = $2 AND variant_id = $3`, id, buyer, v))
	if err != nil {
		return groupbuy.Waiter{}, fmt.Errorf("waiter %d of group buy %d: %w", buyer, id, store.NotFound(err, groupbuy.ErrOfferGone))
	}
	return w, nil
}

// Place implements groupbuy.Store.
func (s *Store) Place(ctx context.Context, id groupbuy.ID, place groupbuy.PlaceID) (groupbuy.Place, error) {
	cur, err := currency(ctx, s.pool, id)
	if err != nil {
		return groupbuy.Place{}, err
	}
	pl, err := scanPlace(s.pool.QueryRow(ctx, `SELECT `+placeColumns+` FROM group_buy_places WHERE purchase_id = $1 AND id = $2`, id, place), id, cur)
	if err != nil {
		return groupbuy.Place{}, fmt.Errorf("place %d of group buy %d: %w", place, id, store.NotFound(err, groupbuy.ErrNotParticipant))
	}
	return pl, nil
}

// WaitlistSize implements groupbuy.Store.
func (s *Store) WaitlistSize(ctx context.Context, id groupbuy.ID) (waiting, free int, err error) {
	err = s.pool.QueryRow(ctx, `
		SELECT (SELECT count(DISTINCT buyer_id) FROM group_buy_waiters WHERE purchase_id = $1 AND status IN ('waiting', 'offered'))::int,
			(SELECT count(*) FROM group_buy_places WHERE purchase_id = $1 AND status = 'released')::int`, id).Scan(&waiting, &free)
	if err != nil {
		return 0, 0, fmt.Errorf("waiting list of group buy %d: %w", id, err)
	}
	return waiting, free, nil
}
