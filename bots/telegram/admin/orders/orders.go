package orders

import (
	"context"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/order"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"

	admin "github.com/vitrina-shop/vitrina/bots/telegram/admin"
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
	{admin.OrderGroupPaid, "adm_orders_paid", []order.Status{order.StatusPaid}},
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
	return admin.OrderGroupPaid
}

func (b *Feature) onAdminOrders(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(3); err != nil {
		return telegram.ErrStaleButton
	}
	shopID, err1 := d.Int(0)
	page, err2 := d.Int(2)
	if err1 != nil || err2 != nil || page < 0 {
		return telegram.ErrStaleButton
	}
	var group *orderGroup
	for i := range orderGroups {
		if orderGroups[i].code == d.Str(1) {
			group = &orderGroups[i]
		}
	}
	if group == nil {
		return telegram.ErrStaleButton
	}
	return b.showAdminOrders(ctx, r, core.ShopID(shopID), *group, int(page))
}

// showAdminOrders shows a page of a shop's orders of one list, with the tabs of
// all lists and their counts.
func (b *Feature) showAdminOrders(ctx context.Context, r *telegram.Request, shopID core.ShopID, group orderGroup, page int) error {
	shop, _, err := b.k.StaffShop(ctx, r, shopID)
	if err != nil {
		return err
	}
	lang := r.Lang
	k := &telegram.Keyboard{}
	var tabs []telegram.TelegoButton
	for _, g := range orderGroups {
		_, n, err := b.orders.Orders(ctx, r.UserID(), order.Filter{ShopID: &shop.ID, Statuses: g.statuses, Limit: 1})
		if err != nil {
			return err
		}
		label := b.k.Label(lang, g.key, n)
		if g.code == group.code {
			label = "• " + label + " •"
		}
		tabs = append(tabs, telegram.Button(label, admin.VerbAdminOrders, shop.ID, g.code, 0))
		if len(tabs) == 3 {
			k.Row(tabs...)
			tabs = nil
		}
	}
	k.Row(tabs...)
	orders, total, err := b.orders.Orders(ctx, r.UserID(), order.Filter{
		ShopID: &shop.ID, Statuses: group.statuses, Limit: adminOrdersPerPage, Offset: page * adminOrdersPerPage,
	})
	if err != nil {
		return err
	}
	for _, o := range orders {
		label := b.k.Label(lang, "adm_btn_order", o.ID, telegram.FormatMoney(lang, o.Total), b.buyerName(ctx, o.BuyerID),
			o.CreatedAt.UTC().Format("02.01"))
		k.Row(telegram.Button(label, telegram.VerbAdminOrder, o.ID))
	}
	pages := telegram.PageCount(total, adminOrdersPerPage)
	b.k.Pager(k, lang, page, pages, admin.VerbAdminOrders, shop.ID, group.code)
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, shop.ID))
	text := b.k.T(lang, "adm_orders", shop.Name, b.k.T(lang, group.key, total))
	if total == 0 {
		text += "\n" + b.k.T(lang, "adm_orders_empty")
	}
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// buyerName is a buyer's first name, for lists.
func (b *Feature) buyerName(ctx context.Context, id core.UserID) string {
	u, err := b.users.User(ctx, id)
	if err != nil || u.FirstName == "" {
		return "#" + telegram.FormatID(id)
	}
	return u.FirstName
}

// staffOrder returns an order and its shop to the shop's staff. The buyer of an
// order who is not staff gets catalog.ErrNotStaff; anyone else
// order.ErrOrderNotFound.
func (b *Feature) staffOrder(ctx context.Context, r *telegram.Request, id core.OrderID) (order.Order, catalog.Shop, error) {
	o, err := b.orders.Order(ctx, r.UserID(), id)
	if err != nil {
		return order.Order{}, catalog.Shop{}, err
	}
	shop, _, err := b.k.StaffShop(ctx, r, o.ShopID)
	if err != nil {
		return order.Order{}, catalog.Shop{}, err
	}
	return o, shop, nil
}

// showAdminOrder shows an order to its shop's staff: ao:<order>, aon:<order> (the
// button of staff notifications).
func (b *Feature) showAdminOrder(ctx context.Context, r *telegram.Request, id core.OrderID) error {
	o, shop, err := b.staffOrder(ctx, r, id)
	if err != nil {
		return err
	}
	v, err := b.adminOrderView(ctx, r, o, shop)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// adminOrderView renders an order, with its payments, for the shop's staff member
// r is from.
func (b *Feature) adminOrderView(ctx context.Context, r *telegram.Request, o order.Order, shop catalog.Shop) (telegram.View, error) {
	lang := r.Lang
	payments, err := b.orders.Payments(ctx, r.UserID(), o.ID)
	if err != nil {
		return telegram.View{}, err
	}
	lines := []string{
		b.k.T(lang, "adm_order", o.ID, shop.Name, b.k.StatusText(lang, o.Status)),
		b.k.T(lang, "adm_order_created", o.CreatedAt.UTC().Format("2006-01-02 15:04")),
	}
	if !o.PaidAt.IsZero() {
		lines = append(lines, b.k.T(lang, "adm_order_paid_at", o.PaidAt.UTC().Format("2006-01-02 15:04")))
	}
	lines = append(lines, "")
	lines = append(lines, b.k.OrderLines(lang, o)...)
	lines = append(lines, "")
	if !o.ShippingTotal.IsZero() {
		lines = append(lines, b.k.T(lang, "adm_order_items", telegram.FormatMoney(lang, o.ItemsTotal)))
		lines = append(lines, b.k.T(lang, "order_shipping_cost", telegram.FormatMoney(lang, o.ShippingTotal)))
	}
	lines = append(lines, b.k.T(lang, "adm_order_total", telegram.FormatMoney(lang, o.Total)), "")
	lines = append(lines, b.k.T(lang, "adm_order_buyer", b.k.UserLabel(ctx, o.BuyerID)))
	if c := o.Contact; c != nil {
		lines = append(lines, b.k.T(lang, "adm_order_contact", strings.Join(telegram.NonEmpty(c.Name, c.Phone, c.Email), ", ")))
	}
	delivery, err := b.k.DeliveryText(ctx, lang, o)
	if err != nil {
		return telegram.View{}, err
	}
	lines = append(lines, delivery)
	if o.TrackingNote != "" {
		lines = append(lines, b.k.T(lang, "order_tracking", o.TrackingNote))
	}
	if o.CancelReason != "" {
		lines = append(lines, b.k.T(lang, "adm_order_cancel_reason", b.k.CancelReason(lang, o.CancelReason)))
	}
	if !o.PaidAt.IsZero() && (o.Status == order.StatusCancelled || o.Status == order.StatusRefundPending) {
		if o.Total.Currency == core.Stars {
			lines = append(lines, b.k.T(lang, "adm_order_refund_stars", telegram.FormatMoney(lang, o.Total)))
		} else {
			lines = append(lines, b.k.T(lang, "adm_order_refund_card", telegram.FormatMoney(lang, o.Total)))
		}
	}
	if len(payments) > 0 {
		lines = append(lines, "", b.k.T(lang, "adm_order_payments"))
		for _, ch := range payments {
			lines = append(lines, b.k.PaymentLine(lang, ch))
		}
	}

	k := &telegram.Keyboard{}
	for _, ch := range payments {
		if cardRefundToConfirm(ch) {
			k.Row(telegram.Button(b.k.Label(lang, "adm_btn_refunded", telegram.FormatMoney(lang, ch.Amount)), telegram.VerbAdminRefundAsk, o.ID, ch.ID))
		}
	}
	switch o.Status {
	case order.StatusPaid:
		if o.Delivery == order.DeliveryPickup {
			k.Row(telegram.Button(b.k.Label(lang, "adm_btn_ready"), admin.VerbAdminReady, o.ID))
		} else {
			k.Row(telegram.Button(b.k.Label(lang, "adm_btn_ship"), admin.VerbAdminShip, o.ID))
		}
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_cancel_order"), admin.VerbAdminCancelAsk, o.ID))
	case order.StatusAwaitingPayment:
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_cancel_order"), admin.VerbAdminCancelAsk, o.ID))
	case order.StatusReadyForPickup:
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_complete"), admin.VerbAdminComplete, o.ID))
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_cancel_order"), admin.VerbAdminCancelAsk, o.ID))
	case order.StatusShipped:
		k.Row(telegram.Button(b.k.Label(lang, "adm_btn_complete"), admin.VerbAdminComplete, o.ID))
	}
	k.Row(telegram.Button(b.k.Label(lang, "adm_btn_orders_back"), admin.VerbAdminOrders, shop.ID, groupOf(o.Status), 0))
	return telegram.View{Text: strings.Join(lines, "\n"), Keyboard: k.Markup()}, nil
}

// cardRefundToConfirm reports whether staff are to refund a payment at the card
// provider and confirm it. Stars are refunded by the worker (workers.Refunder), so
// they never are.
func cardRefundToConfirm(ch order.Charge) bool {
	return ch.Status == order.ChargeRefundPending && ch.Amount.Currency != core.Stars
}

// staffPayment returns an order, its shop and one of its payments by id to the
// shop's staff; order.ErrChargeNotFound if the order has no such payment.
func (b *Feature) staffPayment(ctx context.Context, r *telegram.Request, d telegram.CallbackData) (order.Order, catalog.Shop, order.Charge, error) {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return order.Order{}, catalog.Shop{}, order.Charge{}, err
	}
	o, shop, err := b.staffOrder(ctx, r, core.OrderID(a[0]))
	if err != nil {
		return order.Order{}, catalog.Shop{}, order.Charge{}, err
	}
	payments, err := b.orders.Payments(ctx, r.UserID(), o.ID)
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
func (b *Feature) onAdminRefundAsk(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	o, _, ch, err := b.staffPayment(ctx, r, d)
	if err != nil {
		return err
	}
	if !cardRefundToConfirm(ch) {
		if ch.Status == order.ChargeRefunded {
			r.Answer(b.k.Label(r.Lang, "adm_refund_done"))
			return b.showAdminOrder(ctx, r, o.ID)
		}
		return order.ErrTransition
	}
	text := b.k.T(r.Lang, "adm_refund_ask", telegram.FormatMoney(r.Lang, ch.Amount), o.ID) + "\n\n" + b.k.PaymentLine(r.Lang, ch)
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_refund_yes"), admin.VerbAdminRefund, o.ID, ch.ID))
	k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_cancel_no"), telegram.VerbAdminOrder, o.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onAdminRefund records that staff refunded a card payment at the provider
// (order.Service.ConfirmRefund, which checks the role and notifies the buyer
// through the outbox): arfy:<order>:<payment>. A second tap changes nothing.
func (b *Feature) onAdminRefund(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	o, shop, ch, err := b.staffPayment(ctx, r, d)
	if err != nil {
		return err
	}
	if ch.Amount.Currency == core.Stars {
		return order.ErrTransition // refunded by the worker, through Telegram
	}
	o, err = b.orders.ConfirmRefund(ctx, r.UserID(), o.ID, ch.TelegramChargeID)
	if err != nil {
		return err
	}
	r.Answer(b.k.Label(r.Lang, "adm_refund_done"))
	v, err := b.adminOrderView(ctx, r, o, shop)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, v)
}

// Steps of the ship conversation.
const stepShipNote = "o.track"

// shipDialog is an order about to be marked shipped.
type shipDialog struct {
	OrderID core.OrderID `json:"order_id"`
}

// forStaffOrder adapts fn to the callback "<verb>:<order>" of a screen for the
// staff of the order's shop (staffOrder).
func (b *Feature) forStaffOrder(fn func(ctx context.Context, r *telegram.Request, o order.Order, shop catalog.Shop) error) telegram.CallbackFunc {
	return telegram.WithID(func(ctx context.Context, r *telegram.Request, id core.OrderID) error {
		o, shop, err := b.staffOrder(ctx, r, id)
		if err != nil {
			return err
		}
		return fn(ctx, r, o, shop)
	})
}

// onAdminShip asks for the tracking note of a paid order: aos:<order>.
func (b *Feature) onAdminShip(ctx context.Context, r *telegram.Request, o order.Order, _ catalog.Shop) error {
	if o.Status != order.StatusPaid || o.Delivery == order.DeliveryPickup {
		return order.ErrTransition
	}
	data := shipDialog{OrderID: o.ID}
	if err := b.k.StartDialog(ctx, r, telegram.DialogShip, stepShipNote, data); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.shipPrompt(r.Lang, data))
}

func (b *Feature) shipPrompt(lang string, data shipDialog) telegram.View {
	v := b.a.AskView(lang, "adm_ask_tracking", data.OrderID)
	v.Keyboard = (&telegram.Keyboard{}).Row(telegram.StepButton(b.k.Label(lang, "adm_btn_no_tracking"), stepShipNote, telegram.ButtonSkip)).Markup()
	return v
}

// shipStep takes the tracking note (or none) and marks the order shipped.
func (b *Feature) shipStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data shipDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	note := ""
	if in.Button != telegram.ButtonSkip {
		var why string
		if note, why = b.k.ReadText(r.Lang, in, telegram.TrackingField); why != "" {
			return b.k.Reprompt(ctx, r, why, b.shipPrompt(r.Lang, data))
		}
	}
	if _, err := b.orders.MarkShipped(ctx, r.UserID(), data.OrderID, note); err != nil {
		if telegram.UserFacing(err) {
			// Shipped or cancelled meanwhile by someone else: the question is over.
			if derr := b.k.EndDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	return b.k.FinishDialog(ctx, r, telegram.DialogShip, b.k.T(r.Lang, "adm_shipped", data.OrderID), telegram.Screen(telegram.VerbAdminOrder, data.OrderID))
}

// cancelOrder cancels an order after its confirmation (aoy:<order>), for fulfil.
func (b *Feature) cancelOrder(ctx context.Context, actor core.UserID, id core.OrderID) (order.Order, error) {
	return b.orders.Cancel(ctx, actor, id, "")
}

// fulfil returns the handler of a change of an order the staff pressed
// ("<verb>:<order>": ready for pickup, completed, cancelled): it makes the change,
// answers with notice and shows the order as it is now. Each change checks the
// role and the order's state itself: a second tap answers that the order is no
// longer in a state that allows it.
func (b *Feature) fulfil(notice string, change func(ctx context.Context, actor core.UserID, id core.OrderID) (order.Order, error)) telegram.CallbackFunc {
	return b.forStaffOrder(func(ctx context.Context, r *telegram.Request, o order.Order, shop catalog.Shop) error {
		o, err := change(ctx, r.UserID(), o.ID)
		if err != nil {
			return err
		}
		r.Answer(b.k.Label(r.Lang, notice, o.ID))
		v, err := b.adminOrderView(ctx, r, o, shop)
		if err != nil {
			return err
		}
		return b.k.Show(ctx, r, v)
	})
}

// onAdminCancelAsk asks to confirm cancelling an order, saying what happens to
// the money: aox:<order>.
func (b *Feature) onAdminCancelAsk(ctx context.Context, r *telegram.Request, o order.Order, _ catalog.Shop) error {
	switch o.Status {
	case order.StatusAwaitingPayment, order.StatusPaid, order.StatusReadyForPickup:
	default:
		return order.ErrTransition
	}
	text := b.k.T(r.Lang, "adm_cancel_ask", o.ID, telegram.FormatMoney(r.Lang, o.Total))
	if !o.PaidAt.IsZero() {
		if o.Total.Currency == core.Stars {
			text += "\n" + b.k.T(r.Lang, "adm_cancel_refund_stars", telegram.FormatMoney(r.Lang, o.Total))
		} else {
			text += "\n" + b.k.T(r.Lang, "adm_cancel_refund_card", telegram.FormatMoney(r.Lang, o.Total))
		}
	}
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_cancel_yes"), admin.VerbAdminCancel, o.ID))
	k.Row(telegram.Button(b.k.Label(r.Lang, "adm_btn_cancel_no"), telegram.VerbAdminOrder, o.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// orderRoutes registers the staff's order screens and the tracking-note conversation.
func (b *Feature) orderRoutes(r *telegram.Router) {
	for verb, fn := range map[string]telegram.CallbackFunc{
		admin.VerbAdminOrders:       b.onAdminOrders,
		telegram.VerbAdminOrder:     telegram.WithID(b.showAdminOrder),
		telegram.VerbAdminOrderNew:  telegram.Fresh(telegram.WithID(b.showAdminOrder)),
		admin.VerbAdminShip:         b.forStaffOrder(b.onAdminShip),
		admin.VerbAdminReady:        b.fulfil("adm_ready_done", b.orders.MarkReadyForPickup),
		admin.VerbAdminComplete:     b.fulfil("adm_completed", b.orders.Complete),
		admin.VerbAdminCancelAsk:    b.forStaffOrder(b.onAdminCancelAsk),
		admin.VerbAdminCancel:       b.fulfil("adm_cancelled", b.cancelOrder),
		telegram.VerbAdminRefundAsk: b.onAdminRefundAsk,
		admin.VerbAdminRefund:       b.onAdminRefund,
		admin.VerbAdminTotals:       b.k.ForStaff(b.a.OnAdminTotals),
	} {
		r.Callback(verb, fn)
	}
	r.Conversation(telegram.DialogShip, b.shipStep, b.k.DialogStep)
}
