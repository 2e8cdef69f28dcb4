package shopper

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/dialog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// The cart: one per shop, kept by order.Service.

// dialogCartQuantity is the conversation that asks for a cart line's quantity.
const dialogCartQuantity = "cart:qty"

// cartQuantityDialog is what the conversation remembers: the variant asked about.
type cartQuantityDialog struct {
	VariantID core.VariantID `json:"variant_id"`
}

// onAddToCart adds to the cart and refreshes the card, whose "Cart (N)" changes.
func (b *Feature) onAddToCart(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	vid, qty, err := variantAndQuantity(d, 1)
	if err != nil {
		return err
	}
	variant, err := b.shopperVariant(ctx, vid)
	if err != nil {
		return err
	}
	cart, err := b.orders.AddToCart(ctx, r.UserID(), variant.ID, qty)
	if err != nil {
		return err
	}
	inCart := 0
	for _, it := range cart.Items {
		if it.VariantID == variant.ID {
			inCart = it.Quantity
		}
	}
	r.Answer(b.k.T(r.Lang, "added_to_cart", inCart))
	return b.showProduct(ctx, r, variant.ProductID, variant.ID, 1)
}

func (b *Feature) onCart(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	return b.showCart(ctx, r, core.ShopID(id))
}

// cmdCart is /cart: the shopper's cart, or their carts in several shops to
// pick from, or that there is none, with the shops to browse.
func (b *Feature) cmdCart(ctx context.Context, r *telegram.Request, _ string) error {
	carts, err := b.orders.Carts(ctx, r.UserID())
	if err != nil {
		return fmt.Errorf("list carts: %w", err)
	}
	if len(carts) == 1 {
		v, err := b.cartView(ctx, r, carts[0].ShopID)
		if err != nil {
			return err
		}
		_, err = b.k.SendView(ctx, r.ChatID, v)
		return err
	}
	intro := b.k.T(r.Lang, "carts_none")
	if len(carts) > 1 {
		intro = b.k.T(r.Lang, "carts_pick")
	}
	v, err := b.shopsView(ctx, r, 0, intro) // its rows end with every cart
	if err == nil {
		_, err = b.k.SendView(ctx, r.ChatID, v)
	}
	return err
}

// showCart shows the shopper's cart in a shop.
func (b *Feature) showCart(ctx context.Context, r *telegram.Request, shopID core.ShopID) error {
	v, err := b.cartView(ctx, r, shopID)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

func (b *Feature) cartView(ctx context.Context, r *telegram.Request, shopID core.ShopID) (telegram.View, error) {
	shop, err := b.k.OpenShop(ctx, shopID)
	if err != nil {
		return telegram.View{}, err
	}
	cart, err := b.orders.Cart(ctx, r.UserID(), shopID)
	if err != nil {
		return telegram.View{}, fmt.Errorf("get cart: %w", err)
	}
	lang := r.Lang
	k := &telegram.Keyboard{}
	if len(cart.Items) == 0 {
		k.Row(telegram.Button(b.k.Label(lang, "btn_continue"), telegram.VerbShop, shopID))
		return telegram.View{Text: b.k.T(lang, "cart_empty", shop.Name), Keyboard: k.Markup()}, nil
	}
	lines := []string{b.k.T(lang, "cart_title", shop.Name), ""}
	for i, it := range cart.Items {
		title := telegram.ItemTitle(it.Title, it.VariantName)
		if it.Archived {
			lines = append(lines, b.k.T(lang, "cart_line_gone", i+1, title))
			k.Row(telegram.Button("✖️ "+telegram.Truncate(title, 40), telegram.VerbCartQuantity, it.VariantID, 0))
			continue
		}
		sub, _ := it.UnitPrice.Mul(int64(it.Quantity))
		line := b.k.T(lang, "cart_line", i+1, title, it.Quantity, telegram.FormatMoney(lang, it.UnitPrice), telegram.FormatMoney(lang, sub))
		if it.Available < it.Quantity {
			line += b.k.T(lang, "cart_line_short", max(it.Available, 0))
		}
		lines = append(lines, line)
		plus := telegram.Button("➕", telegram.VerbNoop, "max")
		if it.Quantity < it.Available && it.Quantity < maxCartQuantity {
			plus = telegram.Button("➕", telegram.VerbCartQuantity, it.VariantID, it.Quantity+1)
		}
		k.Row(
			telegram.Button("➖", telegram.VerbCartQuantity, it.VariantID, it.Quantity-1),
			telegram.Button(b.k.Label(lang, "btn_cart_line", telegram.Truncate(title, 24), it.Quantity), telegram.VerbCartTypeQty, it.VariantID),
			plus,
			telegram.Button("✖️", telegram.VerbCartQuantity, it.VariantID, 0),
		)
	}
	lines = append(lines, "", b.k.T(lang, "cart_total", telegram.FormatMoney(lang, cart.Total)))
	k.Row(telegram.Button(b.k.Label(lang, "btn_checkout"), telegram.VerbCheckout, shopID))
	k.Row(telegram.Button(b.k.Label(lang, "btn_cart_clear"), telegram.VerbCartClear, shopID), telegram.Button(b.k.Label(lang, "btn_continue"), telegram.VerbShop, shopID))
	return telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()}, nil
}

// variantAndQuantity reads callback data "<verb>:<variant>:<quantity>" with a
// quantity from least to maxCartQuantity; errStaleButton for any other.
func variantAndQuantity(d telegram.CallbackData, least int) (core.VariantID, int, error) {
	if err := d.Want(2); err != nil {
		return 0, 0, telegram.ErrStaleButton
	}
	vid, err1 := d.Int(0)
	qty, err2 := d.Int(1)
	if err1 != nil || err2 != nil || qty < int64(least) || qty > maxCartQuantity {
		return 0, 0, telegram.ErrStaleButton
	}
	return core.VariantID(vid), int(qty), nil
}

func (b *Feature) onCartQuantity(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	vid, qty, err := variantAndQuantity(d, 0)
	if err != nil {
		return err
	}
	cart, err := b.orders.SetCartQuantity(ctx, r.UserID(), vid, qty)
	if err != nil {
		return err
	}
	if qty == 0 {
		r.Answer(b.k.T(r.Lang, "cart_removed"))
	}
	return b.showCart(ctx, r, cart.ShopID)
}

func (b *Feature) onCartClear(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	if err := b.orders.ClearCart(ctx, r.UserID(), core.ShopID(id)); err != nil {
		return err
	}
	r.Answer(b.k.T(r.Lang, "cart_cleared"))
	return b.showCart(ctx, r, core.ShopID(id))
}

// onCartTypeQuantity asks the shopper to type a quantity for a cart line.
func (b *Feature) onCartTypeQuantity(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	vid, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	v, err := b.catalog.Variant(ctx, core.VariantID(vid))
	if err != nil {
		return err
	}
	p, err := b.catalog.Product(ctx, v.ProductID)
	if err != nil {
		return err
	}
	if err := b.k.StartDialog(ctx, r, dialogCartQuantity, "qty", cartQuantityDialog{VariantID: v.ID}); err != nil {
		return err
	}
	return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "cart_ask_qty", telegram.ItemTitle(p.Title, v.Name)), nil)
}

// onCartQuantityTyped reads the typed quantity. Anything but a number is explained
// and the question stays open.
func (b *Feature) onCartQuantityTyped(ctx context.Context, r *telegram.Request, st dialog.State) error {
	var data cartQuantityDialog
	if err := telegram.DialogData(st, &data); err != nil || data.VariantID == 0 {
		return b.k.EndDialog(ctx, r)
	}
	qty, err := telegram.ParseQuantity(r.Msg.Text, 0, maxCartQuantity)
	if err != nil {
		return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "cart_qty_invalid"), nil)
	}
	cart, err := b.orders.SetCartQuantity(ctx, r.UserID(), data.VariantID, qty)
	if err != nil {
		if telegram.UserFacing(err) {
			// Explained by the router; the question is over either way.
			if derr := b.k.EndDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	if err := b.k.EndDialog(ctx, r); err != nil {
		return err
	}
	return b.showCart(ctx, r, cart.ShopID)
}

// shopperVariant returns a variant a shopper may buy: errProductGone when it or its
// product is archived or deleted.
func (b *Feature) shopperVariant(ctx context.Context, id core.VariantID) (variantInfo, error) {
	v, err := b.catalog.Variant(ctx, id)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			return variantInfo{}, telegram.ErrProductGone
		}
		return variantInfo{}, err
	}
	if v.Archived {
		return variantInfo{}, telegram.ErrProductGone
	}
	p, _, err := b.k.ShopperProduct(ctx, v.ProductID)
	if err != nil {
		return variantInfo{}, err
	}
	return variantInfo{ID: v.ID, ProductID: p.ID, ShopID: p.ShopID, Title: telegram.ItemTitle(p.Title, v.Name), Price: v.Price, Available: v.Available()}, nil
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
