package purchases

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// The shopper's orders: /orders, one order, pay again, cancel, confirm receipt.

const ordersPerPage = 8

func (b *Feature) cmdOrders(ctx context.Context, r *telegram.Request, _ string) error {
	return b.showOrders(ctx, r, 0)
}

func (b *Feature) onOrders(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	page, err := d.Int(0)
	if err != nil || page < 0 {
		return telegram.ErrStaleButton
	}
	return b.showOrders(ctx, r, int(page))
}

func (b *Feature) showOrders(ctx context.Context, r *telegram.Request, page int) error {
	me := r.UserID()
	orders, total, err := b.orders.Orders(ctx, me, order.Filter{BuyerID: &me, Limit: ordersPerPage, Offset: page * ordersPerPage})
	if err != nil {
		return fmt.Errorf("list orders: %w", err)
	}
	if total == 0 {
		kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "btn_shops"), telegram.VerbShops, 0)).Markup()
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "orders_empty"), Keyboard: kb})
	}
	k := &telegram.Keyboard{}
	for _, o := range orders {
		k.Row(telegram.Button(b.k.Label(r.Lang, "btn_order", o.ID, telegram.FormatMoney(r.Lang, o.Total), b.k.StatusText(r.Lang, o.Status)), telegram.VerbOrder, o.ID))
	}
	b.k.Pager(k, r.Lang, page, telegram.PageCount(total, ordersPerPage), telegram.VerbOrders)
	k.Row(telegram.Button(b.k.Label(r.Lang, "btn_shops"), telegram.VerbShops, 0))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "orders_title"), Keyboard: k.Markup()})
}

func (b *Feature) onOrder(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.OrderArg(d)
	if err != nil {
		return err
	}
	return b.showOrder(ctx, r, id)
}

func (b *Feature) showOrder(ctx context.Context, r *telegram.Request, id core.OrderID) error {
	o, err := b.orders.Order(ctx, r.UserID(), id)
	if err != nil {
		return err
	}
	v, err := b.orderView(ctx, r.Lang, o)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// orderView renders an order for its buyer, with what they may do with it.
func (b *Feature) orderView(ctx context.Context, lang string, o order.Order) (telegram.View, error) {
	shopName := ""
	if shop, err := b.catalog.Shop(ctx, o.ShopID); err == nil {
		shopName = shop.Name
	} else if !telegram.UserFacing(err) {
		return telegram.View{}, err
	}
	lines := b.k.OrderLines(lang, o)
	var extra []string
	delivery, err := b.k.DeliveryText(ctx, lang, o)
	if err != nil {
		return telegram.View{}, err
	}
	extra = append(extra, delivery)
	if !o.ShippingTotal.IsZero() {
		extra = append(extra, b.k.T(lang, "order_shipping_cost", telegram.FormatMoney(lang, o.ShippingTotal)))
	}
	if o.TrackingNote != "" {
		extra = append(extra, b.k.T(lang, "order_tracking", o.TrackingNote))
	}
	now := b.clock.Now()
	if o.Status == order.StatusAwaitingPayment && o.ReservedUntil.After(now) {
		extra = append(extra, b.k.T(lang, "order_reserved_left", b.k.Duration(lang, o.ReservedUntil.Sub(now))))
	}
	text := b.k.T(lang, "order_detail", o.ID, shopName, b.k.StatusText(lang, o.Status),
		telegram.HTML(strings.Join(lines, "\n")), telegram.HTML(strings.Join(extra, "\n")), telegram.FormatMoney(lang, o.Total))

	k := &telegram.Keyboard{}
	switch o.Status {
	case order.StatusAwaitingPayment:
		k.Row(telegram.Button(b.k.Label(lang, "btn_order_pay"), telegram.VerbOrderPay, o.ID))
		k.Row(telegram.Button(b.k.Label(lang, "btn_order_cancel"), telegram.VerbOrderCancel, o.ID))
	case order.StatusShipped, order.StatusReadyForPickup:
		k.Row(telegram.Button(b.k.Label(lang, "btn_order_received"), telegram.VerbOrderDone, o.ID))
	case order.StatusCompleted:
		// Once every item has its review, the button shows it, not a new one.
		label := "rev_btn_leave"
		if p, err := b.reviews.Purchase(ctx, o.BuyerID, o.ID); err == nil && p.Reviewed() {
			label = "rev_btn_my_review"
		}
		k.Row(telegram.Button(b.k.Label(lang, label), telegram.VerbReviewWrite, o.ID))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_orders_back"), telegram.VerbOrders, 0))
	return telegram.View{Text: text, Keyboard: k.Markup()}, nil
}

// onOrderPay sends the invoice of an order awaiting payment again (the first one
// may be far up the chat). A paid or ended order answers why it cannot be paid.
func (b *Feature) onOrderPay(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.OrderArg(d)
	if err != nil {
		return err
	}
	o, err := b.orders.Order(ctx, r.UserID(), id)
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
	if err := b.s.CheckPayable(shop); err != nil {
		// The shop lost its card provider since checkout: rather than hold the goods
		// until the reservation ends, give them back now.
		return b.cancelUnpayable(ctx, r, o, err)
	}
	return b.s.SendInvoice(ctx, r.ChatID, r.Lang, shop, o)
}

// cancelUnpayable cancels, for its buyer, an order awaiting payment that cannot be
// paid (why), shows it cancelled and returns why to be explained.
func (b *Feature) cancelUnpayable(ctx context.Context, r *telegram.Request, o order.Order, why error) error {
	o, err := b.orders.Cancel(ctx, r.UserID(), o.ID, telegram.UnpayableCancelReason)
	if err != nil {
		return err
	}
	v, err := b.orderView(ctx, r.Lang, o)
	if err != nil {
		return err
	}
	if err := b.k.Show(ctx, r, v); err != nil {
		return err
	}
	return why
}

// onOrderCancel cancels an order awaiting payment; its stock returns at once.
func (b *Feature) onOrderCancel(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	return b.changeMyOrder(ctx, r, d, "order_cancelled", func(id core.OrderID) (order.Order, error) {
		return b.orders.Cancel(ctx, r.UserID(), id, telegram.BuyerCancelReason)
	})
}

// onOrderDone completes a shipped or ready order on the buyer's word.
func (b *Feature) onOrderDone(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	return b.changeMyOrder(ctx, r, d, "order_completed", func(id core.OrderID) (order.Order, error) {
		return b.orders.Complete(ctx, r.UserID(), id)
	})
}

// changeMyOrder handles "<verb>:<order>", a buyer changing their order: change
// makes the change (the order service checks who may), the buyer is told notice
// and sees the order as it is now.
func (b *Feature) changeMyOrder(ctx context.Context, r *telegram.Request, d telegram.CallbackData, notice string,
	change func(core.OrderID) (order.Order, error)) error {
	id, err := telegram.OrderArg(d)
	if err != nil {
		return err
	}
	o, err := change(id)
	if err != nil {
		return err
	}
	r.Answer(b.k.T(r.Lang, notice))
	v, err := b.orderView(ctx, r.Lang, o)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// ordersRoutes registers /orders and the screens of the shopper's orders.
func (b *Feature) ordersRoutes(r *telegram.Router) {
	r.Command("orders", b.cmdOrders, "cmd_orders")
	r.Callback(telegram.VerbOrders, b.onOrders)
	r.Callback(telegram.VerbOrder, b.onOrder)
	r.Callback(telegram.VerbOrderNew, telegram.Fresh(b.onOrder))
	r.Callback(telegram.VerbOrderPay, b.onOrderPay)
	r.Callback(telegram.VerbOrderCancel, b.onOrderCancel)
	r.Callback(telegram.VerbOrderDone, b.onOrderDone)
}
