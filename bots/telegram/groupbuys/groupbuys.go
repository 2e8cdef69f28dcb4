// Package groupbuys is group buys ("совместные покупки") in the bot: a
// purchase's card, where shoppers join, change their quantity or leave until
// STOP; the organizer's screens in the shop's admin menu (a new purchase,
// its participants and link, STOP); and, for the workers, each participant's
// invoice once a purchase stopped (SendPlaceInvoice) and the message of one
// that failed.
package groupbuys

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Feature is group buys in the bot. Create it with New and hand it to
// telegram.New.
type Feature struct {
	k       *telegram.Bot
	api     *telego.Bot
	groups  *groupbuy.Service
	catalog *catalog.Service
	orders  *order.Service
	users   *user.Service
	clock   core.Clock
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{api: d.API, groups: d.GroupBuys, catalog: d.Catalog, orders: d.Orders, users: d.Users, clock: d.Clock}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	r.AddTexts(texts())
	r.AddTexts(waitlistTexts())
	r.AddTexts(exportTexts())
	r.AddTexts(shareTexts())
	r.AddTexts(handoverTexts())
	r.AddTexts(prepayTexts())
	r.AddErrors(errorKeys...)
	b.cardRoutes(r)
	b.waitlistRoutes(r)
	b.shareRoutes(r)
	b.handoverRoutes(r)
	b.prepayRoutes(r)
	org := &organizer{b}
	org.organizerRoutes(r)
	org.pickupRoutes(r)
	org.shippingRoutes(r)
}

// errorKeys maps the errors of group buys to their texts, registered with
// the kernel (Router.AddErrors): every handler's error is told with them.
var errorKeys = []telegram.ErrorKey{
	{Err: groupbuy.ErrNotFound, Key: "gb_err_not_found"},
	{Err: groupbuy.ErrPaidPlace, Key: "gb_err_paid_place"},
	{Err: groupbuy.ErrPrepaidReopen, Key: "gb_err_prepaid_reopen"},
	{Err: groupbuy.ErrNotOwed, Key: "gb_err_not_owed"},
	{Err: groupbuy.ErrClosed, Key: "gb_err_closed"},
	{Err: groupbuy.ErrQuantity, Key: "gb_err_quantity"},
	{Err: groupbuy.ErrNotOffered, Key: "gb_err_not_offered"},
	{Err: groupbuy.ErrPickup, Key: "gb_err_pickup"},
	{Err: groupbuy.ErrNotParticipant, Key: "gb_err_not_participant"},
	{Err: groupbuy.ErrNotOrganizer, Key: "gb_err_not_organizer"},
	{Err: groupbuy.ErrMinimumNotMet, Key: "gb_err_minimum"},
	{Err: groupbuy.ErrDeadline, Key: "gb_err_deadline_past"},
	{Err: groupbuy.ErrNoDelivery, Key: "gb_err_no_delivery"},
	{Err: groupbuy.ErrExtended, Key: "gb_err_extended"},
	{Err: groupbuy.ErrCode, Key: "gb_err_code"},
	{Err: groupbuy.ErrCollected, Key: "gb_err_collected"},
	{Err: groupbuy.ErrNotReady, Key: "gb_err_not_ready"},
	{Err: groupbuy.ErrNotFailed, Key: "gb_err_not_failed"},
	{Err: groupbuy.ErrShippingSplit, Key: "gb_err_shipping_done"},
	{Err: groupbuy.ErrNoShares, Key: "gb_err_no_shares"},
	{Err: groupbuy.ErrHandoverGone, Key: "gb_err_handover_gone"},
	{Err: groupbuy.ErrHandoverPaid, Key: "gb_err_handover_paid"},
	{Err: groupbuy.ErrHandoverSelf, Key: "gb_err_handover_self"},
	{Err: groupbuy.ErrNoWaitlist, Key: "gb_err_waitlist"},
	{Err: groupbuy.ErrHasPlace, Key: "gb_err_has_place"},
	{Err: groupbuy.ErrOfferGone, Key: "gb_err_offer"},
}

// SendPlaceInvoice tells a participant of a stopped purchase that it goes
// ahead, at which price and until when to pay, and sends the invoice of their
// place's order, unless one went (the order's invoice is begun once: a task
// run again sends nothing twice). A participant who blocked the bot is no
// error: their order waits, and the organizer sees it unpaid.
func (b *Feature) SendPlaceInvoice(ctx context.Context, o order.Order) error {
	ok, err := b.orders.BeginInvoice(ctx, o.ID, o.BuyerID)
	if err != nil || !ok {
		return err
	}
	err = b.sendPlaceInvoice(ctx, o)
	if code := telegram.APIErrorCode(err); code == 403 || code == 400 {
		err = nil // blocked, or never reachable: nothing a retry mends
	}
	if err != nil {
		if aerr := b.orders.AbortInvoice(context.WithoutCancel(ctx), o.ID); aerr != nil {
			return errors.Join(err, aerr)
		}
	}
	return err
}

// SendShippingInvoice tells a participant their share of the shipping of the
// goods to the pickup point and sends its invoice, once, as SendPlaceInvoice
// does (workers/groupbuys.Bot).
func (b *Feature) SendShippingInvoice(ctx context.Context, o order.Order) error {
	ok, err := b.orders.BeginInvoice(ctx, o.ID, o.BuyerID)
	if err != nil || !ok {
		return err
	}
	err = b.sendShippingInvoice(ctx, o)
	if code := telegram.APIErrorCode(err); code == 403 || code == 400 {
		err = nil
	}
	if err != nil {
		if aerr := b.orders.AbortInvoice(context.WithoutCancel(ctx), o.ID); aerr != nil {
			return errors.Join(err, aerr)
		}
	}
	return err
}

func (b *Feature) sendShippingInvoice(ctx context.Context, o order.Order) error {
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return err
	}
	p, err := b.groups.Purchase(ctx, o.GroupBuy)
	if err != nil {
		return err
	}
	lang := b.langOf(ctx, o.BuyerID)
	text := b.k.T(lang, "gb_shipping_share", p.Title, telegram.FormatMoney(lang, p.ShippingTotal), telegram.FormatMoney(lang, o.Total),
		o.ReservedUntil.In(moscow).Format("02.01 15:04"))
	if err := b.k.SendText(ctx, int64(o.BuyerID), text, nil); err != nil {
		return err
	}
	return b.k.SendInvoice(ctx, int64(o.BuyerID), lang, shop, o)
}

func (b *Feature) sendPlaceInvoice(ctx context.Context, o order.Order) error {
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err != nil {
		return err
	}
	lang := "ru"
	if u, err := b.users.User(ctx, o.BuyerID); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	var items []string
	for _, l := range o.Lines {
		items = append(items, b.k.Label(lang, "gb_item", l.Title, l.Quantity))
	}
	price := core.Money{}
	if len(o.Lines) > 0 {
		price = o.Lines[0].UnitPrice
	}
	text := b.k.T(lang, "gb_stopped", strings.Join(items, ", "), telegram.FormatMoney(lang, price),
		telegram.FormatMoney(lang, o.Fee), telegram.FormatMoney(lang, o.Total), o.ReservedUntil.In(moscow).Format("02.01 15:04"))
	text += b.repricedLine(ctx, lang, o)
	if err := b.k.SendText(ctx, int64(o.BuyerID), text, nil); err != nil {
		return err
	}
	return b.k.SendInvoice(ctx, int64(o.BuyerID), lang, shop, o)
}

// PurchaseNotice composes what tells a participant of an event of a
// purchase: it failed (nothing to pay), its deadline moved, or the organizer
// cancelled it (anything paid comes back) (workers/groupbuys.Bot).
func (b *Feature) PurchaseNotice(ctx context.Context, p groupbuy.Purchase, to core.UserID, ev groupbuy.Event) (core.Message, error) {
	lang := "ru"
	if u, err := b.users.User(ctx, to); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	var text string
	switch ev {
	case groupbuy.EventFailed:
		text = b.k.T(lang, "gb_failed", p.Title)
		if p.PayMode == groupbuy.PayToJoin {
			text = b.k.T(lang, "gb_failed_prepaid", p.Title)
		}
	case groupbuy.EventExtended:
		text = b.k.T(lang, "gb_extended", p.Title, p.Deadline.In(moscow).Format("02.01 15:04"))
	case groupbuy.EventCancelled:
		text = b.k.T(lang, "gb_cancelled", p.Title)
	case groupbuy.EventReopened:
		text = b.k.T(lang, "gb_reopened", p.Title, p.Deadline.In(moscow).Format("02.01 15:04"))
	default:
		return core.Message{}, fmt.Errorf("group buy event %q", ev)
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "gb_btn_open_card"), verbCard, int64(p.ID))).Markup()
	key := fmt.Sprintf("groupbuy:%d:%s:%d:%d", p.ID, ev, p.Deadline.Unix(), to)
	return b.k.MessageTo(key, core.PriorityReminder, to, telegram.View{Text: text, Keyboard: kb}), nil
}

// CutMessage composes what tells a participant what STOP cut of their place:
// the units beyond the purchase's full size rows, not bought and not paid
// (workers/groupbuys.Bot).
func (b *Feature) CutMessage(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place) (core.Message, error) {
	lang := "ru"
	if u, err := b.users.User(ctx, place.Buyer); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return core.Message{}, err
	}
	names := variantNames(prod)
	key := "gb_cut_part"
	if place.Quantity == 0 {
		key = "gb_cut_whole"
	}
	v := telegram.View{Text: b.k.T(lang, key, p.Title, names[place.Variant], place.Cut)}
	if place.Quantity == 0 && len(p.Variants) > 1 {
		// Cut whole: a place of another size may come free (the waiting list).
		v.Text += "\n\n" + b.k.T(lang, "gb_cut_other_size")
		k := &telegram.Keyboard{}
		var row []telego.InlineKeyboardButton
		for _, other := range p.Variants {
			if other == place.Variant {
				continue
			}
			if row = append(row, telegram.Button(b.k.Label(lang, "gb_btn_wait", names[other]), verbWait, int64(p.ID), int64(other))); len(row) == 3 {
				k.Row(row...)
				row = nil
			}
		}
		if len(row) > 0 {
			k.Row(row...)
		}
		v.Keyboard = k.Markup()
	}
	return b.k.MessageTo(fmt.Sprintf("groupbuy:%d:cut:%d", p.ID, place.ID), core.PriorityOrder, place.Buyer, v), nil
}

// moscow is the time zone a group buy's times are shown and read in.
var moscow = telegram.Moscow

// texts are the texts of group buys.
func texts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"gb_item": {RU: "%s × %d", EN: "%s × %d"},

		// The card.
		"gb_title":          {RU: "🤝 <b>%s</b>", EN: "🤝 <b>%s</b>"},
		"gb_fee":            {RU: " + сбор организатора %s", EN: " + organizer's fee %s"},
		"gb_price_now":      {RU: "Цена сейчас: <b>%s</b> за шт.%s", EN: "Price now: <b>%s</b> each%s"},
		"gb_tier_range":     {RU: "%d–%d шт. — %s", EN: "%d-%d: %s"},
		"gb_tier_from":      {RU: "от %d шт. — %s", EN: "%d and more: %s"},
		"gb_tiers":          {RU: "Цена падает для всех: %s", EN: "The price falls for everyone: %s"},
		"gb_progress_next":  {RU: "Набрано: <b>%d шт.</b> Ещё %d — и цена %s", EN: "Joined: <b>%d</b>. %d more and the price drops to %s"},
		"gb_progress":       {RU: "Набрано: <b>%d шт.</b> — самая низкая цена", EN: "Joined: <b>%d</b>: the lowest price"},
		"gb_min_units":      {RU: "Минимум: %d шт., не хватает %d", EN: "Minimum: %d, %d to go"},
		"gb_min_units_met":  {RU: "Минимум %d шт. набран ✅", EN: "Minimum of %d reached ✅"},
		"gb_min_sum":        {RU: "Минимум: на %s, набрано на %s", EN: "Minimum: %s, %s so far"},
		"gb_min_sum_met":    {RU: "Минимум на %s набран ✅", EN: "Minimum of %s reached ✅"},
		"gb_min_rows":       {RU: "Полных рядов: %d из %d", EN: "Full size rows: %d of %d"},
		"gb_min_rows_met":   {RU: "Полных рядов: %d из %d ✅", EN: "Full size rows: %d of %d ✅"},
		"gb_row_lacks":      {RU: "В открытом ряду не хватает: %s", EN: "The open row lacks: %s"},
		"gb_deadline":       {RU: "Сбор до %s МСК", EN: "Joining until %s MSK"},
		"gb_stopped_card":   {RU: "✅ Сбор закрыт: %d шт. по итоговой цене %s%s. Участникам отправлены счета.", EN: "✅ Closed: %d at the final price of %s%s. Participants got their invoices."},
		"gb_failed_card":    {RU: "😔 Не состоялась: к сроку набралось %d шт.", EN: "😔 Did not go ahead: %d joined by the deadline."},
		"gb_cancelled_card": {RU: "✖️ Организатор отменил эту покупку.", EN: "✖️ The organizer called this off."},
		"gb_mine":           {RU: "Вы участвуете:", EN: "You joined with:"},
		"gb_mine_line":      {RU: "• %s × %d", EN: "• %s × %d"},
		"gb_mine_to_pay":    {RU: " · к оплате %s до %s МСК", EN: " · to pay %s by %s MSK"},
		"gb_mine_paid":      {RU: " · оплачено ✅", EN: " · paid ✅"},
		"gb_mine_paid_at":   {RU: " · оплачено ✅, забрать: %s", EN: " · paid ✅, collect at %s"},
		"gb_mine_gone":      {RU: " · не оплачено в срок", EN: " · not paid in time"},
		"gb_btn_order":      {RU: "📦 Заказ №%d", EN: "📦 Order #%d"},
		"gb_btn_join":       {RU: "➕ %s", EN: "➕ %s"},
		"gb_btn_place":      {RU: "%s × %d", EN: "%s × %d"},
		"gb_btn_share":      {RU: "📤 Позвать друзей", EN: "📤 Invite friends"},
		"gb_joined":         {RU: "🎉 Вы в деле! Чем больше участников, тем ниже цена — позовите друзей.", EN: "🎉 You are in! The more join, the lower the price: invite friends."},
		"gb_left":           {RU: "Вы вышли из этой позиции.", EN: "You left that place."},
		"gb_ask_pickup":     {RU: "Где заберёте товар?", EN: "Where will you collect the goods?"},

		// The organizer's screens.
		"adm_btn_group_buys":        {RU: "🤝 Совместные покупки", EN: "🤝 Group buys"},
		"gb_shop":                   {RU: "🤝 Совместные покупки «%s»\n\nОрганизатор собирает заказы, пока не наберётся минимум; чем больше участников, тем ниже цена для всех. После STOP каждому приходит счёт.", EN: "🤝 Group buys of %s\n\nThe organizer gathers orders until the minimum is met; the more join, the lower the price for everyone. After STOP everyone gets an invoice."},
		"gb_shop_none":              {RU: "Пока ни одной.", EN: "None yet."},
		"gb_btn_new":                {RU: "➕ Новая совместная покупка", EN: "➕ New group buy"},
		"gb_btn_purchase_open":      {RU: "🟢 %s · %d шт.", EN: "🟢 %s · %d"},
		"gb_btn_purchase_stopped":   {RU: "✅ %s · %d шт.", EN: "✅ %s · %d"},
		"gb_btn_purchase_failed":    {RU: "😔 %s · %d шт.", EN: "😔 %s · %d"},
		"gb_btn_purchase_cancelled": {RU: "✖️ %s · %d шт.", EN: "✖️ %s · %d"},
		"gb_btn_purchase_arrived":   {RU: "📦 %s · %d шт.", EN: "📦 %s · %d"},
		"gb_btn_purchase_closed":    {RU: "🏁 %s · %d шт.", EN: "🏁 %s · %d"},
		"gb_ask_product":            {RU: "Какой товар покупаем вместе? Участники выберут размер или вариант.", EN: "Which product is bought together? Participants pick a size or variant."},
		"gb_want_product":           {RU: "товар (кнопкой)", EN: "a product (a button)"},
		"gb_ask_tiers":              {RU: "Ступени цены, через «;» или с новой строки: сначала цена от 1 шт., потом «сколько штук: цена». Например: <code>1000; 20: 900; 50: 800</code>", EN: "The price tiers, separated by \";\" or a line each: the price from 1 unit first, then \"units: price\". For example: <code>1000; 20: 900; 50: 800</code>"},
		"gb_want_tiers":             {RU: "ступени цены", EN: "price tiers"},
		"gb_err_tiers":              {RU: "Не понял ступени: первая — цена от 1 шт., дальше количество растёт, а цена падает (не больше 6 ступеней).", EN: "Those are not tiers: the first is the price from 1 unit, then units rise and the price falls (at most 6 tiers)."},
		"gb_ask_min_kind":           {RU: "Что считаем минимумом для выкупа?", EN: "What makes the minimum?"},
		"gb_btn_min_units":          {RU: "Количество штук", EN: "A number of units"},
		"gb_btn_min_rows":           {RU: "Полные размерные ряды", EN: "Full size rows"},
		"gb_want_min_kind":          {RU: "вид минимума (кнопкой)", EN: "a kind of minimum (a button)"},
		"gb_ask_min_units":          {RU: "Минимум, штук: например, 20.", EN: "The minimum, in units: say 20."},
		"gb_ask_min_rows":           {RU: "Сколько полных рядов (по одной вещи каждого размера) нужно поставщику? Например, 2.", EN: "How many full rows (one of every size) does the supplier need? Say 2."},
		"gb_err_min":                {RU: "Нужно целое число больше нуля.", EN: "A whole number above zero, please."},
		"gb_ask_fee":                {RU: "Сбор организатора в процентах (0–50): например, 15. Его увидят отдельно на карточке и в счёте.", EN: "The organizer's fee in percent (0-50): say 15. It is shown apart on the card and the invoice."},
		"gb_err_fee":                {RU: "Сбор — от 0 до 50 %.", EN: "The fee is 0-50 %."},
		"gb_ask_deadline":           {RU: "До какого времени собираем (МСК)? Например, %s.", EN: "Until when does it gather (MSK)? Say %s."},
		"gb_want_deadline":          {RU: "дату и время", EN: "a date and time"},
		"gb_err_deadline":           {RU: "Не понял время. Напишите, например, 10.12 20:00.", EN: "That is not a time. Send, say, 10.12 20:00."},
		"gb_created":                {RU: "✅ Совместная покупка «%s» открыта. Отправьте ссылку участникам.", EN: "✅ The group buy %s is open. Send its link to people."},
		"gb_org_people":             {RU: "Участников: %d", EN: "Participants: %d"},
		"gb_org_link":               {RU: "Ссылка для участников: %s", EN: "The participants' link: %s"},
		"gb_btn_stop":               {RU: "⏹ STOP: закрыть сбор по %s", EN: "⏹ STOP at %s"},
		"gb_btn_arrived":            {RU: "📦 Товар приехал", EN: "📦 The goods arrived"},
		"gb_arrived_notice":         {RU: "📦 Отмечено: товар на пунктах выдачи. Оплатившим участникам уходят коды выдачи.", EN: "📦 Done: the goods are at the pickup points. Paid participants are getting their pickup codes."},
		"gb_btn_arrived_again":      {RU: "📦 Коды оплатившим позже", EN: "📦 Codes for later payers"},
		"gb_btn_collect":            {RU: "🎫 Выдать по коду", EN: "🎫 Hand over by code"},
		"gb_ask_code":               {RU: "«%s»: введите код выдачи, который покажет участник (6 цифр). Можно вводить коды подряд.", EN: "%s: type the pickup code the participant shows (6 digits). Codes can follow one another."},
		"gb_want_code":              {RU: "код выдачи", EN: "a pickup code"},
		"gb_btn_collect_done":       {RU: "✅ Готово", EN: "✅ Done"},
		"gb_collected":              {RU: "✅ Выдано: %s — %s × %d.", EN: "✅ Handed over: %s, %s × %d."},
		"gb_hand_over":              {RU: "Код верный: %s — %s × %d. Выдать?", EN: "The code is right: %s, %s × %d. Hand it over?"},
		"gb_btn_hand_over":          {RU: "✅ Выдать", EN: "✅ Hand over"},
		"gb_pickup_code":            {RU: "📦 Товар совместной покупки «%s» приехал!\nЗабрать: %s\nВаш код выдачи: <b>%s</b> — покажите его или этот QR.", EN: "📦 The goods of the group buy %s arrived!\nCollect at: %s\nYour pickup code: <b>%s</b>; show it or this QR."},
		"gb_btn_roster":             {RU: "👥 Участники", EN: "👥 Participants"},
		"gb_roster":                 {RU: "👥 Участники «%s»:", EN: "👥 Participants of %s:"},
		"gb_roster_line":            {RU: "• %s — %s × %d%s", EN: "• %s: %s × %d%s"},
		"gb_roster_unpaid":          {RU: " · ждёт оплаты %s", EN: " · to pay %s"},
		"gb_roster_paid":            {RU: " · оплачено ✅", EN: " · paid ✅"},
		"gb_roster_gone":            {RU: " · не оплачено в срок", EN: " · not paid in time"},
		"gb_btn_extend":             {RU: "⏳ Продлить сбор", EN: "⏳ Extend the deadline"},
		"gb_ask_extend":             {RU: "Сейчас сбор до %s МСК. До какого времени продлить? Например, %s. Продлить можно один раз; участникам сообщим.", EN: "It gathers until %s MSK now. Until when? Say %s. It can be extended once; participants are told."},
		"gb_extended_notice":        {RU: "⏳ Сбор продлён до %s МСК. Участникам сообщаем.", EN: "⏳ Extended until %s MSK. Participants are being told."},
		"gb_btn_cancel":             {RU: "✖️ Отменить покупку", EN: "✖️ Cancel the group buy"},
		"gb_cancel_confirm":         {RU: "Отменить совместную покупку «%s»? Заказы участников отменятся, оплаченные — с возвратом денег; всем сообщим. Вернуть это нельзя.", EN: "Cancel the group buy %s? Participants' orders are cancelled, paid ones refunded, and everyone is told. This cannot be undone."},
		"gb_btn_cancel_yes":         {RU: "✖️ Да, отменить", EN: "✖️ Yes, cancel it"},
		"gb_cancelled_notice":       {RU: "✖️ Покупка отменена: заказы отменяются, оплаченные — с возвратом, участникам сообщаем.", EN: "✖️ Cancelled: orders are being called off, paid ones refunded, and participants told."},
		"gb_btn_refresh":            {RU: "🔄 Обновить", EN: "🔄 Refresh"},
		"gb_org_stopped":            {RU: "⏹ Сбор закрыт по %s за шт. Участникам уходят счета.", EN: "⏹ Closed at %s each. Participants are getting their invoices."},
		"gb_err_not_found":          {RU: "Такой совместной покупки нет.", EN: "There is no such group buy."},
		"gb_err_closed":             {RU: "Сбор уже закрыт: присоединиться или изменить участие нельзя.", EN: "Joining has closed: you can no longer join or change your place."},
		"gb_err_quantity":           {RU: "Можно взять от 1 до 99 шт.", EN: "Take 1 to 99."},
		"gb_err_not_offered":        {RU: "Этого варианта в покупке нет.", EN: "That variant is not in this group buy."},
		"gb_err_pickup":             {RU: "Выберите один из пунктов выдачи этой покупки.", EN: "Pick one of this group buy's pickup points."},
		"gb_err_not_participant":    {RU: "Вы не участвуете в этой позиции.", EN: "You have not joined with that."},
		"gb_err_not_organizer":      {RU: "Это может только организатор.", EN: "Only the organizer can do this."},
		"gb_err_minimum":            {RU: "STOP можно нажать, когда минимум набран.", EN: "STOP needs the minimum met."},
		"gb_err_deadline_past":      {RU: "Это время уже прошло. Укажите время в будущем.", EN: "That time has passed. Give a time in the future."},
		"gb_err_code":               {RU: "Такого кода нет в этой покупке. Проверьте цифры.", EN: "No place of this group buy has that code. Check the digits."},
		"gb_err_collected":          {RU: "Этот код уже использован: товар выдан.", EN: "That code was used: the goods were handed over."},
		"gb_err_not_ready":          {RU: "Заказ по этому коду не готов к выдаче: не оплачен или отменён. Товар не выдавайте.", EN: "This code's order is not ready for pickup: unpaid or cancelled. Do not hand the goods over."},
		"gb_err_extended":           {RU: "Сбор уже продлевали: продлить можно один раз.", EN: "It was extended once already: once is all."},
		"gb_err_no_delivery":        {RU: "Добавьте магазину пункт выдачи или доставку: участникам нужно где-то забрать товар.", EN: "Give the shop a pickup point or shipping: participants need somewhere to collect."},
		"gb_cut_part": {
			RU: "«%s»: размер %s × %d не вошёл в полные ряды — поставщик продаёт только целые ряды. Эту часть покупать и оплачивать не нужно, остальное — в счёте.",
			EN: "%s: size %s × %d did not fit in full rows (the supplier sells whole rows only). You do not buy or pay for that part; the rest is in your invoice.",
		},
		"gb_cut_other_size": {
			RU: "Хотите другой размер? Встаньте в лист ожидания: если кто-то не оплатит своё место, его предложат вам.",
			EN: "Want another size? Join its waiting list: if someone does not pay for their place, it is offered to you.",
		},
		"gb_cut_whole": {
			RU: "«%s»: размер %s × %d не вошёл в полные ряды — поставщик продаёт только целые ряды. Платить ничего не нужно.",
			EN: "%s: size %s × %d did not fit in full rows (the supplier sells whole rows only). There is nothing to pay.",
		},
		"gb_extended": {
			RU: "⏳ Сбор совместной покупки «%s» продлён до %s МСК: ещё есть время позвать друзей.",
			EN: "⏳ The group buy %s gathers until %s MSK now: there is time to invite friends.",
		},
		"gb_cancelled": {
			RU: "✖️ Организатор отменил совместную покупку «%s». Если вы уже оплатили, деньги вернутся.",
			EN: "✖️ The organizer called off the group buy %s. If you paid, the money comes back.",
		},
		"gb_pay_reminder": {
			RU: "⏰ Совместная покупка «%s»: осталось оплатить место — %s до %s МСК. Не оплатите — место уйдёт следующему в листе ожидания.",
			EN: "⏰ The group buy %s: your place is still to pay, %s by %s MSK. Unpaid, it goes to the next on the waiting list.",
		},
		"gb_shipping_share": {
			RU: "🚚 Совместная покупка «%s»: доставка товара до пункта выдачи обошлась в %s и делится между участниками пропорционально заказу. Ваша доля: <b>%s</b> до %s МСК — счёт ниже.",
			EN: "🚚 The group buy %s: shipping the goods to the pickup point cost %s, split among the participants by the size of their orders. Your share: <b>%s</b> by %s MSK; the invoice is below.",
		},
		"gb_btn_shipping":      {RU: "🚚 Разделить доставку до пункта", EN: "🚚 Split the shipping to the point"},
		"gb_ask_shipping":      {RU: "Сколько стоила доставка товара до пункта выдачи (%s)? Разделим между оплатившими участниками, забирающими в пункте, пропорционально их заказам. Разделить можно один раз.", EN: "What did shipping the goods to the pickup point cost (%s)? It is split among the paid participants collecting there, by the size of their orders. It is split once."},
		"gb_want_shipping":     {RU: "сумму", EN: "a sum"},
		"gb_err_shipping":      {RU: "Не понял сумму. Напишите, например, 1500.", EN: "That is not a sum. Send, say, 1500."},
		"gb_shipping_split":    {RU: "🚚 Доставка %s разделена между участниками (%d): им уходят счета.", EN: "🚚 Shipping of %s split among %d participants: their invoices are going out."},
		"gb_org_shipping":      {RU: "Доставка до пункта: %s, разделена между участниками", EN: "Shipping to the point: %s, split among the participants"},
		"gb_err_shipping_done": {RU: "Доставку уже разделили.", EN: "The shipping was split already."},
		"gb_err_no_shares":     {RU: "Нет оплативших участников, забирающих в пункте выдачи: делить не на кого.", EN: "No paid participant collects at a pickup point: there is nobody to split it among."},
		"gb_uncollected": {
			RU: "📦 Напоминаем: товар совместной покупки «%s» ждёт вас.\nЗабрать: %s\nКод выдачи: <b>%s</b>",
			EN: "📦 A reminder: the goods of the group buy %s wait for you.\nCollect at: %s\nPickup code: <b>%s</b>",
		},
		"gb_roster_collected": {RU: " · выдано ✅", EN: " · collected ✅"},
		"gb_roster_waiting":   {RU: " · оплачено, ждёт выдачи", EN: " · paid, to collect"},
		"gb_btn_reopen":       {RU: "🔄 Открыть сбор заново", EN: "🔄 Gather again"},
		"gb_ask_reopen":       {RU: "Покупка не набрала минимум. До какого времени собираем заново (МСК)? Например, %s. Участники останутся в деле, мы им сообщим.", EN: "The group buy fell short of its minimum. Until when does it gather again (MSK)? Say %s. Participants keep their places and are told."},
		"gb_reopened_notice":  {RU: "🔄 Сбор открыт заново до %s МСК. Участникам сообщаем.", EN: "🔄 Gathering again until %s MSK. Participants are being told."},
		"gb_err_not_failed":   {RU: "Открыть заново можно только покупку, которая не состоялась.", EN: "Only a group buy that did not go ahead can be reopened."},
		"gb_reopened": {
			RU: "🔄 Совместная покупка «%s» снова собирается — до %s МСК. Ваше место за вами; изменить его или выйти можно на карточке. Позовите друзей, чтобы набрать минимум!",
			EN: "🔄 The group buy %s gathers again, until %s MSK. Your place is still yours; change it or leave on the card. Invite friends to reach the minimum!",
		},
		"gb_btn_open_card": {RU: "🤝 Открыть покупку", EN: "🤝 Open the group buy"},
		"gb_failed": {
			RU: "😔 Совместная покупка «%s» не состоялась: к сроку не набралось нужное количество. Платить ничего не нужно.",
			EN: "😔 The group buy %s did not go ahead: not enough joined by the deadline. There is nothing to pay.",
		},
		"gb_stopped": {
			RU: "🎉 Совместная покупка состоялась: %s по итоговой цене %s за шт., сбор организатора %s. К оплате: <b>%s</b> до %s МСК — счёт ниже.",
			EN: "🎉 The group buy goes ahead: %s at the final price of %s each, organizer's fee %s. To pay: <b>%s</b> by %s MSK; the invoice is below.",
		},
	}
}
