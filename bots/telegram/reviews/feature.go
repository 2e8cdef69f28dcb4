// Package reviews is reviews in the bot: shoppers write them after an order
// and read them from the product card; sellers reply and report; platform
// operators moderate what was reported.
package reviews

import (
	"log/slog"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/review"
)

// Feature is the reviews feature of the bot. Create it with New and hand it to
// telegram.New.
type Feature struct {
	k       *telegram.Bot
	api     *telego.Bot
	catalog *catalog.Service
	dialogs dialog.Store
	log     *slog.Logger
	reviews *review.Service
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{
		api:     d.API,
		catalog: d.Catalog,
		dialogs: d.Dialogs,
		log:     d.Log,
		reviews: d.Reviews,
	}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	b.reviewRoutes(r)
}
