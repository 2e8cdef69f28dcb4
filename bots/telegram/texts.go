package telegram

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/user"
)

// The message catalog: every string a user sees, in Russian and English, keyed.
// Texts are HTML with fmt verbs; a translation may reorder its arguments with
// explicit indexes (%[2]s). TestTexts checks that both languages of a key exist and
// take the same arguments.

// Text is one entry of the catalog.
type Text struct {
	RU, EN string
}

// Texts is the catalog of every text the bot shows, keyed, in Russian and
// English, with what renders texts and reads people's answers against them: it
// knows nothing of Telegram, only of words. Bot embeds it.
type Texts struct {
	texts catalogTexts
	// errors are the features' error texts (Router.AddErrors), checked
	// before the kernel's.
	errors []ErrorKey
	log    *slog.Logger // a missing key is logged
}

// catalogTexts maps a key to its text.
type catalogTexts map[string]Text

// HTML is text that is already HTML (a rendered fragment). t inserts it as is;
// every other string argument is escaped.
type HTML string

// LangOf picks the language Vitrina speaks to someone whose Telegram (or choice)
// says tag: Russian for Russian and for languages whose speakers commonly read it,
// English for everyone else.
func LangOf(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(tag), "-")
	switch base {
	case "ru", "be", "kk", "ky":
		return "ru"
	}
	return "en"
}

// T renders the text of key in lang with args. String arguments are HTML-escaped
// (they may come from users or sellers); htmlText arguments are inserted as is.
// A missing key renders as the key itself and is logged: a visible bug, not a crash.
func (b *Texts) T(lang, key string, args ...any) string {
	e, ok := b.texts[key]
	if !ok {
		b.log.Error("missing text", "key", key)
		return key
	}
	format := e.EN
	if lang == "ru" {
		format = e.RU
	}
	if len(args) == 0 {
		return format
	}
	safe := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case HTML:
			safe[i] = string(v)
		case string:
			safe[i] = Escape(v)
		default:
			safe[i] = a
		}
	}
	return fmt.Sprintf(format, safe...)
}

// Label renders the text of key for a place that shows plain text, not HTML: a
// button, a callback answer, an invoice. It is t with the HTML taken out, so an
// argument comes out exactly as given.
func (b *Texts) Label(lang, key string, args ...any) string {
	return Plain(b.T(lang, key, args...))
}

// Count renders the text of key for the count n. The key's text lists the forms
// of the noun, separated by "|", each with %[1]d: Russian has three (1 заказ,
// 2 заказа, 5 заказов), English two (1 order, 2 orders). A text with fewer forms
// uses its last for the forms it lacks ("%[1]d шт.").
func (b *Texts) Count(lang, key string, n int) string {
	forms := strings.Split(b.T(lang, key), "|")
	return fmt.Sprintf(forms[min(pluralForm(lang, n), len(forms)-1)], n)
}

// pluralForm returns which form of a noun goes with n in lang: for Russian 0 (1,
// 21, 101 заказ), 1 (2-4, 22-24 заказа) or 2 (0, 5-20, 25 заказов); for English 0
// (1 order) or 1 (0, 2 orders).
func pluralForm(lang string, n int) int {
	if n < 0 {
		n = -n
	}
	if lang != "ru" {
		if n == 1 {
			return 0
		}
		return 1
	}
	switch last, lastTwo := n%10, n%100; {
	case last == 1 && lastTwo != 11:
		return 0
	case last >= 2 && last <= 4 && (lastTwo < 12 || lastTwo > 14):
		return 1
	}
	return 2
}

// mergeTexts joins the catalogs of the bot's sides; a key in two of them is an error.
// mergeTexts makes the catalog of the features' texts, checking each as it goes:
// a key defined twice, a language missing, placeholders that differ between the
// languages, or a tag that spans lines (fitHTML drops whole lines) is an error, so a
// mistake in a text stops the bot at start rather than showing a user a broken
// message.
func mergeTexts(parts ...map[string]Text) (catalogTexts, error) {
	all := make(catalogTexts)
	for _, p := range parts {
		for k, v := range p {
			if _, dup := all[k]; dup {
				return nil, fmt.Errorf("text %q defined twice", k)
			}
			if err := checkText(v); err != nil {
				return nil, fmt.Errorf("text %q: %w", k, err)
			}
			all[k] = v
		}
	}
	return all, nil
}

// checkText checks one text of the catalog (see mergeTexts).
func checkText(tx Text) error {
	if strings.TrimSpace(tx.RU) == "" || strings.TrimSpace(tx.EN) == "" {
		return errors.New("a language is missing")
	}
	if ru, en := placeholders(tx.RU), placeholders(tx.EN); !slices.Equal(ru, en) {
		return fmt.Errorf("placeholders differ: ru %v, en %v", ru, en)
	}
	for _, format := range []string{tx.RU, tx.EN} {
		for _, line := range strings.Split(format, "\n") {
			for _, tag := range []string{"b", "i", "s", "u", "code", "pre", "a"} {
				open := strings.Count(line, "<"+tag+">") + strings.Count(line, "<"+tag+" ")
				if closed := strings.Count(line, "</"+tag+">"); open != closed {
					return fmt.Errorf("<%s> spans lines in %q", tag, line)
				}
			}
		}
	}
	return nil
}

// verbPattern finds fmt verbs, with an optional explicit argument index.
var verbPattern = regexp.MustCompile(`%(\[(\d+)\])?[-+# 0]*\d*(\.\d+)?([a-zA-Z%])`)

// placeholders returns "argument:verb" for each verb of format, resolving implicit
// indexes as fmt does, sorted.
func placeholders(format string) []string {
	var out []string
	next := 1
	for _, m := range verbPattern.FindAllStringSubmatch(format, -1) {
		if m[4] == "%" {
			continue
		}
		arg := next
		if m[2] != "" {
			arg, _ = strconv.Atoi(m[2])
		}
		next = arg + 1
		out = append(out, fmt.Sprintf("%d:%s", arg, m[4]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// HasText reports whether the catalog has a text of key (for tests that check that
// the keys the code asks for exist).
func (b *Texts) HasText(key string) bool {
	_, ok := b.texts[key]
	return ok
}

// CommonTexts returns the kernel's own texts: errors, buttons and words every
// feature uses. Features' tests check their keys against them and their own.
func CommonTexts() map[string]Text { return kernelTexts() }

// ErrorKey names the text that explains an error to people: an error err
// wraps (errors.Is) is told with the text of Key.
type ErrorKey struct {
	Err error
	Key string
}

// errorKeys maps the errors of core that people meet to their texts, in the order
// they are checked (errors.Is), after the features' own (Router.AddErrors).
var errorKeys = []ErrorKey{
	{ErrStaleButton, "err_stale_button"},
	{errCallbackTooLong, "err_stale_button"},
	{errCallbackVerb, "err_stale_button"},
	{errCallbackArg, "err_stale_button"},
	{errCallbackArity, "err_stale_button"},
	{errCallbackInt, "err_stale_button"},
	{ErrProductGone, "err_product_gone"},

	{order.ErrOrderNotFound, "err_order_not_found"},
	{order.ErrSoldOut, "err_sold_out"},
	{order.ErrNotEnoughStock, "err_not_enough_stock"},
	{order.ErrEmptyCart, "err_empty_cart"},
	{order.ErrQuantity, "err_order_quantity"},
	{order.ErrUnavailable, "err_product_gone"},
	{order.ErrReservationExpired, "err_reservation_expired"},
	{order.ErrAlreadyPaid, "err_already_paid"},
	{order.ErrNotPayable, "err_not_payable"},
	{order.ErrAmountMismatch, "err_amount_mismatch"},
	{order.ErrTransition, "err_transition"},
	{order.ErrTeamForming, "err_team_forming"},
	{order.ErrPickupPoint, "err_pickup_point"},
	{order.ErrShippingOption, "err_shipping_option"},
	{order.ErrNotBuyer, "err_order_not_found"},
	{order.ErrMixedShops, "err_mixed_shops"},
	{order.ErrDelivery, "err_delivery"},
	{order.ErrChargeNotFound, "err_charge_not_found"},
	{order.ErrStarsRefund, "err_stars_refund"},
	{order.ErrDuplicatePayment, "err_already_paid"},
	{ErrNoDelivery, "err_no_delivery"},
	{ErrNoCardPayments, "err_no_card_payments"},

	{catalog.ErrNotStaff, "err_not_staff"},
	{catalog.ErrNotOwner, "err_not_owner"},
	{catalog.ErrNotOperator, "err_not_operator"},
	{catalog.ErrShopNotFound, "err_shop_not_found"},
	{catalog.ErrShopBlocked, "err_shop_blocked"},
	{catalog.ErrShopName, "err_shop_name"},
	{catalog.ErrStarsCurrency, "err_stars_currency"},
	{catalog.ErrNoProvider, "err_no_provider"},
	{catalog.ErrProviderChoice, "err_provider_choice"},
	{catalog.ErrStarsShipping, "err_stars_shipping"},
	{catalog.ErrProductNotFound, "err_product_gone"},
	{catalog.ErrVariantNotFound, "err_product_gone"},
	{catalog.ErrTitle, "err_title"},
	{catalog.ErrDescription, "err_description"},
	{catalog.ErrNoVariants, "err_no_variants"},
	{catalog.ErrTooManyPhotos, "err_too_many_photos"},
	{catalog.ErrSKUTaken, "err_sku_taken"},
	{catalog.ErrSKU, "err_sku"},
	{catalog.ErrQuantity, "err_stock_quantity"},
	{catalog.ErrStockBelowZero, "err_stock_below_zero"},
	{catalog.ErrWrongCurrency, "err_wrong_currency"},
	{catalog.ErrInviteInvalid, "err_invite_invalid"},
	{catalog.ErrLastOwner, "err_last_owner"},
	{catalog.ErrCategoryName, "err_category_name"},
	{catalog.ErrReservationTTL, "err_reservation_ttl"},
	{catalog.ErrPaymentMethod, "err_payment_method"},
	{catalog.ErrCardCurrency, "err_card_currency"},
	{catalog.ErrCurrencyLocked, "err_currency_locked"},
	{catalog.ErrCategoryNotFound, "err_category_not_found"},
	{catalog.ErrCategoryTaken, "err_category_taken"},
	{catalog.ErrPhoto, "err_photo"},
	{catalog.ErrVariantName, "err_variant_name"},
	{catalog.ErrTooManyVariants, "err_too_many_variants"},
	{catalog.ErrAdjustKind, "err_adjust_kind"},
	{catalog.ErrNote, "err_note"},
	{catalog.ErrPickupPoint, "err_pickup_point_fields"},
	{catalog.ErrPickupPointNotFound, "err_pickup_point_not_found"},
	{catalog.ErrShippingOption, "err_shipping_option_fields"},
	{catalog.ErrShippingOptionNotFound, "err_shipping_option_not_found"},
	{catalog.ErrStockFile, "err_stock_file"},
	{catalog.ErrStockFileEncoding, "err_stock_file_encoding"},
	{catalog.ErrStockFileTooLarge, "err_stock_file_too_large"},
	{catalog.ErrNoSKUColumn, "err_no_sku_column"},
	{catalog.ErrDuplicateColumn, "err_duplicate_column"},
	{catalog.ErrRowCells, "err_row_cells"},
	{catalog.ErrRowFormat, "err_row_format"},
	{catalog.ErrDuplicateSKU, "err_duplicate_sku"},
	{catalog.ErrUnknownSKU, "err_unknown_sku"},
	{catalog.ErrImportStale, "err_import_stale"},

	{core.ErrCurrencyUnknown, "err_currency_unknown"},
	{core.ErrCurrencyMismatch, "err_currency_mismatch"},
	{core.ErrPriceFormat, "err_price_format"},
	{core.ErrPriceNegative, "err_price_negative"},
	{core.ErrPriceZero, "err_price_zero"},
	{core.ErrPriceTooPrecise, "err_price_too_precise"},
	{core.ErrPriceTooLarge, "err_amount_too_large"},
	{core.ErrAmountOverflow, "err_amount_too_large"},

	{orphan.ErrNotFound, "err_orphan_not_found"},
	{orphan.ErrNotStars, "err_orphan_not_stars"},
	{orphan.ErrSettled, "err_orphan_settled"},
	{orphan.ErrRefundUnderway, "err_orphan_refund_pending"},

	{user.ErrLanguage, "err_language"},
	{user.ErrNotFound, "err_not_found"},
}

// ErrorText explains err to a person in lang: a known error by its own text, any
// other application error by its code, and anything else as "something went wrong"
// (its details are for the log, not for the user).
func (b *Texts) ErrorText(lang string, err error) string {
	for _, keys := range [][]ErrorKey{b.errors, errorKeys} {
		for _, e := range keys {
			if errors.Is(err, e.Err) {
				return b.T(lang, e.Key)
			}
		}
	}
	switch core.ErrorCode(err) {
	case core.ENOTFOUND:
		return b.T(lang, "err_not_found")
	case core.EFORBIDDEN:
		return b.T(lang, "err_forbidden")
	case core.ECONFLICT:
		return b.T(lang, "err_conflict")
	case core.EINVALID:
		if lang == "en" {
			// The application's message is English and safe to show.
			return b.T(lang, "err_invalid_detail", core.ErrorMessage(err))
		}
		return b.T(lang, "err_invalid")
	}
	return b.T(lang, "error_internal")
}

// ErrProductGone answers a button of a product that was archived or deleted.
var ErrProductGone = &core.Error{Code: core.ENOTFOUND, Message: "this product is gone"}

// kernelTexts is the catalog of the kernel and, for now, of the shopper's side.
func kernelTexts() map[string]Text {
	return map[string]Text{
		// Command menu.

		// Common buttons.
		"btn_back": {RU: "⬅️ Назад", EN: "⬅️ Back"},
		"btn_prev": {RU: "◀️", EN: "◀️"},
		"btn_next": {RU: "▶️", EN: "▶️"},
		"btn_page": {RU: "%d / %d", EN: "%d / %d"},

		// Start, help, language, unknown input.
		"shops_empty": {RU: "Магазинов пока нет.", EN: "There are no shops yet."},
		"unknown_command": {
			RU: "Такой команды я не знаю. Список — в /help.",
			EN: "I do not know this command. /help lists what I can do.",
		},
		"send_words": {
			RU: "Напишите, что ищете, или откройте магазины: /start",
			EN: "Type what you are looking for, or browse the shops: /start",
		},
		"cancel_done":      {RU: "Отменено.", EN: "Cancelled."},
		"dialog_cancelled": {RU: "✖️ Отменено: %s.", EN: "✖️ Cancelled: %s."},
		"dialog_cart_qty":  {RU: "изменение количества", EN: "changing the quantity"},

		// Catalog.
		"card_choose": {RU: "Выберите вариант:", EN: "Choose an option:"},
		"btn_qty":     {RU: "%[1]d шт.", EN: "%[1]d pc|%[1]d pcs"},

		// Search.

		// Inline mode.
		"inline_nothing": {RU: "Ничего не нашлось", EN: "Nothing found"},

		// Cart.

		// Checkout.
		"delivery_pickup":  {RU: "Самовывоз: %s, %s", EN: "Pickup: %s, %s"},
		"delivery_hours":   {RU: " (%s)", EN: " (%s)"},
		"delivery_ship":    {RU: "Доставка по адресу", EN: "Delivery to your address"},
		"delivery_none":    {RU: "Доставка не нужна", EN: "No delivery needed"},
		"pickup_unknown":   {RU: "место выдачи сообщит продавец", EN: "the seller will tell you where"},
		"duration_minutes": {RU: "%d мин", EN: "%d min"}, // units take no dot in Russian: texts end with one
		"duration_hours":   {RU: "%d ч %d мин", EN: "%d h %d min"},

		// Payment.

		// Orders.
		"order_line":              {RU: "• %s — %d × %s", EN: "• %s — %d × %s"},
		"order_shipping_cost":     {RU: "Доставка: %s", EN: "Shipping: %s"},
		"order_tracking":          {RU: "Трек: %s", EN: "Tracking: %s"},
		"btn_order_pay":           {RU: "💳 Оплатить", EN: "💳 Pay"},
		"btn_orders_back":         {RU: "⬅️ К заказам", EN: "⬅️ Back to orders"},
		"status_awaiting_payment": {RU: "ждёт оплаты", EN: "awaiting payment"},
		"status_paid":             {RU: "оплачен", EN: "paid"},
		"status_shipped":          {RU: "отправлен", EN: "shipped"},
		"status_ready_for_pickup": {RU: "готов к выдаче", EN: "ready for pickup"},
		"status_completed":        {RU: "получен", EN: "completed"},
		"status_expired":          {RU: "бронь истекла", EN: "expired"},
		"status_cancelled":        {RU: "отменён", EN: "cancelled"},
		"status_refund_pending":   {RU: "возврат оплаты", EN: "refund pending"},
		"status_refunded":         {RU: "оплата возвращена", EN: "refunded"},

		// Notifications to the buyer.
		"notify_paid":     {RU: "✅ Заказ <b>№%d</b> оплачен.", EN: "✅ Order <b>#%d</b> is paid."},
		"notify_shipped":  {RU: "🚚 Заказ <b>№%d</b> отправлен.", EN: "🚚 Order <b>#%d</b> is shipped."},
		"notify_tracking": {RU: "\nТрек: %s", EN: "\nTracking: %s"},
		"notify_ready": {
			RU: "📍 Заказ <b>№%d</b> готов к выдаче: %s.",
			EN: "📍 Order <b>#%d</b> is ready for pickup: %s.",
		},
		"notify_completed": {RU: "🎉 Заказ <b>№%d</b> получен. Спасибо за покупку!", EN: "🎉 Order <b>#%d</b> is completed. Thank you for shopping!"},
		"notify_expired": {
			RU: "⏰ Бронь заказа <b>№%d</b> истекла, товар снова в продаже. Оформить заново можно в любой момент.",
			EN: "⏰ The reservation of order <b>#%d</b> has ended and the goods are back on sale. You can order again any time.",
		},
		"notify_cancelled":                {RU: "✖️ Заказ <b>№%d</b> отменён.", EN: "✖️ Order <b>#%d</b> is cancelled."},
		"notify_cancel_reason":            {RU: "\nПричина: %s", EN: "\nReason: %s"},
		"notify_reason_session_cancelled": {RU: "эфир, в котором вы его оформили, отменён", EN: "the live session you ordered it in was cancelled"},
		"notify_reason_claim_ended":       {RU: "бронь дропа истекла", EN: "the drop's reservation ended"},
		"notify_reason_group_cancelled":   {RU: "организатор отменил совместную покупку", EN: "the organizer called off the group buy"},
		"reason_buyer":                    {RU: "покупатель отменил заказ", EN: "the buyer cancelled it"},
		"reason_unpayable":                {RU: "магазин не мог принять оплату картой", EN: "the shop could not take card payments"},
		"notify_cancel_refund":            {RU: "\nОплата будет возвращена.", EN: "\nThe payment will be refunded."},
		"notify_refund_pending":           {RU: "😔 Заказ <b>№%d</b> выполнить не получится: оплата (%s) возвращается.", EN: "😔 Order <b>#%d</b> cannot be fulfilled: the payment (%s) is being refunded."},
		"notify_refunded":                 {RU: "💸 Оплата заказа <b>№%d</b> (%s) возвращена.", EN: "💸 The payment for order <b>#%d</b> (%s) is refunded."},
		"btn_open_my_order":               {RU: "Открыть заказ", EN: "Open the order"},

		// Notifications to staff.
		"staff_paid": {
			RU: "💰 <b>Новый оплаченный заказ №%d</b> · %s\n\n%s\n\nИтого: <b>%s</b>\nПокупатель: %s\n%s",
			EN: "💰 <b>New paid order #%d</b> · %s\n\n%s\n\nTotal: <b>%s</b>\nBuyer: %s\n%s",
		},
		"staff_refund_pending": {
			RU: "⚠️ Заказ <b>№%d</b> · %s оплачен после окончания брони, а товара уже нет. %s",
			EN: "⚠️ Order <b>#%d</b> · %s was paid after its reservation ended and the stock is gone. %s",
		},
		"staff_refund_stars": {RU: "Звёзды (%s) возвращаются покупателю автоматически.", EN: "The Stars (%s) are being refunded to the buyer automatically."},
		"staff_refund_card": {
			RU: "Верните покупателю %s через платёжную систему, а потом подтвердите возврат кнопкой ниже.",
			EN: "Please refund %s to the buyer at your payment provider, then confirm it with the button below.",
		},
		"staff_refund_cancelled": {
			RU: "💸 Заказ <b>№%d</b> · %s отменён, оплата возвращается покупателю. %s",
			EN: "💸 Order <b>#%d</b> · %s is cancelled, and its payment goes back to the buyer. %s",
		},
		"staff_refund_extra": {
			RU: "💸 Заказ <b>№%d</b> · %s получил лишнюю оплату (повторную или от другого человека). %s",
			EN: "💸 Order <b>#%d</b> · %s received a payment it does not need (a second one, or from someone else). %s",
		},
		"btn_admin_order": {RU: "Открыть заказ", EN: "Open the order"},

		// Errors.
		"error_internal":                {RU: "Что-то пошло не так. Попробуйте чуть позже.", EN: "Something went wrong. Please try again a little later."},
		"err_stale_button":              {RU: "Эта кнопка устарела. Начните заново: /start", EN: "This button no longer works. Start again: /start"},
		"err_not_payable":               {RU: "Этот заказ больше нельзя оплатить.", EN: "This order can no longer be paid."},
		"err_shipping_option":           {RU: "Выберите способ доставки этого магазина.", EN: "Please choose a shipping option of this shop."},
		"err_orphan_not_found":          {RU: "Такой оплаты нет.", EN: "There is no such payment."},
		"err_orphan_not_stars":          {RU: "Через Telegram возвращают только звёзды; оплату картой возвращают у провайдера.", EN: "Only Stars are refunded through Telegram; a card payment is refunded at the provider."},
		"err_orphan_settled":            {RU: "Эта оплата уже возвращена или решена.", EN: "This payment is already refunded or resolved."},
		"err_orphan_refund_pending":     {RU: "Возврат этой оплаты уже идёт.", EN: "The refund of this payment is already under way."},
		"err_product_gone":              {RU: "Этого товара больше нет.", EN: "This product is gone."},
		"err_order_not_found":           {RU: "Заказ не найден.", EN: "Order not found."},
		"err_sold_out":                  {RU: "Увы, товар закончился.", EN: "Sorry, it is sold out."},
		"err_not_enough_stock":          {RU: "Столько нет в наличии. Уменьшите количество.", EN: "Not that many in stock. Please take fewer."},
		"err_empty_cart":                {RU: "Корзина пуста.", EN: "The cart is empty."},
		"err_order_quantity":            {RU: "Количество — от 1 до 999.", EN: "A quantity is 1 to 999."},
		"err_reservation_expired":       {RU: "Бронь истекла. Оформите заказ заново.", EN: "The reservation has expired. Please check out again."},
		"err_already_paid":              {RU: "Этот заказ уже оплачен.", EN: "This order was already paid."},
		"err_amount_mismatch":           {RU: "Сумма не совпадает с заказом. Оформите заказ заново.", EN: "The amount does not match the order. Please check out again."},
		"err_team_forming":              {RU: "Это заказ командной покупки, команда ещё собирается: отправлять — когда соберётся (иначе деньги вернутся покупателю).", EN: "This order is part of a team buy that is still forming: send it once the team fills (otherwise the buyer is refunded)."},
		"err_transition":                {RU: "С заказом в этом статусе так сделать нельзя.", EN: "This cannot be done with the order in its current state."},
		"err_pickup_point":              {RU: "Выберите пункт самовывоза этого магазина.", EN: "Please choose a pickup point of this shop."},
		"err_mixed_shops":               {RU: "В одном заказе — товары одного магазина.", EN: "One order holds goods of one shop."},
		"err_not_staff":                 {RU: "Это доступно только сотрудникам магазина.", EN: "Only the shop's staff can do this."},
		"err_not_owner":                 {RU: "Это доступно только владельцу магазина.", EN: "Only the shop's owner can do this."},
		"err_not_operator":              {RU: "Это доступно только операторам платформы.", EN: "Only platform operators can do this."},
		"err_shop_not_found":            {RU: "Магазин не найден.", EN: "Shop not found."},
		"err_shop_blocked":              {RU: "Магазин сейчас недоступен.", EN: "This shop is not available now."},
		"err_shop_name":                 {RU: "Название магазина — от 1 до 64 символов.", EN: "A shop name is 1 to 64 characters."},
		"err_stars_currency":            {RU: "Магазин, принимающий звёзды, продаёт в звёздах (XTR).", EN: "A shop paid in Stars sells in Stars (XTR)."},
		"err_no_provider":               {RU: "Для оплаты картой нужен токен платёжного провайдера.", EN: "Card payments need a payment provider token."},
		"err_title":                     {RU: "Название — от 1 до 128 символов.", EN: "A title is 1 to 128 characters."},
		"err_description":               {RU: "Описание — не больше 1000 символов.", EN: "A description is at most 1000 characters."},
		"err_no_variants":               {RU: "У товара должен быть хотя бы один вариант.", EN: "A product needs at least one option."},
		"err_too_many_photos":           {RU: "Не больше 10 фото.", EN: "At most 10 photos."},
		"err_sku_taken":                 {RU: "Такой артикул в магазине уже есть.", EN: "This SKU is already used in the shop."},
		"err_sku":                       {RU: "Артикул — от 1 до 64 букв, цифр, «-», «_» или «.».", EN: "A SKU is 1 to 64 letters, digits, '-', '_' or '.'."},
		"err_stock_quantity":            {RU: "Количество — целое число от 0 до 1 000 000.", EN: "A quantity is a whole number from 0 to 1,000,000."},
		"err_stock_below_zero":          {RU: "Остаток не может стать меньше забронированного.", EN: "Stock cannot go below what is reserved."},
		"err_wrong_currency":            {RU: "Цены указываются в валюте магазина.", EN: "Prices are in the shop's currency."},
		"err_invite_invalid":            {RU: "Это приглашение уже использовано или истекло.", EN: "This invitation is used or expired."},
		"err_last_owner":                {RU: "Владельца удалить нельзя.", EN: "The owner cannot be removed."},
		"err_category_name":             {RU: "Название раздела — от 1 до 64 символов.", EN: "A category name is 1 to 64 characters."},
		"err_reservation_ttl":           {RU: "Время брони — от 1 минуты до 24 часов.", EN: "The reservation time is 1 minute to 24 hours."},
		"err_currency_unknown":          {RU: "Такой валюты я не знаю. Например: RUB, USD, XTR.", EN: "I do not know this currency. For example: RUB, USD, XTR."},
		"err_currency_mismatch":         {RU: "Валюта не совпадает с валютой магазина.", EN: "The currency differs from the shop's."},
		"err_price_format":              {RU: "Это не похоже на цену. Напишите цифрами, например 1250 или 12,50.", EN: "That is not a price. Use digits, like 1250 or 12.50."},
		"err_price_negative":            {RU: "Цена не может быть отрицательной.", EN: "A price cannot be negative."},
		"err_price_zero":                {RU: "Цена должна быть больше нуля.", EN: "A price must be more than zero."},
		"err_price_too_precise":         {RU: "Слишком много цифр после запятой.", EN: "Too many digits after the decimal point."},
		"err_amount_too_large":          {RU: "Слишком большая сумма.", EN: "The amount is too large."},
		"err_language":                  {RU: "Этот язык я пока не знаю.", EN: "I do not speak this language yet."},
		"err_not_found":                 {RU: "Не найдено.", EN: "Not found."},
		"err_delivery":                  {RU: "Выберите, как получить заказ: самовывоз или доставка.", EN: "Choose how to receive the order: pickup or delivery."},
		"err_no_delivery":               {RU: "Магазин ещё не настроил самовывоз или доставку, поэтому пока не принимает заказы.", EN: "This shop has not set up pickup or delivery yet, so it cannot take orders now."},
		"err_charge_not_found":          {RU: "Платёж не найден.", EN: "Payment not found."},
		"err_stars_refund":              {RU: "Звёзды возвращаются покупателю автоматически, отмечать возврат вручную не нужно.", EN: "Stars are refunded to the buyer automatically; there is nothing to mark by hand."},
		"err_payment_method":            {RU: "Выберите оплату: звёзды или карта.", EN: "Choose Stars or a card provider."},
		"err_card_currency":             {RU: "Оплата картой не может быть в звёздах (XTR).", EN: "Card payments cannot be in Stars (XTR)."},
		"err_currency_locked":           {RU: "Валюту можно сменить, только пока в магазине нет товаров.", EN: "The currency can change only while the shop has no products."},
		"err_category_not_found":        {RU: "Раздел не найден.", EN: "Category not found."},
		"err_category_taken":            {RU: "Раздел с таким названием уже есть.", EN: "The shop already has a category with this name."},
		"err_photo":                     {RU: "Не хватает фото.", EN: "A photo is missing."},
		"err_variant_name":              {RU: "У каждого варианта товара должно быть своё название, до 64 символов.", EN: "Each option of a product with several needs its own name, up to 64 characters."},
		"err_too_many_variants":         {RU: "Не больше 50 вариантов.", EN: "At most 50 options."},
		"err_adjust_kind":               {RU: "Приход добавляет товар, списание убирает, корректировка — и то и другое.", EN: "A receipt adds stock, a write-off removes it, a correction does either."},
		"err_note":                      {RU: "Комментарий — не больше 500 символов.", EN: "A note is at most 500 characters."},
		"err_pickup_point_fields":       {RU: "Пункт самовывоза: название (до 64 символов), адрес (до 256) и часы работы (до 128).", EN: "A pickup point needs a name (up to 64 characters), an address (up to 256) and hours (up to 128)."},
		"err_pickup_point_not_found":    {RU: "Пункт самовывоза не найден.", EN: "Pickup point not found."},
		"err_shipping_option_fields":    {RU: "Способу доставки нужно название до 64 символов.", EN: "A shipping option needs a name of up to 64 characters."},
		"err_shipping_option_not_found": {RU: "Способ доставки не найден.", EN: "Shipping option not found."},
		"err_stock_file":                {RU: "Это не CSV-таблица с заголовком.", EN: "The file is not a CSV table with a header row."},
		"err_stock_file_encoding":       {RU: "Файл не в UTF-8: сохраните его как «CSV UTF-8».", EN: "The file is not UTF-8 text: save it as CSV UTF-8."},
		"err_stock_file_too_large":      {RU: "Файл слишком большой: не больше 10 000 строк.", EN: "The file is too large: at most 10,000 rows."},
		"err_no_sku_column":             {RU: "В файле нет колонки sku.", EN: "The file has no sku column."},
		"err_duplicate_column":          {RU: "Колонка повторяется в заголовке.", EN: "A column appears twice in the header."},
		"err_row_cells":                 {RU: "В строке другое число ячеек, чем в заголовке (цену с запятой возьмите в кавычки).", EN: "The row has a different number of cells than the header (a price with a comma must be in quotes)."},
		"err_row_format":                {RU: "Строка — не корректный CSV (проверьте кавычки).", EN: "The row is not valid CSV (check the quotes)."},
		"err_duplicate_sku":             {RU: "Этот артикул встречается в файле несколько раз.", EN: "This SKU appears more than once in the file."},
		"err_unknown_sku":               {RU: "В магазине нет товара с таким артикулом.", EN: "No product of the shop has this SKU."},
		"err_import_stale":              {RU: "Строка изменилась после предпросмотра: выгрузите остатки и загрузите файл заново.", EN: "This row changed since the preview: export the stock and upload the file again."},
		"err_forbidden":                 {RU: "Это вам недоступно.", EN: "You may not do this."},
		"err_conflict":                  {RU: "Сейчас так сделать нельзя.", EN: "This cannot be done right now."},
		"err_invalid":                   {RU: "Не получилось: проверьте введённые данные.", EN: "That did not work: please check what you entered."},
		"err_invalid_detail":            {RU: "Не получилось: %s.", EN: "That did not work: %s."},
		"err_no_card_payments": {
			RU: "Этот магазин сейчас не может принять оплату картой. Попробуйте позже.",
			EN: "This shop cannot take card payments right now. Please try again later.",
		},
		"err_provider_choice": {
			RU: "Выберите что-то одно: свой токен провайдера или провайдера платформы.",
			EN: "Choose either your own provider token or the platform's provider.",
		},
		"err_stars_shipping": {
			RU: "Магазин, принимающий звёзды, не может предлагать доставку: Telegram не запрашивает адрес для оплаты звёздами.",
			EN: "A shop paid in Stars cannot offer shipping: Telegram asks no address for Stars payments.",
		},
	}
}
