// Package operator is the platform operators' part of the admin menu: every
// shop, to open or block one, and the payments no order claims (orphan
// payments: refund the Stars ones, mark the card ones resolved).
package operator

import (
	"log/slog"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/bots/telegram/admin"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/orphan"
)

// Feature is the operator part of the seller's menu. Create it with New and hand
// it to telegram.New after the admin feature it belongs to.
type Feature struct {
	k       *telegram.Bot
	a       *admin.Feature // the seller's menu: its screens and checks
	catalog *catalog.Service
	log     *slog.Logger
	orphans *orphan.Service
}

// New returns the feature of the admin menu a, taking what it needs from d.
func New(d telegram.Deps, a *admin.Feature) *Feature {
	return &Feature{
		a:       a,
		catalog: d.Catalog,
		log:     d.Log,
		orphans: d.Orphans,
	}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	b.operatorRoutes(r)
}
