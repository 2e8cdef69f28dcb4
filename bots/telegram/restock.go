package telegram

import (
	"context"
	"errors"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Callback verbs of reminders and back-in-stock alerts.
const (
	// verbRestock subscribes to a sold-out variant (on = 1) or stops (0):
	// nr:<product>:<variant>:<on>. The wanted state is in the button, so a double
	// tap does not toggle twice.
	verbRestock = "nr"
	// The owner's reminder settings: ns:<shop>; the abandoned-cart delay in hours
	// (0: off) nc:<shop>:<hours>; the review request delay in days (0: off)
	// nv:<shop>:<days>.
	verbAdminReminders     = "ns"
	verbAdminCartReminder  = "nc"
	verbAdminReviewRequest = "nv"
)

// reminderRoutes registers the commands, verbs and conversations of reminders
// and back-in-stock alerts.
func (b *Bot) reminderRoutes(r *router) {
	r.callback(verbRestock, b.onRestock)
}

// restockRow adds the "notify me" row to the card of a product whose chosen
// variant is sold out: "Don't notify me" when the shopper waits for it already.
func (b *Bot) restockRow(ctx context.Context, r *request, k *keyboard, p catalog.Product, chosen catalog.Variant) error {
	if chosen.Available() > 0 || r.userID() == 0 {
		return nil
	}
	subscribed, err := b.catalog.RestockSubscribed(ctx, r.userID(), chosen.ID)
	if err != nil {
		return err
	}
	if subscribed {
		k.row(button(b.label(r.lang, "rem_btn_unnotify"), verbRestock, p.ID, chosen.ID, 0))
		return nil
	}
	k.row(button(b.label(r.lang, "rem_btn_notify"), verbRestock, p.ID, chosen.ID, 1))
	return nil
}

// onRestock subscribes the shopper to a sold-out variant or stops, and shows the
// card again: nr:<product>:<variant>:<on>. A variant back in stock meanwhile is
// said so, and its card offers it.
func (b *Bot) onRestock(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 3)
	if err != nil || a[2] > 1 || a[2] < 0 {
		return errStaleButton
	}
	product, variant := core.ProductID(a[0]), core.VariantID(a[1])
	if _, _, err := b.shopperProduct(ctx, product); err != nil {
		return err
	}
	if a[2] == 0 {
		if err := b.catalog.UnsubscribeRestock(ctx, r.userID(), variant); err != nil {
			return err
		}
		r.answer(b.label(r.lang, "rem_unsubscribed"))
		return b.showProduct(ctx, r, product, variant, 1)
	}
	switch err := b.catalog.SubscribeRestock(ctx, r.userID(), variant); {
	case errors.Is(err, catalog.ErrInStock):
		r.answer(b.label(r.lang, "rem_in_stock"))
	case core.ErrorCode(err) == core.ENOTFOUND:
		return errProductGone
	case err != nil:
		return err
	default:
		r.answer(b.label(r.lang, "rem_subscribed"))
	}
	return b.showProduct(ctx, r, product, variant, 1)
}
