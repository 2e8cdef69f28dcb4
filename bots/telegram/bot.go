// Package telegram is Vitrina's Telegram bot: it turns updates into calls of the
// core services and their results into messages, keyboards and invoices, in the
// user's language.
//
// The bot keeps nothing in memory between updates: conversation state lives in a
// dialog.Store and everything else in the services, so any replica can handle any
// update. HandleUpdate handles one update synchronously; the inbox
// (bots/telegram/inbox) de-duplicates updates, orders them per chat and retries the
// ones that fail.
//
// This package is the kernel: the update dispatch and the Router (router.go), the
// callback-data codec (callback.go), views and sending (send.go, outgoing.go),
// the text catalog (texts.go), formatting and input (format.go, input.go), the
// conversations' mechanics (dialog.go) and the checks of who may see a shop
// (access.go). What the bot does lives in features, a package each (shopper,
// admin, reviews, broadcasts, outbound, ...), which register their commands,
// callback verbs, conversations, texts and additions to each other's screens with
// the Router; bots/telegram/bot puts them together.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/review"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Deps is what the bot needs. Every field but ProviderToken and Operators is
// required.
type Deps struct {
	API        *telego.Bot
	Catalog    *catalog.Service
	Orders     *order.Service
	Orphans    *orphan.Service
	Users      *user.Service
	Reviews    *review.Service
	Broadcasts *broadcast.Service
	// Live runs live drops, and Taps gathers the taps on their lots into
	// batches (one per process).
	Live *live.Service
	Taps *live.Gate
	// GroupBuys runs group buys, Teams team buys.
	GroupBuys *groupbuy.Service
	Teams     *teambuy.Service
	Dialogs   dialog.Store
	Clock     core.Clock
	Log       *slog.Logger
	Username  string // the bot's username without "@", from getMe: deep links point at it

	// ProviderToken is the platform's default card payment provider token, used for
	// card shops without their own. A secret: never logged.
	ProviderToken string
	// Operators are the platform operators (VITRINA_ADMIN_IDS).
	Operators []core.UserID
}

// Bot is Vitrina's Telegram bot. Create it with New; it is safe for concurrent use.
type Bot struct {
	// Texts is the message catalog, in the user's language; its methods are the
	// bot's own (b.T, b.Label) for brevity at the many places that write a text.
	*Texts

	api           *telego.Bot
	catalog       *catalog.Service
	orders        *order.Service
	orphans       *orphan.Service
	users         *user.Service
	reviews       *review.Service
	broadcasts    *broadcast.Service
	dialogs       dialog.Store
	clock         core.Clock
	log           *slog.Logger
	username      string
	providerToken string
	operators     map[core.UserID]bool

	routes *Router
}

// Feature is one part of the bot: the shopper's side, the seller's menu, reviews,
// broadcasts, what the workers send. New hands each the kernel, to call, and a
// Router, to register its commands, callback verbs, conversations, texts and what it
// adds to other features' screens.
type Feature interface {
	Register(k *Bot, r *Router)
}

// New returns a Bot made of the kernel and features, in the order given. It fails
// if a required dependency is missing, or if two features register the same
// command, callback verb, conversation or text key.
func New(d Deps, features ...Feature) (*Bot, error) {
	switch {
	case d.API == nil:
		return nil, errors.New("telegram: Deps.API is nil")
	case d.Catalog == nil, d.Orders == nil, d.Orphans == nil, d.Users == nil, d.Reviews == nil, d.Broadcasts == nil,
		d.Live == nil, d.Taps == nil:
		return nil, errors.New("telegram: Deps.Catalog, Orders, Orphans, Users, Reviews, Broadcasts, Live and Taps are required")
	case d.Dialogs == nil:
		return nil, errors.New("telegram: Deps.Dialogs is nil")
	case d.Clock == nil:
		return nil, errors.New("telegram: Deps.Clock is nil")
	case d.Log == nil:
		return nil, errors.New("telegram: Deps.Log is nil")
	case d.Username == "":
		return nil, errors.New("telegram: Deps.Username is empty (take it from getMe)")
	}
	b := &Bot{
		api:           d.API,
		catalog:       d.Catalog,
		orders:        d.Orders,
		orphans:       d.Orphans,
		users:         d.Users,
		reviews:       d.Reviews,
		broadcasts:    d.Broadcasts,
		dialogs:       d.Dialogs,
		clock:         d.Clock,
		log:           d.Log,
		username:      d.Username,
		providerToken: d.ProviderToken,
		operators:     OperatorSet(d.Operators),
	}
	r := newRouter()
	r.AddTexts(kernelTexts())
	r.AddTexts(reminderTexts())
	r.AddTexts(reconcileTexts())
	for _, f := range features {
		f.Register(b, r)
	}
	if r.err != nil {
		return nil, fmt.Errorf("telegram: %w", r.err)
	}
	texts, err := mergeTexts(r.texts...)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	for _, e := range r.errors {
		if _, ok := texts[e.Key]; !ok {
			return nil, fmt.Errorf("telegram: error %v: no text %q", e.Err, e.Key)
		}
	}
	b.Texts = &Texts{texts: texts, errors: r.errors, log: d.Log}
	b.routes = r
	return b, nil
}

// OperatorSet returns the platform operators as a set.
func OperatorSet(ids []core.UserID) map[core.UserID]bool {
	set := make(map[core.UserID]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// SetCommands sets the command menu with setMyCommands: in Russian for users whose
// Telegram speaks Russian, in English for everyone else.
func (b *Bot) SetCommands(ctx context.Context) error {
	for _, lang := range []string{"", "en", "ru"} {
		textLang := lang
		if textLang == "" {
			textLang = "en"
		}
		var cmds []telego.BotCommand
		for _, c := range b.routes.menu {
			cmds = append(cmds, telego.BotCommand{Command: c.name, Description: b.T(textLang, c.descriptionKey)})
		}
		err := b.api.SetMyCommands(ctx, &telego.SetMyCommandsParams{Commands: cmds, LanguageCode: lang})
		if err != nil {
			return fmt.Errorf("set commands (%q): %w", lang, err)
		}
	}
	return nil
}
