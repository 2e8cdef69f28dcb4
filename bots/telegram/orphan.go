package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Orphan payments (core/orphan): a successful_payment whose invoice payload names
// no order of ours. The update is done once the payment is recorded. Retrying it
// could never find the order, and it would hold the buyer's chat. The buyer is told
// the payment is being checked, and the operators are told through the outbox
// (orphan.JobNotify -> OrphanMessages). Operators find these payments in /admin:
// they refund a Stars one (the worker calls refundStarPayment: RefundStars) or mark
// a card one resolved once it is refunded at the provider.

// Callback verbs of orphan payments, for platform operators.
const (
	verbOrphans          = "aof"  // aof:<page>: the list
	verbOrphan           = "aog"  // aog:<orphan>
	verbOrphanNew        = "aogn" // aogn:<orphan>: the same in a new message (the notification's button)
	verbOrphanRefundAsk  = "aogr" // aogr:<orphan>: confirm the Stars refund
	verbOrphanRefund     = "aogy" // aogy:<orphan>
	verbOrphanResolveAsk = "aogs" // aogs:<orphan>: confirm it is settled
	verbOrphanResolve    = "aogz" // aogz:<orphan>
)

const orphansPerPage = 8

// orphanRoutes registers the operators' screens of orphan payments.
func (b *Bot) orphanRoutes(r *router) {
	for verb, fn := range map[string]callbackFunc{
		verbOrphans:          b.onOrphans,
		verbOrphan:           withID(b.showOrphan),
		verbOrphanNew:        fresh(withID(b.showOrphan)),
		verbOrphanRefundAsk:  withID(b.onOrphanRefundAsk),
		verbOrphanRefund:     withID(b.onOrphanRefund),
		verbOrphanResolveAsk: withID(b.onOrphanResolveAsk),
		verbOrphanResolve:    withID(b.onOrphanResolve),
	} {
		r.callback(verb, fn)
	}
	r.operatorButton(20, b.operatorOrphansButton)
	r.addTexts(orphanTexts())
}

// recordOrphan records a successful payment that names no order, and tells the
// buyer it is being checked. A failure to record is returned, so the update comes
// back: the money must not go unrecorded. A charge recorded before (a redelivery)
// is told again, since the first answer may not have reached the buyer.
func (b *Bot) recordOrphan(ctx context.Context, r *request, reason orphan.Reason) error {
	sp := r.msg.SuccessfulPayment
	from := r.msg.From
	name := strings.TrimSpace(from.FirstName + " " + from.LastName)
	p, created, err := b.orphans.Record(ctx, orphan.Received{
		TelegramChargeID: sp.TelegramPaymentChargeID,
		ProviderChargeID: sp.ProviderPaymentChargeID,
		Amount:           core.Money{Amount: int64(sp.TotalAmount), Currency: core.Currency(sp.Currency)},
		PayerID:          r.userID(),
		PayerName:        name,
		PayerUsername:    from.Username,
		Payload:          []byte(sp.InvoicePayload),
		Reason:           reason,
	})
	if err != nil {
		// %v: whatever the cause, nothing is recorded and the update must come back,
		// not be explained to the buyer as their mistake.
		return fmt.Errorf("record orphan payment: %v", err)
	}
	if created {
		// Not an error: recorded, and the operators are told. Logged for the record.
		b.log.WarnContext(ctx, "payment names no order; recorded as an orphan",
			"orphan_id", p.ID, "reason", p.Reason, "buyer", r.userID(), "update_id", r.update.UpdateID)
	}
	return b.sendText(ctx, r.chatID, b.t(r.lang, "orphan_received", formatMoney(r.lang, p.Amount)), nil)
}

// OrphanMessages composes what tells people about an event of an orphan payment:
// every operator of one received (with a button that opens it in the operator
// menu), and the payer of a refund. Each is written to in their own language; a
// person who blocked the bot, or an operator who never started it, is left out.
// It is the orphan.JobNotify handler's composer (workers.OrphanComposer).
//
// orphan.ErrNotFound when the payment cannot be read; an event it does not know is
// a core.Error too (the task is dropped).
func (b *Bot) OrphanMessages(ctx context.Context, id orphan.ID, ev orphan.Event) ([]core.Message, error) {
	p, err := b.orphans.PaymentForSystem(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("notify orphan %d: %w", id, err)
	}
	switch ev {
	case orphan.EventReceived:
		return b.orphanOperatorMessages(ctx, p)
	case orphan.EventRefunded:
		u, err := b.users.User(ctx, p.PayerID)
		if errors.Is(err, user.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("notify payer of orphan %d: %w", id, err)
		}
		if u.Unreachable {
			return nil, nil
		}
		lang := langOf(u.Lang())
		text := b.t(lang, "orphan_refunded", formatMoney(lang, p.Amount))
		return []core.Message{b.messageTo(orphanMessageKey(p.ID, ev, p.PayerID), core.PriorityOrder, p.PayerID, view{text: text})}, nil
	}
	return nil, core.Errorf(core.EINVALID, "notify orphan %d: unknown event %q", id, ev)
}

// orphanOperatorMessages tells every operator the bot can reach of p.
func (b *Bot) orphanOperatorMessages(ctx context.Context, p orphan.Payment) ([]core.Message, error) {
	var msgs []core.Message
	for _, op := range b.operatorIDs() {
		u, err := b.users.User(ctx, op)
		if errors.Is(err, user.ErrNotFound) {
			continue // never started the bot: it cannot write to them first
		}
		if err != nil {
			return nil, fmt.Errorf("notify operators of orphan %d: %w", p.ID, err)
		}
		if u.Unreachable {
			continue
		}
		lang := langOf(u.Lang())
		text := b.t(lang, "orphan_notify", p.ID, formatMoney(lang, p.Amount), b.orphanPayer(p),
			b.t(lang, "orphan_reason_"+string(p.Reason)))
		kb := (&keyboard{}).row(button(b.label(lang, "orphan_btn_open"), verbOrphanNew, p.ID)).markup()
		msgs = append(msgs, b.messageTo(orphanMessageKey(p.ID, orphan.EventReceived, op), core.PriorityOrder, op, view{text: text, kb: kb}))
	}
	return msgs, nil
}

// operatorIDs returns the platform operators, in a stable order.
func (b *Bot) operatorIDs() []core.UserID {
	ids := make([]core.UserID, 0, len(b.operators))
	for id := range b.operators {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// orphanMessageKey is the key of the message about event ev of orphan id to user.
func orphanMessageKey(id orphan.ID, ev orphan.Event, to core.UserID) string {
	return fmt.Sprintf("orphan:%d:%s:%d", id, ev, to)
}

// --- the operator menu ---

// operatorOrphansButton is the operators' way to the orphan payments, for the
// admin screens with the list of shops; how many are new is on the button. No
// button for anyone else, nor when the count fails (logged).
func (b *Bot) operatorOrphansButton(ctx context.Context, r *request) []telegoButton {
	if !b.orphans.IsOperator(r.userID()) {
		return nil
	}
	open := orphan.StatusNew
	_, n, err := b.orphans.Payments(ctx, r.userID(), orphan.Filter{Status: &open, Limit: 1})
	if err != nil {
		b.log.ErrorContext(ctx, "count orphan payments", "err", err)
		return nil
	}
	return []telegoButton{button(b.label(r.lang, "orphan_btn_list", n), verbOrphans, 0)}
}

func (b *Bot) onOrphans(ctx context.Context, r *request, d callbackData) error {
	page, err := idArg(d)
	if err != nil || page < 0 {
		return errStaleButton
	}
	return b.showOrphans(ctx, r, int(page))
}

// showOrphans lists the orphan payments, newest first, with their state. The
// service refuses anyone but an operator.
func (b *Bot) showOrphans(ctx context.Context, r *request, page int) error {
	lang := r.lang
	list, total, err := b.orphans.Payments(ctx, r.userID(), orphan.Filter{Limit: orphansPerPage, Offset: page * orphansPerPage})
	if err != nil {
		return err
	}
	pages := pageCount(total, orphansPerPage)
	if len(list) == 0 && page > 0 {
		return b.showOrphans(ctx, r, pages-1)
	}
	k := &keyboard{}
	for _, p := range list {
		label := b.label(lang, "orphan_btn_item", b.orphanMark(p), formatMoney(lang, p.Amount),
			p.PayerName, p.ReceivedAt.UTC().Format("02.01 15:04"))
		k.row(button(label, verbOrphan, p.ID))
	}
	b.pager(k, lang, page, pages, verbOrphans)
	k.row(button(b.label(lang, "btn_back"), verbOperatorShops, 0))
	text := b.t(lang, "orphan_list")
	if total == 0 {
		text += "\n\n" + b.t(lang, "orphan_list_empty")
	}
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// orphanMark is the sign of a payment's state in the list.
func (b *Bot) orphanMark(p orphan.Payment) string {
	switch {
	case p.Status == orphan.StatusRefunded:
		return "↩️"
	case p.Status == orphan.StatusResolved:
		return "✅"
	case p.RefundUnderway():
		return "⏳"
	}
	return "🆕"
}

// showOrphan shows one orphan payment to an operator, with what can be done.
func (b *Bot) showOrphan(ctx context.Context, r *request, id orphan.ID) error {
	p, err := b.orphans.Payment(ctx, r.userID(), id)
	if err != nil {
		return err
	}
	return b.show(ctx, r, b.orphanView(ctx, r.lang, p))
}

// orphanView is the screen of one orphan payment.
func (b *Bot) orphanView(ctx context.Context, lang string, p orphan.Payment) view {
	var s strings.Builder
	s.WriteString(b.t(lang, "orphan_title", p.ID))
	s.WriteString("\n\n")
	s.WriteString(b.t(lang, "orphan_details", formatMoney(lang, p.Amount), b.orphanPayer(p), int64(p.PayerID),
		formatTime(p.ReceivedAt), b.t(lang, "orphan_reason_"+string(p.Reason)), payloadText(p.Payload)))
	s.WriteString(b.t(lang, "adm_order_payment_telegram_id", p.TelegramChargeID))
	if p.ProviderChargeID != "" {
		s.WriteString(b.t(lang, "adm_order_payment_provider_id", p.ProviderChargeID))
	}
	s.WriteString("\n\n")
	switch {
	case p.Status == orphan.StatusRefunded:
		s.WriteString(b.t(lang, "orphan_state_refunded", formatTime(p.SettledAt)))
	case p.Status == orphan.StatusResolved:
		s.WriteString(b.t(lang, "orphan_state_resolved", b.userLabel(ctx, p.SettledBy), formatTime(p.SettledAt)))
	case p.RefundUnderway():
		s.WriteString(b.t(lang, "orphan_state_refunding", b.userLabel(ctx, p.RefundRequestedBy), formatTime(p.RefundRequestedAt)))
	case p.Stars():
		s.WriteString(b.t(lang, "orphan_state_new_stars"))
	default:
		s.WriteString(b.t(lang, "orphan_state_new_card"))
	}
	k := &keyboard{}
	if p.Status == orphan.StatusNew && !p.RefundUnderway() {
		if p.Stars() {
			k.row(button(b.label(lang, "orphan_btn_refund", formatMoney(lang, p.Amount)), verbOrphanRefundAsk, p.ID))
		}
		k.row(button(b.label(lang, "orphan_btn_resolve"), verbOrphanResolveAsk, p.ID))
	}
	k.row(button(b.label(lang, "btn_back"), verbOrphans, 0))
	return view{text: s.String(), kb: k.markup()}
}

// orphanPayer names the payer: their name and @username as Telegram gave them.
func (b *Bot) orphanPayer(p orphan.Payment) string {
	s := p.PayerName
	if s == "" {
		s = "#" + formatID(p.PayerID)
	}
	if p.PayerUsername != "" {
		s += " (@" + p.PayerUsername + ")"
	}
	return s
}

// onOrphanRefundAsk asks an operator to confirm the Stars refund of an orphan.
func (b *Bot) onOrphanRefundAsk(ctx context.Context, r *request, id orphan.ID) error {
	p, err := b.orphans.Payment(ctx, r.userID(), id)
	if err != nil {
		return err
	}
	if p.Status != orphan.StatusNew || p.RefundUnderway() || !p.Stars() {
		// A stale button: show the payment as it is now.
		return b.show(ctx, r, b.orphanView(ctx, r.lang, p))
	}
	text := b.t(r.lang, "orphan_refund_ask", formatMoney(r.lang, p.Amount), b.orphanPayer(p))
	k := (&keyboard{}).
		row(button(b.label(r.lang, "orphan_btn_refund_yes"), verbOrphanRefund, p.ID)).
		row(button(b.label(r.lang, "adm_btn_cancel_no"), verbOrphan, p.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// onOrphanRefund asks for the refund (orphan.Service.RequestRefund writes the
// refund job; the worker calls refundStarPayment). A second tap, or a second
// operator, finds it under way: told so, nothing is asked twice.
func (b *Bot) onOrphanRefund(ctx context.Context, r *request, id orphan.ID) error {
	p, err := b.orphans.RequestRefund(ctx, r.userID(), id)
	switch {
	case err == nil:
		r.answer(b.label(r.lang, "orphan_refund_requested"))
	case errors.Is(err, orphan.ErrRefundUnderway), errors.Is(err, orphan.ErrSettled):
		r.answer(b.label(r.lang, "orphan_refund_already"))
	default:
		return err
	}
	return b.show(ctx, r, b.orphanView(ctx, r.lang, p))
}

// onOrphanResolveAsk asks an operator to confirm that an orphan is settled. For a
// card payment the screen says the refund is made at the provider.
func (b *Bot) onOrphanResolveAsk(ctx context.Context, r *request, id orphan.ID) error {
	p, err := b.orphans.Payment(ctx, r.userID(), id)
	if err != nil {
		return err
	}
	if p.Status != orphan.StatusNew || p.RefundUnderway() {
		return b.show(ctx, r, b.orphanView(ctx, r.lang, p))
	}
	key := "orphan_resolve_ask_card"
	if p.Stars() {
		key = "orphan_resolve_ask_stars"
	}
	text := b.t(r.lang, key, formatMoney(r.lang, p.Amount), b.orphanPayer(p))
	k := (&keyboard{}).
		row(button(b.label(r.lang, "orphan_btn_resolve_yes"), verbOrphanResolve, p.ID)).
		row(button(b.label(r.lang, "adm_btn_cancel_no"), verbOrphan, p.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// onOrphanResolve marks an orphan resolved; a second tap changes nothing.
func (b *Bot) onOrphanResolve(ctx context.Context, r *request, id orphan.ID) error {
	p, err := b.orphans.Resolve(ctx, r.userID(), id)
	if err != nil {
		return err
	}
	r.answer(b.label(r.lang, "orphan_resolved"))
	return b.show(ctx, r, b.orphanView(ctx, r.lang, p))
}

// payloadText shows an invoice payload as it came: as text when it is printable
// UTF-8, else Go-quoted so that every byte shows.
func payloadText(p []byte) string {
	s := string(p)
	printable := utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	if printable && s != "" {
		return s
	}
	return strconv.Quote(s)
}

// formatTime writes a moment for an operator: UTC, to the minute.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
