package telegram

import (
	"context"

	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Callback verbs of broadcasts.
const (
	verbAdminBroadcasts = "abr" // abr:<shop>: the shop's broadcasts in the admin menu
)

// broadcastRoutes registers the commands, verbs and conversations of broadcasts.
func (b *Bot) broadcastRoutes(r *router) {}

// subscribeRow adds the shop card's subscribe / unsubscribe row to k.
func (b *Bot) subscribeRow(ctx context.Context, r *request, k *keyboard, shop catalog.Shop) error {
	return nil
}
