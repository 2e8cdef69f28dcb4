package postgres

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// orderWidePool opens a second pool on the test's database with room for n
// concurrent transactions (pgtest's pool holds a few), closed when the test ends.
func (e *orderEnv) orderWidePool(n int32) *pgxpool.Pool {
	e.t.Helper()
	cfg, err := pgxpool.ParseConfig(e.url)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg.MaxConns = n
	pool, err := pgxpool.NewWithConfig(e.ctx, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(pool.Close)
	return pool
}

// Many buyers race for few units: exactly as many orders as units, everyone else
// told it is sold out, and never a unit more reserved than there is.
func TestOrders_ConcurrentCheckout(t *testing.T) {
	t.Parallel()
	e := orderSetup(t)
	svc := order.NewService(NewOrders(e.orderWidePool(25)), e.clock)
	shop := e.shop(orderShopOpts{Stars: true})
	v := e.variant(shop, 50, 10)
	const buyers = 50
	for i := range buyers {
		e.user(core.UserID(1000 + i))
	}

	var orders, soldOut atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			<-start
			_, err := svc.Checkout(e.ctx, order.CheckoutRequest{
				Key: "drop", BuyerID: core.UserID(1000 + i), ShopID: shop.ID, Delivery: order.DeliveryNone,
				Items: []order.Item{{VariantID: v, Quantity: 1}},
			})
			switch {
			case err == nil:
				orders.Add(1)
			case errors.Is(err, order.ErrSoldOut):
				soldOut.Add(1)
			default:
				t.Errorf("buyer %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()

	if orders.Load() != 10 || soldOut.Load() != 40 {
		t.Errorf("orders %d, sold out %d; want 10 and 40", orders.Load(), soldOut.Load())
	}
	e.wantStock(v, 10, 10)
	if n := e.count(`SELECT count(*) FROM orders`); n != 10 {
		t.Errorf("orders in the database = %d, want 10", n)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE kind = $1`, order.JobExpire); n != 10 {
		t.Errorf("expiry jobs = %d, want 10", n)
	}
	e.checkBooks()
}

// Changes that lock several variants, started at once from many clients, never
// deadlock: checkouts listing the variants in either order, payments and staff
// cancels of those orders, and stock files and adjustments touching the same
// variants all lock them in variant id order (an order's row first). A deadlock
// would surface as an internal error (SQLSTATE 40P01).
func TestOrders_LockOrder(t *testing.T) {
	t.Parallel()
	e := orderSetup(t)
	pool := e.orderWidePool(16)
	svc := order.NewService(NewOrders(pool), e.clock)
	cat := catalog.NewService(NewCatalog(pool), e.clock, nil)
	shop := e.shop(orderShopOpts{Stars: true})
	manager := e.manager(shop, 500)
	vs := []core.VariantID{e.variant(shop, 10, 400), e.variant(shop, 20, 400), e.variant(shop, 30, 400)}
	var skus []string
	for _, v := range vs {
		var sku string
		if err := e.pool.QueryRow(e.ctx, `SELECT sku FROM variants WHERE id = $1`, v).Scan(&sku); err != nil {
			t.Fatal(err)
		}
		skus = append(skus, sku)
	}
	const clients, rounds = 12, 12
	for i := range clients {
		e.user(core.UserID(1000 + i))
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			<-start
			buyer := core.UserID(1000 + c)
			for r := range rounds {
				var err error
				switch (c + r) % 4 {
				case 0, 1: // buy every variant, listed from the other end by odd clients, then pay or cancel
					items := []order.Item{{VariantID: vs[0], Quantity: 1}, {VariantID: vs[1], Quantity: 1}, {VariantID: vs[2], Quantity: 1}}
					if c%2 == 1 {
						slices.Reverse(items)
					}
					var o order.Order
					o, err = svc.Checkout(e.ctx, order.CheckoutRequest{Key: fmt.Sprint(c, "-", r), BuyerID: buyer, ShopID: shop.ID,
						Delivery: order.DeliveryNone, Items: items})
					if err != nil {
						break
					}
					if _, _, err = svc.RecordPayment(e.ctx, orderPaymentFor(o, fmt.Sprint("ch", c, "-", r))); err != nil {
						break
					}
					if r%3 == 0 {
						_, err = svc.Cancel(e.ctx, manager, o.ID, "")
					}
				case 2: // a stock file touching every variant
					var rows []catalog.ImportRow
					for i, sku := range skus {
						n := 300 + (c*rounds+r+i)%50
						rows = append(rows, catalog.ImportRow{Line: i + 2, SKU: sku, Stock: &n})
					}
					var plan catalog.ImportPlan
					if plan, err = cat.PlanImport(e.ctx, manager, shop.ID, rows, nil); err == nil {
						_, err = cat.ApplyImport(e.ctx, manager, plan)
					}
				case 3:
					_, err = cat.AdjustStock(e.ctx, manager, vs[(c+r)%len(vs)], 1, catalog.MoveReceipt, "")
				}
				if core.ErrorCode(err) == core.EINTERNAL {
					t.Errorf("client %d round %d: %v", c, r, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	e.checkBooks()
}

// A pre-checkout and the expiry of the same reservation race at its very end, on
// replicas whose clocks differ by a microsecond. Whichever locks the order first
// decides, and the other sees it: a passed pre-checkout (Telegram is about to charge)
// always finds the reservation still held, and never is it released after that. At
// exactly reserved_until both call it over.
func TestOrders_ExpiryRace(t *testing.T) {
	t.Parallel()
	e := orderSetup(t)
	pool := e.orderWidePool(8)
	store := NewOrders(pool)
	serveClock, workerClock := core.NewFakeClock(orderStart), core.NewFakeClock(orderStart)
	serve, worker := order.NewService(store, serveClock), order.NewService(store, workerClock)
	shop := e.shop(orderShopOpts{Stars: true})
	buyer := e.user(100)
	v := e.variant(shop, 50, 100)

	const orders = 30
	var passed, refused int
	for i := range orders {
		e.clock.Set(orderStart)
		o := e.checkout(buyer, shop, order.DeliveryNone, order.Item{VariantID: v, Quantity: 1})
		workerClock.Set(o.ReservedUntil)
		serveClock.Set(o.ReservedUntil.Add(-time.Microsecond))
		if i%3 == 0 {
			serveClock.Set(o.ReservedUntil) // the same instant: both call it over
		}
		var checkErr, expireErr, sweepErr error
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			checkErr = serve.CheckPreCheckout(e.ctx, order.PreCheckout{OrderID: o.ID, BuyerID: buyer, Total: o.Total})
		})
		wg.Go(func() {
			<-start
			_, expireErr = worker.Expire(e.ctx, o.ID)
		})
		wg.Go(func() {
			<-start
			_, sweepErr = worker.ExpireDue(e.ctx, 0)
		})
		close(start)
		wg.Wait()
		if sweepErr != nil || (expireErr != nil && !errors.Is(expireErr, order.ErrNotDue)) {
			t.Fatalf("order %d: expire %v, sweep %v", o.ID, expireErr, sweepErr)
		}
		got, err := e.svc.OrderForSystem(e.ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case checkErr == nil:
			passed++
			if i%3 == 0 {
				t.Errorf("order %d: pre-checkout passed at exactly reserved_until", o.ID)
			}
			if got.Status != order.StatusAwaitingPayment || !got.ReservedUntil.Equal(serveClock.Now().Add(order.PaymentHold)) {
				t.Errorf("order %d: pre-checkout passed, then %s until %v; want held for the payment", o.ID, got.Status, got.ReservedUntil)
			}
		case errors.Is(checkErr, order.ErrReservationExpired):
			refused++
			if got.Status != order.StatusExpired {
				t.Errorf("order %d: pre-checkout refused as expired, but the order is %s", o.ID, got.Status)
			}
		default:
			t.Fatalf("order %d: pre-checkout: %v", o.ID, checkErr)
		}
	}
	t.Logf("%d pre-checkouts passed, %d refused", passed, refused)
	e.checkBooks()
}

// orderSeed is the property test's seed: VITRINA_ORDER_SEED to replay a failure,
// else the clock.
func orderSeed(t *testing.T) uint64 {
	if s := os.Getenv("VITRINA_ORDER_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("VITRINA_ORDER_SEED: %v", err)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// orderModel drives random sequences of what shoppers, staff, Telegram, the
// clock and the expiry worker do to a shop.
type orderModel struct {
	e        *orderEnv
	svc      *order.Service
	catalog  *catalog.Service
	rng      *rand.Rand
	mu       sync.Mutex // guards rng and the lists below when steps run concurrently
	shop     orderShop
	manager  core.UserID
	buyers   []core.UserID
	variants []core.VariantID
	skus     []string
	orders   []order.Order // as checked out
	keys     []order.CheckoutRequest
	charges  []order.Payment
}

// orderNewModel sets up a shop with three variants over pool (the stock moves of
// staff go through the catalog's own store and service, as in production).
func orderNewModel(e *orderEnv, pool *pgxpool.Pool, seed uint64) *orderModel {
	m := &orderModel{
		e:       e,
		svc:     order.NewService(NewOrders(pool), e.clock),
		catalog: catalog.NewService(NewCatalog(pool), e.clock, nil),
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	m.shop = e.shop(orderShopOpts{Stars: true})
	m.manager = e.manager(m.shop, 500)
	for i := range 3 {
		m.buyers = append(m.buyers, e.user(core.UserID(100+i)))
		v := e.variant(m.shop, int64(10*(i+1)), 2+i*2)
		m.variants = append(m.variants, v)
		var sku string
		if err := e.pool.QueryRow(e.ctx, `SELECT sku FROM variants WHERE id = $1`, v).Scan(&sku); err != nil {
			e.t.Fatal(err)
		}
		m.skus = append(m.skus, sku)
	}
	return m
}

// pick returns a random element's index, or -1 for an empty list.
func (m *orderModel) intn(n int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n <= 0 {
		return -1
	}
	return m.rng.IntN(n)
}

func (m *orderModel) someOrder() (order.Order, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.orders) == 0 {
		return order.Order{}, false
	}
	return m.orders[m.rng.IntN(len(m.orders))], true
}

// step does one random thing and says what. It returns an error only for an
// internal failure: a refusal (sold out, not due, wrong state) is an answer.
func (m *orderModel) step() (string, error) {
	ctx := m.e.ctx
	var what string
	var err error
	switch op := m.intn(12); op {
	case 0, 1: // checkout, sometimes redelivered
		buyer := m.buyers[m.intn(len(m.buyers))]
		req := order.CheckoutRequest{Key: fmt.Sprint("k", m.e.seq.Add(1)), BuyerID: buyer, ShopID: m.shop.ID, Delivery: order.DeliveryNone}
		m.mu.Lock()
		if len(m.keys) > 0 && m.rng.IntN(5) == 0 {
			req = m.keys[m.rng.IntN(len(m.keys))]
		} else {
			first := m.rng.IntN(len(m.variants))
			req.Items = []order.Item{{VariantID: m.variants[first], Quantity: 1 + m.rng.IntN(3)}}
			if second := m.rng.IntN(len(m.variants)); second != first && m.rng.IntN(2) == 0 {
				req.Items = append(req.Items, order.Item{VariantID: m.variants[second], Quantity: 1 + m.rng.IntN(2)})
			}
		}
		m.mu.Unlock()
		var o order.Order
		o, err = m.svc.Checkout(ctx, req)
		what = fmt.Sprintf("checkout %s %v", req.Key, req.Items)
		if err == nil {
			m.mu.Lock()
			m.orders = append(m.orders, o)
			m.keys = append(m.keys, req)
			m.mu.Unlock()
		}
	case 2: // the cart's way
		buyer := m.buyers[m.intn(len(m.buyers))]
		v := m.variants[m.intn(len(m.variants))]
		what = fmt.Sprintf("cart checkout of %d by %d", v, buyer)
		if _, err = m.svc.AddToCart(ctx, buyer, v, 1+m.intn(2)); err == nil {
			var o order.Order
			o, err = m.svc.Checkout(ctx, order.CheckoutRequest{Key: fmt.Sprint("c", m.e.seq.Add(1)), BuyerID: buyer, ShopID: m.shop.ID})
			if err == nil {
				m.mu.Lock()
				m.orders = append(m.orders, o)
				m.mu.Unlock()
			}
		}
	case 3: // time passes
		d := time.Duration(m.intn(8*60)) * time.Second
		m.e.clock.Advance(d)
		what = fmt.Sprint("advance ", d)
	case 4: // an expiry job fires, maybe early
		if o, ok := m.someOrder(); ok {
			what = fmt.Sprint("expire ", o.ID)
			_, err = m.svc.Expire(ctx, o.ID)
		}
	case 5: // the sweep
		what = "sweep"
		_, err = m.svc.ExpireDue(ctx, 3)
	case 6, 7: // Telegram reports a payment: right, short, or redelivered
		o, ok := m.someOrder()
		if !ok {
			break
		}
		p := orderPaymentFor(o, fmt.Sprint("ch", m.e.seq.Add(1)))
		m.mu.Lock()
		switch r := m.rng.IntN(10); {
		case r == 0:
			p.Total.Amount--
		case r <= 2 && len(m.charges) > 0:
			p = m.charges[m.rng.IntN(len(m.charges))]
		}
		m.charges = append(m.charges, p)
		m.mu.Unlock()
		what = fmt.Sprintf("pay %d with %s", p.OrderID, p.TelegramChargeID)
		_, _, err = m.svc.RecordPayment(ctx, p)
	case 8: // pre-checkout
		if o, ok := m.someOrder(); ok {
			what = fmt.Sprint("pre-checkout ", o.ID)
			err = m.svc.CheckPreCheckout(ctx, order.PreCheckout{OrderID: o.ID, BuyerID: o.BuyerID, Total: o.Total})
		}
	case 9: // cancel, by the buyer or staff
		if o, ok := m.someOrder(); ok {
			actor := o.BuyerID
			if m.intn(2) == 0 {
				actor = m.manager
			}
			what = fmt.Sprintf("cancel %d by %d", o.ID, actor)
			_, err = m.svc.Cancel(ctx, actor, o.ID, "test")
		}
	case 10: // staff adjust stock or import a stock file; fulfilment; refunds
		switch m.intn(4) {
		case 0:
			v, d := m.variants[m.intn(len(m.variants))], m.intn(9)-3
			kind := catalog.MoveReceipt
			if d < 0 {
				kind = catalog.MoveWriteOff
			}
			what = fmt.Sprintf("adjust %d by %d", v, d)
			if d != 0 {
				_, err = m.catalog.AdjustStock(ctx, m.manager, v, d, kind, "count")
			}
		case 3:
			// A file setting the stock of one or two variants, previewed and then
			// confirmed while checkouts and payments go on.
			var rows []catalog.ImportRow
			for i := range m.skus {
				if m.intn(2) == 0 {
					n := m.intn(8)
					rows = append(rows, catalog.ImportRow{Line: i + 2, SKU: m.skus[i], Stock: &n})
				}
			}
			what = fmt.Sprintf("import %d rows", len(rows))
			var plan catalog.ImportPlan
			if plan, err = m.catalog.PlanImport(ctx, m.manager, m.shop.ID, rows, nil); err == nil {
				_, err = m.catalog.ApplyImport(ctx, m.manager, plan)
			}
		case 1:
			if o, ok := m.someOrder(); ok {
				what = fmt.Sprint("ship and complete ", o.ID)
				if _, err = m.svc.MarkShipped(ctx, m.manager, o.ID, ""); err == nil {
					_, err = m.svc.Complete(ctx, o.BuyerID, o.ID)
				}
			}
		default:
			var id core.OrderID
			var charge string
			e := m.e.pool.QueryRow(ctx, `SELECT order_id, telegram_payment_charge_id FROM payments WHERE status = 'refund_pending'
				ORDER BY id LIMIT 1`).Scan(&id, &charge)
			if e == nil {
				what = fmt.Sprintf("refunded %d %s", id, charge)
				_, err = m.svc.MarkRefunded(ctx, id, charge)
			}
		}
	case 11: // an hour on, the sweep: reservations end, refunds waiting are asked for again
		what = "sweep after an hour"
		m.e.clock.Advance(time.Hour)
		if _, err = m.svc.ExpireDue(ctx, 0); err == nil {
			_, err = m.svc.RetryRefunds(ctx, time.Hour, 0)
		}
	}
	if core.ErrorCode(err) == core.EINTERNAL {
		return what, fmt.Errorf("%s: %w", what, err)
	}
	return what, nil
}

// Random sequences of checkout, expiry, payment, cancel and stock adjustments keep
// the books right after every step.
func TestOrders_Property(t *testing.T) {
	t.Parallel()
	base := orderSeed(t)
	for i := range 3 {
		seed := base + uint64(i)
		t.Run(fmt.Sprint("Sequential", i), func(t *testing.T) {
			t.Parallel()
			t.Logf("seed %d (replay with VITRINA_ORDER_SEED=%d and -run 'TestOrders_Property/Sequential0')", seed, seed)
			e := orderSetup(t)
			m := orderNewModel(e, e.pool, seed)
			for n := range 150 {
				what, err := m.step()
				if err != nil {
					t.Fatalf("step %d: %v", n, err)
				}
				e.t = &orderStepT{T: t, step: n, what: what}
				e.checkBooks()
				e.t = t
			}
			t.Log(m.summary())
		})
	}

	// The same moves from several goroutines at once; the books are checked when
	// they are done (in between, a check would race with the moves).
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		seed := base + 99
		t.Logf("seed %d", seed)
		e := orderSetup(t)
		m := orderNewModel(e, e.orderWidePool(8), seed)
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				for range 40 {
					if _, err := m.step(); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		e.checkBooks()
		t.Log(m.summary())
	})
}

// summary counts what the run reached, to see that it went where it matters.
func (m *orderModel) summary() string {
	var out string
	err := m.e.pool.QueryRow(m.e.ctx, `
		SELECT (SELECT string_agg(status || '=' || n, ' ' ORDER BY status) FROM
		        (SELECT status, count(*) n FROM orders GROUP BY status) o)
		    || ' | payments ' ||
		       coalesce((SELECT string_agg(status || '=' || n, ' ' ORDER BY status) FROM
		        (SELECT status, count(*) n FROM payments GROUP BY status) p), '-')
		    || ' | ledger ' ||
		       (SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM
		        (SELECT kind, count(*) n FROM stock_movements GROUP BY kind) l)`).Scan(&out)
	if err != nil {
		return err.Error()
	}
	return out
}

// orderStepT names the step after which a check failed.
type orderStepT struct {
	*testing.T
	step int
	what string
}

func (s *orderStepT) Fatalf(format string, args ...any) {
	s.T.Helper()
	s.T.Fatalf("after step %d (%s): %s", s.step, s.what, fmt.Sprintf(format, args...))
}

// BenchmarkCheckout measures checkouts of one unit each of one hot variant, from
// many clients at once: the drop's hot path. Read checkouts/s.
func BenchmarkCheckout(b *testing.B) {
	for _, clients := range []int{4, 16, 64} {
		b.Run(fmt.Sprint("clients=", clients), func(b *testing.B) {
			e := orderSetup(b)
			svc := order.NewService(NewOrders(e.orderWidePool(int32(clients))), e.clock)
			shop := e.shop(orderShopOpts{Stars: true})
			v := e.variant(shop, 50, 1_000_000_000)
			buyer := e.user(100)
			var key atomic.Int64
			b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, err := svc.Checkout(e.ctx, order.CheckoutRequest{
						Key: fmt.Sprint(key.Add(1)), BuyerID: buyer, ShopID: shop.ID, Delivery: order.DeliveryNone,
						Items: []order.Item{{VariantID: v, Quantity: 1}},
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkouts/s")
			if _, reserved := e.stock(v); reserved != b.N {
				b.Errorf("reserved %d, want %d", reserved, b.N)
			}
		})
	}
}
