package outbound

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Reminders and alerts are composed here and sent by the workers' sender (workers/
// workers/reminder.go implements the jobs, which decide that a reminder is due): each is a
// message to one person in their language, with PriorityReminder and a key naming
// its reason, so it goes once.

// maxCartReminderLines bounds the lines of a cart the reminder lists.
const maxCartReminderLines = 10

// recipient returns the language of the person a reminder is for, and false when
// they blocked the bot (nothing is composed for them). A person Vitrina has no
// record of gets English.
func (b *Composer) recipient(ctx context.Context, id core.UserID) (string, bool, error) {
	u, err := b.users.User(ctx, id)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return telegram.LangOf(""), true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("recipient %d: %w", id, err)
	}
	return telegram.LangOf(u.Lang()), !u.Unreachable, nil
}

// UnpaidReminder asks the buyer of an order awaiting payment to pay before its
// reservation ends, with the Pay button (the invoice again) and the time left.
func (b *Composer) UnpaidReminder(ctx context.Context, o order.Order) ([]core.Message, error) {
	lang, ok, err := b.recipient(ctx, o.BuyerID)
	if !ok || err != nil {
		return nil, err
	}
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return nil, fmt.Errorf("remind to pay order %d: %w", o.ID, err)
	}
	left := max(o.ReservedUntil.Sub(b.clock.Now()), 0)
	text := b.k.T(lang, "rem_unpaid", o.ID, shop.Name, telegram.FormatMoney(lang, o.Total), b.k.Duration(lang, left))
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(lang, "btn_order_pay"), telegram.VerbOrderPay, o.ID))
	k.Row(telegram.Button(b.k.Label(lang, "btn_open_my_order"), telegram.VerbOrderNew, o.ID))
	key := fmt.Sprintf("remind:unpaid:%d:%d", o.ID, o.ReservedUntil.Unix())
	return []core.Message{b.k.MessageTo(key, core.PriorityReminder, o.BuyerID, telegram.View{Text: b.k.T(lang, "rem_unpaid_title") + "\n\n" + text, Keyboard: k.Markup()})}, nil
}

// CartReminder shows a buyer what they left in their cart in a shop, with a button
// that opens the cart.
func (b *Composer) CartReminder(ctx context.Context, st order.CartState) ([]core.Message, error) {
	c := st.Cart
	lang, ok, err := b.recipient(ctx, c.BuyerID)
	if !ok || err != nil || len(c.Items) == 0 {
		return nil, err
	}
	lines := []string{b.k.T(lang, "rem_cart", st.Shop.Name), ""}
	for i, it := range c.Items {
		if i == maxCartReminderLines {
			lines = append(lines, b.k.T(lang, "rem_cart_more", len(c.Items)-i))
			break
		}
		title := it.Title
		if it.VariantName != "" {
			title += " (" + it.VariantName + ")"
		}
		lines = append(lines, b.k.T(lang, "rem_cart_line", title, it.Quantity))
	}
	lines = append(lines, "", b.k.T(lang, "rem_cart_total", telegram.FormatMoney(lang, c.Total)))
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(lang, "rem_btn_open_cart"), telegram.VerbCart, c.ShopID))
	key := fmt.Sprintf("remind:cart:%d:%d:%d", c.BuyerID, c.ShopID, st.ChangedAt.Unix())
	return []core.Message{b.k.MessageTo(key, core.PriorityReminder, c.BuyerID, telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()})}, nil
}

// RestockAlerts tells each subscriber of a batch that the variant is back, with
// the product's photo and a button to its card.
func (b *Composer) RestockAlerts(ctx context.Context, batch catalog.RestockBatch) ([]core.Message, error) {
	p, v := batch.Product, batch.Variant
	title := p.Title
	if v.Name != "" && len(p.Variants) != 1 {
		title += " (" + v.Name + ")"
	}
	var msgs []core.Message
	for _, s := range batch.Subscribers {
		lang, ok, err := b.recipient(ctx, s.UserID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		view := telegram.View{Text: b.k.T(lang, "rem_restock", title, telegram.FormatMoney(lang, v.Price))}
		view.Keyboard = (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "rem_btn_restock_open"), telegram.VerbProductNew, p.ID, v.ID, 1)).Markup()
		if len(p.Photos) > 0 {
			view.Photo = p.Photos[0]
		}
		key := fmt.Sprintf("restock:%d:%d:%d", v.ID, s.UserID, s.CreatedAt.Unix())
		msgs = append(msgs, b.k.MessageTo(key, core.PriorityReminder, s.UserID, view))
	}
	return msgs, nil
}

// ReviewRequest asks the buyer of a completed order how they like what they got,
// with the button that starts a review.
func (b *Composer) ReviewRequest(ctx context.Context, o order.Order) ([]core.Message, error) {
	lang, ok, err := b.recipient(ctx, o.BuyerID)
	if !ok || err != nil {
		return nil, err
	}
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return nil, fmt.Errorf("request review of order %d: %w", o.ID, err)
	}
	var titles []string
	for _, l := range o.Lines {
		titles = append(titles, "• "+telegram.Escape(l.Title))
	}
	text := b.k.T(lang, "rem_review", o.ID, shop.Name, telegram.HTML(strings.Join(titles, "\n")))
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "rem_btn_rate"), telegram.VerbReviewWrite, o.ID)).Markup()
	key := fmt.Sprintf("review:request:%d", o.ID)
	return []core.Message{b.k.MessageTo(key, core.PriorityReminder, o.BuyerID, telegram.View{Text: text, Keyboard: kb})}, nil
}
