package operator

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core/orphan"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
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
	verbOrphanRefundAsk  = "aogr" // aogr:<orphan>: confirm the Stars refund
	verbOrphanRefund     = "aogy" // aogy:<orphan>
	verbOrphanResolveAsk = "aogs" // aogs:<orphan>: confirm it is settled
	verbOrphanResolve    = "aogz" // aogz:<orphan>
)

const orphansPerPage = 8

// orphanRoutes registers the operators' screens of orphan payments.
func (b *Feature) orphanRoutes(r *telegram.Router) {
	for verb, fn := range map[string]telegram.CallbackFunc{
		verbOrphans:            b.onOrphans,
		verbOrphan:             telegram.WithID(b.showOrphan),
		telegram.VerbOrphanNew: telegram.Fresh(telegram.WithID(b.showOrphan)),
		verbOrphanRefundAsk:    telegram.WithID(b.onOrphanRefundAsk),
		verbOrphanRefund:       telegram.WithID(b.onOrphanRefund),
		verbOrphanResolveAsk:   telegram.WithID(b.onOrphanResolveAsk),
		verbOrphanResolve:      telegram.WithID(b.onOrphanResolve),
	} {
		r.Callback(verb, fn)
	}
	r.OperatorButton(20, b.operatorOrphansButton)
	r.AddTexts(orphanTexts())
}

// operatorOrphansButton is the operators' way to the orphan payments, for the
// admin screens with the list of shops; how many are new is on the button. No
// button for anyone else, nor when the count fails (logged).
func (b *Feature) operatorOrphansButton(ctx context.Context, r *telegram.Request) []telegram.TelegoButton {
	if !b.orphans.IsOperator(r.UserID()) {
		return nil
	}
	open := orphan.StatusNew
	_, n, err := b.orphans.Payments(ctx, r.UserID(), orphan.Filter{Status: &open, Limit: 1})
	if err != nil {
		b.log.ErrorContext(ctx, "count orphan payments", "err", err)
		return nil
	}
	return []telegram.TelegoButton{telegram.Button(b.k.Label(r.Lang, "orphan_btn_list", n), verbOrphans, 0)}
}

func (b *Feature) onOrphans(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	page, err := telegram.IDArg(d)
	if err != nil || page < 0 {
		return telegram.ErrStaleButton
	}
	return b.showOrphans(ctx, r, int(page))
}

// showOrphans lists the orphan payments, newest first, with their state. The
// service refuses anyone but an operator.
func (b *Feature) showOrphans(ctx context.Context, r *telegram.Request, page int) error {
	lang := r.Lang
	list, total, err := b.orphans.Payments(ctx, r.UserID(), orphan.Filter{Limit: orphansPerPage, Offset: page * orphansPerPage})
	if err != nil {
		return err
	}
	pages := telegram.PageCount(total, orphansPerPage)
	if len(list) == 0 && page > 0 {
		return b.showOrphans(ctx, r, pages-1)
	}
	k := &telegram.Keyboard{}
	for _, p := range list {
		label := b.k.Label(lang, "orphan_btn_item", b.orphanMark(p), telegram.FormatMoney(lang, p.Amount),
			p.PayerName, p.ReceivedAt.UTC().Format("02.01 15:04"))
		k.Row(telegram.Button(label, verbOrphan, p.ID))
	}
	b.k.Pager(k, lang, page, pages, verbOrphans)
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbOperatorShops, 0))
	text := b.k.T(lang, "orphan_list")
	if total == 0 {
		text += "\n\n" + b.k.T(lang, "orphan_list_empty")
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// orphanMark is the sign of a payment's state in the list.
func (b *Feature) orphanMark(p orphan.Payment) string {
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
func (b *Feature) showOrphan(ctx context.Context, r *telegram.Request, id orphan.ID) error {
	p, err := b.orphans.Payment(ctx, r.UserID(), id)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.orphanView(ctx, r.Lang, p))
}

// orphanView is the screen of one orphan payment.
func (b *Feature) orphanView(ctx context.Context, lang string, p orphan.Payment) telegram.View {
	var s strings.Builder
	s.WriteString(b.k.T(lang, "orphan_title", p.ID))
	s.WriteString("\n\n")
	s.WriteString(b.k.T(lang, "orphan_details", telegram.FormatMoney(lang, p.Amount), telegram.OrphanPayer(p), int64(p.PayerID),
		formatTime(p.ReceivedAt), b.k.T(lang, "orphan_reason_"+string(p.Reason)), payloadText(p.Payload)))
	s.WriteString(b.k.T(lang, "adm_order_payment_telegram_id", p.TelegramChargeID))
	if p.ProviderChargeID != "" {
		s.WriteString(b.k.T(lang, "adm_order_payment_provider_id", p.ProviderChargeID))
	}
	s.WriteString("\n\n")
	switch {
	case p.Status == orphan.StatusRefunded:
		s.WriteString(b.k.T(lang, "orphan_state_refunded", formatTime(p.SettledAt)))
	case p.Status == orphan.StatusResolved:
		s.WriteString(b.k.T(lang, "orphan_state_resolved", b.k.UserLabel(ctx, p.SettledBy), formatTime(p.SettledAt)))
	case p.RefundUnderway():
		s.WriteString(b.k.T(lang, "orphan_state_refunding", b.k.UserLabel(ctx, p.RefundRequestedBy), formatTime(p.RefundRequestedAt)))
	case p.Stars():
		s.WriteString(b.k.T(lang, "orphan_state_new_stars"))
	default:
		s.WriteString(b.k.T(lang, "orphan_state_new_card"))
	}
	k := &telegram.Keyboard{}
	if p.Status == orphan.StatusNew && !p.RefundUnderway() {
		if p.Stars() {
			k.Row(telegram.Button(b.k.Label(lang, "orphan_btn_refund", telegram.FormatMoney(lang, p.Amount)), verbOrphanRefundAsk, p.ID))
		}
		k.Row(telegram.Button(b.k.Label(lang, "orphan_btn_resolve"), verbOrphanResolveAsk, p.ID))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbOrphans, 0))
	return telegram.View{Text: s.String(), Keyboard: k.Markup()}
}

// onOrphanRefundAsk asks an operator to confirm the Stars refund of an orphan.
func (b *Feature) onOrphanRefundAsk(ctx context.Context, r *telegram.Request, id orphan.ID) error {
	p, err := b.orphans.Payment(ctx, r.UserID(), id)
	if err != nil {
		return err
	}
	if p.Status != orphan.StatusNew || p.RefundUnderway() || !p.Stars() {
		// A stale button: show the payment as it is now.
		return b.k.Show(ctx, r, b.orphanView(ctx, r.Lang, p))
	}
	text := b.k.T(r.Lang, "orphan_refund_ask", telegram.FormatMoney(r.Lang, p.Amount), telegram.OrphanPayer(p))
	k := (&telegram.Keyboard{}).
		Row(telegram.Button(b.k.Label(r.Lang, "orphan_btn_refund_yes"), verbOrphanRefund, p.ID)).
		Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_cancel_no"), verbOrphan, p.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onOrphanRefund asks for the refund (orphan.Service.RequestRefund writes the
// refund job; the worker calls refundStarPayment). A second tap, or a second
// operator, finds it under way: told so, nothing is asked twice.
func (b *Feature) onOrphanRefund(ctx context.Context, r *telegram.Request, id orphan.ID) error {
	p, err := b.orphans.RequestRefund(ctx, r.UserID(), id)
	switch {
	case err == nil:
		r.Answer(b.k.Label(r.Lang, "orphan_refund_requested"))
	case errors.Is(err, orphan.ErrRefundUnderway), errors.Is(err, orphan.ErrSettled):
		r.Answer(b.k.Label(r.Lang, "orphan_refund_already"))
	default:
		return err
	}
	return b.k.Show(ctx, r, b.orphanView(ctx, r.Lang, p))
}

// onOrphanResolveAsk asks an operator to confirm that an orphan is settled. For a
// card payment the screen says the refund is made at the provider.
func (b *Feature) onOrphanResolveAsk(ctx context.Context, r *telegram.Request, id orphan.ID) error {
	p, err := b.orphans.Payment(ctx, r.UserID(), id)
	if err != nil {
		return err
	}
	if p.Status != orphan.StatusNew || p.RefundUnderway() {
		return b.k.Show(ctx, r, b.orphanView(ctx, r.Lang, p))
	}
	key := "orphan_resolve_ask_card"
	if p.Stars() {
		key = "orphan_resolve_ask_stars"
	}
	text := b.k.T(r.Lang, key, telegram.FormatMoney(r.Lang, p.Amount), telegram.OrphanPayer(p))
	k := (&telegram.Keyboard{}).
		Row(telegram.Button(b.k.Label(r.Lang, "orphan_btn_resolve_yes"), verbOrphanResolve, p.ID)).
		Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_cancel_no"), verbOrphan, p.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onOrphanResolve marks an orphan resolved; a second tap changes nothing.
func (b *Feature) onOrphanResolve(ctx context.Context, r *telegram.Request, id orphan.ID) error {
	p, err := b.orphans.Resolve(ctx, r.UserID(), id)
	if err != nil {
		return err
	}
	r.Answer(b.k.Label(r.Lang, "orphan_resolved"))
	return b.k.Show(ctx, r, b.orphanView(ctx, r.Lang, p))
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
