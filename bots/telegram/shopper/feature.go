// Package shopper is the shopper's side of the bot: the shops, their catalogs and
// search, inline sharing, the cart, checkout, payment (invoices, shipping and
// pre-checkout queries, successful payments) and the shopper's orders, with the
// back-in-stock subscription of a sold-out product.
package shopper

import (
	"log/slog"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Feature is the shopper feature of the bot. Create it with New and hand it to
// telegram.New.
type Feature struct {
	k             *telegram.Bot
	api           *telego.Bot
	catalog       *catalog.Service
	clock         core.Clock
	log           *slog.Logger
	operators     map[core.UserID]bool
	orders        *order.Service
	orphans       *orphan.Service
	providerToken string
	username      string
	users         *user.Service
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{
		api:           d.API,
		catalog:       d.Catalog,
		clock:         d.Clock,
		log:           d.Log,
		operators:     telegram.OperatorSet(d.Operators),
		orders:        d.Orders,
		orphans:       d.Orphans,
		providerToken: d.ProviderToken,
		username:      d.Username,
		users:         d.Users,
	}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	b.shopperRoutes(r)
	r.AddTexts(shopperTexts())
	b.reminderRoutes(r)
}
