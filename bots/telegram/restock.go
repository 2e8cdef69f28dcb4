package telegram

import (
	"context"

	"github.com/vitrina-shop/vitrina/core/catalog"
)

// reminderRoutes registers the commands, verbs and conversations of reminders
// and back-in-stock alerts.
func (b *Bot) reminderRoutes(r *router) {}

// restockRow adds the "notify me" row to the card of a product whose chosen
// variant is sold out.
func (b *Bot) restockRow(ctx context.Context, r *request, k *keyboard, p catalog.Product, chosen catalog.Variant) error {
	return nil
}
