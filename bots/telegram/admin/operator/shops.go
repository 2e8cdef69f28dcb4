package operator

import (
	"context"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"

	admin "github.com/vitrina-shop/vitrina/bots/telegram/admin"
)

// Platform operators (VITRINA_ADMIN_IDS) see the shops and block or unblock them.
// A blocked shop is hidden from shoppers and cannot sell; its staff still manage
// it. The operators' list holds every shop, blocked ones marked
// (catalog.Service.ShopsForOperator); "/admin <shop id>" opens one directly.

const operatorShopsPerPage = 8

func (b *Feature) onOperatorShops(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	page, err := telegram.IDArg(d)
	if err != nil || page < 0 {
		return telegram.ErrStaleButton
	}
	return b.showOperatorShops(ctx, r, int(page))
}

// showOperatorShops lists every shop, newest first, the blocked ones marked.
func (b *Feature) showOperatorShops(ctx context.Context, r *telegram.Request, page int) error {
	// One more than a page tells whether there is a next page. The catalog refuses
	// anyone but an operator.
	shops, err := b.catalog.ShopsForOperator(ctx, r.UserID(), operatorShopsPerPage+1, page*operatorShopsPerPage)
	if err != nil {
		return err
	}
	hasNext := len(shops) > operatorShopsPerPage
	if hasNext {
		shops = shops[:operatorShopsPerPage]
	}
	k := &telegram.Keyboard{}
	for _, s := range shops {
		key := "adm_btn_operator_shop"
		if s.Blocked {
			key = "adm_btn_operator_shop_blocked"
		}
		k.Row(telegram.Button(b.k.Label(r.Lang, key, s.Name, s.ID), admin.VerbOperatorShop, s.ID))
	}
	b.k.PrevNext(k, r.Lang, page, hasNext, telegram.VerbOperatorShops)
	b.k.OperatorRows(ctx, r, k)
	ms, err := b.catalog.Memberships(ctx, r.UserID())
	if err != nil {
		return err
	}
	if len(ms) > 0 {
		k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_my_shops"), admin.VerbAdminShops, 0))
	}
	text := b.k.T(r.Lang, "adm_operator_shops")
	if len(shops) == 0 && page == 0 {
		text += "\n" + b.k.T(r.Lang, "shops_empty")
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// showOperatorShop shows a shop to an operator, with Block or Unblock.
func (b *Feature) showOperatorShop(ctx context.Context, r *telegram.Request, id core.ShopID) error {
	if !b.catalog.IsOperator(r.UserID()) {
		return catalog.ErrNotOperator
	}
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil {
		return err
	}
	lang := r.Lang
	state := b.k.T(lang, "adm_shop_open")
	if shop.Blocked {
		state = b.k.T(lang, "adm_shop_blocked_state")
	}
	text := b.k.T(lang, "adm_operator_shop", shop.Name, shop.ID, b.k.UserLabel(ctx, shop.CreatedBy),
		b.a.PaymentLabel(lang, shop), shop.CreatedAt.UTC().Format("2006-01-02"), state)
	k := &telegram.Keyboard{}
	if shop.Blocked {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_unblock"), admin.VerbOperatorBlock, shop.ID, 0))
	} else {
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_block"), admin.VerbOperatorBlock, shop.ID, 1))
		k.Row(telegram.URLButton(b.k.Label(lang, "adm_btn_storefront"), b.k.StartURL(telegram.ShopLink(shop.ID))))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbOperatorShops, 0))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onOperatorBlock blocks or unblocks a shop: aob:<shop>:<1|0>. The service checks
// that the person is an operator.
func (b *Feature) onOperatorBlock(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return err
	}
	blocked := a[1] == 1
	if err := b.catalog.SetBlocked(ctx, r.UserID(), core.ShopID(a[0]), blocked); err != nil {
		return err
	}
	if blocked {
		r.Answer(b.k.Label(r.Lang, "adm_blocked"))
	} else {
		r.Answer(b.k.Label(r.Lang, "adm_unblocked"))
	}
	return b.showOperatorShop(ctx, r, core.ShopID(a[0]))
}

// operatorRoutes registers the platform operators' screens of shops and of payments no order claims.
func (b *Feature) operatorRoutes(r *telegram.Router) {
	for verb, fn := range map[string]telegram.CallbackFunc{
		telegram.VerbOperatorShops: b.onOperatorShops,
		admin.VerbOperatorShop:     telegram.WithID(b.showOperatorShop),
		admin.VerbOperatorBlock:    b.onOperatorBlock,
	} {
		r.Callback(verb, fn)
	}
	b.orphanRoutes(r)
}
