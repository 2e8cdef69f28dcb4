// Package groupbuys is group buys ("совместные покупки") in the bot: a
// purchase's card, where shoppers join, change their quantity or leave until
// STOP; and, for the workers, each participant's invoice once a purchase
// stopped (SendPlaceInvoice) and the message of one that failed. The
// organizer's screens come to it next.
package groupbuys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
	groups  *groupbuy.Service
	catalog *catalog.Service
	orders  *order.Service
	users   *user.Service
	clock   core.Clock
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{groups: d.GroupBuys, catalog: d.Catalog, orders: d.Orders, users: d.Users, clock: d.Clock}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	r.AddTexts(texts())
	b.cardRoutes(r)
}

// errorKeys maps the errors of group buys to their texts.
var errorKeys = []struct {
	err error
	key string
}{
	{groupbuy.ErrNotFound, "gb_err_not_found"},
	{groupbuy.ErrClosed, "gb_err_closed"},
	{groupbuy.ErrQuantity, "gb_err_quantity"},
	{groupbuy.ErrNotOffered, "gb_err_not_offered"},
	{groupbuy.ErrPickup, "gb_err_pickup"},
	{groupbuy.ErrNotParticipant, "gb_err_not_participant"},
}

// errText explains err in lang.
func (b *Feature) errText(lang string, err error) string {
	for _, e := range errorKeys {
		if errors.Is(err, e.err) {
			return b.k.T(lang, e.key)
		}
	}
	return b.k.ErrorText(lang, err)
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
	if err := b.k.SendText(ctx, int64(o.BuyerID), text, nil); err != nil {
		return err
	}
	return b.k.SendInvoice(ctx, int64(o.BuyerID), lang, shop, o)
}

// FailedMessage composes what tells a participant that a purchase failed:
// its minimum was not met by the deadline, and nothing is to be paid
// (workers.GroupBuyBot).
func (b *Feature) FailedMessage(ctx context.Context, p groupbuy.Purchase, to core.UserID) (core.Message, error) {
	lang := "ru"
	if u, err := b.users.User(ctx, to); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	text := b.k.T(lang, "gb_failed", p.Title)
	return b.k.MessageTo(fmt.Sprintf("groupbuy:%d:failed:%d", p.ID, to), core.PriorityReminder, to, telegram.View{Text: text}), nil
}

// moscow is the time zone of the times group buys show, labelled "МСК", as
// live drops' (a shop's own zone is a setting to come).
var moscow = time.FixedZone("MSK", 3*60*60)

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
		"gb_btn_join":       {RU: "➕ %s", EN: "➕ %s"},
		"gb_btn_place":      {RU: "%s × %d", EN: "%s × %d"},
		"gb_btn_share":      {RU: "📤 Позвать друзей", EN: "📤 Invite friends"},
		"gb_share_text":     {RU: "Присоединяйтесь к совместной покупке «%s»: чем больше нас, тем ниже цена для всех!", EN: "Join the group buy %s: the more of us, the lower the price for everyone!"},
		"gb_joined":         {RU: "🎉 Вы в деле! Чем больше участников, тем ниже цена — позовите друзей.", EN: "🎉 You are in! The more join, the lower the price: invite friends."},
		"gb_left":           {RU: "Вы вышли из этой позиции.", EN: "You left that place."},
		"gb_ask_pickup":     {RU: "Где заберёте товар?", EN: "Where will you collect the goods?"},

		"gb_err_not_found":       {RU: "Такой совместной покупки нет.", EN: "There is no such group buy."},
		"gb_err_closed":          {RU: "Сбор уже закрыт: присоединиться или изменить участие нельзя.", EN: "Joining has closed: you can no longer join or change your place."},
		"gb_err_quantity":        {RU: "Можно взять от 1 до 99 шт.", EN: "Take 1 to 99."},
		"gb_err_not_offered":     {RU: "Этого варианта в покупке нет.", EN: "That variant is not in this group buy."},
		"gb_err_pickup":          {RU: "Выберите один из пунктов выдачи этой покупки.", EN: "Pick one of this group buy's pickup points."},
		"gb_err_not_participant": {RU: "Вы не участвуете в этой позиции.", EN: "You have not joined with that."},
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
