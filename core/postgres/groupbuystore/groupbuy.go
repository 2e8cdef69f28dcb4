// Package groupbuystore is the PostgreSQL store of group buys (core/groupbuy):
// purchases and their participants' places.
package groupbuystore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

// Store implements groupbuy.Store.
type Store struct {
	postgres.Roles
	pool *pgxpool.Pool
}

var _ groupbuy.Store = (*Store)(nil)

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{Roles: postgres.NewRoles(pool), pool: pool} }

// tier is a tier as stored in group_buys.tiers.
type tier struct {
	From  int   `json:"from"`
	Price int64 `json:"price"`
}

const purchaseColumns = `id, shop_id, organizer_id, product_id, variant_ids, title, currency, tiers, min_kind, min_value,
	fee_bp, pickup_point_ids, shipping, deadline, pay_mode, pay_window_seconds, status, units, coalesce(price, 0),
	coalesce(stopped_at, 'epoch'), created_at, extended, cards, coalesce(shipping_total, 0)`

func scanPurchase(row pgx.Row) (groupbuy.Purchase, error) {
	var p groupbuy.Purchase
	var cur core.Currency
	var tiers []tier
	var window int
	var price int64
	err := row.Scan(&p.ID, &p.Shop, &p.Organizer, &p.Product, &p.Variants, &p.Title, &cur, &tiers, &p.Minimum.Kind,
		&p.Minimum.Value, &p.FeeBP, &p.Pickup, &p.Shipping, &p.Deadline, &p.PayMode, &window, &p.Status, &p.Totals.Units,
		&price, &p.StoppedAt, &p.CreatedAt, &p.Extended, &p.Cards, &p.ShippingTotal.Amount)
	if err != nil {
		return groupbuy.Purchase{}, err
	}
	for _, t := range tiers {
		p.Tiers = append(p.Tiers, groupbuy.Tier{From: t.From, Price: core.Money{Amount: t.Price, Currency: cur}})
	}
	p.PayWindow = time.Duration(window) * time.Second
	if price > 0 {
		p.Price = core.Money{Amount: price, Currency: cur}
	}
	p.StoppedAt = unepoch(p.StoppedAt)
	p.ShippingTotal.Currency = cur
	return p, nil
}

// CreatePurchase implements groupbuy.Store.
func (s *Store) CreatePurchase(ctx context.Context, p groupbuy.Purchase, jobs func(groupbuy.Purchase) []core.Job) (groupbuy.Purchase, error) {
	tiers := make([]tier, len(p.Tiers))
	for i, t := range p.Tiers {
		tiers[i] = tier{From: t.From, Price: t.Price.Amount}
	}
	body, err := json.Marshal(tiers)
	if err != nil {
		return groupbuy.Purchase{}, err
	}
	if p.Pickup == nil {
		p.Pickup = []core.PickupPointID{} // a shipping-only purchase: an empty list, not NULL
	}
	var made groupbuy.Purchase
	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var offered, points int
		err := tx.QueryRow(ctx, `
			SELECT (SELECT count(*) FROM variants v JOIN products pr ON pr.id = v.product_id
					WHERE v.id = ANY($3) AND v.product_id = $2 AND pr.shop_id = $1 AND pr.archived_at IS NULL),
				(SELECT count(*) FROM pickup_points WHERE id = ANY($4) AND shop_id = $1 AND archived_at IS NULL)`,
			p.Shop, p.Product, p.Variants, p.Pickup).Scan(&offered, &points)
		switch {
		case err != nil:
			return err
		case offered != len(p.Variants):
			return groupbuy.ErrNotOffered
		case points != len(p.Pickup):
			return groupbuy.ErrPickup
		}
		made, err = scanPurchase(tx.QueryRow(ctx, `
			INSERT INTO group_buys (shop_id, organizer_id, product_id, variant_ids, title, currency, tiers, min_kind,
				min_value, fee_bp, pickup_point_ids, shipping, deadline, pay_mode, pay_window_seconds, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			RETURNING `+purchaseColumns,
			p.Shop, p.Organizer, p.Product, p.Variants, p.Title, p.Currency(), body, p.Minimum.Kind, p.Minimum.Value,
			p.FeeBP, p.Pickup, p.Shipping, p.Deadline, p.PayMode, int(p.PayWindow/time.Second), p.CreatedAt))
		if err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs(made))
	})
	if err != nil {
		return groupbuy.Purchase{}, fmt.Errorf("create group buy: %w", err)
	}
	made.Totals.PerVariant = map[core.VariantID]int{}
	return made, nil
}

// Purchase implements groupbuy.Store.
func (s *Store) Purchase(ctx context.Context, id groupbuy.ID) (groupbuy.Purchase, error) {
	p, err := readPurchase(ctx, s.pool, id, false)
	if err != nil {
		return groupbuy.Purchase{}, fmt.Errorf("group buy %d: %w", id, err)
	}
	return p, nil
}

// PurchaseStatus implements groupbuy.Store.
func (s *Store) PurchaseStatus(ctx context.Context, id groupbuy.ID) (groupbuy.Status, error) {
	var st groupbuy.Status
	if err := s.pool.QueryRow(ctx, `SELECT status FROM group_buys WHERE id = $1`, id).Scan(&st); err != nil {
		return "", fmt.Errorf("group buy %d: %w", id, store.NotFound(err, groupbuy.ErrNotFound))
	}
	return st, nil
}

// readPurchase reads a purchase and its units per variant, locking its row
// when lock is set (q is then a transaction).
func readPurchase(ctx context.Context, q store.Querier, id groupbuy.ID, lock bool) (groupbuy.Purchase, error) {
	sql := `SELECT ` + purchaseColumns + ` FROM group_buys WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	p, err := scanPurchase(q.QueryRow(ctx, sql, id))
	if err != nil {
		return groupbuy.Purchase{}, store.NotFound(err, groupbuy.ErrNotFound)
	}
	if p.Totals.PerVariant, err = perVariant(ctx, q, id); err != nil {
		return groupbuy.Purchase{}, err
	}
	return p, nil
}

// perVariantSQL counts the units joined of each variant of a purchase ($1).
const perVariantSQL = `SELECT variant_id, sum(quantity)::int FROM group_buy_places
	WHERE purchase_id = $1 AND status = 'joined' GROUP BY variant_id`

// perVariant counts the units joined of each variant of a purchase.
func perVariant(ctx context.Context, q store.Querier, id groupbuy.ID) (map[core.VariantID]int, error) {
	rows, err := q.Query(ctx, perVariantSQL, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanPerVariant(rows)
}

// scanPerVariant reads perVariantSQL's rows.
func scanPerVariant(rows pgx.Rows) (map[core.VariantID]int, error) {
	per := map[core.VariantID]int{}
	for rows.Next() {
		var v core.VariantID
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, err
		}
		per[v] = n
	}
	return per, rows.Err()
}

// ChangePlace implements groupbuy.Store.
func (s *Store) ChangePlace(ctx context.Context, id groupbuy.ID, buyer core.UserID, v core.VariantID, now time.Time,
	fn func(groupbuy.Purchase, groupbuy.Place) (groupbuy.Place, error), jobs func(groupbuy.Purchase) []core.Job) (groupbuy.Purchase, groupbuy.Place, error) {
	var p groupbuy.Purchase
	var place groupbuy.Place
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// The purchase's row is the lock every join of it takes: the units and
		// the tier they make are never counted from a stale total.
		var err error
		p, err = scanPurchase(tx.QueryRow(ctx, `SELECT `+purchaseColumns+` FROM group_buys WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return store.NotFound(err, groupbuy.ErrNotFound)
		}
		was := groupbuy.Place{Purchase: id, Buyer: buyer, Variant: v}
		var status string
		was.JoinPrice.Currency = p.Currency()
		err = tx.QueryRow(ctx, `
			SELECT id, quantity, coalesce(pickup_point_id, 0), joined_at, status, coalesce(order_id, 0), coalesce(join_price, 0), join_seq,
				coalesce((SELECT o.status FROM orders o WHERE o.id = p.order_id), '')
			FROM group_buy_places p WHERE purchase_id = $1 AND buyer_id = $2 AND variant_id = $3`, id, buyer, v).
			Scan(&was.ID, &was.Quantity, &was.Pickup, &was.JoinedAt, &status, &was.Order, &was.JoinPrice.Amount, &was.JoinSeq, &was.OrderStatus)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if status == "left" {
			was.Quantity = 0
		}
		place, err = fn(p, was)
		if err != nil {
			return err
		}
		var pickup *core.PickupPointID
		if place.Pickup != 0 {
			pickup = &place.Pickup
		}
		// The place, the units, their count per variant and the jobs in one
		// round trip: every join of the purchase waits for its lock meanwhile.
		b := &pgx.Batch{}
		switch {
		case place.Quantity == 0 && was.ID != 0:
			b.Queue(`UPDATE group_buy_places SET status = 'left', updated_at = $2 WHERE id = $1`, was.ID, now)
		case place.Quantity > 0:
			b.Queue(`
				INSERT INTO group_buy_places (purchase_id, buyer_id, variant_id, quantity, pickup_point_id, status, joined_at, updated_at,
					join_price, order_id, join_seq)
				VALUES ($1, $2, $3, $4, $5, 'joined', $6, $7, nullif($8, 0), nullif($9, 0), $10)
				ON CONFLICT (purchase_id, buyer_id, variant_id) DO UPDATE
				SET quantity = excluded.quantity, pickup_point_id = excluded.pickup_point_id, status = 'joined',
					joined_at = excluded.joined_at, updated_at = excluded.updated_at,
					join_price = excluded.join_price, order_id = excluded.order_id, join_seq = excluded.join_seq
				RETURNING id`, id, buyer, v, place.Quantity, pickup, place.JoinedAt, now, place.JoinPrice.Amount, place.Order, place.JoinSeq).
				QueryRow(func(row pgx.Row) error { return row.Scan(&place.ID) })
		}
		if delta := place.Quantity - was.Quantity; delta != 0 {
			b.Queue(`UPDATE group_buys SET units = units + $2 WHERE id = $1 RETURNING units`, id, delta).
				QueryRow(func(row pgx.Row) error { return row.Scan(&p.Totals.Units) })
		}
		b.Queue(perVariantSQL, id).Query(func(rows pgx.Rows) error {
			p.Totals.PerVariant, err = scanPerVariant(rows)
			return err
		})
		if js := jobs(p); len(js) > 0 {
			store.QueueJobs(b, js)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return groupbuy.Purchase{}, groupbuy.Place{}, fmt.Errorf("place of %d in group buy %d: %w", buyer, id, err)
	}
	return p, place, nil
}

// BuyerPlaces implements groupbuy.Store.
func (s *Store) BuyerPlaces(ctx context.Context, id groupbuy.ID, buyer core.UserID) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.buyer_id = $2 AND p.status IN ('joined', 'released', 'passed') ORDER BY p.id`, buyer)
	if err != nil {
		return nil, fmt.Errorf("places of %d in group buy %d: %w", buyer, id, err)
	}
	return out, nil
}

// SettlePurchase implements groupbuy.Store.
func (s *Store) SettlePurchase(ctx context.Context, id groupbuy.ID,
	fn func(*groupbuy.Purchase, []groupbuy.Place) ([]groupbuy.Place, []core.Job, error)) (groupbuy.Purchase, error) {
	return s.update(ctx, id, nil, fn)
}

// placeColumns are a place's, its share and order.
// A place cut whole keeps what was asked in quantity, and keeps none of it.
const placeColumns = `id, buyer_id, variant_id, CASE WHEN status = 'cut' THEN 0 ELSE quantity END,
	coalesce(pickup_point_id, 0), joined_at, coalesce(goods, 0), coalesce(fee, 0), coalesce(order_id, 0), cut,
	coalesce(code, ''), coalesce(collected_at, 'epoch'), coalesce(from_place_id, 0), coalesce(pay_until, 'epoch'), status, coalesce(shipping, 0),
	coalesce(join_price, 0), coalesce(join_order_id, 0), coalesce(owed, 0), coalesce(owed_returned_at, 'epoch'), join_seq`

func scanPlace(row pgx.Row, id groupbuy.ID, cur core.Currency, extra ...any) (groupbuy.Place, error) {
	pl := groupbuy.Place{Purchase: id}
	err := row.Scan(append([]any{&pl.ID, &pl.Buyer, &pl.Variant, &pl.Quantity, &pl.Pickup, &pl.JoinedAt, &pl.Goods.Amount,
		&pl.Fee.Amount, &pl.Order, &pl.Cut, &pl.Code, &pl.Collected, &pl.From, &pl.PayUntil, &pl.Status, &pl.Shipping.Amount,
		&pl.JoinPrice.Amount, &pl.JoinOrder, &pl.Owed.Amount, &pl.OwedReturned, &pl.JoinSeq}, extra...)...)
	pl.Goods.Currency, pl.Fee.Currency, pl.Shipping.Currency = cur, cur, cur
	pl.JoinPrice.Currency, pl.Owed.Currency = cur, cur
	pl.Collected, pl.PayUntil, pl.OwedReturned = unepoch(pl.Collected), unepoch(pl.PayUntil), unepoch(pl.OwedReturned)
	return pl, err
}

// unepoch makes the epoch a query wrote for NULL the zero time.
func unepoch(t time.Time) time.Time {
	if t.Equal(time.Unix(0, 0)) {
		return time.Time{}
	}
	return t
}

// places reads, in q, the places of purchase id that cond picks (its
// arguments from $2; it may order and limit them), with their money in the
// purchase's currency.
func places(ctx context.Context, q store.Querier, id groupbuy.ID, cond string, args ...any) ([]groupbuy.Place, error) {
	cur, err := currency(ctx, q, id)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+placeColumns+` FROM group_buy_places p WHERE p.purchase_id = $1 AND `+cond,
		append([]any{id}, args...)...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.Place, error) { return scanPlace(r, id, cur) })
}

// joinedPaid reads, in tx, the joined places of purchase id, oldest first,
// each with its order's status.
func joinedPaid(ctx context.Context, tx pgx.Tx, id groupbuy.ID, cur core.Currency) ([]groupbuy.Place, error) {
	rows, err := tx.Query(ctx, `
		SELECT `+placeColumns+`, coalesce((SELECT o.status FROM orders o WHERE o.id = p.order_id), '')
		FROM group_buy_places p WHERE p.purchase_id = $1 AND p.status = 'joined' ORDER BY p.id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.Place, error) {
		var st order.Status
		pl, err := scanPlace(r, id, cur, &st)
		pl.OrderStatus = st
		return pl, err
	})
}

// ToInvoice implements groupbuy.Store.
func (s *Store) ToInvoice(ctx context.Context, id groupbuy.ID, after groupbuy.PlaceID, limit int) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.status = 'joined' AND p.id > $2
		AND (p.order_id IS NULL OR EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id
			AND o.status = 'awaiting_payment' AND o.invoice_message_id = 0))
		ORDER BY p.id LIMIT $3`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("places to invoice of group buy %d: %w", id, err)
	}
	return out, nil
}

// Participants implements groupbuy.Store.
func (s *Store) Participants(ctx context.Context, id groupbuy.ID, after core.UserID, limit int) ([]core.UserID, error) {
	// Those on the waiting list are told too (a stopped purchase cancelled):
	// only a stopped one has them.
	rows, err := s.pool.Query(ctx, `
		SELECT buyer_id FROM group_buy_places WHERE purchase_id = $1 AND status = 'joined' AND buyer_id > $2
		UNION
		SELECT buyer_id FROM group_buy_waiters WHERE purchase_id = $1 AND status IN ('waiting', 'offered') AND buyer_id > $2
		ORDER BY buyer_id LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("participants of group buy %d: %w", id, err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[core.UserID])
	if err != nil {
		return nil, fmt.Errorf("participants of group buy %d: %w", id, err)
	}
	return users, nil
}

// OrderedPlaces implements groupbuy.Store.
func (s *Store) OrderedPlaces(ctx context.Context, id groupbuy.ID) ([]core.OrderID, error) {
	// A pay-to-join place's join order, replaced at STOP, is called off too
	// (again: it was when replaced).
	rows, err := s.pool.Query(ctx, `
		SELECT o FROM group_buy_places, unnest(ARRAY[order_id, join_order_id]) o
		WHERE purchase_id = $1 AND o IS NOT NULL ORDER BY id, o`, id)
	if err != nil {
		return nil, fmt.Errorf("orders of group buy %d: %w", id, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[core.OrderID])
	if err != nil {
		return nil, fmt.Errorf("orders of group buy %d: %w", id, err)
	}
	return ids, nil
}

// Roster implements groupbuy.Store.
func (s *Store) Roster(ctx context.Context, id groupbuy.ID, limit int) ([]groupbuy.RosterLine, error) {
	cur, err := currency(ctx, s.pool, id)
	if err != nil {
		return nil, fmt.Errorf("group buy %d: %w", id, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+placeColumns+`, coalesce((SELECT o.status FROM orders o WHERE o.id = p.order_id), '')
		FROM group_buy_places p WHERE p.purchase_id = $1 AND p.status IN ('joined', 'released', 'passed') ORDER BY p.id LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("roster of group buy %d: %w", id, err)
	}
	lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.RosterLine, error) {
		var status order.Status
		pl, err := scanPlace(r, id, cur, &status)
		return groupbuy.RosterLine{Place: pl, OrderStatus: status}, err
	})
	if err != nil {
		return nil, fmt.Errorf("roster of group buy %d: %w", id, err)
	}
	return lines, nil
}

// GiveCodes implements groupbuy.Store.
func (s *Store) GiveCodes(ctx context.Context, id groupbuy.ID, code func() string) ([]groupbuy.Place, error) {
	var out []groupbuy.Place
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT p.id FROM group_buy_places p
			WHERE p.purchase_id = $1 AND p.status = 'joined' AND p.code IS NULL
				AND EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.status = 'paid')
			ORDER BY p.id FOR UPDATE`, id)
		if err != nil {
			return err
		}
		uncoded, err := pgx.CollectRows(rows, pgx.RowTo[groupbuy.PlaceID])
		if err != nil {
			return err
		}
		for _, place := range uncoded {
			// A code taken by another place of the purchase is made again.
			for {
				tag, err := tx.Exec(ctx, `
					UPDATE group_buy_places SET code = $2 WHERE id = $1
					AND NOT EXISTS (SELECT 1 FROM group_buy_places WHERE purchase_id = $3 AND code = $2)`, place, code(), id)
				if err != nil {
					return err
				}
				if tag.RowsAffected() == 1 {
					break
				}
			}
		}
		// Every coded place whose order is still only paid: those coded just
		// now, and those an earlier, interrupted arrival coded.
		out, err = places(ctx, tx, id, `p.status = 'joined' AND p.code IS NOT NULL
			AND EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.status = 'paid') ORDER BY p.id`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pickup codes of group buy %d: %w", id, err)
	}
	return out, nil
}

// currency reads a purchase's currency.
func currency(ctx context.Context, q store.Querier, id groupbuy.ID) (core.Currency, error) {
	var cur core.Currency
	if err := q.QueryRow(ctx, `SELECT currency FROM group_buys WHERE id = $1`, id).Scan(&cur); err != nil {
		return "", store.NotFound(err, groupbuy.ErrNotFound)
	}
	return cur, nil
}

// CodesToSend implements groupbuy.Store.
func (s *Store) CodesToSend(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.code IS NOT NULL AND p.code_sent_at IS NULL ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("codes to send of group buy %d: %w", id, err)
	}
	return out, nil
}

// Unpaid implements groupbuy.Store.
func (s *Store) Unpaid(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.status = 'joined'
		AND EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.status = 'awaiting_payment') ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("unpaid places of group buy %d: %w", id, err)
	}
	return out, nil
}

// Uncollected implements groupbuy.Store.
func (s *Store) Uncollected(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.status = 'joined' AND p.code_sent_at IS NOT NULL AND p.collected_at IS NULL ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("uncollected places of group buy %d: %w", id, err)
	}
	return out, nil
}

// CodeSent implements groupbuy.Store.
func (s *Store) CodeSent(ctx context.Context, place groupbuy.PlaceID, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE group_buy_places SET code_sent_at = $2 WHERE id = $1 AND code_sent_at IS NULL`, place, at); err != nil {
		return fmt.Errorf("code of place %d sent: %w", place, err)
	}
	return nil
}

// Collect implements groupbuy.Store.
func (s *Store) Collect(ctx context.Context, id groupbuy.ID, code string, at time.Time, fn func(groupbuy.Place) error) (groupbuy.Place, error) {
	var pl groupbuy.Place
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := currency(ctx, tx, id)
		if err != nil {
			return err
		}
		pl, err = scanPlace(tx.QueryRow(ctx, `SELECT `+placeColumns+` FROM group_buy_places
			WHERE purchase_id = $1 AND code = $2 FOR UPDATE`, id, code), id, cur)
		if err != nil {
			return store.NotFound(err, groupbuy.ErrCode)
		}
		if err := fn(pl); err != nil {
			return err
		}
		pl.Collected = at
		_, err = tx.Exec(ctx, `UPDATE group_buy_places SET collected_at = $2 WHERE id = $1`, pl.ID, at)
		return err
	})
	if err != nil {
		return groupbuy.Place{}, fmt.Errorf("collect with code in group buy %d: %w", id, err)
	}
	return pl, nil
}

// PlaceByCode implements groupbuy.Store.
func (s *Store) PlaceByCode(ctx context.Context, id groupbuy.ID, code string) (groupbuy.Place, error) {
	cur, err := currency(ctx, s.pool, id)
	if err != nil {
		return groupbuy.Place{}, err
	}
	pl, err := scanPlace(s.pool.QueryRow(ctx, `SELECT `+placeColumns+` FROM group_buy_places WHERE purchase_id = $1 AND code = $2`, id, code), id, cur)
	if err != nil {
		return groupbuy.Place{}, fmt.Errorf("place with a code in group buy %d: %w", id, store.NotFound(err, groupbuy.ErrCode))
	}
	return pl, nil
}

// CountParticipants implements groupbuy.Store.
func (s *Store) CountParticipants(ctx context.Context, id groupbuy.ID) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(DISTINCT buyer_id) FROM group_buy_places WHERE purchase_id = $1 AND status = 'joined'`, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("participants of group buy %d: %w", id, err)
	}
	return n, nil
}

// ShopPurchases implements groupbuy.Store.
func (s *Store) ShopPurchases(ctx context.Context, shop core.ShopID, organizer core.UserID, limit int) ([]groupbuy.Purchase, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+purchaseColumns+` FROM group_buys
		WHERE shop_id = $1 AND ($3 = 0 OR organizer_id = $3) ORDER BY id DESC LIMIT $2`, shop, limit, organizer)
	if err != nil {
		return nil, fmt.Errorf("group buys of shop %d: %w", shop, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.Purchase, error) { return scanPurchase(r) })
	if err != nil {
		return nil, fmt.Errorf("group buys of shop %d: %w", shop, err)
	}
	return out, nil
}

// WorksWith implements groupbuy.Store.
func (s *Store) WorksWith(ctx context.Context, shop core.ShopID, user core.UserID) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM kol_links WHERE shop_id = $1 AND kol_id = $2 AND ended_at IS NULL)`, shop, user).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("KOL %d of shop %d: %w", user, shop, err)
	}
	return ok, nil
}

// CutPlaces implements groupbuy.Store.
func (s *Store) CutPlaces(ctx context.Context, id groupbuy.ID) ([]groupbuy.Place, error) {
	out, err := places(ctx, s.pool, id, `p.cut > 0 ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("cut places of group buy %d: %w", id, err)
	}
	return out, nil
}

// SetPlaceOrder implements groupbuy.Store.
func (s *Store) SetPlaceOrder(ctx context.Context, place groupbuy.PlaceID, o core.OrderID) error {
	if _, err := s.pool.Exec(ctx, `UPDATE group_buy_places SET order_id = $2 WHERE id = $1 AND order_id IS NULL`, place, o); err != nil {
		return fmt.Errorf("order of place %d: %w", place, err)
	}
	return nil
}

// UpdatePurchase implements groupbuy.Store.
func (s *Store) UpdatePurchase(ctx context.Context, id groupbuy.ID, fn func(*groupbuy.Purchase) ([]core.Job, error)) (groupbuy.Purchase, error) {
	return s.update(ctx, id, fn, nil)
}

// update locks a purchase and lets fn change it, or settle change it and
// its joined places' shares (one of the two is given).
func (s *Store) update(ctx context.Context, id groupbuy.ID, fn func(*groupbuy.Purchase) ([]core.Job, error),
	settle func(*groupbuy.Purchase, []groupbuy.Place) ([]groupbuy.Place, []core.Job, error)) (groupbuy.Purchase, error) {
	var p groupbuy.Purchase
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if p, err = readPurchase(ctx, tx, id, true); err != nil {
			return err
		}
		var jobs []core.Job
		if fn != nil {
			if jobs, err = fn(&p); err != nil {
				return err
			}
		} else {
			joined, err := joinedPaid(ctx, tx, id, p.Currency())
			if err != nil {
				return err
			}
			settled, js, err := settle(&p, joined)
			if err != nil {
				return err
			}
			jobs = js
			if len(settled) > 0 {
				n := len(settled)
				ids, qty, cut, goods, fees := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
				left := make([]bool, n)
				for i, pl := range settled {
					ids[i], qty[i], cut[i], goods[i], fees[i] = int64(pl.ID), int64(pl.Quantity), int64(pl.Cut), pl.Goods.Amount, pl.Fee.Amount
					left[i] = pl.Status == groupbuy.PlaceLeft
				}
				// A place cut whole keeps its quantity on record (what was asked)
				// and is no longer joined; one that left keeps it too.
				if _, err := tx.Exec(ctx, `
					UPDATE group_buy_places p SET goods = CASE WHEN x.gone THEN p.goods ELSE x.goods END,
						fee = CASE WHEN x.gone THEN p.fee ELSE x.fee END, cut = x.cut,
						quantity = CASE WHEN x.qty > 0 THEN x.qty ELSE p.quantity END,
						status = CASE WHEN x.gone THEN 'left' WHEN x.qty > 0 THEN p.status ELSE 'cut' END
					FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::boolean[]) AS x(id, qty, cut, goods, fee, gone)
					WHERE p.id = x.id`, ids, qty, cut, goods, fees, left); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE group_buys SET units = $2 WHERE id = $1`, id, p.Totals.Units); err != nil {
					return err
				}
			}
		}
		if err := store.InsertJobs(ctx, tx, jobs); err != nil {
			return err
		}
		var price *int64
		if p.Price.Amount > 0 {
			price = &p.Price.Amount
		}
		var stopped *time.Time
		if !p.StoppedAt.IsZero() {
			stopped = &p.StoppedAt
		}
		_, err = tx.Exec(ctx, `UPDATE group_buys SET status = $2, price = $3, stopped_at = $4, deadline = $5, extended = $6 WHERE id = $1`,
			id, p.Status, price, stopped, p.Deadline, p.Extended)
		return err
	})
	if err != nil {
		return groupbuy.Purchase{}, fmt.Errorf("update group buy %d: %w", id, err)
	}
	return p, nil
}
