package telegram

import (
	"context"
	"fmt"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Notifications are composed here and sent by the workers' sender: the outbox's
// order.JobNotify calls OrderMessages and hands the messages to the sender, which
// writes each once (its key names the order, the event and the recipient).

// Reasons recorded when an order is cancelled on the buyer's side; they are not
// repeated back to the buyer, who was there when it happened.
const (
	// buyerCancelReason: buyers cancelled their own order.
	buyerCancelReason = "cancelled by the buyer"
	// unpayableCancelReason: the buyer asked to pay an order that the shop could no
	// longer take payment for (errNoCardPayments), and was told why.
	unpayableCancelReason = "the shop could not take card payments"
)

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
func (b *Bot) OrderMessages(ctx context.Context, id core.OrderID, ev order.Event) ([]core.Message, error) {
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
func (b *Bot) buyerMessages(ctx context.Context, o order.Order, ev order.Event) ([]core.Message, error) {
	u, err := b.users.User(ctx, o.BuyerID)
	if err != nil {
		return nil, fmt.Errorf("notify buyer of order %d: %w", o.ID, err)
	}
	if u.Unreachable {
		return nil, nil
	}
	lang := langOf(u.Lang())
	var text string
	switch ev {
	case order.EventShipped:
		text = b.t(lang, "notify_shipped", o.ID)
		if o.TrackingNote != "" {
			text += b.t(lang, "notify_tracking", o.TrackingNote)
		}
	case order.EventReadyForPickup:
		place, err := b.pickupPlace(ctx, lang, o)
		if err != nil {
			return nil, err
		}
		text = b.t(lang, "notify_ready", o.ID, htmlText(place))
	case order.EventCompleted:
		text = b.t(lang, "notify_completed", o.ID)
	case order.EventExpired:
		text = b.t(lang, "notify_expired", o.ID)
	case order.EventCancelled:
		text = b.t(lang, "notify_cancelled", o.ID)
		if o.CancelReason != "" && o.CancelReason != buyerCancelReason && o.CancelReason != unpayableCancelReason {
			text += b.t(lang, "notify_cancel_reason", o.CancelReason)
		}
		if !o.PaidAt.IsZero() {
			text += b.t(lang, "notify_cancel_refund")
		}
	case order.EventRefunded:
		text = b.t(lang, "notify_refunded", o.ID, formatMoney(lang, o.Total))
	default:
		return nil, nil
	}
	kb := (&keyboard{}).row(button(b.label(lang, "btn_open_my_order"), verbOrderNew, o.ID)).markup()
	return []core.Message{b.messageTo(orderMessageKey(o.ID, ev, o.BuyerID), core.PriorityOrder, o.BuyerID, view{text: text, kb: kb})}, nil
}

// staffMessages composes the messages to every staff member of the order's shop.
func (b *Bot) staffMessages(ctx context.Context, o order.Order, ev order.Event) ([]core.Message, error) {
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return nil, fmt.Errorf("notify staff of order %d: %w", o.ID, err)
	}
	buyer := "#" + itoa(int(o.BuyerID))
	if u, err := b.users.User(ctx, o.BuyerID); err == nil {
		buyer = u.FirstName
		if u.Username != "" {
			buyer += " (@" + u.Username + ")"
		}
	}
	msgs, err := b.staffMessagesOf(ctx, shop.ID, func(to core.UserID) string { return orderMessageKey(o.ID, ev, to) },
		func(lang string) (string, *telego.InlineKeyboardMarkup, error) {
			var text string
			switch ev {
			case order.EventPaid:
				delivery, err := b.deliveryText(ctx, lang, o)
				if err != nil {
					return "", nil, err
				}
				text = b.t(lang, "staff_paid", o.ID, shop.Name, htmlText(strings.Join(b.orderLines(lang, o), "\n")),
					formatMoney(lang, o.Total), buyer, htmlText(delivery))
			case order.EventRefundPending: // Stars; cards: RequestCardRefund
				how := b.t(lang, "staff_refund_stars", formatMoney(lang, o.Total))
				text = b.t(lang, "staff_refund_pending", o.ID, shop.Name, htmlText(how))
			}
			kb := (&keyboard{}).row(button(b.label(lang, "btn_admin_order"), verbAdminOrderNew, o.ID)).markup()
			return text, kb, nil
		})
	if err != nil {
		return nil, fmt.Errorf("notify staff of order %d: %w", o.ID, err)
	}
	return msgs, nil
}

// staffMessagesOf composes, for every staff member of shop whom the bot can
// reach, in their language, the message compose makes, under the key keyOf
// gives them. The system writes here, for no staff member in particular
// (catalog.Service.StaffOf).
func (b *Bot) staffMessagesOf(ctx context.Context, shop core.ShopID, keyOf func(core.UserID) string,
	compose func(lang string) (string, *telego.InlineKeyboardMarkup, error)) ([]core.Message, error) {
	staff, err := b.catalog.StaffOf(ctx, shop)
	if err != nil {
		return nil, err
	}
	var msgs []core.Message
	for _, m := range staff {
		u, err := b.users.User(ctx, m.UserID)
		if err != nil {
			return nil, err
		}
		if u.Unreachable {
			continue
		}
		text, kb, err := compose(langOf(u.Lang()))
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, b.messageTo(keyOf(m.UserID), core.PriorityOrder, m.UserID, view{text: text, kb: kb}))
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
func (b *Bot) CardRefundMessages(ctx context.Context, ch order.Charge) ([]core.Message, error) {
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
	msgs, err := b.staffMessagesOf(ctx, shop.ID, keyOf, func(lang string) (string, *telego.InlineKeyboardMarkup, error) {
		how := htmlText(b.t(lang, "staff_refund_card", formatMoney(lang, ch.Amount)))
		var text string
		switch o.Status {
		case order.StatusRefundPending:
			text = b.t(lang, "staff_refund_pending", o.ID, shop.Name, how)
		case order.StatusCancelled:
			text = b.t(lang, "staff_refund_cancelled", o.ID, shop.Name, how)
		default: // a payment the order did not need: paid twice, by someone else
			text = b.t(lang, "staff_refund_extra", o.ID, shop.Name, how)
		}
		text += "\n" + b.paymentLine(lang, ch)
		kb := (&keyboard{}).
			row(button(b.label(lang, "adm_btn_refunded", formatMoney(lang, ch.Amount)), verbAdminRefundAsk, o.ID, ch.ID)).
			row(button(b.label(lang, "btn_admin_order"), verbAdminOrderNew, o.ID)).markup()
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
func (b *Bot) RefundStars(ctx context.Context, buyer core.UserID, chargeID string) error {
	err := b.api.RefundStarPayment(ctx, &telego.RefundStarPaymentParams{
		UserID:                  int64(buyer),
		TelegramPaymentChargeID: chargeID,
	})
	if err != nil && apiErrorCode(err) == 400 && strings.Contains(apiErrorDescription(err), "CHARGE_ALREADY_REFUNDED") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("refund stars: %w", err)
	}
	return nil
}
