package teamstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/postgres/teamstore"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
)

type bundle struct {
	ctx     context.Context
	clock   *core.FakeClock
	cat     *catalog.Service
	orders  *order.Service
	svc     *teambuy.Service
	product catalog.Product
}

const seller core.UserID = 1

// setup makes a Stars shop with a sticker pack of 10 at 100 ⭐ whose team
// offer is 3 people at 20 % off for a day, and shoppers 10-14.
func setup(t *testing.T) *bundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	b := &bundle{ctx: context.Background(), clock: core.NewFakeClock(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))}
	users := user.NewService(postgres.NewUsers(pool), b.clock)
	for _, id := range []core.UserID{seller, 10, 11, 12, 13, 14} {
		if _, err := users.Touch(b.ctx, user.Seen{ID: id, FirstName: fmt.Sprint(id)}); err != nil {
			t.Fatal(err)
		}
	}
	b.cat = catalog.NewService(postgres.NewCatalog(pool), b.clock, nil)
	shop, err := b.cat.CreateShop(b.ctx, seller, catalog.NewShop{Name: "Стикеры", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		t.Fatal(err)
	}
	b.product, err = b.cat.CreateProduct(b.ctx, seller, catalog.NewProduct{ShopID: shop.ID, Title: "Стикерпак",
		Variants: []catalog.NewVariant{{Price: core.Money{Amount: 100, Currency: core.Stars}, Stock: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	b.orders = order.NewService(postgres.NewOrders(pool), b.clock)
	b.svc = teambuy.NewService(teamstore.New(pool), b.orders, b.cat, b.clock)
	if err := b.svc.SetOffer(b.ctx, 10, teambuy.Offer{Product: b.product.ID, Size: 3, DiscountBP: 2000}); !errors.Is(err, catalog.ErrNotStaff) {
		t.Fatalf("a shopper sets a team offer: %v", err)
	}
	if err := b.svc.SetOffer(b.ctx, seller, teambuy.Offer{Product: b.product.ID, Size: 6, DiscountBP: 2000}); !errors.Is(err, teambuy.ErrOffer) {
		t.Fatalf("a team of 6: %v", err)
	}
	if err := b.svc.SetOffer(b.ctx, seller, teambuy.Offer{Product: b.product.ID, Size: 3, DiscountBP: 2000}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *bundle) pay(t *testing.T, o order.Order) {
	t.Helper()
	if _, _, err := b.orders.RecordPayment(b.ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID,
		TelegramChargeID: fmt.Sprintf("charge-%d", o.ID), Total: o.Total}); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) available(t *testing.T) int {
	t.Helper()
	v, err := b.cat.Variant(b.ctx, b.product.Variants[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return v.Available()
}

// A team fills: three people pay the team price in time; nobody joins their
// own team or twice, nor a full one; the units are sold.
func TestTeamFills(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.product.Variants[0].ID
	team, lead, err := b.svc.Start(b.ctx, 10, v, b.product.ID, 0)
	if err != nil || lead.Total.Amount != 80 || lead.Team != team.ID || team.Size != 3 || !team.ExpiresAt.Equal(b.clock.Now().Add(24*time.Hour)) {
		t.Fatalf("start: %+v, %+v, %v", team, lead, err)
	}
	if _, _, err := b.svc.Join(b.ctx, 10, team.ID, 0); !errors.Is(err, teambuy.ErrMember) {
		t.Fatalf("the leader joins their own team: %v", err)
	}
	if again, o, err := b.svc.Start(b.ctx, 10, v, b.product.ID, 0); err != nil || again.ID != team.ID || o.ID != lead.ID {
		t.Fatalf("a double tap on Start: %+v, %+v, %v; want the same team and order", again, o, err)
	}
	_, o11, err := b.svc.Join(b.ctx, 11, team.ID, 0)
	if err != nil || o11.Total.Amount != 80 {
		t.Fatalf("11 joins: %+v, %v", o11, err)
	}
	if _, _, err := b.svc.Join(b.ctx, 11, team.ID, 0); !errors.Is(err, teambuy.ErrMember) {
		t.Fatalf("11 joins twice: %v", err)
	}
	_, o12, err := b.svc.Join(b.ctx, 12, team.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.svc.Join(b.ctx, 13, team.ID, 0); !errors.Is(err, teambuy.ErrFull) {
		t.Fatalf("a fourth joins a team of three: %v", err)
	}
	if got := b.available(t); got != 7 {
		t.Fatalf("available %d, want 7: the team's units are held", got)
	}
	for _, o := range []order.Order{lead, o11} {
		b.pay(t, o)
	}
	// A paid order of a forming team is not sent: it may yet be refunded.
	if _, err := b.orders.MarkShipped(b.ctx, seller, lead.ID, "СДЭК 1"); !errors.Is(err, order.ErrTeamForming) {
		t.Fatalf("shipping a forming team's order: %v", err)
	}
	if got, err := b.svc.Settle(b.ctx, team.ID); err != nil || got.Status != teambuy.StatusForming {
		t.Fatalf("two of three paid: %+v, %v", got, err)
	}
	b.pay(t, o12)
	// The last payment's job has not settled the team when its time is up:
	// the end finds every place paid, and fills it.
	b.clock.Set(team.ExpiresAt)
	if got, due, err := b.svc.Expire(b.ctx, team.ID); err != nil || !due || got.Status != teambuy.StatusFilled {
		t.Fatalf("the end of a team all paid: %+v, %v", got, err)
	}
	if got, err := b.svc.Settle(b.ctx, team.ID); err != nil || got.Status != teambuy.StatusFilled {
		t.Fatalf("the payment's job after: %+v, %v", got, err)
	}
}

// A team that does not fill fails at its time: paid members are refunded,
// the unpaid order cancelled, the units back; a member who left unpaid frees
// their place for another; a payment after the end is refunded.
func TestTeamExpires(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.product.Variants[0].ID
	team, lead, err := b.svc.Start(b.ctx, 10, v, b.product.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.pay(t, lead)
	_, o11, err := b.svc.Join(b.ctx, 11, team.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, o12, err := b.svc.Join(b.ctx, 12, team.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 12 lets their reservation run out (the shop's 15 minutes): the place
	// is free again, and 13 takes it.
	b.clock.Advance(time.Hour)
	if _, err := b.orders.Expire(b.ctx, o12.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.svc.Join(b.ctx, 13, team.ID, 0); err != nil {
		t.Fatalf("13 takes the freed place: %v", err)
	}
	if _, _, err := b.svc.Join(b.ctx, 14, team.ID, 0); !errors.Is(err, teambuy.ErrFull) {
		t.Fatalf("14 joins a full team: %v", err)
	}
	if _, due, err := b.svc.Expire(b.ctx, team.ID); err != nil || due {
		t.Fatalf("an early end: %v, %v", due, err)
	}
	b.clock.Set(team.ExpiresAt)
	for range 2 {
		if got, due, err := b.svc.Expire(b.ctx, team.ID); err != nil || !due || got.Status != teambuy.StatusFailed {
			t.Fatalf("the end: %+v, %v, %v", got, due, err)
		}
		if _, _, err := b.svc.CallOff(b.ctx, team.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.orders.OrderForSystem(b.ctx, lead.ID)
	if err != nil || got.Status != order.StatusCancelled {
		t.Fatalf("the leader's paid order %+v, %v", got, err)
	}
	charges, err := b.orders.Payments(b.ctx, seller, lead.ID)
	if err != nil || len(charges) != 1 || charges[0].Status != order.ChargeRefundPending {
		t.Fatalf("the leader's payment %+v, %v: to be refunded", charges, err)
	}
	if got := b.available(t); got != 10 {
		t.Fatalf("available %d, want every unit back", got)
	}
	if _, _, err := b.svc.Join(b.ctx, 14, team.ID, 0); !errors.Is(err, teambuy.ErrClosed) {
		t.Fatalf("joining a failed team: %v", err)
	}
	// 11 pays after the end: refunded, never kept.
	b.pay(t, o11)
	if got, err := b.orders.OrderForSystem(b.ctx, o11.ID); err != nil || got.Status == order.StatusPaid {
		t.Fatalf("a late payment kept: %+v, %v", got, err)
	}
}
