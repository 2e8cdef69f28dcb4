package groupbuys

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// The organizer's screens, in the shop's admin menu (🤝 Group buys): the
// shop's purchases, a new one in a short conversation (the product, the
// tiers, the minimum, the fee, the deadline), and a purchase's screen with
// its participants, its link and STOP.

// organizer is the organizer's screens: the shop's purchases, a new one, its
// screen (STOP, extend, reopen, cancel, the roster, the export, the shipping
// split, the arrival and the handing over by code). A type of its own beside
// the shopper's side (Feature), sharing its dependencies.
type organizer struct{ *Feature }

// Callback verbs and the conversation of the organizer.
const (
	verbShopGroupBuys = telegram.VerbAdminGroupBuys // agl:<shop>: the shop's purchases
	verbNew           = "agn"                       // agn:<shop>: a new purchase (conversation)
	verbOrganize      = "agp"                       // agp:<purchase>: its screen
	verbStop          = "ags"                       // ags:<purchase>: STOP
	verbExtend        = "agx"                       // agx:<purchase>: a later deadline (conversation)
	verbCancel        = "agc"                       // agc:<purchase>: cancel it? (a confirmation)
	verbCancelYes     = "agy"                       // agy:<purchase>: cancel it
	verbRoster        = "agr"                       // agr:<purchase>: its participants
	verbReopen        = "ago"                       // ago:<purchase>: gather again after failing (conversation)

	dialogNew    = "groupbuy:new"
	dialogExtend = "groupbuy:extend"

	stepProduct  = "gb_product"
	stepTiers    = "gb_tiers"
	stepMinKind  = "gb_min_kind"
	stepMinValue = "gb_min_value"
	stepFee      = "gb_fee"
	stepPayMode  = "gb_pay_mode"
	stepDeadline = "gb_deadline"
	stepExtend   = "gb_extend"
)

// Limits of the screens.
const (
	menuPurchases = 8  // purchases listed
	menuProducts  = 30 // products offered for a new purchase
)

func (b *organizer) organizerRoutes(r *telegram.Router) {
	r.Callback(verbShopGroupBuys, telegram.WithID(b.onShopGroupBuys))
	r.Callback(verbNew, telegram.WithID(b.onNew))
	r.Callback(verbOrganize, b.onOrganize)
	r.Callback(verbStop, b.onStop)
	r.Callback(verbExtend, b.onExtend)
	r.Callback(verbCancel, b.onCancel)
	r.Callback(verbCancelYes, b.onCancelYes)
	r.Callback(verbRoster, b.onRoster)
	r.Callback(verbExport, b.onExport)
	r.Callback(verbReopen, b.onReopen)
	r.Conversation(dialogNew, b.newStep, b.k.DialogStep)
	r.Conversation(dialogExtend, b.extendStep, b.k.DialogStep)
}

// onShopGroupBuys lists a shop's purchases to its staff.
// onShopGroupBuys lists a shop's group buys: all of them to its staff, their
// own to a KOL working with it (the service says who may).
func (b *organizer) onShopGroupBuys(ctx context.Context, r *telegram.Request, id core.ShopID) error {
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil {
		return groupbuy.ErrNotOrganizer // a shop that does not exist is not told apart
	}
	return b.showShopGroupBuys(ctx, r, shop)
}

func (b *organizer) showShopGroupBuys(ctx context.Context, r *telegram.Request, shop catalog.Shop) error {
	lang := r.Lang
	list, err := b.groups.ShopPurchases(ctx, r.UserID(), shop.ID, menuPurchases)
	if err != nil {
		return err
	}
	back := telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, int64(shop.ID))
	if _, _, err := b.k.StaffShop(ctx, r, shop.ID); err != nil {
		back = telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbKOLMenu) // a KOL's
	}
	k := &telegram.Keyboard{}
	for _, p := range list {
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_purchase_"+string(p.Status), p.Title, p.Totals.Units), verbOrganize, int64(p.ID)))
	}
	k.Row(telegram.Button(b.k.Label(lang, "gb_btn_new"), verbNew, int64(shop.ID)))
	k.Row(back)
	text := b.k.T(lang, "gb_shop", shop.Name)
	if len(list) == 0 {
		text += "\n\n" + b.k.T(lang, "gb_shop_none")
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// organized returns the purchase of a button (argument 0), refusing anyone
// but its organizer and its shop's staff.
func (b *organizer) organized(ctx context.Context, r *telegram.Request, d telegram.CallbackData) (groupbuy.Purchase, error) {
	p, err := b.purchaseArg(ctx, d)
	if err != nil {
		return groupbuy.Purchase{}, err
	}
	return p, b.groups.Organizes(ctx, r.UserID(), p)
}

func (b *organizer) onOrganize(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	return b.showOrganize(ctx, r, p, "")
}

// showOrganize shows a purchase to its organizer: the card as shoppers see
// it, the participants, its link, and STOP once the minimum is met.
func (b *organizer) showOrganize(ctx context.Context, r *telegram.Request, p groupbuy.Purchase, notice string) error {
	lang := r.Lang
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return err
	}
	names := variantNames(prod)
	people, err := b.groups.CountParticipants(ctx, p.ID)
	if err != nil {
		return err
	}
	link := b.k.StartURL(fmt.Sprintf("%s_%d", linkCard, p.ID))
	lines := []string{notice, b.cardText(lang, p, prod, names), b.k.T(lang, "gb_org_people", people),
		b.k.T(lang, "gb_org_link", link)}
	if p.Status == groupbuy.StatusStopped || p.Status == groupbuy.StatusArrived {
		waiting, free, err := b.groups.WaitlistSize(ctx, p.ID)
		if err != nil {
			return err
		}
		lines = append(lines, b.k.T(lang, "gb_org_waitlist", waiting, free))
	}
	k := &telegram.Keyboard{}
	id := int64(p.ID)
	if p.Status == groupbuy.StatusOpen && p.MinimumMet() {
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_stop", telegram.FormatMoney(lang, p.Current().Price)), verbStop, id))
	}
	if (p.Status == groupbuy.StatusStopped || p.Status == groupbuy.StatusArrived) && len(p.Pickup) > 0 {
		if p.ShippingTotal.Amount == 0 {
			k.Row(telegram.Button(b.k.Label(lang, "gb_btn_shipping"), verbShipping, id))
		} else {
			lines = append(lines, b.k.T(lang, "gb_org_shipping", telegram.FormatMoney(lang, p.ShippingTotal)))
		}
	}
	switch p.Status {
	case groupbuy.StatusStopped:
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_arrived"), verbArrived, id))
	case groupbuy.StatusArrived:
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_collect"), verbCollect, id))
		// Someone who pays after the arrival gets a code this way.
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_arrived_again"), verbArrived, id))
	}
	if people > 0 {
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_roster"), verbRoster, id))
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_export"), verbExport, id))
	}
	if p.Status == groupbuy.StatusOpen && !p.Extended {
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_extend"), verbExtend, id))
	}
	if p.Status == groupbuy.StatusFailed && p.PayMode != groupbuy.PayToJoin { // its payments went back
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_reopen"), verbReopen, id))
	}
	if p.Status == groupbuy.StatusOpen || p.Status == groupbuy.StatusStopped {
		k.Row(telegram.Button(b.k.Label(lang, "gb_btn_cancel"), verbCancel, id))
	}
	k.Row(b.shareButton(lang, p.ID))
	k.Row(telegram.Button(b.k.Label(lang, "gb_btn_refresh"), verbOrganize, id))
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), verbShopGroupBuys, int64(p.Shop)))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(telegram.NonEmpty(lines...), "\n\n"), Keyboard: k.Markup()})
}

// onStop is the organizer's STOP: the price is fixed and the invoices go.
func (b *organizer) onStop(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	if p, err = b.groups.Stop(ctx, r.UserID(), p.ID); err != nil {
		return err
	}
	key := "gb_org_stopped"
	if p.PayMode == groupbuy.PayToJoin {
		key = "gb_org_stopped_prepaid"
	}
	return b.showOrganize(ctx, r, p, b.k.T(r.Lang, key, telegram.FormatMoney(r.Lang, p.Price)))
}

// rosterSize bounds the participants listed on one screen.
const rosterSize = 40

// onRoster lists a purchase's participants to its organizer: who took what,
// and, after STOP, whether they paid.
func (b *organizer) onRoster(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	lang := r.Lang
	lines, err := b.groups.Roster(ctx, r.UserID(), p.ID, rosterSize)
	if err != nil {
		return err
	}
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return err
	}
	names := variantNames(prod)
	text := []string{b.k.T(lang, "gb_roster", p.Title)}
	for _, l := range lines {
		state := ""
		switch l.OrderStatus {
		case "":
		case order.StatusAwaitingPayment:
			state = b.k.T(lang, "gb_roster_unpaid", telegram.FormatMoney(lang, core.Money{Amount: l.Goods.Amount + l.Fee.Amount, Currency: l.Goods.Currency}))
		case order.StatusExpired, order.StatusCancelled, order.StatusRefundPending, order.StatusRefunded:
			state = b.k.T(lang, "gb_roster_gone")
		default:
			state = b.k.T(lang, "gb_roster_paid")
		}
		switch {
		case !l.Collected.IsZero():
			state = b.k.T(lang, "gb_roster_collected")
		case l.Code != "" && l.OrderStatus == order.StatusReadyForPickup:
			state = b.k.T(lang, "gb_roster_waiting")
		}
		text = append(text, b.k.T(lang, "gb_roster_line", b.k.UserLabel(ctx, l.Buyer), names[l.Variant], l.Quantity, telegram.HTML(state)))
	}
	k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "btn_back"), verbOrganize, int64(p.ID)))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(text, "\n"), Keyboard: k.Markup()})
}

// extendDialog is what the conversation of a later deadline keeps: of an
// open purchase (once), or of a failed one that gathers again (Reopen).
type extendDialog struct {
	Purchase groupbuy.ID `json:"purchase"`
	Reopen   bool        `json:"reopen,omitempty"`
}

// onExtend asks the organizer for a later deadline (once per purchase).
func (b *organizer) onExtend(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	if p.Extended {
		return groupbuy.ErrExtended
	}
	if err := b.k.StartDialog(ctx, r, dialogExtend, stepExtend, extendDialog{Purchase: p.ID}); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.extendPrompt(r.Lang, p, false))
}

// onReopen asks the organizer until when a failed purchase gathers again.
func (b *organizer) onReopen(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	if p.Status != groupbuy.StatusFailed {
		return groupbuy.ErrNotFailed
	}
	if err := b.k.StartDialog(ctx, r, dialogExtend, stepExtend, extendDialog{Purchase: p.ID, Reopen: true}); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.extendPrompt(r.Lang, p, true))
}

func (b *organizer) extendPrompt(lang string, p groupbuy.Purchase, reopen bool) telegram.View {
	if reopen {
		return telegram.View{Text: b.k.T(lang, "gb_ask_reopen", b.clock.Now().In(moscow).Add(72*time.Hour).Format("02.01 15:04"))}
	}
	return telegram.View{Text: b.k.T(lang, "gb_ask_extend", p.Deadline.In(moscow).Format("02.01 15:04"),
		p.Deadline.In(moscow).Add(48*time.Hour).Format("02.01 15:04"))}
}

func (b *organizer) extendStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data extendDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	p, err := b.groups.Purchase(ctx, data.Purchase)
	if err != nil {
		return err
	}
	again, _ := b.k.StepMoves(ctx, r, st, &data, func(string) (telegram.View, error) { return b.extendPrompt(r.Lang, p, data.Reopen), nil })
	if in.Text == "" {
		return again(b.k.WrongInput(r.Lang, in, "gb_want_deadline"))
	}
	at, ok := telegram.ParseMoscowTime(in.Text, b.clock.Now())
	if !ok {
		return again(b.k.T(r.Lang, "gb_err_deadline"))
	}
	key := "gb_extended_notice"
	if data.Reopen {
		p, err = b.groups.Reopen(ctx, r.UserID(), p.ID, at)
		key = "gb_reopened_notice"
	} else {
		p, err = b.groups.Extend(ctx, r.UserID(), p.ID, at)
	}
	if telegram.UserFacing(err) {
		return again(b.k.ErrorText(r.Lang, err))
	}
	if err != nil {
		return err
	}
	notice := b.k.T(r.Lang, key, p.Deadline.In(moscow).Format("02.01 15:04"))
	return b.k.FinishDialog(ctx, r, dialogExtend, notice, telegram.Screen(verbOrganize, int64(p.ID)))
}

// onCancel asks the organizer to confirm calling the purchase off.
func (b *organizer) onCancel(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	id := int64(p.ID)
	k := (&telegram.Keyboard{}).
		Row(telegram.Button(b.k.Label(r.Lang, "gb_btn_cancel_yes"), verbCancelYes, id)).
		Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), verbOrganize, id))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "gb_cancel_confirm", p.Title), Keyboard: k.Markup()})
}

func (b *organizer) onCancelYes(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	if p, err = b.groups.Cancel(ctx, r.UserID(), p.ID); err != nil {
		return err
	}
	return b.showOrganize(ctx, r, p, b.k.T(r.Lang, "gb_cancelled_notice"))
}

// newDialog is what the conversation of a new purchase collects.
type newDialog struct {
	Shop    core.ShopID    `json:"shop"`
	Product core.ProductID `json:"product,omitempty"`
	Tiers   []tierInput    `json:"tiers,omitempty"`
	MinKind string         `json:"min_kind,omitempty"`
	Min     int64          `json:"min,omitempty"`
	FeeBP   int            `json:"fee_bp"`
	PayMode string         `json:"pay_mode,omitempty"`
}

// tierInput is a tier as the conversation keeps it.
type tierInput struct {
	From  int   `json:"from"`
	Price int64 `json:"price"`
}

// onNew begins a new purchase, for the shop's staff and the KOLs working
// with it.
func (b *organizer) onNew(ctx context.Context, r *telegram.Request, id core.ShopID) error {
	if _, err := b.groups.ShopPurchases(ctx, r.UserID(), id, 1); err != nil {
		return err // not one who may organize here
	}
	if err := b.k.StartDialog(ctx, r, dialogNew, stepProduct, newDialog{Shop: id}); err != nil {
		return err
	}
	v, err := b.newPrompt(ctx, r, newDialog{Shop: id}, stepProduct)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, telegram.StampSteps(r, v))
}

func (b *organizer) newPrompt(ctx context.Context, r *telegram.Request, data newDialog, step string) (telegram.View, error) {
	lang := r.Lang
	switch step {
	case stepProduct:
		ps, _, err := b.catalog.Products(ctx, catalog.ProductFilter{ShopID: data.Shop, Limit: menuProducts})
		if err != nil {
			return telegram.View{}, err
		}
		k := &telegram.Keyboard{}
		for _, p := range ps {
			k.Row(telegram.StepButton(p.Title, stepProduct, strconv.FormatInt(int64(p.ID), 10)))
		}
		return telegram.View{Text: b.k.T(lang, "gb_ask_product"), Keyboard: k.Markup()}, nil
	case stepTiers:
		return telegram.View{Text: b.k.T(lang, "gb_ask_tiers")}, nil
	case stepMinKind:
		k := (&telegram.Keyboard{}).
			Row(telegram.StepButton(b.k.Label(lang, "gb_btn_min_units"), stepMinKind, string(groupbuy.MinUnits))).
			Row(telegram.StepButton(b.k.Label(lang, "gb_btn_min_rows"), stepMinKind, string(groupbuy.MinRows)))
		return telegram.View{Text: b.k.T(lang, "gb_ask_min_kind"), Keyboard: k.Markup()}, nil
	case stepMinValue:
		if data.MinKind == string(groupbuy.MinRows) {
			return telegram.View{Text: b.k.T(lang, "gb_ask_min_rows")}, nil
		}
		return telegram.View{Text: b.k.T(lang, "gb_ask_min_units")}, nil
	case stepFee:
		return telegram.View{Text: b.k.T(lang, "gb_ask_fee")}, nil
	case stepPayMode:
		k := (&telegram.Keyboard{}).
			Row(telegram.StepButton(b.k.Label(lang, "gb_btn_pay_after_stop"), stepPayMode, string(groupbuy.PayAfterStop))).
			Row(telegram.StepButton(b.k.Label(lang, "gb_btn_pay_to_join"), stepPayMode, string(groupbuy.PayToJoin)))
		return telegram.View{Text: b.k.T(lang, "gb_ask_pay_mode"), Keyboard: k.Markup()}, nil
	case stepDeadline:
		return telegram.View{Text: b.k.T(lang, "gb_ask_deadline", b.clock.Now().In(moscow).Add(72*time.Hour).Format("02.01 15:04"))}, nil
	}
	return telegram.View{}, fmt.Errorf("group buy step %q", step)
}

func (b *organizer) newStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data newDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.k.StepMoves(ctx, r, st, &data, func(step string) (telegram.View, error) {
		return b.newPrompt(ctx, r, data, step)
	})
	lang := r.Lang
	switch st.Step {
	case stepProduct:
		id, err := strconv.ParseInt(in.Button, 10, 64)
		if err != nil {
			return again(b.k.WrongInput(lang, in, "gb_want_product"))
		}
		data.Product = core.ProductID(id)
		return next(stepTiers)
	case stepTiers:
		shop, err := b.catalog.Shop(ctx, data.Shop)
		if err != nil {
			return err
		}
		if in.Text == "" {
			return again(b.k.WrongInput(lang, in, "gb_want_tiers"))
		}
		tiers, ok := parseTiers(in.Text, shop.Currency)
		if !ok || tiers.Check() != nil {
			return again(b.k.T(lang, "gb_err_tiers"))
		}
		data.Tiers = nil
		for _, t := range tiers {
			data.Tiers = append(data.Tiers, tierInput{From: t.From, Price: t.Price.Amount})
		}
		return next(stepMinKind)
	case stepMinKind:
		if in.Button != string(groupbuy.MinUnits) && in.Button != string(groupbuy.MinRows) {
			return again(b.k.WrongInput(lang, in, "gb_want_min_kind"))
		}
		data.MinKind = in.Button
		return next(stepMinValue)
	case stepMinValue:
		n, err := strconv.ParseInt(strings.TrimSpace(in.Text), 10, 64)
		if err != nil || n < 1 || n > 100_000 {
			return again(b.k.T(lang, "gb_err_min"))
		}
		data.Min = n
		return next(stepFee)
	case stepFee:
		fee, ok := parsePercent(in.Text)
		if !ok || fee > groupbuy.MaxFeeBP {
			return again(b.k.T(lang, "gb_err_fee"))
		}
		data.FeeBP = fee
		return next(stepPayMode)
	case stepPayMode:
		if in.Button != string(groupbuy.PayAfterStop) && in.Button != string(groupbuy.PayToJoin) {
			return again(b.k.WrongInput(lang, in, "gb_want_pay_mode"))
		}
		data.PayMode = in.Button
		return next(stepDeadline)
	case stepDeadline:
		if in.Text == "" {
			return again(b.k.WrongInput(lang, in, "gb_want_deadline"))
		}
		at, ok := telegram.ParseMoscowTime(in.Text, b.clock.Now())
		if !ok {
			return again(b.k.T(lang, "gb_err_deadline"))
		}
		p, err := b.create(ctx, r, data, at)
		if telegram.UserFacing(err) {
			return again(b.k.ErrorText(lang, err))
		}
		if err != nil {
			return err
		}
		notice := b.k.T(lang, "gb_created", p.Title)
		return b.k.FinishDialog(ctx, r, dialogNew, notice, telegram.Screen(verbOrganize, int64(p.ID)))
	}
	return b.k.EndDialog(ctx, r)
}

// create opens the purchase the conversation gathered: every variant of the
// product, every pickup point of the shop (and shipping when the shop ships,
// or sells digital goods).
func (b *organizer) create(ctx context.Context, r *telegram.Request, data newDialog, deadline time.Time) (groupbuy.Purchase, error) {
	shop, err := b.catalog.Shop(ctx, data.Shop)
	if err != nil {
		return groupbuy.Purchase{}, err
	}
	prod, err := b.catalog.Product(ctx, data.Product)
	if err != nil {
		return groupbuy.Purchase{}, err
	}
	points, err := b.catalog.PickupPoints(ctx, shop.ID)
	if err != nil {
		return groupbuy.Purchase{}, err
	}
	options, err := b.catalog.ShippingOptions(ctx, shop.ID)
	if err != nil {
		return groupbuy.Purchase{}, err
	}
	p := groupbuy.Purchase{Shop: shop.ID, Product: prod.ID, Title: prod.Title, FeeBP: data.FeeBP, Deadline: deadline,
		PayMode:  groupbuy.PayMode(data.PayMode),
		Minimum:  groupbuy.Minimum{Kind: groupbuy.MinimumKind(data.MinKind), Value: data.Min},
		Shipping: len(options) > 0 || shop.Currency == core.Stars}
	for _, v := range prod.Variants {
		p.Variants = append(p.Variants, v.ID)
	}
	for _, pp := range points {
		p.Pickup = append(p.Pickup, pp.ID)
	}
	for _, t := range data.Tiers {
		p.Tiers = append(p.Tiers, groupbuy.Tier{From: t.From, Price: core.Money{Amount: t.Price, Currency: shop.Currency}})
	}
	return b.groups.Create(ctx, r.UserID(), p)
}

// parseTiers reads the tiers a seller types, one a line or separated by ";":
// the first a price alone (from 1 unit), the others "units: price" ("1000;
// 20: 900; 50: 800").
func parseTiers(s string, cur core.Currency) (groupbuy.Tiers, bool) {
	var tiers groupbuy.Tiers
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ';' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, price := 1, part
		if i := strings.IndexAny(part, ":—-"); i > 0 && len(tiers) > 0 {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part[:i]), "шт.")))
			if err != nil {
				return nil, false
			}
			from, price = n, part[i+len(string([]rune(part[i:])[0])):]
		} else if len(tiers) > 0 {
			return nil, false
		}
		m, err := core.ParseMoney(strings.TrimSpace(price), cur)
		if err != nil {
			return nil, false
		}
		tiers = append(tiers, groupbuy.Tier{From: from, Price: m})
	}
	return tiers, len(tiers) > 0
}

// parsePercent reads a percent typed as "15", "12,5", "12.5 %" into basis
// points.
func parsePercent(s string) (int, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	m, err := core.ParseMoney(s, "RUB") // two decimals, a comma or a point
	if err != nil || m.Amount < 0 {
		return 0, false
	}
	return int(m.Amount), true
}
