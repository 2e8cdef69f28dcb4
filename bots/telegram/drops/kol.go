package drops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/live"
)

// kolMenus are the seller's and the KOL's screens, a part of the feature of
// their own (the feature's helpers are theirs through the embedded pointer).
type kolMenus struct{ *Feature }

// The seller's and the KOL's screens. The seller, in the shop's admin menu
// (🎥 KOLs), invites KOLs at a commission and allocates products to their
// sessions; the KOL, in /kol, schedules sessions in a connected channel, opens
// one, drops lots in two taps (pick an allocated product, confirm) and ends it.

// Callback verbs of the seller's and the KOL's screens.
const (
	verbShopKOLs    = telegram.VerbAdminKOLs // akl:<shop>: the shop's KOLs and sessions
	verbKOLInvite   = "aki"                  // aki:<shop>: invite a KOL (the commission conversation)
	verbShopSession = "aks"                  // aks:<session>: a session's allocations, for the seller
	verbAllocate    = "aka"                  // aka:<session>: allocate a product (conversation)
	verbPayout      = "akp"                  // akp:<shop>:<kol>:<currency>:<amount>: mark what is owed paid
	verbRate        = "akr"                  // akr:<shop>:<kol>: lower a KOL's rate (conversation)

	verbKOLMenu      = telegram.VerbKOLMenu // km: the KOL's menu
	verbKOLNew       = "kn"                 // kn: schedule a session (conversation)
	verbKOLSession   = "ks"                 // ks:<session>: a session's card
	verbKOLOpen      = "ko"                 // ko:<session>: open it now
	verbKOLDrop      = "kd"                 // kd:<session>: pick what to drop
	verbKOLDropOne   = "kdp"                // kdp:<session>:<variant>: the drop's settings, to confirm
	verbKOLDropGo    = "kdg"                // kdg:<session>:<variant>:<quantity>:<minutes>:<mode>:<per buyer>:<price>: drop it
	verbKOLDropPrice = "kdc"                // kdc:<session>:<variant>:...: change the drop's price (conversation)
	verbKOLDropAll   = "kdv"                // kdv:<session>:<product>:<minutes>:<mode>: a product's variants in one post, to confirm
	verbKOLDropAllGo = "kdw"                // kdw:<session>:<product>:<minutes>:<mode>: drop them
	verbKOLEnd       = "ke"                 // ke:<session>: end it
	verbKOLCancel    = "kx"                 // kx:<session>: cancel it? (a confirmation)
	verbKOLCancelY   = "kxy"                // kxy:<session>: cancel it
	verbKOLRemind    = "kr"                 // kr:<session>: the reminders of a scheduled session
	verbKOLRemindT   = "krt"                // krt:<session>:<seconds before>: turn one on or off
	verbLotEnd       = "kle"                // kle:<lot>: end the lot now
	verbLotExtend    = "klx"                // klx:<lot>: five more minutes, once
)

// Conversation kinds of live drops.
const (
	dialogInvite    = "drop:invite"
	dialogSession   = "drop:session"
	dialogAllocate  = "drop:allocate"
	dialogRate      = "drop:rate"
	dialogDropPrice = "drop:price"
)

// Conversation steps (unique across kinds).
const (
	stepInviteRate    = "drop_rate"
	stepRate          = "drop_lower_rate"
	stepDropPrice     = "drop_lot_price"
	stepSessionShop   = "drop_shop"
	stepSessionChan   = "drop_channel"
	stepSessionTitle  = "drop_title"
	stepSessionTime   = "drop_time"
	stepSessionStream = "drop_stream"
	stepAllocProduct  = "drop_product"
	stepAllocVariant  = "drop_variant"
	stepAllocPrice    = "drop_price"
	stepAllocQuantity = "drop_quantity"
	stepAllocLimit    = "drop_limit"
)

// noStream is the stream step's button for a session without a link: the
// channel's own video chat.
const noStream = "-"

// Limits of the screens.
const (
	menuSessions  = 6  // sessions listed in a menu
	allocProducts = 30 // products offered to allocate
)

func (b *kolMenus) routes(r *telegram.Router) {
	r.DeepLink(linkKOL, b.acceptInvite)
	r.Command("kol", b.cmdKOL, "")
	for verb, fn := range map[string]telegram.CallbackFunc{
		verbShopKOLs:     b.k.ForStaff(b.onShopKOLs),
		verbKOLInvite:    b.k.ForOwner(b.onInvite),
		verbShopSession:  b.onShopSession,
		verbAllocate:     b.onAllocate,
		verbPayout:       b.onPayout,
		verbRate:         b.onRate,
		verbKOLMenu:      b.onKOLMenu,
		verbKOLNew:       b.onKOLNew,
		verbKOLSession:   b.onKOLSession,
		verbKOLOpen:      b.onKOLOpen,
		verbKOLDrop:      b.onKOLDrop,
		verbKOLDropOne:   b.onKOLDropOne,
		verbKOLDropGo:    b.onKOLDropGo,
		verbKOLDropPrice: b.onKOLDropPrice,
		verbKOLDropAll:   b.onKOLDropAll,
		verbKOLDropAllGo: b.onKOLDropAllGo,
		verbKOLEnd:       b.onKOLEnd,
		verbKOLCancel:    b.onKOLCancel,
		verbKOLCancelY:   b.onKOLCancelYes,
		verbKOLRemind:    b.onKOLReminders,
		verbKOLRemindT:   b.onKOLReminderToggle,
		verbLotEnd:       b.onLotEnd,
		verbLotExtend:    b.onLotExtend,
	} {
		r.Callback(verb, fn)
	}
	r.Conversation(dialogInvite, b.inviteStep, b.k.DialogStep)
	r.Conversation(dialogSession, b.sessionStep, b.k.DialogStep)
	r.Conversation(dialogAllocate, b.allocateStep, b.k.DialogStep)
	r.Conversation(dialogRate, b.rateStep, b.k.DialogStep)
	r.Conversation(dialogDropPrice, b.dropPriceStep, b.k.DialogStep)
}

// --- the KOL ---

func (b *kolMenus) cmdKOL(ctx context.Context, r *telegram.Request, _ string) error {
	return b.showKOLMenu(ctx, r)
}

func (b *kolMenus) onKOLMenu(ctx context.Context, r *telegram.Request, _ telegram.CallbackData) error {
	return b.showKOLMenu(ctx, r)
}

// showKOLMenu shows a KOL the shops they work with and their sessions.
func (b *kolMenus) showKOLMenu(ctx context.Context, r *telegram.Request) error {
	lang := r.Lang
	links, err := b.live.Links(ctx, r.UserID())
	if err != nil {
		return err
	}
	if len(links) == 0 {
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, "drop_not_kol")})
	}
	lines := []string{b.k.T(lang, "drop_kol_menu")}
	for _, l := range links {
		name := "#" + strconv.FormatInt(int64(l.Shop), 10)
		if shop, err := b.catalog.Shop(ctx, l.Shop); err == nil {
			name = shop.Name
		}
		lines = append(lines, b.k.T(lang, "drop_kol_shop_line", name, telegram.HTML(rate(l.Commission))))
	}
	sessions, err := b.live.Sessions(ctx, r.UserID(), menuSessions)
	if err != nil {
		return err
	}
	k := &telegram.Keyboard{}
	for _, s := range sessions {
		k.Row(telegram.Button(b.sessionLabel(lang, s), verbKOLSession, int64(s.ID)))
	}
	k.Row(telegram.Button(b.k.Label(lang, "drop_btn_new_session"), verbKOLNew))
	// Group buys the KOL organizes with each shop (bots/telegram/groupbuys).
	for _, l := range links {
		name := "#" + strconv.FormatInt(int64(l.Shop), 10)
		if shop, err := b.catalog.Shop(ctx, l.Shop); err == nil {
			name = shop.Name
		}
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_group_buys", name), telegram.VerbAdminGroupBuys, int64(l.Shop)))
	}
	earnings, err := b.live.Earnings(ctx, r.UserID())
	if err != nil {
		return err
	}
	for _, e := range earnings {
		name := "#" + strconv.FormatInt(int64(e.Shop), 10)
		if shop, err := b.catalog.Shop(ctx, e.Shop); err == nil {
			name = shop.Name
		}
		lines = append(lines, b.k.T(lang, "drop_kol_earning", name, e.Orders, telegram.FormatMoney(lang, e.Accrued),
			telegram.FormatMoney(lang, e.PaidOut), telegram.FormatMoney(lang, e.Owed())))
	}
	lines = append(lines, b.k.T(lang, "drop_kol_connect_hint", b.username))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()})
}

// sessionDialog is what the scheduling conversation collects.
type sessionDialog struct {
	Shop    core.ShopID `json:"shop,omitempty"`
	Channel int64       `json:"channel,omitempty"`
	Title   string      `json:"title,omitempty"`
	Start   time.Time   `json:"start,omitzero"`
}

func (b *kolMenus) onKOLNew(ctx context.Context, r *telegram.Request, _ telegram.CallbackData) error {
	links, err := b.live.Links(ctx, r.UserID())
	if err != nil {
		return err
	}
	if len(links) == 0 {
		return live.ErrNotKOL
	}
	var data sessionDialog
	step := stepSessionShop
	if len(links) == 1 {
		data.Shop, step = links[0].Shop, stepSessionChan
	}
	if err := b.k.StartDialog(ctx, r, dialogSession, step, data); err != nil {
		return err
	}
	v, err := b.sessionPrompt(ctx, r, step)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, telegram.StampSteps(r, v))
}

func (b *kolMenus) sessionPrompt(ctx context.Context, r *telegram.Request, step string) (telegram.View, error) {
	lang := r.Lang
	switch step {
	case stepSessionShop:
		links, err := b.live.Links(ctx, r.UserID())
		if err != nil {
			return telegram.View{}, err
		}
		k := &telegram.Keyboard{}
		for _, l := range links {
			if shop, err := b.catalog.Shop(ctx, l.Shop); err == nil {
				k.Row(telegram.StepButton(shop.Name, stepSessionShop, strconv.FormatInt(int64(l.Shop), 10)))
			}
		}
		return telegram.View{Text: b.k.T(lang, "drop_ask_shop"), Keyboard: k.Markup()}, nil
	case stepSessionChan:
		chans, err := b.live.Channels(ctx, r.UserID())
		if err != nil {
			return telegram.View{}, err
		}
		k := &telegram.Keyboard{}
		for _, c := range chans {
			if c.CanPost {
				k.Row(telegram.StepButton(c.Title, stepSessionChan, strconv.FormatInt(c.Chat, 10)))
			}
		}
		return telegram.View{Text: b.k.T(lang, "drop_ask_channel", b.username), Keyboard: k.Markup()}, nil
	case stepSessionTitle:
		return telegram.View{Text: b.k.T(lang, "drop_ask_title")}, nil
	case stepSessionTime:
		return telegram.View{Text: b.k.T(lang, "drop_ask_time", b.clock.Now().In(moscow).Add(time.Hour).Format("02.01 15:04"))}, nil
	case stepSessionStream:
		k := (&telegram.Keyboard{}).Row(telegram.StepButton(b.k.Label(lang, "drop_btn_no_stream"), stepSessionStream, noStream))
		return telegram.View{Text: b.k.T(lang, "drop_ask_stream"), Keyboard: k.Markup()}, nil
	}
	return telegram.View{}, fmt.Errorf("session step %q", step)
}

func (b *kolMenus) sessionStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data sessionDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.k.StepMoves(ctx, r, st, &data, func(step string) (telegram.View, error) {
		return b.sessionPrompt(ctx, r, step)
	})
	lang := r.Lang
	switch st.Step {
	case stepSessionShop:
		id, err := strconv.ParseInt(in.Button, 10, 64)
		if err != nil {
			return again(b.k.WrongInput(lang, in, "drop_want_shop"))
		}
		data.Shop = core.ShopID(id)
		return next(stepSessionChan)
	case stepSessionChan:
		id, err := strconv.ParseInt(in.Button, 10, 64)
		if err != nil {
			return again(b.k.WrongInput(lang, in, "drop_want_channel"))
		}
		data.Channel = id
		return next(stepSessionTitle)
	case stepSessionTitle:
		title, why := b.k.ReadText(lang, in, telegram.TitleField)
		if why != "" {
			return again(why)
		}
		data.Title = title
		return next(stepSessionTime)
	case stepSessionTime:
		if in.Text == "" {
			return again(b.k.WrongInput(lang, in, "drop_want_time"))
		}
		at, ok := telegram.ParseMoscowTime(in.Text, b.clock.Now())
		if !ok {
			return again(b.k.T(lang, "drop_err_time"))
		}
		data.Start = at
		return next(stepSessionStream)
	case stepSessionStream:
		var stream string
		switch {
		case in.Button == noStream:
		case in.Text == "":
			return again(b.k.WrongInput(lang, in, "drop_want_stream"))
		default:
			stream = strings.TrimSpace(in.Text)
		}
		sess, err := b.live.Schedule(ctx, r.UserID(), live.Session{Shop: data.Shop, Channel: data.Channel, Title: data.Title,
			StartsAt: data.Start, StreamURL: stream})
		if errors.Is(err, live.ErrStartsInPast) {
			// Time went by while the link was typed: ask for the time again.
			return next(stepSessionTime)
		}
		if telegram.UserFacing(err) {
			return again(b.k.ErrorText(lang, err))
		}
		if err != nil {
			return err
		}
		notice := b.k.T(lang, "drop_session_scheduled", sess.Title, sess.StartsAt.In(moscow).Format("02.01 15:04"))
		return b.k.FinishDialog(ctx, r, dialogSession, notice, telegram.Screen(verbKOLSession, int64(sess.ID)))
	}
	return b.k.EndDialog(ctx, r)
}

// kolSession returns the session of a KOL's button, refusing anyone else.
func (b *kolMenus) kolSession(ctx context.Context, r *telegram.Request, d telegram.CallbackData) (live.Session, []live.Allocation, error) {
	sess, allocs, err := b.sessionArg(ctx, d)
	if err != nil {
		return live.Session{}, nil, err
	}
	if sess.KOL != r.UserID() {
		return live.Session{}, nil, live.ErrNotKOL
	}
	return sess, allocs, nil
}

func (b *kolMenus) onKOLSession(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, allocs, err := b.kolSession(ctx, r, d)
	if err != nil {
		return err
	}
	return b.showKOLSession(ctx, r, sess, allocs, "")
}

// showKOLSession shows a session's card to its KOL, with what they can do now.
func (b *kolMenus) showKOLSession(ctx context.Context, r *telegram.Request, sess live.Session, allocs []live.Allocation, notice string) error {
	lang := r.Lang
	lots, err := b.live.Lots(ctx, sess.ID)
	if err != nil {
		return err
	}
	lines := []string{notice, b.sessionText(ctx, lang, sess), b.allocationsText(ctx, lang, allocs)}
	if len(lots) > 0 {
		ll := []string{b.k.T(lang, "drop_lots")}
		for _, l := range lots {
			ll = append(ll, b.k.T(lang, "drop_lot_line", b.variantTitle(ctx, l.Variant), l.Quantity-l.Remaining, l.Quantity,
				b.k.T(lang, lotState(l, b.clock.Now()))))
		}
		lines = append(lines, strings.Join(ll, "\n"))
	}
	k := &telegram.Keyboard{}
	id := int64(sess.ID)
	switch sess.Status {
	case live.SessionScheduled:
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_open"), verbKOLOpen, id))
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_reminders"), verbKOLRemind, id))
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_cancel_session"), verbKOLCancel, id))
	case live.SessionLive:
		for _, l := range lots {
			if l.Over(b.clock.Now()) {
				continue
			}
			row := []telego.InlineKeyboardButton{telegram.Button(b.k.Label(lang, "drop_btn_lot_end", b.variantTitle(ctx, l.Variant)), verbLotEnd, int64(l.ID))}
			if !l.Extended {
				row = append(row, telegram.Button(b.k.Label(lang, "drop_btn_lot_extend"), verbLotExtend, int64(l.ID)))
			}
			k.Row(row...)
		}
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_drop"), verbKOLDrop, id))
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_end"), verbKOLEnd, id))
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_cancel_session"), verbKOLCancel, id))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbKOLMenu))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(telegram.NonEmpty(lines...), "\n\n"), Keyboard: k.Markup()})
}

// lotState is the text key of a lot's state at now.
func lotState(l live.Lot, now time.Time) string {
	switch {
	case l.Status == live.LotCancelled:
		return "drop_lot_cancelled"
	case l.Over(now):
		return "drop_lot_ended"
	case l.SoldOut():
		return "drop_lot_sold_out"
	}
	return "drop_lot_open"
}

func (b *kolMenus) onKOLOpen(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, _, err := b.kolSession(ctx, r, d)
	if err != nil {
		return err
	}
	sess, err = b.live.Open(ctx, r.UserID(), sess.ID)
	if err != nil {
		return err
	}
	_, allocs, err := b.live.Session(ctx, sess.ID)
	if err != nil {
		return err
	}
	return b.showKOLSession(ctx, r, sess, allocs, b.k.T(r.Lang, "drop_session_opened"))
}

func (b *kolMenus) onKOLEnd(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, _, err := b.kolSession(ctx, r, d)
	if err != nil {
		return err
	}
	notice := "drop_session_ended"
	if sess.Status == live.SessionScheduled {
		// Before it starts it is called off, and whoever asked to be reminded is told.
		sess, err = b.live.Cancel(ctx, r.UserID(), sess.ID)
		notice = "drop_session_cancelled"
	} else {
		sess, err = b.live.End(ctx, r.UserID(), sess.ID)
	}
	if err != nil {
		return err
	}
	_, allocs, err := b.live.Session(ctx, sess.ID)
	if err != nil {
		return err
	}
	return b.showKOLSession(ctx, r, sess, allocs, b.k.T(r.Lang, notice))
}

// onKOLCancel asks the KOL to confirm calling a session off, saying what it
// does: a live one's reservations and payments go back too.
func (b *kolMenus) onKOLCancel(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, allocs, err := b.kolSession(ctx, r, d)
	if err != nil {
		return err
	}
	lang := r.Lang
	if sess.Status != live.SessionScheduled && sess.Status != live.SessionLive {
		return b.showKOLSession(ctx, r, sess, allocs, "")
	}
	what := "drop_cancel_confirm_scheduled"
	if sess.Status == live.SessionLive {
		what = "drop_cancel_confirm_live"
	}
	id := int64(sess.ID)
	k := (&telegram.Keyboard{}).
		Row(telegram.Button(b.k.Label(lang, "drop_btn_cancel_yes"), verbKOLCancelY, id)).
		Row(telegram.Button(b.k.Label(lang, "btn_back"), verbKOLSession, id))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, what, sess.Title), Keyboard: k.Markup()})
}

// onKOLCancelYes calls a session off (live.Service.Cancel); a second tap finds
// it cancelled and shows it.
func (b *kolMenus) onKOLCancelYes(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, _, err := b.kolSession(ctx, r, d)
	if err != nil {
		return err
	}
	var notice string
	switch sess.Status {
	case live.SessionScheduled:
		notice = b.k.T(r.Lang, "drop_session_cancelled")
	case live.SessionLive:
		notice = b.k.T(r.Lang, "drop_session_cancelled_live")
	}
	if sess, err = b.live.Cancel(ctx, r.UserID(), sess.ID); err != nil {
		return err
	}
	_, allocs, err := b.live.Session(ctx, sess.ID)
	if err != nil {
		return err
	}
	return b.showKOLSession(ctx, r, sess, allocs, notice)
}

// onKOLReminders shows when the followers who asked are reminded of a
// scheduled session, each choice a toggle.
func (b *kolMenus) onKOLReminders(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, allocs, err := b.kolSession(ctx, r, d)
	if err != nil {
		return err
	}
	if sess.Status != live.SessionScheduled {
		return b.showKOLSession(ctx, r, sess, allocs, "")
	}
	return b.showReminders(ctx, r, sess, "")
}

func (b *kolMenus) showReminders(ctx context.Context, r *telegram.Request, sess live.Session, notice string) error {
	lang := r.Lang
	id := int64(sess.ID)
	k := &telegram.Keyboard{}
	now := b.clock.Now()
	for _, before := range live.ReminderChoices {
		on := slices.Contains(sess.Reminders, before)
		if !on && !sess.StartsAt.Add(-before).After(now) {
			continue // its time has passed: nothing to turn on
		}
		mark := "⬜️"
		if on {
			mark = "✅"
		}
		k.Row(telegram.Button(mark+" "+b.k.Label(lang, reminderKey(before)), verbKOLRemindT, id, int64(before/time.Second)))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbKOLSession, id))
	text := b.k.T(lang, "drop_reminders", sess.Title, sess.StartsAt.In(moscow).Format("02.01 15:04"))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(telegram.NonEmpty(notice, text), "\n\n"), Keyboard: k.Markup()})
}

// reminderKey is the text key naming a reminder, by how long before the start.
func reminderKey(before time.Duration) string {
	switch before {
	case 24 * time.Hour:
		return "drop_remind_day"
	case 3 * time.Hour:
		return "drop_remind_3h"
	case time.Hour:
		return "drop_remind_1h"
	case 15 * time.Minute:
		return "drop_remind_15m"
	}
	return "drop_remind_start"
}

func (b *kolMenus) onKOLReminderToggle(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, allocs, err := b.kolSession(ctx, r, d)
	if err != nil {
		return err
	}
	secs, err := d.Int(1)
	if err != nil {
		return telegram.ErrStaleButton
	}
	if sess.Status != live.SessionScheduled {
		return b.showKOLSession(ctx, r, sess, allocs, "")
	}
	sess, err = b.live.ToggleReminder(ctx, r.UserID(), sess.ID, time.Duration(secs)*time.Second)
	if err != nil {
		return err
	}
	return b.showReminders(ctx, r, sess, "")
}

// lotExtension is what "+5 min" gives a lot.
const lotExtension = 5 * time.Minute

func (b *kolMenus) onLotEnd(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	return b.changeLot(ctx, r, d, func(id core.LotID) (live.Lot, error) { return b.live.EndLot(ctx, r.UserID(), id) }, "drop_lot_ended_now")
}

func (b *kolMenus) onLotExtend(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	return b.changeLot(ctx, r, d, func(id core.LotID) (live.Lot, error) {
		return b.live.ExtendLot(ctx, r.UserID(), id, lotExtension)
	}, "drop_lot_extended")
}

// changeLot applies a KOL's change to a lot and shows its session again.
func (b *kolMenus) changeLot(ctx context.Context, r *telegram.Request, d telegram.CallbackData, change func(core.LotID) (live.Lot, error), notice string) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	l, err := change(core.LotID(id))
	if err != nil {
		return err
	}
	sess, allocs, err := b.live.Session(ctx, l.Session)
	if err != nil {
		return err
	}
	return b.showKOLSession(ctx, r, sess, allocs, b.k.T(r.Lang, notice, b.variantTitle(ctx, l.Variant), l.EndsAt.In(moscow).Format("15:04")))
}

// onKOLDrop offers the allocated products with units left to drop.
func (b *kolMenus) onKOLDrop(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, allocs, err := b.kolSession(ctx, r, d)
	if err != nil {
		return err
	}
	if sess.Status != live.SessionLive {
		return live.ErrSessionState
	}
	k := &telegram.Keyboard{}
	for _, a := range allocs {
		if left := a.Quantity - a.Dropped; left > 0 {
			k.Row(telegram.Button(b.k.Label(r.Lang, "drop_btn_pick", b.variantTitle(ctx, a.Variant), left),
				verbKOLDropOne, int64(sess.ID), int64(a.Variant)))
		}
	}
	// A product with several variants left can go in one post, a button each.
	for _, g := range b.variantGroups(ctx, allocs) {
		k.Row(telegram.Button(b.k.Label(r.Lang, "drop_btn_pick_all", g.product.Title, b.k.Count(r.Lang, "drop_variants", len(g.allocs)), g.units()),
			verbKOLDropAll, int64(sess.ID), int64(g.product.ID), int64(live.DefaultLotDuration/time.Minute), 0))
	}
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), verbKOLSession, int64(sess.ID)))
	text := b.k.T(r.Lang, "drop_pick")
	if len(k.Markup().InlineKeyboard) == 1 {
		text = b.k.T(r.Lang, "drop_nothing_left")
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// dropSettings are a single drop's settings as its buttons carry them:
// <session>:<variant>[:<quantity>:<minutes>:<mode>[:<per buyer>:<price>]]; a
// zero takes the allocation's (and five minutes, first come).
type dropSettings struct {
	session        live.SessionID
	variant        core.VariantID
	qty, per       int
	minutes, price int64
	draw           bool
}

// args are the settings as callback arguments.
func (s dropSettings) args() []any {
	mode := 0
	if s.draw {
		mode = 1
	}
	return []any{int64(s.session), int64(s.variant), s.qty, s.minutes, mode, s.per, s.price}
}

// with returns the settings changed by fn.
func (s dropSettings) with(fn func(*dropSettings)) dropSettings {
	fn(&s)
	return s
}

// readDropSettings reads a drop's settings from its button and finds the
// allocation, filling in its defaults: what is left, its limit and price.
func (b *kolMenus) readDropSettings(ctx context.Context, r *telegram.Request, d telegram.CallbackData) (live.Session, live.Allocation, dropSettings, error) {
	sess, allocs, err := b.kolSession(ctx, r, d)
	if err != nil {
		return live.Session{}, live.Allocation{}, dropSettings{}, err
	}
	vid, err := d.Int(1)
	if err != nil {
		return live.Session{}, live.Allocation{}, dropSettings{}, telegram.ErrStaleButton
	}
	set := dropSettings{session: sess.ID, variant: core.VariantID(vid)}
	var a live.Allocation
	for _, x := range allocs {
		if x.Variant == set.variant {
			a = x
		}
	}
	left := a.Quantity - a.Dropped
	if left <= 0 {
		return live.Session{}, live.Allocation{}, dropSettings{}, live.ErrOverAllocation
	}
	arg := func(i int) int64 { n, _ := d.Int(i); return max(n, 0) }
	set.qty, set.minutes, set.draw, set.per, set.price = int(arg(2)), arg(3), arg(4) == 1, int(arg(5)), arg(6)
	switch {
	case set.qty > left:
		// A button made when more was left: a second tap on Drop after the
		// first posted the lot, say. It must not post what is left instead.
		return live.Session{}, live.Allocation{}, dropSettings{}, live.ErrOverAllocation
	case set.qty == 0:
		set.qty = left
	}
	if set.minutes == 0 {
		set.minutes = int64(live.DefaultLotDuration / time.Minute)
	}
	return sess, a, set, nil
}

// perBuyer and price are what a drop takes: the KOL's, or the allocation's
// (0 in the buttons, so that a seller's later change of them holds).
func (s dropSettings) perBuyer(a live.Allocation) int {
	if s.per == 0 {
		return a.PerBuyer
	}
	return s.per
}

func (s dropSettings) priceOf(a live.Allocation) core.Money {
	if s.price == 0 {
		return a.Price
	}
	return core.Money{Amount: s.price, Currency: a.Price.Currency}
}

// onKOLDropOne shows a drop's settings: all that is left of the allocation,
// its price and limit, five minutes, first come; the KOL confirms, or changes
// the quantity, the limit, the duration, the mode or the price.
func (b *kolMenus) onKOLDropOne(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	_, a, set, err := b.readDropSettings(ctx, r, d)
	if err != nil {
		return err
	}
	return b.showDropSettings(ctx, r, a, set)
}

func (b *kolMenus) showDropSettings(ctx context.Context, r *telegram.Request, a live.Allocation, set dropSettings) error {
	lang := r.Lang
	left := a.Quantity - a.Dropped
	modeText := b.k.T(lang, "drop_mode_first")
	if set.draw {
		modeText = b.k.T(lang, "drop_mode_draw")
	}
	per := set.perBuyer(a)
	text := b.k.T(lang, "drop_confirm", b.variantTitle(ctx, a.Variant), telegram.FormatMoney(lang, set.priceOf(a)), set.qty, left,
		min(per, set.qty), set.minutes, telegram.HTML(modeText))
	button := func(label string, verb string, s dropSettings) telego.InlineKeyboardButton {
		return telegram.Button(label, verb, s.args()...)
	}
	k := &telegram.Keyboard{}
	k.Row(button(b.k.Label(lang, "drop_btn_go", set.qty, set.minutes), verbKOLDropGo, set))
	var row []telego.InlineKeyboardButton
	var qtys []int
	for _, q := range []int{1, 5, 10, left / 2, left} {
		if q > 0 && q <= left && q != set.qty && !slices.Contains(qtys, q) {
			qtys = append(qtys, q)
			row = append(row, button(b.k.Label(lang, "drop_btn_qty", q), verbKOLDropOne, set.with(func(s *dropSettings) { s.qty = q })))
		}
	}
	if len(row) > 0 {
		k.Row(row...)
	}
	row = nil
	for _, n := range []int{1, 2, 3, 5} {
		if n != per && n <= set.qty && n <= a.PerBuyer { // the seller's limit caps the lot's
			row = append(row, button(b.k.Label(lang, "drop_btn_per", n), verbKOLDropOne, set.with(func(s *dropSettings) { s.per = n })))
		}
	}
	if len(row) > 0 {
		k.Row(row...)
	}
	row = nil
	for _, m := range []int64{1, 3, 5, 10, 15} {
		if m != set.minutes {
			row = append(row, button(b.k.Label(lang, "drop_btn_minutes", m), verbKOLDropOne, set.with(func(s *dropSettings) { s.minutes = m })))
		}
	}
	k.Row(row...)
	if set.draw {
		k.Row(button(b.k.Label(lang, "drop_btn_mode_first"), verbKOLDropOne, set.with(func(s *dropSettings) { s.draw = false })))
	} else {
		k.Row(button(b.k.Label(lang, "drop_btn_mode_draw"), verbKOLDropOne, set.with(func(s *dropSettings) { s.draw = true })))
	}
	k.Row(button(b.k.Label(lang, "drop_btn_price"), verbKOLDropPrice, set))
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbKOLDrop, int64(set.session)))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// dropPriceDialog is what the conversation changing a drop's price keeps: the
// drop's other settings, to show them again with the new price.
type dropPriceDialog struct {
	Session  live.SessionID `json:"session"`
	Variant  core.VariantID `json:"variant"`
	Currency core.Currency  `json:"cur"`
	Qty      int            `json:"qty"`
	Per      int            `json:"per"`
	Minutes  int64          `json:"min"`
	Draw     bool           `json:"draw,omitempty"`
}

// onKOLDropPrice asks the KOL for the drop's price.
func (b *kolMenus) onKOLDropPrice(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	_, a, set, err := b.readDropSettings(ctx, r, d)
	if err != nil {
		return err
	}
	data := dropPriceDialog{Session: set.session, Variant: set.variant, Currency: a.Price.Currency, Qty: set.qty, Per: set.per,
		Minutes: set.minutes, Draw: set.draw}
	if err := b.k.StartDialog(ctx, r, dialogDropPrice, stepDropPrice, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.dropPricePrompt(ctx, r.Lang, a))
}

func (b *kolMenus) dropPricePrompt(ctx context.Context, lang string, a live.Allocation) telegram.View {
	return telegram.View{Text: b.k.T(lang, "drop_ask_lot_price", b.variantTitle(ctx, a.Variant), telegram.FormatMoney(lang, a.Price))}
}

func (b *kolMenus) dropPriceStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data dropPriceDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	sess, allocs, err := b.live.Session(ctx, data.Session)
	if err != nil {
		return err
	}
	var a live.Allocation
	for _, x := range allocs {
		if x.Variant == data.Variant {
			a = x
		}
	}
	again, _ := b.k.StepMoves(ctx, r, st, &data, func(string) (telegram.View, error) { return b.dropPricePrompt(ctx, r.Lang, a), nil })
	if in.Text == "" {
		return again(b.k.WrongInput(r.Lang, in, "drop_want_price"))
	}
	price, err := core.ParseMoney(in.Text, data.Currency)
	if err != nil || price.Amount <= 0 {
		return again(b.k.T(r.Lang, "drop_err_price"))
	}
	if price.Amount < a.Price.Amount {
		return again(b.k.T(r.Lang, "drop_err_price_min", telegram.FormatMoney(r.Lang, a.Price)))
	}
	if err := b.k.EndDialog(ctx, r); err != nil {
		return err
	}
	if sess.Status != live.SessionLive || sess.KOL != r.UserID() {
		return live.ErrSessionState
	}
	return b.showDropSettings(ctx, r, a, dropSettings{session: data.Session, variant: data.Variant, qty: data.Qty, per: data.Per,
		minutes: data.Minutes, price: price.Amount, draw: data.Draw})
}

// variantGroup is a product's allocations with units left.
type variantGroup struct {
	product catalog.Product
	allocs  []live.Allocation
}

func (g variantGroup) units() int {
	n := 0
	for _, a := range g.allocs {
		n += a.Quantity - a.Dropped
	}
	return n
}

// variantGroups returns the products of which two or more variants have units
// left to drop, in the allocations' order.
func (b *kolMenus) variantGroups(ctx context.Context, allocs []live.Allocation) []variantGroup {
	var groups []variantGroup
	at := map[core.ProductID]int{}
	for _, a := range allocs {
		if a.Quantity-a.Dropped <= 0 {
			continue
		}
		v, err := b.catalog.Variant(ctx, a.Variant)
		if err != nil {
			continue
		}
		i, ok := at[v.ProductID]
		if !ok {
			p, err := b.catalog.Product(ctx, v.ProductID)
			if err != nil {
				continue
			}
			i = len(groups)
			at[v.ProductID] = i
			groups = append(groups, variantGroup{product: p})
		}
		groups[i].allocs = append(groups[i].allocs, a)
	}
	return slices.DeleteFunc(groups, func(g variantGroup) bool { return len(g.allocs) < 2 })
}

// dropGroupArgs reads a product's group drop from a button:
// <session>:<product>:<minutes>:<mode>.
func (b *kolMenus) dropGroupArgs(ctx context.Context, r *telegram.Request, d telegram.CallbackData) (live.Session, variantGroup, int64, live.LotMode, error) {
	sess, allocs, err := b.kolSession(ctx, r, d)
	if err != nil {
		return live.Session{}, variantGroup{}, 0, "", err
	}
	if err := d.Want(4); err != nil {
		return live.Session{}, variantGroup{}, 0, "", telegram.ErrStaleButton
	}
	pid, _ := d.Int(1)
	minutes, _ := d.Int(2)
	mode := live.FirstCome
	if m, _ := d.Int(3); m == 1 {
		mode = live.Draw
	}
	for _, g := range b.variantGroups(ctx, allocs) {
		if int64(g.product.ID) == pid {
			return sess, g, minutes, mode, nil
		}
	}
	return live.Session{}, variantGroup{}, 0, "", live.ErrOverAllocation // dropped meanwhile
}

// onKOLDropAll shows a product's variants to drop in one post: each at its
// drop price, all its units left; the KOL confirms, or picks another duration
// or the mode.
func (b *kolMenus) onKOLDropAll(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, g, minutes, mode, err := b.dropGroupArgs(ctx, r, d)
	if err != nil {
		return err
	}
	lang := r.Lang
	var lines []string
	for _, a := range g.allocs {
		v, err := b.catalog.Variant(ctx, a.Variant)
		if err != nil {
			return err
		}
		lines = append(lines, b.k.T(lang, "drop_all_line", v.Name, telegram.FormatMoney(lang, a.Price), a.Quantity-a.Dropped, a.PerBuyer))
	}
	modeText, m := b.k.T(lang, "drop_mode_first"), int64(0)
	if mode == live.Draw {
		modeText, m = b.k.T(lang, "drop_mode_draw"), 1
	}
	text := b.k.T(lang, "drop_all_confirm", g.product.Title, telegram.HTML(strings.Join(lines, "\n")), minutes, telegram.HTML(modeText))
	id, pid := int64(sess.ID), int64(g.product.ID)
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(lang, "drop_btn_go_all", g.units(), minutes), verbKOLDropAllGo, id, pid, minutes, m))
	var mb []telego.InlineKeyboardButton
	for _, x := range []int64{1, 3, 5, 10, 15} {
		if x != minutes {
			mb = append(mb, telegram.Button(b.k.Label(lang, "drop_btn_minutes", x), verbKOLDropAll, id, pid, x, m))
		}
	}
	k.Row(mb...)
	if mode == live.Draw {
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_mode_first"), verbKOLDropAll, id, pid, minutes, 0))
	} else {
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_mode_draw"), verbKOLDropAll, id, pid, minutes, 1))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbKOLDrop, id))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onKOLDropAllGo drops a product's variants in one post.
func (b *kolMenus) onKOLDropAllGo(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, g, minutes, mode, err := b.dropGroupArgs(ctx, r, d)
	if err != nil {
		return err
	}
	vs := make([]core.VariantID, len(g.allocs))
	for i, a := range g.allocs {
		vs[i] = a.Variant
	}
	lots, err := b.live.DropVariants(ctx, r.UserID(), live.Drop{Session: sess.ID, Duration: time.Duration(minutes) * time.Minute, Mode: mode}, vs)
	if err != nil {
		return err
	}
	_, allocs, err := b.live.Session(ctx, sess.ID)
	if err != nil {
		return err
	}
	units := 0
	for _, l := range lots {
		units += l.Quantity
	}
	notice := b.k.T(r.Lang, "drop_dropped", g.product.Title, units, lots[0].EndsAt.In(moscow).Format("15:04"))
	return b.showKOLSession(ctx, r, sess, allocs, notice)
}

// onKOLDropGo drops the lot: the workers post it in the channel.
func (b *kolMenus) onKOLDropGo(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, a, set, err := b.readDropSettings(ctx, r, d)
	if err != nil {
		return err
	}
	if len(d.Args) < 4 { // every Go button names its quantity and minutes
		return telegram.ErrStaleButton
	}
	mode := live.FirstCome
	if set.draw {
		mode = live.Draw
	}
	d2 := live.Drop{Session: sess.ID, Variant: set.variant, Quantity: set.qty,
		Duration: time.Duration(set.minutes) * time.Minute, Mode: mode, PerBuyer: set.per}
	if set.price != 0 {
		d2.Price = set.priceOf(a)
	}
	l, err := b.live.Drop(ctx, r.UserID(), d2)
	if err != nil {
		return err
	}
	_, allocs, err := b.live.Session(ctx, sess.ID)
	if err != nil {
		return err
	}
	notice := b.k.T(r.Lang, "drop_dropped", b.variantTitle(ctx, l.Variant), l.Quantity, l.EndsAt.In(moscow).Format("15:04"))
	return b.showKOLSession(ctx, r, sess, allocs, notice)
}
