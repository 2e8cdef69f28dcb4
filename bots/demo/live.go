package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/user"
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
	if d.LiveAt != nil {
		if err := seedPastLive(ctx, d, shop); err != nil {
			return fmt.Errorf("the demo KOL's past session: %w", err)
		}
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
		{"Свеча ароматическая", "Кедр", rub(990), 2, 1},
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

// pastFollowers are the followers of Даша's channel who tapped yesterday's
// lots and got nothing (they are not sandbox users: nobody writes to them).
var pastFollowers = []string{"Катя", "Игорь", "Лена", "Максим", "Ольга", "Денис", "Света", "Артём", "Нина", "Павел"}

// pastFollowerIDs start here.
const pastFollowerIDs = 700300

// seedPastLive plays Даша's session of yesterday evening through the services
// on a clock of its own: announced, RSVPs, two lots dropped and rushed, most
// reservations paid, one let run out, and the session ended. Its report goes
// to Даша and the shop's owner when the workers start (its job is due).
func seedPastLive(ctx context.Context, d Deps, shop catalog.Shop) error {
	start := time.Now().Add(-26 * time.Hour).Truncate(time.Hour)
	clock := core.NewFakeClock(start.Add(-3 * time.Hour))
	drops, orders := d.LiveAt(clock)
	kol := core.UserID(KOL.ID)
	for i, name := range pastFollowers {
		if _, err := d.Users.Touch(ctx, user.Seen{ID: core.UserID(pastFollowerIDs + i), FirstName: name, TelegramLang: "ru"}); err != nil {
			return err
		}
	}
	sess, err := drops.Schedule(ctx, kol, live.Session{Shop: shop.ID, Channel: KOLChannelID,
		Title: "Зимний вечер: свечи и термосы", StartsAt: start})
	if err != nil {
		return err
	}
	rsvps := []core.UserID{core.UserID(Shoppers[0].ID), core.UserID(Shoppers[2].ID)}
	for i := range 7 {
		rsvps = append(rsvps, core.UserID(pastFollowerIDs+i))
	}
	for _, u := range rsvps {
		if _, err := drops.RSVP(ctx, u, sess.ID); err != nil {
			return err
		}
	}
	lots := []struct {
		title, variant string
		price          int64
		qty            int
		buyers         []Persona // who get a unit, in order; the last lets it run out
		pay            int       // how many of them pay
	}{
		{"Свеча ароматическая", "Кедр", rub(890), 3, []Persona{Shoppers[0], Shoppers[1], Shoppers[2]}, 2},
		{"Термос 0,5 л", "", rub(1690), 2, []Persona{Shoppers[2], Shoppers[0]}, 2},
	}
	options, err := d.Catalog.ShippingOptions(ctx, shop.ID)
	if err != nil || len(options) == 0 {
		return fmt.Errorf("the shop's shipping options: %v, %w", options, err)
	}
	for _, l := range lots {
		v, err := findVariant(ctx, d, shop, l.title, l.variant)
		if err != nil {
			return err
		}
		if err := drops.Allocate(ctx, core.UserID(Seller.ID), live.Allocation{Session: sess.ID, Variant: v,
			Price: core.Money{Amount: l.price, Currency: shop.Currency}, Quantity: l.qty, PerBuyer: 1}); err != nil {
			return err
		}
	}
	clock.Set(start)
	if _, err := drops.Open(ctx, kol, sess.ID); err != nil {
		return err
	}
	for n, l := range lots {
		clock.Set(start.Add(time.Duration(3+12*n) * time.Minute))
		v, err := findVariant(ctx, d, shop, l.title, l.variant)
		if err != nil {
			return err
		}
		lot, err := drops.Drop(ctx, kol, live.Drop{Session: sess.ID, Variant: v, Duration: 5 * time.Minute})
		if err != nil {
			return err
		}
		// The rush: the buyers first, then followers who find it sold out,
		// a few of them twice.
		var taps []live.Tap
		for i, p := range l.buyers {
			taps = append(taps, live.Tap{Lot: lot.ID, Buyer: core.UserID(p.ID), ID: fmt.Sprintf("demo-past-%d-%d", lot.ID, i), FirstName: p.Name})
		}
		for i, name := range pastFollowers {
			for r := range 1 + i%2 {
				taps = append(taps, live.Tap{Lot: lot.ID, Buyer: core.UserID(pastFollowerIDs + i),
					ID: fmt.Sprintf("demo-past-%d-f%d-%d", lot.ID, i, r), FirstName: name})
			}
		}
		var claimed []live.Tap
		for i, t := range taps {
			clock.Set(lot.StartsAt.Add(time.Duration(4+i*3) * time.Second))
			res, err := drops.Tap(ctx, lot.ID, []live.Tap{t})
			if err != nil {
				return err
			}
			if res[0].Outcome == live.TapClaimed {
				claimed = append(claimed, t)
			}
		}
		for i, t := range claimed {
			o, err := drops.OrderClaim(ctx, lot.ID, t.ID)
			if err != nil {
				return err
			}
			if i >= l.pay {
				// Let run out: the unit goes back to the lot, then to the shop.
				c, err := drops.Claim(ctx, lot.ID, t.ID)
				if err != nil {
					return err
				}
				clock.Set(c.HeldUntil)
				if _, err := orders.Expire(ctx, o.ID); err != nil {
					return err
				}
				if _, err := drops.ReleaseOrder(ctx, lot.ID, o.ID); err != nil {
					return err
				}
				continue
			}
			clock.Advance(40 * time.Second)
			total, err := o.Total.Add(options[0].Price)
			if err != nil {
				return err
			}
			if _, _, err := orders.RecordPayment(ctx, order.Payment{OrderID: o.ID, BuyerID: t.Buyer, Total: total,
				ShippingOptionID: options[0].ID, TelegramChargeID: fmt.Sprintf("demo-live-charge-%d", o.ID),
				ProviderChargeID: fmt.Sprintf("demo-live-provider-%d", o.ID),
				ShippingAddress:  &order.Address{CountryCode: "RU", City: "Москва", StreetLine1: "ул. Арбат, 10, кв. 5", PostCode: "119002"},
			}); err != nil {
				return err
			}
		}
	}
	clock.Set(start.Add(40 * time.Minute))
	_, err = drops.End(ctx, kol, sess.ID)
	return err
}

// findVariant finds a shop's product by title, and its variant by name ("" for
// a product of one variant).
func findVariant(ctx context.Context, d Deps, shop catalog.Shop, title, variant string) (core.VariantID, error) {
	ps, _, err := d.Catalog.Products(ctx, catalog.ProductFilter{ShopID: shop.ID, Query: title, Limit: 1})
	if err != nil || len(ps) == 0 {
		return 0, fmt.Errorf("find %s: %v, %w", title, len(ps), err)
	}
	for _, v := range ps[0].Variants {
		if v.Name == variant {
			return v.ID, nil
		}
	}
	return 0, fmt.Errorf("%s has no variant %q", title, variant)
}
