package shopper

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Checkout: a summary with the delivery choices -> a tap on one reserves the stock
// (order.Service.Checkout) -> the invoice.
//
// Each delivery button carries a random nonce, and its callback data is the
// checkout's idempotency key: a double tap or a redelivered update of one button
// finds the order the first tap made, while a new summary (a new purchase) gets new
// nonces.

// Delivery codes in callback data.
const (
	deliveryCodeNone     = "n"
	deliveryCodePickup   = "p"
	deliveryCodeShipping = "s"
)

var deliveryByCode = map[string]order.DeliveryKind{
	deliveryCodeNone:     order.DeliveryNone,
	deliveryCodePickup:   order.DeliveryPickup,
	deliveryCodeShipping: order.DeliveryShipping,
}

// onBuyNow shows the checkout summary of one variant, without the cart.
func (b *Feature) onBuyNow(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	vid, qty, err := variantAndQuantity(d, 1)
	if err != nil {
		return err
	}
	v, err := b.shopperVariant(ctx, vid)
	if err != nil {
		return err
	}
	if v.Available <= 0 {
		return order.ErrSoldOut
	}
	if qty > v.Available {
		return order.ErrNotEnoughStock
	}
	shop, err := b.k.OpenShop(ctx, v.ShopID)
	if err != nil {
		return err
	}
	total, err := v.Price.Mul(int64(qty))
	if err != nil {
		return err
	}
	lines := []checkoutLine{{title: v.Title, qty: qty, price: v.Price}}
	back := telegram.Button(b.k.Label(r.Lang, "btn_back"), telegram.VerbProduct, v.ProductID, v.ID, qty)
	return b.showCheckout(ctx, r, shop, lines, total, back, func(code string, pickup core.PickupPointID, nonce string) (string, []any) {
		return telegram.VerbConfirmBuy, []any{v.ID, qty, code, pickup, nonce}
	})
}

// onCheckout shows the checkout summary of the cart.
func (b *Feature) onCheckout(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	shop, err := b.k.OpenShop(ctx, core.ShopID(id))
	if err != nil {
		return err
	}
	cart, err := b.orders.Cart(ctx, r.UserID(), shop.ID)
	if err != nil {
		return fmt.Errorf("get cart: %w", err)
	}
	if len(cart.Items) == 0 {
		return order.ErrEmptyCart
	}
	var lines []checkoutLine
	for _, it := range cart.Items {
		if it.Archived {
			return order.ErrUnavailable
		}
		lines = append(lines, checkoutLine{title: telegram.ItemTitle(it.Title, it.VariantName), qty: it.Quantity, price: it.UnitPrice})
	}
	back := telegram.Button(b.k.Label(r.Lang, "btn_back_to_cart"), telegram.VerbCart, shop.ID)
	return b.showCheckout(ctx, r, shop, lines, cart.Total, back, func(code string, pickup core.PickupPointID, nonce string) (string, []any) {
		return telegram.VerbConfirmCart, []any{shop.ID, code, pickup, nonce}
	})
}

// checkoutLine is a line of the checkout summary.
type checkoutLine struct {
	title string
	qty   int
	price core.Money
}

// showCheckout shows the summary with one confirm button per delivery choice and
// back, the way to where the shopper came from (the cart, the product card);
// confirm returns each button's callback verb and arguments from the delivery code,
// the pickup point and the summary's fresh nonce.
func (b *Feature) showCheckout(ctx context.Context, r *telegram.Request, shop catalog.Shop, lines []checkoutLine, total core.Money,
	back telegram.TelegoButton, confirm func(code string, pickup core.PickupPointID, nonce string) (string, []any)) error {
	if err := b.CheckPayable(shop); err != nil {
		return err
	}
	lang := r.Lang
	text := []string{b.k.T(lang, "checkout_title", shop.Name), ""}
	for _, l := range lines {
		text = append(text, b.k.T(lang, "checkout_line", l.title, l.qty, telegram.FormatMoney(lang, l.price)))
	}
	text = append(text, "", b.k.T(lang, "checkout_total", telegram.FormatMoney(lang, total)), "")

	nonce := telegram.NewNonce()
	k := &telegram.Keyboard{}
	add := func(label, code string, pickup core.PickupPointID) {
		verb, args := confirm(code, pickup, nonce)
		k.Row(telegram.Button(label, verb, args...))
	}
	points, err := b.catalog.PickupPoints(ctx, shop.ID)
	if err != nil {
		return fmt.Errorf("list pickup points: %w", err)
	}
	var shipping []catalog.ShippingOption
	if shop.PaymentMethod == catalog.PayCard {
		// Stars pay for digital goods: Telegram ignores shipping for them.
		if shipping, err = b.catalog.ShippingOptions(ctx, shop.ID); err != nil {
			return fmt.Errorf("list shipping options: %w", err)
		}
	}
	if len(points) == 0 && len(shipping) == 0 {
		if shop.PaymentMethod == catalog.PayCard {
			// Goods paid by card are physical: they must reach the buyer somehow.
			return telegram.ErrNoDelivery
		}
		text = append(text, b.k.T(lang, "checkout_confirm"))
		add(b.k.Label(lang, "btn_pay_total", telegram.FormatMoney(lang, total)), deliveryCodeNone, 0)
	} else {
		text = append(text, b.k.T(lang, "checkout_choose_delivery"))
		for _, p := range points {
			add(b.k.Label(lang, "btn_pickup", p.Name), deliveryCodePickup, p.ID)
		}
		if len(shipping) > 0 {
			add(b.k.Label(lang, "btn_shipping"), deliveryCodeShipping, 0)
		}
	}
	k.Row(back)
	return b.k.Show(ctx, r, telegram.View{Text: strings.Join(text, "\n"), Keyboard: k.Markup()})
}

// cardProvider returns the provider token of a card shop's invoices: the shop's
// own, else the platform's default at this moment; "" when there is neither.
func (b *Feature) cardProvider(shop catalog.Shop) string {
	if shop.ProviderToken != "" {
		return shop.ProviderToken
	}
	return b.providerToken
}

// CheckPayable returns errNoCardPayments for a card shop whose invoice would have
// no provider token, so that checkout refuses before it reserves anything.
func (b *Feature) CheckPayable(shop catalog.Shop) error {
	if shop.PaymentMethod == catalog.PayCard && b.cardProvider(shop) == "" {
		return telegram.ErrNoCardPayments
	}
	return nil
}

// onConfirmCart reserves the cart: kc:<shop>:<delivery>:<pickup>:<nonce>.
func (b *Feature) onConfirmCart(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(4); err != nil {
		return telegram.ErrStaleButton
	}
	shopID, err1 := d.Int(0)
	pickup, err2 := d.Int(2)
	delivery, ok := deliveryByCode[d.Str(1)]
	if err1 != nil || err2 != nil || !ok {
		return telegram.ErrStaleButton
	}
	return b.checkout(ctx, r, order.CheckoutRequest{
		Key:           d.String(),
		BuyerID:       r.UserID(),
		ShopID:        core.ShopID(shopID),
		Delivery:      delivery,
		PickupPointID: core.PickupPointID(pickup),
	})
}

// onConfirmBuy reserves one variant: kb:<variant>:<qty>:<delivery>:<pickup>:<nonce>.
func (b *Feature) onConfirmBuy(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(5); err != nil {
		return telegram.ErrStaleButton
	}
	vid, err1 := d.Int(0)
	qty, err2 := d.Int(1)
	pickup, err3 := d.Int(3)
	delivery, ok := deliveryByCode[d.Str(2)]
	if err1 != nil || err2 != nil || err3 != nil || !ok || qty < 1 || qty > maxCartQuantity {
		return telegram.ErrStaleButton
	}
	v, err := b.shopperVariant(ctx, core.VariantID(vid))
	if err != nil {
		return err
	}
	return b.checkout(ctx, r, order.CheckoutRequest{
		Key:           d.String(),
		BuyerID:       r.UserID(),
		ShopID:        v.ShopID,
		Items:         []order.Item{{VariantID: v.ID, Quantity: int(qty)}},
		Delivery:      delivery,
		PickupPointID: core.PickupPointID(pickup),
	})
}

// checkout reserves the stock, replaces the summary by the order's reservation
// notice and sends the invoice. A shop that cannot be paid now (checkPayable) is
// refused before anything is reserved.
//
// The button's key may find the order an earlier tap on it made (o.Existing). If
// that order cannot be paid any more, the shopper is told why (Order.Payable). If its
// invoice went out (o.InvoiceMessageID), the tap is answered with where it is, and
// nothing is sent. If none did (the tap that made the order failed before its
// invoice: it is being tried again, or it was set aside), this tap sends the notice
// and the invoice. The inbox handles a chat's updates one at a time, so the tap that
// made the order has ended, one way or the other, before a second tap runs.
func (b *Feature) checkout(ctx context.Context, r *telegram.Request, req order.CheckoutRequest) error {
	shop, err := b.catalog.Shop(ctx, req.ShopID)
	if err != nil {
		return err
	}
	if err := b.CheckPayable(shop); err != nil {
		return err
	}
	o, err := b.orders.Checkout(ctx, req)
	if err != nil {
		return err
	}
	if err := o.Payable(b.clock.Now()); err != nil {
		return err
	}
	if o.Existing && o.InvoiceMessageID != 0 {
		r.Answer(b.k.T(r.Lang, "checkout_invoice_above", o.ID))
		return nil
	}
	notice := b.k.T(r.Lang, "order_reserved", o.ID, b.k.Duration(r.Lang, o.ReservedUntil.Sub(b.clock.Now())))
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "btn_open_my_order"), telegram.VerbOrder, o.ID)).Markup()
	if err := b.k.Show(ctx, r, telegram.View{Text: notice, Keyboard: kb}); err != nil {
		return err
	}
	return b.SendInvoice(ctx, r.ChatID, r.Lang, shop, o)
}

// SendInvoice sends the invoice of an order awaiting payment. The payload is
// "o:<order id>"; Stars invoices have exactly one price and no provider token, card
// invoices the shop's provider token or else the platform's (errNoCardPayments
// without either), one price per line and, for shipping, ask the address and take
// flexible shipping options. The invoice's message is recorded with the order
// (order.Service.InvoiceSent): a second tap on the checkout button points at it.
func (b *Feature) SendInvoice(ctx context.Context, chatID int64, lang string, shop catalog.Shop, o order.Order) error {
	left := b.k.Duration(lang, o.ReservedUntil.Sub(b.clock.Now()))
	var items []string
	for _, l := range o.Lines {
		items = append(items, b.k.Label(lang, "invoice_item", l.Title, l.Quantity))
	}
	p := &telego.SendInvoiceParams{
		ChatID:      tu.ID(chatID),
		Title:       telegram.Truncate(b.k.Label(lang, "invoice_title", o.ID), 32),
		Description: telegram.Truncate(b.k.Label(lang, "invoice_description", shop.Name, strings.Join(items, ", "), left), 255),
		Payload:     invoicePayload(o.ID),
		Currency:    string(o.Total.Currency),
	}
	if o.Total.Currency == core.Stars {
		p.Prices = []telego.LabeledPrice{{Label: p.Title, Amount: int(o.Total.Amount)}}
	} else {
		p.ProviderToken = b.cardProvider(shop)
		if p.ProviderToken == "" {
			return telegram.ErrNoCardPayments
		}
		for _, l := range o.Lines {
			sum, err := l.UnitPrice.Mul(int64(l.Quantity))
			if err != nil {
				return err
			}
			label := telegram.Truncate(b.k.Label(lang, "invoice_item", l.Title, l.Quantity), 64)
			p.Prices = append(p.Prices, telego.LabeledPrice{Label: label, Amount: int(sum.Amount)})
		}
		if o.Fee.Amount > 0 { // a group buy's organizer's fee, on its own line
			p.Prices = append(p.Prices, telego.LabeledPrice{Label: b.k.Label(lang, "invoice_fee"), Amount: int(o.Fee.Amount)})
		}
		switch o.Delivery {
		case order.DeliveryShipping:
			p.NeedName, p.NeedPhoneNumber, p.NeedShippingAddress, p.IsFlexible = true, true, true, true
		case order.DeliveryPickup:
			p.NeedName, p.NeedPhoneNumber = true, true
		}
	}
	msg, err := b.api.SendInvoice(ctx, p)
	if err != nil {
		return fmt.Errorf("send invoice: %w", err)
	}
	return b.orders.InvoiceSent(ctx, o.ID, o.BuyerID, int64(msg.MessageID))
}

// invoicePayload is the invoice payload of an order (1-128 bytes, never shown).
func invoicePayload(id core.OrderID) string { return "o:" + strconv.FormatInt(int64(id), 10) }

// parseInvoicePayload returns the order of an invoice payload made by
// invoicePayload.
func parseInvoicePayload(p string) (core.OrderID, bool) {
	rest, ok := strings.CutPrefix(p, "o:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return core.OrderID(id), true
}
