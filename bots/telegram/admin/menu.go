package admin

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// /admin and the shop's menu, and the checks every admin screen starts with.

const adminShopsPerPage = 8

// cmdAdmin opens the seller's menu: the shop's menu for the staff of one shop, the
// choice of shop for the staff of several, the list of shops for an operator. An
// operator may also open any shop by its id: "/admin 42".
func (b *Feature) cmdAdmin(ctx context.Context, r *telegram.Request, arg string) error {
	isOperator := b.catalog.IsOperator(r.UserID())
	if isOperator && arg != "" {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "adm_operator_usage"), nil)
		}
		return b.k.ShowScreen(ctx, r, telegram.Screen(VerbOperatorShop, id))
	}
	ms, err := b.catalog.Memberships(ctx, r.UserID())
	if err != nil {
		return err
	}
	switch {
	case len(ms) == 0 && isOperator:
		return b.k.ShowScreen(ctx, r, telegram.Screen(telegram.VerbOperatorShops, 0))
	case len(ms) == 0:
		return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "adm_no_shop"), nil)
	case len(ms) == 1 && !isOperator:
		return b.ShowAdminMenu(ctx, r, ms[0].Shop.ID)
	}
	return b.showAdminShops(ctx, r, 0)
}

func (b *Feature) onAdminShops(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	page, err := telegram.IDArg(d)
	if err != nil || page < 0 {
		return telegram.ErrStaleButton
	}
	return b.showAdminShops(ctx, r, int(page))
}

// showAdminShops lists the shops the person works for, to choose one.
func (b *Feature) showAdminShops(ctx context.Context, r *telegram.Request, page int) error {
	ms, err := b.catalog.Memberships(ctx, r.UserID())
	if err != nil {
		return err
	}
	isOperator := b.catalog.IsOperator(r.UserID())
	if len(ms) == 0 && !isOperator {
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "adm_no_shop")})
	}
	pages := telegram.PageCount(len(ms), adminShopsPerPage)
	page = min(page, pages-1)
	k := &telegram.Keyboard{}
	for _, m := range ms[page*adminShopsPerPage : min(len(ms), (page+1)*adminShopsPerPage)] {
		label := b.k.Label(r.Lang, "adm_btn_shop", m.Shop.Name, b.k.T(r.Lang, "adm_role_"+string(m.Role)))
		if m.Shop.Blocked {
			label = "⛔ " + label
		}
		k.Row(telegram.Button(label, telegram.VerbAdminMenu, m.Shop.ID))
	}
	b.k.Pager(k, r.Lang, page, pages, VerbAdminShops)
	if isOperator {
		k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_operator"), telegram.VerbOperatorShops, 0))
		b.k.OperatorRows(ctx, r, k)
	}
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "adm_choose_shop"), Keyboard: k.Markup()})
}

// ShowAdminMenu shows a shop's menu to its staff; owners see settings and staff.
func (b *Feature) ShowAdminMenu(ctx context.Context, r *telegram.Request, id core.ShopID) error {
	shop, role, err := b.k.StaffShop(ctx, r, id)
	if err != nil {
		return err
	}
	lang := r.Lang
	text := b.k.T(lang, "adm_menu", shop.Name, b.k.T(lang, "adm_role_"+string(role)), b.PaymentLabel(lang, shop))
	if shop.Blocked {
		text += "\n\n" + b.k.T(lang, "adm_shop_blocked")
	}
	// The paid orders wait for the staff: their count is on the button.
	ordersLabel := b.k.Label(lang, "adm_btn_orders")
	if _, waiting, err := b.orders.Orders(ctx, r.UserID(), order.Filter{ShopID: &id, Statuses: []order.Status{order.StatusPaid}, Limit: 1}); err != nil {
		return err
	} else if waiting > 0 {
		ordersLabel = b.k.Label(lang, "adm_btn_orders_waiting", waiting)
	}
	k := &telegram.Keyboard{}
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_products"), verbAdminProducts, id, 0, 0),
		telegram.Button(ordersLabel, VerbAdminOrders, id, OrderGroupPaid, 0),
	)
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_stock"), verbAdminStock, id),
		telegram.Button(b.k.Label(lang, "adm_btn_categories"), verbAdminCategories, id),
	)
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_totals"), VerbAdminTotals, id),
		telegram.Button(b.k.Label(lang, "adm_btn_kols"), telegram.VerbAdminKOLs, id),
	)
	k.Row(
		telegram.Button(b.k.Label(lang, "adm_btn_broadcasts"), telegram.VerbAdminBroadcasts, id),
		telegram.Button(b.k.Label(lang, "adm_btn_reviews"), telegram.VerbAdminReviews, id),
	)
	k.Row(telegram.Button(b.k.Label(lang, "adm_btn_group_buys"), telegram.VerbAdminGroupBuys, id),
		telegram.Button(b.k.Label(lang, "adm_btn_teams"), telegram.VerbAdminTeams, id))
	if role == catalog.RoleOwner {
		k.Row(
			telegram.Button(b.k.Label(lang, "adm_btn_settings"), VerbAdminSettings, id),
			telegram.Button(b.k.Label(lang, "adm_btn_staff"), VerbAdminStaff, id),
		)
	}
	k.Row(telegram.URLButton(b.k.Label(lang, "adm_btn_storefront"), b.k.StartURL(telegram.ShopLink(id))))
	ms, err := b.catalog.Memberships(ctx, r.UserID())
	if err != nil {
		return err
	}
	if len(ms) > 1 || b.catalog.IsOperator(r.UserID()) {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_all_shops"), VerbAdminShops, 0))
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// PaymentLabel says how a shop is paid.
func (b *Feature) PaymentLabel(lang string, shop catalog.Shop) string {
	if shop.PaymentMethod == catalog.PayStars {
		return b.k.T(lang, "adm_pay_stars")
	}
	return b.k.T(lang, "adm_pay_card", string(shop.Currency))
}

// staffProduct returns a product, archived or not, and its shop, to the shop's
// staff; catalog.ErrNotStaff, errProductGone.
func (b *Feature) staffProduct(ctx context.Context, r *telegram.Request, id core.ProductID) (catalog.Product, catalog.Shop, error) {
	p, err := b.catalog.Product(ctx, id)
	if errors.Is(err, catalog.ErrProductNotFound) {
		return catalog.Product{}, catalog.Shop{}, telegram.ErrProductGone
	}
	if err != nil {
		return catalog.Product{}, catalog.Shop{}, err
	}
	shop, _, err := b.k.StaffShop(ctx, r, p.ShopID)
	if err != nil {
		return catalog.Product{}, catalog.Shop{}, err
	}
	return p, shop, nil
}

// staffVariant returns a variant, its product and shop to the shop's staff;
// catalog.ErrNotStaff, errProductGone.
func (b *Feature) staffVariant(ctx context.Context, r *telegram.Request, id core.VariantID) (catalog.Variant, catalog.Product, catalog.Shop, error) {
	v, err := b.catalog.Variant(ctx, id)
	if errors.Is(err, catalog.ErrVariantNotFound) {
		return catalog.Variant{}, catalog.Product{}, catalog.Shop{}, telegram.ErrProductGone
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

func (b *Feature) OnAdminTotals(ctx context.Context, r *telegram.Request, shop catalog.Shop, _ catalog.Role) error {
	now := b.clock.Now()
	day, err := b.orders.Totals(ctx, r.UserID(), shop.ID, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	week, err := b.orders.Totals(ctx, r.UserID(), shop.ID, now.Add(-7*24*time.Hour))
	if err != nil {
		return err
	}
	money := func(t order.Totals) string {
		if t.Revenue.Currency == "" {
			t.Revenue.Currency = shop.Currency
		}
		return telegram.FormatMoney(r.Lang, t.Revenue)
	}
	text := b.k.T(r.Lang, "adm_totals", shop.Name, b.k.Count(r.Lang, "adm_n_orders", day.Orders), money(day),
		b.k.Count(r.Lang, "adm_n_orders", week.Orders), money(week))
	k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), telegram.VerbAdminMenu, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}
