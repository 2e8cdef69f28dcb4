package groupbuys

import (
	"context"
	"fmt"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
)

// The handing over ("раздача"): when the goods arrive the organizer says so,
// each paid place gets a pickup code, sent with where and when to collect it,
// as text and as a QR image; at the pickup point the organizer (or the shop's
// staff) types the code the participant shows, and the place is collected.

// Callback verbs and the conversation of the handing over.
const (
	verbArrived  = "aga" // aga:<purchase>: the goods arrived
	verbCollect  = "agk" // agk:<purchase>: collect places by their codes (conversation)
	verbHandOver = "agh" // agh:<purchase>:<code>: hand the place of a code over (after seeing whose it is)

	dialogCollect = "groupbuy:collect"
	stepCode      = "gb_code"
)

func (b *organizer) pickupRoutes(r *telegram.Router) {
	r.Callback(verbArrived, b.onArrived)
	r.Callback(verbCollect, b.onCollect)
	r.Callback(verbHandOver, b.onHandOver)
	r.Conversation(dialogCollect, b.collectStep, b.k.DialogStep)
}

func (b *organizer) onArrived(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	if p, err = b.groups.Arrive(ctx, r.UserID(), p.ID); err != nil {
		return err
	}
	return b.showOrganize(ctx, r, p, b.k.T(r.Lang, "gb_arrived_notice"))
}

// collectDialog is what the conversation of collecting keeps.
type collectDialog struct {
	Purchase groupbuy.ID `json:"purchase"`
}

func (b *organizer) onCollect(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	if err := b.k.StartDialog(ctx, r, dialogCollect, stepCode, collectDialog{Purchase: p.ID}); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.collectPrompt(r.Lang, p))
}

func (b *organizer) collectPrompt(lang string, p groupbuy.Purchase) telegram.View {
	k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "gb_btn_collect_done"), verbOrganize, int64(p.ID)))
	return telegram.View{Text: b.k.T(lang, "gb_ask_code", p.Title), Keyboard: k.Markup()}
}

// collectStep shows whose place the typed code names, with the button that
// hands it over: a mistyped code names another's place, and the organizer
// sees the name before giving anything. The conversation stays, for the next
// code.
func (b *organizer) collectStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var data collectDialog
	if ok, err := b.k.Decode(ctx, r, st, &data); !ok {
		return err
	}
	p, err := b.groups.Purchase(ctx, data.Purchase)
	if err != nil {
		return err
	}
	again, _ := b.k.StepMoves(ctx, r, st, &data, func(string) (telegram.View, error) { return b.collectPrompt(r.Lang, p), nil })
	if in.Text == "" {
		return again(b.k.WrongInput(r.Lang, in, "gb_want_code"))
	}
	pl, err := b.groups.PlaceByCode(ctx, r.UserID(), p.ID, in.Text)
	if telegram.UserFacing(err) {
		return again(b.k.ErrorText(r.Lang, err))
	}
	if err != nil {
		return err
	}
	k := (&telegram.Keyboard{}).
		Row(telegram.Button(b.k.Label(r.Lang, "gb_btn_hand_over"), verbHandOver, int64(p.ID), pl.Code)).
		Row(telegram.Button(b.k.Label(r.Lang, "gb_btn_collect_done"), verbOrganize, int64(p.ID)))
	text := b.k.T(r.Lang, "gb_hand_over", b.k.UserLabel(ctx, pl.Buyer), b.placeTitle(ctx, p, pl), pl.Quantity)
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onHandOver hands over the place of a code the organizer saw.
func (b *organizer) onHandOver(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, err := b.organized(ctx, r, d)
	if err != nil {
		return err
	}
	pl, err := b.groups.Collect(ctx, r.UserID(), p.ID, d.Str(1))
	if err != nil {
		return err
	}
	v := b.collectPrompt(r.Lang, p)
	v.Text = b.k.T(r.Lang, "gb_collected", b.k.UserLabel(ctx, pl.Buyer), b.placeTitle(ctx, p, pl), pl.Quantity) + "\n\n" + v.Text
	return b.k.Show(ctx, r, v)
}

// placeTitle names what a place holds: the product and its variant.
func (b *Feature) placeTitle(ctx context.Context, p groupbuy.Purchase, pl groupbuy.Place) string {
	if v, err := b.catalog.Variant(ctx, pl.Variant); err == nil {
		return telegram.ItemTitle(p.Title, v.Name)
	}
	return p.Title
}

// SendPickupCode sends a participant where and when to collect their place,
// and its pickup code as text and as a QR image (workers/groupbuys.Bot).
func (b *Feature) SendPickupCode(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place) error {
	lang := "ru"
	if u, err := b.users.User(ctx, place.Buyer); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	o, err := b.orders.OrderForSystem(ctx, place.Order)
	if err != nil {
		return err
	}
	where, err := b.k.PickupPlace(ctx, lang, o)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(fmt.Sprintf("vitrina:groupbuy:%d:%s", p.ID, place.Code), qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("QR of a pickup code: %w", err)
	}
	caption := b.k.T(lang, "gb_pickup_code", p.Title, telegram.HTML(where), place.Code)
	_, err = b.api.SendPhoto(ctx, &telego.SendPhotoParams{
		ChatID: tu.ID(int64(place.Buyer)), Photo: tu.FileFromBytes(png, "pickup-code.png"),
		Caption: caption, ParseMode: telego.ModeHTML,
	})
	if code := telegram.APIErrorCode(err); code == 403 || code == 400 {
		return nil // blocked: the organizer hands over by the participant's name
	}
	return err
}

// UncollectedMessage composes the reminder that a place's goods wait at its
// pickup point, with its code (workers/groupbuys.Bot); n is the reminder's
// number, in its key.
func (b *Feature) UncollectedMessage(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place, n int) (core.Message, error) {
	lang := "ru"
	if u, err := b.users.User(ctx, place.Buyer); err == nil {
		lang = telegram.LangOf(u.Lang())
	}
	o, err := b.orders.OrderForSystem(ctx, place.Order)
	if err != nil {
		return core.Message{}, err
	}
	where, err := b.k.PickupPlace(ctx, lang, o)
	if err != nil {
		return core.Message{}, err
	}
	text := b.k.T(lang, "gb_uncollected", p.Title, telegram.HTML(where), place.Code)
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "gb_btn_open_card"), verbCard, int64(p.ID))).Markup()
	key := fmt.Sprintf("groupbuy:%d:uncollected:%d:%d", p.ID, place.ID, n)
	return b.k.MessageTo(key, core.PriorityReminder, place.Buyer, telegram.View{Text: text, Keyboard: kb}), nil
}

// PayReminderMessage composes the reminder that a place's order is to be paid
// by its deadline (workers/groupbuys.Bot), with the button to its order.
func (b *Feature) PayReminderMessage(ctx context.Context, p groupbuy.Purchase, place groupbuy.Place) (core.Message, error) {
	lang := b.langOf(ctx, place.Buyer)
	o, err := b.orders.OrderForSystem(ctx, place.Order)
	if err != nil {
		return core.Message{}, err
	}
	text := b.k.T(lang, "gb_pay_reminder", p.Title, telegram.FormatMoney(lang, o.Total), o.ReservedUntil.In(moscow).Format("02.01 15:04"))
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "gb_btn_order", o.ID), telegram.VerbOrderNew, int64(o.ID))).Markup()
	key := fmt.Sprintf("groupbuy:%d:payreminder:%d", p.ID, place.ID)
	return b.k.MessageTo(key, core.PriorityReminder, place.Buyer, telegram.View{Text: text, Keyboard: kb}), nil
}
