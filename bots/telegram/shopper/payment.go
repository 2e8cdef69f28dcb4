package shopper

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/orphan"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Telegram's payment flow: shipping_query (card invoices with shipping) ->
// pre_checkout_query (answered within 10 seconds) -> a message with
// successful_payment.

// onShippingQuery answers with the shop's shipping options for the order.
func (b *Feature) onShippingQuery(ctx context.Context, u telego.Update) error {
	q := u.ShippingQuery
	r, err := b.k.NewRequest(ctx, u, q.From)
	if err != nil {
		// The shopper waits for this answer: refuse now rather than after retries.
		b.log.ErrorContext(ctx, "shipping query: touch user", "err", err)
		return b.answerShipping(ctx, q.ID, nil, b.k.T(telegram.LangOf(q.From.LanguageCode), "error_internal"))
	}
	id, ok := parseInvoicePayload(q.InvoicePayload)
	if !ok {
		return b.answerShipping(ctx, q.ID, nil, b.k.T(r.Lang, "shipping_unavailable"))
	}
	opts, err := b.orders.ShippingOptions(ctx, r.UserID(), id)
	if err != nil {
		if !telegram.UserFacing(err) {
			b.log.ErrorContext(ctx, "shipping options", "err", err, "order_id", id)
		}
		return b.answerShipping(ctx, q.ID, nil, b.k.ErrorText(r.Lang, err))
	}
	if len(opts) == 0 {
		return b.answerShipping(ctx, q.ID, nil, b.k.T(r.Lang, "shipping_unavailable"))
	}
	var out []telego.ShippingOption
	for _, o := range opts {
		out = append(out, telego.ShippingOption{
			ID:     strconv.FormatInt(int64(o.ID), 10),
			Title:  o.Name,
			Prices: []telego.LabeledPrice{{Label: o.Name, Amount: int(o.Price.Amount)}},
		})
	}
	return b.answerShipping(ctx, q.ID, out, "")
}

func (b *Feature) answerShipping(ctx context.Context, id string, opts []telego.ShippingOption, errText string) error {
	err := b.api.AnswerShippingQuery(ctx, &telego.AnswerShippingQueryParams{
		ShippingQueryID: id,
		Ok:              errText == "",
		ShippingOptions: opts,
		ErrorMessage:    telegram.Plain(errText),
	})
	if err != nil && telegram.APIErrorCode(err) == 400 {
		// Too late or answered already (a redelivered update): nothing to retry.
		b.log.WarnContext(ctx, "answer shipping query", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("answer shipping query: %w", err)
	}
	return nil
}

// onPreCheckout asks the order service whether the order may be paid now and
// answers Telegram. It must answer within 10 seconds, so it does nothing slow:
// one user touch, one check. A failure of either is a refusal ("try again"), since
// an order that cannot be checked must not be charged.
func (b *Feature) onPreCheckout(ctx context.Context, u telego.Update) error {
	q := u.PreCheckoutQuery
	lang := telegram.LangOf(q.From.LanguageCode)
	r, err := b.k.NewRequest(ctx, u, q.From)
	if err != nil {
		b.log.ErrorContext(ctx, "pre-checkout: touch user", "err", err)
		return b.answerPreCheckout(ctx, q.ID, b.k.T(lang, "error_internal"))
	}
	lang = r.Lang
	id, ok := parseInvoicePayload(q.InvoicePayload)
	if !ok {
		return b.answerPreCheckout(ctx, q.ID, b.k.T(lang, "err_not_payable"))
	}
	var optionID int64
	if q.ShippingOptionID != "" {
		optionID, err = strconv.ParseInt(q.ShippingOptionID, 10, 64)
		if err != nil {
			return b.answerPreCheckout(ctx, q.ID, b.k.T(lang, "err_shipping_option"))
		}
	}
	err = b.orders.CheckPreCheckout(ctx, order.PreCheckout{
		OrderID:          id,
		BuyerID:          r.UserID(),
		Total:            core.Money{Amount: int64(q.TotalAmount), Currency: core.Currency(q.Currency)},
		ShippingOptionID: core.ShippingOptionID(optionID),
	})
	if err != nil {
		if !telegram.UserFacing(err) {
			b.log.ErrorContext(ctx, "pre-checkout check", "err", err, "order_id", id)
		}
		return b.answerPreCheckout(ctx, q.ID, b.k.ErrorText(lang, err))
	}
	return b.answerPreCheckout(ctx, q.ID, "")
}

// answerPreCheckout accepts the payment when errText (rendered by t) is empty, else
// refuses it with errText shown to the shopper.
func (b *Feature) answerPreCheckout(ctx context.Context, id, errText string) error {
	err := b.api.AnswerPreCheckoutQuery(ctx, &telego.AnswerPreCheckoutQueryParams{
		PreCheckoutQueryID: id,
		Ok:                 errText == "",
		ErrorMessage:       telegram.Truncate(telegram.Plain(errText), 255),
	})
	if err != nil && telegram.APIErrorCode(err) == 400 {
		// Too late or answered already: Telegram has decided; a retry cannot help.
		b.log.WarnContext(ctx, "answer pre-checkout query", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("answer pre-checkout query: %w", err)
	}
	return nil
}

// onSuccessfulPayment records the payment exactly once and confirms it. Any
// failure to record is returned, so that the update is redelivered: a payment is
// never dropped. A payment whose payload names no order of ours (not our payload,
// or an order that does not exist) is recorded as an orphan (recordOrphan): no
// retry can find its order.
func (b *Feature) onSuccessfulPayment(ctx context.Context, r *telegram.Request) error {
	sp := r.Msg.SuccessfulPayment
	id, ok := parseInvoicePayload(sp.InvoicePayload)
	if !ok {
		return b.recordOrphan(ctx, r, orphan.ReasonPayload)
	}
	p := order.Payment{
		OrderID:          id,
		BuyerID:          r.UserID(),
		TelegramChargeID: sp.TelegramPaymentChargeID,
		ProviderChargeID: sp.ProviderPaymentChargeID,
		Total:            core.Money{Amount: int64(sp.TotalAmount), Currency: core.Currency(sp.Currency)},
	}
	if sp.ShippingOptionID != "" {
		n, err := strconv.ParseInt(sp.ShippingOptionID, 10, 64)
		if err == nil {
			p.ShippingOptionID = core.ShippingOptionID(n)
		}
	}
	if info := sp.OrderInfo; info != nil {
		if info.Name != "" || info.PhoneNumber != "" || info.Email != "" {
			p.Contact = &order.Contact{Name: info.Name, Phone: info.PhoneNumber, Email: info.Email}
		}
		if a := info.ShippingAddress; a != nil {
			p.ShippingAddress = &order.Address{
				CountryCode: a.CountryCode, State: a.State, City: a.City,
				StreetLine1: a.StreetLine1, StreetLine2: a.StreetLine2, PostCode: a.PostCode,
			}
		}
	}
	o, outcome, err := b.orders.RecordPayment(ctx, p)
	if errors.Is(err, order.ErrOrderNotFound) {
		return b.recordOrphan(ctx, r, orphan.ReasonNoOrder)
	}
	if err != nil {
		// %v, not %w: whatever the service says, the payment is not recorded yet and
		// the update must come back, so the router must not treat it as the user's
		// mistake.
		return fmt.Errorf("record payment of order %d: %v", id, err)
	}
	switch outcome {
	case order.PaymentRefunding:
		return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "payment_refunding", o.ID, telegram.FormatMoney(r.Lang, o.Total)), nil)
	default:
		// Applied, or a duplicate (the confirmation may not have reached the shopper
		// the first time): the same confirmation.
		next, err := b.nextStep(ctx, r.Lang, o)
		if err != nil {
			return err
		}
		kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "btn_open_my_order"), telegram.VerbOrderNew, o.ID)).Markup()
		return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "paid", o.ID, telegram.FormatMoney(r.Lang, o.Total), telegram.HTML(next)), kb)
	}
}

// nextStep tells a buyer what happens after payment.
func (b *Feature) nextStep(ctx context.Context, lang string, o order.Order) (string, error) {
	switch o.Delivery {
	case order.DeliveryPickup:
		place, err := b.k.PickupPlace(ctx, lang, o)
		if err != nil {
			return "", err
		}
		return b.k.T(lang, "next_pickup", telegram.HTML(place)), nil
	case order.DeliveryShipping:
		return b.k.T(lang, "next_shipping"), nil
	}
	return b.k.T(lang, "next_none"), nil
}
