package groupbuys_test

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
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/groupbuystore"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/user"
	"github.com/vitrina-shop/vitrina/workers"
	"github.com/vitrina-shop/vitrina/workers/asynqtest"
	"github.com/vitrina-shop/vitrina/workers/groupbuys"
)

// A purchase's close task run early comes back; at the deadline it closes the
// purchase, and run again changes nothing.
func TestGroupBuy_Close(t *testing.T) {
	t.Parallel()
	e := newTaskEnv(t)
	ctx, clock, svc, orders, p, shop, env, bot, tasks := e.ctx, e.clock, e.svc, e.orders, e.product, e.shop, e.env, e.bot, e.tasks
	gb, err := svc.Create(ctx, 1, groupbuy.Purchase{Shop: shop.ID, Product: p.ID, Variants: []core.VariantID{p.Variants[0].ID},
		Title: "Стикеры вместе", Tiers: groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}, {From: 3, Price: core.Money{Amount: 80, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 2}, Shipping: true, Deadline: clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Join(ctx, 10, gb.ID, p.Variants[0].ID, 3, 0); err != nil {
		t.Fatal(err)
	}
	task := asynq.NewTask(groupbuy.JobClose, []byte(fmt.Sprintf(`{"purchase":%d}`, gb.ID)))
	// A second purchase that will not reach its minimum.
	short, err := svc.Create(ctx, 1, groupbuy.Purchase{Shop: shop.ID, Product: p.ID, Variants: []core.VariantID{p.Variants[0].ID},
		Title: "Мало", Tiers: groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 10}, Shipping: true, Deadline: gb.Deadline})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Join(ctx, 10, short.ID, p.Variants[0].ID, 1, 0); err != nil {
		t.Fatal(err)
	}
	// Run an hour early (the deadline moved later, say): nothing to do, its
	// own job closes it. Run a little early (asynq keeps whole seconds): it
	// comes back at the deadline.
	if err := tasks.HandleClose(ctx, task); err != nil {
		t.Fatalf("a run an hour early: %v", err)
	}
	clock.Set(gb.Deadline.Add(-30 * time.Second))
	if err := tasks.HandleClose(ctx, task); err == nil || !strings.Contains(err.Error(), "closes at") {
		t.Fatalf("an early run: %v, want to come back at the deadline", err)
	}
	if got, _ := svc.Purchase(ctx, gb.ID); got.Status != groupbuy.StatusOpen {
		t.Fatalf("closed early: %+v", got)
	}
	clock.Set(gb.Deadline)
	for range 2 {
		if err := tasks.HandleClose(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.Purchase(ctx, gb.ID)
	if err != nil || got.Status != groupbuy.StatusStopped || got.Price.Amount != 80 {
		t.Errorf("after the close task: %+v, %v", got, err)
	}

	// The short one failed: its participant is told, once.
	if err := tasks.HandleClose(ctx, asynq.NewTask(groupbuy.JobClose, []byte(fmt.Sprintf(`{"purchase":%d}`, short.ID)))); err != nil {
		t.Fatal(err)
	}
	failed := asynq.NewTask(groupbuy.JobFailed, []byte(fmt.Sprintf(`{"purchase":%d}`, short.ID)))
	for range 2 {
		if err := tasks.HandleFailed(ctx, failed); err != nil {
			t.Fatal(err)
		}
	}
	if pending, err := env.Inspector.ListPendingTasks(env.Queue(workers.QueueDefault)); err != nil || len(pending) != 1 {
		t.Errorf("%d messages queued (%v), want one to the participant", len(pending), err)
	}

	// The stop wrote the invoices' task: the place's order once, its invoice once.
	invoices := asynq.NewTask(groupbuy.JobInvoices, []byte(fmt.Sprintf(`{"purchase":%d}`, gb.ID)))
	for range 2 {
		if err := tasks.HandleInvoices(ctx, invoices); err != nil {
			t.Fatal(err)
		}
	}
	if len(bot.sent) != 1 || bot.sent[0].Total.Amount != 240 || bot.sent[0].BuyerID != 10 {
		t.Fatalf("invoices sent %+v, want one of 3 × 80 ⭐", bot.sent)
	}

	// 11 waits; 10 does not pay: the order's end offers 11 the place, once,
	// and the offer's end, not before it is due, lets it lapse.
	if _, err := svc.Wait(ctx, 11, gb.ID, p.Variants[0].ID, 0); err != nil {
		t.Fatal(err)
	}
	clock.Set(bot.sent[0].ReservedUntil)
	if _, err := orders.Expire(ctx, bot.sent[0].ID); err != nil {
		t.Fatal(err)
	}
	ended := asynq.NewTask(order.JobGroupEnded, []byte(fmt.Sprintf(`{"order_id":%d,"group_buy":%d}`, bot.sent[0].ID, gb.ID)))
	for range 2 {
		if err := tasks.HandleGroupEnded(ctx, ended); err != nil {
			t.Fatal(err)
		}
	}
	waits, err := svc.Waits(ctx, gb.ID, 11)
	if err != nil || len(waits) != 1 || waits[0].Status != groupbuy.WaitOffered {
		t.Fatalf("11's waits %+v, %v", waits, err)
	}
	offer := asynq.NewTask(groupbuy.JobOffer, []byte(fmt.Sprintf(`{"purchase":%d,"buyer":11,"variant":%d,"until":%q}`,
		gb.ID, p.Variants[0].ID, waits[0].OfferUntil.Format(time.RFC3339Nano))))
	for range 2 {
		if err := tasks.HandleOffer(ctx, offer); err != nil {
			t.Fatal(err)
		}
	}
	if len(bot.offers) != 2 { // composed each time; sent once by its key
		t.Fatalf("offers composed %v", bot.offers)
	}
	if pending, err := env.Inspector.ListPendingTasks(env.Queue(workers.QueueCritical)); err != nil || len(pending) != 1 {
		t.Errorf("%d messages queued (%v), want the offer", len(pending), err)
	}
	end := asynq.NewTask(groupbuy.JobOfferEnd, offer.Payload())
	clock.Set(waits[0].OfferUntil.Add(-500 * time.Millisecond))
	if err := tasks.HandleOfferEnd(ctx, end); err == nil || !strings.Contains(err.Error(), "ends at") {
		t.Fatalf("an early offer end: %v", err)
	}
	clock.Set(waits[0].OfferUntil)
	if err := tasks.HandleOfferEnd(ctx, end); err != nil {
		t.Fatal(err)
	}
	if waits, err := svc.Waits(ctx, gb.ID, 11); err != nil || len(waits) != 0 {
		t.Fatalf("11 after the offer lapsed: %+v, %v", waits, err)
	}
	if err := tasks.HandleOffer(ctx, offer); err != nil || len(bot.offers) != 2 {
		t.Fatalf("a lapsed offer sent: %v, %v", bot.offers, err)
	}
}

// taskEnv is a Stars shop of user 1 with a sticker pack, users 10 and 11,
// and the tasks of group buys on a real PostgreSQL and Redis.
type taskEnv struct {
	ctx     context.Context
	clock   *core.FakeClock
	svc     *groupbuy.Service
	orders  *order.Service
	shop    catalog.Shop
	product catalog.Product
	env     *asynqtest.Env
	bot     *placeInvoices
	tasks   *groupbuys.Tasks
}

func newTaskEnv(t *testing.T) *taskEnv {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	e := &taskEnv{ctx: context.Background(), clock: core.NewFakeClock(time.Now().Truncate(time.Second))}
	users := user.NewService(postgres.NewUsers(pool), e.clock)
	for _, id := range []core.UserID{1, 10, 11} {
		if _, err := users.Touch(e.ctx, user.Seen{ID: id, FirstName: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.NewService(postgres.NewCatalog(pool), e.clock, nil)
	var err error
	if e.shop, err = cat.CreateShop(e.ctx, 1, catalog.NewShop{Name: "Лавка", Currency: core.Stars, PaymentMethod: catalog.PayStars}); err != nil {
		t.Fatal(err)
	}
	if e.product, err = cat.CreateProduct(e.ctx, 1, catalog.NewProduct{ShopID: e.shop.ID, Title: "Стикеры",
		Variants: []catalog.NewVariant{{Price: core.Money{Amount: 100, Currency: core.Stars}}}}); err != nil {
		t.Fatal(err)
	}
	e.orders = order.NewService(postgres.NewOrders(pool), e.clock)
	e.svc = groupbuy.NewService(groupbuystore.New(pool), e.orders, e.clock)
	e.env = asynqtest.New(t)
	e.bot = &placeInvoices{orders: e.orders}
	w := workers.New(workers.Deps{Outbox: postgres.NewOutbox(pool), Queue: e.env.Client, QueuePrefix: e.env.QueuePrefix, Redis: e.env.RDB,
		Sender: workers.SenderOptions{KeyPrefix: e.env.KeyPrefix}})
	e.tasks = groupbuys.New(groupbuys.Deps{GroupBuys: e.svc, Bot: e.bot, Sender: w})
	return e
}

// The tasks of a purchase paid to join: a place not paid in time is given
// up (run twice, once); one that failed refunds its payments.
func TestGroupBuy_PayToJoinTasks(t *testing.T) {
	t.Parallel()
	e := newTaskEnv(t)
	gb, err := e.svc.Create(e.ctx, 1, groupbuy.Purchase{Shop: e.shop.ID, Product: e.product.ID, Variants: []core.VariantID{e.product.Variants[0].ID},
		Title: "Стикеры вместе", Tiers: groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}}, PayMode: groupbuy.PayToJoin,
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 5}, Shipping: true, Deadline: e.clock.Now().Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	v := e.product.Variants[0].ID
	_, unpaid, err := e.svc.Join(e.ctx, 10, gb.ID, v, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, paid, err := e.svc.Join(e.ctx, 11, gb.ID, v, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := e.orders.OrderForSystem(e.ctx, paid.Order)
	if _, _, err := e.orders.RecordPayment(e.ctx, order.Payment{OrderID: o.ID, BuyerID: 11, Total: o.Total, TelegramChargeID: "ch11"}); err != nil {
		t.Fatal(err)
	}
	joinPay := asynq.NewTask(groupbuy.JobJoinPay, []byte(fmt.Sprintf(`{"purchase":%d}`, gb.ID)))
	if err := e.tasks.HandleJoinPay(e.ctx, joinPay); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Purchase(e.ctx, gb.ID); got.Totals.Units != 3 {
		t.Fatalf("units within the pay window: %d", got.Totals.Units)
	}
	e.clock.Set(e.clock.Now().Add(groupbuy.JoinPayWindow + time.Minute))
	if _, err := e.orders.Expire(e.ctx, unpaid.Order); err != nil {
		t.Fatal(err)
	}
	ended := asynq.NewTask(order.JobGroupEnded, []byte(fmt.Sprintf(`{"order_id":%d,"group_buy":%d}`, unpaid.Order, gb.ID)))
	if err := e.tasks.HandleGroupEnded(e.ctx, ended); err != nil {
		t.Fatal(err)
	}
	if err := e.tasks.HandleJoinPay(e.ctx, joinPay); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Purchase(e.ctx, gb.ID); got.Totals.Units != 2 {
		t.Fatalf("units after the unpaid place's pay window: %d, want the paid 2", got.Totals.Units)
	}
	// The deadline without the minimum: the paid order is called off.
	e.clock.Set(gb.Deadline)
	if _, _, err := e.svc.Close(e.ctx, gb.ID); err != nil {
		t.Fatal(err)
	}
	failed := asynq.NewTask(groupbuy.JobFailed, []byte(fmt.Sprintf(`{"purchase":%d}`, gb.ID)))
	for range 2 {
		if err := e.tasks.HandleFailed(e.ctx, failed); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := e.orders.OrderForSystem(e.ctx, paid.Order); got.Status != order.StatusCancelled || got.CancelReason != groupbuy.FailedReason {
		t.Fatalf("the paid order of a failed purchase: %s %q", got.Status, got.CancelReason)
	}
}

// placeInvoices is the bot's side of group buys' invoices: it records an
// invoice sent as the bot does.
type placeInvoices struct {
	orders *order.Service
	sent   []order.Order
	codes  []string
	offers []groupbuy.WaiterID
}

func (p *placeInvoices) CardEdit(ctx context.Context, gb groupbuy.Purchase, c groupbuy.Card) (core.Message, error) {
	m := testMessage(fmt.Sprintf("card:%d:%d", c.ID, gb.Totals.Units), core.PriorityReminder)
	m.Chat, m.Group, m.Coalesce = c.Chat, true, fmt.Sprintf("card:%d", c.ID)
	return m, nil
}

func (p *placeInvoices) UncollectedMessage(ctx context.Context, gb groupbuy.Purchase, pl groupbuy.Place, n int) (core.Message, error) {
	m := testMessage(fmt.Sprintf("uncollected:%d:%d", pl.ID, n), core.PriorityReminder)
	m.Chat, m.User = int64(pl.Buyer), pl.Buyer
	return m, nil
}

func (p *placeInvoices) HandoverAskedMessage(ctx context.Context, gb groupbuy.Purchase, h groupbuy.Handover) (core.Message, error) {
	m := testMessage(fmt.Sprintf("handover:%d", h.ID), core.PriorityOrder)
	m.Chat, m.User = int64(gb.Organizer), gb.Organizer
	return m, nil
}

func (p *placeInvoices) HandedOverMessages(ctx context.Context, gb groupbuy.Purchase, h groupbuy.Handover, old groupbuy.Place) ([]core.Message, error) {
	m := testMessage(fmt.Sprintf("handed:%d", h.ID), core.PriorityOrder)
	m.Chat, m.User = int64(h.To), h.To
	return []core.Message{m}, nil
}

func (p *placeInvoices) PayReminderMessage(ctx context.Context, gb groupbuy.Purchase, pl groupbuy.Place) (core.Message, error) {
	m := testMessage(fmt.Sprintf("pay:%d", pl.ID), core.PriorityReminder)
	m.Chat, m.User = int64(pl.Buyer), pl.Buyer
	return m, nil
}

func (p *placeInvoices) SendShippingInvoice(ctx context.Context, o order.Order) error {
	p.sent = append(p.sent, o)
	return p.orders.InvoiceSent(ctx, o.ID, o.BuyerID, 8)
}

func (p *placeInvoices) OfferMessage(ctx context.Context, gb groupbuy.Purchase, w groupbuy.Waiter) (core.Message, error) {
	p.offers = append(p.offers, w.ID)
	m := testMessage(fmt.Sprintf("offer:%d:%d", w.ID, w.OfferUntil.Unix()), core.PriorityOrder)
	m.Chat, m.User = int64(w.Buyer), w.Buyer
	return m, nil
}

func (p *placeInvoices) PurchaseNotice(ctx context.Context, gb groupbuy.Purchase, to core.UserID, ev groupbuy.Event) (core.Message, error) {
	m := testMessage(fmt.Sprintf("%s:%d:%d", ev, gb.ID, to), core.PriorityReminder)
	m.Chat, m.User = int64(to), to
	return m, nil
}

func (p *placeInvoices) CutMessage(ctx context.Context, gb groupbuy.Purchase, pl groupbuy.Place) (core.Message, error) {
	m := testMessage(fmt.Sprintf("cut:%d:%d", gb.ID, pl.ID), core.PriorityOrder)
	m.Chat, m.User = int64(pl.Buyer), pl.Buyer
	return m, nil
}

func (p *placeInvoices) SendPickupCode(ctx context.Context, gb groupbuy.Purchase, pl groupbuy.Place) error {
	p.codes = append(p.codes, pl.Code)
	return nil
}

func (p *placeInvoices) SendPlaceInvoice(ctx context.Context, o order.Order) error {
	p.sent = append(p.sent, o)
	return p.orders.InvoiceSent(ctx, o.ID, o.BuyerID, 7)
}

func (p *placeInvoices) OwedMessages(ctx context.Context, gb groupbuy.Purchase, pl groupbuy.Place) ([]core.Message, error) {
	m := testMessage(fmt.Sprintf("owed:%d:%t", pl.ID, pl.OwedReturned.IsZero()), core.PriorityOrder)
	m.Chat, m.User = int64(pl.Buyer), pl.Buyer
	return []core.Message{m}, nil
}

// testMessage is a message of the sender with key and priority.
func testMessage(key string, prio core.Priority) core.Message {
	return core.Message{Key: key, Chat: 1, Priority: prio, Method: "sendMessage", Params: []byte(`{"chat_id":1,"text":"hi"}`)}
}
