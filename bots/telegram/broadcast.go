package telegram

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// The recipients' side of broadcasts: composing a broadcast's messages (and its
// progress edits) for the workers, and the subscription buttons: the toggle on
// the shop's card, and "unsubscribe" under every broadcast, honoured at once.

// broadcastView renders a broadcast as its recipients see it: a line naming the
// shop, the seller's text (escaped: it is theirs, not HTML), a button to each
// product, and the button to unsubscribe from the shop.
func (b *Bot) broadcastView(lang string, shop catalog.Shop, c broadcast.Content, products []catalog.Product) view {
	text := b.t(lang, "bc_from", shop.Name)
	if core.Visible(c.Text) {
		text += "\n\n" + escape(c.Text)
	}
	k := &keyboard{}
	for _, p := range products {
		k.row(button(b.label(lang, "bc_btn_product", p.Title), verbProductNew, p.ID, 0, 1))
	}
	k.row(button(b.label(lang, "bc_btn_unsubscribe", shop.Name), verbBroadcastSubscribed, shop.ID, 0))
	return view{text: text, photo: c.Photo, kb: k.markup()}
}

// broadcastProducts returns the products of a broadcast's buttons that are still
// on sale; archived and deleted ones lose their button.
func (b *Bot) broadcastProducts(ctx context.Context, ids []core.ProductID) ([]catalog.Product, error) {
	var out []catalog.Product
	for _, id := range ids {
		p, err := b.catalog.Product(ctx, id)
		if errors.Is(err, catalog.ErrProductNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("product %d: %w", id, err)
		}
		if !p.Archived {
			out = append(out, p)
		}
	}
	return out, nil
}

// BroadcastMessages composes a broadcast's message to each recipient, in their
// language (workers.BroadcastComposer): key "bc:<broadcast>:<user>", Ref
// "broadcast:<broadcast>", priority core.PriorityBroadcast. The shop and the
// products are read once for the page.
func (b *Bot) BroadcastMessages(ctx context.Context, bc broadcast.Broadcast, to []broadcast.Recipient) ([]core.Message, error) {
	shop, err := b.catalog.Shop(ctx, bc.ShopID)
	if err != nil {
		return nil, err
	}
	products, err := b.broadcastProducts(ctx, bc.Content.Products)
	if err != nil {
		return nil, err
	}
	views := map[string]view{}
	ref := fmt.Sprintf("broadcast:%d", bc.ID)
	msgs := make([]core.Message, 0, len(to))
	for _, rc := range to {
		lang := langOf(rc.Lang)
		v, ok := views[lang]
		if !ok {
			v = b.broadcastView(lang, shop, bc.Content, products)
			views[lang] = v
		}
		m := b.messageTo(fmt.Sprintf("bc:%d:%d", bc.ID, rc.UserID), core.PriorityBroadcast, rc.UserID, v)
		m.Ref = ref
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// BroadcastProgress composes what shows a broadcast's progress to the seller
// (workers.BroadcastComposer): an edit of the progress message, coalesced under
// "bc:<id>:progress" and keyed on the state it shows, at order priority so a
// broadcast's own messages never hold it up. A broadcast over without a
// progress message gets its report as a new message; a running one, nothing.
func (b *Bot) BroadcastProgress(ctx context.Context, bc broadcast.Broadcast) ([]core.Message, error) {
	lang := "en"
	u, err := b.users.User(ctx, bc.CreatedBy)
	switch {
	case err == nil:
		lang = langOf(u.Lang())
	case core.ErrorCode(err) != core.ENOTFOUND:
		return nil, err
	}
	v, err := b.broadcastProgressView(ctx, lang, bc)
	if err != nil {
		return nil, err
	}
	if bc.ProgressMessageID != 0 && bc.ProgressChat != 0 {
		key := fmt.Sprintf("bc:%d:progress:%s:%d:%d", bc.ID, bc.Status, bc.Done(), bc.Cancelled)
		m := b.editMessage(key, fmt.Sprintf("bc:%d:progress", bc.ID), core.PriorityOrder,
			bc.ProgressChat, false, bc.ProgressMessageID, false, v)
		// Progress composed before the end must not replace the final report.
		m.Rank = int64(bc.Done())
		if bc.Status != broadcast.StatusRunning {
			m.Rank = math.MaxInt64
		}
		return []core.Message{m}, nil
	}
	if bc.Status == broadcast.StatusRunning {
		return nil, nil
	}
	return []core.Message{b.messageTo(fmt.Sprintf("bc:%d:report", bc.ID), core.PriorityOrder, bc.CreatedBy, v)}, nil
}

// broadcastProgressView renders a broadcast's progress, or its final report once
// it is over, with Cancel while it runs.
func (b *Bot) broadcastProgressView(ctx context.Context, lang string, bc broadcast.Broadcast) (view, error) {
	who, err := b.audienceLabel(ctx, lang, bc.Audience)
	if err != nil {
		return view{}, err
	}
	id := int64(bc.ID)
	var lines []string
	switch bc.Status {
	case broadcast.StatusRunning:
		lines = append(lines, b.t(lang, "bc_progress_running", id, htmlText(who)), "", b.t(lang, "bc_line_sent", bc.Sent))
		if bc.Materialized {
			lines = append(lines, b.t(lang, "bc_line_pending", bc.Pending()))
		}
	case broadcast.StatusCancelled:
		lines = append(lines, b.t(lang, "bc_progress_cancelled", id, htmlText(who)), "",
			b.t(lang, "bc_line_sent", bc.Sent), b.t(lang, "bc_line_not_sent", bc.Cancelled))
	default:
		lines = append(lines, b.t(lang, "bc_progress_finished", id, htmlText(who)), "",
			b.t(lang, "bc_line_sent_of", bc.Sent, bc.Total))
	}
	lines = append(lines, b.t(lang, "bc_line_blocked", bc.Blocked), b.t(lang, "bc_line_failed", bc.Failed))
	if bc.Skipped > 0 {
		lines = append(lines, b.t(lang, "bc_line_skipped", bc.Skipped))
	}
	k := &keyboard{}
	if bc.Status == broadcast.StatusRunning {
		if !bc.Materialized {
			lines = append(lines, "", b.t(lang, "bc_line_preparing"))
		}
		k.row(button(b.label(lang, "bc_btn_stop"), verbAdminBroadcastStop, bc.ID))
		k.row(button(b.label(lang, "bc_btn_refresh"), verbAdminBroadcast, bc.ID))
	}
	k.row(button(b.label(lang, "bc_btn_list"), verbAdminBroadcasts, bc.ShopID))
	return view{text: strings.Join(lines, "\n"), kb: k.markup()}, nil
}

// --- subscriptions ---

// subscribeRow adds the shop card's subscribe / unsubscribe row to k.
func (b *Bot) subscribeRow(ctx context.Context, r *request, k *keyboard, shop catalog.Shop) error {
	on, err := b.broadcasts.Subscribed(ctx, shop.ID, r.userID())
	if err != nil {
		return err
	}
	if on {
		k.row(button(b.label(r.lang, "bc_btn_card_unsubscribe"), verbSubscribe, shop.ID, 0))
	} else {
		k.row(button(b.label(r.lang, "bc_btn_card_subscribe"), verbSubscribe, shop.ID, 1))
	}
	return nil
}

// onSubscribe is the toggle on the shop's card: bs:<shop>:<1|0>. Unsubscribing
// also opts out of the shop's other broadcasts; subscribing clears that.
func (b *Bot) onSubscribe(ctx context.Context, r *request, d callbackData) error {
	id, on, err := subscribeArgs(d)
	if err != nil {
		return err
	}
	shop, err := b.openShop(ctx, id)
	if err != nil {
		return err
	}
	if err := b.setSubscribed(ctx, r, shop, on); err != nil {
		return err
	}
	return b.showScreen(ctx, r, screen(verbShop, shop.ID))
}

// onBroadcastSubscribed is the button under a broadcast: bu:<shop>:<0|1>. It
// opts the person out of the shop's broadcasts at once (or subscribes them
// again), and swaps the button on the message, leaving the message as it is.
func (b *Bot) onBroadcastSubscribed(ctx context.Context, r *request, d callbackData) error {
	id, on, err := subscribeArgs(d)
	if err != nil {
		return err
	}
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil {
		return err
	}
	if err := b.setSubscribed(ctx, r, shop, on); err != nil {
		return err
	}
	if r.msg == nil || r.msg.ReplyMarkup == nil {
		return nil
	}
	swap := button(b.label(r.lang, "bc_btn_unsubscribe", shop.Name), verbBroadcastSubscribed, shop.ID, 0)
	if on == 0 {
		swap = button(b.label(r.lang, "bc_btn_resubscribe", shop.Name), verbBroadcastSubscribed, shop.ID, 1)
	}
	var rows [][]telego.InlineKeyboardButton
	for _, row := range r.msg.ReplyMarkup.InlineKeyboard {
		var out []telego.InlineKeyboardButton
		for _, btn := range row {
			if strings.HasPrefix(btn.CallbackData, verbBroadcastSubscribed+":") {
				btn = swap
			}
			out = append(out, btn)
		}
		rows = append(rows, out)
	}
	_, err = b.api.EditMessageReplyMarkup(ctx, &telego.EditMessageReplyMarkupParams{
		ChatID:      tu.ID(r.chatID),
		MessageID:   r.msg.MessageID,
		ReplyMarkup: &telego.InlineKeyboardMarkup{InlineKeyboard: rows},
	})
	if err != nil && !notModified(err) {
		return fmt.Errorf("edit keyboard: %w", err)
	}
	return nil
}

// subscribeArgs reads "<verb>:<shop>:<0|1>".
func subscribeArgs(d callbackData) (core.ShopID, int64, error) {
	a, err := intArgs(d, 2)
	if err != nil || (a[1] != 0 && a[1] != 1) {
		return 0, 0, errStaleButton
	}
	return core.ShopID(a[0]), a[1], nil
}

// setSubscribed subscribes the person to the shop's news (on 1) or opts them out
// of its broadcasts (on 0), and says so.
func (b *Bot) setSubscribed(ctx context.Context, r *request, shop catalog.Shop, on int64) error {
	if on == 1 {
		if err := b.broadcasts.Subscribe(ctx, r.userID(), shop.ID); err != nil {
			return err
		}
		r.answer(b.t(r.lang, "bc_subscribed", shop.Name))
		return nil
	}
	if err := b.broadcasts.Unsubscribe(ctx, r.userID(), shop.ID); err != nil {
		return err
	}
	r.answer(b.t(r.lang, "bc_unsubscribed", shop.Name))
	return nil
}
