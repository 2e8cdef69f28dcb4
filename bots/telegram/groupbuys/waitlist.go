package groupbuys

import (
	"context"
	"fmt"
	"slices"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
)

// The waiting list on a stopped purchase's card: a shopper without a place
// of a size waits for one; a place given up unpaid is offered to the first in
// line (OfferMessage, and on the card), who takes it (and gets its invoice)
// or passes.

// Callback verbs of the waiting list.
const (
	verbWait   = "gbw" // gbw:<purchase>:<variant>[:<pickup>]: wait for a place of it
	verbUnwait = "gbu" // gbu:<purchase>:<variant>: leave the waiting list
	verbTake   = "gbt" // gbt:<purchase>:<variant>: take the place offered
	verbPass   = "gbn" // gbn:<purchase>:<variant>: pass on it
)

func (b *Feature) waitlistRoutes(r *telegram.Router) {
	r.Callback(verbWait, b.onWait)
	r.Callback(verbUnwait, b.onUnwait)
	r.Callback(verbTake, b.onTake)
	r.Callback(verbPass, b.onPass)
}

// purchaseVariant reads the purchase and the variant a button names.
func (b *Feature) purchaseVariant(ctx context.Context, d telegram.CallbackData) (groupbuy.Purchase, core.VariantID, error) {
	p, err := b.purchaseArg(ctx, d)
	if err != nil {
		return p, 0, err
	}
	v, err := d.Int(1)
	if err != nil {
		return p, 0, telegram.ErrStaleButton
	}
	return p, core.VariantID(v), nil
}

// onWait puts the shopper on the waiting list; a purchase with several
// pickup points asks which first.
func (b *Feature) onWait(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, v, err := b.purchaseVariant(ctx, d)
	if err != nil {
		return err
	}
	pickup, asked, err := b.pickupOf(ctx, r, p, v, d, verbWait)
	if err != nil || asked {
		return err
	}
	w, err := b.groups.Wait(ctx, r.UserID(), p.ID, v, pickup)
	if err != nil {
		return err
	}
	notice := b.k.T(r.Lang, "gb_waiting_now")
	if w.Status == groupbuy.WaitOffered {
		notice = ""
	}
	return b.showCard(ctx, r, p, notice)
}

func (b *Feature) onUnwait(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, v, err := b.purchaseVariant(ctx, d)
	if err != nil {
		return err
	}
	if err := b.groups.Unwait(ctx, r.UserID(), p.ID, v); err != nil {
		return err
	}
	return b.showCard(ctx, r, p, b.k.T(r.Lang, "gb_unwaited"))
}

// onTake takes the place offered: the card says so, and the invoice follows
// from the workers.
func (b *Feature) onTake(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, v, err := b.purchaseVariant(ctx, d)
	if err != nil {
		return err
	}
	if _, err := b.groups.Take(ctx, r.UserID(), p.ID, v); err != nil {
		return err
	}
	return b.showCard(ctx, r, p, b.k.T(r.Lang, "gb_took"))
}

func (b *Feature) onPass(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, v, err := b.purchaseVariant(ctx, d)
	if err != nil {
		return err
	}
	if err := b.groups.Pass(ctx, r.UserID(), p.ID, v); err != nil {
		return err
	}
	return b.showCard(ctx, r, p, b.k.T(r.Lang, "gb_passed"))
}

// waitlistSection is the card's part of the waiting list for the shopper: an
// offer to take, their places in line, and, for one who holds no place, a
// button to wait for each size.
func (b *Feature) waitlistSection(ctx context.Context, lang string, p groupbuy.Purchase, shopper core.UserID,
	names map[core.VariantID]string, places []groupbuy.Place, k *telegram.Keyboard) ([]string, error) {
	waits, err := b.groups.Waits(ctx, p.ID, shopper)
	if err != nil {
		return nil, err
	}
	var lines []string
	id := int64(p.ID)
	for _, w := range waits {
		if w.Status == groupbuy.WaitOffered {
			text, err := b.offerText(ctx, lang, p, w, names)
			if err != nil {
				return nil, err
			}
			lines = append(lines, text)
			k.Row(telegram.Button(b.k.Label(lang, "gb_btn_take"), verbTake, id, int64(w.Variant)),
				telegram.Button(b.k.Label(lang, "gb_btn_pass"), verbPass, id, int64(w.Variant)))
			continue
		}
		lines = append(lines, b.k.T(lang, "gb_waiting", names[w.Variant], w.Position))
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_unwait", names[w.Variant]), verbUnwait, id, int64(w.Variant)))
	}
	if len(places) > 0 {
		return lines, nil // a participant is in already: the list is for those who are not
	}
	var row []telego.InlineKeyboardButton
	for _, v := range p.Variants {
		if slices.ContainsFunc(waits, func(w groupbuy.Waiter) bool { return w.Variant == v }) {
			continue
		}
		if row = append(row, telegram.Button(b.k.Label(lang, "gb_btn_wait", names[v]), verbWait, id, int64(v))); len(row) == 3 {
			k.Row(row...)
			row = nil
		}
	}
	if len(row) > 0 {
		k.Row(row...)
	}
	if len(lines) == 0 {
		lines = append(lines, b.k.T(lang, "gb_waitlist_hint"))
	}
	return lines, nil
}

// offerText describes the place offered to a waiter: what, for how much,
// until when to take it.
func (b *Feature) offerText(ctx context.Context, lang string, p groupbuy.Purchase, w groupbuy.Waiter, names map[core.VariantID]string) (string, error) {
	pl, err := b.groups.FreePlace(ctx, p.ID, w.Place)
	if err != nil {
		return "", err
	}
	total, err := pl.Goods.Add(pl.Fee)
	if err != nil {
		return "", err
	}
	return b.k.T(lang, "gb_offer", p.Title, names[pl.Variant], pl.Quantity, telegram.FormatMoney(lang, p.Price),
		telegram.FormatMoney(lang, pl.Fee), telegram.FormatMoney(lang, total), w.OfferUntil.In(moscow).Format("02.01 15:04")), nil
}

// OfferMessage composes what offers a waiter the place that came free, with
// the buttons to take it or pass (workers/groupbuys.Bot).
func (b *Feature) OfferMessage(ctx context.Context, p groupbuy.Purchase, w groupbuy.Waiter) (core.Message, error) {
	lang := "ru"
	if u, err := b.users.User(ctx, w.Buyer); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return core.Message{}, err
	}
	text, err := b.offerText(ctx, lang, p, w, variantNames(prod))
	if err != nil {
		return core.Message{}, err
	}
	id := int64(p.ID)
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "gb_btn_take"), verbTake, id, int64(w.Variant)),
		telegram.Button(b.k.Label(lang, "gb_btn_pass"), verbPass, id, int64(w.Variant))).Markup()
	key := fmt.Sprintf("groupbuy:%d:offer:%d:%d", p.ID, w.ID, w.OfferUntil.Unix())
	return b.k.MessageTo(key, core.PriorityOrder, w.Buyer, telegram.View{Text: text, Keyboard: kb}), nil
}

// askPickupFor asks where the shopper will collect the goods, each point a
// button of verb (join, or wait) with the variant.
func (b *Feature) askPickupFor(ctx context.Context, r *telegram.Request, p groupbuy.Purchase, v core.VariantID, verb string) error {
	points, err := b.catalog.PickupPoints(ctx, p.Shop)
	if err != nil {
		return err
	}
	k := &telegram.Keyboard{}
	for _, pp := range points {
		if slices.Contains(p.Pickup, pp.ID) {
			k.Row(telegram.Button(pickupLabel(pp), verb, int64(p.ID), int64(v), int64(pp.ID)))
		}
	}
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), verbCard, int64(p.ID)))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "gb_ask_pickup"), Keyboard: k.Markup()})
}

// pickupLabel names a pickup point on a button.
func pickupLabel(pp catalog.PickupPoint) string { return pp.Name + " · " + pp.Address }

// waitlistTexts are the texts of the waiting list.
func waitlistTexts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"gb_btn_wait":      {RU: "⏳ Ждать %s", EN: "⏳ Wait for %s"},
		"gb_btn_unwait":    {RU: "✖️ Не ждать %s", EN: "✖️ Stop waiting for %s"},
		"gb_btn_take":      {RU: "✅ Забрать место", EN: "✅ Take the place"},
		"gb_btn_pass":      {RU: "Отказаться", EN: "Pass"},
		"gb_waitlist_hint": {RU: "Сбор закрыт, но места освобождаются, если кто-то не оплатит. Встаньте в лист ожидания — предложим первым по очереди.", EN: "Joining has closed, but places come free when someone does not pay. Join the waiting list: places go to those waiting, in turn."},
		"gb_waiting":       {RU: "⏳ Вы в листе ожидания: %s, №%d в очереди.", EN: "⏳ You are on the waiting list: %s, number %d in line."},
		"gb_waiting_now":   {RU: "⏳ Вы в листе ожидания. Освободится место — пришлём предложение.", EN: "⏳ You are on the waiting list. When a place comes free, we will offer it to you."},
		"gb_unwaited":      {RU: "Вы вышли из листа ожидания.", EN: "You left the waiting list."},
		"gb_took":          {RU: "✅ Место ваше! Счёт придёт следующим сообщением.", EN: "✅ The place is yours! The invoice follows."},
		"gb_passed":        {RU: "Хорошо, предложим следующему в очереди.", EN: "All right: it goes to the next in line."},
		"gb_offer": {
			RU: "🎟 В совместной покупке «%s» освободилось место: %s × %d по %s за шт. + сбор организатора %s, итого <b>%s</b>. Оно ваше, если заберёте до %s МСК; оплатить — в течение суток.",
			EN: "🎟 A place came free in the group buy %s: %s × %d at %s each + organizer's fee %s, <b>%s</b> in all. It is yours if you take it by %s MSK; then pay within a day.",
		},
		"gb_org_waitlist":  {RU: "Лист ожидания: %d чел. · свободных мест: %d", EN: "Waiting list: %d · free places: %d"},
		"gb_err_waitlist":  {RU: "Лист ожидания открывается после закрытия сбора.", EN: "The waiting list opens once joining has closed."},
		"gb_err_has_place": {RU: "У вас уже есть место этого размера в покупке.", EN: "You have a place of this size in the group buy already."},
		"gb_err_offer":     {RU: "Это предложение уже не действует: место ушло следующему в очереди.", EN: "This offer is no longer open: the place went to the next in line."},
	}
}
