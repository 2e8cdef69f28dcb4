package broadcasts

import telegram "github.com/vitrina-shop/vitrina/bots/telegram"

// broadcastTexts are the texts of broadcasts.
func broadcastTexts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"adm_btn_broadcasts": {RU: "📣 Рассылки", EN: "📣 Broadcasts"},

		// The list in the admin menu.
		"bc_list": {
			RU: "📣 <b>Рассылки «%s»</b>\n\nСообщение покупателям или подписчикам магазина: текст или фото, с кнопками товаров. Отписаться можно одной кнопкой под каждой рассылкой.",
			EN: "📣 <b>Broadcasts of %s</b>\n\nA message to the shop's customers or subscribers: text or a photo, with buttons to products. Anyone can unsubscribe with the button under each broadcast.",
		},
		"bc_list_empty": {RU: "Рассылок ещё не было.", EN: "No broadcasts yet."},
		"bc_btn_new":    {RU: "✍️ Новая рассылка", EN: "✍️ New broadcast"},
		"bc_btn_item":   {RU: "%s №%d · %s · %d из %d", EN: "%s #%d · %s · %d of %d"},
		"bc_btn_list":   {RU: "📣 Все рассылки", EN: "📣 All broadcasts"},

		// The conversation.
		"dialog_admin_broadcast": {RU: "новая рассылка", EN: "the new broadcast"},
		"bc_ask_message": {
			RU: "✍️ <b>Новая рассылка «%s»</b>\n\nПришлите сообщение: текст (до %d символов) или фото с подписью (до %d символов). Оно уйдёт как есть, без форматирования.",
			EN: "✍️ <b>New broadcast of %s</b>\n\nSend the message: a text (up to %d characters) or a photo with a caption (up to %d characters). It goes out as written, without formatting.",
		},
		"bc_want_message": {RU: "текст или фото с подписью", EN: "a text or a photo with a caption"},
		"bc_err_text_long": {
			RU: "Слишком длинно: можно до %d символов, а здесь %d. Сократите и пришлите снова.",
			EN: "Too long: up to %d characters, and this has %d. Shorten it and send it again.",
		},
		"bc_err_caption_long": {
			RU: "Подпись к фото слишком длинная: можно до %d символов, а здесь %d. Пришлите фото с подписью короче.",
			EN: "The caption is too long: up to %d characters, and this has %d. Send the photo with a shorter caption.",
		},
		"bc_ask_buttons": {
			RU: "🛍 Добавить кнопки товаров? Выберите до %d — нажмите ещё раз, чтобы убрать.",
			EN: "🛍 Add buttons to products? Pick up to %d; tap again to remove one.",
		},
		"bc_buttons_chosen":  {RU: "Выбрано: %s", EN: "Chosen: %s"},
		"bc_want_products":   {RU: "нажатие на товар или «Готово»", EN: "a tap on a product, or Done"},
		"bc_err_max_buttons": {RU: "Не больше %d кнопок. Уберите одну, чтобы выбрать другую.", EN: "At most %d buttons. Remove one to pick another."},
		"bc_btn_no_buttons":  {RU: "Без кнопок ⏭", EN: "No buttons ⏭"},
		"bc_ask_audience":    {RU: "👥 Кому отправить?", EN: "👥 Who gets it?"},
		"bc_btn_customers":   {RU: "👥 Всем покупателям · %d", EN: "👥 All customers · %d"},
		"bc_btn_buyers":      {RU: "🛍 Купившим товар…", EN: "🛍 Buyers of a product…"},
		"bc_btn_subscribers": {RU: "🔔 Подписчикам · %d", EN: "🔔 Subscribers · %d"},
		"bc_ask_product":     {RU: "🛍 Покупателям какого товара?", EN: "🛍 Buyers of which product?"},

		"bc_aud_customers":   {RU: "все покупатели", EN: "all customers"},
		"bc_aud_subscribers": {RU: "подписчики", EN: "subscribers"},
		"bc_aud_buyers":      {RU: "купившие «%s»", EN: "buyers of %s"},
		"bc_aud_buyers_gone": {RU: "купившие товар", EN: "buyers of a product"},

		"bc_summary":             {RU: "📣 <b>Рассылка «%s» готова</b>", EN: "📣 <b>Broadcast of %s is ready</b>"},
		"bc_summary_audience":    {RU: "Кому: %s", EN: "To: %s"},
		"bc_summary_kind":        {RU: "Сообщение: %s", EN: "Message: %s"},
		"bc_summary_buttons":     {RU: "Кнопки: %s", EN: "Buttons: %s"},
		"bc_kind_text":           {RU: "текст", EN: "text"},
		"bc_kind_photo":          {RU: "фото с подписью", EN: "a photo with a caption"},
		"bc_n_people":            {RU: "%[1]d человек|%[1]d человека|%[1]d человек", EN: "%[1]d person|%[1]d people"},
		"bc_reaches":             {RU: "Получат: <b>%s</b>. Отписавшихся и заблокировавших бота не считаем.", EN: "It reaches <b>%s</b>. Those who unsubscribed or blocked the bot are not counted."},
		"bc_reaches_nobody":      {RU: "Эту рассылку некому получить. Выберите других получателей.", EN: "Nobody would get this broadcast. Choose other recipients."},
		"bc_preview_hint":        {RU: "«Предпросмотр» пришлёт её вам — так, как увидят получатели.", EN: "Preview sends it to you, exactly as they will see it."},
		"bc_btn_preview":         {RU: "👁 Предпросмотр", EN: "👁 Preview"},
		"bc_btn_send":            {RU: "🚀 Отправить: %s", EN: "🚀 Send to %s"},
		"bc_btn_change_audience": {RU: "👥 Другие получатели", EN: "👥 Other recipients"},
		"bc_preview_sent":        {RU: "Предпросмотр выше.", EN: "The preview is above."},
		"bc_discarded":           {RU: "✖️ Рассылка отменена, ничего не отправлено.", EN: "✖️ Broadcast discarded; nothing was sent."},
		"bc_starting":            {RU: "🚀 Запускаю рассылку…", EN: "🚀 Starting the broadcast…"},
		"bc_started":             {RU: "Рассылка запущена.", EN: "The broadcast has started."},

		// Progress and report.
		"bc_progress_running":   {RU: "📣 <b>Рассылка №%d</b> · %s\n⏳ Отправляется…", EN: "📣 <b>Broadcast #%d</b> · %s\n⏳ Sending…"},
		"bc_progress_finished":  {RU: "📣 <b>Рассылка №%d завершена</b> · %s", EN: "📣 <b>Broadcast #%d is done</b> · %s"},
		"bc_progress_cancelled": {RU: "📣 <b>Рассылка №%d остановлена</b> · %s", EN: "📣 <b>Broadcast #%d was stopped</b> · %s"},
		"bc_line_sent":          {RU: "✅ Доставлено: %d", EN: "✅ Delivered: %d"},
		"bc_line_sent_of":       {RU: "✅ Доставлено: %d из %d", EN: "✅ Delivered: %d of %d"},
		"bc_line_pending":       {RU: "⏳ В очереди: %d", EN: "⏳ Pending: %d"},
		"bc_line_not_sent":      {RU: "✖️ Не отправлено: %d", EN: "✖️ Not sent: %d"},
		"bc_line_blocked":       {RU: "🚫 Заблокировали бота: %d", EN: "🚫 Blocked the bot: %d"},
		"bc_line_failed":        {RU: "⚠️ Ошибки: %d", EN: "⚠️ Failed: %d"},
		"bc_line_skipped":       {RU: "🔕 Отписались до отправки: %d", EN: "🔕 Unsubscribed before their turn: %d"},
		"bc_line_preparing":     {RU: "Готовлю список получателей…", EN: "Preparing the list of recipients…"},
		"bc_btn_stop":           {RU: "⛔ Остановить рассылку", EN: "⛔ Stop the broadcast"},
		"bc_btn_refresh":        {RU: "🔄 Обновить", EN: "🔄 Refresh"},
		"bc_cancelled":          {RU: "Рассылка остановлена.", EN: "The broadcast is stopped."},
		"bc_over_already":       {RU: "Эта рассылка уже завершена.", EN: "This broadcast is over already."},

		// Recipients and shoppers.
		"bc_from":                 {RU: "📣 <b>%s</b>", EN: "📣 <b>%s</b>"},
		"bc_btn_product":          {RU: "🛍 %s", EN: "🛍 %s"},
		"bc_btn_unsubscribe":      {RU: "🔕 Отписаться от «%s»", EN: "🔕 Unsubscribe from %s"},
		"bc_btn_resubscribe":      {RU: "🔔 Снова подписаться на «%s»", EN: "🔔 Subscribe to %s again"},
		"bc_btn_card_subscribe":   {RU: "🔔 Подписаться на новости", EN: "🔔 Subscribe to news"},
		"bc_btn_card_unsubscribe": {RU: "🔕 Отписаться", EN: "🔕 Unsubscribe"},
		"bc_subscribed":           {RU: "Вы подписаны на новости «%s».", EN: "You are subscribed to the news of %s."},
		"bc_unsubscribed":         {RU: "Вы отписаны: рассылки «%s» больше не придут.", EN: "Unsubscribed: no more broadcasts from %s."},
	}
}
