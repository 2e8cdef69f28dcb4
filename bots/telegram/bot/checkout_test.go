package bot

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// A double tap on the button that reserves the goods makes one order and sends one
// invoice; the second tap is answered with where the invoice is.

// checkoutSummary starts u on product p's card, taps buyNow and returns the
// summary with its button labelled pay.
func (e *testEnv) checkoutSummary(u *sandbox.User, p core.ProductID, buyNow, pay string) (sandbox.Message, telego.InlineKeyboardButton) {
	e.t.Helper()
	if err := u.Start(e.ctx, telegram.ProductLink(p)); err != nil {
		e.t.Fatal(err)
	}
	e.press(u, e.lastBot(u), buyNow)
	summary := e.lastBot(u)
	b, ok := summary.Button(pay)
	if !ok {
		e.t.Fatalf("no %q button: %v", pay, buttonLabels(summary))
	}
	return summary, b
}

// tapAgain delivers, as update id, a tap on summary's button b that reaches the bot
// after the first tap changed the message (Telegram delivers it with the button's
// data all the same), and returns the text the bot answered it with.
func (e *testEnv) tapAgain(u *sandbox.User, id int, summary sandbox.Message, b telego.InlineKeyboardButton) string {
	e.t.Helper()
	queryID := "tap-" + strconv.Itoa(id)
	spec := u.Spec()
	e.postUpdate(telego.Update{UpdateID: id, CallbackQuery: &telego.CallbackQuery{
		ID: queryID, From: telego.User{ID: u.ID(), FirstName: spec.FirstName, LanguageCode: spec.LanguageCode},
		Message: &telego.Message{MessageID: summary.ID, Chat: telego.Chat{ID: u.ID(), Type: telego.ChatTypePrivate}, Text: summary.Body()},
		Data:    b.CallbackData,
	}})
	for _, c := range e.tg.CallsTo("answerCallbackQuery") {
		if c.Param("callback_query_id") == queryID {
			return c.Param("text")
		}
	}
	e.t.Fatalf("tap %s was not answered", queryID)
	return ""
}

// pendingUpdates counts the updates the inbox holds, handled by none yet.
func (e *testEnv) pendingUpdates() int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM telegram_updates WHERE handled_at IS NULL AND failed_at IS NULL`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestCheckout_DoubleTap(t *testing.T) {
	t.Parallel()

	t.Run("OneAfterTheOther", func(t *testing.T) {
		t.Parallel()
		env := newTestEnv(t)
		owner, shop := env.starsShop("Sticker Hub")
		p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
		u := env.shopper("Anna", "en")
		summary, pay := env.checkoutSummary(u, p.ID, "Buy now", "Pay")
		env.press(u, summary, "Pay")
		o := env.buyerOrders(u)[0]
		got := env.tapAgain(u, 990001, summary, pay)
		if want := "Order #" + strconv.FormatInt(int64(o.ID), 10) + " is already created: its invoice is above ⬆️"; got != want {
			t.Errorf("second tap answered %q, want %q", got, want)
		}
		if n := countInvoices(u); n != 1 {
			t.Errorf("invoices = %d, want 1", n)
		}
		if orders := env.buyerOrders(u); len(orders) != 1 {
			t.Errorf("orders = %d, want 1", len(orders))
		}
		if on, res := env.stock(p.Variants[0].ID); on != 5 || res != 1 {
			t.Errorf("stock: on hand %d, reserved %d; want 5, 1", on, res)
		}
		env.noErrorsLogged()
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		env := newTestEnv(t)
		owner, shop := env.starsShop("Sticker Hub")
		p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
		u := env.shopper("Anna", "ru")
		summary, pay := env.checkoutSummary(u, p.ID, "Купить сейчас", "Оплатить")

		// The first tap reserves and is held at its edit of the summary, so the
		// second one presses the same button while the first is under way.
		release := env.tg.Hang("editMessageText")
		defer release()
		type tap struct {
			ans sandbox.CallbackAnswer
			err error
		}
		first, second := make(chan tap, 1), make(chan tap, 1)
		go func() {
			ans, err := u.Press(env.ctx, summary, pay.CallbackData)
			first <- tap{ans, err}
		}()
		env.waitFor("the first tap to edit the summary", func() bool { return env.tg.Hanging() == 1 })
		go func() {
			ans, err := u.Press(env.ctx, summary, pay.CallbackData)
			second <- tap{ans, err}
		}()
		env.waitFor("the second tap to be stored", func() bool { return env.pendingUpdates() == 2 })
		release()
		a, b := <-first, <-second
		if a.err != nil || b.err != nil {
			t.Fatalf("taps: %v; %v", a.err, b.err)
		}
		o := env.buyerOrders(u)[0]
		if want := "Заказ №" + strconv.FormatInt(int64(o.ID), 10) + " уже создан: счёт — выше ⬆️"; b.ans.Text != want || a.ans.Text == want {
			t.Errorf("answers %q, %q; want the second %q", a.ans.Text, b.ans.Text, want)
		}
		if n := countInvoices(u); n != 1 {
			t.Errorf("invoices = %d, want 1", n)
		}
		if orders := env.buyerOrders(u); len(orders) != 1 {
			t.Errorf("orders = %d, want 1", len(orders))
		}
		if on, res := env.stock(p.Variants[0].ID); on != 5 || res != 1 {
			t.Errorf("stock: on hand %d, reserved %d; want 5, 1", on, res)
		}
		if !strings.Contains(env.refresh(u, summary).Body(), "создан") {
			t.Errorf("summary = %q, want the reservation notice", env.refresh(u, summary).Body())
		}
		env.noErrorsLogged()
	})

	t.Run("InvoiceFailedFirst", func(t *testing.T) {
		t.Parallel()
		env := newTestEnv(t)
		owner, shop := env.starsShop("Sticker Hub")
		p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
		u := env.shopper("Anna", "en")
		summary, pay := env.checkoutSummary(u, p.ID, "Buy now", "Pay")

		// The tap makes the order, then Telegram fails the invoice: the update is
		// tried again, and its second attempt, which finds the order by its key, sends
		// the invoice.
		env.tg.FailNext("sendInvoice", http.StatusInternalServerError, "", 0)
		env.press(u, summary, "Pay")
		if n := countInvoices(u); n != 0 || len(env.buyerOrders(u)) != 1 {
			t.Fatalf("after the failure: invoices %d, orders %d; want 0, 1", n, len(env.buyerOrders(u)))
		}
		// Due now, as a restarted replica's sweep finds it.
		if _, err := env.pool.Exec(env.ctx, `UPDATE telegram_updates SET retry_at = now(), received_at = now() - interval '1 hour'
			WHERE handled_at IS NULL AND failed_at IS NULL`); err != nil {
			t.Fatal(err)
		}
		env.startInbox(env.bot, slog.New(env.logs.handler(slog.NewTextHandler(t.Output(), nil))))
		env.waitFor("the update to be handled again", func() bool { return env.pendingUpdates() == 0 })
		if n := countInvoices(u); n != 1 {
			t.Fatalf("invoices after the retry = %d, want 1", n)
		}
		// A tap after that points at it.
		if got := env.tapAgain(u, 990002, summary, pay); !strings.Contains(got, "its invoice is above") {
			t.Errorf("second tap answered %q", got)
		}
		if n := countInvoices(u); n != 1 {
			t.Errorf("invoices = %d, want 1", n)
		}
	})

	// The tap that made the order ended without its invoice, and no retry of it will
	// come: Telegram refused the invoice with a 400 (the bot logs it, tells the
	// shopper and the update is handled) or a 401 (the update is set aside as failed).
	// A second tap on the button sends the invoice; a third points at it.
	for _, tt := range []struct {
		name   string
		code   int
		logged string
	}{
		{"Refused", http.StatusBadRequest, "telegram refused a request"},
		{"SetAside", http.StatusUnauthorized, "update set aside as failed"},
	} {
		t.Run("FailedBeforeInvoice/"+tt.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			owner, shop := env.starsShop("Sticker Hub")
			p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
			u := env.shopper("Anna", "en")
			summary, pay := env.checkoutSummary(u, p.ID, "Buy now", "Pay")

			env.tg.FailNext("sendInvoice", tt.code, "", 0)
			env.press(u, summary, "Pay")
			o := env.buyerOrders(u)[0]
			if n := countInvoices(u); n != 0 || len(env.buyerOrders(u)) != 1 || env.pendingUpdates() != 0 {
				t.Fatalf("after the failure: invoices %d, orders %d, pending updates %d; want 0, 1, 0",
					n, len(env.buyerOrders(u)), env.pendingUpdates())
			}
			if errs := env.logs.errorsLogged(); len(errs) != 1 || !strings.Contains(errs[0], tt.logged) {
				t.Fatalf("errors logged: %q; want %q", errs, tt.logged)
			}

			if got := env.tapAgain(u, 990001, summary, pay); strings.Contains(got, "invoice is above") {
				t.Errorf("the tap after the failure answered %q", got)
			}
			var invoice sandbox.Message
			for _, m := range u.Messages() {
				if m.Invoice != nil {
					invoice = m
				}
			}
			if n := countInvoices(u); n != 1 {
				t.Fatalf("invoices = %d, want 1", n)
			}
			if got, err := env.orders.OrderForSystem(env.ctx, o.ID); err != nil || got.InvoiceMessageID != int64(invoice.ID) {
				t.Errorf("order's invoice message = %d, %v; want %d", got.InvoiceMessageID, err, invoice.ID)
			}
			if orders := env.buyerOrders(u); len(orders) != 1 {
				t.Errorf("orders = %d, want 1", len(orders))
			}
			if on, res := env.stock(p.Variants[0].ID); on != 5 || res != 1 {
				t.Errorf("stock: on hand %d, reserved %d; want 5, 1", on, res)
			}

			want := "Order #" + strconv.FormatInt(int64(o.ID), 10) + " is already created: its invoice is above ⬆️"
			if got := env.tapAgain(u, 990002, summary, pay); got != want {
				t.Errorf("third tap answered %q, want %q", got, want)
			}
			if n := countInvoices(u); n != 1 {
				t.Errorf("invoices after the third tap = %d, want 1", n)
			}
			if errs := env.logs.errorsLogged(); len(errs) != 1 {
				t.Errorf("errors logged: %q; want only the first tap's", errs)
			}
		})
	}
}

// An order the button's key finds, or the order's own Pay button, that can no longer
// be paid is explained with Order.Payable's answer.
func TestCheckout_NoLongerPayable(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	p := env.product(owner, shop, "Cat stickers", "", variant("", 150, 1))
	u := env.shopper("Anna", "en")
	summary, pay := env.checkoutSummary(u, p.ID, "Buy now", "Pay")
	env.press(u, summary, "Pay")
	o := env.buyerOrders(u)[0]
	env.press(u, env.messageWith(u, "is created"), "Open the order")
	detail := env.messageWith(u, "Status: awaiting payment")

	// Expired: the reservation's text, whether or not the expiry has run.
	const expired = "The reservation has expired. Please check out again."
	env.clock.Set(o.ReservedUntil)
	if ans := env.press(u, detail, "Pay"); ans.Text != expired || !ans.ShowAlert {
		t.Errorf("Pay at the reservation's end = %+v", ans)
	}
	if o, err := env.orders.Expire(env.ctx, o.ID); err != nil || o.Status != order.StatusExpired {
		t.Fatalf("expire = %+v, %v", o, err)
	}
	if ans := env.press(u, detail, "Pay"); ans.Text != expired || !ans.ShowAlert {
		t.Errorf("Pay of an expired order = %+v", ans)
	}
	if got := env.tapAgain(u, 990001, summary, pay); got != expired {
		t.Errorf("the summary's button of an expired order answered %q", got)
	}

	// Someone else buys the last one; the first buyer's late payment is refunded.
	other := env.shopper("Boris", "en")
	env.checkoutSummary(other, p.ID, "Buy now", "Pay")
	env.press(other, env.lastBot(other), "Pay")
	if code := env.postUpdate(latePayment(990002, u, o, "stx-late-1")); code != http.StatusOK {
		t.Fatalf("webhook = %d", code)
	}
	if o, _ := env.orders.OrderForSystem(env.ctx, o.ID); o.Status != order.StatusRefundPending {
		t.Fatalf("status = %s, want refund_pending", o.Status)
	}
	// Its money goes back: not "already paid".
	const notPayable = "This order can no longer be paid."
	if ans := env.press(u, detail, "Pay"); ans.Text != notPayable || !ans.ShowAlert {
		t.Errorf("Pay of an order being refunded = %+v", ans)
	}
	if got := env.tapAgain(u, 990003, summary, pay); got != notPayable {
		t.Errorf("the summary's button of an order being refunded answered %q", got)
	}
	env.noErrorsLogged()
}
