package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/teambuy"
)

// seedTeams gives the Stars shop's sticker pack a team price (3 people, 20 %
// off) and an open team Алия started and paid for: a visitor joins it from
// its card (t.me/<bot>?start=tm_<id>, or the product's card). Seeded once: a
// restart finds the offer.
func seedTeams(ctx context.Context, d Deps, stars catalog.Shop) error {
	products, _, err := d.Catalog.Products(ctx, catalog.ProductFilter{ShopID: stars.ID, Query: "Котики", Limit: 1})
	if err != nil {
		return fmt.Errorf("find the sticker pack: %w", err)
	}
	if len(products) == 0 {
		return errors.New("the Stars shop has no sticker pack")
	}
	p := products[0]
	if _, err := d.Teams.Offer(ctx, p.ID); err == nil {
		return nil
	} else if !errors.Is(err, teambuy.ErrNoOffer) {
		return err
	}
	if err := d.Teams.SetOffer(ctx, core.UserID(Seller.ID), teambuy.Offer{Product: p.ID, Size: 3, DiscountBP: 2000}); err != nil {
		return fmt.Errorf("the sticker pack's team price: %w", err)
	}
	aliya := Shoppers[2]
	team, o, err := d.Teams.Start(ctx, core.UserID(aliya.ID), p.Variants[0].ID, p.ID, 0)
	if err != nil {
		return fmt.Errorf("the open team of Алия: %w", err)
	}
	if _, _, err := d.Orders.RecordPayment(ctx, order.Payment{OrderID: o.ID, BuyerID: o.BuyerID, Total: o.Total,
		TelegramChargeID: fmt.Sprintf("demo-team-%d", team.ID)}); err != nil {
		return fmt.Errorf("the payment of Алия's place: %w", err)
	}
	return nil
}
