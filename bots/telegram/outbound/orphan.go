package outbound

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/user"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// OrphanMessages composes what tells people about an event of an orphan payment:
// every operator of one received (with a button that opens it in the operator
// menu), and the payer of a refund. Each is written to in their own language; a
// person who blocked the bot, or an operator who never started it, is left out.
// It is the orphan.JobNotify handler's composer (workers.OrphanComposer).
//
// orphan.ErrNotFound when the payment cannot be read; an event it does not know is
// a core.Error too (the task is dropped).
func (b *Composer) OrphanMessages(ctx context.Context, id orphan.ID, ev orphan.Event) ([]core.Message, error) {
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
		lang := telegram.LangOf(u.Lang())
		text := b.k.T(lang, "orphan_refunded", telegram.FormatMoney(lang, p.Amount))
		return []core.Message{b.k.MessageTo(orphanMessageKey(p.ID, ev, p.PayerID), core.PriorityOrder, p.PayerID, telegram.View{Text: text})}, nil
	}
	return nil, core.Errorf(core.EINVALID, "notify orphan %d: unknown event %q", id, ev)
}

// orphanOperatorMessages tells every operator the bot can reach of p.
func (b *Composer) orphanOperatorMessages(ctx context.Context, p orphan.Payment) ([]core.Message, error) {
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
		lang := telegram.LangOf(u.Lang())
		text := b.k.T(lang, "orphan_notify", p.ID, telegram.FormatMoney(lang, p.Amount), telegram.OrphanPayer(p),
			b.k.T(lang, "orphan_reason_"+string(p.Reason)))
		kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "orphan_btn_open"), telegram.VerbOrphanNew, p.ID)).Markup()
		msgs = append(msgs, b.k.MessageTo(orphanMessageKey(p.ID, orphan.EventReceived, op), core.PriorityOrder, op, telegram.View{Text: text, Keyboard: kb}))
	}
	return msgs, nil
}

// operatorIDs returns the platform operators, in a stable order.
func (b *Composer) operatorIDs() []core.UserID {
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
