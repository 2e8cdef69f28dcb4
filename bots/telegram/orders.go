package telegram

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// The shopper's orders: /orders, one order, pay again, cancel, confirm receipt.

const ordersPerPage = 8

func (b *Bot) cmdOrders(ctx context.Context, r *request, _ string) error {
	return b.showOrders(ctx, r, 0)
}

func (b *Bot) onOrders(ctx context.Context, r *request, d callbackData) error {
	page, err := d.Int(0)
	if err != nil || page < 0 {
		return errStaleButton
	}
	return b.showOrders(ctx, r, int(page))
}

func (b *Bot) showOrders(ctx context.Context, r *request, page int) error {
	me := r.userID()
	orders, total, err := b.orders.Orders(ctx, me, order.Filter{BuyerID: &me, Limit: ordersPerPage, Offset: page * ordersPerPage})
	if err != nil {
		return fmt.Errorf("list orders: %w", err)
	}
	if total == 0 {
		kb := (&keyboard{}).row(button(b.label(r.lang, "btn_shops"), verbShops, 0)).markup()
		return b.show(ctx, r, view{text: b.t(r.lang, "orders_empty"), kb: kb})
	}
	k := &keyboard{}
	for _, o := range orders {
		k.row(button(b.label(r.lang, "btn_order", o.ID, formatMoney(r.lang, o.Total), b.statusText(r.lang, o.Status)), verbOrder, o.ID))
	}
	b.pager(k, r.lang, page, pageCount(total, ordersPerPage), verbOrders)
	k.row(button(b.label(r.lang, "btn_shops"), verbShops, 0))
	return b.show(ctx, r, view{text: b.t(r.lang, "orders_title"), kb: k.markup()})
}

// statusText names an order status in lang.
func (b *Bot) statusText(lang string, s order.Status) string {
	return b.t(lang, "status_"+string(s))
}

// orderArg reads the order id of "<verb>:<order>".
func orderArg(d callbackData) (core.OrderID, error) {
	if err := d.want(1); err != nil {
		return 0, errStaleButton
	}
	id, err := d.Int(0)
	if err != nil {
		return 0, errStaleButton
	}
	return core.OrderID(id), nil
}

func (b *Bot) onOrder(ctx context.Context, r *request, d callbackData) error {
	id, err := orderArg(d)
	if err != nil {
		return err
	}
	return b.showOrder(ctx, r, id)
}

func (b *Bot) showOrder(ctx context.Context, r *request, id core.OrderID) error {
	o, err := b.orders.Order(ctx, r.userID(), id)
	if err != nil {
		return err
	}
	v, err := b.orderView(ctx, r.lang, o)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

// orderView renders an order for its buyer, with what they may do with it.
func (b *Bot) orderView(ctx context.Context, lang string, o order.Order) (view, error) {
	shopName := ""
	if shop, err := b.catalog.Shop(ctx, o.ShopID); err == nil {
		shopName = shop.Name
	} else if !userFacing(err) {
		return view{}, err
	}
	lines := b.orderLines(lang, o)
	var extra []string
	delivery, err := b.deliveryText(ctx, lang, o)
	if err != nil {
		return view{}, err
	}
	extra = append(extra, delivery)
	if !o.ShippingTotal.IsZero() {
		extra = append(extra, b.t(lang, "order_shipping_cost", formatMoney(lang, o.ShippingTotal)))
	}
	if o.TrackingNote != "" {
		extra = append(extra, b.t(lang, "order_tracking", o.TrackingNote))
	}
	now := b.clock.Now()
	if o.Status == order.StatusAwaitingPayment && o.ReservedUntil.After(now) {
		extra = append(extra, b.t(lang, "order_reserved_left", b.duration(lang, o.ReservedUntil.Sub(now))))
	}
	text := b.t(lang, "order_detail", o.ID, shopName, b.statusText(lang, o.Status),
		htmlText(strings.Join(lines, "\n")), htmlText(strings.Join(extra, "\n")), formatMoney(lang, o.Total))

	k := &keyboard{}
	switch o.Status {
	case order.StatusAwaitingPayment:
		k.row(button(b.label(lang, "btn_order_pay"), verbOrderPay, o.ID))
		k.row(button(b.label(lang, "btn_order_cancel"), verbOrderCancel, o.ID))
	case order.StatusShipped, order.StatusReadyForPickup:
		k.row(button(b.label(lang, "btn_order_received"), verbOrderDone, o.ID))
	case order.StatusCompleted:
		k.row(button(b.label(lang, "rev_btn_leave"), verbReviewWrite, o.ID))
	}
	k.row(button(b.label(lang, "btn_orders_back"), verbOrders, 0))
	return view{text: text, kb: k.markup()}, nil
}

// orderLines renders an order's lines as HTML, one per line.
func (b *Bot) orderLines(lang string, o order.Order) []string {
	var lines []string
	for _, l := range o.Lines {
		lines = append(lines, b.t(lang, "order_line", l.Title, l.Quantity, formatMoney(lang, l.UnitPrice)))
	}
	return lines
}

// deliveryText says how an order reaches its buyer, as HTML.
func (b *Bot) deliveryText(ctx context.Context, lang string, o order.Order) (string, error) {
	switch o.Delivery {
	case order.DeliveryPickup:
		place, err := b.pickupPlace(ctx, lang, o)
		if err != nil {
			return "", err
		}
		return "📍 " + place, nil
	case order.DeliveryShipping:
		s := "🚚 " + b.t(lang, "delivery_ship")
		if a := o.ShippingAddress; a != nil {
			s += ": " + escape(strings.Join(nonEmpty(a.PostCode, a.CountryCode, a.State, a.City, a.StreetLine1, a.StreetLine2), ", "))
		}
		return s, nil
	}
	return b.t(lang, "delivery_none"), nil
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// onOrderPay sends the invoice of an order awaiting payment again (the first one
// may be far up the chat). A paid or ended order answers why it cannot be paid.
func (b *Bot) onOrderPay(ctx context.Context, r *request, d callbackData) error {
	id, err := orderArg(d)
	if err != nil {
		return err
	}
	o, err := b.orders.Order(ctx, r.userID(), id)
	if err != nil {
		return err
	}
	if err := o.Payable(b.clock.Now()); err != nil {
		return err
	}
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return err
	}
	if err := b.checkPayable(shop); err != nil {
		// The shop lost its card provider since checkout: rather than hold the goods
		// until the reservation ends, give them back now.
		return b.cancelUnpayable(ctx, r, o, err)
	}
	return b.sendInvoice(ctx, r.chatID, r.lang, shop, o)
}

// cancelUnpayable cancels, for its buyer, an order awaiting payment that cannot be
// paid (why), shows it cancelled and returns why to be explained.
func (b *Bot) cancelUnpayable(ctx context.Context, r *request, o order.Order, why error) error {
	o, err := b.orders.Cancel(ctx, r.userID(), o.ID, unpayableCancelReason)
	if err != nil {
		return err
	}
	v, err := b.orderView(ctx, r.lang, o)
	if err != nil {
		return err
	}
	if err := b.show(ctx, r, v); err != nil {
		return err
	}
	return why
}

// onOrderCancel cancels an order awaiting payment; its stock returns at once.
func (b *Bot) onOrderCancel(ctx context.Context, r *request, d callbackData) error {
	return b.changeMyOrder(ctx, r, d, "order_cancelled", func(id core.OrderID) (order.Order, error) {
		return b.orders.Cancel(ctx, r.userID(), id, buyerCancelReason)
	})
}

// onOrderDone completes a shipped or ready order on the buyer's word.
func (b *Bot) onOrderDone(ctx context.Context, r *request, d callbackData) error {
	return b.changeMyOrder(ctx, r, d, "order_completed", func(id core.OrderID) (order.Order, error) {
		return b.orders.Complete(ctx, r.userID(), id)
	})
}

// changeMyOrder handles "<verb>:<order>", a buyer changing their order: change
// makes the change (the order service checks who may), the buyer is told notice
// and sees the order as it is now.
func (b *Bot) changeMyOrder(ctx context.Context, r *request, d callbackData, notice string,
	change func(core.OrderID) (order.Order, error)) error {
	id, err := orderArg(d)
	if err != nil {
		return err
	}
	o, err := change(id)
	if err != nil {
		return err
	}
	r.answer(b.t(r.lang, notice))
	v, err := b.orderView(ctx, r.lang, o)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}
