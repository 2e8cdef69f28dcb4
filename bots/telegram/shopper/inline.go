package shopper

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core/catalog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Inline mode: "@bot words" in any chat offers product cards; the card sent carries
// a button deep-linking back to the bot's product card (t.me/<bot>?start=p_<id>).

const (
	inlineResults   = 20
	inlineCacheTime = 30 // seconds: catalogs change, and results are in the user's language
)

func (b *Feature) onInlineQuery(ctx context.Context, u telego.Update) error {
	q := u.InlineQuery
	r, err := b.k.NewRequest(ctx, u, q.From)
	if err != nil {
		return err
	}
	offset, _ := strconv.Atoi(q.Offset)
	offset = max(offset, 0)
	products, total, err := b.catalog.Products(ctx, catalog.ProductFilter{
		Query:  telegram.Truncate(strings.TrimSpace(q.Query), 100),
		Limit:  inlineResults,
		Offset: offset,
	})
	if err != nil {
		return fmt.Errorf("inline search: %w", err)
	}
	results := make([]telego.InlineQueryResult, 0, len(products))
	for _, p := range products {
		results = append(results, b.inlineResult(r.Lang, p))
	}
	next := ""
	if offset+len(products) < total {
		next = strconv.Itoa(offset + len(products))
	}
	err = b.api.AnswerInlineQuery(ctx, &telego.AnswerInlineQueryParams{
		InlineQueryID: q.ID,
		Results:       results,
		CacheTime:     inlineCacheTime,
		IsPersonal:    true,
		NextOffset:    next,
	})
	if err != nil && telegram.APIErrorCode(err) == 400 {
		// The query is too old (the user typed on): there is nobody to answer.
		b.log.DebugContext(ctx, "answer inline query", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("answer inline query: %w", err)
	}
	return nil
}

// inlineResult is a product as an inline result: its photo when it has one, else
// an article; either way the message carries a button back to the bot.
func (b *Feature) inlineResult(lang string, p catalog.Product) telego.InlineQueryResult {
	id := "p" + strconv.FormatInt(int64(p.ID), 10)
	price := telegram.ProductPrice(lang, p)
	text := "<b>" + telegram.Escape(p.Title) + "</b>\n" + b.k.T(lang, "card_price", price)
	if p.Description != "" {
		text += "\n\n" + telegram.Escape(telegram.Truncate(p.Description, 600))
	}
	kb := (&telegram.Keyboard{}).Row(telegram.URLButton(b.k.Label(lang, "inline_open"), b.k.StartURL(telegram.ProductLink(p.ID)))).Markup()
	description := price
	if p.Description != "" {
		description = b.k.Label(lang, "inline_description", price, telegram.Truncate(p.Description, 100))
	}
	if len(p.Photos) > 0 {
		return &telego.InlineQueryResultCachedPhoto{
			Type:        telego.ResultTypePhoto,
			ID:          id,
			PhotoFileID: p.Photos[0],
			Title:       p.Title,
			Description: price,
			Caption:     text,
			ParseMode:   telego.ModeHTML,
			ReplyMarkup: kb,
		}
	}
	return &telego.InlineQueryResultArticle{
		Type:        telego.ResultTypeArticle,
		ID:          id,
		Title:       p.Title,
		Description: description,
		InputMessageContent: &telego.InputTextMessageContent{
			MessageText: text,
			ParseMode:   telego.ModeHTML,
		},
		ReplyMarkup: kb,
	}
}
