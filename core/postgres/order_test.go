package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// Every package-level name in this file starts with "order": the catalog's tests
// share the package.

// orderEnv is one test's world: its own database, the order store and service over
// it, and a clock that moves only when told.
type orderEnv struct {
	t     testing.TB
	ctx   context.Context
	pool  *pgxpool.Pool
	url   string
	store *Orders
	clock *core.FakeClock
	svc   *order.Service
	seq   atomic.Int64 // for unique names
}

// orderStart is when every test's clock starts.
var orderStart = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func orderSetup(t testing.TB) *orderEnv {
	t.Helper()
	pool, url := pgtest.NewDB(t)
	e := &orderEnv{t: t, ctx: context.Background(), pool: pool, url: url, clock: core.NewFakeClock(orderStart)}
	e.store = NewOrders(pool)
	e.svc = order.NewService(e.store, e.clock)
	return e
}

// orderStarsShop is the world of most payment tests: a database with a Stars shop
// selling one variant at 50 XTR with 5 in stock, and a buyer (user 100).
func orderStarsShop(t testing.TB) (*orderEnv, orderShop, core.UserID, core.VariantID) {
	t.Helper()
	e := orderSetup(t)
	shop := e.shop(orderShopOpts{Stars: true})
	return e, shop, e.user(100), e.variant(shop, 50, 5)
}

func (e *orderEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *orderEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// user records a Telegram user, as the bot does when they first write.
func (e *orderEnv) user(id core.UserID) core.UserID {
	e.t.Helper()
	e.exec(`INSERT INTO users (id, first_name) VALUES ($1, 'u') ON CONFLICT DO NOTHING`, id)
	return id
}

// orderShopOpts describes a test shop; the zero value is a card shop in RUB.
type orderShopOpts struct {
	Stars   bool
	TTL     time.Duration // default 10 minutes
	Blocked bool
}

// orderShop is a test shop and its owner.
type orderShop struct {
	ID    core.ShopID
	Owner core.UserID
	Cur   core.Currency
}

func (e *orderEnv) shop(o orderShopOpts) orderShop {
	e.t.Helper()
	n := e.seq.Add(1)
	owner := e.user(core.UserID(9000 + n))
	cur, method := core.Currency("RUB"), "card"
	if o.Stars {
		cur, method = core.Stars, "stars"
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	var blocked *time.Time
	if o.Blocked {
		blocked = &orderStart
	}
	var id core.ShopID
	err := e.pool.QueryRow(e.ctx, `
		INSERT INTO shops (name, currency, payment_method, reservation_ttl_seconds, blocked_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		fmt.Sprint("shop ", n), cur, method, int(ttl/time.Second), blocked, owner).Scan(&id)
	if err != nil {
		e.t.Fatalf("insert shop: %v", err)
	}
	e.exec(`INSERT INTO shop_staff (shop_id, user_id, role) VALUES ($1, $2, 'owner')`, id, owner)
	return orderShop{ID: id, Owner: owner, Cur: cur}
}

// manager adds a manager to a shop.
func (e *orderEnv) manager(shop orderShop, id core.UserID) core.UserID {
	e.t.Helper()
	e.user(id)
	e.exec(`INSERT INTO shop_staff (shop_id, user_id, role) VALUES ($1, $2, 'manager')`, shop.ID, id)
	return id
}

// variant adds a product with one variant of the given price and opening stock,
// with the receipt in the ledger as the catalog writes it.
func (e *orderEnv) variant(shop orderShop, price int64, stock int) core.VariantID {
	e.t.Helper()
	n := e.seq.Add(1)
	var product core.ProductID
	if err := e.pool.QueryRow(e.ctx, `INSERT INTO products (shop_id, title) VALUES ($1, $2) RETURNING id`,
		shop.ID, fmt.Sprint("product ", n)).Scan(&product); err != nil {
		e.t.Fatalf("insert product: %v", err)
	}
	var v core.VariantID
	if err := e.pool.QueryRow(e.ctx, `
		INSERT INTO variants (product_id, shop_id, sku, price, on_hand) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		product, shop.ID, fmt.Sprint("SKU-", n), price, stock).Scan(&v); err != nil {
		e.t.Fatalf("insert variant: %v", err)
	}
	e.exec(`
		INSERT INTO stock_movements (variant_id, kind, on_hand_before, on_hand_after, reserved_before, reserved_after)
		VALUES ($1, 'receipt', 0, $2, 0, 0)`, v, stock)
	return v
}

func (e *orderEnv) pickup(shop orderShop) core.PickupPointID {
	e.t.Helper()
	var id core.PickupPointID
	if err := e.pool.QueryRow(e.ctx, `INSERT INTO pickup_points (shop_id, name, address) VALUES ($1, 'Desk', 'Main st 1') RETURNING id`,
		shop.ID).Scan(&id); err != nil {
		e.t.Fatalf("insert pickup point: %v", err)
	}
	return id
}

func (e *orderEnv) shipping(shop orderShop, price int64) core.ShippingOptionID {
	e.t.Helper()
	var id core.ShippingOptionID
	if err := e.pool.QueryRow(e.ctx, `INSERT INTO shipping_options (shop_id, name, price) VALUES ($1, 'Courier', $2) RETURNING id`,
		shop.ID, price).Scan(&id); err != nil {
		e.t.Fatalf("insert shipping option: %v", err)
	}
	return id
}

// stock returns a variant's on hand and reserved.
func (e *orderEnv) stock(v core.VariantID) (onHand, reserved int) {
	e.t.Helper()
	if err := e.pool.QueryRow(e.ctx, `SELECT on_hand, reserved FROM variants WHERE id = $1`, v).Scan(&onHand, &reserved); err != nil {
		e.t.Fatalf("read stock: %v", err)
	}
	return onHand, reserved
}

func (e *orderEnv) wantStock(v core.VariantID, onHand, reserved int) {
	e.t.Helper()
	if h, r := e.stock(v); h != onHand || r != reserved {
		e.t.Errorf("variant %d: on hand %d, reserved %d; want %d, %d", v, h, r, onHand, reserved)
	}
}

// orderJob is an outbox row.
type orderJob struct {
	Kind, Key string
	RunAt     time.Time
	Payload   []byte
}

// jobs returns the outbox rows of a kind, oldest first.
func (e *orderEnv) jobs(kind string) []orderJob {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT kind, key, run_at, payload FROM outbox WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []orderJob
	for rows.Next() {
		var j orderJob
		if err := rows.Scan(&j.Kind, &j.Key, &j.RunAt, &j.Payload); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

func (e *orderEnv) hasJob(kind, key string) bool {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM outbox WHERE kind = $1 AND key = $2`, kind, key) == 1
}

// movements returns a variant's ledger kinds, oldest first.
func (e *orderEnv) movements(v core.VariantID) []string {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT kind FROM stock_movements WHERE variant_id = $1 ORDER BY id`, v)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// checkout buys items in one checkout with a fresh key, failing the test on error.
func (e *orderEnv) checkout(buyer core.UserID, shop orderShop, d order.DeliveryKind, items ...order.Item) order.Order {
	e.t.Helper()
	o, err := e.svc.Checkout(e.ctx, order.CheckoutRequest{
		Key: fmt.Sprint("key-", e.seq.Add(1)), BuyerID: buyer, ShopID: shop.ID, Items: items, Delivery: d,
	})
	if err != nil {
		e.t.Fatalf("checkout: %v", err)
	}
	return o
}

// payment is what Telegram reports for paying o in full.
func orderPaymentFor(o order.Order, charge string) order.Payment {
	return order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, TelegramChargeID: charge, Total: o.Total}
}

func (e *orderEnv) pay(o order.Order, charge string) order.Order {
	e.t.Helper()
	paid, out, err := e.svc.RecordPayment(e.ctx, orderPaymentFor(o, charge))
	if err != nil || out != order.PaymentApplied {
		e.t.Fatalf("pay order %d: %q, %v", o.ID, out, err)
	}
	return paid
}

func orderWantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("err = %v, want %v", err, want)
	}
}

// checkBooks verifies, for every variant, that stock and the ledger agree and
// nothing is oversold: on hand >= reserved >= 0; reserved is what orders awaiting
// payment hold; the last ledger row ends at the current values; every ledger row
// starts where the one before ended; the ledger's deltas add up to the current
// values. And every order that counts as paid holds exactly one captured payment,
// and no other order holds one.
func (e *orderEnv) checkBooks() {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `
		SELECT v.id, v.on_hand, v.reserved,
			coalesce((SELECT sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
			          WHERE l.variant_id = v.id AND o.status = 'awaiting_payment'), 0),
			coalesce((SELECT on_hand_after FROM stock_movements m WHERE m.variant_id = v.id ORDER BY m.id DESC LIMIT 1), -1),
			coalesce((SELECT reserved_after FROM stock_movements m WHERE m.variant_id = v.id ORDER BY m.id DESC LIMIT 1), -1),
			coalesce((SELECT sum(on_hand_after - on_hand_before) FROM stock_movements m WHERE m.variant_id = v.id), 0),
			coalesce((SELECT sum(reserved_after - reserved_before) FROM stock_movements m WHERE m.variant_id = v.id), 0)
		FROM variants v ORDER BY v.id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, onHand, reserved, held, lastOnHand, lastReserved, sumOnHand, sumReserved int
		if err := rows.Scan(&id, &onHand, &reserved, &held, &lastOnHand, &lastReserved, &sumOnHand, &sumReserved); err != nil {
			e.t.Fatal(err)
		}
		switch {
		case reserved < 0 || onHand < reserved:
			e.t.Fatalf("variant %d: on hand %d, reserved %d: oversold", id, onHand, reserved)
		case reserved != held:
			e.t.Fatalf("variant %d: reserved %d, but orders awaiting payment hold %d", id, reserved, held)
		case lastOnHand != onHand || lastReserved != reserved:
			e.t.Fatalf("variant %d: stock %d/%d, last ledger row ends at %d/%d", id, onHand, reserved, lastOnHand, lastReserved)
		case sumOnHand != onHand || sumReserved != reserved:
			e.t.Fatalf("variant %d: stock %d/%d, ledger deltas add up to %d/%d", id, onHand, reserved, sumOnHand, sumReserved)
		}
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	if n := e.count(`
		SELECT count(*) FROM (
			SELECT on_hand_before, reserved_before,
				lag(on_hand_after) OVER w AS prev_on_hand, lag(reserved_after) OVER w AS prev_reserved
			FROM stock_movements WINDOW w AS (PARTITION BY variant_id ORDER BY id)
		) m WHERE prev_on_hand <> on_hand_before OR prev_reserved <> reserved_before`); n != 0 {
		e.t.Fatalf("%d ledger rows do not start where the previous one ended", n)
	}
	if n := e.count(`
		SELECT count(*) FROM orders o
		WHERE (o.status IN ('paid', 'shipped', 'ready_for_pickup', 'completed'))
		   <> ((SELECT count(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'captured') = 1)
		   OR (SELECT count(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'captured') > 1`); n != 0 {
		e.t.Fatalf("%d orders whose captured payments do not match their status", n)
	}
	e.checkOrderStock()
	e.checkMoney()
	e.checkJobs()
}

// checkOrderStock verifies that each order's own ledger rows (order_id) say what its
// status says about its stock: an order awaiting payment holds each line reserved, a
// paid one has sold it, and any other (expired, cancelled, refunded) holds and has
// sold nothing: its reservation was released or its goods came back.
func (e *orderEnv) checkOrderStock() {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `
		SELECT o.id, o.status, l.variant_id, l.quantity,
			coalesce(sum(m.on_hand_after - m.on_hand_before), 0), coalesce(sum(m.reserved_after - m.reserved_before), 0)
		FROM orders o
		JOIN order_lines l ON l.order_id = o.id
		LEFT JOIN stock_movements m ON m.order_id = o.id AND m.variant_id = l.variant_id
		GROUP BY o.id, o.status, l.variant_id, l.quantity
		ORDER BY o.id, l.variant_id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, variant, qty, onHand, reserved int
			status                             order.Status
		)
		if err := rows.Scan(&id, &status, &variant, &qty, &onHand, &reserved); err != nil {
			e.t.Fatal(err)
		}
		wantOnHand, wantReserved := 0, 0
		switch status {
		case order.StatusAwaitingPayment:
			wantReserved = qty
		case order.StatusPaid, order.StatusShipped, order.StatusReadyForPickup, order.StatusCompleted:
			wantOnHand = -qty
		}
		if onHand != wantOnHand || reserved != wantReserved {
			e.t.Fatalf("order %d (%s), variant %d x %d: its ledger moves on hand %+d, reserved %+d; want %+d, %+d",
				id, status, variant, qty, onHand, reserved, wantOnHand, wantReserved)
		}
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
}

// checkMoney verifies that the money kept pays exactly what was sold: the captured
// payment of a paid order is its total; an order waiting for a refund has money to
// give back; an order not paid (expired, cancelled, refunded) keeps none. (A payment
// arriving for an order refunded already is recorded to refund, and the order stays
// refunded: checkJobs sees that its refund job exists.)
func (e *orderEnv) checkMoney() {
	e.t.Helper()
	checks := []struct{ what, where string }{
		{"paid orders whose captured payment is not their total", `
			o.status IN ('paid', 'shipped', 'ready_for_pickup', 'completed') AND NOT EXISTS (
				SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'captured'
				AND p.amount = o.total AND p.currency = o.currency)`},
		{"orders waiting for a refund with nothing to refund", `
			o.status = 'refund_pending' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'refund_pending')`},
		{"orders neither paid nor awaiting payment keeping a captured payment", `
			o.status NOT IN ('paid', 'shipped', 'ready_for_pickup', 'completed', 'awaiting_payment')
			AND EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'captured')`},
	}
	for _, c := range checks {
		if n := e.count(`SELECT count(*) FROM orders o WHERE ` + c.where); n != 0 {
			e.t.Fatalf("%d %s", n, c.what)
		}
	}
}

// checkJobs verifies that every state change that needs later work left its job in
// the outbox, in the same transaction: an order awaiting payment has its expiry
// pending at its reservation's end; every payment to refund has its refund job; every
// order ever paid, and every expired one, has its notification.
func (e *orderEnv) checkJobs() {
	e.t.Helper()
	checks := []struct{ what, sql string }{
		{"orders awaiting payment without their expiry pending at reserved_until", `
			SELECT count(*) FROM orders o WHERE o.status = 'awaiting_payment' AND NOT EXISTS (
				SELECT 1 FROM outbox j WHERE j.kind = 'order:expire' AND j.key = 'order:expire:' || o.id
				AND j.relayed_at IS NULL AND j.run_at = o.reserved_until)`},
		{"payments to refund not stamped with when their refund was asked for (the refund sweep would miss them)", `
			SELECT count(*) FROM payments WHERE status = 'refund_pending' AND refund_requested_at IS NULL`},
		{"payments to refund without a refund job", `
			SELECT count(*) FROM payments p WHERE p.status = 'refund_pending' AND NOT EXISTS (
				SELECT 1 FROM outbox j WHERE j.kind = 'order:refund' AND j.key = 'order:refund:' || p.telegram_payment_charge_id)`},
		{"orders paid without a paid notification", `
			SELECT count(*) FROM orders o WHERE o.paid_at IS NOT NULL AND NOT EXISTS (
				SELECT 1 FROM outbox j WHERE j.kind = 'order:notify' AND j.key = 'order:notify:' || o.id || ':paid')`},
		{"orders expired without an expired notification", `
			SELECT count(*) FROM orders o WHERE o.status = 'expired' AND NOT EXISTS (
				SELECT 1 FROM outbox j WHERE j.kind = 'order:notify' AND j.key = 'order:notify:' || o.id || ':expired')`},
	}
	for _, c := range checks {
		if n := e.count(c.sql); n != 0 {
			e.t.Fatalf("%d %s", n, c.what)
		}
	}
}

func TestOrders_Checkout(t *testing.T) {
	t.Parallel()

	t.Run("Reserves", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		tee, mug := e.variant(shop, 1250, 5), e.variant(shop, 999, 3)

		o := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: tee, Quantity: 2}, order.Item{VariantID: mug, Quantity: 1})

		if o.Status != order.StatusAwaitingPayment || o.Total != (core.Money{Amount: 3499, Currency: "RUB"}) || len(o.Lines) != 2 {
			t.Errorf("order = %+v", o)
		}
		if want := orderStart.Add(10 * time.Minute); !o.ReservedUntil.Equal(want) {
			t.Errorf("reserved until %v, want %v", o.ReservedUntil, want)
		}
		e.wantStock(tee, 5, 2)
		e.wantStock(mug, 3, 1)
		if got := e.movements(tee); len(got) != 2 || got[1] != "reservation" {
			t.Errorf("ledger of tee = %v, want receipt, reservation", got)
		}
		if n := e.count(`SELECT count(*) FROM stock_movements WHERE variant_id = $1 AND kind = 'reservation'
			AND on_hand_before = 5 AND on_hand_after = 5 AND reserved_before = 0 AND reserved_after = 2 AND order_id = $2 AND actor_id = $3`,
			tee, o.ID, buyer); n != 1 {
			t.Errorf("reservation rows with before/after = %d, want 1", n)
		}
		if n := e.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND status = 'awaiting_payment'`, o.ID); n != 1 {
			t.Errorf("order events = %d, want 1", n)
		}
		jobs := e.jobs(order.JobExpire)
		if len(jobs) != 1 || jobs[0].Key != fmt.Sprint("order:expire:", o.ID) || !jobs[0].RunAt.Equal(o.ReservedUntil) {
			t.Fatalf("expiry jobs = %+v, want one at the reservation's end", jobs)
		}
		var p order.ExpirePayload
		if err := json.Unmarshal(jobs[0].Payload, &p); err != nil || p.OrderID != o.ID {
			t.Errorf("expiry payload %s: %v", jobs[0].Payload, err)
		}
		got, err := e.svc.Order(e.ctx, buyer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != o.Total || !got.ReservedUntil.Equal(o.ReservedUntil) || !got.CreatedAt.Equal(o.CreatedAt) ||
			len(got.Lines) != 2 || got.Lines[0] != o.Lines[0] || got.Lines[1] != o.Lines[1] {
			t.Errorf("read back %+v\nreturned  %+v", got, o)
		}
		e.checkBooks()
	})

	t.Run("FromCart", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop, other := e.shop(orderShopOpts{}), e.shop(orderShopOpts{})
		buyer := e.user(100)
		tee, hat, elsewhere := e.variant(shop, 1000, 5), e.variant(shop, 500, 5), e.variant(other, 700, 5)
		for _, it := range []order.Item{order.Item{VariantID: tee, Quantity: 2}, order.Item{VariantID: hat, Quantity: 1}, order.Item{VariantID: elsewhere, Quantity: 1}} {
			if _, err := e.svc.AddToCart(e.ctx, buyer, it.VariantID, it.Quantity); err != nil {
				t.Fatal(err)
			}
		}
		o, err := e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: "cart", BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryShipping})
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Lines) != 2 || o.Lines[0].VariantID != tee || o.Lines[0].Quantity != 2 || o.Total.Amount != 2500 {
			t.Errorf("order = %+v", o)
		}
		cart, err := e.svc.Cart(e.ctx, buyer, shop.ID)
		if err != nil || len(cart.Items) != 0 {
			t.Errorf("cart after checkout = %+v, %v; want empty", cart, err)
		}
		if carts, err := e.svc.Carts(e.ctx, buyer); err != nil || len(carts) != 1 || carts[0].ShopID != other.ID {
			t.Errorf("carts = %+v, %v; want only the other shop's", carts, err)
		}
		_, err = e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: "cart-again", BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryShipping})
		orderWantErr(t, err, order.ErrEmptyCart)
	})

	t.Run("Idempotent", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		v := e.variant(shop, 1000, 5)
		req := order.CheckoutRequest{Key: "tap-1", BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryShipping,
			Items: []order.Item{{VariantID: v, Quantity: 2}}}
		first, err := e.svc.Checkout(e.ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.svc.Checkout(e.ctx, req)
		if err != nil || again.ID != first.ID {
			t.Fatalf("second checkout = %d, %v; want order %d", again.ID, err, first.ID)
		}
		if first.Existing || !again.Existing {
			t.Errorf("existing: first %v, again %v; want false, true", first.Existing, again.Existing)
		}
		e.wantStock(v, 5, 2)
		if n := e.count(`SELECT count(*) FROM orders`); n != 1 {
			t.Errorf("orders = %d, want 1", n)
		}
	})

	t.Run("IdempotentConcurrent", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		v := e.variant(shop, 1000, 50)
		req := order.CheckoutRequest{Key: "double-tap", BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryShipping,
			Items: []order.Item{{VariantID: v, Quantity: 3}}}
		ids := make([]core.OrderID, 10)
		var made atomic.Int32
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				o, err := e.svc.Checkout(e.ctx, req)
				if err != nil {
					t.Errorf("checkout %d: %v", i, err)
				}
				ids[i] = o.ID
				if !o.Existing {
					made.Add(1)
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] || id == 0 {
				t.Fatalf("order ids = %v, want one order", ids)
			}
		}
		if n := made.Load(); n != 1 {
			t.Errorf("checkouts that made the order = %d, want 1 (the others found it: Existing)", n)
		}
		e.wantStock(v, 50, 3)
		if n := e.count(`SELECT count(*) FROM outbox`); n != 2 {
			t.Errorf("outbox rows = %d, want the one expiry and the one reminder", n)
		}
		e.checkBooks()
	})

	t.Run("AllOrNothing", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		plenty, scarce, gone := e.variant(shop, 1000, 10), e.variant(shop, 1000, 1), e.variant(shop, 1000, 0)
		_, err := e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: "a", BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryShipping,
			Items: []order.Item{order.Item{VariantID: plenty, Quantity: 2}, order.Item{VariantID: scarce, Quantity: 2}}})
		orderWantErr(t, err, order.ErrNotEnoughStock)
		_, err = e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: "b", BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryShipping,
			Items: []order.Item{order.Item{VariantID: plenty, Quantity: 2}, order.Item{VariantID: gone, Quantity: 1}}})
		orderWantErr(t, err, order.ErrSoldOut)
		e.wantStock(plenty, 10, 0)
		if n := e.count(`SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM outbox) + (SELECT count(*) FROM order_events)`); n != 0 {
			t.Errorf("rows written by refused checkouts = %d, want 0", n)
		}
		e.checkBooks()
	})

	// A reservation that fails in the store (after the order, its history and its
	// jobs were written in the transaction) leaves nothing behind: not the order,
	// not the job, not the first line's reservation.
	t.Run("FailingChangeWritesNothing", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		first, second := e.variant(shop, 1000, 10), e.variant(shop, 1000, 1)
		req := order.CheckoutRequest{Key: "k", BuyerID: buyer, ShopID: shop.ID, Items: []order.Item{order.Item{VariantID: first, Quantity: 2}, order.Item{VariantID: second, Quantity: 5}}}
		_, err := e.store.Checkout(e.ctx, req, func(snap order.CheckoutSnapshot) (*order.Change, error) {
			o := order.Order{ID: snap.OrderID, ShopID: shop.ID, BuyerID: buyer, Status: order.StatusAwaitingPayment,
				ItemsTotal: core.Money{Amount: 7000, Currency: "RUB"}, ShippingTotal: core.Money{Currency: "RUB"},
				Total: core.Money{Amount: 7000, Currency: "RUB"}, Delivery: order.DeliveryShipping,
				ReservedUntil: orderStart.Add(time.Minute), CreatedAt: orderStart, UpdatedAt: orderStart,
				Lines: []order.Line{
					{No: 1, VariantID: first, ProductID: snap.Stock[first].ProductID, Title: "a", SKU: "a", Quantity: 2, UnitPrice: core.Money{Amount: 1000, Currency: "RUB"}},
					{No: 2, VariantID: second, ProductID: snap.Stock[second].ProductID, Title: "b", SKU: "b", Quantity: 5, UnitPrice: core.Money{Amount: 1000, Currency: "RUB"}},
				}}
			return &order.Change{
				Order: o, At: orderStart, History: &order.HistoryEntry{Status: o.Status},
				Stock: []order.StockMove{
					{VariantID: first, Kind: catalog.MoveReservation, Reserved: 2},
					{VariantID: second, Kind: catalog.MoveReservation, Reserved: 5},
				},
				Jobs: []core.Job{{Kind: order.JobExpire, Key: "order:expire:x", RunAt: o.ReservedUntil}},
			}, nil
		})
		orderWantErr(t, err, order.ErrNotEnoughStock)
		e.wantStock(first, 10, 0)
		if n := e.count(`SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM outbox) + (SELECT count(*) FROM order_events)
			+ (SELECT count(*) FROM stock_movements WHERE kind <> 'receipt')`); n != 0 {
			t.Errorf("rows written by a failed change = %d, want 0", n)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop, other := e.shop(orderShopOpts{}), e.shop(orderShopOpts{})
		blocked := e.shop(orderShopOpts{Blocked: true})
		buyer := e.user(100)
		v, foreign, inBlocked := e.variant(shop, 1000, 5), e.variant(other, 1000, 5), e.variant(blocked, 1000, 5)
		archived := e.variant(shop, 1000, 5)
		e.exec(`UPDATE products SET archived_at = now() WHERE id = (SELECT product_id FROM variants WHERE id = $1)`, archived)
		foreignPoint := e.pickup(other)
		tests := []struct {
			name string
			req  order.CheckoutRequest
			want error
		}{
			{"ShopBlocked", order.CheckoutRequest{ShopID: blocked.ID, Items: []order.Item{order.Item{VariantID: inBlocked, Quantity: 1}}, Delivery: order.DeliveryShipping}, catalog.ErrShopBlocked},
			{"Archived", order.CheckoutRequest{ShopID: shop.ID, Items: []order.Item{order.Item{VariantID: archived, Quantity: 1}}, Delivery: order.DeliveryShipping}, order.ErrUnavailable},
			{"VariantOfOtherShop", order.CheckoutRequest{ShopID: shop.ID, Items: []order.Item{order.Item{VariantID: v, Quantity: 1}, order.Item{VariantID: foreign, Quantity: 1}}, Delivery: order.DeliveryShipping}, order.ErrMixedShops},
			{"PickupOfOtherShop", order.CheckoutRequest{ShopID: shop.ID, Items: []order.Item{order.Item{VariantID: v, Quantity: 1}}, Delivery: order.DeliveryPickup, PickupPointID: foreignPoint}, order.ErrPickupPoint},
			{"NoDelivery", order.CheckoutRequest{ShopID: shop.ID, Items: []order.Item{order.Item{VariantID: v, Quantity: 1}}}, order.ErrDelivery},
			{"Quantity", order.CheckoutRequest{ShopID: shop.ID, Items: []order.Item{order.Item{VariantID: v, Quantity: 1000}}, Delivery: order.DeliveryShipping}, order.ErrQuantity},
			{"UnknownShop", order.CheckoutRequest{ShopID: 999999, Items: []order.Item{order.Item{VariantID: v, Quantity: 1}}, Delivery: order.DeliveryShipping}, catalog.ErrShopNotFound},
			{"UnknownVariant", order.CheckoutRequest{ShopID: shop.ID, Items: []order.Item{order.Item{VariantID: 999999, Quantity: 1}}, Delivery: order.DeliveryShipping}, catalog.ErrVariantNotFound},
		}
		for i, tt := range tests {
			tt.req.Key, tt.req.BuyerID = fmt.Sprint("k", i), buyer
			_, err := e.svc.Checkout(e.ctx, tt.req)
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		if n := e.count(`SELECT count(*) FROM orders`); n != 0 {
			t.Errorf("orders = %d, want 0", n)
		}
	})

	t.Run("Delivery", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		stars, card := e.shop(orderShopOpts{Stars: true}), e.shop(orderShopOpts{})
		buyer := e.user(100)
		sv, cv := e.variant(stars, 50, 5), e.variant(card, 1000, 5)
		point := e.pickup(card)

		o := e.checkout(buyer, stars, order.DeliveryShipping, order.Item{VariantID: sv, Quantity: 1})
		if o.Delivery != order.DeliveryNone || o.Total != (core.Money{Amount: 50, Currency: core.Stars}) {
			t.Errorf("Stars order = %+v, want delivery none, 50 XTR", o)
		}
		o, err := e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: "p", BuyerID: buyer, ShopID: card.ID, Delivery: order.DeliveryPickup,
			PickupPointID: point, Items: []order.Item{order.Item{VariantID: cv, Quantity: 1}}})
		if err != nil || o.Delivery != order.DeliveryPickup || o.PickupPointID != point {
			t.Errorf("pickup order = %+v, %v", o, err)
		}
		e.exec(`UPDATE pickup_points SET archived_at = now() WHERE id = $1`, point)
		_, err = e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: "p2", BuyerID: buyer, ShopID: card.ID, Delivery: order.DeliveryPickup,
			PickupPointID: point, Items: []order.Item{order.Item{VariantID: cv, Quantity: 1}}})
		orderWantErr(t, err, order.ErrPickupPoint)
	})
}

func TestOrders_Cart(t *testing.T) {
	t.Parallel()
	e := orderSetup(t)
	shop := e.shop(orderShopOpts{})
	buyer := e.user(100)
	tee, mug, gone := e.variant(shop, 1250, 4), e.variant(shop, 999, 10), e.variant(shop, 100, 0)

	cart, err := e.svc.AddToCart(e.ctx, buyer, tee, 3)
	if err != nil || len(cart.Items) != 1 || cart.Items[0].Quantity != 3 {
		t.Fatalf("add = %+v, %v", cart, err)
	}
	cart, err = e.svc.AddToCart(e.ctx, buyer, tee, 3)
	if err != nil || cart.Items[0].Quantity != 4 {
		t.Errorf("add beyond stock = %+v, %v; want capped at 4", cart, err)
	}
	cart, err = e.svc.AddToCart(e.ctx, buyer, mug, 2)
	if err != nil || len(cart.Items) != 2 || cart.Total != (core.Money{Amount: 4*1250 + 2*999, Currency: "RUB"}) {
		t.Errorf("cart = %+v, %v", cart, err)
	}
	if cart.Items[0].VariantID != tee || cart.Items[0].Available != 4 || cart.Items[0].UnitPrice.Amount != 1250 {
		t.Errorf("first item = %+v", cart.Items[0])
	}
	cart, err = e.svc.SetCartQuantity(e.ctx, buyer, mug, 20)
	if err != nil || cart.Items[1].Quantity != 10 {
		t.Errorf("set beyond stock = %+v, %v; want capped at 10", cart, err)
	}
	cart, err = e.svc.SetCartQuantity(e.ctx, buyer, mug, 0)
	if err != nil || len(cart.Items) != 1 {
		t.Errorf("remove = %+v, %v", cart, err)
	}

	_, err = e.svc.AddToCart(e.ctx, buyer, gone, 1)
	orderWantErr(t, err, order.ErrSoldOut)
	for _, q := range []int{0, -1, 1000} {
		_, err = e.svc.AddToCart(e.ctx, buyer, tee, q)
		orderWantErr(t, err, order.ErrQuantity)
	}
	_, err = e.svc.SetCartQuantity(e.ctx, buyer, tee, 1000)
	orderWantErr(t, err, order.ErrQuantity)
	_, err = e.svc.AddToCart(e.ctx, buyer, 999999, 1)
	orderWantErr(t, err, catalog.ErrVariantNotFound)

	e.exec(`UPDATE products SET archived_at = now() WHERE id = (SELECT product_id FROM variants WHERE id = $1)`, tee)
	_, err = e.svc.AddToCart(e.ctx, buyer, tee, 1)
	orderWantErr(t, err, order.ErrUnavailable)
	cart, err = e.svc.Cart(e.ctx, buyer, shop.ID)
	if err != nil || len(cart.Items) != 1 || !cart.Items[0].Archived {
		t.Errorf("cart with an archived product = %+v, %v; want it shown as archived", cart, err)
	}
	_, err = e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: "k", BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryShipping})
	orderWantErr(t, err, order.ErrUnavailable)

	if err := e.svc.ClearCart(e.ctx, buyer, shop.ID); err != nil {
		t.Fatal(err)
	}
	cart, err = e.svc.Cart(e.ctx, buyer, shop.ID)
	if err != nil || len(cart.Items) != 0 || cart.Total != (core.Money{Currency: "RUB"}) {
		t.Errorf("cleared cart = %+v, %v", cart, err)
	}
	blocked := e.shop(orderShopOpts{Blocked: true})
	_, err = e.svc.AddToCart(e.ctx, buyer, e.variant(blocked, 100, 5), 1)
	orderWantErr(t, err, catalog.ErrShopBlocked)
}

func TestOrders_Expire(t *testing.T) {
	t.Parallel()

	t.Run("EarlyThenDue", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		v := e.variant(shop, 1000, 5)
		o := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: v, Quantity: 2})

		e.clock.Advance(10*time.Minute - time.Second) // asynq may fire a second early
		got, err := e.svc.Expire(e.ctx, o.ID)
		orderWantErr(t, err, order.ErrNotDue)
		if got.ID != o.ID || !got.ReservedUntil.Equal(o.ReservedUntil) || got.Status != order.StatusAwaitingPayment {
			t.Errorf("early expire returned %+v; want the order, to re-schedule", got)
		}
		e.wantStock(v, 5, 2)

		e.clock.Advance(time.Second)
		got, err = e.svc.Expire(e.ctx, o.ID)
		if err != nil || got.Status != order.StatusExpired {
			t.Fatalf("due expire = %+v, %v", got, err)
		}
		e.wantStock(v, 5, 0)
		if kinds := e.movements(v); len(kinds) != 3 || kinds[2] != "release" {
			t.Errorf("ledger = %v, want receipt, reservation, release", kinds)
		}
		if !e.hasJob(order.JobNotify, fmt.Sprintf("order:notify:%d:expired", o.ID)) {
			t.Error("no expiry notification in the outbox")
		}
		if n := e.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND status = 'expired' AND actor_id IS NULL`, o.ID); n != 1 {
			t.Errorf("expired events = %d, want 1", n)
		}

		// A redelivered expiry job changes nothing.
		if got, err = e.svc.Expire(e.ctx, o.ID); err != nil || got.Status != order.StatusExpired {
			t.Errorf("again = %+v, %v", got, err)
		}
		if kinds := e.movements(v); len(kinds) != 3 {
			t.Errorf("ledger after a second expire = %v, want no new row", kinds)
		}
		_, err = e.svc.Expire(e.ctx, 999999)
		orderWantErr(t, err, order.ErrOrderNotFound)
		e.checkBooks()
	})

	t.Run("Sweep", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		v := e.variant(shop, 1000, 100)
		for range 12 {
			e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: v, Quantity: 1})
		}
		e.clock.Advance(5 * time.Minute)
		late := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: v, Quantity: 1})
		e.clock.Advance(6 * time.Minute) // the 12 are due, the late one is not

		// Two sweepers at once share the work and expire each order once.
		var total atomic.Int64
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for {
					n, err := e.svc.ExpireDue(e.ctx, 5)
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
					total.Add(int64(n))
				}
			})
		}
		wg.Wait()
		if total.Load() != 12 {
			t.Errorf("expired %d, want 12", total.Load())
		}
		e.wantStock(v, 100, 1)
		if o, _ := e.svc.OrderForSystem(e.ctx, late.ID); o.Status != order.StatusAwaitingPayment {
			t.Errorf("the order not yet due is %s", o.Status)
		}
		if n := e.count(`SELECT count(*) FROM stock_movements WHERE kind = 'release'`); n != 12 {
			t.Errorf("release rows = %d, want 12", n)
		}
		e.checkBooks()
	})

	// An order whose expiry fails every time (its stock was edited by hand, so the
	// release is refused) does not stop the sweep from expiring the others due after
	// it; the sweep still reports the failure.
	t.Run("SweepPastAPoisonedOrder", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		broken, fine := e.variant(shop, 1000, 5), e.variant(shop, 1000, 5)
		poisoned := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: broken, Quantity: 1})
		e.clock.Advance(time.Second)
		later := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: fine, Quantity: 1})
		e.exec(`UPDATE variants SET reserved = 0 WHERE id = $1`, broken)
		e.clock.Advance(time.Hour)

		n, err := e.svc.ExpireDue(e.ctx, 0)
		if n != 1 || err == nil || !strings.Contains(err.Error(), fmt.Sprint("order ", poisoned.ID)) {
			t.Errorf("ExpireDue = %d, %v; want 1 expired and the poisoned order's error", n, err)
		}
		if o, _ := e.svc.OrderForSystem(e.ctx, later.ID); o.Status != order.StatusExpired {
			t.Errorf("the order due after the poisoned one is %s, want expired", o.Status)
		}
		if o, _ := e.svc.OrderForSystem(e.ctx, poisoned.ID); o.Status != order.StatusAwaitingPayment {
			t.Errorf("the poisoned order is %s; want it left as it was", o.Status)
		}
	})
}

func TestOrders_Payment(t *testing.T) {
	t.Parallel()

	t.Run("ExactlyOnce", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 2})

		paid := e.pay(o, "charge-1")
		if paid.Status != order.StatusPaid || !paid.PaidAt.Equal(orderStart) {
			t.Errorf("paid order = %+v", paid)
		}
		again, out, err := e.svc.RecordPayment(e.ctx, orderPaymentFor(o, "charge-1"))
		if err != nil || out != order.PaymentDuplicate || again.Status != order.StatusPaid {
			t.Errorf("redelivered payment = %q, %v, %s; want duplicate of the paid order", out, err, again.Status)
		}
		e.wantStock(v, 3, 0)
		if n := e.count(`SELECT count(*) FROM payments`); n != 1 {
			t.Errorf("payments = %d, want 1", n)
		}
		if n := e.count(`SELECT count(*) FROM stock_movements WHERE kind = 'sale' AND on_hand_before = 5 AND on_hand_after = 3
			AND reserved_before = 2 AND reserved_after = 0`); n != 1 {
			t.Errorf("sale rows = %d, want 1", n)
		}
		jobs := e.jobs(order.JobNotify)
		if len(jobs) != 1 || jobs[0].Key != fmt.Sprintf("order:notify:%d:paid", o.ID) {
			t.Errorf("notifications = %+v, want one for paid", jobs)
		}
		// The expiry that comes later finds a paid order and does nothing.
		e.clock.Advance(time.Hour)
		if got, err := e.svc.Expire(e.ctx, o.ID); err != nil || got.Status != order.StatusPaid {
			t.Errorf("expire after payment = %s, %v", got.Status, err)
		}
		e.checkBooks()
	})

	t.Run("ConcurrentRedelivery", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
		var applied, dup atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, out, err := e.svc.RecordPayment(e.ctx, orderPaymentFor(o, "same"))
				switch {
				case err != nil:
					t.Error(err)
				case out == order.PaymentApplied:
					applied.Add(1)
				case out == order.PaymentDuplicate:
					dup.Add(1)
				}
			})
		}
		wg.Wait()
		if applied.Load() != 1 || dup.Load() != 7 {
			t.Errorf("applied %d, duplicate %d; want 1 and 7", applied.Load(), dup.Load())
		}
		e.wantStock(v, 4, 0)
		e.checkBooks()
	})

	t.Run("AfterExpiryWithStock", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 2})
		e.clock.Advance(time.Hour)
		if _, err := e.svc.Expire(e.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		paid := e.pay(o, "late")
		if paid.Status != order.StatusPaid {
			t.Errorf("status = %s, want paid", paid.Status)
		}
		e.wantStock(v, 3, 0)
		if n := e.count(`SELECT count(*) FROM stock_movements WHERE kind = 'sale' AND reserved_before = 0 AND reserved_after = 0
			AND on_hand_before = 5 AND on_hand_after = 3`); n != 1 {
			t.Errorf("sales from available stock = %d, want 1", n)
		}
		e.checkBooks()
	})

	t.Run("AfterExpiryWithoutStock", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{Stars: true})
		buyer, rival := e.user(100), e.user(101)
		v := e.variant(shop, 50, 2)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 2})
		e.clock.Advance(time.Hour)
		if _, err := e.svc.Expire(e.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		e.checkout(rival, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})

		got, out, err := e.svc.RecordPayment(e.ctx, orderPaymentFor(o, "late"))
		if err != nil || out != order.PaymentRefunding || got.Status != order.StatusRefundPending {
			t.Fatalf("= %q, %s, %v; want refunding, refund_pending", out, got.Status, err)
		}
		e.wantStock(v, 2, 1)
		if n := e.count(`SELECT count(*) FROM payments WHERE telegram_payment_charge_id = 'late' AND status = 'refund_pending'
			AND amount = 100 AND currency = 'XTR'`); n != 1 {
			t.Errorf("payments to refund = %d, want 1", n)
		}
		refunds := e.jobs(order.JobRefund)
		if len(refunds) != 1 || refunds[0].Key != "order:refund:late" {
			t.Fatalf("refund jobs = %+v", refunds)
		}
		var rp order.RefundPayload
		if err := json.Unmarshal(refunds[0].Payload, &rp); err != nil || rp.OrderID != o.ID || rp.TelegramChargeID != "late" || rp.BuyerID != buyer {
			t.Errorf("refund payload = %s, %v", refunds[0].Payload, err)
		}
		// The first attempt (sell from stock) rolled back with everything it wrote.
		if e.hasJob(order.JobNotify, fmt.Sprintf("order:notify:%d:paid", o.ID)) {
			t.Error("a paid notification survived the failed sale")
		}
		if !e.hasJob(order.JobNotify, fmt.Sprintf("order:notify:%d:refund_pending:late", o.ID)) {
			t.Error("no refund_pending notification")
		}

		got, err = e.svc.MarkRefunded(e.ctx, o.ID, "late")
		if err != nil || got.Status != order.StatusRefunded {
			t.Errorf("mark refunded = %s, %v", got.Status, err)
		}
		if got, err = e.svc.MarkRefunded(e.ctx, o.ID, "late"); err != nil || got.Status != order.StatusRefunded {
			t.Errorf("mark refunded again = %s, %v; want a no-op", got.Status, err)
		}
		ch, err := e.svc.Charge(e.ctx, "late")
		if err != nil || ch.Status != order.ChargeRefunded || !ch.RefundedAt.Equal(orderStart.Add(time.Hour)) {
			t.Errorf("charge = %+v, %v", ch, err)
		}
		e.checkBooks()
	})

	t.Run("DoublePay", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
		e.pay(o, "first")
		got, out, err := e.svc.RecordPayment(e.ctx, orderPaymentFor(o, "second"))
		if err != nil || out != order.PaymentRefunding || got.Status != order.StatusPaid {
			t.Fatalf("second payment = %q, %s, %v; want refunding, order still paid", out, got.Status, err)
		}
		if n := e.count(`SELECT count(*) FROM payments WHERE order_id = $1`, o.ID); n != 2 {
			t.Errorf("payments = %d, want both on record", n)
		}
		if !e.hasJob(order.JobRefund, "order:refund:second") || e.hasJob(order.JobRefund, "order:refund:first") {
			t.Error("want a refund of the second payment only")
		}
		e.wantStock(v, 4, 0)
		if got, err := e.svc.MarkRefunded(e.ctx, o.ID, "second"); err != nil || got.Status != order.StatusPaid {
			t.Errorf("refund of the second = %s, %v; want the order still paid", got.Status, err)
		}
		_, err = e.svc.MarkRefunded(e.ctx, o.ID, "first")
		orderWantErr(t, err, order.ErrTransition)
		e.checkBooks()
	})

	// A payment arriving after staff cancelled the paid order (its first payment is
	// being refunded) is refunded too: the shop said it will not deliver. A payment
	// arriving after the buyer called off a reservation still buys, stock allowing.
	t.Run("AfterCancel", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		manager := e.manager(shop, 200)

		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 2})
		e.pay(o, "first")
		if _, err := e.svc.Cancel(e.ctx, manager, o.ID, "cannot deliver"); err != nil {
			t.Fatal(err)
		}
		got, out, err := e.svc.RecordPayment(e.ctx, orderPaymentFor(o, "second"))
		if err != nil || out != order.PaymentRefunding || got.Status != order.StatusCancelled {
			t.Fatalf("payment after a staff cancel = %q, %s, %v; want refunding, order still cancelled", out, got.Status, err)
		}
		e.wantStock(v, 5, 0)
		if !e.hasJob(order.JobRefund, "order:refund:second") {
			t.Error("no refund job for the second payment")
		}
		for _, ch := range []string{"first", "second"} {
			if got, err = e.svc.MarkRefunded(e.ctx, o.ID, ch); err != nil {
				t.Fatalf("refund %s: %v", ch, err)
			}
		}
		if got.Status != order.StatusRefunded {
			t.Errorf("status after both refunds = %s, want refunded", got.Status)
		}

		mind := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
		if _, err := e.svc.Cancel(e.ctx, buyer, mind.ID, "changed my mind"); err != nil {
			t.Fatal(err)
		}
		if got, out, err := e.svc.RecordPayment(e.ctx, orderPaymentFor(mind, "late")); err != nil || out != order.PaymentApplied || got.Status != order.StatusPaid {
			t.Errorf("payment after the buyer's cancel = %q, %s, %v; want applied", out, got.Status, err)
		}
		e.wantStock(v, 4, 0)
		e.checkBooks()
	})

	t.Run("AmountMismatch", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
		p := orderPaymentFor(o, "short")
		p.Total.Amount = 10
		got, out, err := e.svc.RecordPayment(e.ctx, p)
		if err != nil || out != order.PaymentRefunding || got.Status != order.StatusAwaitingPayment {
			t.Fatalf("= %q, %s, %v; want refunding, order untouched", out, got.Status, err)
		}
		if n := e.count(`SELECT count(*) FROM payments WHERE amount = 10 AND status = 'refund_pending'`); n != 1 {
			t.Errorf("the short payment is not on record for a refund")
		}
		e.wantStock(v, 5, 1)
		e.checkBooks()
	})

	t.Run("Shipping", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		v := e.variant(shop, 1250, 5)
		courier := e.shipping(shop, 300)
		o := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: v, Quantity: 2})

		opts, err := e.svc.ShippingOptions(e.ctx, buyer, o.ID)
		if err != nil || len(opts) != 1 || opts[0].ID != courier || opts[0].Price != (core.Money{Amount: 300, Currency: "RUB"}) {
			t.Fatalf("shipping options = %+v, %v", opts, err)
		}
		_, err = e.svc.ShippingOptions(e.ctx, 555, o.ID)
		orderWantErr(t, err, order.ErrNotBuyer)

		total := core.Money{Amount: 2800, Currency: "RUB"}
		if err := e.svc.CheckPreCheckout(e.ctx, order.PreCheckout{OrderID: o.ID, BuyerID: buyer, Total: total, ShippingOptionID: courier}); err != nil {
			t.Fatal(err)
		}
		p := order.Payment{OrderID: o.ID, BuyerID: buyer, TelegramChargeID: "c", ProviderChargeID: "prov", Total: total,
			ShippingOptionID: courier, ShippingAddress: &order.Address{CountryCode: "RU", City: "Kazan", StreetLine1: "Lenina 1", PostCode: "420000"},
			Contact: &order.Contact{Name: "Ann", Phone: "+7900"}}
		paid, out, err := e.svc.RecordPayment(e.ctx, p)
		if err != nil || out != order.PaymentApplied {
			t.Fatalf("= %q, %v", out, err)
		}
		read, err := e.svc.Order(e.ctx, buyer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range []order.Order{paid, read} {
			if got.Total != total || got.ShippingTotal.Amount != 300 || got.ItemsTotal.Amount != 2500 || got.ShippingOptionID != courier ||
				got.ShippingAddress == nil || *got.ShippingAddress != *p.ShippingAddress || got.Contact == nil || *got.Contact != *p.Contact {
				t.Errorf("order = %+v", got)
			}
		}
		if ch, err := e.svc.Charge(e.ctx, "c"); err != nil || ch.ProviderChargeID != "prov" || ch.Amount != total {
			t.Errorf("charge = %+v, %v", ch, err)
		}
	})
}

func TestOrders_PreCheckout(t *testing.T) {
	t.Parallel()
	e := orderSetup(t)
	shop := e.shop(orderShopOpts{Stars: true})
	buyer := e.user(100)
	v := e.variant(shop, 50, 5)
	o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
	q := order.PreCheckout{OrderID: o.ID, BuyerID: buyer, Total: o.Total}

	bad := q
	bad.Total.Amount = 49
	orderWantErr(t, e.svc.CheckPreCheckout(e.ctx, bad), order.ErrAmountMismatch)
	bad = q
	bad.Total.Currency = "RUB"
	orderWantErr(t, e.svc.CheckPreCheckout(e.ctx, bad), order.ErrAmountMismatch)
	bad = q
	bad.BuyerID = 555
	orderWantErr(t, e.svc.CheckPreCheckout(e.ctx, bad), order.ErrNotBuyer)

	// A check a minute before the end holds the reservation for the payment.
	e.clock.Advance(9 * time.Minute)
	if err := e.svc.CheckPreCheckout(e.ctx, q); err != nil {
		t.Fatal(err)
	}
	held := e.clock.Now().Add(order.PaymentHold)
	got, _ := e.svc.OrderForSystem(e.ctx, o.ID)
	if !got.ReservedUntil.Equal(held) {
		t.Errorf("reserved until %v, want %v", got.ReservedUntil, held)
	}
	if jobs := e.jobs(order.JobExpire); len(jobs) != 1 || !jobs[0].RunAt.Equal(held) {
		t.Errorf("expiry jobs = %+v, want one moved to %v", jobs, held)
	}
	e.clock.Advance(2 * time.Minute) // past the first end, within the hold
	_, err := e.svc.Expire(e.ctx, o.ID)
	orderWantErr(t, err, order.ErrNotDue)

	e.clock.Advance(order.PaymentHold)
	orderWantErr(t, e.svc.CheckPreCheckout(e.ctx, q), order.ErrReservationExpired)
	if _, err := e.svc.Expire(e.ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	orderWantErr(t, e.svc.CheckPreCheckout(e.ctx, q), order.ErrReservationExpired)

	o2 := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
	e.pay(o2, "x")
	orderWantErr(t, e.svc.CheckPreCheckout(e.ctx, order.PreCheckout{OrderID: o2.ID, BuyerID: buyer, Total: o2.Total}), order.ErrAlreadyPaid)
	orderWantErr(t, e.svc.CheckPreCheckout(e.ctx, order.PreCheckout{OrderID: 999999, BuyerID: buyer, Total: o2.Total}), order.ErrOrderNotFound)
}

func TestOrders_Transitions(t *testing.T) {
	t.Parallel()

	t.Run("BuyerCancelsReservation", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		v := e.variant(shop, 1000, 5)
		o := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: v, Quantity: 2})
		_, err := e.svc.Cancel(e.ctx, e.user(555), o.ID, "")
		orderWantErr(t, err, order.ErrOrderNotFound)
		got, err := e.svc.Cancel(e.ctx, buyer, o.ID, "changed my mind")
		if err != nil || got.Status != order.StatusCancelled || got.CancelReason != "changed my mind" {
			t.Fatalf("cancel = %+v, %v", got, err)
		}
		e.wantStock(v, 5, 0)
		if n := e.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND status = 'cancelled' AND actor_id = $2 AND note = 'changed my mind'`, o.ID, buyer); n != 1 {
			t.Errorf("cancel events = %d", n)
		}
		if !e.hasJob(order.JobNotify, fmt.Sprintf("order:notify:%d:cancelled", o.ID)) {
			t.Error("no cancel notification")
		}
		_, err = e.svc.Cancel(e.ctx, buyer, o.ID, "")
		orderWantErr(t, err, order.ErrTransition)
		e.checkBooks()
	})

	t.Run("StaffCancelsPaid", func(t *testing.T) {
		t.Parallel()
		e, shop, buyer, v := orderStarsShop(t)
		manager := e.manager(shop, 200)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 2})
		e.pay(o, "c1")
		_, err := e.svc.Cancel(e.ctx, buyer, o.ID, "")
		orderWantErr(t, err, order.ErrTransition)

		got, err := e.svc.Cancel(e.ctx, manager, o.ID, "no longer made")
		if err != nil || got.Status != order.StatusCancelled {
			t.Fatalf("cancel = %+v, %v", got, err)
		}
		e.wantStock(v, 5, 0)
		if kinds := e.movements(v); kinds[len(kinds)-1] != "return" {
			t.Errorf("ledger = %v, want a return last", kinds)
		}
		if !e.hasJob(order.JobRefund, "order:refund:c1") {
			t.Error("no refund job for the cancelled payment")
		}
		if n := e.count(`SELECT count(*) FROM payments WHERE status = 'refund_pending'`); n != 1 {
			t.Errorf("payments to refund = %d, want 1", n)
		}
		_, err = e.svc.ConfirmRefund(e.ctx, buyer, o.ID, "c1")
		orderWantErr(t, err, catalog.ErrNotStaff)
		_, err = e.svc.ConfirmRefund(e.ctx, e.user(555), o.ID, "c1")
		orderWantErr(t, err, order.ErrOrderNotFound)
		// Stars go back through Telegram, by the refund job: staff cannot mark them
		// refunded by hand (the job would then skip the real refund).
		_, err = e.svc.ConfirmRefund(e.ctx, manager, o.ID, "c1")
		orderWantErr(t, err, order.ErrStarsRefund)
		if n := e.count(`SELECT count(*) FROM payments WHERE status = 'refund_pending'`); n != 1 {
			t.Errorf("payments to refund after a refused confirmation = %d, want 1", n)
		}
		got, err = e.svc.MarkRefunded(e.ctx, o.ID, "c1") // the refund job, after refundStarPayment
		if err != nil || got.Status != order.StatusRefunded {
			t.Errorf("refunded = %s, %v", got.Status, err)
		}
		if n := e.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND status = 'refunded' AND actor_id IS NULL`, o.ID); n != 1 {
			t.Errorf("refund events by the system = %d, want 1", n)
		}
		if !e.hasJob(order.JobNotify, fmt.Sprintf("order:notify:%d:refunded:c1", o.ID)) {
			t.Error("no refunded notification")
		}
		e.checkBooks()
	})

	t.Run("StaffSeesPaymentsAndConfirmsCardRefund", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		manager := e.manager(shop, 200)
		v := e.variant(shop, 1000, 5)
		o := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: v, Quantity: 1})
		if chs, err := e.svc.Payments(e.ctx, manager, o.ID); err != nil || len(chs) != 0 {
			t.Errorf("payments before paying = %+v, %v", chs, err)
		}
		p := orderPaymentFor(o, "tg-1")
		p.ProviderChargeID = "prov-1"
		p.ShippingOptionID = e.shipping(shop, 0)
		if _, out, err := e.svc.RecordPayment(e.ctx, p); err != nil || out != order.PaymentApplied {
			t.Fatalf("pay = %q, %v", out, err)
		}
		// The same order paid a second time: the second charge is to be refunded.
		p2 := p
		p2.TelegramChargeID, p2.ProviderChargeID = "tg-2", "prov-2"
		if _, out, err := e.svc.RecordPayment(e.ctx, p2); err != nil || out != order.PaymentRefunding {
			t.Fatalf("second payment = %q, %v", out, err)
		}

		chs, err := e.svc.Payments(e.ctx, manager, o.ID)
		if err != nil || len(chs) != 2 {
			t.Fatalf("Payments() = %+v, %v", chs, err)
		}
		first, second := chs[0], chs[1]
		if first.TelegramChargeID != "tg-1" || first.ProviderChargeID != "prov-1" || first.Status != order.ChargeCaptured ||
			first.Amount != o.Total || first.OrderID != o.ID || first.BuyerID != buyer {
			t.Errorf("first payment = %+v", first)
		}
		if second.TelegramChargeID != "tg-2" || second.Status != order.ChargeRefundPending {
			t.Errorf("second payment = %+v", second)
		}
		_, err = e.svc.Payments(e.ctx, buyer, o.ID)
		orderWantErr(t, err, catalog.ErrNotStaff)
		_, err = e.svc.Payments(e.ctx, e.user(555), o.ID)
		orderWantErr(t, err, order.ErrOrderNotFound)
		_, err = e.svc.Payments(e.ctx, manager, 999999)
		orderWantErr(t, err, order.ErrOrderNotFound)

		// Confirming the refund of the money that pays the order is refused; the
		// second charge's refund is recorded and the order stays paid.
		_, err = e.svc.ConfirmRefund(e.ctx, manager, o.ID, "tg-1")
		orderWantErr(t, err, order.ErrTransition)
		got, err := e.svc.ConfirmRefund(e.ctx, shop.Owner, o.ID, "tg-2")
		if err != nil || got.Status != order.StatusPaid {
			t.Fatalf("ConfirmRefund() = %+v, %v", got, err)
		}
		chs, err = e.svc.Payments(e.ctx, shop.Owner, o.ID)
		if err != nil || len(chs) != 2 || chs[0].Status != order.ChargeCaptured || chs[1].Status != order.ChargeRefunded ||
			chs[1].RefundedAt.IsZero() {
			t.Errorf("payments after the refund = %+v, %v", chs, err)
		}
		if !e.hasJob(order.JobNotify, fmt.Sprintf("order:notify:%d:refunded:tg-2", o.ID)) {
			t.Error("no refunded notification")
		}
		e.checkBooks()
	})

	t.Run("Fulfilment", func(t *testing.T) {
		t.Parallel()
		e := orderSetup(t)
		shop := e.shop(orderShopOpts{})
		buyer := e.user(100)
		manager := e.manager(shop, 200)
		stranger := e.user(555)
		v := e.variant(shop, 1000, 10)
		point := e.pickup(shop)

		shipped := e.checkout(buyer, shop, order.DeliveryShipping, order.Item{VariantID: v, Quantity: 1})
		_, err := e.svc.MarkShipped(e.ctx, manager, shipped.ID, "")
		orderWantErr(t, err, order.ErrTransition) // not paid yet
		courier := e.shipping(shop, 0)
		p := orderPaymentFor(shipped, "s")
		p.ShippingOptionID = courier
		if _, out, err := e.svc.RecordPayment(e.ctx, p); err != nil || out != order.PaymentApplied {
			t.Fatalf("pay = %q, %v", out, err)
		}
		_, err = e.svc.MarkShipped(e.ctx, buyer, shipped.ID, "")
		orderWantErr(t, err, catalog.ErrNotStaff)
		_, err = e.svc.MarkShipped(e.ctx, stranger, shipped.ID, "")
		orderWantErr(t, err, order.ErrOrderNotFound)
		_, err = e.svc.MarkReadyForPickup(e.ctx, manager, shipped.ID)
		orderWantErr(t, err, order.ErrTransition)
		got, err := e.svc.MarkShipped(e.ctx, manager, shipped.ID, "RR123456RU")
		if err != nil || got.Status != order.StatusShipped || got.TrackingNote != "RR123456RU" {
			t.Fatalf("ship = %+v, %v", got, err)
		}
		_, err = e.svc.Cancel(e.ctx, shop.Owner, shipped.ID, "")
		orderWantErr(t, err, order.ErrTransition)
		got, err = e.svc.Complete(e.ctx, buyer, shipped.ID)
		if err != nil || got.Status != order.StatusCompleted {
			t.Fatalf("complete = %+v, %v", got, err)
		}

		picked, err := e.svc.Checkout(e.ctx, order.CheckoutRequest{Key: "p", BuyerID: buyer, ShopID: shop.ID,
			Delivery: order.DeliveryPickup, PickupPointID: point, Items: []order.Item{order.Item{VariantID: v, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		e.pay(picked, "p")
		_, err = e.svc.MarkShipped(e.ctx, manager, picked.ID, "")
		orderWantErr(t, err, order.ErrTransition)
		if got, err = e.svc.MarkReadyForPickup(e.ctx, shop.Owner, picked.ID); err != nil || got.Status != order.StatusReadyForPickup {
			t.Fatalf("ready = %+v, %v", got, err)
		}
		if got, err = e.svc.Complete(e.ctx, manager, picked.ID); err != nil || got.Status != order.StatusCompleted {
			t.Fatalf("complete = %+v, %v", got, err)
		}

		// Every change of status is in the history and told to the buyer.
		for _, s := range []string{"awaiting_payment", "paid", "shipped", "completed"} {
			if n := e.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND status = $2`, shipped.ID, s); n != 1 {
				t.Errorf("events %s of the shipped order = %d, want 1", s, n)
			}
		}
		for _, ev := range []order.Event{order.EventPaid, order.EventShipped, order.EventCompleted} {
			if !e.hasJob(order.JobNotify, fmt.Sprintf("order:notify:%d:%s", shipped.ID, ev)) {
				t.Errorf("no %s notification", ev)
			}
		}
		for _, ev := range []order.Event{order.EventPaid, order.EventReadyForPickup, order.EventCompleted} {
			if !e.hasJob(order.JobNotify, fmt.Sprintf("order:notify:%d:%s", picked.ID, ev)) {
				t.Errorf("no %s notification", ev)
			}
		}
		e.checkBooks()
	})
}

func TestOrders_Reading(t *testing.T) {
	t.Parallel()
	e := orderSetup(t)
	shop, other := e.shop(orderShopOpts{Stars: true}), e.shop(orderShopOpts{Stars: true})
	buyer, someone := e.user(100), e.user(101)
	manager := e.manager(shop, 200)
	v, w := e.variant(shop, 50, 100), e.variant(other, 70, 100)

	var mine []order.Order
	for i := range 3 {
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: i + 1})
		mine = append(mine, o)
	}
	e.pay(mine[0], "a")
	e.pay(mine[1], "b")
	e.checkout(someone, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
	e.checkout(buyer, other, order.DeliveryNone, order.Item{VariantID: w, Quantity: 1})

	if _, err := e.svc.Order(e.ctx, manager, mine[0].ID); err != nil {
		t.Errorf("staff reading an order: %v", err)
	}
	_, err := e.svc.Order(e.ctx, someone, mine[0].ID)
	orderWantErr(t, err, order.ErrOrderNotFound)
	_, err = e.svc.Order(e.ctx, other.Owner, mine[0].ID)
	orderWantErr(t, err, order.ErrOrderNotFound)

	list, n, err := e.svc.Orders(e.ctx, buyer, order.Filter{})
	if err != nil || n != 4 || len(list) != 4 || list[0].ID < list[1].ID {
		t.Errorf("buyer's orders = %d of %d, %v; want 4, newest first", len(list), n, err)
	}
	list, n, err = e.svc.Orders(e.ctx, buyer, order.Filter{Limit: 2, Offset: 2})
	if err != nil || n != 4 || len(list) != 2 || len(list[1].Lines) != 1 {
		t.Errorf("second page = %d of %d, %v", len(list), n, err)
	}
	_, _, err = e.svc.Orders(e.ctx, buyer, order.Filter{BuyerID: &someone})
	orderWantErr(t, err, order.ErrNotBuyer)

	shopID := shop.ID
	list, n, err = e.svc.Orders(e.ctx, manager, order.Filter{ShopID: &shopID, Statuses: []order.Status{order.StatusPaid}})
	if err != nil || n != 2 || len(list) != 2 {
		t.Errorf("shop's paid orders = %d of %d, %v; want 2", len(list), n, err)
	}
	list, n, err = e.svc.Orders(e.ctx, manager, order.Filter{ShopID: &shopID})
	if err != nil || n != 4 {
		t.Errorf("shop's orders = %d of %d, %v; want 4", len(list), n, err)
	}
	_, _, err = e.svc.Orders(e.ctx, buyer, order.Filter{ShopID: &shopID})
	orderWantErr(t, err, catalog.ErrNotStaff)

	totals, err := e.svc.Totals(e.ctx, manager, shop.ID, orderStart.Add(-time.Hour))
	if err != nil || totals.Orders != 2 || totals.Revenue != (core.Money{Amount: 50 + 100, Currency: core.Stars}) {
		t.Errorf("totals = %+v, %v; want 2 orders, 150 XTR", totals, err)
	}
	if _, err := e.svc.Cancel(e.ctx, manager, mine[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	totals, err = e.svc.Totals(e.ctx, manager, shop.ID, orderStart.Add(-time.Hour))
	if err != nil || totals.Orders != 1 || totals.Revenue.Amount != 50 {
		t.Errorf("totals after a cancel = %+v, %v; want 1 order, 50 XTR", totals, err)
	}
	if totals, err = e.svc.Totals(e.ctx, manager, shop.ID, orderStart.Add(time.Hour)); err != nil || totals.Orders != 0 {
		t.Errorf("totals since later = %+v, %v; want none", totals, err)
	}
	_, err = e.svc.Totals(e.ctx, buyer, shop.ID, orderStart)
	orderWantErr(t, err, catalog.ErrNotStaff)
}

// The invoice's message is recorded with the buyer's order only, idempotently, the
// later message winning; the order is read with it, also by a repeated checkout key,
// and later changes of the order keep it.
func TestOrders_InvoiceSent(t *testing.T) {
	t.Parallel()
	e, shop, buyer, v := orderStarsShop(t)
	someone := e.user(101)
	req := order.CheckoutRequest{Key: "kb:1", BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryNone,
		Items: []order.Item{{VariantID: v, Quantity: 1}}}
	o, err := e.svc.Checkout(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if o.InvoiceMessageID != 0 {
		t.Fatalf("new order's invoice message = %d, want 0", o.InvoiceMessageID)
	}
	want := func(what string, id int64) {
		t.Helper()
		got, err := e.store.Order(e.ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.InvoiceMessageID != id {
			t.Errorf("%s: invoice message = %d, want %d", what, got.InvoiceMessageID, id)
		}
		if !got.UpdatedAt.Equal(o.UpdatedAt) {
			t.Errorf("%s: updated_at moved from %v to %v", what, o.UpdatedAt, got.UpdatedAt)
		}
	}

	if err := e.svc.InvoiceSent(e.ctx, o.ID, buyer, 42); err != nil {
		t.Fatal(err)
	}
	want("sent", 42)
	if err := e.svc.InvoiceSent(e.ctx, o.ID, buyer, 42); err != nil {
		t.Fatal(err)
	}
	want("recorded twice", 42)
	orderWantErr(t, e.svc.InvoiceSent(e.ctx, o.ID, someone, 99), order.ErrOrderNotFound)
	want("someone else's call", 42)
	orderWantErr(t, e.svc.InvoiceSent(e.ctx, o.ID+1000, buyer, 99), order.ErrOrderNotFound)
	if err := e.svc.InvoiceSent(e.ctx, o.ID, buyer, 0); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("message 0: %v, want EINVALID", err)
	}
	if err := e.svc.InvoiceSent(e.ctx, o.ID, buyer, 41); err != nil {
		t.Fatal(err)
	}
	want("an earlier message recorded late", 42)
	if err := e.svc.InvoiceSent(e.ctx, o.ID, buyer, 50); err != nil {
		t.Fatal(err)
	}
	want("a later invoice", 50)

	again, err := e.svc.Checkout(e.ctx, req)
	if err != nil || !again.Existing || again.ID != o.ID || again.InvoiceMessageID != 50 {
		t.Errorf("checkout with the key again = order %d existing %v invoice %d, %v; want %d, true, 50",
			again.ID, again.Existing, again.InvoiceMessageID, err, o.ID)
	}
	if paid := e.pay(o, "charge-1"); paid.InvoiceMessageID != 50 {
		t.Errorf("paid order's invoice message = %d, want 50", paid.InvoiceMessageID)
	}
}
