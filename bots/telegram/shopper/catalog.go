package shopper

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Browsing: shops -> categories -> pages of products -> a product card.

const (
	shopsPerPage    = 8
	productsPerPage = 8
	maxCartQuantity = 999 // order.ErrQuantity's limit
)

// shopsView is the list of shops under intro, with the shopper's carts and orders.
func (b *Feature) shopsView(ctx context.Context, r *telegram.Request, page int, intro string) (telegram.View, error) {
	// One more than a page tells whether there is a next page.
	shops, err := b.catalog.Shops(ctx, shopsPerPage+1, page*shopsPerPage)
	if err != nil {
		return telegram.View{}, fmt.Errorf("list shops: %w", err)
	}
	hasNext := len(shops) > shopsPerPage
	if hasNext {
		shops = shops[:shopsPerPage]
	}
	k := &telegram.Keyboard{}
	for _, s := range shops {
		k.Row(telegram.Button("🏬 "+s.Name, telegram.VerbShop, s.ID))
	}
	b.k.PrevNext(k, r.Lang, page, hasNext, telegram.VerbShops)

	carts, err := b.orders.Carts(ctx, r.UserID())
	if err != nil {
		return telegram.View{}, fmt.Errorf("list carts: %w", err)
	}
	for _, c := range carts {
		shop, err := b.catalog.Shop(ctx, c.ShopID)
		if err != nil {
			continue // a cart of a shop that is gone is not worth failing the page for
		}
		k.Row(telegram.Button(b.k.Label(r.Lang, "btn_cart_shop", shop.Name, cartCount(c)), telegram.VerbCart, c.ShopID))
	}
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_my_orders"), telegram.VerbOrders, 0))

	text := intro + "\n\n" + b.k.T(r.Lang, "shops_title")
	if len(shops) == 0 && page == 0 {
		text = intro + "\n\n" + b.k.T(r.Lang, "shops_empty")
	}
	return telegram.View{Text: text, Keyboard: k.Markup()}, nil
}

func (b *Feature) onShops(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	page, err := d.Int(0)
	if err != nil || page < 0 {
		return telegram.ErrStaleButton
	}
	v, err := b.shopsView(ctx, r, int(page), b.k.T(r.Lang, "welcome", r.User.FirstName))
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

func (b *Feature) onShop(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	return b.showShop(ctx, r, core.ShopID(id))
}

// showShop shows a shop's sections, or its products when it has no sections.
func (b *Feature) showShop(ctx context.Context, r *telegram.Request, id core.ShopID) error {
	shop, err := b.k.OpenShop(ctx, id)
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
	k := &telegram.Keyboard{}
	for _, c := range cats {
		k.Row(telegram.Button(c.Name, telegram.VerbProducts, id, c.ID, 0))
	}
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_all_products"), telegram.VerbProducts, id, 0, 0))
	if err := b.cartRow(ctx, r, k, id); err != nil {
		return err
	}
	if err := b.k.ShopCardRows(ctx, r, k, shop); err != nil {
		return err
	}
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_shops"), telegram.VerbShops, 0))
	text := b.k.T(r.Lang, "shop_front", shop.Name)
	rating, err := b.k.ShopCardLine(ctx, r.Lang, shop)
	if err != nil {
		return err
	}
	if rating != "" {
		text += "\n" + rating
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// cartRow adds the "Cart (N)" button of a shop when the shopper's cart there is not
// empty.
func (b *Feature) cartRow(ctx context.Context, r *telegram.Request, k *telegram.Keyboard, shop core.ShopID) error {
	cart, err := b.orders.Cart(ctx, r.UserID(), shop)
	if err != nil {
		return fmt.Errorf("get cart: %w", err)
	}
	if n := cartCount(cart); n > 0 {
		k.Row(telegram.Button(b.k.Label(r.Lang, "btn_cart", n), telegram.VerbCart, shop))
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

func (b *Feature) onProducts(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(3); err != nil {
		return telegram.ErrStaleButton
	}
	shopID, err1 := d.Int(0)
	catID, err2 := d.Int(1)
	page, err3 := d.Int(2)
	if err1 != nil || err2 != nil || err3 != nil || page < 0 {
		return telegram.ErrStaleButton
	}
	shop, err := b.k.OpenShop(ctx, core.ShopID(shopID))
	if err != nil {
		return err
	}
	return b.showProducts(ctx, r, shop, core.CategoryID(catID), int(page))
}

// showProducts shows a page of a shop's products, of one category or (0) all.
func (b *Feature) showProducts(ctx context.Context, r *telegram.Request, shop catalog.Shop, cat core.CategoryID, page int) error {
	f := catalog.ProductFilter{ShopID: shop.ID, Limit: productsPerPage, Offset: page * productsPerPage}
	cats, err := b.catalog.Categories(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	section := b.k.T(r.Lang, "products_all")
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
	k := &telegram.Keyboard{}
	for _, p := range products {
		k.Row(telegram.Button(b.k.Label(r.Lang, "btn_product", p.Title, telegram.ProductPrice(r.Lang, p)), telegram.VerbProduct, p.ID, 0, 1))
	}
	pages := telegram.PageCount(total, productsPerPage)
	b.k.Pager(k, r.Lang, page, pages, telegram.VerbProducts, shop.ID, cat)
	if err := b.cartRow(ctx, r, k, shop.ID); err != nil {
		return err
	}
	// The pager's middle button says which page this is.
	text := b.k.T(r.Lang, "products_title", shop.Name, section)
	if total == 0 {
		text = b.k.T(r.Lang, "products_empty", shop.Name)
	}
	if len(cats) > 0 {
		k.Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), telegram.VerbShop, shop.ID))
		return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
	}
	// The shop's front is this list: it has the front's rating and subscription, and
	// back is the list of shops.
	if err := b.k.ShopCardRows(ctx, r, k, shop); err != nil {
		return err
	}
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_shops"), telegram.VerbShops, 0))
	rating, err := b.k.ShopCardLine(ctx, r.Lang, shop)
	if err != nil {
		return err
	}
	if rating != "" {
		text += "\n" + rating
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onProduct shows a product card: p:<product>:<variant>:<qty>[:<photo>], the
// photo the card shows (its index) kept as the choice changes.
func (b *Feature) onProduct(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if d.Want(3) != nil && d.Want(4) != nil {
		return telegram.ErrStaleButton
	}
	pid, err1 := d.Int(0)
	vid, err2 := d.Int(1)
	qty, err3 := d.Int(2)
	photo, _ := d.Int(3)
	if err1 != nil || err2 != nil || err3 != nil {
		return telegram.ErrStaleButton
	}
	v, err := b.productView(ctx, r, core.ProductID(pid), core.VariantID(vid), int(qty), int(photo))
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// showProduct shows a product card with variant vid (0: the first in stock) and
// quantity qty chosen, at its first photo.
func (b *Feature) showProduct(ctx context.Context, r *telegram.Request, id core.ProductID, vid core.VariantID, qty int) error {
	v, err := b.productView(ctx, r, id, vid, qty, 0)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// productView renders a product card, showing its photo number photo (of
// several, paged with ◀ ▶ in place).
func (b *Feature) productView(ctx context.Context, r *telegram.Request, id core.ProductID, vid core.VariantID, qty, photo int) (telegram.View, error) {
	p, _, err := b.k.ShopperProduct(ctx, id)
	if err != nil {
		return telegram.View{}, err
	}
	if photo < 0 || photo >= len(p.Photos) {
		photo = 0
	}
	chosen := chooseVariant(p, vid)
	avail := max(chosen.Available(), 0)
	qty = min(max(qty, 1), max(avail, 1), maxCartQuantity)

	lang := r.Lang
	title := "<b>" + telegram.Escape(p.Title) + "</b>"
	var facts []string
	if len(p.Variants) > 1 {
		facts = append(facts, b.k.T(lang, "card_variant", chosen.Name))
	}
	facts = append(facts, b.k.T(lang, "card_price", telegram.FormatMoney(lang, chosen.Price)))
	if avail > 0 {
		facts = append(facts, b.k.T(lang, "card_stock", avail))
	} else {
		facts = append(facts, b.k.T(lang, "card_out_of_stock"))
	}
	rating, err := b.k.ProductCardFacts(ctx, lang, p)
	if err != nil {
		return telegram.View{}, err
	}
	facts = append(facts, rating...)
	lines := []string{title}
	if p.Description != "" {
		// The description gets what the rest of the card leaves of a caption (1024
		// characters) or a message (4096).
		limit := telegram.MaxTextLen
		if len(p.Photos) > 0 {
			limit = telegram.MaxCaptionLen
		}
		rest := telegram.TextLen(telegram.Plain(title + "\n\n\n" + strings.Join(facts, "\n")))
		lines = append(lines, telegram.Escape(telegram.Truncate(p.Description, limit-rest)))
	}
	lines = append(lines, "")
	lines = append(lines, facts...)

	k := &telegram.Keyboard{}
	if n := len(p.Photos); n > 1 {
		k.Row(telegram.Button("◀", telegram.VerbProduct, p.ID, chosen.ID, qty, (photo+n-1)%n),
			telegram.Button(fmt.Sprintf("%d / %d", photo+1, n), telegram.VerbNoop),
			telegram.Button("▶", telegram.VerbProduct, p.ID, chosen.ID, qty, (photo+1)%n))
	}
	if len(p.Variants) > 1 {
		for _, v := range p.Variants {
			label := b.k.Label(lang, "btn_variant", v.Name, telegram.FormatMoney(lang, v.Price))
			switch {
			case v.Available() <= 0:
				label = b.k.Label(lang, "btn_variant_out", v.Name)
			case v.ID == chosen.ID:
				label = b.k.Label(lang, "btn_variant_chosen", v.Name, telegram.FormatMoney(lang, v.Price))
			}
			k.Row(telegram.Button(label, telegram.VerbProduct, p.ID, v.ID, 1, photo))
		}
	}
	if avail > 0 {
		minus := telegram.Button("➖", telegram.VerbNoop)
		if qty > 1 {
			minus = telegram.Button("➖", telegram.VerbProduct, p.ID, chosen.ID, qty-1, photo)
		}
		plus := telegram.Button("➕", telegram.VerbNoop, "max")
		if qty < avail && qty < maxCartQuantity {
			plus = telegram.Button("➕", telegram.VerbProduct, p.ID, chosen.ID, qty+1, photo)
		}
		k.Row(minus, telegram.Button(b.k.Count(lang, "btn_qty", qty), telegram.VerbNoop), plus)
		k.Row(
			telegram.Button(b.k.Label(lang, "btn_add_to_cart"), telegram.VerbAddToCart, chosen.ID, qty),
			telegram.Button(b.k.Label(lang, "btn_buy_now"), telegram.VerbBuyNow, chosen.ID, qty),
		)
	} else if err := b.restockRow(ctx, r, k, p, chosen); err != nil {
		return telegram.View{}, err
	}
	if err := b.k.ProductCardRows(ctx, lang, k, p); err != nil {
		return telegram.View{}, err
	}
	if err := b.cartRow(ctx, r, k, p.ShopID); err != nil {
		return telegram.View{}, err
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbProducts, p.ShopID, p.CategoryID, 0))

	v := telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()}
	if len(p.Photos) > 0 {
		// A card of several photos may show another than the pressed
		// message does: its media is edited, not only its caption.
		v.Photo, v.NewPhoto = p.Photos[photo], len(p.Photos) > 1
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
