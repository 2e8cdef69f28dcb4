package shopper

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Search by words across every shop: /search words, or any text outside a
// conversation.

const searchResults = 10

func (b *Feature) cmdSearch(ctx context.Context, r *telegram.Request, words string) error {
	if strings.TrimSpace(words) == "" {
		return b.k.SendText(ctx, r.ChatID, b.k.T(r.Lang, "search_usage"), nil)
	}
	return b.search(ctx, r, words)
}

// search shows the products matching words as buttons that open their cards,
// the best matches first (a misspelling still finds what it resembles); with
// none, the catalog's shops.
func (b *Feature) search(ctx context.Context, r *telegram.Request, words string) error {
	words = telegram.Truncate(strings.TrimSpace(words), 100)
	products, total, err := b.catalog.Products(ctx, catalog.ProductFilter{Query: words, Limit: searchResults})
	if err != nil {
		return fmt.Errorf("search products: %w", err)
	}
	if len(products) == 0 {
		// Not a dead end: the shops to browse, under a hint.
		v, err := b.shopsView(ctx, r, 0, b.k.T(r.Lang, "search_nothing", words))
		if err != nil {
			return err
		}
		return b.k.SendText(ctx, r.ChatID, v.Text, v.Keyboard)
	}
	shopNames := make(map[core.ShopID]string)
	k := &telegram.Keyboard{}
	for _, p := range products {
		name, ok := shopNames[p.ShopID]
		if !ok {
			if shop, err := b.catalog.Shop(ctx, p.ShopID); err == nil {
				name = shop.Name
			}
			shopNames[p.ShopID] = name
		}
		label := b.k.Label(r.Lang, "btn_search_result", p.Title, telegram.ProductPrice(r.Lang, p), name)
		// The card opens in a new message: the results stay, to open another.
		k.Row(telegram.Button(label, telegram.VerbProductNew, p.ID, 0, 1))
	}
	text := b.k.T(r.Lang, "search_results", total)
	if total > len(products) {
		text += "\n" + b.k.T(r.Lang, "search_more", len(products))
	}
	return b.k.SendText(ctx, r.ChatID, text, k.Markup())
}
