// Package bot puts Vitrina's Telegram bot together: the kernel (bots/telegram) and
// its features, each a package of its own, registered in one place for
// cmd/vitrina, the demo and the tests. A feature added later (live drops, group
// buys) is one more line in New.
package bot

import (
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/bots/telegram/admin"
	"github.com/vitrina-shop/vitrina/bots/telegram/admin/operator"
	"github.com/vitrina-shop/vitrina/bots/telegram/admin/orders"
	"github.com/vitrina-shop/vitrina/bots/telegram/admin/settings"
	"github.com/vitrina-shop/vitrina/bots/telegram/broadcasts"
	"github.com/vitrina-shop/vitrina/bots/telegram/drops"
	"github.com/vitrina-shop/vitrina/bots/telegram/groupbuys"
	"github.com/vitrina-shop/vitrina/bots/telegram/outbound"
	"github.com/vitrina-shop/vitrina/bots/telegram/reviews"
	"github.com/vitrina-shop/vitrina/bots/telegram/shopper"
	"github.com/vitrina-shop/vitrina/bots/telegram/shopper/purchases"
	"github.com/vitrina-shop/vitrina/bots/telegram/teams"
)

// Bot is the whole bot: the kernel takes updates (HandleUpdate) and delivers
// messages (Deliver); the composers make what the workers send.
type Bot struct {
	*telegram.Bot
	*outbound.Composer
	// Broadcasts composes the messages of sellers' broadcasts and their progress.
	Broadcasts *broadcasts.Feature
	// Drops posts live drops' lots and sends their invoices (workers/drops.Bot).
	Drops *drops.Feature
	// GroupBuys sends the invoices of group buys' places (workers/groupbuys.Bot).
	GroupBuys *groupbuys.Feature
	// Teams tells team buys' members how their team ended (workers/teams.Bot).
	Teams *teams.Feature
	// Reviews tells a shop's staff of a new review (workers.ReviewComposer).
	Reviews *reviews.Feature
}

// New returns the bot with every feature. It fails as telegram.New does.
func New(d telegram.Deps) (*Bot, error) {
	out, casts, lots, groups, team := outbound.New(d), broadcasts.New(d), drops.New(d), groupbuys.New(d), teams.New(d)
	seller, buyer, revs := admin.New(d), shopper.New(d), reviews.New(d)
	k, err := telegram.New(d, buyer, purchases.New(d, buyer), seller, settings.New(d, seller), orders.New(d, seller),
		operator.New(d, seller), revs, casts, lots, groups, team, out)
	if err != nil {
		return nil, err
	}
	return &Bot{Bot: k, Composer: out, Broadcasts: casts, Drops: lots, GroupBuys: groups, Teams: team, Reviews: revs}, nil
}
