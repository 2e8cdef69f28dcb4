package bot

import (
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Broadcasts end to end: the seller writes one in the admin menu, sees how many it
// reaches, previews it and sends it; the workers' part (materialize, compose,
// deliver, record outcomes, progress) is played by the test through the same
// calls; a recipient opts out with the button under the message.

// runBroadcast does what the workers do with a started broadcast: it records the
// recipients, composes their messages and delivers them, records each as sent,
// and delivers the progress edits. It returns the broadcast as it ends.
func (e *testEnv) runBroadcast(id broadcast.ID) broadcast.Broadcast {
	e.t.Helper()
	bc, err := e.casts.Materialize(e.ctx, id)
	if err != nil {
		e.t.Fatalf("materialize: %v", err)
	}
	to, err := e.casts.Recipients(e.ctx, id, 0, 500)
	if err != nil {
		e.t.Fatalf("recipients: %v", err)
	}
	msgs, err := e.bot.Broadcasts.BroadcastMessages(e.ctx, bc, to)
	if err != nil {
		e.t.Fatalf("compose: %v", err)
	}
	for _, m := range msgs {
		if m.Priority != core.PriorityBroadcast || m.Ref == "" || m.User == 0 {
			e.t.Errorf("broadcast message %+v", m)
		}
		e.deliver(m)
		if _, _, err = e.casts.RecordOutcome(e.ctx, id, m.User, broadcast.OutcomeSent); err != nil {
			e.t.Fatalf("record outcome: %v", err)
		}
	}
	if bc, _, err = e.casts.Finish(e.ctx, id); err != nil {
		e.t.Fatalf("finish: %v", err)
	}
	progress, err := e.bot.Broadcasts.BroadcastProgress(e.ctx, bc)
	if err != nil {
		e.t.Fatalf("compose progress: %v", err)
	}
	e.deliver(progress...)
	return bc
}

// lastBroadcast returns the shop's latest broadcast.
func (e *testEnv) lastBroadcast(seller *sandbox.User, shop catalog.Shop) broadcast.Broadcast {
	e.t.Helper()
	list, err := e.casts.Broadcasts(e.ctx, core.UserID(seller.ID()), shop.ID, 10)
	if err != nil || len(list) == 0 {
		e.t.Fatalf("broadcasts: %v %v", list, err)
	}
	return list[0]
}

func TestBroadcast_E2E(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sam", "en", catalog.NewShop{Name: "Lavka", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	honey := env.product(seller, shop, "Honey", "", variant("", 100, 10))
	env.product(seller, shop, "Jam", "", variant("", 50, 10))
	if _, err := env.catalog.CreateCategory(env.ctx, core.UserID(seller.ID()), shop.ID, "Food"); err != nil {
		t.Fatal(err)
	}

	// Two customers, and a Russian-speaking subscriber who never bought.
	anna, boris := env.shopper("Anna", "en"), env.shopper("Boris", "en")
	env.buyNow(anna, honey.ID, true)
	env.buyNow(boris, honey.ID, true)
	ivan := env.shopper("Ivan", "ru")
	if err := ivan.Start(env.ctx, telegram.ShopLink(shop.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.lastBot(ivan)
	if ans := env.press(ivan, card, "🔔 Подписаться на новости"); !strings.Contains(ans.Text, "подписаны") {
		t.Errorf("subscribe answer %q", ans.Text)
	}
	bcWantButton(t, env.refresh(ivan, card), "🔕 Отписаться")

	// The seller writes a broadcast.
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "📣 Broadcasts")
	env.wantBody(seller, "Broadcasts of Lavka", "No broadcasts yet.")
	env.press(seller, env.lastBot(seller), "✍️ New broadcast")
	env.wantBody(seller, "New broadcast of Lavka")

	t.Run("BadInput", func(t *testing.T) {
		env.sendSticker(seller)
		env.wantBody(seller, "a text or a photo with a caption")
		env.send(seller, strings.Repeat("a", broadcast.MaxText+1))
		env.wantBody(seller, "Too long: up to 3800 characters")
	})

	env.send(seller, "Fresh <honey> & more")
	env.wantBody(seller, "Add buttons to products?")
	env.press(seller, env.lastBot(seller), "Honey")
	env.wantBody(seller, "Chosen: Honey")
	env.press(seller, env.lastBot(seller), "✅ Done")
	env.wantBody(seller, "Who gets it?")
	bcWantButton(t, env.lastBot(seller), "🔔 Subscribers · 1")
	env.press(seller, env.lastBot(seller), "👥 All customers · 2")
	summary := env.wantBody(seller, "To: all customers", "Buttons: Honey", "It reaches 2 people")

	// The preview is the message itself, in the seller's chat.
	env.press(seller, summary, "👁 Preview")
	preview := env.messageWith(seller, "Fresh <honey> & more")
	if !strings.Contains(preview.Body(), "📣 Lavka") {
		t.Errorf("preview %q lacks the shop's name", preview.Body())
	}
	bcWantButton(t, preview, "🛍 Honey")
	bcWantButton(t, preview, "🔕 Unsubscribe from Lavka")

	summary = env.lastBot(seller)
	if ans := env.press(seller, summary, "🚀 Send to 2 people"); ans.Text != "The broadcast has started." {
		t.Errorf("send answer %q", ans.Text)
	}
	progress := env.refresh(seller, summary)
	if !strings.Contains(progress.Body(), "Sending") {
		t.Errorf("progress %q", progress.Body())
	}
	bcWantButton(t, progress, "⛔ Stop the broadcast")
	bc := env.lastBroadcast(seller, shop)
	if bc.ProgressMessageID != progress.ID || bc.Status != broadcast.StatusRunning {
		t.Errorf("broadcast %+v, progress message %d", bc, progress.ID)
	}

	t.Run("DoubleTapStartsOne", func(t *testing.T) {
		data, _ := summary.Button("🚀 Send to 2 people")
		if got := env.forgePress(seller, summary, data.CallbackData); got != "This step is over." {
			t.Errorf("second tap: %q", got)
		}
		var n int
		if err := env.pool.QueryRow(env.ctx, `SELECT count(*) FROM broadcasts`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d broadcasts, %v", n, err)
		}
	})

	bc = env.runBroadcast(bc.ID)
	if bc.Status != broadcast.StatusFinished || bc.Sent != 2 {
		t.Errorf("after the run: %+v", bc)
	}
	report := env.refresh(seller, progress)
	if !strings.Contains(report.Body(), "is done") || !strings.Contains(report.Body(), "Delivered: 2 of 2") {
		t.Errorf("report %q", report.Body())
	}
	bcNoButton(t, report, "⛔ Stop the broadcast")
	if len(ivan.Messages()) > 0 && strings.Contains(env.lastBot(ivan).Body(), "Fresh") {
		t.Error("a subscriber who is not a customer got the customers' broadcast")
	}

	// A recipient sees it, opens the product, and unsubscribes.
	got := env.messageWith(anna, "Fresh <honey> & more")
	env.press(anna, got, "🛍 Honey")
	env.wantBody(anna, "Honey")
	if ans := env.press(anna, got, "🔕 Unsubscribe from Lavka"); !strings.Contains(ans.Text, "no more broadcasts from Lavka") {
		t.Errorf("unsubscribe answer %q", ans.Text)
	}
	got = env.refresh(anna, got)
	bcWantButton(t, got, "🔔 Subscribe to Lavka again")
	if !strings.Contains(got.Body(), "Fresh <honey> & more") {
		t.Errorf("unsubscribing changed the message: %q", got.Body())
	}
	n, err := env.casts.Count(env.ctx, core.UserID(seller.ID()), shop.ID, broadcast.Audience{Kind: broadcast.AudienceCustomers})
	if err != nil || n != 1 {
		t.Errorf("customers after an opt-out: %d, %v", n, err)
	}
	env.press(anna, got, "🔔 Subscribe to Lavka again")
	if n, _ := env.casts.Count(env.ctx, core.UserID(seller.ID()), shop.ID, broadcast.Audience{Kind: broadcast.AudienceCustomers}); n != 2 {
		t.Errorf("customers after subscribing again: %d", n)
	}

	t.Run("PhotoToSubscribers", func(t *testing.T) {
		env.send(seller, "/admin")
		env.press(seller, env.lastBot(seller), "📣 Broadcasts")
		env.wantBody(seller, "Broadcasts of Lavka")
		bcWantButton(t, env.lastBot(seller), "✅ #1 · "+bc.CreatedAt.UTC().Format("02.01")+" · 2 of 2")
		env.press(seller, env.lastBot(seller), "✍️ New broadcast")
		if err := seller.SendPhoto(env.ctx, "New harvest"); err != nil {
			t.Fatal(err)
		}
		env.press(seller, env.lastBot(seller), "No buttons ⏭")
		env.press(seller, env.lastBot(seller), "🔔 Subscribers · 2")
		summary := env.wantBody(seller, "To: subscribers", "Message: a photo with a caption", "It reaches 2 people")
		env.press(seller, summary, "🚀 Send to 2 people")
		env.runBroadcast(env.lastBroadcast(seller, shop).ID)
		m := env.lastBot(ivan)
		if m.Photo == nil || !strings.Contains(m.Body(), "New harvest") {
			t.Errorf("ivan got %+v", m)
		}
		bcWantButton(t, m, "🔕 Отписаться от «Lavka»")
	})

	t.Run("Discard", func(t *testing.T) {
		env.send(seller, "/admin")
		env.press(seller, env.lastBot(seller), "📣 Broadcasts")
		env.press(seller, env.lastBot(seller), "✍️ New broadcast")
		env.press(seller, env.lastBot(seller), "✖️ Discard")
		env.wantBody(seller, "nothing was sent")
	})

	t.Run("StrangersKeptOut", func(t *testing.T) {
		if got := env.forgePress(anna, sandbox.Message{}, "abr:"+telegram.Itoa(int(shop.ID))); got != "Only the shop's staff can do this." {
			t.Errorf("a shopper opening broadcasts: %q", got)
		}
		if got := env.forgePress(anna, sandbox.Message{}, "abx:"+telegram.Itoa(int(bc.ID))); !strings.Contains(got, "Not found") {
			t.Errorf("a shopper stopping a broadcast: %q", got)
		}
	})
	env.noErrorsLogged()
}

func TestBroadcast_Cancel(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sam", "en", catalog.NewShop{Name: "Lavka", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	honey := env.product(seller, shop, "Honey", "", variant("", 100, 10))
	env.buyNow(env.shopper("Anna", "en"), honey.ID, true)

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "📣 Broadcasts")
	env.press(seller, env.lastBot(seller), "✍️ New broadcast")
	env.send(seller, "Sale")
	env.press(seller, env.lastBot(seller), "No buttons ⏭")
	env.press(seller, env.lastBot(seller), "👥 All customers · 1")
	summary := env.lastBot(seller)
	env.press(seller, summary, "🚀 Send to 1 person")
	progress := env.refresh(seller, summary)

	if ans := env.press(seller, progress, "⛔ Stop the broadcast"); ans.Text != "The broadcast is stopped." {
		t.Errorf("stop answer %q", ans.Text)
	}
	progress = env.refresh(seller, progress)
	if !strings.Contains(progress.Body(), "was stopped") || !strings.Contains(progress.Body(), "Not sent: 0") {
		t.Errorf("after stop: %q", progress.Body())
	}
	bc := env.lastBroadcast(seller, shop)
	if bc.Status != broadcast.StatusCancelled {
		t.Errorf("status %s", bc.Status)
	}
	// The start job runs late: nobody is recorded, nothing goes.
	if bc, _ = env.casts.Materialize(env.ctx, bc.ID); bc.Materialized {
		t.Errorf("a cancelled broadcast was materialized: %+v", bc)
	}
	env.noErrorsLogged()
}

// bcWantButton fails unless msg has a button labelled label.
func bcWantButton(t *testing.T, msg sandbox.Message, label string) {
	t.Helper()
	if _, ok := msg.Button(label); !ok {
		t.Errorf("message %q has no button %q (buttons %v)", msg.Body(), label, buttonLabels(msg))
	}
}

// bcNoButton fails if msg has a button labelled label.
func bcNoButton(t *testing.T, msg sandbox.Message, label string) {
	t.Helper()
	if _, ok := msg.Button(label); ok {
		t.Errorf("message %q has a button %q", msg.Body(), label)
	}
}
