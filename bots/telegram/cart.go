package telegram

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/dialog"
)

// The cart: one per shop, kept by order.Service.

// dialogCartQuantity is the conversation that asks for a cart line's quantity.
const dialogCartQuantity = "cart:qty"

// cartQuantityDialog is what the conversation remembers: the variant asked about.
type cartQuantityDialog struct {
	VariantID core.VariantID `json:"variant_id"`
}

// onAddToCart adds to the cart and refreshes the card, whose "Cart (N)" changes.
func (b *Bot) onAddToCart(ctx context.Context, r *request, d callbackData) error {
	vid, qty, err := variantAndQuantity(d, 1)
	if err != nil {
		return err
	}
	variant, err := b.shopperVariant(ctx, vid)
	if err != nil {
		return err
	}
	cart, err := b.orders.AddToCart(ctx, r.userID(), variant.ID, qty)
	if err != nil {
		return err
	}
	inCart := 0
	for _, it := range cart.Items {
		if it.VariantID == variant.ID {
			inCart = it.Quantity
		}
	}
	r.answer(b.t(r.lang, "added_to_cart", inCart))
	return b.showProduct(ctx, r, variant.ProductID, variant.ID, 1)
}

func (b *Bot) onCart(ctx context.Context, r *request, d callbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return errStaleButton
	}
	return b.showCart(ctx, r, core.ShopID(id))
}

// showCart shows the shopper's cart in a shop.
func (b *Bot) showCart(ctx context.Context, r *request, shopID core.ShopID) error {
	v, err := b.cartView(ctx, r, shopID)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

func (b *Bot) cartView(ctx context.Context, r *request, shopID core.ShopID) (view, error) {
	shop, err := b.openShop(ctx, shopID)
	if err != nil {
		return view{}, err
	}
	cart, err := b.orders.Cart(ctx, r.userID(), shopID)
	if err != nil {
		return view{}, fmt.Errorf("get cart: %w", err)
	}
	lang := r.lang
	k := &keyboard{}
	if len(cart.Items) == 0 {
		k.row(button(b.label(lang, "btn_continue"), verbShop, shopID))
		return view{text: b.t(lang, "cart_empty", shop.Name), kb: k.markup()}, nil
	}
	lines := []string{b.t(lang, "cart_title", shop.Name), ""}
	for i, it := range cart.Items {
		title := itemTitle(it.Title, it.VariantName)
		if it.Archived {
			lines = append(lines, b.t(lang, "cart_line_gone", i+1, title))
			k.row(button("✖️ "+truncate(title, 40), verbCartQuantity, it.VariantID, 0))
			continue
		}
		sub, _ := it.UnitPrice.Mul(int64(it.Quantity))
		line := b.t(lang, "cart_line", i+1, title, it.Quantity, formatMoney(lang, it.UnitPrice), formatMoney(lang, sub))
		if it.Available < it.Quantity {
			line += b.t(lang, "cart_line_short", max(it.Available, 0))
		}
		lines = append(lines, line)
		plus := button("➕", verbNoop, "max")
		if it.Quantity < it.Available && it.Quantity < maxCartQuantity {
			plus = button("➕", verbCartQuantity, it.VariantID, it.Quantity+1)
		}
		k.row(
			button("➖", verbCartQuantity, it.VariantID, it.Quantity-1),
			button(b.label(lang, "btn_cart_line", truncate(title, 24), it.Quantity), verbCartTypeQty, it.VariantID),
			plus,
			button("✖️", verbCartQuantity, it.VariantID, 0),
		)
	}
	lines = append(lines, "", b.t(lang, "cart_total", formatMoney(lang, cart.Total)))
	k.row(button(b.label(lang, "btn_checkout"), verbCheckout, shopID))
	k.row(button(b.label(lang, "btn_cart_clear"), verbCartClear, shopID), button(b.label(lang, "btn_continue"), verbShop, shopID))
	return view{text: strings.Join(lines, "\n"), kb: k.markup()}, nil
}

// variantAndQuantity reads callback data "<verb>:<variant>:<quantity>" with a
// quantity from least to maxCartQuantity; errStaleButton for any other.
func variantAndQuantity(d callbackData, least int) (core.VariantID, int, error) {
	if err := d.want(2); err != nil {
		return 0, 0, errStaleButton
	}
	vid, err1 := d.Int(0)
	qty, err2 := d.Int(1)
	if err1 != nil || err2 != nil || qty < int64(least) || qty > maxCartQuantity {
		return 0, 0, errStaleButton
	}
	return core.VariantID(vid), int(qty), nil
}

// itemTitle is a product's title with its variant's name, if it has one.
func itemTitle(title, variant string) string {
	if variant == "" {
		return title
	}
	return title + " (" + variant + ")"
}

func (b *Bot) onCartQuantity(ctx context.Context, r *request, d callbackData) error {
	vid, qty, err := variantAndQuantity(d, 0)
	if err != nil {
		return err
	}
	cart, err := b.orders.SetCartQuantity(ctx, r.userID(), vid, qty)
	if err != nil {
		return err
	}
	if qty == 0 {
		r.answer(b.t(r.lang, "cart_removed"))
	}
	return b.showCart(ctx, r, cart.ShopID)
}

func (b *Bot) onCartClear(ctx context.Context, r *request, d callbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return errStaleButton
	}
	if err := b.orders.ClearCart(ctx, r.userID(), core.ShopID(id)); err != nil {
		return err
	}
	r.answer(b.t(r.lang, "cart_cleared"))
	return b.showCart(ctx, r, core.ShopID(id))
}

// onCartTypeQuantity asks the shopper to type a quantity for a cart line.
func (b *Bot) onCartTypeQuantity(ctx context.Context, r *request, d callbackData) error {
	vid, err := d.Int(0)
	if err != nil {
		return errStaleButton
	}
	v, err := b.catalog.Variant(ctx, core.VariantID(vid))
	if err != nil {
		return err
	}
	p, err := b.catalog.Product(ctx, v.ProductID)
	if err != nil {
		return err
	}
	if err := b.startDialog(ctx, r, dialogCartQuantity, "qty", cartQuantityDialog{VariantID: v.ID}); err != nil {
		return err
	}
	return b.sendText(ctx, r.chatID, b.t(r.lang, "cart_ask_qty", itemTitle(p.Title, v.Name)), nil)
}

// onCartQuantityTyped reads the typed quantity. Anything but a number is explained
// and the question stays open.
func (b *Bot) onCartQuantityTyped(ctx context.Context, r *request, st dialog.State) error {
	var data cartQuantityDialog
	if err := dialogData(st, &data); err != nil || data.VariantID == 0 {
		return b.endDialog(ctx, r)
	}
	qty, err := parseQuantity(r.msg.Text, 0, maxCartQuantity)
	if err != nil {
		return b.sendText(ctx, r.chatID, b.t(r.lang, "cart_qty_invalid"), nil)
	}
	cart, err := b.orders.SetCartQuantity(ctx, r.userID(), data.VariantID, qty)
	if err != nil {
		if userFacing(err) {
			// Explained by the router; the question is over either way.
			if derr := b.endDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	if err := b.endDialog(ctx, r); err != nil {
		return err
	}
	return b.showCart(ctx, r, cart.ShopID)
}

// shopperVariant returns a variant a shopper may buy: errProductGone when it or its
// product is archived or deleted.
func (b *Bot) shopperVariant(ctx context.Context, id core.VariantID) (variantInfo, error) {
	v, err := b.catalog.Variant(ctx, id)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			return variantInfo{}, errProductGone
		}
		return variantInfo{}, err
	}
	if v.Archived {
		return variantInfo{}, errProductGone
	}
	p, _, err := b.shopperProduct(ctx, v.ProductID)
	if err != nil {
		return variantInfo{}, err
	}
	return variantInfo{ID: v.ID, ProductID: p.ID, ShopID: p.ShopID, Title: itemTitle(p.Title, v.Name), Price: v.Price, Available: v.Available()}, nil
}

// variantInfo is a variant with what a shopper needs of its product.
type variantInfo struct {
	ID        core.VariantID
	ProductID core.ProductID
	ShopID    core.ShopID
	Title     string
	Price     core.Money
	Available int
}
