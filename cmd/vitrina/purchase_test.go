package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// TestRun_ServeWithWorker_Purchase runs the real binary's serve --with-worker against the
// sandbox and a real PostgreSQL and Redis: a shopper buys with Stars through the webhook, and
// the shop's owner hears of the paid order from the worker, by way of the outbox, the relay
// and asynq. It proves the wiring end to end.
func TestRun_ServeWithWorker_Purchase(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, dbURL := pgtest.NewDB(t)
	env, tg := testEnv(t, dbURL, map[string]string{
		// Database 14: no other test's worker takes these tasks.
		"VITRINA_REDIS_URL":      "redis://127.0.0.1:6379/14",
		"VITRINA_WEBHOOK_URL":    "https://shop.example.com/telegram/webhook",
		"VITRINA_WEBHOOK_SECRET": "purchase-secret",
	})

	owner := tg.NewUser(sandbox.UserSpec{ID: 7001, FirstName: "Olga", LanguageCode: "en", StartedBot: true})
	shopper := tg.NewUser(sandbox.UserSpec{ID: 7002, FirstName: "Anna", LanguageCode: "en"})
	cat := catalog.NewService(postgres.NewCatalog(pool), core.SystemClock{}, nil)
	shop, err := cat.CreateShop(ctx, core.UserID(owner.ID()), catalog.NewShop{Name: "Sticker Hub", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		t.Fatal(err)
	}
	product, err := cat.CreateProduct(ctx, core.UserID(owner.ID()), catalog.NewProduct{
		ShopID: shop.ID, Title: "Cat stickers",
		Variants: []catalog.NewVariant{{Price: core.Money{Amount: 150, Currency: core.Stars}, Stock: 3}},
	})
	if err != nil {
		t.Fatal(err)
	}

	s := start(t, env, "serve", "--with-worker")
	addr := s.logs.waitFor(t, "http server listening", s.done)["addr"].(string)
	s.logs.waitFor(t, "worker started", s.done)
	// serve set its webhook (to the URL configured); point it at this server instead.
	s.logs.waitFor(t, "telegram: receiving updates by webhook", s.done)
	tg.SetWebhook("http://"+addr+"/telegram/webhook", "purchase-secret")

	if err := shopper.Start(ctx, fmt.Sprintf("p_%d", product.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := shopper.PressButton(ctx, shopper.LastBotMessage(), "Buy now"); err != nil {
		t.Fatalf("buy: %v; chat: %+v", err, shopper.Messages())
	}
	if _, err := shopper.PressButton(ctx, shopper.LastBotMessage(), "Pay"); err != nil {
		t.Fatalf("checkout: %v; chat: %+v", err, shopper.Messages())
	}
	invoice, err := shopper.WaitMessage(ctx, func(m sandbox.Message) bool { return m.Invoice != nil })
	if err != nil {
		t.Fatal(err)
	}
	res, err := shopper.Pay(ctx, invoice, sandbox.PayOptions{})
	if err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	if m := shopper.LastBotMessage(); !strings.Contains(m.Body(), "Payment received") {
		t.Errorf("confirmation = %q", m.Body())
	}

	// The worker tells the owner, through the outbox and asynq.
	note, err := owner.WaitMessage(ctx, func(m sandbox.Message) bool { return strings.Contains(m.Body(), "New paid order") })
	if err != nil {
		t.Fatalf("the owner was not told of the paid order: %v\nlogs:\n%s", err, s.logs)
	}
	if !strings.Contains(note.Body(), "Cat stickers") || !strings.Contains(note.Body(), "Anna") {
		t.Errorf("staff notification = %q", note.Body())
	}
	var onHand, reserved int
	if err := pool.QueryRow(ctx, `SELECT on_hand, reserved FROM variants WHERE id = $1`, product.Variants[0].ID).Scan(&onHand, &reserved); err != nil {
		t.Fatal(err)
	}
	if onHand != 2 || reserved != 0 {
		t.Errorf("stock after the sale: on hand %d, reserved %d; want 2, 0", onHand, reserved)
	}
	// The metrics of the inbox, the relay, the sender and the queues are on /metrics.
	// The sender counts a message just after Telegram took it, so the owner may
	// read it a moment before: read the metrics until they are all there.
	metrics := []string{
		`vitrina_telegram_updates_received_total{kind="callback_query"}`,
		`vitrina_telegram_updates_handled_total{kind="pre_checkout_query"}`,
		`vitrina_telegram_update_handle_seconds_count{kind="message"}`,
		`vitrina_outbox_relayed_total{kind="order:notify"}`,
		`asynq_queue_size{queue="critical"}`,
		`asynq_tasks_processed_total{queue="critical"}`,
		`vitrina_asynq_queue_metrics_up 1`,
		`vitrina_outbox_backlog `,
		`vitrina_outbox_oldest_due_seconds `,
		`vitrina_messages_total{outcome="sent",priority="order"}`,
		`vitrina_message_lag_seconds_count{priority="order"}`,
	}
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, body := get(t, "http://"+addr+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics = %d", code)
		}
		missing = missing[:0]
		for _, metric := range metrics {
			if !strings.Contains(body, metric) {
				missing = append(missing, metric)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, metric := range missing {
		t.Errorf("/metrics lacks %s", metric)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v after cancel", err)
	}
}
