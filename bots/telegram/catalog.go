package telegram

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Browsing: shops -> categories -> pages of products -> a product card.

const (
	shopsPerPage    = 8
	productsPerPage = 8
	maxCartQuantity = 999 // order.ErrQuantity's limit
)

// shopsView is the list of shops under intro, with the shopper's carts and orders.
func (b *Bot) shopsView(ctx context.Context, r *request, page int, intro string) (view, error) {
	// One more than a page tells whether there is a next page.
	shops, err := b.catalog.Shops(ctx, shopsPerPage+1, page*shopsPerPage)
	if err != nil {
		return view{}, fmt.Errorf("list shops: %w", err)
	}
	hasNext := len(shops) > shopsPerPage
	if hasNext {
		shops = shops[:shopsPerPage]
	}
	k := &keyboard{}
	for _, s := range shops {
		k.row(button("🏬 "+s.Name, verbShop, s.ID))
	}
	b.prevNext(k, r.lang, page, hasNext, verbShops)

	carts, err := b.orders.Carts(ctx, r.userID())
	if err != nil {
		return view{}, fmt.Errorf("list carts: %w", err)
	}
	for _, c := range carts {
		shop, err := b.catalog.Shop(ctx, c.ShopID)
		if err != nil {
			continue // a cart of a shop that is gone is not worth failing the page for
		}
		k.row(button(b.label(r.lang, "btn_cart_shop", shop.Name, cartCount(c)), verbCart, c.ShopID))
	}
	k.row(button(b.label(r.lang, "btn_my_orders"), verbOrders, 0))

	text := intro + "\n\n" + b.t(r.lang, "shops_title")
	if len(shops) == 0 && page == 0 {
		text = intro + "\n\n" + b.t(r.lang, "shops_empty")
	}
	return view{text: text, kb: k.markup()}, nil
}

func (b *Bot) onShops(ctx context.Context, r *request, d callbackData) error {
	page, err := d.Int(0)
	if err != nil || page < 0 {
		return errStaleButton
	}
	v, err := b.shopsView(ctx, r, int(page), b.t(r.lang, "welcome", r.user.FirstName))
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

func (b *Bot) onShop(ctx context.Context, r *request, d callbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return errStaleButton
	}
	return b.showShop(ctx, r, core.ShopID(id))
}

// openShop returns a shop a shopper may browse: ErrShopNotFound, ErrShopBlocked.
func (b *Bot) openShop(ctx context.Context, id core.ShopID) (catalog.Shop, error) {
	shop, err := b.catalog.Shop(ctx, id)
	if err != nil {
		return catalog.Shop{}, err
	}
	if shop.Blocked {
		return catalog.Shop{}, catalog.ErrShopBlocked
	}
	return shop, nil
}

// showShop shows a shop's sections, or its products when it has no sections.
func (b *Bot) showShop(ctx context.Context, r *request, id core.ShopID) error {
	shop, err := b.openShop(ctx, id)
	if err != nil {
		return err
	}
	cats, err := b.catalog.Categories(ctx, id)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	if len(cats) == 0 {
		return b.showProducts(ctx, r, shop, 0, 0)
	}
	k := &keyboard{}
	for _, c := range cats {
		k.row(button(c.Name, verbProducts, id, c.ID, 0))
	}
	k.row(button(b.label(r.lang, "btn_all_products"), verbProducts, id, 0, 0))
	if err := b.cartRow(ctx, r, k, id); err != nil {
		return err
	}
	if err := b.shopCardRows(ctx, r, k, shop); err != nil {
		return err
	}
	k.row(button(b.label(r.lang, "btn_shops"), verbShops, 0))
	text := b.t(r.lang, "shop_front", shop.Name)
	rating, err := b.shopCardLine(ctx, r.lang, shop)
	if err != nil {
		return err
	}
	if rating != "" {
		text += "\n" + rating
	}
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// cartRow adds the "Cart (N)" button of a shop when the shopper's cart there is not
// empty.
func (b *Bot) cartRow(ctx context.Context, r *request, k *keyboard, shop core.ShopID) error {
	cart, err := b.orders.Cart(ctx, r.userID(), shop)
	if err != nil {
		return fmt.Errorf("get cart: %w", err)
	}
	if n := cartCount(cart); n > 0 {
		k.row(button(b.label(r.lang, "btn_cart", n), verbCart, shop))
	}
	return nil
}

// cartCount is the number of pieces in a cart.
func cartCount(c order.Cart) int {
	n := 0
	for _, it := range c.Items {
		n += it.Quantity
	}
	return n
}

func (b *Bot) onProducts(ctx context.Context, r *request, d callbackData) error {
	if err := d.want(3); err != nil {
		return errStaleButton
	}
	shopID, err1 := d.Int(0)
	catID, err2 := d.Int(1)
	page, err3 := d.Int(2)
	if err1 != nil || err2 != nil || err3 != nil || page < 0 {
		return errStaleButton
	}
	shop, err := b.openShop(ctx, core.ShopID(shopID))
	if err != nil {
		return err
	}
	return b.showProducts(ctx, r, shop, core.CategoryID(catID), int(page))
}

// showProducts shows a page of a shop's products, of one category or (0) all.
func (b *Bot) showProducts(ctx context.Context, r *request, shop catalog.Shop, cat core.CategoryID, page int) error {
	f := catalog.ProductFilter{ShopID: shop.ID, Limit: productsPerPage, Offset: page * productsPerPage}
	cats, err := b.catalog.Categories(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	section := b.t(r.lang, "products_all")
	if cat != 0 {
		f.CategoryID = &cat
		for _, c := range cats {
			if c.ID == cat {
				section = c.Name
			}
		}
	}
	products, total, err := b.catalog.Products(ctx, f)
	if err != nil {
		return fmt.Errorf("list products: %w", err)
	}
	k := &keyboard{}
	for _, p := range products {
		k.row(button(b.label(r.lang, "btn_product", p.Title, b.productPrice(r.lang, p)), verbProduct, p.ID, 0, 1))
	}
	pages := pageCount(total, productsPerPage)
	b.pager(k, r.lang, page, pages, verbProducts, shop.ID, cat)
	if err := b.cartRow(ctx, r, k, shop.ID); err != nil {
		return err
	}
	// The pager's middle button says which page this is.
	text := b.t(r.lang, "products_title", shop.Name, section)
	if total == 0 {
		text = b.t(r.lang, "products_empty", shop.Name)
	}
	if len(cats) > 0 {
		k.row(button(b.label(r.lang, "btn_back"), verbShop, shop.ID))
		return b.show(ctx, r, view{text: text, kb: k.markup()})
	}
	// The shop's front is this list: it has the front's rating and subscription, and
	// back is the list of shops.
	if err := b.shopCardRows(ctx, r, k, shop); err != nil {
		return err
	}
	k.row(button(b.label(r.lang, "btn_shops"), verbShops, 0))
	rating, err := b.shopCardLine(ctx, r.lang, shop)
	if err != nil {
		return err
	}
	if rating != "" {
		text += "\n" + rating
	}
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// productPrice is a product's price, or the range of its variants' prices.
func (b *Bot) productPrice(lang string, p catalog.Product) string {
	if len(p.Variants) == 0 {
		return ""
	}
	lo, hi := p.Variants[0].Price, p.Variants[0].Price
	for _, v := range p.Variants[1:] {
		if v.Price.Amount < lo.Amount {
			lo = v.Price
		}
		if v.Price.Amount > hi.Amount {
			hi = v.Price
		}
	}
	return formatPriceRange(lang, lo, hi)
}

func (b *Bot) onProduct(ctx context.Context, r *request, d callbackData) error {
	if err := d.want(3); err != nil {
		return errStaleButton
	}
	pid, err1 := d.Int(0)
	vid, err2 := d.Int(1)
	qty, err3 := d.Int(2)
	if err1 != nil || err2 != nil || err3 != nil {
		return errStaleButton
	}
	return b.showProduct(ctx, r, core.ProductID(pid), core.VariantID(vid), int(qty))
}

// showProduct shows a product card with variant vid (0: the first in stock) and
// quantity qty chosen.
func (b *Bot) showProduct(ctx context.Context, r *request, id core.ProductID, vid core.VariantID, qty int) error {
	v, err := b.productView(ctx, r, id, vid, qty)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

// shopperProduct returns a product a shopper may see: errProductGone when it is
// archived, deleted or has nothing to sell; ErrShopBlocked.
func (b *Bot) shopperProduct(ctx context.Context, id core.ProductID) (catalog.Product, catalog.Shop, error) {
	p, err := b.catalog.Product(ctx, id)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			return catalog.Product{}, catalog.Shop{}, errProductGone
		}
		return catalog.Product{}, catalog.Shop{}, err
	}
	if p.Archived || len(p.Variants) == 0 {
		return catalog.Product{}, catalog.Shop{}, errProductGone
	}
	shop, err := b.openShop(ctx, p.ShopID)
	if err != nil {
		return catalog.Product{}, catalog.Shop{}, err
	}
	return p, shop, nil
}

// productView renders a product card.
func (b *Bot) productView(ctx context.Context, r *request, id core.ProductID, vid core.VariantID, qty int) (view, error) {
	p, _, err := b.shopperProduct(ctx, id)
	if err != nil {
		return view{}, err
	}
	chosen := chooseVariant(p, vid)
	avail := max(chosen.Available(), 0)
	qty = min(max(qty, 1), max(avail, 1), maxCartQuantity)

	lang := r.lang
	title := "<b>" + escape(p.Title) + "</b>"
	var facts []string
	if len(p.Variants) > 1 {
		facts = append(facts, b.t(lang, "card_variant", chosen.Name))
	}
	facts = append(facts, b.t(lang, "card_price", formatMoney(lang, chosen.Price)))
	if avail > 0 {
		facts = append(facts, b.t(lang, "card_stock", avail))
	} else {
		facts = append(facts, b.t(lang, "card_out_of_stock"))
	}
	rating, err := b.productCardFacts(ctx, lang, p)
	if err != nil {
		return view{}, err
	}
	facts = append(facts, rating...)
	lines := []string{title}
	if p.Description != "" {
		// The description gets what the rest of the card leaves of a caption (1024
		// characters) or a message (4096).
		limit := maxTextLen
		if len(p.Photos) > 0 {
			limit = maxCaptionLen
		}
		rest := textLen(plain(title + "\n\n\n" + strings.Join(facts, "\n")))
		lines = append(lines, escape(truncate(p.Description, limit-rest)))
	}
	lines = append(lines, "")
	lines = append(lines, facts...)

	k := &keyboard{}
	if len(p.Variants) > 1 {
		for _, v := range p.Variants {
			label := b.label(lang, "btn_variant", v.Name, formatMoney(lang, v.Price))
			switch {
			case v.Available() <= 0:
				label = b.label(lang, "btn_variant_out", v.Name)
			case v.ID == chosen.ID:
				label = b.label(lang, "btn_variant_chosen", v.Name, formatMoney(lang, v.Price))
			}
			k.row(button(label, verbProduct, p.ID, v.ID, 1))
		}
	}
	if avail > 0 {
		minus := button("➖", verbNoop)
		if qty > 1 {
			minus = button("➖", verbProduct, p.ID, chosen.ID, qty-1)
		}
		plus := button("➕", verbNoop, "max")
		if qty < avail && qty < maxCartQuantity {
			plus = button("➕", verbProduct, p.ID, chosen.ID, qty+1)
		}
		k.row(minus, button(b.count(lang, "btn_qty", qty), verbNoop), plus)
		k.row(
			button(b.label(lang, "btn_add_to_cart"), verbAddToCart, chosen.ID, qty),
			button(b.label(lang, "btn_buy_now"), verbBuyNow, chosen.ID, qty),
		)
	} else if err := b.restockRow(ctx, r, k, p, chosen); err != nil {
		return view{}, err
	}
	if err := b.productCardRows(ctx, lang, k, p); err != nil {
		return view{}, err
	}
	if err := b.cartRow(ctx, r, k, p.ShopID); err != nil {
		return view{}, err
	}
	k.row(button(b.label(lang, "btn_back"), verbProducts, p.ShopID, p.CategoryID, 0))

	v := view{text: strings.Join(lines, "\n"), kb: k.markup()}
	if len(p.Photos) > 0 {
		v.photo = p.Photos[0]
	}
	return v, nil
}

// chooseVariant returns the variant with id vid, else the first one in stock, else
// the first one. p has at least one variant.
func chooseVariant(p catalog.Product, vid core.VariantID) catalog.Variant {
	for _, v := range p.Variants {
		if v.ID == vid {
			return v
		}
	}
	for _, v := range p.Variants {
		if v.Available() > 0 {
			return v
		}
	}
	return p.Variants[0]
}
