package drops

import (
	"context"
	"strconv"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
)

// A tap on a sold-out lot offers its waiting list: the answer's link opens the
// bot (wait_<lot>), which asks before putting the shopper in it. A unit that
// comes back while the lot runs (a reservation not paid in time) becomes the
// first one's: a reservation of their own, and the invoice (live:claim).

const (
	linkWait       = "wait" // wait_<lot>: the waiting list of a sold-out lot
	verbWaitJoin   = "wj"   // wj:<lot>: join it
	verbWaitLeave  = "wl"   // wl:<lot>: leave it
	verbWaitRejoin = "wr"   // wr:<lot>: join it again
)

func (b *Feature) waitlistRoutes(r *telegram.Router) {
	r.DeepLink(linkWait, b.openWaitlist)
	r.Callback(verbWaitJoin, b.onWaitJoin)
	r.Callback(verbWaitRejoin, b.onWaitJoin)
	r.Callback(verbWaitLeave, b.onWaitLeave)
}

// waitLink is the deep link payload of a lot's waiting list.
func waitLink(id core.LotID) string { return linkWait + "_" + strconv.FormatInt(int64(id), 10) }

// openWaitlist offers a lot's waiting list.
func (b *Feature) openWaitlist(ctx context.Context, r *telegram.Request, arg string) error {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n <= 0 {
		return telegram.ErrDeepLink
	}
	l, err := b.live.Lot(ctx, core.LotID(n))
	if err != nil {
		return b.tell(ctx, r, err)
	}
	lang := r.Lang
	if l.Over(b.clock.Now()) {
		return b.k.SendText(ctx, r.ChatID, b.k.T(lang, "drop_ended"), nil)
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "drop_btn_wait_join"), verbWaitJoin, int64(l.ID))).Markup()
	return b.k.SendText(ctx, r.ChatID, b.k.T(lang, "drop_wait_offer", b.variantTitle(ctx, l.Variant)), kb)
}

func (b *Feature) onWaitJoin(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	place, l, err := b.live.JoinWaitlist(ctx, r.UserID(), core.LotID(id))
	if err != nil {
		return err
	}
	lang := r.Lang
	if place == 0 {
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, "drop_wait_served")})
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "drop_btn_wait_leave"), verbWaitLeave, int64(l.ID))).Markup()
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, "drop_wait_joined", b.variantTitle(ctx, l.Variant), place,
		telegram.HTML(b.k.Duration(lang, l.Hold))), Keyboard: kb})
}

func (b *Feature) onWaitLeave(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	if err := b.live.LeaveWaitlist(ctx, r.UserID(), core.LotID(id)); err != nil {
		return err
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "drop_btn_wait_join"), verbWaitRejoin, id)).Markup()
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "drop_wait_left"), Keyboard: kb})
}
