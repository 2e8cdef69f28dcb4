package telegram

import (
	"context"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Platform operators (VITRINA_ADMIN_IDS) see the shops and block or unblock them.
// A blocked shop is hidden from shoppers and cannot sell; its staff still manage
// it. The operators' list holds every shop, blocked ones marked
// (catalog.Service.ShopsForOperator); "/admin <shop id>" opens one directly.

const operatorShopsPerPage = 8

func (b *Bot) onOperatorShops(ctx context.Context, r *request, d callbackData) error {
	page, err := idArg(d)
	if err != nil || page < 0 {
		return errStaleButton
	}
	return b.showOperatorShops(ctx, r, int(page))
}

// showOperatorShops lists every shop, newest first, the blocked ones marked.
func (b *Bot) showOperatorShops(ctx context.Context, r *request, page int) error {
	// One more than a page tells whether there is a next page. The catalog refuses
	// anyone but an operator.
	shops, err := b.catalog.ShopsForOperator(ctx, r.userID(), operatorShopsPerPage+1, page*operatorShopsPerPage)
	if err != nil {
		return err
	}
	hasNext := len(shops) > operatorShopsPerPage
	if hasNext {
		shops = shops[:operatorShopsPerPage]
	}
	k := &keyboard{}
	for _, s := range shops {
		key := "adm_btn_operator_shop"
		if s.Blocked {
			key = "adm_btn_operator_shop_blocked"
		}
		k.row(button(b.label(r.lang, key, s.Name, s.ID), verbOperatorShop, s.ID))
	}
	b.prevNext(k, r.lang, page, hasNext, verbOperatorShops)
	b.operatorRows(ctx, r, k)
	ms, err := b.catalog.Memberships(ctx, r.userID())
	if err != nil {
		return err
	}
	if len(ms) > 0 {
		k.row(button(b.label(r.lang, "adm_btn_my_shops"), verbAdminShops, 0))
	}
	text := b.t(r.lang, "adm_operator_shops")
	if len(shops) == 0 && page == 0 {
		text += "\n" + b.t(r.lang, "shops_empty")
	}
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// showOperatorShop shows a shop to an operator, with Block or Unblock.
func (b *Bot) showOperatorShop(ctx context.Context, r *request, id core.ShopID) error {
	if !b.catalog.IsOperator(r.userID()) {
		return catalog.ErrNotOperator
	}
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil {
		return err
	}
	lang := r.lang
	state := b.t(lang, "adm_shop_open")
	if shop.Blocked {
		state = b.t(lang, "adm_shop_blocked_state")
	}
	text := b.t(lang, "adm_operator_shop", shop.Name, shop.ID, b.userLabel(ctx, shop.CreatedBy),
		b.paymentLabel(lang, shop), shop.CreatedAt.UTC().Format("2006-01-02"), state)
	k := &keyboard{}
	if shop.Blocked {
		k.row(button(b.label(lang, "adm_btn_unblock"), verbOperatorBlock, shop.ID, 0))
	} else {
		k.row(button(b.label(lang, "adm_btn_block"), verbOperatorBlock, shop.ID, 1))
		k.row(urlButton(b.label(lang, "adm_btn_storefront"), b.startURL(shopLink(shop.ID))))
	}
	k.row(button(b.label(lang, "btn_back"), verbOperatorShops, 0))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// onOperatorBlock blocks or unblocks a shop: aob:<shop>:<1|0>. The service checks
// that the person is an operator.
func (b *Bot) onOperatorBlock(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil {
		return err
	}
	blocked := a[1] == 1
	if err := b.catalog.SetBlocked(ctx, r.userID(), core.ShopID(a[0]), blocked); err != nil {
		return err
	}
	if blocked {
		r.answer(b.label(r.lang, "adm_blocked"))
	} else {
		r.answer(b.label(r.lang, "adm_unblocked"))
	}
	return b.showOperatorShop(ctx, r, core.ShopID(a[0]))
}
