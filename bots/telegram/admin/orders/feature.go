// Package orders is the staff's side of orders in the seller's menu: the lists
// by state, an order's card, shipping with a tracking note, pickup, completion,
// cancellation and card refunds, and the shop's totals.
package orders

import (
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/bots/telegram/admin"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Feature is the orders part of the seller's menu. Create it with New and hand
// it to telegram.New after the admin feature it belongs to.
type Feature struct {
	k      *telegram.Bot
	a      *admin.Feature // the seller's menu: its screens and checks
	orders *order.Service
	users  *user.Service
}

// New returns the feature of the admin menu a, taking what it needs from d.
func New(d telegram.Deps, a *admin.Feature) *Feature {
	return &Feature{
		a:      a,
		orders: d.Orders,
		users:  d.Users,
	}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	b.orderRoutes(r)
}
