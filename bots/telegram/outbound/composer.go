// Package outbound composes what the bot writes on its own, for the workers to
// send: order notifications, reminders, back-in-stock alerts, review requests,
// card refund requests, orphan payment notices and reconciliation reports. Each
// is a core.Message (the Bot API call, in the recipient's language, and an
// idempotency key); the workers' sender delivers it through telegram.Bot.Deliver.
package outbound

import (
	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Composer composes the messages the workers send. Create it with New and hand it
// to telegram.New.
type Composer struct {
	k         *telegram.Bot
	api       *telego.Bot
	catalog   *catalog.Service
	clock     core.Clock
	operators map[core.UserID]bool
	orders    *order.Service
	orphans   *orphan.Service
	users     *user.Service
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Composer {
	return &Composer{
		api:       d.API,
		catalog:   d.Catalog,
		clock:     d.Clock,
		operators: telegram.OperatorSet(d.Operators),
		orders:    d.Orders,
		orphans:   d.Orphans,
		users:     d.Users,
	}
}

// Register keeps the kernel and registers the feature with r (telegram.Composer).
func (b *Composer) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
}
