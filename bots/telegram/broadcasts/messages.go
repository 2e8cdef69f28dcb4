package broadcasts

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

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// The recipients' side of broadcasts: composing a broadcast's messages (and its
// progress edits) for the workers, and the subscription buttons: the toggle on
// the shop's card, and "unsubscribe" under every broadcast, honoured at once.

// broadcastView renders a broadcast as its recipients see it: a line naming the
// shop, the seller's text (escaped: it is theirs, not HTML), a button to each
// product, and the button to unsubscribe from the shop.
func (b *Feature) broadcastView(lang string, shop catalog.Shop, c broadcast.Content, products []catalog.Product) telegram.View {
	text := b.k.T(lang, "bc_from", shop.Name)
	if core.Visible(c.Text) {
		text += "\n\n" + telegram.Escape(c.Text)
	}
	k := &telegram.Keyboard{}
	for _, p := range products {
		k.Row(telegram.Button(b.k.Label(lang, "bc_btn_product", p.Title), telegram.VerbProductNew, p.ID, 0, 1))
	}
	k.Row(telegram.Button(b.k.Label(lang, "bc_btn_unsubscribe", shop.Name), verbBroadcastSubscribed, shop.ID, 0))
	return telegram.View{Text: text, Photo: c.Photo, Keyboard: k.Markup()}
}

// broadcastProducts returns the products of a broadcast's buttons that are still
// on sale; archived and deleted ones lose their button.
func (b *Feature) broadcastProducts(ctx context.Context, ids []core.ProductID) ([]catalog.Product, error) {
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
func (b *Feature) BroadcastMessages(ctx context.Context, bc broadcast.Broadcast, to []broadcast.Recipient) ([]core.Message, error) {
	shop, err := b.catalog.Shop(ctx, bc.ShopID)
	if err != nil {
		return nil, err
	}
	products, err := b.broadcastProducts(ctx, bc.Content.Products)
	if err != nil {
		return nil, err
	}
	views := map[string]telegram.View{}
	ref := fmt.Sprintf("broadcast:%d", bc.ID)
	msgs := make([]core.Message, 0, len(to))
	for _, rc := range to {
		lang := telegram.LangOf(rc.Lang)
		v, ok := views[lang]
		if !ok {
			v = b.broadcastView(lang, shop, bc.Content, products)
			views[lang] = v
		}
		m := b.k.MessageTo(fmt.Sprintf("bc:%d:%d", bc.ID, rc.UserID), core.PriorityBroadcast, rc.UserID, v)
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
func (b *Feature) BroadcastProgress(ctx context.Context, bc broadcast.Broadcast) ([]core.Message, error) {
	lang := "en"
	u, err := b.users.User(ctx, bc.CreatedBy)
	switch {
	case err == nil:
		lang = telegram.LangOf(u.Lang())
	case core.ErrorCode(err) != core.ENOTFOUND:
		return nil, err
	}
	v, err := b.broadcastProgressView(ctx, lang, bc)
	if err != nil {
		return nil, err
	}
	if bc.ProgressMessageID != 0 && bc.ProgressChat != 0 {
		key := fmt.Sprintf("bc:%d:progress:%s:%d:%d", bc.ID, bc.Status, bc.Done(), bc.Cancelled)
		m := b.k.EditMessage(key, fmt.Sprintf("bc:%d:progress", bc.ID), core.PriorityOrder,
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
	return []core.Message{b.k.MessageTo(fmt.Sprintf("bc:%d:report", bc.ID), core.PriorityOrder, bc.CreatedBy, v)}, nil
}

// broadcastProgressView renders a broadcast's progress, or its final report once
// it is over, with Cancel while it runs.
func (b *Feature) broadcastProgressView(ctx context.Context, lang string, bc broadcast.Broadcast) (telegram.View, error) {
	who, err := b.audienceLabel(ctx, lang, bc.Audience)
	if err != nil {
		return telegram.View{}, err
	}
	id := int64(bc.ID)
	var lines []string
	switch bc.Status {
	case broadcast.StatusRunning:
		lines = append(lines, b.k.T(lang, "bc_progress_running", id, telegram.HTML(who)), "", b.k.T(lang, "bc_line_sent", bc.Sent))
		if bc.Materialized {
			lines = append(lines, b.k.T(lang, "bc_line_pending", bc.Pending()))
		}
	case broadcast.StatusCancelled:
		lines = append(lines, b.k.T(lang, "bc_progress_cancelled", id, telegram.HTML(who)), "",
			b.k.T(lang, "bc_line_sent", bc.Sent), b.k.T(lang, "bc_line_not_sent", bc.Cancelled))
	default:
		lines = append(lines, b.k.T(lang, "bc_progress_finished", id, telegram.HTML(who)), "",
			b.k.T(lang, "bc_line_sent_of", bc.Sent, bc.Total))
	}
	lines = append(lines, b.k.T(lang, "bc_line_blocked", bc.Blocked), b.k.T(lang, "bc_line_failed", bc.Failed))
	if bc.Skipped > 0 {
		lines = append(lines, b.k.T(lang, "bc_line_skipped", bc.Skipped))
	}
	k := &telegram.Keyboard{}
	if bc.Status == broadcast.StatusRunning {
		if !bc.Materialized {
			lines = append(lines, "", b.k.T(lang, "bc_line_preparing"))
		}
		k.Row(telegram.Button(b.k.Label(lang, "bc_btn_stop"), verbAdminBroadcastStop, bc.ID))
		k.Row(telegram.Button(b.k.Label(lang, "bc_btn_refresh"), verbAdminBroadcast, bc.ID))
	}
	k.Row(telegram.Button(b.k.Label(lang, "bc_btn_list"), telegram.VerbAdminBroadcasts, bc.ShopID))
	return telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()}, nil
}

// subscribeRow adds the shop card's subscribe / unsubscribe row to k.
func (b *Feature) subscribeRow(ctx context.Context, r *telegram.Request, k *telegram.Keyboard, shop catalog.Shop) error {
	on, err := b.broadcasts.Subscribed(ctx, shop.ID, r.UserID())
	if err != nil {
		return err
	}
	if on {
		k.Row(telegram.Button(b.k.Label(r.Lang, "bc_btn_card_unsubscribe"), verbSubscribe, shop.ID, 0))
	} else {
		k.Row(telegram.Button(b.k.Label(r.Lang, "bc_btn_card_subscribe"), verbSubscribe, shop.ID, 1))
	}
	return nil
}

// onSubscribe is the toggle on the shop's card: bs:<shop>:<1|0>. Unsubscribing
// also opts out of the shop's other broadcasts; subscribing clears that.
func (b *Feature) onSubscribe(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, on, err := subscribeArgs(d)
	if err != nil {
		return err
	}
	shop, err := b.k.OpenShop(ctx, id)
	if err != nil {
		return err
	}
	if err := b.setSubscribed(ctx, r, shop, on); err != nil {
		return err
	}
	return b.k.ShowScreen(ctx, r, telegram.Screen(telegram.VerbShop, shop.ID))
}

// onBroadcastSubscribed is the button under a broadcast: bu:<shop>:<0|1>. It
// opts the person out of the shop's broadcasts at once (or subscribes them
// again), and swaps the button on the message, leaving the message as it is.
func (b *Feature) onBroadcastSubscribed(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
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
	if r.Msg == nil || r.Msg.ReplyMarkup == nil {
		return nil
	}
	swap := telegram.Button(b.k.Label(r.Lang, "bc_btn_unsubscribe", shop.Name), verbBroadcastSubscribed, shop.ID, 0)
	if on == 0 {
		swap = telegram.Button(b.k.Label(r.Lang, "bc_btn_resubscribe", shop.Name), verbBroadcastSubscribed, shop.ID, 1)
	}
	var rows [][]telego.InlineKeyboardButton
	for _, row := range r.Msg.ReplyMarkup.InlineKeyboard {
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
		ChatID:      tu.ID(r.ChatID),
		MessageID:   r.Msg.MessageID,
		ReplyMarkup: &telego.InlineKeyboardMarkup{InlineKeyboard: rows},
	})
	if err != nil && !telegram.NotModified(err) {
		return fmt.Errorf("edit keyboard: %w", err)
	}
	return nil
}

// subscribeArgs reads "<verb>:<shop>:<0|1>".
func subscribeArgs(d telegram.CallbackData) (core.ShopID, int64, error) {
	a, err := telegram.IntArgs(d, 2)
	if err != nil || (a[1] != 0 && a[1] != 1) {
		return 0, 0, telegram.ErrStaleButton
	}
	return core.ShopID(a[0]), a[1], nil
}

// setSubscribed subscribes the person to the shop's news (on 1) or opts them out
// of its broadcasts (on 0), and says so.
func (b *Feature) setSubscribed(ctx context.Context, r *telegram.Request, shop catalog.Shop, on int64) error {
	if on == 1 {
		if err := b.broadcasts.Subscribe(ctx, r.UserID(), shop.ID); err != nil {
			return err
		}
		r.Answer(b.k.T(r.Lang, "bc_subscribed", shop.Name))
		return nil
	}
	if err := b.broadcasts.Unsubscribe(ctx, r.UserID(), shop.ID); err != nil {
		return err
	}
	r.Answer(b.k.T(r.Lang, "bc_unsubscribed", shop.Name))
	return nil
}
