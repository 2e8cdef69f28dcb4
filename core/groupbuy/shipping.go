package groupbuy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// The shipping of the goods to the pickup points is known when they arrive:
// the organizer enters it, once, and it is split among the paid places
// collected at a pickup point in proportion to their goods (Split: the largest
// remainder, the parts adding up to it exactly). Each share is an order of its
// own (order.Group with Line), invoiced by JobShipping. Places shipped to the
// buyer pay their own shipping at payment, and take no share.

// JobShipping makes the orders of the places' shipping shares and sends their
// invoices; key "groupbuy:shipping:<purchase>".
const JobShipping = "groupbuy:shipping"

// Errors of the shipping split.
var (
	ErrShippingSplit = &core.Error{Code: core.ECONFLICT, Message: "the shipping was split already"}
	ErrNoShares      = &core.Error{Code: core.ECONFLICT, Message: "no paid place is collected at a pickup point"}
)

// ShippingShare is a paid place's weight in the split (its goods) and its
// share, as the store reads and records them.
type ShippingShare struct {
	Place PlaceID
	Goods int64
	Share int64
}

// SplitShipping splits the shipping of a purchase's goods to its pickup
// points among its paid places collected there; the actor must be its
// organizer. ErrClosed before the goods are on their way (STOP),
// ErrShippingSplit, ErrNoShares.
func (s *Service) SplitShipping(ctx context.Context, actor core.UserID, id ID, total core.Money) ([]ShippingShare, error) {
	if err := s.organizes(ctx, actor, id); err != nil {
		return nil, err
	}
	return s.store.SplitShipping(ctx, id, func(p *Purchase, shares []ShippingShare) ([]core.Job, error) {
		switch {
		case p.Status != StatusStopped && p.Status != StatusArrived:
			return nil, ErrClosed
		case p.ShippingTotal.Amount > 0:
			return nil, ErrShippingSplit
		case total.Currency != p.Currency() || total.Amount <= 0:
			return nil, core.Errorf(core.EINVALID, "the shipping is a positive sum in the purchase's currency")
		case len(shares) == 0:
			return nil, ErrNoShares
		}
		weights := make([]int64, len(shares))
		for i, sh := range shares {
			weights[i] = sh.Goods
		}
		for i, part := range Split(total.Amount, weights) {
			shares[i].Share = part
		}
		p.ShippingTotal = total
		payload, _ := json.Marshal(CloseJob{Purchase: p.ID})
		return []core.Job{{Kind: JobShipping, Key: fmt.Sprintf("%s:%d", JobShipping, p.ID), Payload: payload}}, nil
	})
}

// ShippingLine names a shipping share's order line.
const ShippingLine = "Доставка до пункта выдачи / Shipping to the pickup point"

// OrderShipping makes the orders of a purchase's shipping shares and calls
// send with each awaiting its invoice (JobShipping); run again, it skips the
// ones whose invoice went.
func (s *Service) OrderShipping(ctx context.Context, id ID, send func(order.Order) error) error {
	p, err := s.store.Purchase(ctx, id)
	if err != nil || p.ShippingTotal.Amount == 0 {
		return err
	}
	places, err := s.store.ShippingToInvoice(ctx, id)
	if err != nil {
		return err
	}
	for _, pl := range places {
		o, err := s.orders.Checkout(ctx, order.CheckoutRequest{
			Key:     fmt.Sprintf("gbship:%d:%d", id, pl.ID),
			BuyerID: pl.Buyer, ShopID: p.Shop,
			Items:    []order.Item{{VariantID: pl.Variant, Quantity: 1}},
			Delivery: order.DeliveryPickup, PickupPointID: pl.Pickup,
			Group: &order.Group{Purchase: id, Price: pl.Shipping, Fee: core.Money{Currency: p.Currency()},
				Until: s.clock.Now().Add(p.PayWindow), Line: ShippingLine},
		})
		if _, app := errors.AsType[*core.Error](err); app {
			continue // (its pickup point archived since, say): the organizer's roster shows it
		}
		if err != nil {
			return fmt.Errorf("shipping order of place %d: %w", pl.ID, err)
		}
		if err := s.store.SetShippingOrder(ctx, pl.ID, o.ID); err != nil {
			return err
		}
		if o.Status == order.StatusAwaitingPayment && o.InvoiceMessageID == 0 {
			if err := send(o); err != nil {
				return err
			}
		}
	}
	return nil
}
