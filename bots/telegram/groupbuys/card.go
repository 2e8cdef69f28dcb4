package groupbuys

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// A purchase's card in the bot chat: the product, the price now and its
// tiers, how far the next tier and the minimum are (for size rows, which sizes
// the open row lacks), the deadline, the shopper's own places; and the
// buttons to join a variant, change its quantity or leave, and to invite
// friends. A deep link (gb_<purchase>) opens it.

// Callback verbs and the deep link of the card.
const (
	linkCard = "gb" // gb_<purchase>: the card, in the bot

	verbCard   = "gbc" // gbc:<purchase>: the card again
	verbJoin   = "gbj" // gbj:<purchase>:<variant>[:<pickup>]: join with one
	verbAmount = "gbq" // gbq:<purchase>:<variant>:<quantity>: a new quantity
	verbLeave  = "gbl" // gbl:<purchase>:<variant>: leave
)

func (b *Feature) cardRoutes(r *telegram.Router) {
	r.DeepLink(linkCard, b.openCard)
	r.Callback(verbCard, b.onCard)
	r.Callback(verbJoin, b.onJoin)
	r.Callback(verbAmount, b.onAmount)
	r.Callback(verbLeave, b.onLeave)
}

func (b *Feature) openCard(ctx context.Context, r *telegram.Request, arg string) error {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n <= 0 {
		return telegram.ErrDeepLink
	}
	p, err := b.groups.Purchase(ctx, groupbuy.ID(n))
	if err != nil {
		if telegram.UserFacing(err) {
			return b.k.Tell(ctx, r, b.k.ErrorText(r.Lang, err))
		}
		return err
	}
	return b.showCard(ctx, r, p, "")
}

// purchaseArg reads the purchase a button names (argument 0).
func (b *Feature) purchaseArg(ctx context.Context, d telegram.CallbackData) (groupbuy.Purchase, error) {
	n, err := d.Int(0)
	if err != nil {
		return groupbuy.Purchase{}, telegram.ErrStaleButton
	}
	return b.groups.Purchase(ctx, groupbuy.ID(n))
}

func (b *Feature) onCard(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.purchaseArg(ctx, d)
	if err != nil {
		return err
	}
	return b.showCard(ctx, r, p, "")
}

// onJoin joins the shopper with one of a variant; a purchase with several
// pickup points asks which first.
func (b *Feature) onJoin(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, v, err := b.purchaseVariant(ctx, d)
	if err != nil {
		return err
	}
	pickup, asked, err := b.pickupOf(ctx, r, p, v, d, verbJoin)
	if err != nil || asked {
		return err
	}
	p, place, err := b.groups.Join(ctx, r.UserID(), p.ID, v, 1, pickup)
	if err != nil {
		return err
	}
	if p.PayMode == groupbuy.PayToJoin {
		if err := b.showCard(ctx, r, p, b.k.T(r.Lang, "gb_joined_pay")); err != nil {
			return err
		}
		return b.joinInvoice(ctx, r, place)
	}
	return b.showCard(ctx, r, p, b.k.T(r.Lang, "gb_joined"))
}

// pickupOf is the pickup point a button of verb names (argument 2), or the
// purchase's only one; with several and none named, it asks (asked) with
// buttons of verb. 0 for a purchase that only ships.
func (b *Feature) pickupOf(ctx context.Context, r *telegram.Request, p groupbuy.Purchase, v core.VariantID,
	d telegram.CallbackData, verb string) (pickup core.PickupPointID, asked bool, err error) {
	n, _ := d.Int(2)
	switch {
	case n != 0:
		return core.PickupPointID(n), false, nil
	case len(p.Pickup) == 1:
		return p.Pickup[0], false, nil
	case len(p.Pickup) > 1:
		return 0, true, b.askPickupFor(ctx, r, p, v, verb)
	}
	return 0, false, nil
}

// onAmount sets the quantity of the shopper's place of a variant.
func (b *Feature) onAmount(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, v, err := b.purchaseVariant(ctx, d)
	if err != nil {
		return err
	}
	q, err := d.Int(2)
	if err != nil {
		return telegram.ErrStaleButton
	}
	places, err := b.groups.Places(ctx, p.ID, r.UserID())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(places, func(pl groupbuy.Place) bool { return pl.Variant == v })
	if i < 0 {
		return groupbuy.ErrNotParticipant
	}
	var place groupbuy.Place
	if q <= 0 {
		p, err = b.groups.Leave(ctx, r.UserID(), p.ID, v)
	} else {
		p, place, err = b.groups.Join(ctx, r.UserID(), p.ID, v, int(q), places[i].Pickup)
	}
	if err != nil {
		return err
	}
	if err := b.showCard(ctx, r, p, ""); err != nil || place.Order == 0 || p.PayMode != groupbuy.PayToJoin {
		return err
	}
	return b.joinInvoice(ctx, r, place) // a new quantity is paid anew
}

func (b *Feature) onLeave(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, v, err := b.purchaseVariant(ctx, d)
	if err != nil {
		return err
	}
	if p, err = b.groups.Leave(ctx, r.UserID(), p.ID, v); err != nil {
		return err
	}
	if p.PayMode == groupbuy.PayToJoin {
		return b.showCard(ctx, r, p, b.k.T(r.Lang, "gb_left_prepaid"))
	}
	return b.showCard(ctx, r, p, b.k.T(r.Lang, "gb_left"))
}

// showCard shows a purchase's card to the shopper of r.
func (b *Feature) showCard(ctx context.Context, r *telegram.Request, p groupbuy.Purchase, notice string) error {
	lang := r.Lang
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return err
	}
	names := variantNames(prod)
	places, err := b.groups.Places(ctx, p.ID, r.UserID())
	if err != nil {
		return err
	}
	lines := []string{notice, b.cardText(lang, p, prod, names)}
	// The shopper's own record: what they joined with and, after STOP, what
	// they pay or paid and where they collect.
	var mine []string
	k := &telegram.Keyboard{}
	paid := map[core.VariantID]bool{} // the places paid to join, which change only by leaving
	for _, pl := range places {
		line := b.k.T(lang, "gb_mine_line", names[pl.Variant], pl.Quantity)
		if pl.Order != 0 {
			if o, err := b.orders.Order(ctx, r.UserID(), pl.Order); err == nil {
				paid[pl.Variant] = o.Status.Paid()
				if pl.Status == groupbuy.PlacePassed && o.Status != order.StatusExpired {
					line += b.k.T(lang, "gb_mine_passed") // handed over (a place not paid in time says so)
				} else {
					line += b.orderState(ctx, lang, o)
				}
				k.Row(telegram.Button(b.k.Label(lang, "gb_btn_order", o.ID), telegram.VerbOrderNew, int64(o.ID)))
				if o.Status == order.StatusAwaitingPayment && pl.Status == groupbuy.PlaceJoined {
					k.Row(telegram.Button(b.k.Label(lang, "gb_btn_pass_on", names[pl.Variant]), verbPassOn, int64(p.ID), int64(pl.Variant)))
				}
			}
		}
		line += b.owedState(lang, pl)
		mine = append(mine, line)
	}
	if len(mine) > 0 {
		lines = append(lines, b.k.T(lang, "gb_mine")+"\n"+strings.Join(mine, "\n"))
	}
	id := int64(p.ID)
	if p.Status == groupbuy.StatusStopped || p.Status == groupbuy.StatusArrived {
		more, err := b.waitlistSection(ctx, lang, p, r.UserID(), names, places, k)
		if err != nil {
			return err
		}
		lines = append(lines, more...)
	}
	if p.Status == groupbuy.StatusOpen && b.clock.Now().Before(p.Deadline) {
		var joinRow []telego.InlineKeyboardButton
		for _, v := range p.Variants {
			i := slices.IndexFunc(places, func(pl groupbuy.Place) bool { return pl.Variant == v })
			if i < 0 {
				if joinRow = append(joinRow, telegram.Button(b.k.Label(lang, "gb_btn_join", names[v]), verbJoin, id, int64(v))); len(joinRow) == 3 {
					k.Row(joinRow...)
					joinRow = nil
				}
				continue
			}
			q := places[i].Quantity
			if p.PayMode == groupbuy.PayToJoin && paid[v] {
				k.Row(telegram.Button(b.k.Label(lang, "gb_btn_place", names[v], q), verbCard, id),
					telegram.Button(b.k.Label(lang, "gb_btn_leave_refund"), verbLeave, id, int64(v)))
				continue
			}
			k.Row(telegram.Button("➖", verbAmount, id, int64(v), q-1),
				telegram.Button(b.k.Label(lang, "gb_btn_place", names[v], q), verbCard, id),
				telegram.Button("➕", verbAmount, id, int64(v), q+1))
		}
		if len(joinRow) > 0 {
			k.Row(joinRow...)
		}
		k.Row(b.shareButton(lang, p.ID))
	}
	v := telegram.View{Text: strings.Join(telegram.NonEmpty(lines...), "\n\n"), Keyboard: k.Markup()}
	if len(prod.Photos) > 0 {
		v.Photo = prod.Photos[0]
	}
	return b.k.Show(ctx, r, v)
}

// variantNames names a product's variants as the card shows them: a variant
// without a name (a product of one) by the product's title.
func variantNames(prod catalog.Product) map[core.VariantID]string {
	names := make(map[core.VariantID]string, len(prod.Variants))
	for _, v := range prod.Variants {
		names[v.ID] = v.Name
		if v.Name == "" {
			names[v.ID] = prod.Title
		}
	}
	return names
}

// orderState says where a place's order is: to pay (how much, by when),
// paid (and where to collect), or not paid in time.
func (b *Feature) orderState(ctx context.Context, lang string, o order.Order) string {
	switch o.Status {
	case order.StatusAwaitingPayment:
		return b.k.T(lang, "gb_mine_to_pay", telegram.FormatMoney(lang, o.Total), o.ReservedUntil.In(moscow).Format("02.01 15:04"))
	case order.StatusPaid, order.StatusReadyForPickup, order.StatusShipped, order.StatusCompleted:
		if place, err := b.k.PickupPlace(ctx, lang, o); err == nil && place != "" {
			return b.k.T(lang, "gb_mine_paid_at", telegram.HTML(place))
		}
		return b.k.T(lang, "gb_mine_paid")
	}
	return b.k.T(lang, "gb_mine_gone")
}

// cardText describes a purchase as it stands: the price now and its tiers,
// the way to the next tier and the minimum, the deadline or how it ended.
func (b *Feature) cardText(lang string, p groupbuy.Purchase, prod catalog.Product, names map[core.VariantID]string) string {
	fee := ""
	if p.FeeBP > 0 {
		fee = b.k.T(lang, "gb_fee", percent(p.FeeBP))
	}
	lines := []string{b.k.T(lang, "gb_title", p.Title)}
	if prod.Title != p.Title {
		lines = append(lines, telegram.Escape(prod.Title))
	}
	var tiers []string
	for i, t := range p.Tiers {
		if i+1 < len(p.Tiers) {
			tiers = append(tiers, b.k.T(lang, "gb_tier_range", t.From, p.Tiers[i+1].From-1, telegram.FormatMoney(lang, t.Price)))
		} else {
			tiers = append(tiers, b.k.T(lang, "gb_tier_from", t.From, telegram.FormatMoney(lang, t.Price)))
		}
	}
	units := p.Totals.Units
	switch p.Status {
	case groupbuy.StatusOpen:
		lines = append(lines, b.k.T(lang, "gb_price_now", telegram.FormatMoney(lang, p.Current().Price), telegram.HTML(fee)))
		if p.PayMode == groupbuy.PayToJoin {
			lines = append(lines, b.k.T(lang, "gb_mode_prepaid"))
		}
		if len(tiers) > 1 {
			lines = append(lines, b.k.T(lang, "gb_tiers", telegram.HTML(strings.Join(tiers, " · "))))
		}
		if next, more, ok := p.Tiers.Next(units); ok {
			lines = append(lines, b.k.T(lang, "gb_progress_next", units, more, telegram.FormatMoney(lang, next.Price)))
		} else {
			lines = append(lines, b.k.T(lang, "gb_progress", units))
		}
		lines = append(lines, b.minimumText(lang, p, names))
		lines = append(lines, b.k.T(lang, "gb_deadline", p.Deadline.In(moscow).Format("02.01 15:04")))
	case groupbuy.StatusStopped, groupbuy.StatusArrived, groupbuy.StatusClosed:
		key := "gb_stopped_card"
		if p.PayMode == groupbuy.PayToJoin {
			key = "gb_stopped_card_prepaid"
		}
		lines = append(lines, b.k.T(lang, key, units, telegram.FormatMoney(lang, p.Price), telegram.HTML(fee)))
	case groupbuy.StatusFailed:
		lines = append(lines, b.k.T(lang, "gb_failed_card", units))
	case groupbuy.StatusCancelled:
		lines = append(lines, b.k.T(lang, "gb_cancelled_card"))
	}
	return strings.Join(telegram.NonEmpty(lines...), "\n")
}

// minimumText says how far the minimum is: units, a sum, or full size rows
// with the sizes the open row lacks.
func (b *Feature) minimumText(lang string, p groupbuy.Purchase, names map[core.VariantID]string) string {
	met := p.MinimumMet()
	switch p.Minimum.Kind {
	case groupbuy.MinUnits:
		if met {
			return b.k.T(lang, "gb_min_units_met", p.Minimum.Value)
		}
		return b.k.T(lang, "gb_min_units", p.Minimum.Value, p.Minimum.Value-int64(p.Totals.Units))
	case groupbuy.MinSum:
		sum := core.Money{Amount: p.Current().Price.Amount * int64(p.Totals.Units), Currency: p.Currency()}
		want := core.Money{Amount: p.Minimum.Value, Currency: p.Currency()}
		if met {
			return b.k.T(lang, "gb_min_sum_met", telegram.FormatMoney(lang, want))
		}
		return b.k.T(lang, "gb_min_sum", telegram.FormatMoney(lang, want), telegram.FormatMoney(lang, sum))
	case groupbuy.MinRows:
		full, missing := groupbuy.Rows(p.Variants, p.Totals.PerVariant)
		var lack []string
		for _, v := range missing {
			lack = append(lack, names[v])
		}
		text := b.k.T(lang, "gb_min_rows", full, p.Minimum.Value)
		if met {
			text = b.k.T(lang, "gb_min_rows_met", full, p.Minimum.Value)
		}
		return text + "\n" + b.k.T(lang, "gb_row_lacks", strings.Join(lack, ", "))
	}
	return ""
}

// percent writes basis points as people read a percent: "15 %", "12,5 %".
func percent(bp int) string {
	s := strconv.Itoa(bp / 100)
	if frac := bp % 100; frac != 0 {
		s += "," + strings.TrimRight(fmt.Sprintf("%02d", frac), "0")
	}
	return s + " %"
}
