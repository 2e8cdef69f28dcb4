// Package groupbuys is group buys ("совместные покупки") in the bot. For now it
// sends each participant of a purchase that stopped its invoice
// (SendPlaceInvoice, for the workers' groupbuy:invoices); the organizer's
// screens, the purchase's card and joining come to it next.
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
	catalog *catalog.Service
	orders  *order.Service
	users   *user.Service
}

// New returns the feature, taking what it needs from d.
func New(d telegram.Deps) *Feature {
	return &Feature{catalog: d.Catalog, orders: d.Orders, users: d.Users}
}

// Register keeps the kernel and registers the feature with r (telegram.Feature).
func (b *Feature) Register(k *telegram.Bot, r *telegram.Router) {
	b.k = k
	r.AddTexts(texts())
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
