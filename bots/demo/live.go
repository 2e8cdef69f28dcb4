package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/live"
)

// The live drop of the demo: Даша, a KOL who works with Марина's shop, has a
// channel the bot posts in, and a session scheduled a few minutes after the demo
// starts, with candles and mugs allocated to it. A visitor, as Даша, goes live
// (from the bot, or by starting the channel's stream on the sandbox page) and
// drops a lot; as a shopper, taps Buy in the channel; and may let a few hundred
// followers rush the lot from the page.

// KOL is the demo's influencer.
var KOL = Persona{ID: 700201, Name: "Даша", Lang: "ru", Role: "kol"}

// KOLChannelID is Даша's channel.
var KOLChannelID int64 = -1001700000003

// sessionLead is how long after the demo starts Даша's session is scheduled.
const sessionLead = 5 * time.Minute

// seedLive makes Даша a KOL of shop with her channel connected and a session
// scheduled, unless an earlier run did; the sandbox's channel is put back in
// any case.
func seedLive(ctx context.Context, d Deps, shop catalog.Shop) error {
	ch := d.Sandbox.Chat(KOLChannelID)
	if ch == nil {
		ch = d.Sandbox.NewChat(sandbox.ChatSpec{ID: KOLChannelID, Type: sandbox.ChatChannel, Title: "Даша · уютный дом", Username: "dasha_cozy_demo"})
	}
	ch.AddMember(KOL.ID, sandbox.StatusCreator)
	for _, p := range Shoppers {
		ch.AddMember(p.ID, sandbox.StatusMember)
	}
	kol := core.UserID(KOL.ID)
	links, err := d.Live.Links(ctx, kol)
	if err != nil || len(links) > 0 {
		return err
	}
	inv, err := d.Live.Invite(ctx, core.UserID(Seller.ID), shop.ID, 1500)
	if err != nil {
		return fmt.Errorf("invite the demo KOL: %w", err)
	}
	if _, err := d.Live.Accept(ctx, kol, inv.Token); err != nil {
		return fmt.Errorf("the demo KOL accepts: %w", err)
	}
	if _, err := d.Live.ConnectChannel(ctx, kol, live.Channel{Chat: KOLChannelID, Title: "Даша · уютный дом", Username: "dasha_cozy_demo", CanPost: true}); err != nil {
		return fmt.Errorf("connect the demo KOL's channel: %w", err)
	}
	sess, err := d.Live.Schedule(ctx, kol, live.Session{Shop: shop.ID, Channel: KOLChannelID,
		Title: "Уют к Новому году: свечи и кружки", StartsAt: time.Now().Add(sessionLead).Truncate(time.Minute)})
	if err != nil {
		return fmt.Errorf("schedule the demo session: %w", err)
	}
	// Two of the followers asked to be reminded.
	for _, p := range []Persona{Shoppers[0], Shoppers[2]} {
		if _, err := d.Live.RSVP(ctx, core.UserID(p.ID), sess.ID); err != nil {
			return fmt.Errorf("RSVP of %s: %w", p.Name, err)
		}
	}
	for _, a := range []struct {
		title, variant string
		price          int64
		qty, perBuyer  int
	}{
		{"Свеча ароматическая", "Лаванда", rub(990), 4, 2},
		{"Кружка керамическая", "", rub(590), 6, 2},
	} {
		ps, _, err := d.Catalog.Products(ctx, catalog.ProductFilter{ShopID: shop.ID, Query: a.title, Limit: 1})
		if err != nil || len(ps) == 0 {
			return fmt.Errorf("find %s to allocate: %w", a.title, err)
		}
		for _, v := range ps[0].Variants {
			if v.Name != a.variant {
				continue
			}
			if err := d.Live.Allocate(ctx, core.UserID(Seller.ID), live.Allocation{Session: sess.ID, Variant: v.ID,
				Price: core.Money{Amount: a.price, Currency: shop.Currency}, Quantity: a.qty, PerBuyer: a.perBuyer}); err != nil {
				return fmt.Errorf("allocate %s: %w", a.title, err)
			}
		}
	}
	return nil
}
