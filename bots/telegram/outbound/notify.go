package outbound

import (
	"context"
	"fmt"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Notifications are composed here and sent by the workers' sender: the outbox's
// order.JobNotify calls OrderMessages and hands the messages to the sender, which
// writes each once (its key names the order, the event and the recipient).

// OrderMessages composes what tells the people concerned that an order changed: the buyer of
// every change they did not see happen (shipped with the tracking note, ready for
// pickup with the place, completed, expired, cancelled, refunded), and every staff
// member of the shop of a paid order (with a button that opens it in the admin
// menu) and of a Stars payment being refunded. A card payment to refund is asked of
// staff by RequestCardRefund, from the refund job written with the event. Each is
// written to in their own language.
//
// A recipient who blocked the bot is left out. It returns the order service's
// error when the order cannot be read (order.ErrOrderNotFound).
func (b *Composer) OrderMessages(ctx context.Context, id core.OrderID, ev order.Event) ([]core.Message, error) {
	o, err := b.orders.OrderForSystem(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("notify order %d: %w", id, err)
	}
	msgs, err := b.buyerMessages(ctx, o, ev)
	if err != nil {
		return nil, err
	}
	if ev == order.EventPaid || ev == order.EventRefundPending && o.Total.Currency == core.Stars {
		staff, err := b.staffMessages(ctx, o, ev)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, staff...)
	}
	return msgs, nil
}

// orderMessageKey is the key of the message about event ev of order id to user.
func orderMessageKey(id core.OrderID, ev order.Event, to core.UserID) string {
	return fmt.Sprintf("order:%d:%s:%d", id, ev, to)
}

// buyerMessages composes the message to the buyer about ev, if any. The buyer
// learns of payment in the chat where they paid (onSuccessfulPayment), so paid
// and refund_pending say nothing here.
func (b *Composer) buyerMessages(ctx context.Context, o order.Order, ev order.Event) ([]core.Message, error) {
	u, err := b.users.User(ctx, o.BuyerID)
	if err != nil {
		return nil, fmt.Errorf("notify buyer of order %d: %w", o.ID, err)
	}
	if u.Unreachable {
		return nil, nil
	}
	lang := telegram.LangOf(u.Lang())
	var text string
	switch ev {
	case order.EventShipped:
		text = b.k.T(lang, "notify_shipped", o.ID)
		if o.TrackingNote != "" {
			text += b.k.T(lang, "notify_tracking", o.TrackingNote)
		}
	case order.EventReadyForPickup:
		place, err := b.k.PickupPlace(ctx, lang, o)
		if err != nil {
			return nil, err
		}
		text = b.k.T(lang, "notify_ready", o.ID, telegram.HTML(place))
	case order.EventCompleted:
		text = b.k.T(lang, "notify_completed", o.ID)
	case order.EventExpired:
		text = b.k.T(lang, "notify_expired", o.ID)
	case order.EventCancelled:
		text = b.k.T(lang, "notify_cancelled", o.ID)
		switch o.CancelReason {
		case "", telegram.BuyerCancelReason, telegram.UnpayableCancelReason: // the buyer was there
		default:
			text += b.k.T(lang, "notify_cancel_reason", b.k.CancelReason(lang, o.CancelReason))
		}
		if !o.PaidAt.IsZero() {
			text += b.k.T(lang, "notify_cancel_refund")
		}
	case order.EventRefunded:
		text = b.k.T(lang, "notify_refunded", o.ID, telegram.FormatMoney(lang, o.Total))
	default:
		return nil, nil
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "btn_open_my_order"), telegram.VerbOrderNew, o.ID)).Markup()
	return []core.Message{b.k.MessageTo(orderMessageKey(o.ID, ev, o.BuyerID), core.PriorityOrder, o.BuyerID, telegram.View{Text: text, Keyboard: kb})}, nil
}

// staffMessages composes the messages to every staff member of the order's shop.
func (b *Composer) staffMessages(ctx context.Context, o order.Order, ev order.Event) ([]core.Message, error) {
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return nil, fmt.Errorf("notify staff of order %d: %w", o.ID, err)
	}
	buyer := "#" + telegram.Itoa(int(o.BuyerID))
	if u, err := b.users.User(ctx, o.BuyerID); err == nil {
		buyer = u.FirstName
		if u.Username != "" {
			buyer += " (@" + u.Username + ")"
		}
	}
	msgs, err := b.k.StaffMessages(ctx, shop.ID, func(to core.UserID) string { return orderMessageKey(o.ID, ev, to) },
		func(lang string) (string, *telego.InlineKeyboardMarkup, error) {
			var text string
			switch ev {
			case order.EventPaid:
				delivery, err := b.k.DeliveryText(ctx, lang, o)
				if err != nil {
					return "", nil, err
				}
				text = b.k.T(lang, "staff_paid", o.ID, shop.Name, telegram.HTML(strings.Join(b.k.OrderLines(lang, o), "\n")),
					telegram.FormatMoney(lang, o.Total), buyer, telegram.HTML(delivery))
			case order.EventRefundPending: // Stars; cards: RequestCardRefund
				how := b.k.T(lang, "staff_refund_stars", telegram.FormatMoney(lang, o.Total))
				text = b.k.T(lang, "staff_refund_pending", o.ID, shop.Name, telegram.HTML(how))
			}
			kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "btn_admin_order"), telegram.VerbAdminOrderNew, o.ID)).Markup()
			return text, kb, nil
		})
	if err != nil {
		return nil, fmt.Errorf("notify staff of order %d: %w", o.ID, err)
	}
	return msgs, nil
}

// CardRefundMessages composes what asks every staff member of the shop, in their language, to
// refund a card payment at the payment provider (the Bot API cannot), saying why
// and which payment, with a button to confirm it once done (onAdminRefundAsk ->
// order.Service.ConfirmRefund) and one that opens the order. It is the refund
// job's handler for card payments (workers.Refunder).
//
// It re-reads the payment: one no longer waiting for its refund has no messages.
// A Stars payment is refused with a core.Error (the worker refunds it through
// Telegram).
func (b *Composer) CardRefundMessages(ctx context.Context, ch order.Charge) ([]core.Message, error) {
	ch, err := b.orders.Charge(ctx, ch.TelegramChargeID)
	if err != nil {
		return nil, fmt.Errorf("request card refund: %w", err)
	}
	if ch.Amount.Currency == core.Stars {
		return nil, core.Errorf(core.EINVALID, "request card refund of order %d: a Stars payment is refunded through Telegram", ch.OrderID)
	}
	if ch.Status != order.ChargeRefundPending {
		return nil, nil
	}
	o, err := b.orders.OrderForSystem(ctx, ch.OrderID)
	if err != nil {
		return nil, fmt.Errorf("request card refund: %w", err)
	}
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return nil, fmt.Errorf("request card refund of order %d: %w", o.ID, err)
	}
	keyOf := func(to core.UserID) string { return fmt.Sprintf("refund:card:%d:%d", ch.ID, to) }
	msgs, err := b.k.StaffMessages(ctx, shop.ID, keyOf, func(lang string) (string, *telego.InlineKeyboardMarkup, error) {
		how := telegram.HTML(b.k.T(lang, "staff_refund_card", telegram.FormatMoney(lang, ch.Amount)))
		var text string
		switch o.Status {
		case order.StatusRefundPending:
			text = b.k.T(lang, "staff_refund_pending", o.ID, shop.Name, how)
		case order.StatusCancelled:
			text = b.k.T(lang, "staff_refund_cancelled", o.ID, shop.Name, how)
		default: // a payment the order did not need: paid twice, by someone else
			text = b.k.T(lang, "staff_refund_extra", o.ID, shop.Name, how)
		}
		text += "\n" + b.k.PaymentLine(lang, ch)
		kb := (&telegram.Keyboard{}).
			Row(telegram.Button(b.k.Label(lang, "adm_btn_refunded", telegram.FormatMoney(lang, ch.Amount)), telegram.VerbAdminRefundAsk, o.ID, ch.ID)).
			Row(telegram.Button(b.k.Label(lang, "btn_admin_order"), telegram.VerbAdminOrderNew, o.ID)).Markup()
		return text, kb, nil
	})
	if err != nil {
		return nil, fmt.Errorf("request card refund of order %d: %w", o.ID, err)
	}
	return msgs, nil
}

// RefundStars gives a Stars payment back to the buyer (refundStarPayment). A
// payment Telegram says is refunded already counts as refunded, so retries are
// safe. Other errors are returned: a 400 means the charge is unknown to Telegram,
// anything else may pass on a retry.
func (b *Composer) RefundStars(ctx context.Context, buyer core.UserID, chargeID string) error {
	err := b.api.RefundStarPayment(ctx, &telego.RefundStarPaymentParams{
		UserID:                  int64(buyer),
		TelegramPaymentChargeID: chargeID,
	})
	if err != nil && telegram.APIErrorCode(err) == 400 && strings.Contains(telegram.APIErrorDescription(err), "CHARGE_ALREADY_REFUNDED") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("refund stars: %w", err)
	}
	return nil
}
