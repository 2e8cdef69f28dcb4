package drops

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/live"
)

// A lot's post in its channel: the product's photo, the drop price against the
// regular one, the units left of the lot's quantity, the end time, and a Buy
// button while the lot takes taps. It is written in the KOL's language (the
// channel is theirs), posted once (PostLot) and edited as units go
// (LotPostEdit, coalesced by the sender within the channel's limit).

// lotView renders the post of a lot (its group's first, or a lot of its own)
// as its lots are now, read once: the text, the edit's key and its rank must
// all tell of the same state, or a stale text could go out under a newer
// state's key, and the newer text be taken for sent already. It returns the
// view, the channel and the lots it read, the post's own first.
func (b *Feature) lotView(ctx context.Context, id core.LotID) (telegram.View, int64, []live.Lot, error) {
	group, err := b.live.GroupLots(ctx, id)
	if err != nil {
		return telegram.View{}, 0, nil, err
	}
	if len(group) == 0 {
		return telegram.View{}, 0, nil, live.ErrLotNotFound
	}
	sess, _, err := b.live.Session(ctx, group[0].Session)
	if err != nil {
		return telegram.View{}, 0, nil, err
	}
	var v telegram.View
	if len(group) > 1 {
		v, err = b.groupView(ctx, sess, group)
	} else {
		v, err = b.singleView(ctx, sess, group[0])
	}
	return v, sess.Channel, group, err
}

// singleView renders the post of a lot of its own.
func (b *Feature) singleView(ctx context.Context, sess live.Session, l live.Lot) (telegram.View, error) {
	v, err := b.catalog.Variant(ctx, l.Variant)
	if err != nil {
		return telegram.View{}, err
	}
	p, err := b.catalog.Product(ctx, v.ProductID)
	if err != nil {
		return telegram.View{}, err
	}
	lang := "ru"
	if kol, err := b.users.User(ctx, sess.KOL); err == nil {
		lang = telegram.LangOf(kol.Lang())
	}
	title := telegram.ItemTitle(p.Title, v.Name)
	price := telegram.FormatMoney(lang, l.Price)
	if v.Price.Amount > l.Price.Amount {
		price = b.k.T(lang, "drop_post_price", telegram.HTML(price), telegram.FormatMoney(lang, v.Price))
	}
	now := b.clock.Now()
	var state string
	switch {
	case l.Status == live.LotCancelled:
		state = b.k.T(lang, "drop_post_cancelled")
	case l.Over(now):
		state = b.k.T(lang, "drop_post_ended", l.Quantity-l.Remaining, l.Quantity)
	case l.SoldOut():
		state = b.k.T(lang, "drop_post_sold_out", l.Quantity)
	case l.Drawing(now):
		state = b.k.T(lang, "drop_post_draw", l.Quantity, l.DrawUntil.In(moscow).Format("15:04:05"))
	case l.Mode == live.Draw && !l.Drawn:
		state = b.k.T(lang, "drop_post_drawing")
	default:
		state = b.k.T(lang, "drop_post_left", l.Remaining, l.Quantity, l.EndsAt.In(moscow).Format("15:04"))
	}
	lines := []string{b.k.T(lang, "drop_post_title", title), telegram.Escape(sess.Title), price, state}
	if l.PerBuyer < l.Quantity && !l.Over(now) && !l.SoldOut() {
		lines = append(lines, b.k.T(lang, "drop_post_limit", l.PerBuyer))
	}
	view := telegram.View{Text: strings.Join(telegram.NonEmpty(lines...), "\n")}
	if len(p.Photos) > 0 {
		view.Photo = p.Photos[0]
	}
	if !l.Over(now) && !l.SoldOut() {
		label := b.k.Label(lang, "drop_btn_buy", telegram.FormatMoney(lang, l.Price))
		if l.Drawing(now) {
			label = b.k.Label(lang, "drop_btn_enter", telegram.FormatMoney(lang, l.Price))
		}
		view.Keyboard = (&telegram.Keyboard{}).Row(telegram.Button(label, verbBuy, int64(l.ID))).Markup()
	} else {
		// An empty keyboard takes the Buy button off the post.
		view.Keyboard = &telego.InlineKeyboardMarkup{InlineKeyboard: [][]telego.InlineKeyboardButton{}}
	}
	return view, nil
}

// groupView renders the post of a product's variants dropped together: the
// product, then a line per variant (its price, what is left or its end), and a
// Buy button per variant still on sale.
func (b *Feature) groupView(ctx context.Context, sess live.Session, lots []live.Lot) (telegram.View, error) {
	lang := "ru"
	if kol, err := b.users.User(ctx, sess.KOL); err == nil {
		lang = telegram.LangOf(kol.Lang())
	}
	now := b.clock.Now()
	var p catalog.Product
	lines := []string{"", telegram.Escape(sess.Title)}
	k := &telegram.Keyboard{}
	var row []telego.InlineKeyboardButton
	var open bool
	var until, drawUntil time.Time
	for _, l := range lots {
		v, err := b.catalog.Variant(ctx, l.Variant)
		if err != nil {
			return telegram.View{}, err
		}
		if p.ID == 0 {
			if p, err = b.catalog.Product(ctx, v.ProductID); err != nil {
				return telegram.View{}, err
			}
		}
		price := telegram.FormatMoney(lang, l.Price)
		if v.Price.Amount > l.Price.Amount {
			price = b.k.T(lang, "drop_group_price", telegram.HTML(price), telegram.FormatMoney(lang, v.Price))
		}
		var state string
		switch {
		case l.Status == live.LotCancelled:
			state = b.k.T(lang, "drop_group_cancelled")
		case l.Over(now):
			state = b.k.T(lang, "drop_group_ended", l.Quantity-l.Remaining, l.Quantity)
		case l.SoldOut():
			state = b.k.T(lang, "drop_group_sold_out")
		case l.Mode == live.Draw && !l.Drawn && !l.Drawing(now):
			state = b.k.T(lang, "drop_post_drawing")
		default:
			state = b.k.T(lang, "drop_group_left", l.Remaining, l.Quantity)
			if l.PerBuyer < l.Quantity {
				state += b.k.T(lang, "drop_group_limit", l.PerBuyer)
			}
			open = true
			// The post says until when anything of it sells: the latest end of
			// the lots still on sale (one may have been ended or extended).
			if l.EndsAt.After(until) {
				until = l.EndsAt
			}
			if l.Drawing(now) && l.DrawUntil.After(drawUntil) {
				drawUntil = l.DrawUntil
			}
			label := b.k.Label(lang, "drop_btn_buy_variant", v.Name, telegram.FormatMoney(lang, l.Price))
			if l.Drawing(now) {
				label = b.k.Label(lang, "drop_btn_enter_variant", v.Name)
			}
			if row = append(row, telegram.Button(label, verbBuy, int64(l.ID))); len(row) == 2 {
				k.Row(row...)
				row = nil
			}
		}
		lines = append(lines, b.k.T(lang, "drop_group_line", v.Name, telegram.HTML(price), telegram.HTML(state)))
	}
	if len(row) > 0 {
		k.Row(row...)
	}
	lines[0] = b.k.T(lang, "drop_post_title", p.Title)
	switch {
	case !drawUntil.IsZero():
		lines = append(lines, b.k.T(lang, "drop_group_draw", drawUntil.In(moscow).Format("15:04:05")))
	case open:
		lines = append(lines, b.k.T(lang, "drop_group_until", until.In(moscow).Format("15:04")))
	}
	view := telegram.View{Text: strings.Join(telegram.NonEmpty(lines...), "\n")}
	if len(p.Photos) > 0 {
		view.Photo = p.Photos[0]
	}
	view.Keyboard = k.Markup()
	if !open {
		// An empty keyboard takes the Buy buttons off the post.
		view.Keyboard = &telego.InlineKeyboardMarkup{InlineKeyboard: [][]telego.InlineKeyboardButton{}}
	}
	return view, nil
}

// PostLot posts a lot in its session's channel and returns the message
// (workers/drops.Bot).
func (b *Feature) PostLot(ctx context.Context, l live.Lot) (int64, error) {
	v, chat, _, err := b.lotView(ctx, l.ID)
	if err != nil {
		return 0, err
	}
	var msg *telego.Message
	if v.Photo != "" {
		msg, err = b.api.SendPhoto(ctx, &telego.SendPhotoParams{
			ChatID: tu.ID(chat), Photo: telego.InputFile{FileID: v.Photo},
			Caption: b.k.Fit(ctx, v.Text, telegram.MaxCaptionLen), ParseMode: telego.ModeHTML, ReplyMarkup: v.Keyboard,
		})
	} else {
		msg, err = b.api.SendMessage(ctx, &telego.SendMessageParams{
			ChatID: tu.ID(chat), Text: v.Text, ParseMode: telego.ModeHTML, ReplyMarkup: v.Keyboard,
		})
	}
	if err != nil {
		return 0, fmt.Errorf("post lot %d in channel %d: %w", l.ID, chat, err)
	}
	return int64(msg.MessageID), nil
}

// LotPostEdit composes the edit of a lot's post as the lot is now
// (workers/drops.Bot): coalesced per post, so of the edits a burst of taps makes
// only the latest waits for the channel's turn.
func (b *Feature) LotPostEdit(ctx context.Context, l live.Lot) (core.Message, error) {
	v, chat, group, err := b.lotView(ctx, l.ID)
	if err != nil {
		return core.Message{}, err
	}
	// The key names the state shown, so the same state is sent once; the
	// later state ranks higher, so an edit composed earlier but stored later
	// does not replace it (units left only fall, but for a release).
	key := fmt.Sprintf("lot:%d:post", l.ID)
	var rank int64
	now := b.clock.Now()
	for _, g := range group {
		key += fmt.Sprintf(":%d:%s:%t:%t:%d", g.Remaining, g.Status, g.Over(now), g.Drawn, g.EndsAt.Unix())
		rank += g.Taps
	}
	m := b.k.EditMessage(key, fmt.Sprintf("lot:%d", l.ID), core.PriorityReminder, chat, true, int(group[0].Post), v.Photo != "", v)
	m.Rank = rank
	return m, nil
}

// moscow is the time zone a drop's times are shown and read in.
var moscow = telegram.Moscow
