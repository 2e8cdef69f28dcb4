package workers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/groupbuystore"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
)

// A purchase's close task run early comes back; at the deadline it closes the
// purchase, and run again changes nothing.
func TestGroupBuy_Close(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	ctx := context.Background()
	clock := core.NewFakeClock(time.Now().Truncate(time.Second))
	users := user.NewService(postgres.NewUsers(pool), clock)
	for _, id := range []core.UserID{1, 10} {
		if _, err := users.Touch(ctx, user.Seen{ID: id, FirstName: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.NewService(postgres.NewCatalog(pool), clock, nil)
	shop, err := cat.CreateShop(ctx, 1, catalog.NewShop{Name: "Лавка", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		t.Fatal(err)
	}
	p, err := cat.CreateProduct(ctx, 1, catalog.NewProduct{ShopID: shop.ID, Title: "Стикеры",
		Variants: []catalog.NewVariant{{Price: core.Money{Amount: 100, Currency: core.Stars}}}})
	if err != nil {
		t.Fatal(err)
	}
	svc := groupbuy.NewService(groupbuystore.New(pool), clock)
	gb, err := svc.Create(ctx, 1, groupbuy.Purchase{Shop: shop.ID, Product: p.ID, Variants: []core.VariantID{p.Variants[0].ID},
		Title: "Стикеры вместе", Tiers: groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}, {From: 3, Price: core.Money{Amount: 80, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 2}, Shipping: true, Deadline: clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Join(ctx, 10, gb.ID, p.Variants[0].ID, 3, 0); err != nil {
		t.Fatal(err)
	}
	env := asynqtest.New(t)
	w := workers.New(workers.Deps{Outbox: postgres.NewOutbox(pool), Queue: env.Client, QueuePrefix: env.QueuePrefix, Redis: env.RDB,
		Sender: workers.SenderOptions{KeyPrefix: env.KeyPrefix}, GroupBuys: svc})
	task := asynq.NewTask(groupbuy.JobClose, []byte(fmt.Sprintf(`{"purchase":%d}`, gb.ID)))
	if err := w.GroupBuys().HandleClose(ctx, task); err == nil || !strings.Contains(err.Error(), "closes at") {
		t.Fatalf("an early run: %v, want to come back at the deadline", err)
	}
	clock.Set(gb.Deadline)
	for range 2 {
		if err := w.GroupBuys().HandleClose(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.Purchase(ctx, gb.ID)
	if err != nil || got.Status != groupbuy.StatusStopped || got.Price.Amount != 80 {
		t.Errorf("after the close task: %+v, %v", got, err)
	}
}
