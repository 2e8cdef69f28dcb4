package shopper

import (
	"context"
	"errors"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Callback verbs of reminders and back-in-stock alerts.
const (
	// verbRestock subscribes to a sold-out variant (on = 1) or stops (0):
	// nr:<product>:<variant>:<on>. The wanted state is in the button, so a double
	// tap does not toggle twice.
	verbRestock = "nr"
)

// reminderRoutes registers the commands, verbs and conversations of reminders
// and back-in-stock alerts.
func (b *Feature) reminderRoutes(r *telegram.Router) {
	r.Callback(verbRestock, b.onRestock)
}

// restockRow adds the "notify me" row to the card of a product whose chosen
// variant is sold out: "Don't notify me" when the shopper waits for it already.
func (b *Feature) restockRow(ctx context.Context, r *telegram.Request, k *telegram.Keyboard, p catalog.Product, chosen catalog.Variant) error {
	if chosen.Available() > 0 || r.UserID() == 0 {
		return nil
	}
	subscribed, err := b.catalog.RestockSubscribed(ctx, r.UserID(), chosen.ID)
	if err != nil {
		return err
	}
	if subscribed {
		k.Row(telegram.Button(b.k.Label(r.Lang, "rem_btn_unnotify"), verbRestock, p.ID, chosen.ID, 0))
		return nil
	}
	k.Row(telegram.Button(b.k.Label(r.Lang, "rem_btn_notify"), verbRestock, p.ID, chosen.ID, 1))
	return nil
}

// onRestock subscribes the shopper to a sold-out variant or stops, and shows the
// card again: nr:<product>:<variant>:<on>. A variant back in stock meanwhile is
// said so, and its card offers it.
func (b *Feature) onRestock(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 3)
	if err != nil || a[2] > 1 || a[2] < 0 {
		return telegram.ErrStaleButton
	}
	product, variant := core.ProductID(a[0]), core.VariantID(a[1])
	if _, _, err := b.k.ShopperProduct(ctx, product); err != nil {
		return err
	}
	if a[2] == 0 {
		if err := b.catalog.UnsubscribeRestock(ctx, r.UserID(), variant); err != nil {
			return err
		}
		r.Answer(b.k.Label(r.Lang, "rem_unsubscribed"))
		return b.showProduct(ctx, r, product, variant, 1)
	}
	switch err := b.catalog.SubscribeRestock(ctx, r.UserID(), variant); {
	case errors.Is(err, catalog.ErrInStock):
		r.Answer(b.k.Label(r.Lang, "rem_in_stock"))
	case core.ErrorCode(err) == core.ENOTFOUND:
		return telegram.ErrProductGone
	case err != nil:
		return err
	default:
		r.Answer(b.k.Label(r.Lang, "rem_subscribed"))
	}
	return b.showProduct(ctx, r, product, variant, 1)
}
