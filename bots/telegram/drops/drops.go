// Package drops is live drops in the bot: a KOL's invitation and channel, the
// lots posted in the channel with their Buy button and live counter, a
// shopper's tap and the invoice of what they claimed, and what the workers make
// of a lot (PostLot, LotPostEdit, SendClaimInvoice).
//
// A tap on a lot's Buy button is answered at once ("reserved for you for 5
// minutes") with a link that opens the bot, where the invoice waits: the claim
// is written in a batch with the lot's other taps (live.Gate), and its order
// and invoice are the workers' (live.JobClaim). Someone who never started the
// bot gets the invoice when they open it from that link (lot_<lot>).
package drops

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Callback verbs and deep links of live drops.
const (
	verbBuy = "lb" // lb:<lot>: a tap on a lot's Buy button, in the channel

	linkKOL = "kol" // kol_<token>: a KOL's invitation
	linkLot = "lot" // lot_<lot>: the buyer's invoice of a lot
)

// Feature is live drops in the bot. Create it with New and hand it to
// telegram.New.
type Feature struct {
	k       *telegram.Bot
	api     *telego.Bot
	live    *live.Service
	taps    *live.Gate
	catalog *catalog.Service
	orders  *order.Service
	users   *user.Service
	clock   core.Clock
	// username is the bot's, without "@", for the texts that name it.
	username string
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{api: d.API, live: d.Live, taps: d.Taps, catalog: d.Catalog, orders: d.Orders, users: d.Users,
		clock: d.Clock, username: d.Username}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	r.Callback(verbBuy, b.onBuy)
	r.Express(verbBuy, b.onBuyExpress)
	r.DeepLink(linkLot, b.openLot)
	r.OnChatMember(b.onChatMember)
	r.OnChannelPost(b.onChannelPost)
	r.AddTexts(texts())
	r.AddErrors(errorKeys...)
	(&kolMenus{Feature: b}).routes(r)
	b.rsvpRoutes(r)
	b.waitlistRoutes(r)
}

// errorKeys maps the errors of live drops to their texts, registered with
// the kernel (Router.AddErrors): every handler's error is told with them.
var errorKeys = []telegram.ErrorKey{
	{Err: live.ErrInviteNotFound, Key: "drop_err_invite"},
	{Err: live.ErrInviteUsed, Key: "drop_err_invite_used"},
	{Err: live.ErrInviteExpired, Key: "drop_err_invite_expired"},
	{Err: live.ErrNotKOL, Key: "drop_err_not_kol"},
	{Err: live.ErrCommission, Key: "drop_err_commission"},
	{Err: live.ErrCommissionRaise, Key: "drop_err_commission_raise"},
	{Err: live.ErrChannelNotFound, Key: "drop_err_channel"},
	{Err: live.ErrChannelNotYours, Key: "drop_err_channel_not_yours"},
	{Err: live.ErrCannotPost, Key: "drop_err_cannot_post"},
	{Err: live.ErrSessionNotFound, Key: "drop_err_session"},
	{Err: live.ErrSessionState, Key: "drop_err_session_state"},
	{Err: live.ErrTitle, Key: "drop_err_title"},
	{Err: live.ErrStartsInPast, Key: "drop_err_past"},
	{Err: live.ErrReminderPast, Key: "drop_err_reminder_past"},
	{Err: live.ErrStreamURL, Key: "drop_err_stream"},
	{Err: live.ErrPriceBelow, Key: "drop_err_price_below"},
	{Err: live.ErrAllocation, Key: "drop_err_allocation"},
	{Err: live.ErrNotAllocated, Key: "drop_err_not_allocated"},
	{Err: live.ErrOverAllocation, Key: "drop_err_over_allocation"},
	{Err: live.ErrLotNotFound, Key: "drop_err_lot"},
	{Err: live.ErrLotDuration, Key: "drop_err_duration"},
	{Err: live.ErrClaimReleased, Key: "drop_err_claim_released"},
	{Err: live.ErrSessionOver, Key: "drop_err_session_over"},
	{Err: live.ErrPayout, Key: "drop_err_payout"},
}

// tell explains err to the user, or returns it when a retry may help.
func (b *Feature) tell(ctx context.Context, r *telegram.Request, err error) error {
	if err == nil || !telegram.UserFacing(err) {
		return err
	}
	return b.k.Tell(ctx, r, b.k.ErrorText(r.Lang, err))
}

// onBuy claims a unit of a lot for whoever tapped its Buy button, and answers
// at once: reserved (with the link into the bot, where the invoice waits), or
// why not.
func (b *Feature) onBuy(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	a, err := b.tap(ctx, r.Callback, core.LotID(id), r.Lang)
	if err != nil {
		return err
	}
	if a.URL != "" {
		r.AnswerLink(a.Text, a.URL)
	} else {
		r.Alert(a.Text)
	}
	return nil
}

// onBuyExpress answers a tap on Buy in the webhook's response (the express
// lane): in the language Telegram says the shopper uses, as nothing else of
// the update is read.
func (b *Feature) onBuyExpress(ctx context.Context, q *telego.CallbackQuery, d telegram.CallbackData) (telego.AnswerCallbackQueryParams, error) {
	id, err := d.Int(0)
	if err != nil {
		return telego.AnswerCallbackQueryParams{Text: b.k.Label(telegram.LangOf(q.From.LanguageCode), "drop_err_lot"), ShowAlert: true}, nil
	}
	return b.tap(ctx, q, core.LotID(id), telegram.LangOf(q.From.LanguageCode))
}

// tap claims a unit of a lot for whoever tapped its Buy button, and returns
// the answer: reserved (with the link into the bot, where the invoice waits),
// or why not, as an alert.
func (b *Feature) tap(ctx context.Context, q *telego.CallbackQuery, id core.LotID, lang string) (telego.AnswerCallbackQueryParams, error) {
	from := q.From
	res, err := b.taps.Tap(ctx, live.Tap{Lot: id, Buyer: core.UserID(from.ID), ID: q.ID,
		FirstName: from.FirstName, Username: from.Username, Lang: from.LanguageCode})
	if err != nil {
		return telego.AnswerCallbackQueryParams{}, err
	}
	alert := func(key string, args ...any) telego.AnswerCallbackQueryParams {
		return telego.AnswerCallbackQueryParams{Text: b.k.Label(lang, key, args...), ShowAlert: true}
	}
	switch res.Outcome {
	case live.TapClaimed:
		left := b.k.Duration(lang, res.Claim.HeldUntil.Sub(b.clock.Now()))
		return telego.AnswerCallbackQueryParams{Text: b.k.Label(lang, "drop_claimed", left), URL: b.k.StartURL(lotLink(res.Lot.ID))}, nil
	case live.TapOverLimit:
		return alert("drop_over_limit", res.Lot.PerBuyer), nil
	case live.TapSoldOut:
		// The link opens the bot, which offers the waiting list.
		return telego.AnswerCallbackQueryParams{Text: b.k.Label(lang, "drop_sold_out"), URL: b.k.StartURL(waitLink(res.Lot.ID))}, nil
	case live.TapNotStarted:
		return alert("drop_not_started"), nil
	case live.TapEnded:
		return alert("drop_ended"), nil
	case live.TapPaused:
		return alert("drop_paused"), nil
	case live.TapStruck:
		return alert("drop_struck", live.MaxStrikes), nil
	case live.TapEntered:
		// The link opens the bot, so that it may send the invoice to a winner.
		return telego.AnswerCallbackQueryParams{Text: b.k.Label(lang, "drop_entered", res.Lot.DrawUntil.In(moscow).Format("15:04:05")),
			URL: b.k.StartURL(lotLink(res.Lot.ID))}, nil
	case live.TapDrawPending:
		return alert("drop_draw_pending"), nil
	}
	return alert("drop_err_lot"), nil
}

// lotLink is the deep link payload of a lot's invoice.
func lotLink(id core.LotID) string { return linkLot + "_" + strconv.FormatInt(int64(id), 10) }

// openLot shows the buyer what they claimed of a lot, with its invoice: sent
// now, or pointed at when it went already.
func (b *Feature) openLot(ctx context.Context, r *telegram.Request, arg string) error {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n <= 0 {
		return telegram.ErrDeepLink
	}
	id := core.LotID(n)
	claims, err := b.live.BuyerClaims(ctx, id, r.UserID())
	if err != nil {
		return err
	}
	sent := 0
	for _, c := range claims {
		if c.Status != live.ClaimHeld {
			continue
		}
		o, err := b.live.OrderClaim(ctx, id, c.Tap)
		if errors.Is(err, live.ErrClaimReleased) {
			continue
		}
		if err != nil {
			return err
		}
		if o.Payable(b.clock.Now()) != nil {
			continue
		}
		sent++
		if o.InvoiceMessageID == 0 {
			went, err := b.k.SendInvoiceOnce(ctx, r.ChatID, r.Lang, o)
			if err != nil {
				return err
			}
			if went {
				continue
			}
		}
		// It went, or the worker is sending it this moment.
		if err := b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "checkout_invoice_above", o.ID), nil); err != nil {
			return err
		}
	}
	if sent == 0 {
		if l, err := b.live.Lot(ctx, id); err == nil && l.Mode == live.Draw && !l.Drawn {
			return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "drop_in_draw", b.variantTitle(ctx, l.Variant),
				l.DrawUntil.In(moscow).Format("15:04:05")), nil)
		}
		return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "drop_nothing_held"), nil)
	}
	return nil
}

// SendClaimInvoice sends the buyer of a claim's order its invoice, unless one
// went (workers/drops.Bot). A buyer who never started the bot cannot be written to:
// they get it when they open the bot from the tap's answer.
func (b *Feature) SendClaimInvoice(ctx context.Context, o order.Order) error {
	if o.InvoiceMessageID != 0 {
		return nil
	}
	u, err := b.users.User(ctx, o.BuyerID)
	if err != nil {
		return err
	}
	_, err = b.k.SendInvoiceOnce(ctx, int64(o.BuyerID), telegram.LangOf(u.Lang()), o)
	if code := telegram.APIErrorCode(err); code == 403 || code == 400 {
		return nil // not started (or blocked): the link in the tap's answer brings them
	}
	if err != nil {
		return fmt.Errorf("invoice of order %d: %w", o.ID, err)
	}
	return nil
}

// variantTitle is a variant's product title with its name.
func (b *Feature) variantTitle(ctx context.Context, id core.VariantID) string {
	v, err := b.catalog.Variant(ctx, id)
	if err != nil {
		return "#" + strconv.FormatInt(int64(id), 10)
	}
	p, err := b.catalog.Product(ctx, v.ProductID)
	if err != nil {
		return v.SKU
	}
	return telegram.ItemTitle(p.Title, v.Name)
}
