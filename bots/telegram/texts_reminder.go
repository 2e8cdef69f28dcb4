package telegram

// reminderTexts are the texts of reminders.
func reminderTexts() map[string]Text {
	return map[string]Text{
		// The unpaid order reminder.
		"rem_unpaid_title": {RU: "⏳ <b>Заказ ждёт оплаты</b>", EN: "⏳ <b>Your order is waiting for payment</b>"},
		"rem_unpaid": {
			RU: "Заказ №%d в «%s» на %s ещё не оплачен. Товары отложены для вас ещё %s — потом бронь снимется.",
			EN: "Order #%d from %s for %s is not paid yet. The items are held for you for %s more; then they go back on sale.",
		},

		// The abandoned cart reminder.
		"rem_cart":          {RU: "🛒 Вы оставили товары в корзине «%s»:", EN: "🛒 You left these in your cart at %s:"},
		"rem_cart_line":     {RU: "• %s × %d", EN: "• %s × %d"},
		"rem_cart_more":     {RU: "…и ещё %d", EN: "…and %d more"},
		"rem_cart_total":    {RU: "Итого: <b>%s</b>", EN: "Total: <b>%s</b>"},
		"rem_btn_open_cart": {RU: "🛒 Открыть корзину", EN: "🛒 Open the cart"},

		// Back in stock.
		"rem_btn_notify":       {RU: "🔔 Сообщить о поступлении", EN: "🔔 Notify me when available"},
		"rem_btn_unnotify":     {RU: "🔕 Не сообщать", EN: "🔕 Don't notify me"},
		"rem_subscribed":       {RU: "🔔 Сообщим, как только товар появится.", EN: "🔔 We will tell you as soon as it is back."},
		"rem_unsubscribed":     {RU: "🔕 Хорошо, не будем сообщать.", EN: "🔕 OK, no notification."},
		"rem_in_stock":         {RU: "Товар уже в наличии!", EN: "It is in stock now!"},
		"rem_restock":          {RU: "🔔 <b>%s</b> снова в наличии! Цена: %s.\nУспейте, пока не разобрали.", EN: "🔔 <b>%s</b> is back in stock! Price: %s.\nGet it before it is gone."},
		"rem_btn_restock_open": {RU: "🛍 Посмотреть", EN: "🛍 Take a look"},

		// The review request.
		"rem_review": {
			RU: "⭐ Как вам заказ №%d из «%s»?\n\n%s\n\nПоделитесь впечатлениями — отзыв займёт минуту и поможет другим покупателям.",
			EN: "⭐ How do you like order #%d from %s?\n\n%s\n\nShare what you think: a review takes a minute and helps other shoppers.",
		},
		"rem_btn_rate": {RU: "⭐ Оценить", EN: "⭐ Rate"},

		// The owner's reminder settings.
		"rem_adm_btn_reminders": {RU: "🔔 Напоминания", EN: "🔔 Reminders"},
		"rem_adm_settings": {
			RU: "🔔 <b>Напоминания · %s</b>\n\n🛒 Брошенная корзина: %s\n⭐ Просьба об отзыве после получения: %s\n\nО неоплаченном заказе покупатель получает напоминание до конца брони, а о поступлении товара — если нажал «Сообщить о поступлении».",
			EN: "🔔 <b>Reminders · %s</b>\n\n🛒 Abandoned cart: %s\n⭐ Review request after delivery: %s\n\nShoppers are always reminded of an unpaid order before its reservation ends, and told when an item they asked about is back in stock.",
		},
		"rem_adm_off":        {RU: "выключено", EN: "off"},
		"rem_adm_hours":      {RU: "через %[1]d час|через %[1]d часа|через %[1]d часов", EN: "after %[1]d hour|after %[1]d hours"},
		"rem_adm_days":       {RU: "через %[1]d день|через %[1]d дня|через %[1]d дней", EN: "after %[1]d day|after %[1]d days"},
		"rem_adm_btn_cart":   {RU: "🛒 Напомнить о корзине через:", EN: "🛒 Recall an abandoned cart after:"},
		"rem_adm_btn_review": {RU: "⭐ Попросить отзыв через:", EN: "⭐ Ask for a review after:"},
		"rem_adm_btn_off":    {RU: "Нет", EN: "Off"},
		"rem_adm_btn_hours":  {RU: "%d ч", EN: "%d h"},
		"rem_adm_btn_days":   {RU: "%d дн", EN: "%d d"},
		"rem_adm_saved":      {RU: "Сохранено", EN: "Saved"},
	}
}

// reconcileTexts are the texts of the Stars reconciliation report.
func reconcileTexts() map[string]Text {
	return map[string]Text{
		"rec_title": {
			RU: "⚠️ <b>Сверка платежей в Stars</b>\nс %s по %s UTC; платежей у Telegram: %d.",
			EN: "⚠️ <b>Stars payments reconciliation</b>\nfrom %s to %s UTC; payments at Telegram: %d.",
		},
		"rec_unknown_to_vitrina": {
			RU: "<b>Telegram принял, у Витрины нет записи (%d):</b>",
			EN: "<b>Telegram took them, Vitrina has no record (%d):</b>",
		},
		"rec_unknown_to_telegram": {
			RU: "<b>У Витрины записаны, Telegram их не знает (%d):</b>",
			EN: "<b>Recorded by Vitrina, unknown to Telegram (%d):</b>",
		},
		"rec_refund_mismatch": {
			RU: "<b>Возврат отмечен только с одной стороны (%d):</b>",
			EN: "<b>Refunded on one side only (%d):</b>",
		},
		"rec_line": {
			RU: "• <code>%s</code>, покупатель %d, %d ⭐, %s",
			EN: "• <code>%s</code>, buyer %d, %d ⭐, %s",
		},
		"rec_more": {RU: "…и ещё %d", EN: "…and %d more"},
	}
}
