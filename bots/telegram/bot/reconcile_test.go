package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/reconcile"
)

// The daily Stars reconciliation against the sandbox: a payment made and
// refunded through Telegram agrees with Vitrina's record; one Vitrina recorded
// that Telegram never saw is reported to the operators.
func TestBot_ReconcileStars(t *testing.T) {
	t.Parallel()
	const operatorID = 777000222
	env := newTestEnv(t, withOperators(operatorID))
	op := env.tg.NewUser(sandbox.UserSpec{ID: operatorID, FirstName: "Ops", LanguageCode: "en", StartedBot: true})
	owner, shop := env.starsShop("Sticker Hub")
	if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(owner.ID()), catalog.PickupPoint{
		ShopID: shop.ID, Name: "Kiosk", Address: "Lenina 5",
	}); err != nil {
		t.Fatal(err)
	}
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	env.press(u, env.lastBot(u), "Buy now")
	env.press(u, env.lastBot(u), "Pickup: Kiosk")
	if _, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil {
		t.Fatal(err)
	}
	o := env.buyerOrders(u)[0]

	svc := reconcile.NewService(postgres.NewReconcile(env.pool), env.clock)
	check := func() reconcile.Report {
		t.Helper()
		tg, err := env.bot.StarPayments(env.ctx)
		if err != nil {
			t.Fatalf("StarPayments: %v", err)
		}
		// The fake clock stands still: the window ends at it.
		r, err := svc.Reconcile(env.ctx, env.clock.Now().AddDate(0, 0, -2), env.clock.Now().Add(time.Hour), tg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := check(); !r.Clean() || r.Checked != 1 {
		t.Fatalf("after one payment: %+v, want clean over 1", r)
	}

	// A payment Vitrina recorded that Telegram does not list.
	if _, err := env.pool.Exec(env.ctx, `
		INSERT INTO payments (order_id, buyer_id, telegram_payment_charge_id, amount, currency, status, created_at)
		VALUES ($1, $2, 'phantom-charge', 150, 'XTR', 'captured', $3)`, o.ID, u.ID(), env.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r := check()
	if len(r.UnknownToTelegram) != 1 || r.UnknownToTelegram[0].ChargeID != "phantom-charge" || len(r.UnknownToVitrina) != 0 {
		t.Fatalf("report = %+v, want the phantom charge unknown to Telegram", r)
	}
	msgs, err := env.bot.ReconcileMessages(env.ctx, r)
	if err != nil || len(msgs) != 1 || msgs[0].User != operatorID {
		t.Fatalf("ReconcileMessages = %v, %v; want one to the operator", msgs, err)
	}
	env.deliver(msgs...)
	got := env.lastBot(op).Body()
	if !strings.Contains(got, "Stars payments reconciliation") || !strings.Contains(got, "phantom-charge") ||
		!strings.Contains(got, "unknown to Telegram (1)") || !strings.Contains(got, "payments at Telegram: 1") {
		t.Errorf("operator's report = %q", got)
	}
	if msgs, _ := env.bot.ReconcileMessages(env.ctx, reconcile.Report{}); len(msgs) != 0 {
		t.Errorf("a clean report composes %d messages", len(msgs))
	}
}
