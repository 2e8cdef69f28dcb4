package telegram

import (
	"context"

	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Callback verbs of reviews.
const (
	verbAdminReviews = "arv" // arv:<shop>: the shop's reviews in the admin menu
	verbReviewWrite  = "rw"  // rw:<order>: write a review of an order's products (the review request's button)
)

// reviewRoutes registers the commands, verbs and conversations of reviews.
func (b *Bot) reviewRoutes(r *router) {}

// reviewFacts returns the lines the product card shows about the product's
// reviews (the average rating and the count), none when it has none.
func (b *Bot) reviewFacts(ctx context.Context, lang string, p catalog.Product) ([]string, error) {
	return nil, nil
}

// shopRatingLine returns the line of the shop card with the shop's rating, ""
// when it has no reviews.
func (b *Bot) shopRatingLine(ctx context.Context, lang string, shop catalog.Shop) (string, error) {
	return "", nil
}

// reviewsRow adds the product card's row of review buttons to k.
func (b *Bot) reviewsRow(ctx context.Context, lang string, k *keyboard, p catalog.Product) error {
	return nil
}
