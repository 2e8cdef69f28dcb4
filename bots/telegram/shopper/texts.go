package shopper

import "github.com/vitrina-shop/vitrina/bots/telegram"

// shopperTexts are the texts of the shopper's screens (the words every feature
// uses, errors among them, are the kernel's).
func shopperTexts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"cmd_start":      {RU: "Магазины и каталог", EN: "Shops and catalog"},
		"cmd_search":     {RU: "Поиск товаров", EN: "Search products"},
		"cmd_cart":       {RU: "Корзина", EN: "Cart"},
		"carts_none":     {RU: "🛒 Корзина пуста. Загляните в магазины:", EN: "🛒 Your cart is empty. Have a look at the shops:"},
		"carts_pick":     {RU: "🛒 У вас корзины в нескольких магазинах — они внизу.", EN: "🛒 You have carts in several shops: they are below."},
		"cmd_orders":     {RU: "Мои заказы", EN: "My orders"},
		"cmd_language":   {RU: "Язык / Language", EN: "Language / Язык"},
		"cmd_help":       {RU: "Помощь", EN: "Help"},
		"cmd_paysupport": {RU: "Помощь с оплатой", EN: "Payment support"},
		"btn_cart":       {RU: "🛒 Корзина (%d)", EN: "🛒 Cart (%d)"},
		"btn_cart_shop":  {RU: "🛒 %s (%d)", EN: "🛒 %s (%d)"},
		"btn_my_orders":  {RU: "📦 Мои заказы", EN: "📦 My orders"},
		"btn_shops":      {RU: "🏬 Магазины", EN: "🏬 Shops"},
		"welcome": {
			RU: "👋 Здравствуйте, %s! Это Витрина: магазины прямо в Telegram.\n\nВыберите магазин или просто напишите, что ищете.",
			EN: "👋 Hello, %s! This is Vitrina: shops right inside Telegram.\n\nChoose a shop, or just type what you are looking for.",
		},
		"shops_title": {RU: "🏬 <b>Магазины</b>", EN: "🏬 <b>Shops</b>"},
		"link_broken": {
			RU: "Эта ссылка устарела или неверна. Вот что есть сейчас:",
			EN: "This link is broken or expired. Here is what there is now:",
		},
		"help": {
			RU: "<b>Как покупать</b>\n" +
				"/start — магазины и каталог\n" +
				"/search <i>слова</i> — поиск (или просто напишите, что ищете)\n" +
				"/orders — ваши заказы\n" +
				"/language — язык\n" +
				"/paysupport — помощь с оплатой\n\n" +
				"Выберите товар, добавьте его в корзину или нажмите «Купить сейчас». Товар резервируется за вами, пока вы оплачиваете счёт. " +
				"Чтобы поделиться товаром в любом чате, наберите @%s и название.\n\n" +
				"<b>Продавцам</b>\n" +
				"/sell — открыть свой магазин\n" +
				"/admin — управлять магазином",
			EN: "<b>How to shop</b>\n" +
				"/start — shops and catalog\n" +
				"/search <i>words</i> — search (or just type what you are looking for)\n" +
				"/orders — your orders\n" +
				"/language — language\n" +
				"/paysupport — help with a payment\n\n" +
				"Pick a product, add it to the cart or tap “Buy now”. The goods are reserved for you while you pay the invoice. " +
				"To share a product in any chat, type @%s and its name.\n\n" +
				"<b>For sellers</b>\n" +
				"/sell — open your shop\n" +
				"/admin — manage your shop",
		},
		"paysupport": {
			RU: "<b>Помощь с оплатой</b>\n\n" +
				"Каждая оплата привязана к заказу: его статус — в /orders.\n" +
				"• Деньги списались, а заказ не оплачен? Подождите минуту и откройте /orders: оплата засчитывается один раз и не теряется.\n" +
				"• Если заказ нельзя выполнить (например, товар закончился, пока истекала бронь), оплата возвращается: звёзды — автоматически, по карте — продавцом через платёжную систему.\n" +
				"• Отмена оплаченного заказа и возврат — через продавца.\n\n" +
				"Если вопрос не решился, напишите %s и укажите номер заказа.",
			EN: "<b>Payment support</b>\n\n" +
				"Every payment belongs to an order: see its status in /orders.\n" +
				"• Charged but the order is not paid? Wait a minute and open /orders: a payment is counted exactly once and never lost.\n" +
				"• If an order cannot be fulfilled (say, the goods sold out while its reservation lapsed), the payment is refunded: Stars automatically, cards by the seller at the payment provider.\n" +
				"• To cancel a paid order and get a refund, contact the seller.\n\n" +
				"If this did not help, write to %s with your order number.",
		},
		"paysupport_contact_none": {RU: "поддержке платформы", EN: "the platform's support"},
		"language_choose":         {RU: "Выберите язык:", EN: "Choose your language:"},
		"language_set":            {RU: "Готово: теперь я говорю по-русски.", EN: "Done: I speak English now."},
		"cancel_nothing":          {RU: "Отменять нечего.", EN: "There is nothing to cancel."},
		"shop_front":              {RU: "🏬 <b>%s</b>\nВыберите раздел:", EN: "🏬 <b>%s</b>\nChoose a section:"},
		"btn_all_products":        {RU: "Все товары", EN: "All products"},
		"products_title":          {RU: "🏬 <b>%s</b> · %s\nВыберите товар:", EN: "🏬 <b>%s</b> · %s\nChoose a product:"},
		"products_all":            {RU: "все товары", EN: "all products"},
		"products_empty":          {RU: "🏬 <b>%s</b>\nЗдесь пока пусто.", EN: "🏬 <b>%s</b>\nNothing here yet."},
		"btn_product":             {RU: "%s · %s", EN: "%s · %s"},
		"card_price":              {RU: "Цена: <b>%s</b>", EN: "Price: <b>%s</b>"},
		"card_stock":              {RU: "В наличии: %d шт.", EN: "In stock: %d"},
		"card_out_of_stock":       {RU: "❌ Нет в наличии", EN: "❌ Out of stock"},
		"card_variant":            {RU: "Вариант: <b>%s</b>", EN: "Option: <b>%s</b>"},
		"btn_variant":             {RU: "%s · %s", EN: "%s · %s"},
		"btn_variant_chosen":      {RU: "✅ %s · %s", EN: "✅ %s · %s"},
		"btn_variant_out":         {RU: "%s · нет в наличии", EN: "%s · out of stock"},
		"btn_add_to_cart":         {RU: "🛒 В корзину", EN: "🛒 Add to cart"},
		"btn_buy_now":             {RU: "⚡ Купить сейчас", EN: "⚡ Buy now"},
		"added_to_cart":           {RU: "В корзине: %d шт.", EN: "In your cart: %d"},
		"qty_limit":               {RU: "Больше нет в наличии", EN: "No more in stock"},
		"search_results":          {RU: "🔎 Нашлось: %d. Выберите товар:", EN: "🔎 Found: %d. Choose a product:"},
		"search_more": {
			RU: "Показаны первые %d. Уточните запрос, чтобы сузить поиск.",
			EN: "Showing the first %d. Add words to narrow it down.",
		},
		"search_nothing": {
			RU: "🔎 По запросу «%s» ничего не нашлось. Проверьте написание, попробуйте другое слово — или загляните в каталог.",
			EN: "🔎 Nothing found for “%s”. Check the spelling, try another word, or browse the catalog.",
		},
		"search_usage": {
			RU: "Напишите, что ищете, например: /search красное платье",
			EN: "Type what you are looking for, e.g. /search red dress",
		},
		"btn_search_result":  {RU: "%s · %s · %s", EN: "%s · %s · %s"},
		"inline_open":        {RU: "🛍 Открыть в магазине", EN: "🛍 Open in the shop"},
		"inline_description": {RU: "%s · %s", EN: "%s · %s"},
		"cart_title":         {RU: "🛒 <b>Корзина · %s</b>", EN: "🛒 <b>Cart · %s</b>"},
		"cart_line":          {RU: "%d. %s — %d × %s = %s", EN: "%d. %s — %d × %s = %s"},
		"cart_line_gone":     {RU: "%d. <s>%s</s> — больше не продаётся", EN: "%d. <s>%s</s> — no longer sold"},
		"cart_line_short":    {RU: " (осталось %d)", EN: " (only %d left)"},
		"cart_total":         {RU: "Итого: <b>%s</b>", EN: "Total: <b>%s</b>"},
		"cart_empty":         {RU: "🛒 Корзина в «%s» пуста.", EN: "🛒 Your cart in %s is empty."},
		"btn_checkout":       {RU: "✅ Оформить", EN: "✅ Check out"},
		"btn_back_to_cart":   {RU: "⬅️ В корзину", EN: "⬅️ Back to the cart"},
		"btn_cart_clear":     {RU: "🗑 Очистить", EN: "🗑 Clear"},
		"btn_continue":       {RU: "⬅️ К товарам", EN: "⬅️ Continue shopping"},
		"btn_cart_line":      {RU: "✏️ %s × %d", EN: "✏️ %s × %d"}, // a tap asks to type the quantity
		"cart_cleared":       {RU: "Корзина очищена", EN: "The cart is cleared"},
		"cart_removed":       {RU: "Убрано из корзины", EN: "Removed from the cart"},
		"cart_ask_qty":       {RU: "Сколько «%s» положить в корзину? Напишите число от 0 до 999 (0 — убрать).", EN: "How many “%s” do you want? Type a number from 0 to 999 (0 removes it)."},
		"cart_qty_invalid":   {RU: "Напишите целое число от 0 до 999, например 2. Или /cancel.", EN: "Please type a whole number from 0 to 999, like 2. Or /cancel."},
		"checkout_title":     {RU: "🧾 <b>Ваш заказ · %s</b>", EN: "🧾 <b>Your order · %s</b>"},
		"checkout_line":      {RU: "• %s — %d × %s", EN: "• %s — %d × %s"},
		"checkout_total":     {RU: "Итого: <b>%s</b>", EN: "Total: <b>%s</b>"},
		"checkout_choose_delivery": {
			RU: "Как вы хотите получить заказ?",
			EN: "How do you want to get it?",
		},
		"checkout_confirm": {
			RU: "Нажмите кнопку: товар забронируется за вами и придёт счёт.",
			EN: "Tap the button to reserve the goods and get the invoice.",
		},
		// A second tap on the button that reserved the goods: its invoice was sent.
		"checkout_invoice_above": {
			RU: "Заказ №%d уже создан: счёт — выше ⬆️",
			EN: "Order #%d is already created: its invoice is above ⬆️",
		},
		"btn_pickup":    {RU: "📍 Самовывоз: %s", EN: "📍 Pickup: %s"},
		"btn_shipping":  {RU: "🚚 Доставка (адрес — в счёте)", EN: "🚚 Delivery (address in the invoice)"},
		"btn_pay_total": {RU: "💳 Оплатить %s", EN: "💳 Pay %s"},
		"order_reserved": {
			RU: "🧾 Заказ <b>№%d</b> создан. Товар забронирован за вами на %s: оплатите счёт ниже, пока бронь действует.",
			EN: "🧾 Order <b>#%d</b> is created. The goods are reserved for you for %s: pay the invoice below before the reservation ends.",
		},
		"invoice_title":       {RU: "Заказ №%d", EN: "Order #%d"},
		"invoice_description": {RU: "%s: %s. Бронь — %s.", EN: "%s: %s. Reserved for %s."},
		"invoice_item":        {RU: "%s × %d", EN: "%s × %d"},
		"invoice_fee":         {RU: "Сбор организатора", EN: "Organizer's fee"},
		"shipping_unavailable": {
			RU: "Извините, этот магазин не может доставить этот заказ.",
			EN: "Sorry, this shop cannot deliver this order.",
		},
		"paid": {
			RU: "✅ Оплата получена! Заказ <b>№%d</b> оплачен: %s.\n%s",
			EN: "✅ Payment received! Order <b>#%d</b> is paid: %s.\n%s",
		},
		"next_pickup": {
			RU: "Мы сообщим, когда заказ будет готов к выдаче: %s.",
			EN: "We will tell you when it is ready for pickup: %s.",
		},
		"next_shipping": {RU: "Мы сообщим, когда заказ отправят.", EN: "We will tell you when it is shipped."},
		"next_none":     {RU: "Продавец свяжется с вами, если что-то понадобится.", EN: "The seller will contact you if anything else is needed."},
		"payment_refunding": {
			RU: "😔 Оплата заказа №%d пришла, когда бронь уже истекла, а товар закончился. Выполнить заказ не получится: оплата (%s) возвращается. Подробности — /paysupport.",
			EN: "😔 The payment for order #%d arrived after its reservation ended, and the goods are sold out. We cannot fulfil the order, so the payment (%s) is being refunded. Details: /paysupport.",
		},
		"orders_title": {RU: "📦 <b>Ваши заказы</b>", EN: "📦 <b>Your orders</b>"},
		"orders_empty": {RU: "Заказов пока нет. Магазины — /start", EN: "You have no orders yet. Shops: /start"},
		"btn_order":    {RU: "№%d · %s · %s", EN: "#%d · %s · %s"},
		"order_detail": {
			RU: "📦 <b>Заказ №%d</b> · %s\nСтатус: <b>%s</b>\n\n%s\n\n%s\nИтого: <b>%s</b>",
			EN: "📦 <b>Order #%d</b> · %s\nStatus: <b>%s</b>\n\n%s\n\n%s\nTotal: <b>%s</b>",
		},
		"order_reserved_left": {RU: "Бронь действует ещё %s.", EN: "Reserved for %s more."},
		"btn_order_cancel":    {RU: "✖️ Отменить заказ", EN: "✖️ Cancel the order"},
		"btn_order_received":  {RU: "✅ Я получил заказ", EN: "✅ I received it"},
		"order_cancelled":     {RU: "Заказ отменён", EN: "The order is cancelled"},
		"order_completed":     {RU: "Спасибо! Заказ получен", EN: "Thank you! The order is completed"},
	}
}
