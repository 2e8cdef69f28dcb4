package telegram

import (
	"context"
	"fmt"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Search by words across every shop: /search words, or any text outside a
// conversation.

const searchResults = 10

func (b *Bot) cmdSearch(ctx context.Context, r *request, words string) error {
	if strings.TrimSpace(words) == "" {
		return b.sendText(ctx, r.chatID, b.t(r.lang, "search_usage"), nil)
	}
	return b.search(ctx, r, words)
}

// search shows the products matching words as buttons that open their cards.
func (b *Bot) search(ctx context.Context, r *request, words string) error {
	words = truncate(strings.TrimSpace(words), 100)
	products, total, err := b.catalog.Products(ctx, catalog.ProductFilter{Query: words, Limit: searchResults})
	if err != nil {
		return fmt.Errorf("search products: %w", err)
	}
	if len(products) == 0 {
		return b.sendText(ctx, r.chatID, b.t(r.lang, "search_nothing", words), nil)
	}
	shopNames := make(map[core.ShopID]string)
	k := &keyboard{}
	for _, p := range products {
		name, ok := shopNames[p.ShopID]
		if !ok {
			if shop, err := b.catalog.Shop(ctx, p.ShopID); err == nil {
				name = shop.Name
			}
			shopNames[p.ShopID] = name
		}
		label := b.label(r.lang, "btn_search_result", p.Title, b.productPrice(r.lang, p), name)
		// The card opens in a new message: the results stay, to open another.
		k.row(button(label, verbProductNew, p.ID, 0, 1))
	}
	text := b.t(r.lang, "search_results", total)
	if total > len(products) {
		text += "\n" + b.t(r.lang, "search_more", len(products))
	}
	return b.sendText(ctx, r.chatID, text, k.markup())
}
