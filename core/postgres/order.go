package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Orders is the order store: carts, orders, their payments and the stock they move.
type Orders struct {
	Roles // Role
	pool  *pgxpool.Pool
}

var _ order.Store = (*Orders)(nil)

// NewOrders returns the order store over pool.
func NewOrders(pool *pgxpool.Pool) *Orders { return &Orders{Roles: NewRoles(pool), pool: pool} }

// orderCheckoutKeyConstraint is the UNIQUE (buyer_id, checkout_key) of orders.
const orderCheckoutKeyConstraint = "orders_buyer_id_checkout_key_key"

// --- shops, staff, stock ---

// orderShopColumns read a shop for the order rules. The provider token is left out:
// orders never need the secret.
const orderShopColumns = `s.id, s.name, s.currency, s.payment_method, '',
	s.reservation_ttl_seconds, s.cart_reminder_seconds, s.review_request_days, s.blocked_at IS NOT NULL,
	s.created_by, s.created_at`

// Shop returns a shop's settings, without its provider token; catalog.ErrShopNotFound.
func (s *Orders) Shop(ctx context.Context, id core.ShopID) (catalog.Shop, error) {
	sh, err := scanShop(s.pool.QueryRow(ctx, `SELECT `+orderShopColumns+` FROM shops s WHERE s.id = $1`, id))
	if err != nil {
		return catalog.Shop{}, fmt.Errorf("shop %d: %w", id, notFound(err, catalog.ErrShopNotFound))
	}
	return sh, nil
}

const orderStockSelect = `
	SELECT v.id, v.product_id, v.shop_id, p.title, v.name, v.sku, v.price, s.currency, v.on_hand, v.reserved,
	       v.archived_at IS NOT NULL OR p.archived_at IS NOT NULL, s.blocked_at IS NOT NULL
	FROM variants v
	JOIN products p ON p.id = v.product_id
	JOIN shops s ON s.id = v.shop_id`

func orderScanStock(row pgx.Row) (order.Stock, error) {
	var st order.Stock
	err := row.Scan(&st.VariantID, &st.ProductID, &st.ShopID, &st.Title, &st.VariantName, &st.SKU,
		&st.Price.Amount, &st.Price.Currency, &st.OnHand, &st.Reserved, &st.Archived, &st.ShopBlocked)
	return st, err
}

// Stock returns a variant with its price and stock; catalog.ErrVariantNotFound.
func (s *Orders) Stock(ctx context.Context, id core.VariantID) (order.Stock, error) {
	st, err := orderScanStock(s.pool.QueryRow(ctx, orderStockSelect+` WHERE v.id = $1`, id))
	if err != nil {
		return order.Stock{}, fmt.Errorf("variant %d: %w", id, notFound(err, catalog.ErrVariantNotFound))
	}
	return st, nil
}

// ShippingOptions returns a shop's shipping options that are not archived, in the
// order they were added.
func (s *Orders) ShippingOptions(ctx context.Context, shop core.ShopID) ([]catalog.ShippingOption, error) {
	return shippingOptions(ctx, s.pool, shop)
}

// --- carts ---

// Carts returns the buyer's carts, by shop, with their items' current price and
// stock in the order they were added (Total not set); only shop's when shop is set.
func (s *Orders) Carts(ctx context.Context, buyer core.UserID, shop *core.ShopID) ([]order.Cart, error) {
	return orderCarts(ctx, s.pool, buyer, shop)
}

// orderCarts is Carts on q.
func orderCarts(ctx context.Context, q querier, buyer core.UserID, shop *core.ShopID) ([]order.Cart, error) {
	rows, err := q.Query(ctx, `
		SELECT c.shop_id, c.variant_id, v.product_id, p.title, v.name, c.quantity, v.price, s.currency,
		       v.on_hand - v.reserved, v.archived_at IS NOT NULL OR p.archived_at IS NOT NULL
		FROM cart_items c
		JOIN variants v ON v.id = c.variant_id
		JOIN products p ON p.id = v.product_id
		JOIN shops s ON s.id = c.shop_id
		WHERE c.buyer_id = $1 AND ($2::bigint IS NULL OR c.shop_id = $2)
		ORDER BY c.shop_id, c.added_at, c.variant_id`, buyer, shop)
	if err != nil {
		return nil, fmt.Errorf("carts of %d: %w", buyer, err)
	}
	defer rows.Close()
	var carts []order.Cart
	for rows.Next() {
		var shopID core.ShopID
		var it order.CartItem
		if err := rows.Scan(&shopID, &it.VariantID, &it.ProductID, &it.Title, &it.VariantName, &it.Quantity,
			&it.UnitPrice.Amount, &it.UnitPrice.Currency, &it.Available, &it.Archived); err != nil {
			return nil, fmt.Errorf("carts of %d: %w", buyer, err)
		}
		if n := len(carts); n == 0 || carts[n-1].ShopID != shopID {
			carts = append(carts, order.Cart{ShopID: shopID, BuyerID: buyer})
		}
		c := &carts[len(carts)-1]
		c.Items = append(c.Items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("carts of %d: %w", buyer, err)
	}
	return carts, nil
}

// CartQuantity returns how much of a variant is in the buyer's cart (0: none).
func (s *Orders) CartQuantity(ctx context.Context, buyer core.UserID, v core.VariantID) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT quantity FROM cart_items WHERE buyer_id = $1 AND variant_id = $2`, buyer, v).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cart quantity: %w", err)
	}
	return n, nil
}

// SetCartItem sets a cart line (a quantity of 0 removes it), records at as the
// cart's version, and writes jobs, in one transaction. A line keeps its place when
// its quantity changes.
func (s *Orders) SetCartItem(ctx context.Context, buyer core.UserID, shop core.ShopID, v core.VariantID, qty int, at time.Time, jobs []core.Job) error {
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		if qty == 0 {
			b.Queue(`DELETE FROM cart_items WHERE buyer_id = $1 AND variant_id = $2`, buyer, v)
		} else {
			b.Queue(`
				INSERT INTO cart_items (buyer_id, shop_id, variant_id, quantity) VALUES ($1, $2, $3, $4)
				ON CONFLICT (buyer_id, variant_id) DO UPDATE SET quantity = excluded.quantity`, buyer, shop, v, qty)
		}
		b.Queue(`
			INSERT INTO carts (buyer_id, shop_id, changed_at) VALUES ($1, $2, $3)
			ON CONFLICT (buyer_id, shop_id) DO UPDATE SET changed_at = greatest(carts.changed_at, excluded.changed_at)`,
			buyer, shop, at)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		return insertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return fmt.Errorf("set cart item %d: %w", v, err)
	}
	return nil
}

// RemindCart locks the version of the buyer's cart in shop, reads its state and, if
// decide allows, records now as when the buyer was reminded of it.
func (s *Orders) RemindCart(ctx context.Context, buyer core.UserID, shop core.ShopID, now time.Time, decide func(order.CartState) error) (order.CartState, error) {
	var st order.CartState
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		var changed, reminded *time.Time
		err := tx.QueryRow(ctx, `
			SELECT changed_at, reminded_at,
				EXISTS (SELECT 1 FROM orders WHERE buyer_id = $1 AND shop_id = $2 AND created_at >= carts.changed_at)
			FROM carts WHERE buyer_id = $1 AND shop_id = $2 FOR UPDATE`, buyer, shop).Scan(&changed, &reminded, &st.OrderedSince)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("lock cart: %w", err)
		}
		if changed != nil {
			st.ChangedAt = *changed
		}
		if reminded != nil {
			st.RemindedAt = *reminded
		}
		if st.Shop, err = scanShop(tx.QueryRow(ctx, `SELECT `+orderShopColumns+` FROM shops s WHERE s.id = $1`, shop)); err != nil {
			return fmt.Errorf("shop %d: %w", shop, notFound(err, catalog.ErrShopNotFound))
		}
		st.Cart = order.Cart{ShopID: shop, BuyerID: buyer, Total: core.Money{Currency: st.Shop.Currency}}
		carts, err := orderCarts(ctx, tx, buyer, &shop)
		if err != nil {
			return err
		}
		if len(carts) > 0 {
			st.Cart = carts[0]
		}
		if err := decide(st); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE carts SET reminded_at = $3 WHERE buyer_id = $1 AND shop_id = $2`, buyer, shop, now)
		return err
	})
	return st, err
}

// ClearCart empties the buyer's cart in a shop.
func (s *Orders) ClearCart(ctx context.Context, buyer core.UserID, shop core.ShopID) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM cart_items WHERE buyer_id = $1 AND shop_id = $2`, buyer, shop); err != nil {
		return fmt.Errorf("clear cart: %w", err)
	}
	return nil
}

// --- checkout ---

// Checkout returns the buyer's order made with req.Key if there is one; else it
// reads a snapshot, asks plan for the new order and creates it in one transaction.
// When a concurrent checkout with the same key commits first, this one rolls back
// (its reservations with it) and returns that order.
//
// Statements go in pipelined batches (a drop's hot path): begin, read, write,
// enqueue, reserve, commit.
func (s *Orders) Checkout(ctx context.Context, req order.CheckoutRequest, plan func(order.CheckoutSnapshot) (*order.Change, error)) (order.Order, error) {
	var out order.Order
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		snap, existing, err := orderCheckoutSnapshot(ctx, tx, req)
		if err != nil {
			return err
		}
		if existing != 0 {
			out, err = orderRead(ctx, tx, `WHERE o.id = $1`, existing)
			return err
		}
		c, err := plan(snap)
		if err != nil {
			return err
		}
		if err := orderApply(ctx, tx, c, req.Key); err != nil {
			return err
		}
		out = c.Order
		return nil
	})
	if isCode(err, uniqueViolation, orderCheckoutKeyConstraint) {
		o, err := orderRead(ctx, s.pool, `WHERE o.buyer_id = $1 AND o.checkout_key = $2`, req.BuyerID, req.Key)
		if err != nil {
			return order.Order{}, fmt.Errorf("order by checkout key: %w", err)
		}
		return o, nil
	}
	if err != nil {
		return order.Order{}, err
	}
	return out, nil
}

// orderCheckoutSnapshot reads, in one round trip, what checkout decides on, and
// the id of the buyer's order made with req.Key if there is one.
func orderCheckoutSnapshot(ctx context.Context, tx pgx.Tx, req order.CheckoutRequest) (order.CheckoutSnapshot, core.OrderID, error) {
	snap := order.CheckoutSnapshot{Items: req.Items, FromCart: len(req.Items) == 0}
	var existing *core.OrderID
	b := &pgx.Batch{}
	b.Queue(`
		SELECT `+orderShopColumns+`, nextval(pg_get_serial_sequence('orders', 'id')),
			(SELECT id FROM orders WHERE buyer_id = $2 AND checkout_key = $3)
		FROM shops s WHERE s.id = $1`, req.ShopID, req.BuyerID, req.Key,
	).QueryRow(func(row pgx.Row) error {
		var err error
		snap.Shop, err = scanShop(row, &snap.OrderID, &existing)
		if err != nil {
			return fmt.Errorf("shop %d: %w", req.ShopID, notFound(err, catalog.ErrShopNotFound))
		}
		return nil
	})
	var stock []order.Stock
	collectStock := func(rows pgx.Rows) error {
		var err error
		stock, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.Stock, error) { return orderScanStock(r) })
		if err != nil {
			return fmt.Errorf("read stock: %w", err)
		}
		return nil
	}
	if snap.FromCart {
		b.Queue(`
			SELECT variant_id, quantity FROM cart_items WHERE buyer_id = $1 AND shop_id = $2
			ORDER BY added_at, variant_id`, req.BuyerID, req.ShopID,
		).Query(func(rows pgx.Rows) error {
			var err error
			snap.Items, err = pgx.CollectRows(rows, pgx.RowToStructByPos[order.Item])
			if err != nil {
				return fmt.Errorf("read cart: %w", err)
			}
			return nil
		})
		b.Queue(orderStockSelect+` WHERE v.id IN (SELECT variant_id FROM cart_items WHERE buyer_id = $1 AND shop_id = $2)`,
			req.BuyerID, req.ShopID).Query(collectStock)
	} else {
		ids := make([]core.VariantID, len(req.Items))
		for i, it := range req.Items {
			ids[i] = it.VariantID
		}
		b.Queue(orderStockSelect+` WHERE v.id = ANY($1)`, ids).Query(collectStock)
	}
	if req.PickupPointID != 0 {
		b.Queue(`SELECT id, shop_id, name, address, hours FROM pickup_points WHERE id = $1 AND archived_at IS NULL`,
			req.PickupPointID,
		).QueryRow(func(row pgx.Row) error {
			var pp catalog.PickupPoint
			err := row.Scan(&pp.ID, &pp.ShopID, &pp.Name, &pp.Address, &pp.Hours)
			switch {
			case err == nil:
				snap.PickupPoint = &pp
			case !errors.Is(err, pgx.ErrNoRows):
				return fmt.Errorf("read pickup point: %w", err)
			}
			return nil
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return snap, 0, err
	}
	if existing != nil {
		return snap, *existing, nil
	}
	snap.Stock = make(map[core.VariantID]order.Stock, len(stock))
	for _, st := range stock {
		snap.Stock[st.VariantID] = st
	}
	return snap, 0, nil
}

// --- changing orders ---

// UpdateOrder locks an order, reads its snapshot with actor's role, and applies what
// fn decides. When fn fails, it returns the order as read with fn's error.
func (s *Orders) UpdateOrder(ctx context.Context, id core.OrderID, actor core.UserID, fn func(order.Snapshot) (*order.Change, error)) (order.Order, error) {
	var out order.Order
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = orderUpdateLocked(ctx, tx, id, actor, fn)
		return err
	})
	return out, err
}

// UpdateDueOrder applies fn to the oldest order awaiting payment whose reservation
// ended by now, that no one else holds and that is not in skip. When that fails, the
// order returned carries the id of the order it failed on.
func (s *Orders) UpdateDueOrder(ctx context.Context, now time.Time, skip []core.OrderID, fn func(order.Snapshot) (*order.Change, error)) (order.Order, bool, error) {
	var out order.Order
	var id core.OrderID
	if skip == nil {
		skip = []core.OrderID{} // a nil slice is NULL, and id <> ALL(NULL) is never true
	}
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			SELECT id FROM orders
			WHERE status = 'awaiting_payment' AND reserved_until <= $1 AND id <> ALL($2)
			ORDER BY reserved_until, id
			LIMIT 1
			FOR UPDATE SKIP LOCKED`, now, skip).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find due order: %w", err)
		}
		out, err = orderUpdateLocked(ctx, tx, id, 0, fn)
		return err
	})
	if err != nil && id != 0 && out.ID == 0 {
		out.ID = id
	}
	return out, id != 0, err
}

// RetryRefunds writes the refund job of up to limit Stars payments again, oldest
// first: those waiting for their refund since before (their job was last written
// then), skipping those another sweep holds. Each is marked asked for at now, with
// its job, in one transaction. It returns how many.
func (s *Orders) RetryRefunds(ctx context.Context, before, now time.Time, limit int, job func(order.Charge) core.Job) (int, error) {
	n := 0
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, orderChargeSelect+`
			WHERE status = 'refund_pending' AND currency = $1 AND refund_requested_at < $2
			ORDER BY refund_requested_at, id
			LIMIT $3
			FOR UPDATE SKIP LOCKED`, core.Stars, before, limit)
		if err != nil {
			return fmt.Errorf("find refunds to retry: %w", err)
		}
		chs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.Charge, error) { return orderScanCharge(r) })
		if err != nil {
			return fmt.Errorf("find refunds to retry: %w", err)
		}
		if len(chs) == 0 {
			return nil
		}
		ids := make([]core.PaymentID, len(chs))
		jobs := make([]core.Job, len(chs))
		for i, ch := range chs {
			ids[i], jobs[i] = ch.ID, job(ch)
		}
		if _, err := tx.Exec(ctx, `UPDATE payments SET refund_requested_at = $2 WHERE id = ANY($1)`, ids, now); err != nil {
			return fmt.Errorf("mark refunds asked for: %w", err)
		}
		if err := insertJobs(ctx, tx, jobs); err != nil {
			return err
		}
		n = len(chs)
		return nil
	})
	return n, err
}

// orderUpdateLocked is UpdateOrder inside tx.
func orderUpdateLocked(ctx context.Context, tx pgx.Tx, id core.OrderID, actor core.UserID, fn func(order.Snapshot) (*order.Change, error)) (order.Order, error) {
	snap, err := orderSnapshot(ctx, tx, id, actor)
	if err != nil {
		return order.Order{}, err
	}
	c, err := fn(snap)
	if err != nil {
		return snap.Order, err
	}
	if c == nil {
		return snap.Order, nil
	}
	if err := orderApply(ctx, tx, c, ""); err != nil {
		return order.Order{}, err
	}
	return c.Order, nil
}

// orderSnapshot locks the order and reads what its rules decide on, in one round
// trip: the first statement takes the lock, the others run after it.
func orderSnapshot(ctx context.Context, tx pgx.Tx, id core.OrderID, actor core.UserID) (order.Snapshot, error) {
	var snap order.Snapshot
	var lines []orderLine
	b := &pgx.Batch{}
	b.Queue(`SELECT `+orderColumns+` FROM orders o WHERE o.id = $1 FOR UPDATE`, id).QueryRow(func(row pgx.Row) error {
		var err error
		snap.Order, err = orderScan(row)
		if err != nil {
			return fmt.Errorf("lock order %d: %w", id, notFound(err, order.ErrOrderNotFound))
		}
		return nil
	})
	b.Queue(orderLinesSelect+` WHERE order_id = $1 ORDER BY line_no`, id).Query(func(rows pgx.Rows) error {
		var err error
		lines, err = pgx.CollectRows(rows, orderScanLine)
		return err
	})
	// The actor's role is read here, in the transaction and the batch, rather than
	// with Roles.Role: the rules decide on it under the order's lock, the shop's id
	// is known only from the order, and a query on the pool would take a second
	// connection while this one holds the lock. It is staffRole's query, '' for none.
	b.Queue(`
		SELECT `+orderShopColumns+`, coalesce((SELECT role FROM shop_staff WHERE shop_id = s.id AND user_id = $2), '')
		FROM shops s WHERE s.id = (SELECT shop_id FROM orders WHERE id = $1)`, id, actor,
	).QueryRow(func(row pgx.Row) error {
		var err error
		snap.Shop, err = scanShop(row, &snap.ActorRole)
		if err != nil {
			return fmt.Errorf("shop of order %d: %w", id, err)
		}
		return nil
	})
	b.Queue(orderChargeSelect+` WHERE order_id = $1 ORDER BY id`, id).Query(func(rows pgx.Rows) error {
		var err error
		snap.Charges, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.Charge, error) { return orderScanCharge(r) })
		if err != nil {
			return fmt.Errorf("payments of order %d: %w", id, err)
		}
		return nil
	})
	// Shipping options matter only to a shipped order; archived ones too (see Snapshot).
	b.Queue(shippingOptionSelect+`
		WHERE o.shop_id = (SELECT shop_id FROM orders WHERE id = $1 AND delivery = 'shipping')
		ORDER BY o.id`, id,
	).Query(func(rows pgx.Rows) error {
		var err error
		snap.ShippingOptions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.ShippingOption, error) { return scanShippingOption(r) })
		if err != nil {
			return fmt.Errorf("shipping options of order %d: %w", id, err)
		}
		if len(snap.ShippingOptions) == 0 {
			snap.ShippingOptions = nil
		}
		return nil
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return snap, err
	}
	for _, l := range lines {
		l.line.UnitPrice.Currency = snap.Order.Total.Currency
		snap.Order.Lines = append(snap.Order.Lines, l.line)
	}
	return snap, nil
}

// orderApply writes a change: in one round trip the order (created when key is
// set, updated otherwise), its cart, payments and history; then its jobs; and last,
// in one more round trip, its stock moves and a new order's lines, so that hot
// variant rows stay locked only until the commit.
func orderApply(ctx context.Context, tx pgx.Tx, c *order.Change, key string) error {
	o := c.Order
	b := &pgx.Batch{}
	if key != "" {
		b.Queue(`
			INSERT INTO orders (id, shop_id, buyer_id, status, currency, items_total, shipping_total, total, delivery,
				pickup_point_id, shipping_option_id, shipping_address, contact, checkout_key, reserved_until,
				created_at, updated_at, remind_at, lot_id, fee_total, group_buy_id, team_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
			o.ID, o.ShopID, o.BuyerID, o.Status, o.Total.Currency, o.ItemsTotal.Amount, o.ShippingTotal.Amount,
			o.Total.Amount, o.Delivery, orderNullID(int64(o.PickupPointID)), orderNullID(int64(o.ShippingOptionID)),
			orderJSON(o.ShippingAddress), orderJSON(o.Contact), key, orderNullTime(o.ReservedUntil), o.CreatedAt, o.UpdatedAt,
			orderNullTime(o.RemindAt), orderNullID(int64(o.Lot)), o.Fee.Amount, orderNullID(int64(o.GroupBuy)), orderNullID(int64(o.Team)))
	} else {
		b.Queue(`
			UPDATE orders SET status = $2, items_total = $3, shipping_total = $4, total = $5, pickup_point_id = $6,
				shipping_option_id = $7, shipping_address = $8, contact = $9, reserved_until = $10, tracking_note = $11,
				cancel_reason = $12, paid_at = $13, updated_at = $14, completed_at = $15, remind_at = $16,
				reminded_at = $17, review_requested_at = $18
			WHERE id = $1`,
			o.ID, o.Status, o.ItemsTotal.Amount, o.ShippingTotal.Amount, o.Total.Amount,
			orderNullID(int64(o.PickupPointID)), orderNullID(int64(o.ShippingOptionID)),
			orderJSON(o.ShippingAddress), orderJSON(o.Contact), orderNullTime(o.ReservedUntil), o.TrackingNote,
			o.CancelReason, orderNullTime(o.PaidAt), o.UpdatedAt, orderNullTime(o.CompletedAt), orderNullTime(o.RemindAt),
			orderNullTime(o.RemindedAt), orderNullTime(o.ReviewRequestedAt))
	}
	if c.ClearCart {
		vs := make([]core.VariantID, len(o.Lines))
		for i, l := range o.Lines {
			vs[i] = l.VariantID
		}
		b.Queue(`DELETE FROM cart_items WHERE buyer_id = $1 AND variant_id = ANY($2)`, o.BuyerID, vs)
	}
	if ch := c.NewCharge; ch != nil {
		if ch.BuyerID != o.BuyerID {
			// Whoever paid must be on record, or the payment could not be: a
			// payment is never lost to a missing user row.
			b.Queue(`INSERT INTO users (id) VALUES ($1) ON CONFLICT DO NOTHING`, ch.BuyerID)
		}
		b.Queue(`
			INSERT INTO payments (order_id, buyer_id, telegram_payment_charge_id, provider_payment_charge_id, amount,
				currency, status, refund_reason, created_at, refund_requested_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $7 = 'refund_pending' THEN $9::timestamptz END)
			ON CONFLICT (telegram_payment_charge_id) DO NOTHING`,
			ch.OrderID, ch.BuyerID, ch.TelegramChargeID, ch.ProviderChargeID, ch.Amount.Amount, ch.Amount.Currency,
			ch.Status, ch.RefundReason, ch.CreatedAt,
		).Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() == 0 {
				return order.ErrDuplicatePayment
			}
			return nil
		})
	}
	for _, ch := range c.Charges {
		// refund_requested_at: when the refund job was written (see RetryRefunds).
		b.Queue(`
			UPDATE payments SET status = $2, refund_reason = $3, refunded_at = $4,
				refund_requested_at = CASE WHEN $2 = 'refund_pending' THEN coalesce(refund_requested_at, $5) ELSE refund_requested_at END
			WHERE telegram_payment_charge_id = $1`,
			ch.TelegramChargeID, ch.Status, ch.RefundReason, orderNullTime(ch.RefundedAt), c.At)
	}
	if h := c.History; h != nil {
		b.Queue(`INSERT INTO order_events (order_id, status, actor_id, note, created_at) VALUES ($1, $2, $3, $4, $5)`,
			o.ID, h.Status, orderNullID(int64(c.Actor)), h.Note, c.At)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		if errors.Is(err, order.ErrDuplicatePayment) {
			return err
		}
		return fmt.Errorf("save order %d: %w", o.ID, err)
	}
	if err := insertJobs(ctx, tx, c.Jobs); err != nil {
		return err
	}
	return orderMoveStock(ctx, tx, c, key != "")
}

// orderMoveStock applies a change's stock moves in variant id order (so concurrent
// changes lock variants in one order and cannot deadlock), each with its ledger row
// in the same statement, and writes a new order's lines after them. A move that
// would leave on hand below reserved, or reserved below zero, changes nothing and
// fails the change: ErrSoldOut or ErrNotEnoughStock.
//
// The lines come last because their foreign key share-locks the variant: written
// before the reservation, every checkout in flight would hold a lock on the hot row
// that each update of it must merge (a MultiXact), and throughput collapses with
// the number of buyers. Written after, they lock a row this transaction holds.
func orderMoveStock(ctx context.Context, tx pgx.Tx, c *order.Change, withLines bool) error {
	moves := slices.Clone(c.Stock)
	slices.SortStableFunc(moves, func(a, b order.StockMove) int { return cmp.Compare(a.VariantID, b.VariantID) })
	b := &pgx.Batch{}
	var refused *order.StockMove
	errRefused := errors.New("stock move refused")
	for _, m := range moves {
		b.Queue(`
			WITH v AS (
				UPDATE variants SET on_hand = on_hand + $2, reserved = reserved + $3
				WHERE id = $1 AND on_hand + $2 >= reserved + $3 AND reserved + $3 >= 0
				RETURNING id, on_hand, reserved
			)
			INSERT INTO stock_movements (variant_id, kind, on_hand_before, on_hand_after, reserved_before,
				reserved_after, actor_id, order_id, created_at)
			SELECT id, $4, on_hand - $2, on_hand, reserved - $3, reserved, $5, $6, $7 FROM v`,
			m.VariantID, m.OnHand, m.Reserved, m.Kind, orderNullID(int64(c.Actor)), c.Order.ID, c.At,
		).Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() != 1 {
				refused = &m
				return errRefused
			}
			return nil
		})
	}
	if withLines {
		o := c.Order
		for _, l := range o.Lines {
			b.Queue(`
				INSERT INTO order_lines (order_id, line_no, variant_id, product_id, title, sku, quantity, unit_price)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				o.ID, l.No, l.VariantID, l.ProductID, l.Title, l.SKU, l.Quantity, l.UnitPrice.Amount)
		}
	}
	err := tx.SendBatch(ctx, b).Close()
	if err == nil {
		// Stock released or returned may bring a sold-out variant back.
		gained := map[core.VariantID]int{}
		for _, m := range moves {
			if d := m.OnHand - m.Reserved; d > 0 {
				gained[m.VariantID] += d
			}
		}
		return restockJobs(ctx, tx, gained)
	}
	if refused == nil { // a CHECK of variants too: the WHERE should have refused first
		return fmt.Errorf("move stock of order %d: %w", c.Order.ID, err)
	}
	m := *refused
	if m.OnHand-m.Reserved >= 0 {
		// Giving stock back never runs short while the books are right.
		return fmt.Errorf("move stock of variant %d: %s of %d on hand, %d reserved refused", m.VariantID, m.Kind, m.OnHand, m.Reserved)
	}
	var available int
	if err := tx.QueryRow(ctx, `SELECT on_hand - reserved FROM variants WHERE id = $1`, m.VariantID).Scan(&available); err != nil {
		return fmt.Errorf("stock of variant %d: %w", m.VariantID, notFound(err, catalog.ErrVariantNotFound))
	}
	if available <= 0 {
		return order.ErrSoldOut
	}
	return order.ErrNotEnoughStock
}

// --- reading ---

const orderColumns = `o.id, o.shop_id, o.buyer_id, o.status, o.currency, o.items_total, o.shipping_total, o.total,
	o.delivery, coalesce(o.pickup_point_id, 0), coalesce(o.shipping_option_id, 0), o.shipping_address, o.contact,
	o.reserved_until, o.tracking_note, o.cancel_reason, o.created_at, o.paid_at, o.updated_at, o.completed_at,
	o.remind_at, o.reminded_at, o.review_requested_at, o.invoice_message_id, coalesce(o.lot_id, 0), o.fee_total,
	coalesce(o.group_buy_id, 0), coalesce(o.team_id, 0),
	coalesce((SELECT t.status = 'forming' FROM teams t WHERE t.id = o.team_id), false)`

func orderScan(row pgx.Row, extra ...any) (order.Order, error) {
	var o order.Order
	var cur core.Currency
	var address, contact []byte
	var reservedUntil, paidAt, completedAt, remindAt, remindedAt, reviewRequestedAt *time.Time
	dest := append([]any{&o.ID, &o.ShopID, &o.BuyerID, &o.Status, &cur, &o.ItemsTotal.Amount,
		&o.ShippingTotal.Amount, &o.Total.Amount, &o.Delivery, &o.PickupPointID, &o.ShippingOptionID, &address,
		&contact, &reservedUntil, &o.TrackingNote, &o.CancelReason, &o.CreatedAt, &paidAt, &o.UpdatedAt,
		&completedAt, &remindAt, &remindedAt, &reviewRequestedAt, &o.InvoiceMessageID, &o.Lot, &o.Fee.Amount, &o.GroupBuy, &o.Team, &o.TeamForming}, extra...)
	if err := row.Scan(dest...); err != nil {
		return order.Order{}, err
	}
	for _, t := range []struct {
		to   *time.Time
		from *time.Time
	}{{&o.CompletedAt, completedAt}, {&o.RemindAt, remindAt}, {&o.RemindedAt, remindedAt}, {&o.ReviewRequestedAt, reviewRequestedAt}} {
		if t.from != nil {
			*t.to = *t.from
		}
	}
	o.ItemsTotal.Currency, o.ShippingTotal.Currency, o.Total.Currency, o.Fee.Currency = cur, cur, cur, cur
	if reservedUntil != nil {
		o.ReservedUntil = *reservedUntil
	}
	if paidAt != nil {
		o.PaidAt = *paidAt
	}
	if address != nil {
		o.ShippingAddress = new(order.Address)
		if err := json.Unmarshal(address, o.ShippingAddress); err != nil {
			return order.Order{}, fmt.Errorf("shipping address of order %d: %w", o.ID, err)
		}
	}
	if contact != nil {
		o.Contact = new(order.Contact)
		if err := json.Unmarshal(contact, o.Contact); err != nil {
			return order.Order{}, fmt.Errorf("contact of order %d: %w", o.ID, err)
		}
	}
	return o, nil
}

// orderRead reads one order with its lines; where selects it. ErrOrderNotFound.
func orderRead(ctx context.Context, q querier, where string, args ...any) (order.Order, error) {
	o, err := orderScan(q.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders o `+where, args...))
	if err != nil {
		return order.Order{}, notFound(err, order.ErrOrderNotFound)
	}
	list := []order.Order{o}
	if err := orderReadLines(ctx, q, list); err != nil {
		return order.Order{}, err
	}
	return list[0], nil
}

const orderLinesSelect = `
	SELECT order_id, line_no, variant_id, product_id, title, sku, quantity, unit_price FROM order_lines`

// orderLine is a line with the order it belongs to; its price's currency is the
// order's, filled in by the reader.
type orderLine struct {
	orderID core.OrderID
	line    order.Line
}

func orderScanLine(row pgx.CollectableRow) (orderLine, error) {
	var l orderLine
	err := row.Scan(&l.orderID, &l.line.No, &l.line.VariantID, &l.line.ProductID, &l.line.Title, &l.line.SKU,
		&l.line.Quantity, &l.line.UnitPrice.Amount)
	return l, err
}

// orderReadLines fills in the lines of orders.
func orderReadLines(ctx context.Context, q querier, orders []order.Order) error {
	if len(orders) == 0 {
		return nil
	}
	at := make(map[core.OrderID]int, len(orders))
	ids := make([]core.OrderID, len(orders))
	for i, o := range orders {
		at[o.ID] = i
		ids[i] = o.ID
	}
	rows, err := q.Query(ctx, orderLinesSelect+` WHERE order_id = ANY($1) ORDER BY order_id, line_no`, ids)
	if err != nil {
		return fmt.Errorf("read order lines: %w", err)
	}
	lines, err := pgx.CollectRows(rows, orderScanLine)
	if err != nil {
		return fmt.Errorf("read order lines: %w", err)
	}
	for _, l := range lines {
		o := &orders[at[l.orderID]]
		l.line.UnitPrice.Currency = o.Total.Currency
		o.Lines = append(o.Lines, l.line)
	}
	return nil
}

// InvoiceSent records messageID as the invoice message of the buyer's order id,
// keeping a later one already recorded (message ids grow in a chat). It leaves
// updated_at alone: the order itself did not change. found is false when buyer has
// no order id.
func (s *Orders) InvoiceSent(ctx context.Context, id core.OrderID, buyer core.UserID, messageID int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE orders SET invoice_message_id = greatest(invoice_message_id, $3)
		WHERE id = $1 AND buyer_id = $2`, id, buyer, messageID)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// BeginInvoice implements order.Store.
func (s *Orders) BeginInvoice(ctx context.Context, id core.OrderID, buyer core.UserID, now, until time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE orders SET invoice_sending_until = $4
		WHERE id = $1 AND buyer_id = $2 AND invoice_message_id = 0
			AND (invoice_sending_until IS NULL OR invoice_sending_until <= $3)`, id, buyer, now, until)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// EndInvoice implements order.Store.
func (s *Orders) EndInvoice(ctx context.Context, id core.OrderID) error {
	_, err := s.pool.Exec(ctx, `UPDATE orders SET invoice_sending_until = NULL WHERE id = $1`, id)
	return err
}

// Order returns an order with its lines; ErrOrderNotFound.
func (s *Orders) Order(ctx context.Context, id core.OrderID) (order.Order, error) {
	o, err := orderRead(ctx, s.pool, `WHERE o.id = $1`, id)
	if err != nil {
		return order.Order{}, fmt.Errorf("order %d: %w", id, err)
	}
	return o, nil
}

// Orders lists orders by filter newest first, with their lines, and how many match
// in all.
func (s *Orders) Orders(ctx context.Context, f order.Filter) ([]order.Order, int, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.ShopID != nil {
		where = append(where, "o.shop_id = "+arg(*f.ShopID))
	}
	if f.BuyerID != nil {
		where = append(where, "o.buyer_id = "+arg(*f.BuyerID))
	}
	if len(f.Statuses) > 0 {
		where = append(where, "o.status = ANY("+arg(f.Statuses)+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM orders o `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", err)
	}
	limit, offset := arg(f.Limit), arg(f.Offset)
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders o `+cond+
		` ORDER BY o.id DESC LIMIT `+limit+` OFFSET `+offset, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.Order, error) { return orderScan(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	if err := orderReadLines(ctx, s.pool, list); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

const orderChargeSelect = `
	SELECT id, order_id, buyer_id, telegram_payment_charge_id, provider_payment_charge_id, amount, currency,
	       status, refund_reason, created_at, refunded_at
	FROM payments`

func orderScanCharge(row pgx.Row) (order.Charge, error) {
	var ch order.Charge
	var refundedAt *time.Time
	err := row.Scan(&ch.ID, &ch.OrderID, &ch.BuyerID, &ch.TelegramChargeID, &ch.ProviderChargeID, &ch.Amount.Amount,
		&ch.Amount.Currency, &ch.Status, &ch.RefundReason, &ch.CreatedAt, &refundedAt)
	if refundedAt != nil {
		ch.RefundedAt = *refundedAt
	}
	return ch, err
}

// Charge returns a recorded payment by its Telegram charge id; ErrChargeNotFound.
func (s *Orders) Charge(ctx context.Context, telegramChargeID string) (order.Charge, error) {
	ch, err := orderScanCharge(s.pool.QueryRow(ctx, orderChargeSelect+` WHERE telegram_payment_charge_id = $1`, telegramChargeID))
	if err != nil {
		return order.Charge{}, fmt.Errorf("payment: %w", notFound(err, order.ErrChargeNotFound))
	}
	return ch, nil
}

// Charges returns the payments recorded for an order, oldest first (none for an
// order that does not exist).
func (s *Orders) Charges(ctx context.Context, id core.OrderID) ([]order.Charge, error) {
	rows, err := s.pool.Query(ctx, orderChargeSelect+` WHERE order_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("payments of order %d: %w", id, err)
	}
	chs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order.Charge, error) { return orderScanCharge(r) })
	if err != nil {
		return nil, fmt.Errorf("payments of order %d: %w", id, err)
	}
	return chs, nil
}

// Totals counts a shop's orders in one of statuses paid since the time, in the
// shop's currency, and sums their totals; catalog.ErrShopNotFound.
func (s *Orders) Totals(ctx context.Context, shop core.ShopID, since time.Time, statuses []order.Status) (order.Totals, error) {
	var t order.Totals
	err := s.pool.QueryRow(ctx, `
		SELECT s.currency, count(o.id), coalesce(sum(o.total), 0)
		FROM shops s
		LEFT JOIN orders o ON o.shop_id = s.id AND o.currency = s.currency AND o.paid_at >= $2 AND o.status = ANY($3)
		WHERE s.id = $1
		GROUP BY s.id`, shop, since, statuses).Scan(&t.Revenue.Currency, &t.Orders, &t.Revenue.Amount)
	if err != nil {
		return order.Totals{}, fmt.Errorf("totals of shop %d: %w", shop, notFound(err, catalog.ErrShopNotFound))
	}
	return t, nil
}

// --- column helpers ---

// orderNullID stores an id of 0 (none) as NULL.
func orderNullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// orderNullTime stores a zero time (never) as NULL.
func orderNullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// orderJSON stores a nil pointer as NULL and anything else as JSON.
func orderJSON[T any](v *T) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil // Address and Contact are plain strings: they always encode
	}
	return b
}
