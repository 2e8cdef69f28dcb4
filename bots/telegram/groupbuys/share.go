package groupbuys

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
)

// A purchase's public card: the same for everyone (the price now, the way to
// the next tier and the minimum, the deadline) with a button into the bot.
// Anyone shares it into any chat through inline mode ("@bot gb_12", which the
// share buttons type); the bot posts it where it is asked to (PostCard). Every
// card shared or posted is recorded and edited as the purchase changes
// (CardEdit, from the workers' groupbuy:cards).

const (
	// inlineCard is the inline query of a purchase's card: "gb_<purchase>".
	inlineCard = "gb_"
	// cardResult is the id of the inline result of a card, "gbcard:<purchase>":
	// the chosen result names the purchase.
	cardResult = "gbcard:"
)

func (b *Feature) shareRoutes(r *telegram.Router) {
	r.InlinePrefix(inlineCard, b.onInlineCard)
	r.OnChosenInline(cardResult, b.onChosenCard)
}

// shareButton is a button that shares a purchase's card into a chat the
// shopper picks, through inline mode.
func (b *Feature) shareButton(lang string, id groupbuy.ID) telego.InlineKeyboardButton {
	q := fmt.Sprintf("%s%d", inlineCard, id)
	return telego.InlineKeyboardButton{Text: b.k.Label(lang, "gb_btn_share"), SwitchInlineQuery: &q}
}

// publicCard is a purchase's card as a chat sees it.
func (b *Feature) publicCard(ctx context.Context, lang string, p groupbuy.Purchase) (telegram.View, error) {
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return telegram.View{}, err
	}
	text := b.cardText(lang, p, prod, variantNames(prod))
	label := "gb_btn_card_open"
	switch {
	case p.Status == groupbuy.StatusOpen && b.clock.Now().Before(p.Deadline):
		label = "gb_btn_card_join"
	case p.Status == groupbuy.StatusStopped || p.Status == groupbuy.StatusArrived:
		label = "gb_btn_card_wait"
	}
	link := b.k.StartURL(fmt.Sprintf("%s_%d", linkCard, p.ID))
	v := telegram.View{Text: text, Keyboard: (&telegram.Keyboard{}).Row(telegram.URLButton(b.k.Label(lang, label), link)).Markup()}
	if len(prod.Photos) > 0 {
		v.Photo = prod.Photos[0]
	}
	return v, nil
}

// onInlineCard answers "gb_<purchase>" with the purchase's card.
func (b *Feature) onInlineCard(ctx context.Context, u telego.Update) error {
	q := u.InlineQuery
	r, err := b.k.NewRequest(ctx, u, q.From)
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(q.Query), inlineCard), 10, 64)
	var results []telego.InlineQueryResult
	if err == nil && n > 0 {
		p, err := b.groups.Purchase(ctx, groupbuy.ID(n))
		if err != nil && !telegram.UserFacing(err) {
			return err
		}
		if err == nil {
			res, err := b.inlineCardResult(ctx, r.Lang, p)
			if err != nil {
				return err
			}
			results = append(results, res)
		}
	}
	err = b.api.AnswerInlineQuery(ctx, &telego.AnswerInlineQueryParams{
		InlineQueryID: q.ID, Results: results, IsPersonal: true,
		CacheTime: 0, // the card shows the purchase as it is now
	})
	if telegram.APIErrorCode(err) == 400 {
		return nil // too old: the user typed on
	}
	return err
}

// inlineCardResult is a purchase's card as an inline result: a photo with its
// caption, or an article.
func (b *Feature) inlineCardResult(ctx context.Context, lang string, p groupbuy.Purchase) (telego.InlineQueryResult, error) {
	v, err := b.publicCard(ctx, lang, p)
	if err != nil {
		return nil, err
	}
	id := fmt.Sprintf("%s%d", cardResult, p.ID)
	if v.Photo != "" {
		return &telego.InlineQueryResultCachedPhoto{Type: telego.ResultTypePhoto, ID: id, PhotoFileID: v.Photo, Title: p.Title,
			Caption: telegram.Truncate(v.Text, telegram.MaxCaptionLen), ParseMode: telego.ModeHTML, ReplyMarkup: v.Keyboard}, nil
	}
	return &telego.InlineQueryResultArticle{Type: telego.ResultTypeArticle, ID: id, Title: p.Title,
		Description: b.k.Label(lang, "gb_inline_description"),
		InputMessageContent: &telego.InputTextMessageContent{MessageText: v.Text, ParseMode: telego.ModeHTML,
			LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true}},
		ReplyMarkup: v.Keyboard}, nil
}

// onChosenCard records a card shared through inline mode, to keep it up to
// date: Telegram names it by its inline_message_id (given because the card has
// a keyboard).
func (b *Feature) onChosenCard(ctx context.Context, u telego.Update) error {
	c := u.ChosenInlineResult
	n, err := strconv.ParseInt(strings.TrimPrefix(c.ResultID, cardResult), 10, 64)
	if err != nil || c.InlineMessageID == "" {
		return nil
	}
	p, err := b.groups.Purchase(ctx, groupbuy.ID(n))
	if err != nil {
		if telegram.UserFacing(err) {
			return nil
		}
		return err
	}
	r, err := b.k.NewRequest(ctx, u, c.From)
	if err != nil {
		return err
	}
	prod, err := b.catalog.Product(ctx, p.Product)
	if err != nil {
		return err
	}
	_, err = b.groups.AddCard(ctx, groupbuy.Card{Purchase: p.ID, Inline: c.InlineMessageID, Lang: r.Lang, Photo: len(prod.Photos) > 0})
	return err
}

// PostCard posts a purchase's card in a chat (a channel or a group the bot
// may write in), in lang, and records it to keep it up to date.
func (b *Feature) PostCard(ctx context.Context, p groupbuy.Purchase, chat int64, lang string) (groupbuy.Card, error) {
	p, err := b.groups.Purchase(ctx, p.ID) // as it stands now
	if err != nil {
		return groupbuy.Card{}, err
	}
	v, err := b.publicCard(ctx, lang, p)
	if err != nil {
		return groupbuy.Card{}, err
	}
	var msg *telego.Message
	if v.Photo != "" {
		msg, err = b.api.SendPhoto(ctx, &telego.SendPhotoParams{ChatID: tu.ID(chat), Photo: tu.FileFromID(v.Photo),
			Caption: telegram.Truncate(v.Text, telegram.MaxCaptionLen), ParseMode: telego.ModeHTML, ReplyMarkup: v.Keyboard})
	} else {
		msg, err = b.api.SendMessage(ctx, &telego.SendMessageParams{ChatID: tu.ID(chat), Text: v.Text, ParseMode: telego.ModeHTML,
			LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true}, ReplyMarkup: v.Keyboard})
	}
	if err != nil {
		return groupbuy.Card{}, fmt.Errorf("post the card of group buy %d in %d: %w", p.ID, chat, err)
	}
	return b.groups.AddCard(ctx, groupbuy.Card{Purchase: p.ID, Chat: chat, Message: int64(msg.MessageID), Lang: lang, Photo: v.Photo != ""})
}

// CardEdit composes the edit of a card into the purchase as it is now,
// coalesced per card (workers/groupbuys.Bot). The key names the state shown,
// so the same state is sent once.
func (b *Feature) CardEdit(ctx context.Context, p groupbuy.Purchase, c groupbuy.Card) (core.Message, error) {
	v, err := b.publicCard(ctx, c.Lang, p)
	if err != nil {
		return core.Message{}, err
	}
	key := fmt.Sprintf("groupbuy:%d:card:%d:%d:%s:%d:%d", p.ID, c.ID, p.Totals.Units, p.Status, p.Deadline.Unix(), p.Price.Amount)
	coalesce := fmt.Sprintf("groupbuy:card:%d", c.ID)
	if c.Inline != "" {
		return b.k.EditInline(key, coalesce, core.PriorityReminder, c.Inline, c.Photo, v), nil
	}
	return b.k.EditMessage(key, coalesce, core.PriorityReminder, c.Chat, true, int(c.Message), c.Photo, v), nil
}

// shareTexts are the texts of shared cards.
func shareTexts() map[string]telegram.Text {
	return map[string]telegram.Text{
		"gb_btn_card_join":      {RU: "🤝 Присоединиться", EN: "🤝 Join"},
		"gb_btn_card_wait":      {RU: "⏳ Встать в лист ожидания", EN: "⏳ Join the waiting list"},
		"gb_btn_card_open":      {RU: "🤝 Открыть", EN: "🤝 Open"},
		"gb_inline_description": {RU: "Карточка совместной покупки: цена падает, когда присоединяются", EN: "A group buy's card: the price falls as people join"},
	}
}
