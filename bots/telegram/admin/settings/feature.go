// Package settings is the part of the seller's menu about the shop itself: /sell
// opens a shop (sell.go) or changes how it is paid; its settings, pickup points,
// shipping options and reminders (settings.go); its staff and their
// invitations (staff.go).
package settings

import (
	"log/slog"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/bots/telegram/admin"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Feature is the settings part of the seller's menu. Create it with New and hand
// it to telegram.New after the admin feature it belongs to.
type Feature struct {
	k             *telegram.Bot
	a             *admin.Feature // the seller's menu: its screens and checks
	api           *telego.Bot
	catalog       *catalog.Service
	log           *slog.Logger
	providerToken string
}

// New returns the feature of the admin menu a, taking what it needs from d.
func New(d telegram.Deps, a *admin.Feature) *Feature {
	return &Feature{
		a:             a,
		api:           d.API,
		catalog:       d.Catalog,
		log:           d.Log,
		providerToken: d.ProviderToken,
	}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	b.settingsRoutes(r)
}
