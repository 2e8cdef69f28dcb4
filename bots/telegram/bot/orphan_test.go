package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/orphan"
)

// Orphan payments: money that came for an invoice whose payload names no order of
// ours. The update is done once the payment is recorded; the buyer is told it is
// being checked; the operators refund it (Stars) or mark it resolved (cards).

const orphanOperatorID = 880001

// orphanWorld is a bot with one operator who started it.
func orphanWorld(t *testing.T) (*testEnv, *sandbox.User) {
	t.Helper()
	env := newTestEnv(t, withOperators(orphanOperatorID))
	op := env.tg.NewUser(sandbox.UserSpec{ID: orphanOperatorID, FirstName: "Olga", Username: "ops_olga", LanguageCode: "en"})
	env.send(op, "/help")
	return env, op
}

// payOrphan has u pay, in Stars, an invoice whose payload names no order of ours,
// and returns the payment. Such money only comes when something other than this
// bot approved the pre-checkout (an invoice made elsewhere with this token, an old
// deployment, an order lost with a database). So the test sends the invoice itself,
// makes the bot's refusal fail, and approves the query in the bot's place.
func (e *testEnv) payOrphan(u *sandbox.User, payload string, amount int) *sandbox.Payment {
	e.t.Helper()
	sent, err := e.api.SendInvoice(e.ctx, &telego.SendInvoiceParams{
		ChatID: telego.ChatID{ID: u.ID()}, Title: "Gift", Description: "A gift card",
		Payload: payload, Currency: string(core.Stars), Prices: []telego.LabeledPrice{{Label: "Gift", Amount: amount}},
	})
	if err != nil {
		e.t.Fatalf("send invoice: %v", err)
	}
	invoice := e.refresh(u, sandbox.Message{ID: sent.MessageID})
	e.tg.FailNext("answerPreCheckoutQuery", 400, "Bad Request: query is too old and response timeout expired or query ID is invalid", 0)
	type result struct {
		res sandbox.PayResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := u.Pay(e.ctx, invoice, sandbox.PayOptions{})
		done <- result{res, err}
	}()
	var queryID string
	e.waitFor("the bot's answer to the pre-checkout query", func() bool {
		for _, c := range e.tg.CallsTo("answerPreCheckoutQuery") {
			if c.Err != nil {
				queryID = c.Param("pre_checkout_query_id")
				return true
			}
		}
		return false
	})
	if err := e.api.AnswerPreCheckoutQuery(e.ctx, &telego.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: queryID, Ok: true}); err != nil {
		e.t.Fatalf("approve the pre-checkout query: %v", err)
	}
	var r result
	select {
	case r = <-done:
	case <-e.ctx.Done():
		e.t.Fatal("the payment did not finish")
	}
	if r.err != nil || r.res.Status != sandbox.PayPaid {
		e.t.Fatalf("pay = %+v, %v", r.res, r.err)
	}
	return r.res.Payment
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func (e *testEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// orphanUpdate is the successful_payment message of p from u under update id, as
// Telegram would send it (again).
func orphanUpdate(id int, u *sandbox.User, p sandbox.Payment) telego.Update {
	spec := u.Spec()
	return telego.Update{UpdateID: id, Message: &telego.Message{
		MessageID: 7000 + id%1000,
		From:      &telego.User{ID: u.ID(), FirstName: spec.FirstName, LastName: spec.LastName, Username: spec.Username, LanguageCode: spec.LanguageCode},
		Chat:      telego.Chat{ID: u.ID(), Type: telego.ChatTypePrivate},
		Date:      time.Now().Unix(),
		SuccessfulPayment: &telego.SuccessfulPayment{
			Currency: p.Currency, TotalAmount: p.TotalAmount, InvoicePayload: p.Payload,
			TelegramPaymentChargeID: p.ChargeID, ProviderPaymentChargeID: p.ProviderChargeID,
		},
	}}
}

// orphanList returns every orphan payment, newest first, as the operator sees them.
func (e *testEnv) orphanList() []orphan.Payment {
	e.t.Helper()
	list, _, err := e.orphans.Payments(e.ctx, orphanOperatorID, orphan.Filter{Limit: 50})
	if err != nil {
		e.t.Fatalf("orphan payments: %v", err)
	}
	return list
}

// outboxKeys returns the keys of the outbox jobs of kind, oldest first.
func (e *testEnv) outboxKeys(kind string) []string {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT key FROM outbox WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			e.t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// notifyOrphan composes the messages of an orphan event and delivers them, as the
// worker's orphan:notify task and the sender do.
func (e *testEnv) notifyOrphan(id orphan.ID, ev orphan.Event) {
	e.t.Helper()
	msgs, err := e.bot.OrphanMessages(e.ctx, id, ev)
	if err != nil {
		e.t.Fatalf("compose orphan %d %s: %v", id, ev, err)
	}
	e.deliver(msgs...)
}

// runOrphanRefunds runs every orphan refund job in the outbox as the worker's
// orphan:refund task does (workers.HandleOrphanRefund), each as often as given.
func (e *testEnv) runOrphanRefunds(times int) {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT (payload->>'orphan_id')::bigint FROM outbox WHERE kind = $1`, orphan.JobRefund)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []orphan.ID
	for rows.Next() {
		var id orphan.ID
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		for range times {
			p, err := e.orphans.PaymentForSystem(e.ctx, id)
			if err != nil {
				e.t.Fatal(err)
			}
			if p.Status == orphan.StatusRefunded {
				continue
			}
			if err := e.bot.RefundStars(e.ctx, p.PayerID, p.TelegramChargeID); err != nil {
				e.t.Fatalf("refund stars: %v", err)
			}
			if _, err := e.orphans.MarkRefunded(e.ctx, id); err != nil {
				e.t.Fatalf("mark refunded: %v", err)
			}
		}
	}
}

func TestOrphanPayment_StarsRefundedByOperator(t *testing.T) {
	t.Parallel()
	env, op := orphanWorld(t)
	u := env.tg.NewUser(sandbox.UserSpec{FirstName: "Анна", Username: "anna_k", LanguageCode: "ru"})
	env.send(u, "/help")

	paid := env.payOrphan(u, "o:424242", 50)

	// Recorded once, the buyer told in their language.
	list := env.orphanList()
	if len(list) != 1 {
		t.Fatalf("orphans = %+v, want one", list)
	}
	p := list[0]
	if p.TelegramChargeID != paid.ChargeID || p.Amount != (core.Money{Amount: 50, Currency: core.Stars}) ||
		p.PayerID != core.UserID(u.ID()) || p.PayerName != "Анна" || p.PayerUsername != "anna_k" ||
		string(p.Payload) != "o:424242" || p.Reason != orphan.ReasonNoOrder || p.Status != orphan.StatusNew {
		t.Errorf("orphan = %+v", p)
	}
	if m := env.lastBot(u).Body(); !strings.Contains(m, "Мы получили вашу оплату (50\u00a0⭐)") || !strings.Contains(m, "/paysupport") {
		t.Errorf("buyer told %q", m)
	}

	// Telegram sends the payment again (our answer was lost): the update is done,
	// with no error to retry, and still one record and one notice to operators.
	for i, id := range []int{990301, 990302} {
		if err := env.bot.HandleUpdate(env.ctx, orphanUpdate(id, u, *paid)); err != nil {
			t.Fatalf("delivery %d: HandleUpdate = %v, want nil (no retry)", i+2, err)
		}
	}
	if n := len(env.orphanList()); n != 1 {
		t.Errorf("%d orphans after redelivery, want 1", n)
	}
	if keys := env.outboxKeys(orphan.JobNotify); len(keys) != 1 {
		t.Errorf("notify jobs %v, want one", keys)
	}

	// The operators are told, with a button to the payment.
	env.notifyOrphan(p.ID, orphan.EventReceived)
	note := env.messageWith(op, "Payment without an order")
	if b := note.Body(); !strings.Contains(b, "50\u00a0⭐ from Анна (@anna_k)") || !strings.Contains(b, "does not exist") {
		t.Errorf("operator told %q", b)
	}
	env.press(op, note, "Open the payment")
	screen := env.lastBot(op)
	if b := screen.Body(); !strings.Contains(b, "o:424242") || !strings.Contains(b, paid.ChargeID) || !strings.Contains(b, fmt.Sprint(u.ID())) {
		t.Errorf("payment screen %q", b)
	}

	// Refund: confirm first, then a double tap asks once.
	env.press(op, screen, "Refund 50")
	confirm := env.refresh(op, screen)
	if !strings.Contains(confirm.Body(), "Refund 50\u00a0⭐ to Анна (@anna_k)?") {
		t.Fatalf("confirmation %q", confirm.Body())
	}
	yes, ok := confirm.Button("Yes, refund")
	if !ok {
		t.Fatalf("no Yes on %v", buttonLabels(confirm))
	}
	if ans := env.press(op, confirm, "Yes, refund"); !strings.Contains(ans.Text, "Refund asked for") {
		t.Errorf("first tap answered %q", ans.Text)
	}
	if ans := env.forgePress(op, confirm, yes.CallbackData); !strings.Contains(ans, "already under way") {
		t.Errorf("second tap answered %q", ans)
	}
	if keys := env.outboxKeys(orphan.JobRefund); len(keys) != 1 {
		t.Fatalf("refund jobs %v, want one", keys)
	}
	if b := env.refresh(op, confirm).Body(); !strings.Contains(b, "Refund under way: asked by Olga") {
		t.Errorf("screen during the refund %q", b)
	}

	// The worker refunds it, even if its task runs twice: refundStarPayment once.
	env.runOrphanRefunds(2)
	calls := env.tg.CallsTo("refundStarPayment")
	if len(calls) != 1 || calls[0].Err != nil || calls[0].Param("telegram_payment_charge_id") != paid.ChargeID {
		t.Fatalf("refundStarPayment calls %+v, want one that succeeded", calls)
	}
	if got := env.tg.Payments(); len(got) != 1 || !got[0].Refunded {
		t.Errorf("Telegram's payments %+v, want the one refunded", got)
	}
	if got := env.orphanList()[0]; got.Status != orphan.StatusRefunded {
		t.Errorf("status %s, want refunded", got.Status)
	}

	// Telegram says a second refund is done already: that is success.
	if err := env.bot.RefundStars(env.ctx, p.PayerID, p.TelegramChargeID); err != nil {
		t.Errorf("refund again: %v, want nil (CHARGE_ALREADY_REFUNDED)", err)
	}

	// The payer is told, in Russian.
	env.notifyOrphan(p.ID, orphan.EventRefunded)
	if m := env.lastBot(u).Body(); !strings.Contains(m, "возвращена") {
		t.Errorf("payer told %q", m)
	}
	env.noErrorsLogged()
}

func TestOrphanPayment_CardResolvedByOperator(t *testing.T) {
	t.Parallel()
	env, op := orphanWorld(t)
	u := env.shopper("Bob", "en")
	env.send(u, "/help")
	// A card payment whose payload is none of ours, with a control character that
	// the screen must show.
	paid := sandbox.Payment{ChargeID: "tgpay_orphan_1", ProviderChargeID: "prov_orphan_1", Currency: "RUB",
		TotalAmount: 129900, Payload: "gift\tcard"}
	if code := env.postUpdate(orphanUpdate(990401, u, paid)); code != 200 {
		t.Fatalf("webhook = %d", code)
	}
	env.waitFor("the orphan payment", func() bool { return len(env.orphanList()) == 1 })
	p := env.orphanList()[0]
	if p.Reason != orphan.ReasonPayload || string(p.Payload) != "gift\tcard" || p.ProviderChargeID != "prov_orphan_1" {
		t.Errorf("orphan = %+v", p)
	}
	env.waitFor("the buyer's notice", func() bool { return strings.Contains(u.LastBotMessage().Body(), "could not match it to an order") })

	// The operator finds it in /admin, next to the shops.
	env.send(op, "/admin")
	menu := env.lastBot(op)
	env.press(op, menu, "Payments without an order (1 new)")
	list := env.refresh(op, menu)
	env.press(op, list, "Bob")
	screen := env.refresh(op, list)
	b := screen.Body()
	if !strings.Contains(b, `"gift\tcard"`) || !strings.Contains(b, "refunded at the payment provider") {
		t.Errorf("card payment screen %q", b)
	}
	if _, ok := screen.Button("Refund"); ok {
		t.Errorf("a card payment offers a Telegram refund: %v", buttonLabels(screen))
	}
	env.press(op, screen, "Mark resolved")
	confirm := env.refresh(op, screen)
	if !strings.Contains(confirm.Body(), "Card refunds are made at the payment provider") {
		t.Errorf("confirmation %q", confirm.Body())
	}
	env.press(op, confirm, "Yes, it is resolved")
	if got := env.orphanList()[0]; got.Status != orphan.StatusResolved || got.SettledBy != orphanOperatorID {
		t.Errorf("after resolving: %+v", got)
	}
	if len(env.tg.CallsTo("refundStarPayment")) != 0 {
		t.Error("a card payment went to refundStarPayment")
	}
	env.noErrorsLogged()
}

func TestOrphanPayment_OperatorsOnly(t *testing.T) {
	t.Parallel()
	env, _ := orphanWorld(t)
	u := env.shopper("Mallory", "en")
	env.send(u, "/help")
	paid := sandbox.Payment{ChargeID: "stx_orphan_x", Currency: "XTR", TotalAmount: 10, Payload: "o:31337"}
	if err := env.bot.HandleUpdate(env.ctx, orphanUpdate(990501, u, paid)); err != nil {
		t.Fatal(err)
	}
	p := env.orphanList()[0]

	env.send(u, "/admin")
	if m := env.lastBot(u); strings.Contains(fmt.Sprint(buttonLabels(m)), "without an order") {
		t.Errorf("/admin of a shopper offers %v", buttonLabels(m))
	}
	for _, data := range []string{
		"aof:0",
		fmt.Sprintf("aog:%d", p.ID),
		fmt.Sprintf("aogn:%d", p.ID),
		fmt.Sprintf("aogr:%d", p.ID),
		fmt.Sprintf("aogs:%d", p.ID),
		fmt.Sprintf("aogy:%d", p.ID),
		fmt.Sprintf("aogz:%d", p.ID),
	} {
		if ans := env.forgePress(u, sandbox.Message{}, data); !strings.Contains(ans, "platform operators") {
			t.Errorf("%s by a shopper answered %q", data, ans)
		}
	}
	if keys := env.outboxKeys(orphan.JobRefund); len(keys) != 0 {
		t.Errorf("refund jobs %v, want none", keys)
	}
	if got := env.orphanList()[0]; got.Status != orphan.StatusNew || got.RefundUnderway() {
		t.Errorf("after a shopper's taps: %+v", got)
	}
	if _, err := env.orphans.Payment(env.ctx, core.UserID(u.ID()), p.ID); !errors.Is(err, catalog.ErrNotOperator) {
		t.Errorf("the service shows it to a shopper: %v", err)
	}
}

// Pre-checkout keeps refusing a payload that names no order: no money moves.
func TestOrphanPayment_PreCheckoutRefused(t *testing.T) {
	t.Parallel()
	env, _ := orphanWorld(t)
	u := env.shopper("Anna", "en")
	env.send(u, "/help")
	for _, payload := range []string{"o:424242", "gift:1"} {
		sent, err := env.api.SendInvoice(env.ctx, &telego.SendInvoiceParams{
			ChatID: telego.ChatID{ID: u.ID()}, Title: "Gift", Description: "A gift card",
			Payload: payload, Currency: string(core.Stars), Prices: []telego.LabeledPrice{{Label: "Gift", Amount: 5}},
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := u.Pay(env.ctx, env.refresh(u, sandbox.Message{ID: sent.MessageID}), sandbox.PayOptions{})
		if err != nil || res.Status != sandbox.PayDeclined {
			t.Errorf("pay %q = %+v, %v; want declined", payload, res, err)
		}
	}
	if n := len(env.orphanList()); n != 0 {
		t.Errorf("%d orphans, want none", n)
	}
	env.noErrorsLogged()
}

// A payment whose service message arrives from a group (an invoice forwarded
// there and paid) is money taken all the same: recorded, and the payer answered in
// their private chat with the bot, not in the group.
func TestOrphanPayment_PaidInGroup(t *testing.T) {
	t.Parallel()
	env, _ := orphanWorld(t)
	u := env.shopper("Gleb", "en")
	env.send(u, "/help")
	up := orphanUpdate(990601, u, sandbox.Payment{ChargeID: "stx_orphan_group", Currency: "XTR", TotalAmount: 7, Payload: "gift:1"})
	up.Message.Chat = telego.Chat{ID: -100777, Type: telego.ChatTypeSupergroup, Title: "Neighbours"}
	if err := env.bot.HandleUpdate(env.ctx, up); err != nil {
		t.Fatal(err)
	}
	list := env.orphanList()
	if len(list) != 1 || list[0].TelegramChargeID != "stx_orphan_group" || list[0].PayerID != core.UserID(u.ID()) {
		t.Fatalf("orphans = %+v, want the group's payment", list)
	}
	if m := env.lastBot(u).Body(); !strings.Contains(m, "We received your payment (7\u00a0⭐)") {
		t.Errorf("payer told %q", m)
	}
	for _, c := range env.tg.CallsTo("sendMessage") {
		if c.Param("chat_id") == "-100777" {
			t.Errorf("the bot wrote to the group: %v", c)
		}
	}
}
