// Package admin is the seller's menu: /admin opens it, one message edited in
// place (menu.go), with the shop's products and categories (products.go,
// product_add.go) and stock, its ledger and bulk import (stock.go). The rest of
// the seller's side are parts of their own that use its screens and checks:
// admin/settings (/sell, settings, reminders, staff), admin/orders (the staff's
// orders) and admin/operator (platform operators: shops, orphan payments).
//
// Callback data never decides who may do what: every handler reads the record it
// names, finds its shop, and asks for the person's role there before showing or
// changing anything (telegram.Bot.ForStaff and the like), and the services check
// the role again.
package admin

import (
	"log/slog"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Feature is the admin feature of the bot. Create it with New and hand it to
// telegram.New.
type Feature struct {
	k             *telegram.Bot
	api           *telego.Bot
	catalog       *catalog.Service
	clock         core.Clock
	dialogs       dialog.Store
	log           *slog.Logger
	orders        *order.Service
	orphans       *orphan.Service
	providerToken string
	users         *user.Service
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{
		api:           d.API,
		catalog:       d.Catalog,
		clock:         d.Clock,
		dialogs:       d.Dialogs,
		log:           d.Log,
		orders:        d.Orders,
		orphans:       d.Orphans,
		providerToken: d.ProviderToken,
		users:         d.Users,
	}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	b.adminRoutes(r)
}
