package telegram

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
)

// StatusText names an order status in lang.
func (b *Texts) StatusText(lang string, s order.Status) string {
	return b.T(lang, "status_"+string(s))
}

// OrderArg reads the order id of "<verb>:<order>".
func OrderArg(d CallbackData) (core.OrderID, error) {
	if err := d.Want(1); err != nil {
		return 0, ErrStaleButton
	}
	id, err := d.Int(0)
	if err != nil {
		return 0, ErrStaleButton
	}
	return core.OrderID(id), nil
}

// OrderLines renders an order's lines as HTML, one per line.
func (b *Texts) OrderLines(lang string, o order.Order) []string {
	var lines []string
	for _, l := range o.Lines {
		lines = append(lines, b.T(lang, "order_line", l.Title, l.Quantity, FormatMoney(lang, l.UnitPrice)))
	}
	return lines
}

// DeliveryText says how an order reaches its buyer, as HTML.
func (b *Bot) DeliveryText(ctx context.Context, lang string, o order.Order) (string, error) {
	switch o.Delivery {
	case order.DeliveryPickup:
		place, err := b.PickupPlace(ctx, lang, o)
		if err != nil {
			return "", err
		}
		return "📍 " + place, nil
	case order.DeliveryShipping:
		s := "🚚 " + b.T(lang, "delivery_ship")
		if a := o.ShippingAddress; a != nil {
			s += ": " + Escape(strings.Join(NonEmpty(a.PostCode, a.CountryCode, a.State, a.City, a.StreetLine1, a.StreetLine2), ", "))
		}
		return s, nil
	}
	return b.T(lang, "delivery_none"), nil
}

func NonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// PickupPlace describes an order's pickup point: "Name, address (hours)" as HTML.
func (b *Bot) PickupPlace(ctx context.Context, lang string, o order.Order) (string, error) {
	points, err := b.catalog.PickupPoints(ctx, o.ShopID)
	if err != nil {
		return "", fmt.Errorf("list pickup points: %w", err)
	}
	for _, p := range points {
		if p.ID == o.PickupPointID {
			s := Escape(p.Name) + ", " + Escape(p.Address)
			if p.Hours != "" {
				s += b.T(lang, "delivery_hours", p.Hours)
			}
			return s, nil
		}
	}
	// The point was removed since checkout; the seller will say where.
	return b.T(lang, "pickup_unknown"), nil
}

// ItemTitle is a product's title with its variant's name, if it has one.
func ItemTitle(title, variant string) string {
	if variant == "" {
		return title
	}
	return title + " (" + variant + ")"
}

// PaymentLine writes one payment of an order for staff, as HTML: the amount, what
// became of it, and the ids to find it by at the provider and at Telegram.
func (b *Texts) PaymentLine(lang string, ch order.Charge) string {
	line := b.T(lang, "adm_order_payment", FormatMoney(lang, ch.Amount), b.T(lang, "charge_"+string(ch.Status)))
	if ch.ProviderChargeID != "" {
		line += b.T(lang, "adm_order_payment_provider_id", ch.ProviderChargeID)
	}
	return line + b.T(lang, "adm_order_payment_telegram_id", ch.TelegramChargeID)
}

// maxTrackingNote bounds a tracking note, as the order service keeps it.
const maxTrackingNote = 500

// Reasons recorded when an order is cancelled on the buyer's side; they are not
// repeated back to the buyer, who was there when it happened.
const (
	// BuyerCancelReason: buyers cancelled their own order.
	BuyerCancelReason = "cancelled by the buyer"
	// UnpayableCancelReason: the buyer asked to pay an order that the shop could no
	// longer take payment for (errNoCardPayments), and was told why.
	UnpayableCancelReason = "the shop could not take card payments"
)

// CancelReason is the reason an order was cancelled with, in lang: the
// system's and the bot's own reasons (English words in the order's record) in
// the reader's language, a person's as they wrote it.
func (b *Texts) CancelReason(lang, reason string) string {
	switch reason {
	case BuyerCancelReason:
		return b.T(lang, "reason_buyer")
	case UnpayableCancelReason:
		return b.T(lang, "reason_unpayable")
	case live.CallOffReason:
		return b.T(lang, "notify_reason_session_cancelled")
	case live.ClaimEndedReason:
		return b.T(lang, "notify_reason_claim_ended")
	case groupbuy.CancelReason:
		return b.T(lang, "notify_reason_group_cancelled")
	}
	return reason
}

// ErrNoDelivery refuses checkout in a card shop that has neither pickup points nor
// shipping options.
var ErrNoDelivery = &core.Error{Code: core.ECONFLICT, Message: "the shop has no pickup or shipping set up"}

// ErrNoCardPayments refuses checkout in a card shop on the platform's provider
// while the platform has none (VITRINA_PAYMENT_PROVIDER_TOKEN is empty): no invoice
// could be sent.
var ErrNoCardPayments = &core.Error{Code: core.ECONFLICT, Message: "the shop cannot take card payments right now"}

// NewNonce returns a short random string for callback data.
func NewNonce() string { return rand.Text()[:8] }

// Duration writes how long a reservation still holds, rounded up to a minute.
func (b *Texts) Duration(lang string, d time.Duration) string {
	mins := int((d + time.Minute - 1) / time.Minute)
	mins = max(mins, 1)
	if mins < 60 {
		return b.T(lang, "duration_minutes", mins)
	}
	return b.T(lang, "duration_hours", mins/60, mins%60)
}
