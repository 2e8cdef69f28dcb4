package telegram

import (
	"context"
	"strings"

	"github.com/vitrina-shop/vitrina/core/catalog"
)

// What features add to the screens of others (router.shopLine and the like): the
// screen's owner calls these at the place of the additions.

// ShopCardRows adds the rows of buttons features add to the shop card.
func (b *Bot) ShopCardRows(ctx context.Context, r *Request, k *Keyboard, shop catalog.Shop) error {
	for _, fn := range b.routes.shopRows {
		if err := fn(ctx, r, k, shop); err != nil {
			return err
		}
	}
	return nil
}

// ShopCardLine returns the lines features add to the shop card, one per line, ""
// for none.
func (b *Bot) ShopCardLine(ctx context.Context, lang string, shop catalog.Shop) (string, error) {
	var lines []string
	for _, fn := range b.routes.shopLines {
		line, err := fn(ctx, lang, shop)
		if err != nil {
			return "", err
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n"), nil
}

// ProductCardFacts returns the lines features add to the facts of a product card.
func (b *Bot) ProductCardFacts(ctx context.Context, lang string, p catalog.Product) ([]string, error) {
	var facts []string
	for _, fn := range b.routes.productFacts {
		more, err := fn(ctx, lang, p)
		if err != nil {
			return nil, err
		}
		facts = append(facts, more...)
	}
	return facts, nil
}

// ProductCardRows adds the rows of buttons features add to a product card.
func (b *Bot) ProductCardRows(ctx context.Context, lang string, k *Keyboard, p catalog.Product) error {
	for _, fn := range b.routes.productRows {
		if err := fn(ctx, lang, k, p); err != nil {
			return err
		}
	}
	return nil
}

// OperatorRows adds the rows features add to the platform operators' menu: none
// for anyone else.
func (b *Bot) OperatorRows(ctx context.Context, r *Request, k *Keyboard) {
	for _, o := range b.routes.operatorButtons {
		k.Row(o.fn(ctx, r)...)
	}
}
