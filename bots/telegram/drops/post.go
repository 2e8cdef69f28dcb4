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
	"github.com/vitrina-shop/vitrina/core/live"
)

// A lot's post in its channel: the product's photo, the drop price against the
// regular one, the units left of the lot's quantity, the end time, and a Buy
// button while the lot takes taps. It is written in the KOL's language (the
// channel is theirs), posted once (PostLot) and edited as units go
// (LotPostEdit, coalesced by the sender within the channel's limit).

// lotView renders a lot's post as the lot is at now.
func (b *Feature) lotView(ctx context.Context, l live.Lot) (telegram.View, int64, error) {
	sess, _, err := b.live.Session(ctx, l.Session)
	if err != nil {
		return telegram.View{}, 0, err
	}
	v, err := b.catalog.Variant(ctx, l.Variant)
	if err != nil {
		return telegram.View{}, 0, err
	}
	p, err := b.catalog.Product(ctx, v.ProductID)
	if err != nil {
		return telegram.View{}, 0, err
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
	return view, sess.Channel, nil
}

// PostLot posts a lot in its session's channel and returns the message
// (workers.LiveBot).
func (b *Feature) PostLot(ctx context.Context, l live.Lot) (int64, error) {
	v, chat, err := b.lotView(ctx, l)
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
// (workers.LiveBot): coalesced per lot, so of the edits a burst of taps makes
// only the latest waits for the channel's turn.
func (b *Feature) LotPostEdit(ctx context.Context, l live.Lot) (core.Message, error) {
	v, chat, err := b.lotView(ctx, l)
	if err != nil {
		return core.Message{}, err
	}
	// The key names the state shown, so the same state is sent once.
	key := fmt.Sprintf("lot:%d:post:%d:%s:%t:%t:%d", l.ID, l.Remaining, l.Status, l.Over(b.clock.Now()), l.Drawn,
		l.EndsAt.Unix())
	m := b.k.EditMessage(key, fmt.Sprintf("lot:%d", l.ID), core.PriorityReminder, chat, true, int(l.Post), v.Photo != "", v)
	// The later state ranks higher: an edit composed earlier but stored later
	// does not replace it (a lot's units left only fall, but for a release).
	m.Rank = l.Taps
	return m, nil
}

// moscow is the time zone of the times a drop shows and reads, labelled "МСК"
// wherever shown: most KOLs and followers Vitrina serves live in it. A KOL's own
// zone (Kazakhstan is UTC+5) is a setting to come.
var moscow = time.FixedZone("MSK", 3*60*60)
