// Package broadcasts is sellers' broadcasts in the bot: composing one in the
// admin menu, its progress and report, the subscribe button of the shop card,
// and the messages of a broadcast the workers send (BroadcastMessages,
// BroadcastProgress).
package broadcasts

import (
	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Feature is the broadcasts feature of the bot. Create it with New and hand it to
// telegram.New.
type Feature struct {
	k          *telegram.Bot
	api        *telego.Bot
	broadcasts *broadcast.Service
	catalog    *catalog.Service
	dialogs    dialog.Store
	users      *user.Service
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{
		api:        d.API,
		broadcasts: d.Broadcasts,
		catalog:    d.Catalog,
		dialogs:    d.Dialogs,
		users:      d.Users,
	}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	b.broadcastRoutes(r)
}
