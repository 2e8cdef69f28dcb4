package teams_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/postgres/teamstore"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
	"github.com/vitrina-shop/vitrina/workers/teams"
)

type teamBot struct{ told []string }

func (b *teamBot) TeamMessage(ctx context.Context, t teambuy.Team, m teambuy.Member) (core.Message, error) {
	b.told = append(b.told, fmt.Sprintf("%s:%d", t.Status, m.Buyer))
	return core.Message{Key: fmt.Sprintf("team:%d:%s:%d", t.ID, t.Status, m.Buyer), Chat: int64(m.Buyer), User: m.Buyer,
		Priority: core.PriorityOrder, Method: "sendMessage", Params: []byte(`{"chat_id":1,"text":"hi"}`)}, nil
}

// A team's end task run early comes back at its time; at it the team fails,
// and the failure's task calls off the paid order and tells its member, once.
// A member's paid order settles the team.
func TestTeamTasks(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	ctx := context.Background()
	clock := core.NewFakeClock(time.Now().Truncate(time.Second))
	users := user.NewService(postgres.NewUsers(pool), clock)
	for _, id := range []core.UserID{1, 10, 11} {
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
		Variants: []catalog.NewVariant{{Price: core.Money{Amount: 100, Currency: core.Stars}, Stock: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	orders := order.NewService(postgres.NewOrders(pool), clock)
	svc := teambuy.NewService(teamstore.New(pool), orders, cat, clock)
	if err := svc.SetOffer(ctx, 1, teambuy.Offer{Product: p.ID, Size: 2, DiscountBP: 1000}); err != nil {
		t.Fatal(err)
	}
	team, lead, err := svc.Start(ctx, 10, p.Variants[0].ID, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := orders.RecordPayment(ctx, order.Payment{OrderID: lead.ID, BuyerID: 10, TelegramChargeID: "c1", Total: lead.Total}); err != nil {
		t.Fatal(err)
	}
	env := asynqtest.New(t)
	bot := &teamBot{}
	w := workers.New(workers.Deps{Outbox: postgres.NewOutbox(pool), Queue: env.Client, QueuePrefix: env.QueuePrefix, Redis: env.RDB,
		Sender: workers.SenderOptions{KeyPrefix: env.KeyPrefix}})
	tasks := teams.New(teams.Deps{Teams: svc, Bot: bot, Sender: w})
	paid := asynq.NewTask(order.JobTeam, fmt.Appendf(nil, `{"order_id":%d,"team":%d}`, lead.ID, team.ID))
	if err := tasks.HandleOrder(ctx, paid); err != nil {
		t.Fatal(err)
	}
	expire := asynq.NewTask(teambuy.JobExpire, fmt.Appendf(nil, `{"team":%d}`, team.ID))
	clock.Set(team.ExpiresAt.Add(-500 * time.Millisecond))
	if err := tasks.HandleExpire(ctx, expire); err == nil || !strings.Contains(err.Error(), "ends at") {
		t.Fatalf("an early end: %v", err)
	}
	clock.Set(team.ExpiresAt)
	if err := tasks.HandleExpire(ctx, expire); err != nil {
		t.Fatal(err)
	}
	failed := asynq.NewTask(teambuy.JobFailed, fmt.Appendf(nil, `{"team":%d}`, team.ID))
	for range 2 {
		if err := tasks.HandleFailed(ctx, failed); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := orders.OrderForSystem(ctx, lead.ID); err != nil || got.Status != order.StatusCancelled {
		t.Fatalf("the leader's order %+v, %v", got, err)
	}
	if pending, err := env.Inspector.ListPendingTasks(env.Queue(workers.QueueCritical)); err != nil || len(pending) != 1 {
		t.Errorf("%d messages queued (%v), want the leader's, once", len(pending), err)
	}
	if filled := asynq.NewTask(teambuy.JobFilled, fmt.Appendf(nil, `{"team":%d}`, team.ID)); tasks.HandleFilled(ctx, filled) != nil || len(bot.told) != 2 {
		t.Errorf("a failed team told it filled: %v", bot.told)
	}
}
