package telegram

import (
	"context"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Orders in the admin menu: lists by state, one order with its payments and what
// can be done with it (ship with a tracking note, ready for pickup, complete,
// cancel after a confirmation, confirm that a card payment was refunded at the
// provider). The buyer is notified of each change by the services' outbox
// (order.JobNotify -> NotifyOrder).

const adminOrdersPerPage = 8

// Codes of the order lists in callback data.
const (
	orderGroupAwaiting  = "w"
	orderGroupPaid      = "p"
	orderGroupShipped   = "s"
	orderGroupReady     = "r"
	orderGroupCompleted = "c"
	orderGroupCancelled = "x"
)

// orderGroup is a list of orders of the admin menu and the statuses it holds.
type orderGroup struct {
	code     string
	key      string // text of its tab
	statuses []order.Status
}

// orderGroups are the order lists, in the order of their tabs.
var orderGroups = []orderGroup{
	{orderGroupAwaiting, "adm_orders_awaiting", []order.Status{order.StatusAwaitingPayment}},
	{orderGroupPaid, "adm_orders_paid", []order.Status{order.StatusPaid}},
	{orderGroupShipped, "adm_orders_shipped", []order.Status{order.StatusShipped}},
	{orderGroupReady, "adm_orders_ready", []order.Status{order.StatusReadyForPickup}},
	{orderGroupCompleted, "adm_orders_completed", []order.Status{order.StatusCompleted}},
	{orderGroupCancelled, "adm_orders_cancelled", []order.Status{
		order.StatusCancelled, order.StatusExpired, order.StatusRefundPending, order.StatusRefunded,
	}},
}

// groupOf returns the code of the list that holds orders of status s.
func groupOf(s order.Status) string {
	for _, g := range orderGroups {
		for _, gs := range g.statuses {
			if gs == s {
				return g.code
			}
		}
	}
	return orderGroupPaid
}

func (b *Bot) onAdminOrders(ctx context.Context, r *request, d callbackData) error {
	if err := d.want(3); err != nil {
		return errStaleButton
	}
	shopID, err1 := d.Int(0)
	page, err2 := d.Int(2)
	if err1 != nil || err2 != nil || page < 0 {
		return errStaleButton
	}
	var group *orderGroup
	for i := range orderGroups {
		if orderGroups[i].code == d.Str(1) {
			group = &orderGroups[i]
		}
	}
	if group == nil {
		return errStaleButton
	}
	return b.showAdminOrders(ctx, r, core.ShopID(shopID), *group, int(page))
}

// showAdminOrders shows a page of a shop's orders of one list, with the tabs of
// all lists and their counts.
func (b *Bot) showAdminOrders(ctx context.Context, r *request, shopID core.ShopID, group orderGroup, page int) error {
	shop, _, err := b.staffShop(ctx, r, shopID)
	if err != nil {
		return err
	}
	lang := r.lang
	k := &keyboard{}
	var tabs []telegoButton
	for _, g := range orderGroups {
		_, n, err := b.orders.Orders(ctx, r.userID(), order.Filter{ShopID: &shop.ID, Statuses: g.statuses, Limit: 1})
		if err != nil {
			return err
		}
		label := b.label(lang, g.key, n)
		if g.code == group.code {
			label = "• " + label + " •"
		}
		tabs = append(tabs, button(label, verbAdminOrders, shop.ID, g.code, 0))
		if len(tabs) == 3 {
			k.row(tabs...)
			tabs = nil
		}
	}
	k.row(tabs...)
	orders, total, err := b.orders.Orders(ctx, r.userID(), order.Filter{
		ShopID: &shop.ID, Statuses: group.statuses, Limit: adminOrdersPerPage, Offset: page * adminOrdersPerPage,
	})
	if err != nil {
		return err
	}
	for _, o := range orders {
		label := b.label(lang, "adm_btn_order", o.ID, formatMoney(lang, o.Total), b.buyerName(ctx, o.BuyerID),
			o.CreatedAt.UTC().Format("02.01"))
		k.row(button(label, verbAdminOrder, o.ID))
	}
	pages := pageCount(total, adminOrdersPerPage)
	b.pager(k, lang, page, pages, verbAdminOrders, shop.ID, group.code)
	k.row(button(b.label(lang, "btn_back"), verbAdminMenu, shop.ID))
	text := b.t(lang, "adm_orders", shop.Name, b.t(lang, group.key, total))
	if total == 0 {
		text += "\n" + b.t(lang, "adm_orders_empty")
	}
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// buyerName is a buyer's first name, for lists.
func (b *Bot) buyerName(ctx context.Context, id core.UserID) string {
	u, err := b.users.User(ctx, id)
	if err != nil || u.FirstName == "" {
		return "#" + formatID(id)
	}
	return u.FirstName
}

// staffOrder returns an order and its shop to the shop's staff. The buyer of an
// order who is not staff gets catalog.ErrNotStaff; anyone else
// order.ErrOrderNotFound.
func (b *Bot) staffOrder(ctx context.Context, r *request, id core.OrderID) (order.Order, catalog.Shop, error) {
	o, err := b.orders.Order(ctx, r.userID(), id)
	if err != nil {
		return order.Order{}, catalog.Shop{}, err
	}
	shop, _, err := b.staffShop(ctx, r, o.ShopID)
	if err != nil {
		return order.Order{}, catalog.Shop{}, err
	}
	return o, shop, nil
}

// showAdminOrder shows an order to its shop's staff: ao:<order>, aon:<order> (the
// button of staff notifications).
func (b *Bot) showAdminOrder(ctx context.Context, r *request, id core.OrderID) error {
	o, shop, err := b.staffOrder(ctx, r, id)
	if err != nil {
		return err
	}
	v, err := b.adminOrderView(ctx, r, o, shop)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

// adminOrderView renders an order, with its payments, for the shop's staff member
// r is from.
func (b *Bot) adminOrderView(ctx context.Context, r *request, o order.Order, shop catalog.Shop) (view, error) {
	lang := r.lang
	payments, err := b.orders.Payments(ctx, r.userID(), o.ID)
	if err != nil {
		return view{}, err
	}
	lines := []string{
		b.t(lang, "adm_order", o.ID, shop.Name, b.statusText(lang, o.Status)),
		b.t(lang, "adm_order_created", o.CreatedAt.UTC().Format("2006-01-02 15:04")),
	}
	if !o.PaidAt.IsZero() {
		lines = append(lines, b.t(lang, "adm_order_paid_at", o.PaidAt.UTC().Format("2006-01-02 15:04")))
	}
	lines = append(lines, "")
	lines = append(lines, b.orderLines(lang, o)...)
	lines = append(lines, "")
	if !o.ShippingTotal.IsZero() {
		lines = append(lines, b.t(lang, "adm_order_items", formatMoney(lang, o.ItemsTotal)))
		lines = append(lines, b.t(lang, "order_shipping_cost", formatMoney(lang, o.ShippingTotal)))
	}
	lines = append(lines, b.t(lang, "adm_order_total", formatMoney(lang, o.Total)), "")
	lines = append(lines, b.t(lang, "adm_order_buyer", b.userLabel(ctx, o.BuyerID)))
	if c := o.Contact; c != nil {
		lines = append(lines, b.t(lang, "adm_order_contact", strings.Join(nonEmpty(c.Name, c.Phone, c.Email), ", ")))
	}
	delivery, err := b.deliveryText(ctx, lang, o)
	if err != nil {
		return view{}, err
	}
	lines = append(lines, delivery)
	if o.TrackingNote != "" {
		lines = append(lines, b.t(lang, "order_tracking", o.TrackingNote))
	}
	if o.CancelReason != "" {
		lines = append(lines, b.t(lang, "adm_order_cancel_reason", o.CancelReason))
	}
	if !o.PaidAt.IsZero() && (o.Status == order.StatusCancelled || o.Status == order.StatusRefundPending) {
		if o.Total.Currency == core.Stars {
			lines = append(lines, b.t(lang, "adm_order_refund_stars", formatMoney(lang, o.Total)))
		} else {
			lines = append(lines, b.t(lang, "adm_order_refund_card", formatMoney(lang, o.Total)))
		}
	}
	if len(payments) > 0 {
		lines = append(lines, "", b.t(lang, "adm_order_payments"))
		for _, ch := range payments {
			lines = append(lines, b.paymentLine(lang, ch))
		}
	}

	k := &keyboard{}
	for _, ch := range payments {
		if cardRefundToConfirm(ch) {
			k.row(button(b.label(lang, "adm_btn_refunded", formatMoney(lang, ch.Amount)), verbAdminRefundAsk, o.ID, ch.ID))
		}
	}
	switch o.Status {
	case order.StatusPaid:
		if o.Delivery == order.DeliveryPickup {
			k.row(button(b.label(lang, "adm_btn_ready"), verbAdminReady, o.ID))
		} else {
			k.row(button(b.label(lang, "adm_btn_ship"), verbAdminShip, o.ID))
		}
		k.row(button(b.label(lang, "adm_btn_cancel_order"), verbAdminCancelAsk, o.ID))
	case order.StatusAwaitingPayment:
		k.row(button(b.label(lang, "adm_btn_cancel_order"), verbAdminCancelAsk, o.ID))
	case order.StatusReadyForPickup:
		k.row(button(b.label(lang, "adm_btn_complete"), verbAdminComplete, o.ID))
		k.row(button(b.label(lang, "adm_btn_cancel_order"), verbAdminCancelAsk, o.ID))
	case order.StatusShipped:
		k.row(button(b.label(lang, "adm_btn_complete"), verbAdminComplete, o.ID))
	}
	k.row(button(b.label(lang, "adm_btn_orders_back"), verbAdminOrders, shop.ID, groupOf(o.Status), 0))
	return view{text: strings.Join(lines, "\n"), kb: k.markup()}, nil
}

// paymentLine writes one payment of an order for staff, as HTML: the amount, what
// became of it, and the ids to find it by at the provider and at Telegram.
func (b *Bot) paymentLine(lang string, ch order.Charge) string {
	line := b.t(lang, "adm_order_payment", formatMoney(lang, ch.Amount), b.t(lang, "charge_"+string(ch.Status)))
	if ch.ProviderChargeID != "" {
		line += b.t(lang, "adm_order_payment_provider_id", ch.ProviderChargeID)
	}
	return line + b.t(lang, "adm_order_payment_telegram_id", ch.TelegramChargeID)
}

// cardRefundToConfirm reports whether staff are to refund a payment at the card
// provider and confirm it. Stars are refunded by the worker (workers.Refunder), so
// they never are.
func cardRefundToConfirm(ch order.Charge) bool {
	return ch.Status == order.ChargeRefundPending && ch.Amount.Currency != core.Stars
}

// staffPayment returns an order, its shop and one of its payments by id to the
// shop's staff; order.ErrChargeNotFound if the order has no such payment.
func (b *Bot) staffPayment(ctx context.Context, r *request, d callbackData) (order.Order, catalog.Shop, order.Charge, error) {
	a, err := intArgs(d, 2)
	if err != nil {
		return order.Order{}, catalog.Shop{}, order.Charge{}, err
	}
	o, shop, err := b.staffOrder(ctx, r, core.OrderID(a[0]))
	if err != nil {
		return order.Order{}, catalog.Shop{}, order.Charge{}, err
	}
	payments, err := b.orders.Payments(ctx, r.userID(), o.ID)
	if err != nil {
		return order.Order{}, catalog.Shop{}, order.Charge{}, err
	}
	for _, ch := range payments {
		if ch.ID == core.PaymentID(a[1]) {
			return o, shop, ch, nil
		}
	}
	return order.Order{}, catalog.Shop{}, order.Charge{}, order.ErrChargeNotFound
}

// onAdminRefundAsk asks staff to confirm that they refunded a card payment at the
// provider, since the buyer is told the money is back: arfa:<order>:<payment>.
func (b *Bot) onAdminRefundAsk(ctx context.Context, r *request, d callbackData) error {
	o, _, ch, err := b.staffPayment(ctx, r, d)
	if err != nil {
		return err
	}
	if !cardRefundToConfirm(ch) {
		if ch.Status == order.ChargeRefunded {
			r.answer(b.label(r.lang, "adm_refund_done"))
			return b.showAdminOrder(ctx, r, o.ID)
		}
		return order.ErrTransition
	}
	text := b.t(r.lang, "adm_refund_ask", formatMoney(r.lang, ch.Amount), o.ID) + "\n\n" + b.paymentLine(r.lang, ch)
	k := &keyboard{}
	k.row(button(b.label(r.lang, "adm_btn_refund_yes"), verbAdminRefund, o.ID, ch.ID))
	k.row(button(b.label(r.lang, "adm_btn_cancel_no"), verbAdminOrder, o.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// onAdminRefund records that staff refunded a card payment at the provider
// (order.Service.ConfirmRefund, which checks the role and notifies the buyer
// through the outbox): arfy:<order>:<payment>. A second tap changes nothing.
func (b *Bot) onAdminRefund(ctx context.Context, r *request, d callbackData) error {
	o, shop, ch, err := b.staffPayment(ctx, r, d)
	if err != nil {
		return err
	}
	if ch.Amount.Currency == core.Stars {
		return order.ErrTransition // refunded by the worker, through Telegram
	}
	o, err = b.orders.ConfirmRefund(ctx, r.userID(), o.ID, ch.TelegramChargeID)
	if err != nil {
		return err
	}
	r.answer(b.label(r.lang, "adm_refund_done"))
	v, err := b.adminOrderView(ctx, r, o, shop)
	if err != nil {
		return err
	}
	return b.show(ctx, r, v)
}

// Steps of the ship conversation.
const stepShipNote = "o.track"

// shipDialog is an order about to be marked shipped.
type shipDialog struct {
	OrderID core.OrderID `json:"order_id"`
}

// maxTrackingNote bounds a tracking note, as the order service keeps it.
const maxTrackingNote = 500

// forStaffOrder adapts fn to the callback "<verb>:<order>" of a screen for the
// staff of the order's shop (staffOrder).
func (b *Bot) forStaffOrder(fn func(ctx context.Context, r *request, o order.Order, shop catalog.Shop) error) callbackFunc {
	return withID(func(ctx context.Context, r *request, id core.OrderID) error {
		o, shop, err := b.staffOrder(ctx, r, id)
		if err != nil {
			return err
		}
		return fn(ctx, r, o, shop)
	})
}

// onAdminShip asks for the tracking note of a paid order: aos:<order>.
func (b *Bot) onAdminShip(ctx context.Context, r *request, o order.Order, _ catalog.Shop) error {
	if o.Status != order.StatusPaid || o.Delivery == order.DeliveryPickup {
		return order.ErrTransition
	}
	data := shipDialog{OrderID: o.ID}
	if err := b.startDialog(ctx, r, dialogShip, stepShipNote, data); err != nil {
		return err
	}
	return b.show(ctx, r, b.shipPrompt(r.lang, data))
}

func (b *Bot) shipPrompt(lang string, data shipDialog) view {
	v := b.askView(lang, "adm_ask_tracking", data.OrderID)
	v.kb = (&keyboard{}).row(stepButton(b.label(lang, "adm_btn_no_tracking"), stepShipNote, buttonSkip)).markup()
	return v
}

// shipStep takes the tracking note (or none) and marks the order shipped.
func (b *Bot) shipStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var data shipDialog
	if ok, err := b.decode(ctx, r, st, &data); !ok {
		return err
	}
	note := ""
	if in.button != buttonSkip {
		var why string
		if note, why = b.readText(r.lang, in, trackingField); why != "" {
			return b.reprompt(ctx, r, why, b.shipPrompt(r.lang, data))
		}
	}
	if _, err := b.orders.MarkShipped(ctx, r.userID(), data.OrderID, note); err != nil {
		if userFacing(err) {
			// Shipped or cancelled meanwhile by someone else: the question is over.
			if derr := b.endDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	return b.finishDialog(ctx, r, dialogShip, b.t(r.lang, "adm_shipped", data.OrderID), screen(verbAdminOrder, data.OrderID))
}

// cancelOrder cancels an order after its confirmation (aoy:<order>), for fulfil.
func (b *Bot) cancelOrder(ctx context.Context, actor core.UserID, id core.OrderID) (order.Order, error) {
	return b.orders.Cancel(ctx, actor, id, "")
}

// fulfil returns the handler of a change of an order the staff pressed
// ("<verb>:<order>": ready for pickup, completed, cancelled): it makes the change,
// answers with notice and shows the order as it is now. Each change checks the
// role and the order's state itself: a second tap answers that the order is no
// longer in a state that allows it.
func (b *Bot) fulfil(notice string, change func(ctx context.Context, actor core.UserID, id core.OrderID) (order.Order, error)) callbackFunc {
	return b.forStaffOrder(func(ctx context.Context, r *request, o order.Order, shop catalog.Shop) error {
		o, err := change(ctx, r.userID(), o.ID)
		if err != nil {
			return err
		}
		r.answer(b.label(r.lang, notice, o.ID))
		v, err := b.adminOrderView(ctx, r, o, shop)
		if err != nil {
			return err
		}
		return b.show(ctx, r, v)
	})
}

// onAdminCancelAsk asks to confirm cancelling an order, saying what happens to
// the money: aox:<order>.
func (b *Bot) onAdminCancelAsk(ctx context.Context, r *request, o order.Order, _ catalog.Shop) error {
	switch o.Status {
	case order.StatusAwaitingPayment, order.StatusPaid, order.StatusReadyForPickup:
	default:
		return order.ErrTransition
	}
	text := b.t(r.lang, "adm_cancel_ask", o.ID, formatMoney(r.lang, o.Total))
	if !o.PaidAt.IsZero() {
		if o.Total.Currency == core.Stars {
			text += "\n" + b.t(r.lang, "adm_cancel_refund_stars", formatMoney(r.lang, o.Total))
		} else {
			text += "\n" + b.t(r.lang, "adm_cancel_refund_card", formatMoney(r.lang, o.Total))
		}
	}
	k := &keyboard{}
	k.row(button(b.label(r.lang, "adm_btn_cancel_yes"), verbAdminCancel, o.ID))
	k.row(button(b.label(r.lang, "adm_btn_cancel_no"), verbAdminOrder, o.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}
