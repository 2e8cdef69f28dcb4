package telegram

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// /admin and the shop's menu, and the checks every admin screen starts with.

const adminShopsPerPage = 8

// cmdAdmin opens the seller's menu: the shop's menu for the staff of one shop, the
// choice of shop for the staff of several, the list of shops for an operator. An
// operator may also open any shop by its id: "/admin 42".
func (b *Bot) cmdAdmin(ctx context.Context, r *request, arg string) error {
	isOperator := b.catalog.IsOperator(r.userID())
	if isOperator && arg != "" {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return b.sendText(ctx, r.chatID, b.t(r.lang, "adm_operator_usage"), nil)
		}
		return b.showOperatorShop(ctx, r, core.ShopID(id))
	}
	ms, err := b.catalog.Memberships(ctx, r.userID())
	if err != nil {
		return err
	}
	switch {
	case len(ms) == 0 && isOperator:
		return b.showOperatorShops(ctx, r, 0)
	case len(ms) == 0:
		return b.sendText(ctx, r.chatID, b.t(r.lang, "adm_no_shop"), nil)
	case len(ms) == 1 && !isOperator:
		return b.showAdminMenu(ctx, r, ms[0].Shop.ID)
	}
	return b.showAdminShops(ctx, r, 0)
}

func (b *Bot) onAdminShops(ctx context.Context, r *request, d callbackData) error {
	page, err := idArg(d)
	if err != nil || page < 0 {
		return errStaleButton
	}
	return b.showAdminShops(ctx, r, int(page))
}

// showAdminShops lists the shops the person works for, to choose one.
func (b *Bot) showAdminShops(ctx context.Context, r *request, page int) error {
	ms, err := b.catalog.Memberships(ctx, r.userID())
	if err != nil {
		return err
	}
	isOperator := b.catalog.IsOperator(r.userID())
	if len(ms) == 0 && !isOperator {
		return b.show(ctx, r, view{text: b.t(r.lang, "adm_no_shop")})
	}
	pages := pageCount(len(ms), adminShopsPerPage)
	page = min(page, pages-1)
	k := &keyboard{}
	for _, m := range ms[page*adminShopsPerPage : min(len(ms), (page+1)*adminShopsPerPage)] {
		label := b.label(r.lang, "adm_btn_shop", m.Shop.Name, b.t(r.lang, "adm_role_"+string(m.Role)))
		if m.Shop.Blocked {
			label = "⛔ " + label
		}
		k.row(button(label, verbAdminMenu, m.Shop.ID))
	}
	b.pager(k, r.lang, page, pages, verbAdminShops)
	if isOperator {
		k.row(button(b.label(r.lang, "adm_btn_operator"), verbOperatorShops, 0))
		b.operatorRows(ctx, r, k)
	}
	return b.show(ctx, r, view{text: b.t(r.lang, "adm_choose_shop"), kb: k.markup()})
}

// showAdminMenu shows a shop's menu to its staff; owners see settings and staff.
func (b *Bot) showAdminMenu(ctx context.Context, r *request, id core.ShopID) error {
	shop, role, err := b.staffShop(ctx, r, id)
	if err != nil {
		return err
	}
	lang := r.lang
	text := b.t(lang, "adm_menu", shop.Name, b.t(lang, "adm_role_"+string(role)), b.paymentLabel(lang, shop))
	if shop.Blocked {
		text += "\n\n" + b.t(lang, "adm_shop_blocked")
	}
	k := &keyboard{}
	k.row(
		button(b.label(lang, "adm_btn_products"), verbAdminProducts, id, 0, 0),
		button(b.label(lang, "adm_btn_orders"), verbAdminOrders, id, orderGroupPaid, 0),
	)
	k.row(
		button(b.label(lang, "adm_btn_stock"), verbAdminStock, id),
		button(b.label(lang, "adm_btn_categories"), verbAdminCategories, id),
	)
	k.row(button(b.label(lang, "adm_btn_totals"), verbAdminTotals, id))
	k.row(
		button(b.label(lang, "adm_btn_broadcasts"), verbAdminBroadcasts, id),
		button(b.label(lang, "adm_btn_reviews"), verbAdminReviews, id),
	)
	if role == catalog.RoleOwner {
		k.row(
			button(b.label(lang, "adm_btn_settings"), verbAdminSettings, id),
			button(b.label(lang, "adm_btn_staff"), verbAdminStaff, id),
		)
	}
	k.row(urlButton(b.label(lang, "adm_btn_storefront"), b.startURL(shopLink(id))))
	ms, err := b.catalog.Memberships(ctx, r.userID())
	if err != nil {
		return err
	}
	if len(ms) > 1 || b.catalog.IsOperator(r.userID()) {
		k.row(button(b.label(lang, "adm_btn_all_shops"), verbAdminShops, 0))
	}
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// paymentLabel says how a shop is paid.
func (b *Bot) paymentLabel(lang string, shop catalog.Shop) string {
	if shop.PaymentMethod == catalog.PayStars {
		return b.t(lang, "adm_pay_stars")
	}
	return b.t(lang, "adm_pay_card", string(shop.Currency))
}

// --- access ---

// forStaff adapts fn to the callback "<verb>:<shop>" of a screen for the shop's
// staff: fn gets the shop and the person's role; anyone else gets
// catalog.ErrNotStaff (staffShop).
func (b *Bot) forStaff(fn func(ctx context.Context, r *request, shop catalog.Shop, role catalog.Role) error) callbackFunc {
	return withID(func(ctx context.Context, r *request, id core.ShopID) error {
		shop, role, err := b.staffShop(ctx, r, id)
		if err != nil {
			return err
		}
		return fn(ctx, r, shop, role)
	})
}

// forOwner adapts fn to the callback "<verb>:<shop>" of a screen for the shop's
// owner: catalog.ErrNotStaff, ErrNotOwner for anyone else (ownerShop).
func (b *Bot) forOwner(fn func(ctx context.Context, r *request, shop catalog.Shop) error) callbackFunc {
	return withID(func(ctx context.Context, r *request, id core.ShopID) error {
		shop, err := b.ownerShop(ctx, r, id)
		if err != nil {
			return err
		}
		return fn(ctx, r, shop)
	})
}

// staffShop returns a shop and the person's role in it. catalog.ErrNotStaff when
// they are not its staff, also for a shop that does not exist, so ids cannot be
// probed.
func (b *Bot) staffShop(ctx context.Context, r *request, id core.ShopID) (catalog.Shop, catalog.Role, error) {
	role, err := b.catalog.Role(ctx, id, r.userID())
	if err != nil {
		return catalog.Shop{}, "", err
	}
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil {
		return catalog.Shop{}, "", err
	}
	return shop, role, nil
}

// ownerShop returns a shop its owner manages; catalog.ErrNotStaff, ErrNotOwner.
func (b *Bot) ownerShop(ctx context.Context, r *request, id core.ShopID) (catalog.Shop, error) {
	shop, role, err := b.staffShop(ctx, r, id)
	if err != nil {
		return catalog.Shop{}, err
	}
	if role != catalog.RoleOwner {
		return catalog.Shop{}, catalog.ErrNotOwner
	}
	return shop, nil
}

// staffProduct returns a product, archived or not, and its shop, to the shop's
// staff; catalog.ErrNotStaff, errProductGone.
func (b *Bot) staffProduct(ctx context.Context, r *request, id core.ProductID) (catalog.Product, catalog.Shop, error) {
	p, err := b.catalog.Product(ctx, id)
	if errors.Is(err, catalog.ErrProductNotFound) {
		return catalog.Product{}, catalog.Shop{}, errProductGone
	}
	if err != nil {
		return catalog.Product{}, catalog.Shop{}, err
	}
	shop, _, err := b.staffShop(ctx, r, p.ShopID)
	if err != nil {
		return catalog.Product{}, catalog.Shop{}, err
	}
	return p, shop, nil
}

// staffVariant returns a variant, its product and shop to the shop's staff;
// catalog.ErrNotStaff, errProductGone.
func (b *Bot) staffVariant(ctx context.Context, r *request, id core.VariantID) (catalog.Variant, catalog.Product, catalog.Shop, error) {
	v, err := b.catalog.Variant(ctx, id)
	if errors.Is(err, catalog.ErrVariantNotFound) {
		return catalog.Variant{}, catalog.Product{}, catalog.Shop{}, errProductGone
	}
	if err != nil {
		return catalog.Variant{}, catalog.Product{}, catalog.Shop{}, err
	}
	p, shop, err := b.staffProduct(ctx, r, v.ProductID)
	if err != nil {
		return catalog.Variant{}, catalog.Product{}, catalog.Shop{}, err
	}
	return v, p, shop, nil
}

// --- totals ---

func (b *Bot) onAdminTotals(ctx context.Context, r *request, shop catalog.Shop, _ catalog.Role) error {
	now := b.clock.Now()
	day, err := b.orders.Totals(ctx, r.userID(), shop.ID, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	week, err := b.orders.Totals(ctx, r.userID(), shop.ID, now.Add(-7*24*time.Hour))
	if err != nil {
		return err
	}
	money := func(t order.Totals) string {
		if t.Revenue.Currency == "" {
			t.Revenue.Currency = shop.Currency
		}
		return formatMoney(r.lang, t.Revenue)
	}
	text := b.t(r.lang, "adm_totals", shop.Name, b.count(r.lang, "adm_n_orders", day.Orders), money(day),
		b.count(r.lang, "adm_n_orders", week.Orders), money(week))
	k := (&keyboard{}).row(button(b.label(r.lang, "btn_back"), verbAdminMenu, shop.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}
