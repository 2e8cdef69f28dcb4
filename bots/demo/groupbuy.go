package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/user"
)

// The group buys of the demo, in Марина's shop: thermoses three units from
// the next tier, posted in the neighbours' chat and the shop's channel;
// canvas shoes gathered in size rows, one size short of a second row;
// beanies stopped, their invoices out, waiting for payments; and scented
// candles paid to join, one unit from the next tier (posted too), whose early
// participants will be owed the difference at STOP.

// neighbours are the people of the neighbours' chat who joined the group buys
// before the demo starts (not sandbox users: nobody writes to them).
var neighbours = []string{"Галина", "Сергей", "Вера", "Тимур", "Зоя", "Руслан"}

// neighbourIDs start here.
const neighbourIDs = 700400

// seedGroupBuys opens the demo's group buys and has people join them, unless
// an earlier run did.
func seedGroupBuys(ctx context.Context, d Deps, shop catalog.Shop) error {
	owner := core.UserID(Seller.ID)
	have, err := d.GroupBuys.ShopPurchases(ctx, owner, shop.ID, 1)
	if err != nil || len(have) > 0 {
		return err
	}
	for i, name := range neighbours {
		if _, err := d.Users.Touch(ctx, user.Seen{ID: core.UserID(neighbourIDs + i), FirstName: name, TelegramLang: "ru"}); err != nil {
			return err
		}
	}
	points, err := d.Catalog.PickupPoints(ctx, shop.ID)
	if err != nil || len(points) == 0 {
		return fmt.Errorf("the shop's pickup points: %v, %w", points, err)
	}
	var pickup []core.PickupPointID
	for _, pp := range points {
		pickup = append(pickup, pp.ID)
	}
	day := time.Now().In(moscowZone).AddDate(0, 0, 3)
	deadline := time.Date(day.Year(), day.Month(), day.Day(), 20, 0, 0, 0, moscowZone)
	type join struct {
		who     core.UserID
		variant string
		qty     int
	}
	ann, alia := core.UserID(Shoppers[0].ID), core.UserID(Shoppers[2].ID)
	n := func(i int) core.UserID { return core.UserID(neighbourIDs + i) }
	for _, g := range []struct {
		product string
		tiers   []int64 // prices in roubles from 1, then at each of from
		from    []int
		min     groupbuy.Minimum
		joins   []join
		stop    bool
		post    bool
		prepaid bool // pay to join: each join is paid
	}{
		{"Термос 0,5 л", []int64{1990, 1790, 1590}, []int{1, 5, 10}, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 5},
			[]join{{ann, "", 2}, {alia, "", 1}, {n(0), "", 1}, {n(1), "", 2}, {n(2), "", 1}}, false, true, false},
		{"Кеды канвас", []int64{3590, 3290}, []int{1, 6}, groupbuy.Minimum{Kind: groupbuy.MinRows, Value: 2},
			[]join{{n(3), "37", 2}, {n(4), "38", 1}, {alia, "38", 1}, {n(5), "39", 1}}, false, false, false},
		{"Шапка бини", []int64{890, 790}, []int{1, 4}, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 3},
			[]join{{ann, "Серая", 1}, {n(0), "Синяя", 2}, {n(3), "Серая", 1}}, true, false, false},
		{"Свеча ароматическая", []int64{1290, 1090, 990}, []int{1, 5, 10}, groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 5},
			[]join{{n(1), "Лаванда", 2}, {n(2), "Кедр", 1}, {n(4), "Лаванда", 1}}, false, true, true},
	} {
		ps, _, err := d.Catalog.Products(ctx, catalog.ProductFilter{ShopID: shop.ID, Query: g.product, Limit: 1})
		if err != nil || len(ps) == 0 {
			return fmt.Errorf("find %s for a group buy: %w", g.product, err)
		}
		prod := ps[0]
		p := groupbuy.Purchase{Shop: shop.ID, Product: prod.ID, Title: prod.Title, FeeBP: 1000, Pickup: pickup,
			Minimum: g.min, Deadline: deadline}
		if g.prepaid {
			p.PayMode = groupbuy.PayToJoin
		}
		for _, v := range prod.Variants {
			p.Variants = append(p.Variants, v.ID)
		}
		for i, price := range g.tiers {
			p.Tiers = append(p.Tiers, groupbuy.Tier{From: g.from[i], Price: core.Money{Amount: rub(price), Currency: shop.Currency}})
		}
		if p, err = d.GroupBuys.Create(ctx, owner, p); err != nil {
			return fmt.Errorf("open the group buy of %s: %w", g.product, err)
		}
		for i, j := range g.joins {
			var v core.VariantID
			for _, pv := range prod.Variants {
				if pv.Name == j.variant {
					v = pv.ID
				}
			}
			_, place, err := d.GroupBuys.Join(ctx, j.who, p.ID, v, j.qty, pickup[i%len(pickup)])
			if err != nil {
				return fmt.Errorf("join the group buy of %s: %w", g.product, err)
			}
			if g.prepaid {
				if err := payPlace(ctx, d, place); err != nil {
					return fmt.Errorf("pay to join the group buy of %s: %w", g.product, err)
				}
			}
		}
		if g.stop {
			if _, err := d.GroupBuys.Stop(ctx, owner, p.ID); err != nil {
				return fmt.Errorf("STOP the group buy of %s: %w", g.product, err)
			}
		}
		if g.post {
			if err := postGroupBuy(ctx, d, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// payPlace pays the order of a place joined in a pay-to-join purchase, as
// its participant did before the demo.
func payPlace(ctx context.Context, d Deps, place groupbuy.Place) error {
	o, err := d.Orders.OrderForSystem(ctx, place.Order)
	if err != nil {
		return err
	}
	_, _, err = d.Orders.RecordPayment(ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, Total: o.Total,
		TelegramChargeID: fmt.Sprintf("demo-gb-charge-%d", o.ID), ProviderChargeID: fmt.Sprintf("demo-gb-provider-%d", o.ID)})
	return err
}

// postGroupBuy posts a purchase's card in the neighbours' chat and the shop's
// channel, as the organizer shares it; the bot keeps both up to date.
func postGroupBuy(ctx context.Context, d Deps, p groupbuy.Purchase) error {
	if d.PostCard == nil {
		return nil
	}
	for _, chat := range []int64{GroupID, ChannelID} {
		if _, err := d.PostCard(ctx, p, chat, "ru"); err != nil {
			return fmt.Errorf("post the group buy in chat %d: %w", chat, err)
		}
	}
	return nil
}

// moscowZone is the time zone the demo's times are in.
var moscowZone = time.FixedZone("MSK", 3*60*60)
