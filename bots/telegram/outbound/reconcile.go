package outbound

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/reconcile"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// starTransactionPages bounds how many pages of getStarTransactions one
// reconciliation reads (100 transactions a page).
const starTransactionPages = 200

// StarPayments lists the Stars payments Telegram knows, from
// getStarTransactions: payments for invoices from users, each marked refunded
// when a refund of it is listed too. Other transactions (paid media, gifts,
// withdrawals) are not the shops' and are left out.
func (b *Composer) StarPayments(ctx context.Context) ([]reconcile.StarPayment, error) {
	byID := map[string]*reconcile.StarPayment{}
	var order []string
	refunded := map[string]bool{}
	for page := range starTransactionPages {
		txns, err := b.api.GetStarTransactions(ctx, &telego.GetStarTransactionsParams{Offset: page * 100, Limit: 100})
		if err != nil {
			return nil, fmt.Errorf("get star transactions: %w", err)
		}
		for _, t := range txns.Transactions {
			if src, ok := t.Source.(*telego.TransactionPartnerUser); ok && src.TransactionType == "invoice_payment" {
				if _, dup := byID[t.ID]; !dup {
					order = append(order, t.ID)
				}
				byID[t.ID] = &reconcile.StarPayment{
					ChargeID: t.ID, UserID: core.UserID(src.User.ID), Amount: int64(t.Amount), At: time.Unix(t.Date, 0),
				}
			}
			if dst, ok := t.Receiver.(*telego.TransactionPartnerUser); ok && dst.TransactionType == "invoice_payment" {
				refunded[t.ID] = true
			}
		}
		if len(txns.Transactions) < 100 {
			break
		}
	}
	out := make([]reconcile.StarPayment, 0, len(order))
	for _, id := range order {
		p := *byID[id]
		p.Refunded = refunded[id]
		out = append(out, p)
	}
	return out, nil
}

// ReconcileMessages composes the report of a reconciliation that found
// differences, to every operator, in their language. A clean report has none.
func (b *Composer) ReconcileMessages(ctx context.Context, r reconcile.Report) ([]core.Message, error) {
	if r.Clean() {
		return nil, nil
	}
	var msgs []core.Message
	for id := range b.operators {
		lang := "en"
		if u, err := b.users.User(ctx, id); err == nil {
			if u.Unreachable {
				continue
			}
			lang = telegram.LangOf(u.Lang())
		}
		lines := []string{b.k.T(lang, "rec_title", r.From.UTC().Format("2006-01-02 15:04"), r.To.UTC().Format("2006-01-02 15:04"), r.Checked)}
		section := func(key string, list []reconcile.StarPayment) {
			if len(list) == 0 {
				return
			}
			lines = append(lines, "", b.k.T(lang, key, len(list)))
			for i, p := range list {
				if i == 20 {
					lines = append(lines, b.k.T(lang, "rec_more", len(list)-i))
					break
				}
				lines = append(lines, b.k.T(lang, "rec_line", p.ChargeID, p.UserID, p.Amount, p.At.UTC().Format("2006-01-02 15:04")))
			}
		}
		section("rec_unknown_to_vitrina", r.UnknownToVitrina)
		section("rec_unknown_to_telegram", r.UnknownToTelegram)
		section("rec_refund_mismatch", r.RefundMismatch)
		key := fmt.Sprintf("reconcile:%d:%d", r.To.Unix(), id)
		msgs = append(msgs, b.k.MessageTo(key, core.PriorityOrder, id, telegram.View{Text: strings.Join(lines, "\n")}))
	}
	return msgs, nil
}
