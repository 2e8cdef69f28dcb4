package operator

import telegram "github.com/vitrina-shop/vitrina/bots/telegram"

// orphanTexts is the catalog of orphan payments (orphans.go): the buyer's notices,
// the operators' notification and screens.
func orphanTexts() map[string]telegram.Text {
	return map[string]telegram.Text{
		// To the buyer.
		"orphan_received": {
			RU: "🔎 Мы получили вашу оплату (%s), но не смогли сопоставить её с заказом. Мы её проверяем и напишем в этот чат: вернём деньги или подскажем, что делать дальше. Вопросы — /paysupport.",
			EN: "🔎 We received your payment (%s) but could not match it to an order. We are checking it and will write to you in this chat: we will refund it or tell you what happens next. Questions: /paysupport.",
		},
		"orphan_refunded": {
			RU: "↩️ Оплата %s, которую мы не смогли сопоставить с заказом, возвращена: звёзды снова на вашем балансе. Вопросы — /paysupport.",
			EN: "↩️ Your payment of %s, which we could not match to an order, was refunded: the Stars are back on your balance. Questions: /paysupport.",
		},

		// To the operators.
		"orphan_notify": {
			RU: "💸 <b>Оплата без заказа №%d</b>\n%s от %s.\nПричина: %s.\nПокупателю сказано, что оплату проверяют. Верните её или отметьте решённой:",
			EN: "💸 <b>Payment without an order #%d</b>\n%s from %s.\nWhy: %s.\nThe buyer was told the payment is being checked. Refund it or mark it resolved:",
		},
		"orphan_reason_payload":  {RU: "в счёте не наш идентификатор заказа", EN: "the invoice payload is not one of ours"},
		"orphan_reason_no_order": {RU: "заказа из счёта не существует", EN: "the order the invoice names does not exist"},
		"orphan_btn_open":        {RU: "Открыть оплату", EN: "Open the payment"},
		"orphan_btn_list":        {RU: "💸 Оплаты без заказа (новых: %d)", EN: "💸 Payments without an order (%d new)"},
		"orphan_btn_item":        {RU: "%s %s · %s · %s", EN: "%s %s · %s · %s"},
		"orphan_list": {
			RU: "💸 <b>Оплаты без заказа</b>\nДеньги пришли, но счёт не называет наш заказ. 🆕 — новые, ⏳ — возврат идёт, ↩️ — возвращены, ✅ — решены.",
			EN: "💸 <b>Payments without an order</b>\nThe money came, but the invoice names no order of ours. 🆕 new, ⏳ refund under way, ↩️ refunded, ✅ resolved.",
		},
		"orphan_list_empty": {RU: "Таких оплат нет. 👍", EN: "There are none. 👍"},
		"orphan_title":      {RU: "💸 <b>Оплата без заказа №%d</b>", EN: "💸 <b>Payment without an order #%d</b>"},
		"orphan_details": {
			RU: "Сумма: %s\nПлательщик: %s, id <code>%d</code>\nПолучена: %s\nПричина: %s\nИдентификатор в счёте: <code>%s</code>",
			EN: "Amount: %s\nPayer: %s, id <code>%d</code>\nReceived: %s\nWhy: %s\nInvoice payload: <code>%s</code>",
		},
		"orphan_state_new_stars": {
			RU: "🆕 Новая. Звёзды можно вернуть отсюда: Telegram вернёт их плательщику, а он получит уведомление.",
			EN: "🆕 New. The Stars can be refunded from here: Telegram gives them back to the payer, who is told.",
		},
		"orphan_state_new_card": {
			RU: "🆕 Новая. Оплату картой возвращают у платёжного провайдера (в Telegram Bot API возврата нет): найдите её по номеру платежа у провайдера, верните, а затем отметьте решённой.",
			EN: "🆕 New. A card payment is refunded at the payment provider (the Bot API cannot refund cards): find it there by its provider charge id, refund it, then mark it resolved here.",
		},
		"orphan_state_refunding": {RU: "⏳ Возврат идёт: запросил %s, %s.", EN: "⏳ Refund under way: asked by %s at %s."},
		"orphan_state_refunded":  {RU: "↩️ Возвращена %s. Плательщик получил уведомление.", EN: "↩️ Refunded at %s. The payer was told."},
		"orphan_state_resolved":  {RU: "✅ Решена: отметил %s, %s.", EN: "✅ Resolved by %s at %s."},
		"orphan_btn_refund":      {RU: "↩️ Вернуть %s", EN: "↩️ Refund %s"},
		"orphan_btn_refund_yes":  {RU: "Да, вернуть", EN: "Yes, refund"},
		"orphan_btn_resolve":     {RU: "✅ Отметить решённой", EN: "✅ Mark resolved"},
		"orphan_btn_resolve_yes": {RU: "Да, решена", EN: "Yes, it is resolved"},
		"orphan_refund_ask": {
			RU: "Вернуть %s плательщику %s? Telegram вернёт звёзды на его баланс; отменить возврат нельзя.",
			EN: "Refund %s to %s? Telegram puts the Stars back on their balance; a refund cannot be undone.",
		},
		"orphan_resolve_ask_stars": {
			RU: "Отметить оплату %s от %s решённой? Звёзды при этом не возвращаются: отмечайте, только если вопрос решён иначе (например, покупатель получил товар).",
			EN: "Mark the payment of %s from %s resolved? This gives no Stars back: mark it only if it was settled otherwise (say, the buyer got the goods).",
		},
		"orphan_resolve_ask_card": {
			RU: "Отметить оплату %s от %s решённой? Возврат по карте делают у платёжного провайдера, не в Telegram: отмечайте, когда провайдер вернул деньги или покупатель получил то, за что заплатил.",
			EN: "Mark the payment of %s from %s resolved? Card refunds are made at the payment provider, not in Telegram: mark it once the provider has refunded it, or the buyer got what they paid for.",
		},
		"orphan_refund_requested": {RU: "Возврат запрошен: звёзды вернутся в течение минуты.", EN: "Refund asked for: the Stars go back within a minute."},
		"orphan_refund_already":   {RU: "Возврат уже идёт или сделан.", EN: "The refund is already under way or done."},
		"orphan_resolved":         {RU: "Отмечена решённой.", EN: "Marked resolved."},
	}
}
