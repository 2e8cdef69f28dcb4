// Package purchases is the shopper's orders: /orders and the list, an order's card,
// paying an order again, cancelling one awaiting payment and confirming receipt.
package purchases

import (
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/bots/telegram/shopper"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/review"
)

// Feature is the shopper's orders. Create it with New and hand it to telegram.New
// after the shopper feature it belongs to.
type Feature struct {
	k       *telegram.Bot
	s       *shopper.Feature // the shopper's side: checkout and invoices
	catalog *catalog.Service
	clock   core.Clock
	orders  *order.Service
	reviews *review.Service
}

// New returns the shopper's orders of the shopper's side s, taking what it needs
// from d.
func New(d telegram.Deps, s *shopper.Feature) *Feature {
	return &Feature{s: s, catalog: d.Catalog, clock: d.Clock, orders: d.Orders, reviews: d.Reviews}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	b.ordersRoutes(r)
}
