package drops

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/live"
)

// The seller's screens, in the shop's admin menu (🎥 KOLs): the shop's KOLs and
// what they are owed, an invitation at a commission, a session's allocations.

// onShopKOLs shows a shop's KOLs and their sessions to its staff.
func (b *kolMenus) onShopKOLs(ctx context.Context, r *telegram.Request, shop catalog.Shop, role catalog.Role) error {
	return b.showShopKOLs(ctx, r, shop, role, "")
}

// showShopKOLs shows a shop's KOLs, what they are owed, and their sessions.
func (b *kolMenus) showShopKOLs(ctx context.Context, r *telegram.Request, shop catalog.Shop, role catalog.Role, notice string) error {
	links, sessions, err := b.live.ShopKOLs(ctx, r.UserID(), shop.ID, menuSessions)
	if err != nil {
		return err
	}
	earnings, err := b.live.ShopEarnings(ctx, r.UserID(), shop.ID)
	if err != nil {
		return err
	}
	lang := r.Lang
	lines := []string{b.k.T(lang, "drop_shop_kols", shop.Name)}
	if notice != "" {
		lines = append([]string{notice, ""}, lines...)
	}
	k := &telegram.Keyboard{}
	for _, l := range links {
		name := b.k.UserLabel(ctx, l.KOL)
		lines = append(lines, b.k.T(lang, "drop_kol_line", name, telegram.HTML(rate(l.Commission))))
		for _, e := range earnings {
			if e.KOL != l.KOL {
				continue
			}
			lines = append(lines, b.k.T(lang, "drop_kol_earned", e.Orders, telegram.FormatMoney(lang, e.Accrued),
				telegram.FormatMoney(lang, e.PaidOut), telegram.FormatMoney(lang, e.Owed())))
			if owed := e.Owed(); owed.Amount > 0 && role == catalog.RoleOwner {
				k.Row(telegram.Button(b.k.Label(lang, "drop_btn_payout", name, telegram.FormatMoney(lang, owed)),
					verbPayout, int64(shop.ID), int64(l.KOL), string(owed.Currency), owed.Amount))
			}
		}
		if role == catalog.RoleOwner && l.Commission > 0 {
			k.Row(telegram.Button(b.k.Label(lang, "drop_btn_lower_rate", name), verbRate, int64(shop.ID), int64(l.KOL)))
		}
	}
	if len(links) == 0 {
		lines = append(lines, b.k.T(lang, "drop_no_kols"))
	}
	for _, s := range sessions {
		k.Row(telegram.Button(b.sessionLabel(lang, s), verbShopSession, int64(s.ID)))
	}
	if role == catalog.RoleOwner {
		k.Row(telegram.Button(b.k.Label(lang, "drop_btn_invite"), verbKOLInvite, int64(shop.ID)))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, int64(shop.ID)))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()})
}

// rateDialog is what the conversation lowering a KOL's rate collects.
type rateDialog struct {
	ShopID core.ShopID `json:"shop"`
	KOL    core.UserID `json:"kol"`
}

// onRate asks the shop's owner for a KOL's new, lower rate.
func (b *kolMenus) onRate(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	shopID, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	kol, err := d.Int(1)
	if err != nil {
		return telegram.ErrStaleButton
	}
	shop, role, err := b.k.StaffShop(ctx, r, core.ShopID(shopID))
	if err != nil {
		return err
	}
	if role != catalog.RoleOwner {
		return catalog.ErrNotOwner
	}
	data := rateDialog{ShopID: shop.ID, KOL: core.UserID(kol)}
	if err := b.k.StartDialog(ctx, r, dialogRate, stepRate, data); err != nil {
		return err
	}
	view, err := b.ratePrompt(ctx, r.Lang, data)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, view)
}

func (b *kolMenus) ratePrompt(ctx context.Context, lang string, data rateDialog) (telegram.View, error) {
	links, err := b.live.Links(ctx, data.KOL)
	if err != nil {
		return telegram.View{}, err
	}
	for _, l := range links {
		if l.Shop == data.ShopID {
			return telegram.View{Text: b.k.T(lang, "drop_ask_lower_rate", b.k.UserLabel(ctx, data.KOL), telegram.HTML(rate(l.Commission)))}, nil
		}
	}
	return telegram.View{}, live.ErrNotKOL
}

func (b *kolMenus) rateStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data rateDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, _ := b.k.StepMoves(ctx, r, st, &data, func(string) (telegram.View, error) { return b.ratePrompt(ctx, r.Lang, data) })
	if in.Text == "" {
		return again(b.k.WrongInput(r.Lang, in, "drop_want_rate"))
	}
	c, ok := parseRate(in.Text)
	if !ok {
		return again(b.k.T(r.Lang, "drop_err_commission"))
	}
	if _, err := b.live.LowerCommission(ctx, r.UserID(), data.ShopID, data.KOL, c); err != nil {
		if telegram.UserFacing(err) {
			return again(b.k.ErrorText(r.Lang, err))
		}
		return err
	}
	notice := b.k.T(r.Lang, "drop_rate_lowered", b.k.UserLabel(ctx, data.KOL), telegram.HTML(rate(c)))
	return b.k.FinishDialog(ctx, r, dialogRate, notice, telegram.Screen(verbShopKOLs, int64(data.ShopID)))
}

// RateLoweredMessage composes what tells a KOL that a shop lowered their
// commission (the workers' live:rate).
func (b *Feature) RateLoweredMessage(ctx context.Context, j live.RateJob) (core.Message, error) {
	shop, err := b.catalog.Shop(ctx, j.Shop)
	if err != nil {
		return core.Message{}, err
	}
	lang := b.userLang(ctx, j.KOL)
	text := b.k.T(lang, "drop_rate_lowered_notice", shop.Name, telegram.HTML(rate(j.From)), telegram.HTML(rate(j.To)))
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "drop_btn_kol_menu"), verbKOLMenu)).Markup()
	key := fmt.Sprintf("live:rate:%d:%d:%d", j.Shop, j.KOL, j.At)
	return b.k.MessageTo(key, core.PriorityOrder, j.KOL, telegram.View{Text: text, Keyboard: kb}), nil
}

// onPayout records that the shop's owner paid a KOL what was owed.
func (b *kolMenus) onPayout(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(4); err != nil {
		return telegram.ErrStaleButton
	}
	shopID, _ := d.Int(0)
	kol, _ := d.Int(1)
	amount, err := d.Int(3)
	if err != nil {
		return telegram.ErrStaleButton
	}
	shop, role, err := b.k.StaffShop(ctx, r, core.ShopID(shopID))
	if err != nil {
		return err
	}
	paid := core.Money{Amount: amount, Currency: core.Currency(d.Str(2))}
	if _, err := b.live.Payout(ctx, r.UserID(), shop.ID, core.UserID(kol), paid); err != nil {
		return b.tell(ctx, r, err)
	}
	notice := b.k.T(r.Lang, "drop_paid_out", telegram.FormatMoney(r.Lang, paid), b.k.UserLabel(ctx, core.UserID(kol)))
	return b.showShopKOLs(ctx, r, shop, role, notice)
}

// rate writes a commission as people read it: "15 %", "12,5 %".
func rate(c live.Commission) string {
	s := strconv.Itoa(int(c) / 100)
	if frac := int(c) % 100; frac != 0 {
		s += "," + strings.TrimRight(fmt.Sprintf("%02d", frac), "0")
	}
	return s + " %"
}

// parseRate reads a commission typed as a percent: "15", "12,5", "12.5 %".
func parseRate(s string) (live.Commission, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	m, err := core.ParseMoney(s, "RUB") // two decimals, a comma or a point
	if err != nil || m.Amount < 0 || m.Amount > int64(live.MaxCommission) {
		return 0, false
	}
	return live.Commission(m.Amount), true
}

// sessionLabel is a session's button: its state, title and start.
func (b *kolMenus) sessionLabel(lang string, s live.Session) string {
	return b.k.Label(lang, "drop_btn_session_"+string(s.Status), s.Title, s.StartsAt.In(moscow).Format("02.01 15:04"))
}

// inviteDialog is what the invitation conversation collects.
type inviteDialog struct {
	ShopID core.ShopID `json:"shop"`
}

func (b *kolMenus) onInvite(ctx context.Context, r *telegram.Request, shop catalog.Shop) error {
	if err := b.k.StartDialog(ctx, r, dialogInvite, stepInviteRate, inviteDialog{ShopID: shop.ID}); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.invitePrompt(r.Lang))
}

func (b *kolMenus) invitePrompt(lang string) telegram.View {
	return telegram.View{Text: b.k.T(lang, "drop_ask_rate")}
}

func (b *kolMenus) inviteStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data inviteDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, _ := b.k.StepMoves(ctx, r, st, &data, func(string) (telegram.View, error) { return b.invitePrompt(r.Lang), nil })
	if in.Text == "" {
		return again(b.k.WrongInput(r.Lang, in, "drop_want_rate"))
	}
	c, ok := parseRate(in.Text)
	if !ok {
		return again(b.k.T(r.Lang, "drop_err_commission"))
	}
	inv, err := b.live.Invite(ctx, r.UserID(), data.ShopID, c)
	if err != nil {
		return err
	}
	link := b.k.StartURL(linkKOL + "_" + inv.Token)
	notice := b.k.T(r.Lang, "drop_invite_made", telegram.HTML(rate(c)), link)
	return b.k.FinishDialog(ctx, r, dialogInvite, notice, telegram.Screen(verbShopKOLs, int64(data.ShopID)))
}

// acceptInvite makes whoever opened a KOL invitation a KOL of its shop.
func (b *kolMenus) acceptInvite(ctx context.Context, r *telegram.Request, token string) error {
	link, err := b.live.Accept(ctx, r.UserID(), token)
	if err != nil {
		return b.tell(ctx, r, err)
	}
	shop, err := b.catalog.Shop(ctx, link.Shop)
	if err != nil {
		return err
	}
	text := b.k.T(r.Lang, "drop_invite_accepted", shop.Name, telegram.HTML(rate(link.Commission)), b.username)
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "drop_btn_kol_menu"), verbKOLMenu)).Markup()
	return b.k.SendText(ctx, r.ChatID, text, kb)
}

// onShopSession shows a session's allocations to the shop's staff, who
// allocate products to it.
func (b *kolMenus) onShopSession(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, allocs, err := b.sessionArg(ctx, d)
	if err != nil {
		return err
	}
	if _, _, err := b.k.StaffShop(ctx, r, sess.Shop); err != nil {
		return err
	}
	lines := []string{b.sessionText(ctx, r.Lang, sess), b.allocationsText(ctx, r.Lang, allocs)}
	k := &telegram.Keyboard{}
	if sess.Status == live.SessionScheduled || sess.Status == live.SessionLive {
		k.Row(telegram.Button(b.k.Label(r.Lang, "drop_btn_allocate"), verbAllocate, int64(sess.ID)))
	}
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), verbShopKOLs, int64(sess.Shop)))
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(telegram.NonEmpty(lines...), "\n\n"), Keyboard: k.Markup()})
}

func (b *kolMenus) sessionArg(ctx context.Context, d telegram.CallbackData) (live.Session, []live.Allocation, error) {
	id, err := d.Int(0)
	if err != nil {
		return live.Session{}, nil, telegram.ErrStaleButton
	}
	return b.live.Session(ctx, live.SessionID(id))
}

// sessionText describes a session.
func (b *kolMenus) sessionText(ctx context.Context, lang string, s live.Session) string {
	ch := telegram.HTML("—")
	if c, err := b.live.Channel(ctx, s.Channel); err == nil {
		ch = telegram.HTML(telegram.Escape(c.Title))
	}
	shopName := ""
	if shop, err := b.catalog.Shop(ctx, s.Shop); err == nil {
		shopName = shop.Name
	}
	return b.k.T(lang, "drop_session_card", s.Title, b.k.T(lang, "drop_status_"+string(s.Status)), shopName, ch,
		s.StartsAt.In(moscow).Format("02.01 15:04"), telegram.HTML(rate(s.Commission)))
}

// allocationsText lists what a session was allocated.
func (b *kolMenus) allocationsText(ctx context.Context, lang string, allocs []live.Allocation) string {
	if len(allocs) == 0 {
		return b.k.T(lang, "drop_no_allocations")
	}
	lines := []string{b.k.T(lang, "drop_allocations")}
	for _, a := range allocs {
		lines = append(lines, b.k.T(lang, "drop_allocation_line", b.variantTitle(ctx, a.Variant),
			telegram.FormatMoney(lang, a.Price), a.Quantity-a.Dropped, a.Quantity, a.PerBuyer))
	}
	return strings.Join(lines, "\n")
}

// allocateDialog is what the allocation conversation collects.
type allocateDialog struct {
	Session  live.SessionID `json:"session"`
	Shop     core.ShopID    `json:"shop"`
	Currency core.Currency  `json:"cur"`
	Product  core.ProductID `json:"product,omitempty"`
	Variant  core.VariantID `json:"variant,omitempty"`
	Regular  int64          `json:"regular,omitempty"` // the variant's price
	Price    int64          `json:"price,omitempty"`
	Quantity int            `json:"qty,omitempty"`
}

func (b *kolMenus) onAllocate(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	sess, _, err := b.sessionArg(ctx, d)
	if err != nil {
		return err
	}
	if _, _, err := b.k.StaffShop(ctx, r, sess.Shop); err != nil {
		return err
	}
	data := allocateDialog{Session: sess.ID, Shop: sess.Shop, Currency: sess.Currency}
	if err := b.k.StartDialog(ctx, r, dialogAllocate, stepAllocProduct, data); err != nil {
		return err
	}
	v, err := b.allocatePrompt(ctx, r.Lang, stepAllocProduct, data)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, telegram.StampSteps(r, v))
}

func (b *kolMenus) allocatePrompt(ctx context.Context, lang, step string, data allocateDialog) (telegram.View, error) {
	switch step {
	case stepAllocProduct:
		ps, _, err := b.catalog.Products(ctx, catalog.ProductFilter{ShopID: data.Shop, Limit: allocProducts})
		if err != nil {
			return telegram.View{}, err
		}
		k := &telegram.Keyboard{}
		for _, p := range ps {
			k.Row(telegram.StepButton(telegram.Truncate(p.Title, 60), stepAllocProduct, strconv.FormatInt(int64(p.ID), 10)))
		}
		return telegram.View{Text: b.k.T(lang, "drop_ask_product"), Keyboard: k.Markup()}, nil
	case stepAllocVariant:
		p, err := b.catalog.Product(ctx, data.Product)
		if err != nil {
			return telegram.View{}, err
		}
		k := &telegram.Keyboard{}
		for _, v := range p.Variants {
			k.Row(telegram.StepButton(b.k.Label(lang, "drop_btn_variant", v.Name, v.Available()), stepAllocVariant, strconv.FormatInt(int64(v.ID), 10)))
		}
		return telegram.View{Text: b.k.T(lang, "drop_ask_variant", p.Title), Keyboard: k.Markup()}, nil
	case stepAllocPrice:
		regular := core.Money{Amount: data.Regular, Currency: data.Currency}
		return telegram.View{Text: b.k.T(lang, "drop_ask_price", b.variantTitle(ctx, data.Variant), telegram.FormatMoney(lang, regular))}, nil
	case stepAllocQuantity:
		free, err := b.allocatable(ctx, data.Session, data.Variant)
		if err != nil {
			return telegram.View{}, err
		}
		return telegram.View{Text: b.k.T(lang, "drop_ask_quantity", free)}, nil
	case stepAllocLimit:
		k := (&telegram.Keyboard{}).Row(
			telegram.StepButton("1", stepAllocLimit, "1"), telegram.StepButton("2", stepAllocLimit, "2"),
			telegram.StepButton("3", stepAllocLimit, "3"), telegram.StepButton("5", stepAllocLimit, "5"))
		return telegram.View{Text: b.k.T(lang, "drop_ask_limit"), Keyboard: k.Markup()}, nil
	}
	return telegram.View{}, fmt.Errorf("allocation step %q", step)
}

func (b *kolMenus) allocateStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data allocateDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	again, next := b.k.StepMoves(ctx, r, st, &data, func(step string) (telegram.View, error) {
		return b.allocatePrompt(ctx, r.Lang, step, data)
	})
	lang := r.Lang
	switch st.Step {
	case stepAllocProduct:
		id, err := strconv.ParseInt(in.Button, 10, 64)
		if err != nil {
			return again(b.k.WrongInput(lang, in, "drop_want_product"))
		}
		p, err := b.catalog.Product(ctx, core.ProductID(id))
		if err != nil || p.ShopID != data.Shop || len(p.Variants) == 0 {
			return again(b.k.T(lang, "err_product_gone"))
		}
		data.Product = p.ID
		if len(p.Variants) > 1 {
			return next(stepAllocVariant)
		}
		data.Variant, data.Regular = p.Variants[0].ID, p.Variants[0].Price.Amount
		return next(stepAllocPrice)
	case stepAllocVariant:
		id, err := strconv.ParseInt(in.Button, 10, 64)
		if err != nil {
			return again(b.k.WrongInput(lang, in, "drop_want_variant"))
		}
		v, err := b.catalog.Variant(ctx, core.VariantID(id))
		if err != nil || v.ProductID != data.Product {
			return again(b.k.T(lang, "err_product_gone"))
		}
		data.Variant, data.Regular = v.ID, v.Price.Amount
		return next(stepAllocPrice)
	case stepAllocPrice:
		price, why := b.k.ReadPrice(lang, in, data.Currency)
		if why != "" {
			return again(why)
		}
		data.Price = price.Amount
		return next(stepAllocQuantity)
	case stepAllocQuantity:
		if in.Text == "" {
			return again(b.k.WrongInput(lang, in, "drop_want_quantity"))
		}
		n, err := telegram.ParseQuantity(in.Text, 1, catalog.MaxStock)
		if err != nil {
			return again(b.k.T(lang, "drop_err_quantity"))
		}
		free, err := b.allocatable(ctx, data.Session, data.Variant)
		if err != nil {
			return err
		}
		if n > free {
			return again(b.k.T(lang, "drop_err_over_allocation"))
		}
		data.Quantity = n
		return next(stepAllocLimit)
	case stepAllocLimit:
		text := in.Button
		if text == "" {
			text = in.Text
		}
		n, err := telegram.ParseQuantity(text, 1, 100)
		if err != nil {
			return again(b.k.T(lang, "drop_err_limit"))
		}
		err = b.live.Allocate(ctx, r.UserID(), live.Allocation{Session: data.Session, Variant: data.Variant,
			Price: core.Money{Amount: data.Price, Currency: data.Currency}, Quantity: data.Quantity, PerBuyer: n})
		if telegram.UserFacing(err) {
			return again(b.k.ErrorText(lang, err))
		}
		if err != nil {
			return err
		}
		notice := b.k.T(lang, "drop_allocated", b.variantTitle(ctx, data.Variant), data.Quantity)
		return b.k.FinishDialog(ctx, r, dialogAllocate, notice, telegram.Screen(verbShopSession, int64(data.Session)))
	}
	return b.k.EndDialog(ctx, r)
}

// allocatable is how many units of a variant a session may be allocated: what
// is free, and what the session holds already (an allocation made again
// replaces it).
func (b *kolMenus) allocatable(ctx context.Context, id live.SessionID, vid core.VariantID) (int, error) {
	v, err := b.catalog.Variant(ctx, vid)
	if err != nil {
		return 0, err
	}
	_, allocs, err := b.live.Session(ctx, id)
	if err != nil {
		return 0, err
	}
	free := v.Available()
	for _, a := range allocs {
		if a.Variant == vid {
			free += a.Quantity
		}
	}
	return free, nil
}
