package groupbuys

import (
	"context"
	"fmt"
	"net/url"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
)

// Passing a place on ("пристрой") in the bot: the participant's card offers
// it for an unpaid place after STOP and gives a link; the replacement opens
// it and asks; the organizer approves or declines from a message.

// Callback verbs and the deep link of handovers.
const (
	linkHandover    = "gbh" // gbh_<token>: the place offered to a replacement
	verbPassOn      = "gbp" // gbp:<purchase>:<variant>: pass my place on (the link)
	verbTakeOver    = "gbr" // gbr:<token>: I take it over
	verbHandoverYes = "agv" // agv:<handover>: the organizer approves
	verbHandoverNo  = "agw" // agw:<handover>: the organizer declines
)

// tokenLen is the length of a handover's token (groupbuy.InviteHandover).
const tokenLen = 16

func (b *Feature) handoverRoutes(r *telegram.Router) {
	r.DeepLink(linkHandover, b.openHandover)
	r.Callback(verbPassOn, b.onPassOn)
	r.Callback(verbTakeOver, b.onTakeOver)
	r.Callback(verbHandoverYes, b.onHandoverDecision(true))
	r.Callback(verbHandoverNo, b.onHandoverDecision(false))
}

// onPassOn gives the participant the link that passes their place on.
func (b *Feature) onPassOn(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	p, v, err := b.purchaseVariant(ctx, d)
	if err != nil {
		return err
	}
	h, err := b.groups.InviteHandover(ctx, r.UserID(), p.ID, v)
	if err != nil {
		return err
	}
	link := b.k.StartURL(linkHandover + "_" + h.Token)
	share := "https://t.me/share/url?url=" + url.QueryEscape(link) + "&text=" + url.QueryEscape(b.k.Label(r.Lang, "gb_handover_share", p.Title))
	k := (&telegram.Keyboard{}).
		Row(telegram.URLButton(b.k.Label(r.Lang, "gb_btn_handover_share"), share)).
		Row(telegram.Button(b.k.Label(r.Lang, "btn_back"), verbCard, int64(p.ID)))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "gb_handover_link", p.Title, link), Keyboard: k.Markup()})
}

// openHandover shows a replacement the place offered by a link.
func (b *Feature) openHandover(ctx context.Context, r *telegram.Request, token string) error {
	if len(token) != tokenLen {
		return telegram.ErrDeepLink
	}
	h, pl, err := b.groups.HandoverByToken(ctx, token)
	if err != nil {
		if telegram.UserFacing(err) {
			return b.k.Tell(ctx, r, b.k.ErrorText(r.Lang, err))
		}
		return err
	}
	p, err := b.groups.Purchase(ctx, h.Purchase)
	if err != nil {
		return err
	}
	if h.Status != groupbuy.HandoverInvited {
		return b.k.Tell(ctx, r, b.k.ErrorText(r.Lang, groupbuy.ErrHandoverGone))
	}
	text, err := b.placeText(ctx, r.Lang, p, pl)
	if err != nil {
		return err
	}
	k := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(r.Lang, "gb_btn_take_over"), verbTakeOver, token))
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "gb_handover_offer", b.k.UserLabel(ctx, h.From), telegram.HTML(text)), Keyboard: k.Markup()})
}

// placeText describes a place: what, how many, for how much with the fee.
func (b *Feature) placeText(ctx context.Context, lang string, p groupbuy.Purchase, pl groupbuy.Place) (string, error) {
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return "", err
	}
	total, err := pl.Goods.Add(pl.Fee)
	if err != nil {
		return "", err
	}
	return b.k.T(lang, "gb_place_text", p.Title, variantNames(prod)[pl.Variant], pl.Quantity, telegram.FormatMoney(lang, total)), nil
}

// onTakeOver is the replacement's ask; the organizer decides.
func (b *Feature) onTakeOver(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	token := d.Str(0)
	if len(token) != tokenLen {
		return telegram.ErrStaleButton
	}
	if _, err := b.groups.RequestHandover(ctx, r.UserID(), token); err != nil {
		return err
	}
	return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, "gb_handover_asked")})
}

// onHandoverDecision is the organizer's approval or refusal.
func (b *Feature) onHandoverDecision(approve bool) telegram.CallbackFunc {
	return func(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
		n, err := d.Int(0)
		if err != nil {
			return telegram.ErrStaleButton
		}
		h, err := b.groups.DecideHandover(ctx, r.UserID(), groupbuy.HandoverID(n), approve)
		if err != nil {
			return err
		}
		key := "gb_handover_approved"
		if h.Status == groupbuy.HandoverDeclined {
			key = "gb_handover_declined"
		}
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(r.Lang, key, b.k.UserLabel(ctx, h.From), b.k.UserLabel(ctx, h.To))})
	}
}

// HandoverAskedMessage composes what asks the organizer to approve a
// replacement for a place (workers/groupbuys.Bot).
func (b *Feature) HandoverAskedMessage(ctx context.Context, p groupbuy.Purchase, h groupbuy.Handover) (core.Message, error) {
	lang := b.langOf(ctx, p.Organizer)
	pl, err := b.groups.FreePlace(ctx, p.ID, h.Place)
	if err != nil {
		return core.Message{}, err
	}
	text, err := b.placeText(ctx, lang, p, pl)
	if err != nil {
		return core.Message{}, err
	}
	kb := (&telegram.Keyboard{}).Row(telegram.Button(b.k.Label(lang, "gb_btn_handover_yes"), verbHandoverYes, int64(h.ID)),
		telegram.Button(b.k.Label(lang, "gb_btn_handover_no"), verbHandoverNo, int64(h.ID))).Markup()
	body := b.k.T(lang, "gb_handover_ask", b.k.UserLabel(ctx, h.From), telegram.HTML(text), b.k.UserLabel(ctx, h.To))
	return b.k.MessageTo(fmt.Sprintf("groupbuy:%d:handover:%d:%d", p.ID, h.ID, h.To), core.PriorityOrder, p.Organizer,
		telegram.View{Text: body, Keyboard: kb}), nil
}

// HandedOverMessages compose what tells both sides of a decided handover:
// done, the one who left and the one who took the place (whose invoice
// follows); declined, the replacement alone (workers/groupbuys.Bot).
func (b *Feature) HandedOverMessages(ctx context.Context, p groupbuy.Purchase, h groupbuy.Handover, old groupbuy.Place) ([]core.Message, error) {
	key := fmt.Sprintf("groupbuy:%d:handed:%d", p.ID, h.ID)
	if h.Status == groupbuy.HandoverDeclined {
		lang := b.langOf(ctx, h.To)
		return []core.Message{b.k.MessageTo(key+":to", core.PriorityOrder, h.To,
			telegram.View{Text: b.k.T(lang, "gb_handover_refused", p.Title)})}, nil
	}
	if h.Status != groupbuy.HandoverDone {
		return nil, nil
	}
	from, to := b.langOf(ctx, h.From), b.langOf(ctx, h.To)
	fromText, err := b.placeText(ctx, from, p, old)
	if err != nil {
		return nil, err
	}
	toText, err := b.placeText(ctx, to, p, old)
	if err != nil {
		return nil, err
	}
	return []core.Message{
		b.k.MessageTo(key+":from", core.PriorityOrder, h.From, telegram.View{Text: b.k.T(from, "gb_handed_from", telegram.HTML(fromText), b.k.UserLabel(ctx, h.To))}),
		b.k.MessageTo(key+":to", core.PriorityOrder, h.To, telegram.View{Text: b.k.T(to, "gb_handed_to", telegram.HTML(toText))}),
	}, nil
}

// langOf is the language a user reads.
func (b *Feature) langOf(ctx context.Context, id core.UserID) string {
	if u, err := b.users.User(ctx, id); err == nil {
		return telegram.LangOf(u.Lang())
	}
	return "ru"
}

// handoverTexts are the texts of handovers.
func handoverTexts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"gb_mine_passed":        {RU: " · место передано другому участнику", EN: " · passed on to another participant"},
		"gb_btn_pass_on":        {RU: "🔁 Пристроить место: %s", EN: "🔁 Pass my place on: %s"},
		"gb_btn_handover_share": {RU: "📤 Отправить ссылку", EN: "📤 Send the link"},
		"gb_handover_share":     {RU: "Отдаю своё место в совместной покупке «%s» — забирайте!", EN: "I am passing my place in the group buy %s on: take it!"},
		"gb_handover_link":      {RU: "🔁 Чтобы пристроить место в «%s», отправьте эту ссылку тому, кто его заберёт:\n%s\n\nКогда он согласится, организатор подтвердит передачу: счёт перейдёт к нему, ваш — отменится.", EN: "🔁 To pass your place in %s on, send this link to whoever takes it:\n%s\n\nWhen they accept, the organizer approves: the invoice becomes theirs, and yours is cancelled."},
		"gb_handover_offer":     {RU: "🔁 %s отдаёт своё место: %s\n\nЗабрать? Организатор подтвердит, и счёт придёт вам.", EN: "🔁 %s is passing their place on: %s\n\nTake it? The organizer approves, and the invoice comes to you."},
		"gb_place_text":         {RU: "«%s», %s × %d — %s со сбором организатора", EN: "%s, %s × %d: %s with the organizer's fee"},
		"gb_btn_take_over":      {RU: "🤝 Забрать место", EN: "🤝 Take the place"},
		"gb_handover_asked":     {RU: "✅ Запрос отправлен организатору. Как только он подтвердит, придёт счёт.", EN: "✅ Asked. When the organizer approves, your invoice comes."},
		"gb_handover_ask":       {RU: "🔁 %s пристраивает место: %s.\nЗабрать хочет: %s. Подтвердить передачу?", EN: "🔁 %s passes a place on: %s.\nTo: %s. Approve?"},
		"gb_btn_handover_yes":   {RU: "✅ Подтвердить", EN: "✅ Approve"},
		"gb_btn_handover_no":    {RU: "✖️ Отклонить", EN: "✖️ Decline"},
		"gb_handover_approved":  {RU: "✅ Передача подтверждена: место %s → %s. Новый участник получит счёт.", EN: "✅ Approved: %s's place passed to %s. They get the invoice."},
		"gb_handover_declined":  {RU: "✖️ Передача места %s → %s отклонена.", EN: "✖️ Declined: %s's place to %s."},
		"gb_handover_refused":   {RU: "✖️ Организатор «%s» не подтвердил передачу места.", EN: "✖️ The organizer of %s did not approve the handover."},
		"gb_handed_from":        {RU: "🔁 Ваше место передано: %s → %s. Ваш счёт отменён, платить не нужно.", EN: "🔁 Your place passed on: %s, to %s. Your invoice is cancelled: nothing to pay."},
		"gb_handed_to":          {RU: "🤝 Место ваше: %s. Счёт — следующим сообщением.", EN: "🤝 The place is yours: %s. The invoice follows."},
		"gb_err_handover_gone":  {RU: "Это место уже не пристраивают: его забрали, передача решена или место оплачено.", EN: "This place is no longer passed on: taken, decided, or paid."},
		"gb_err_handover_paid":  {RU: "Оплаченное место так не передать — напишите организатору.", EN: "A paid place is not passed on this way: ask the organizer."},
		"gb_err_handover_self":  {RU: "Это ваше собственное место.", EN: "This is your own place."},
	}
}
