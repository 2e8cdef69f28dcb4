package groupbuys

import (
	"context"
	"fmt"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Pay to join in the bot: joining sends the place's invoice at once; the
// card says what the participant paid and what comes back; a card payment's
// difference owed back after the price fell is asked of the shop's staff,
// who record it with a tap (groupbuy.Service.ReturnOwed).

// verbOwedReturned records that a difference owed back was refunded at the
// provider: agb:<purchase>:<place>.
const verbOwedReturned = "agb"

func (b *Feature) prepayRoutes(r *telegram.Router) {
	r.Callback(verbOwedReturned, b.onOwedReturned)
}

// joinInvoice sends the invoice of a place paid to join, once (a double tap
// finds it begun).
func (b *Feature) joinInvoice(ctx context.Context, r *telegram.Request, pl groupbuy.Place) error {
	o, err := b.orders.Order(ctx, r.UserID(), pl.Order)
	if err != nil || o.Status != order.StatusAwaitingPayment {
		return err
	}
	_, err = b.k.SendInvoiceOnce(ctx, r.ChatID, r.Lang, o)
	return err
}

// owedState is what a place's record says of money owed back: to come, or
// returned.
func (b *Feature) owedState(lang string, pl groupbuy.Place) string {
	switch {
	case pl.Owed.Amount == 0:
		return ""
	case pl.OwedReturned.IsZero():
		return b.k.T(lang, "gb_mine_owed", telegram.FormatMoney(lang, pl.Owed))
	}
	return b.k.T(lang, "gb_mine_owed_returned", telegram.FormatMoney(lang, pl.Owed))
}

// repricedLine tells a participant whose Stars paid to join are refunded
// whole, the final share invoiced instead; "" for anyone else.
func (b *Feature) repricedLine(ctx context.Context, lang string, o order.Order) string {
	places, err := b.groups.Places(ctx, o.GroupBuy, o.BuyerID)
	if err != nil {
		return ""
	}
	for _, pl := range places {
		if pl.Order != o.ID || pl.JoinOrder == 0 {
			continue
		}
		if joined, err := b.orders.OrderForSystem(ctx, pl.JoinOrder); err == nil && !joined.PaidAt.IsZero() {
			return "\n" + b.k.T(lang, "gb_repriced", telegram.FormatMoney(lang, joined.Total))
		}
	}
	return ""
}

// OwedMessages compose what tells of a card payment to join owed back after
// the price fell: the shop's staff, asked to refund the difference at the
// provider (with the button that records it), and the participant; once it
// is recorded, the participant that it went back (workers/groupbuys.Bot).
func (b *Feature) OwedMessages(ctx context.Context, p groupbuy.Purchase, pl groupbuy.Place) ([]core.Message, error) {
	if pl.Owed.Amount == 0 {
		return nil, nil
	}
	key := fmt.Sprintf("groupbuy:%d:owed:%d", p.ID, pl.ID)
	lang := b.langOf(ctx, pl.Buyer)
	if !pl.OwedReturned.IsZero() {
		return []core.Message{b.k.MessageTo(key+":returned", core.PriorityOrder, pl.Buyer,
			telegram.View{Text: b.k.T(lang, "gb_owed_returned", telegram.FormatMoney(lang, pl.Owed), p.Title)})}, nil
	}
	msgs := []core.Message{b.k.MessageTo(key, core.PriorityOrder, pl.Buyer,
		telegram.View{Text: b.k.T(lang, "gb_owed", p.Title, telegram.FormatMoney(lang, p.Price), telegram.FormatMoney(lang, pl.Owed))})}
	staff, err := b.k.StaffMessages(ctx, p.Shop, func(to core.UserID) string { return fmt.Sprintf("%s:staff:%d", key, to) },
		func(lang string) (string, *telego.InlineKeyboardMarkup, error) {
			text := b.k.T(lang, "gb_owed_staff", p.Title, telegram.FormatMoney(lang, p.Price), telegram.FormatMoney(lang, pl.Owed),
				b.k.UserLabel(ctx, pl.Buyer), int64(pl.Order))
			kb := (&telegram.Keyboard{}).
				Row(telegram.Button(b.k.Label(lang, "gb_btn_owed_returned", telegram.FormatMoney(lang, pl.Owed)), verbOwedReturned, int64(p.ID), int64(pl.ID))).
				Row(telegram.Button(b.k.Label(lang, "btn_admin_order"), telegram.VerbAdminOrderNew, int64(pl.Order))).Markup()
			return text, kb, nil
		})
	return append(msgs, staff...), err
}

// onOwedReturned records, for the shop's staff, that they refunded a
// difference owed back at the provider; the participant is told.
func (b *Feature) onOwedReturned(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err1 := d.Int(0)
	place, err2 := d.Int(1)
	if err1 != nil || err2 != nil {
		return telegram.ErrStaleButton
	}
	pl, err := b.groups.ReturnOwed(ctx, r.UserID(), groupbuy.ID(id), groupbuy.PlaceID(place))
	if err != nil {
		return err
	}
	text := b.k.T(r.Lang, "gb_owed_recorded", telegram.FormatMoney(r.Lang, pl.Owed), b.k.UserLabel(ctx, pl.Buyer))
	return b.k.Show(ctx, r, telegram.View{Text: text,
		Keyboard: (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "btn_admin_order"), telegram.VerbAdminOrderNew, int64(pl.Order))).Markup()})
}

// prepayTexts are the texts of pay-to-join purchases.
func prepayTexts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"gb_mode_prepaid": {
			RU: "💳 Оплата при вступлении: платите цену сейчас, а если к STOP она упадёт — разница вернётся.",
			EN: "💳 Pay to join: pay the price now; if it falls by STOP, the difference comes back.",
		},
		"gb_joined_pay": {
			RU: "🎉 Место за вами — оплатите его в течение часа, счёт ниже. Чем больше участников, тем ниже цена: позовите друзей.",
			EN: "🎉 The place is yours: pay for it within an hour, the invoice is below. The more join, the lower the price: invite friends.",
		},
		"gb_left_prepaid": {
			RU: "Вы вышли из этой позиции. Если вы уже заплатили, деньги вернутся: звёзды — сразу, оплату картой вернёт магазин.",
			EN: "You left that place. If you paid, the money comes back: Stars at once, a card payment refunded by the shop.",
		},
		"gb_stopped_card_prepaid": {
			RU: "✅ Сбор закрыт: %d шт. по итоговой цене %s%s. Кто заплатил при вступлении больше, получит разницу; кто не заплатил — счёт.",
			EN: "✅ Closed: %d at the final price of %s%s. Who paid more to join gets the difference back; who did not pay gets an invoice.",
		},
		"gb_org_stopped_prepaid": {
			RU: "⏹ Сбор закрыт по %s за шт. Переплатившим при вступлении возвращаем разницу: о возвратах картой придут отдельные сообщения.",
			EN: "⏹ Closed at %s each. Those who paid more to join get the difference back: card refunds come as messages of their own.",
		},
		"gb_btn_leave_refund":   {RU: "🚪 Выйти (деньги вернутся)", EN: "🚪 Leave (money back)"},
		"gb_mine_owed":          {RU: " · к возврату %s", EN: " · %s to come back"},
		"gb_mine_owed_returned": {RU: " · возвращено %s", EN: " · %s returned"},
		"gb_repriced": {
			RU: "Цена упала. Звёзды возвращаются только целым платежом, поэтому %s, уплаченные при вступлении, вернутся полностью, а оплатить нужно итоговую сумму.",
			EN: "The price fell. Stars are refunded as a whole payment only, so the %s you paid to join come back in full; pay the final sum instead.",
		},
		"gb_owed": {
			RU: "💸 Совместная покупка «%s» состоялась по цене %s за шт. Вы заплатили при вступлении больше своей итоговой доли — разница %s вернётся на вашу карту: её вернёт магазин, мы напишем, когда он это сделает.",
			EN: "💸 The group buy %s went ahead at %s each. You paid more to join than your final share: the difference, %s, goes back to your card. The shop refunds it, and we will tell you when it has.",
		},
		"gb_owed_staff": {
			RU: "💸 Совместная покупка «%s» состоялась по цене %s за шт. Верните участнику разницу <b>%s</b> в кабинете платёжного провайдера: %s, заказ #%d. Затем отметьте это кнопкой ниже.",
			EN: "💸 The group buy %s went ahead at %s each. Refund the participant the difference of <b>%s</b> in the payment provider's dashboard: %s, order #%d. Then record it with the button below.",
		},
		"gb_btn_owed_returned": {RU: "✅ Вернули %s", EN: "✅ Refunded %s"},
		"gb_owed_recorded":     {RU: "✅ Отмечено: %s возвращены, участник — %s. Ему сообщим.", EN: "✅ Recorded: %s refunded to %s, who will be told."},
		"gb_owed_returned": {
			RU: "✅ Магазин вернул вам %s — разницу в цене совместной покупки «%s».",
			EN: "✅ The shop refunded you %s, the price difference of the group buy %s.",
		},
		"gb_failed_prepaid": {
			RU: "😔 Совместная покупка «%s» не состоялась: к сроку не набралось нужное количество. Уплаченное вернётся: звёзды — сразу, оплату картой вернёт магазин.",
			EN: "😔 The group buy %s did not go ahead: not enough joined by the deadline. What you paid comes back: Stars at once, a card payment refunded by the shop.",
		},
		"gb_err_paid_place":     {RU: "Ваше место оплачено. Чтобы изменить его, выйдите (деньги вернутся) и вступите снова.", EN: "Your place is paid. To change it, leave (the money comes back) and join again."},
		"gb_err_prepaid_reopen": {RU: "Платежи этой покупки уже возвращены — откройте новую.", EN: "This group buy's payments were refunded: open a new one."},
		"gb_err_not_owed":       {RU: "За это место ничего не причитается к возврату.", EN: "Nothing is owed back for this place."},
		"gb_ask_pay_mode": {
			RU: "Когда участники платят?\n• <b>После STOP</b> — классика: вступление — это обязательство, счета приходят после STOP.\n• <b>При вступлении</b> — участник платит текущую цену сразу; если итоговая цена ниже, разница возвращается (звёзды — возвратом всего платежа и новым счётом, оплата картой — возвратом разницы через магазин).",
			EN: "When do participants pay?\n• <b>After STOP</b>, the classic way: joining is a commitment, invoices go out at STOP.\n• <b>To join</b>: a participant pays the current price at once; if the final price is lower, the difference comes back (Stars by refunding the whole payment and invoicing again, a card payment by the shop refunding the difference).",
		},
		"gb_btn_pay_after_stop": {RU: "После STOP", EN: "After STOP"},
		"gb_btn_pay_to_join":    {RU: "При вступлении", EN: "To join"},
		"gb_want_pay_mode":      {RU: "когда платят участники (кнопкой)", EN: "when participants pay (a button)"},
	}
}
