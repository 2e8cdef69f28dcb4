package groupbuystore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/groupbuystore"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/user"
)

const (
	seller   core.UserID = 1
	stranger core.UserID = 2
	shoppers             = 1000 // users 1000, 1001, ... are shoppers
)

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

type bundle struct {
	ctx    context.Context
	pool   *pgxpool.Pool
	clock  *core.FakeClock
	svc    *groupbuy.Service
	orders *order.Service
	shop   core.ShopID
	prod   core.ProductID
	sizes  []core.VariantID
	pickup core.PickupPointID
}

// setup makes a rouble shop of seller with shoes in sizes 36-41 and a pickup
// point, and n shoppers.
func setup(t testing.TB, n int) *bundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	b := &bundle{ctx: context.Background(), pool: pool, clock: core.NewFakeClock(t0)}
	users := user.NewService(postgres.NewUsers(pool), b.clock)
	ids := []core.UserID{seller, stranger}
	for i := range n {
		ids = append(ids, core.UserID(shoppers+i))
	}
	for _, id := range ids {
		if _, err := users.Touch(b.ctx, user.Seen{ID: id, FirstName: fmt.Sprint(id), TelegramLang: "ru"}); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.NewService(postgres.NewCatalog(pool), b.clock, nil)
	s, err := cat.CreateShop(b.ctx, seller, catalog.NewShop{Name: "Обувь оптом", Currency: "RUB", PaymentMethod: catalog.PayCard, ProviderToken: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var vs []catalog.NewVariant
	for size := 36; size <= 41; size++ {
		vs = append(vs, catalog.NewVariant{Name: fmt.Sprint(size), Price: rub(1200)})
	}
	p, err := cat.CreateProduct(b.ctx, seller, catalog.NewProduct{ShopID: s.ID, Title: "Кеды", Variants: vs})
	if err != nil {
		t.Fatal(err)
	}
	pp, err := cat.AddPickupPoint(b.ctx, seller, catalog.PickupPoint{ShopID: s.ID, Name: "У метро", Address: "Тверская, 1"})
	if err != nil {
		t.Fatal(err)
	}
	b.shop, b.prod, b.pickup = s.ID, p.ID, pp.ID
	for _, v := range p.Variants {
		b.sizes = append(b.sizes, v.ID)
	}
	b.orders = order.NewService(postgres.NewOrders(pool), b.clock)
	b.svc = groupbuy.NewService(groupbuystore.New(pool), b.orders, b.clock)
	return b
}

func rub(n int64) core.Money { return core.Money{Amount: n * 100, Currency: "RUB"} }

// purchase opens the example: 1-19 at 1,000 ₽, 20-49 at 900 ₽, 50+ at
// 800 ₽, 20 units at least, a 15 % fee, for a day.
func (b *bundle) purchase(t testing.TB, min groupbuy.Minimum) groupbuy.Purchase {
	t.Helper()
	p, err := b.svc.Create(b.ctx, seller, groupbuy.Purchase{
		Shop: b.shop, Product: b.prod, Variants: b.sizes, Title: "Кеды оптом",
		Tiers:   groupbuy.Tiers{{From: 1, Price: rub(1000)}, {From: 20, Price: rub(900)}, {From: 50, Price: rub(800)}},
		Minimum: min, FeeBP: 1500, Pickup: []core.PickupPointID{b.pickup}, Deadline: t0.Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreate(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 20})
	if p.ID == 0 || p.Status != groupbuy.StatusOpen || p.PayMode != groupbuy.PayAfterStop || p.PayWindow != groupbuy.DefaultPayWindow ||
		p.Organizer != seller || p.Currency() != "RUB" {
		t.Fatalf("created %+v", p)
	}
	got, err := b.svc.Purchase(b.ctx, p.ID)
	if err != nil || got.Title != "Кеды оптом" || len(got.Tiers) != 3 || got.Tiers[2].Price != rub(800) || len(got.Variants) != 6 ||
		!got.Deadline.Equal(p.Deadline) || got.Minimum != p.Minimum || got.FeeBP != 1500 {
		t.Fatalf("read back %+v, %v", got, err)
	}

	base := groupbuy.Purchase{Shop: b.shop, Product: b.prod, Variants: b.sizes, Title: "Кеды",
		Tiers: groupbuy.Tiers{{From: 1, Price: rub(1000)}}, Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 5},
		Pickup: []core.PickupPointID{b.pickup}, Deadline: t0.Add(time.Hour)}
	for name, tc := range map[string]struct {
		actor  core.UserID
		change func(*groupbuy.Purchase)
		want   error
	}{
		"a stranger":        {stranger, func(*groupbuy.Purchase) {}, groupbuy.ErrNotOrganizer},
		"tiers rising":      {seller, func(p *groupbuy.Purchase) { p.Tiers = append(p.Tiers, groupbuy.Tier{From: 5, Price: rub(1100)}) }, groupbuy.ErrTiers},
		"no minimum":        {seller, func(p *groupbuy.Purchase) { p.Minimum.Value = 0 }, groupbuy.ErrMinimum},
		"a fee of 60 %":     {seller, func(p *groupbuy.Purchase) { p.FeeBP = 6000 }, groupbuy.ErrFee},
		"a past deadline":   {seller, func(p *groupbuy.Purchase) { p.Deadline = t0 }, groupbuy.ErrDeadline},
		"no delivery":       {seller, func(p *groupbuy.Purchase) { p.Pickup = nil }, groupbuy.ErrNoDelivery},
		"another's variant": {seller, func(p *groupbuy.Purchase) { p.Variants = []core.VariantID{999} }, groupbuy.ErrNotOffered},
		"another's point":   {seller, func(p *groupbuy.Purchase) { p.Pickup = []core.PickupPointID{999} }, groupbuy.ErrPickup},
		"no title":          {seller, func(p *groupbuy.Purchase) { p.Title = "  " }, groupbuy.ErrTitle},
	} {
		p := base
		p.Tiers = append(groupbuy.Tiers(nil), base.Tiers...)
		tc.change(&p)
		if _, err := b.svc.Create(b.ctx, tc.actor, p); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// Joining, changing the quantity, leaving and joining again keep the units and
// the tier right; what is not offered, a wrong point and a closed purchase are
// refused.
func TestJoinChangeLeave(t *testing.T) {
	t.Parallel()
	b := setup(t, 3)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinRows, Value: 1})
	anna, boris := core.UserID(shoppers), core.UserID(shoppers+1)
	got, place, err := b.svc.Join(b.ctx, anna, p.ID, b.sizes[2], 2, b.pickup)
	if err != nil || got.Totals.Units != 2 || got.Totals.PerVariant[b.sizes[2]] != 2 || place.Quantity != 2 || place.ID == 0 {
		t.Fatalf("join: %+v, %+v, %v", got.Totals, place, err)
	}
	if got, _, err = b.svc.Join(b.ctx, anna, p.ID, b.sizes[2], 5, b.pickup); err != nil || got.Totals.Units != 5 {
		t.Fatalf("change to 5: %+v, %v", got.Totals, err)
	}
	if got, _, err = b.svc.Join(b.ctx, boris, p.ID, b.sizes[0], 1, b.pickup); err != nil || got.Totals.Units != 6 {
		t.Fatalf("boris joins: %+v, %v", got.Totals, err)
	}
	if full, missing := groupbuy.Rows(got.Variants, got.Totals.PerVariant); full != 0 || len(missing) != 4 {
		t.Errorf("rows %d, missing %v; want none, 4 sizes missing", full, missing)
	}
	if got, err = b.svc.Leave(b.ctx, anna, p.ID, b.sizes[2]); err != nil || got.Totals.Units != 1 || got.Totals.PerVariant[b.sizes[2]] != 0 {
		t.Fatalf("anna leaves: %+v, %v", got.Totals, err)
	}
	if _, err = b.svc.Leave(b.ctx, anna, p.ID, b.sizes[2]); !errors.Is(err, groupbuy.ErrNotParticipant) {
		t.Errorf("leaving twice: %v", err)
	}
	if got, _, err = b.svc.Join(b.ctx, anna, p.ID, b.sizes[2], 1, b.pickup); err != nil || got.Totals.Units != 2 {
		t.Fatalf("anna joins again: %+v, %v", got.Totals, err)
	}
	if places, err := b.svc.Places(b.ctx, p.ID, anna); err != nil || len(places) != 1 || places[0].Quantity != 1 {
		t.Errorf("anna's places %+v, %v", places, err)
	}

	for name, tc := range map[string]struct {
		v      core.VariantID
		qty    int
		pickup core.PickupPointID
		want   error
	}{
		"a variant not offered": {999, 1, b.pickup, groupbuy.ErrNotOffered},
		"no quantity":           {b.sizes[0], 0, b.pickup, groupbuy.ErrQuantity},
		"too many":              {b.sizes[0], 100, b.pickup, groupbuy.ErrQuantity},
		"no pickup point":       {b.sizes[0], 1, 0, groupbuy.ErrPickup},
		"another point":         {b.sizes[0], 1, 999, groupbuy.ErrPickup},
	} {
		if _, _, err := b.svc.Join(b.ctx, boris, p.ID, tc.v, tc.qty, tc.pickup); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, _, err := b.svc.Join(b.ctx, boris, p.ID+100, b.sizes[0], 1, b.pickup); !errors.Is(err, groupbuy.ErrNotFound) {
		t.Errorf("no such purchase: %v", err)
	}
	b.clock.Set(p.Deadline)
	if _, _, err := b.svc.Join(b.ctx, boris, p.ID, b.sizes[1], 1, b.pickup); !errors.Is(err, groupbuy.ErrClosed) {
		t.Errorf("a join at the deadline: %v", err)
	}
	if _, err := b.svc.Leave(b.ctx, boris, p.ID, b.sizes[0]); !errors.Is(err, groupbuy.ErrClosed) {
		t.Errorf("leaving at the deadline: %v", err)
	}
}

// Many shoppers joining at once, some changing their minds, across a tier's
// threshold: the units are every place's quantity, never a stale sum.
func TestJoinsRace(t *testing.T) {
	t.Parallel()
	const n = 60
	b := setup(t, n)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 20})
	var wg sync.WaitGroup
	for i := range n {
		buyer := core.UserID(shoppers + i)
		wg.Go(func() {
			v := b.sizes[i%len(b.sizes)]
			if _, _, err := b.svc.Join(b.ctx, buyer, p.ID, v, 1+i%3, b.pickup); err != nil {
				t.Error(err)
				return
			}
			switch i % 4 {
			case 1: // a double tap
				if _, _, err := b.svc.Join(b.ctx, buyer, p.ID, v, 1+i%3, b.pickup); err != nil {
					t.Error(err)
				}
			case 2: // changed their mind
				if _, err := b.svc.Leave(b.ctx, buyer, p.ID, v); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got, err := b.svc.Purchase(b.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := range n {
		if i%4 != 2 {
			want += 1 + i%3
		}
	}
	var sum int
	if err := b.pool.QueryRow(b.ctx, `SELECT coalesce(sum(quantity), 0) FROM group_buy_places WHERE purchase_id = $1 AND status = 'joined'`,
		p.ID).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	var perVariant int
	for _, q := range got.Totals.PerVariant {
		perVariant += q
	}
	if got.Totals.Units != want || sum != want || perVariant != want {
		t.Errorf("units %d, places %d, per variant %d; want %d", got.Totals.Units, sum, perVariant, want)
	}
	if got.Current().Price != rub(800) || !got.MinimumMet() {
		t.Errorf("at %d units: %v, minimum met %v; want 800 ₽ and met", got.Totals.Units, got.Current().Price, got.MinimumMet())
	}
}

// joinN puts n shoppers (from shopper first) in a purchase with one unit each.
func (b *bundle) joinN(t *testing.T, id groupbuy.ID, first, n int) {
	t.Helper()
	for i := range n {
		if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+first+i), id, b.sizes[i%len(b.sizes)], 1, b.pickup); err != nil {
			t.Fatal(err)
		}
	}
}

// The organizer's STOP: only theirs, only with the minimum met; it fixes the
// price at the tier reached, and nobody joins or leaves after it.
func TestStop(t *testing.T) {
	t.Parallel()
	b := setup(t, 25)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 20})
	b.joinN(t, p.ID, 0, 19)
	if _, err := b.svc.Stop(b.ctx, seller, p.ID); !errors.Is(err, groupbuy.ErrMinimumNotMet) {
		t.Errorf("STOP at 19 of 20: %v", err)
	}
	b.joinN(t, p.ID, 19, 1)
	if _, err := b.svc.Stop(b.ctx, stranger, p.ID); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Errorf("STOP by a stranger: %v", err)
	}
	got, err := b.svc.Stop(b.ctx, seller, p.ID)
	if err != nil || got.Status != groupbuy.StatusStopped || got.Price != rub(900) || !got.StoppedAt.Equal(t0) || got.Totals.Units != 20 {
		t.Fatalf("STOP: %+v, %v", got, err)
	}
	if again, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil || again.Price != rub(900) {
		t.Errorf("STOP again: %+v, %v", again, err)
	}
	if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+21), p.ID, b.sizes[0], 1, b.pickup); !errors.Is(err, groupbuy.ErrClosed) {
		t.Errorf("a join after STOP: %v", err)
	}
	if _, err := b.svc.Leave(b.ctx, core.UserID(shoppers), p.ID, b.sizes[0]); !errors.Is(err, groupbuy.ErrClosed) {
		t.Errorf("leaving after STOP: %v", err)
	}
	// The deadline's job, later, leaves a stopped purchase as it is.
	b.clock.Set(p.Deadline)
	if closed, due, err := b.svc.Close(b.ctx, p.ID); err != nil || !due || closed.Status != groupbuy.StatusStopped || closed.Price != rub(900) {
		t.Errorf("the deadline after STOP: %+v, %v, %v", closed, due, err)
	}
}

// At the deadline (its job, which may run early or twice) a purchase stops at
// the tier reached if its minimum is met, and fails if not.
func TestClose(t *testing.T) {
	t.Parallel()
	b := setup(t, 52)
	met := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 20})
	short := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinRows, Value: 1})
	b.joinN(t, met.ID, 0, 52)
	b.joinN(t, short.ID, 0, 5) // five of six sizes: no full row
	var jobs int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE kind = $1 AND run_at = $2`, groupbuy.JobClose, met.Deadline).
		Scan(&jobs); err != nil || jobs != 2 {
		t.Fatalf("%d close jobs due at the deadline (%v), want one a purchase", jobs, err)
	}
	b.clock.Set(met.Deadline.Add(-time.Second))
	if got, due, err := b.svc.Close(b.ctx, met.ID); err != nil || due || got.Status != groupbuy.StatusOpen {
		t.Fatalf("closed early: %+v, %v, %v", got, due, err)
	}
	b.clock.Set(met.Deadline)
	for range 2 {
		got, due, err := b.svc.Close(b.ctx, met.ID)
		if err != nil || !due || got.Status != groupbuy.StatusStopped || got.Price != rub(800) || got.Totals.Units != 52 {
			t.Fatalf("close with the minimum met: %+v, %v, %v", got, due, err)
		}
		got, due, err = b.svc.Close(b.ctx, short.ID)
		if err != nil || !due || got.Status != groupbuy.StatusFailed || !got.Price.IsZero() {
			t.Fatalf("close without a full row: %+v, %v, %v", got, due, err)
		}
	}
}

// Joins racing STOP: each either counts in the fixed price or is refused;
// nothing joins after.
func TestJoinsRaceStop(t *testing.T) {
	t.Parallel()
	const n = 40
	b := setup(t, n)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 5})
	b.joinN(t, p.ID, 0, 5)
	var wg sync.WaitGroup
	var mu sync.Mutex
	joined := 5
	for i := 5; i < n; i++ {
		wg.Go(func() {
			_, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+i), p.ID, b.sizes[0], 1, b.pickup)
			switch {
			case err == nil:
				mu.Lock()
				joined++
				mu.Unlock()
			case !errors.Is(err, groupbuy.ErrClosed):
				t.Error(err)
			}
		})
		if i == 20 {
			wg.Go(func() {
				if _, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	got, err := b.svc.Purchase(b.ctx, p.ID)
	if err != nil || got.Status != groupbuy.StatusStopped {
		t.Fatalf("after the race: %+v, %v", got, err)
	}
	if got.Totals.Units != joined {
		t.Errorf("%d units, %d joins answered yes", got.Totals.Units, joined)
	}
	if want := got.Tiers.At(joined).Price; got.Price != want {
		t.Errorf("price %v fixed with %d joined, want %v", got.Price, joined, want)
	}
}

// At STOP every place's share is fixed, the fee split to add up exactly; the
// invoices' job makes each place's order once (the final price, its share of
// the fee, payable for the pay window) and sends its invoice once, going on
// where a failed run stopped.
func TestOrderPlaces(t *testing.T) {
	t.Parallel()
	b := setup(t, 3)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 3}) // a 15 % fee
	for i, qty := range []int{1, 2, 4} {
		if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+i), p.ID, b.sizes[i], qty, b.pickup); err != nil {
			t.Fatal(err)
		}
	}
	stopped, err := b.svc.Stop(b.ctx, seller, p.ID)
	if err != nil || stopped.Price != rub(1000) {
		t.Fatalf("STOP: %+v, %v", stopped, err)
	}
	var jobs int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE kind = $1`, groupbuy.JobInvoices).Scan(&jobs); err != nil || jobs != 1 {
		t.Fatalf("%d invoice jobs (%v), want one", jobs, err)
	}

	var sent []order.Order
	failOn := core.UserID(shoppers + 1)
	send := func(o order.Order) error {
		if o.BuyerID == failOn {
			return errors.New("telegram is down")
		}
		sent = append(sent, o)
		return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, int64(100+len(sent)))
	}
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, send); err == nil {
		t.Fatal("a failed send is not reported")
	}
	failOn = 0
	for range 2 { // the job again, and once more: nothing sent twice
		if _, more, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, send); err != nil || more {
			t.Fatalf("order places: %v, %v", more, err)
		}
	}
	if len(sent) != 3 {
		t.Fatalf("%d invoices sent, want one a place", len(sent))
	}
	var fees, goods int64
	for _, o := range sent {
		fees += o.Fee.Amount
		goods += o.ItemsTotal.Amount
		if o.Total.Amount != o.ItemsTotal.Amount+o.Fee.Amount || o.GroupBuy != p.ID || !o.ReservedUntil.Equal(t0.Add(groupbuy.DefaultPayWindow)) ||
			o.PickupPointID != b.pickup || o.Lines[0].UnitPrice != rub(1000) {
			t.Errorf("order %+v", o)
		}
	}
	if goods != rub(7000).Amount || fees != groupbuy.FeeOf(goods, 1500) {
		t.Errorf("goods %d, fees %d; want 7,000 ₽ and 15 %% of it exactly", goods, fees)
	}
	var ordered int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(order_id) FROM group_buy_places WHERE purchase_id = $1`, p.ID).Scan(&ordered); err != nil || ordered != 3 {
		t.Errorf("%d places know their order (%v)", ordered, err)
	}
}

// A purchase of full size rows stops with what fills whole rows: later places
// beyond them are cut (in part, or whole), their participants are to be told,
// and only what goes ahead is billed and invoiced.
func TestStopCutsToRows(t *testing.T) {
	t.Parallel()
	b := setup(t, 8)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinRows, Value: 1})
	// Sizes 36-41: one of each from shoppers 0-5, then 2 more of 36 and one of 37.
	for i := range 6 {
		if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+i), p.ID, b.sizes[i], 1, b.pickup); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+6), p.ID, b.sizes[0], 2, b.pickup); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+7), p.ID, b.sizes[1], 1, b.pickup); err != nil {
		t.Fatal(err)
	}
	got, err := b.svc.Stop(b.ctx, seller, p.ID)
	if err != nil || got.Totals.Units != 6 || got.Price != rub(1000) {
		t.Fatalf("STOP: %+v, %v; want the one full row of 6 at 1,000 ₽", got.Totals, err)
	}
	cut, err := b.svc.CutPlaces(b.ctx, p.ID)
	if err != nil || len(cut) != 2 || cut[0].Buyer != core.UserID(shoppers+6) || cut[0].Cut != 2 || cut[0].Quantity != 0 ||
		cut[1].Buyer != core.UserID(shoppers+7) || cut[1].Cut != 1 {
		t.Fatalf("cut places %+v, %v", cut, err)
	}
	var jobs int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE kind = $1`, groupbuy.JobCut).Scan(&jobs); err != nil || jobs != 1 {
		t.Errorf("%d cut jobs (%v), want one", jobs, err)
	}
	if again, _ := b.svc.Purchase(b.ctx, p.ID); again.Totals.Units != 6 {
		t.Errorf("%d units read back, want 6", again.Totals.Units)
	}
	var sent []order.Order
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
		sent = append(sent, o)
		return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, int64(100+len(sent)))
	}); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 6 {
		t.Errorf("%d invoices, want one for each of the row's six", len(sent))
	}
	for _, o := range sent {
		if o.BuyerID == core.UserID(shoppers+6) || o.BuyerID == core.UserID(shoppers+7) {
			t.Errorf("a cut place was invoiced: %+v", o)
		}
	}
}

// The organizer moves the deadline later, once; its close job follows it.
// Cancelling calls the places' orders off, the paid ones to be refunded.
func TestExtendAndCancel(t *testing.T) {
	t.Parallel()
	b := setup(t, 3)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 2})
	later := p.Deadline.Add(48 * time.Hour)
	if _, err := b.svc.Extend(b.ctx, stranger, p.ID, later); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Errorf("extended by a stranger: %v", err)
	}
	if _, err := b.svc.Extend(b.ctx, seller, p.ID, p.Deadline.Add(-time.Hour)); !errors.Is(err, groupbuy.ErrDeadline) {
		t.Errorf("extended to an earlier time: %v", err)
	}
	got, err := b.svc.Extend(b.ctx, seller, p.ID, later)
	if err != nil || !got.Deadline.Equal(later) || !got.Extended {
		t.Fatalf("extend: %+v, %v", got, err)
	}
	if _, err := b.svc.Extend(b.ctx, seller, p.ID, later.Add(time.Hour)); !errors.Is(err, groupbuy.ErrExtended) {
		t.Errorf("extended twice: %v", err)
	}
	var jobs int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM outbox WHERE kind = $1 AND run_at = $2`, groupbuy.JobClose, later).Scan(&jobs); err != nil || jobs != 1 {
		t.Errorf("%d close jobs at the new deadline (%v)", jobs, err)
	}
	b.clock.Set(p.Deadline) // the old deadline: nothing closes
	if closed, due, err := b.svc.Close(b.ctx, p.ID); err != nil || due || closed.Status != groupbuy.StatusOpen {
		t.Errorf("closed at the old deadline: %+v, %v, %v", closed, due, err)
	}

	for i := range 2 {
		if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+i), p.ID, b.sizes[0], 1, b.pickup); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil {
		t.Fatal(err)
	}
	var orders []order.Order
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
		orders = append(orders, o)
		return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, int64(100+len(orders)))
	}); err != nil || len(orders) != 2 {
		t.Fatalf("orders %v, %v", orders, err)
	}
	paid := orders[0]
	if _, _, err := b.orders.RecordPayment(b.ctx, order.Payment{OrderID: paid.ID, BuyerID: paid.BuyerID, TelegramChargeID: "ch",
		ProviderChargeID: "pr", Total: paid.Total}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.svc.Cancel(b.ctx, seller, p.ID); err != nil || got.Status != groupbuy.StatusCancelled {
		t.Fatalf("cancel: %+v, %v", got, err)
	}
	for range 2 {
		if _, err := b.svc.CallOffOrders(b.ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range orders {
		got, err := b.orders.OrderForSystem(b.ctx, o.ID)
		if err != nil || got.Status != order.StatusCancelled || got.CancelReason != groupbuy.CancelReason {
			t.Errorf("order %d after the cancel: %+v, %v", o.ID, got, err)
		}
	}
	charges, err := b.orders.Payments(b.ctx, seller, paid.ID)
	if err != nil || len(charges) != 1 || charges[0].Status != order.ChargeRefundPending {
		t.Errorf("the paid place's charges %+v, %v; want one to refund", charges, err)
	}
}

// BenchmarkJoinAndStop measures the figure: 2,000 participants
// joining one purchase (64 at a time: each join takes the purchase's row
// lock), then STOP and the orders of every place (without Telegram: the
// invoices' messages go at Telegram's limits, through the sender). Run:
// go test ./core/postgres/groupbuystore/ -run '^$' -bench JoinAndStop -benchtime 1x
func BenchmarkJoinAndStop(b *testing.B) {
	b.Run("no card", func(b *testing.B) { benchJoinAndStop(b, false) })
	// With a card shared somewhere, every join also writes (or finds waiting)
	// the job that brings the cards up to date.
	b.Run("a card", func(b *testing.B) { benchJoinAndStop(b, true) })
}

func benchJoinAndStop(b *testing.B, card bool) {
	const participants, clients = 2000, 64
	for range b.N {
		b.StopTimer()
		env := setup(b, participants)
		p := env.purchase(b, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 20})
		if card {
			if _, err := env.svc.AddCard(env.ctx, groupbuy.Card{Purchase: p.ID, Inline: "bench", Lang: "ru"}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		next := make(chan int)
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for i := range next {
					if _, _, err := env.svc.Join(env.ctx, core.UserID(shoppers+i), p.ID, env.sizes[i%len(env.sizes)], 1+i%2, env.pickup); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for i := range participants {
			next <- i
		}
		close(next)
		wg.Wait()
		joins := time.Since(start)
		stop := time.Now()
		if _, err := env.svc.Stop(env.ctx, seller, p.ID); err != nil {
			b.Fatal(err)
		}
		orders := 0
		for after, more := groupbuy.PlaceID(0), true; more; {
			var err error
			after, more, err = env.svc.OrderPlaces(env.ctx, p.ID, after, func(o order.Order) error {
				orders++
				return env.orders.InvoiceSent(env.ctx, o.ID, o.BuyerID, int64(orders))
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if orders != participants {
			b.Fatalf("%d orders, want %d", orders, participants)
		}
		b.ReportMetric(float64(participants)/joins.Seconds(), "joins/s")
		b.ReportMetric(float64(time.Since(stop).Milliseconds()), "stop_to_orders_ms")
	}
}

// The goods arrive: each paid place gets a pickup code and its order is
// ready for pickup; a code collects its place once, completing the order.
func TestArriveAndCollect(t *testing.T) {
	t.Parallel()
	b := setup(t, 3)
	p := b.purchase(t, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 2})
	for i := range 3 {
		if _, _, err := b.svc.Join(b.ctx, core.UserID(shoppers+i), p.ID, b.sizes[0], 1, b.pickup); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.svc.Stop(b.ctx, seller, p.ID); err != nil {
		t.Fatal(err)
	}
	var orders []order.Order
	if _, _, err := b.svc.OrderPlaces(b.ctx, p.ID, 0, func(o order.Order) error {
		orders = append(orders, o)
		return b.orders.InvoiceSent(b.ctx, o.ID, o.BuyerID, int64(100+len(orders)))
	}); err != nil {
		t.Fatal(err)
	}
	for i, o := range orders[:2] { // the third does not pay
		if _, _, err := b.orders.RecordPayment(b.ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, Total: o.Total,
			TelegramChargeID: fmt.Sprint("ch", i), ProviderChargeID: fmt.Sprint("pr", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.svc.Arrive(b.ctx, stranger, p.ID); !errors.Is(err, groupbuy.ErrNotOrganizer) {
		t.Errorf("arrival marked by a stranger: %v", err)
	}
	got, err := b.svc.Arrive(b.ctx, seller, p.ID)
	if err != nil || got.Status != groupbuy.StatusArrived {
		t.Fatalf("arrive: %+v, %v", got, err)
	}
	codes, err := b.svc.CodesToSend(b.ctx, p.ID)
	if err != nil || len(codes) != 2 || codes[0].Code == codes[1].Code || len(codes[0].Code) != 6 {
		t.Fatalf("codes %+v, %v; want two different ones, for the paid places", codes, err)
	}
	if o, _ := b.orders.OrderForSystem(b.ctx, codes[0].Order); o.Status != order.StatusReadyForPickup {
		t.Errorf("the order of a coded place is %s, want ready for pickup", o.Status)
	}
	if err := b.svc.CodeSent(b.ctx, codes[0].ID); err != nil {
		t.Fatal(err)
	}
	if left, _ := b.svc.CodesToSend(b.ctx, p.ID); len(left) != 1 {
		t.Errorf("%d codes left to send, want 1", len(left))
	}
	if _, err := b.svc.Arrive(b.ctx, seller, p.ID); err != nil { // again: nothing new
		t.Fatal(err)
	}

	if _, err := b.svc.Collect(b.ctx, seller, p.ID, "000000x"); !errors.Is(err, groupbuy.ErrCode) {
		t.Errorf("a wrong code: %v", err)
	}
	pl, err := b.svc.Collect(b.ctx, seller, p.ID, " "+codes[1].Code+" ")
	if err != nil || pl.ID != codes[1].ID || pl.Collected.IsZero() {
		t.Fatalf("collect: %+v, %v", pl, err)
	}
	if o, _ := b.orders.OrderForSystem(b.ctx, pl.Order); o.Status != order.StatusCompleted {
		t.Errorf("the collected place's order is %s, want completed", o.Status)
	}
	if _, err := b.svc.Collect(b.ctx, seller, p.ID, codes[1].Code); !errors.Is(err, groupbuy.ErrCollected) {
		t.Errorf("collected twice: %v", err)
	}
	// The other order is cancelled and refunded by staff: its code hands
	// nothing over. (The QR's text is taken as the code.)
	if _, err := b.orders.Cancel(b.ctx, seller, codes[0].Order, "damaged"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Collect(b.ctx, seller, p.ID, fmt.Sprintf("vitrina:groupbuy:%d:%s", p.ID, codes[0].Code)); !errors.Is(err, groupbuy.ErrNotReady) {
		t.Errorf("a refunded place collected: %v", err)
	}
}
