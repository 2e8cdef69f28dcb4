package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/review"
)

// Reviews. Shoppers read them from the product card (rating, count and a Reviews
// button that pages through them, newest first) and the shop card (the shop's
// rating); they write one per line of a completed order, from the review request
// (rw:<order>) or the order's screen, in a conversation (review_write.go). The
// seller reads the shop's reviews in the admin menu, replies once and reports abuse;
// operators hide reported reviews or keep them (review_admin.go).

// Callback verbs of reviews.
const (
	verbAdminReviews = "arv" // arv:<shop>[:<page>]: the shop's reviews in the admin menu
	verbReviewWrite  = "rw"  // rw:<order>: write a review of an order's products (the review request's button)

	verbReviewLine   = "rl"  // rl:<order>:<line>: review one line of an order
	verbReviewStep   = "rs"  // rs:<step>:<value>:<conversation>: a button of the review conversation
	verbReviewMine   = "rd"  // rd:<review>: the author's own review
	verbReviewEdit   = "re"  // re:<review>: change one's review
	verbReviews      = "rp"  // rp:<product>:<page>: a page of a product's reviews
	verbReviewOpen   = "rph" // rph:<review>: one review in full, with its photos (a new message)
	verbAdminReply   = "arr" // arr:<review>: the seller's reply conversation
	verbAdminRepAsk  = "arx" // arx:<review>: report abuse? (confirmation)
	verbAdminReport  = "ary" // ary:<review>: report it
	verbOperatorRevs = "aro" // aro:<index>: the reported reviews, one per screen
	verbOperatorHide = "arh" // arh:<review>:<index>
	verbOperatorKeep = "ark" // ark:<review>:<index>
)

// reviewsPerPage is how many reviews a page of a product's (or shop's) reviews shows.
const reviewsPerPage = 5

// Lengths a review's text and reply are cut to in a list; the full review is a
// button away.
const (
	listTextLen  = 400
	listReplyLen = 200
)

// reviewRoutes registers the commands, verbs and conversations of reviews.
func (b *Bot) reviewRoutes(r *router) {
	for verb, fn := range map[string]callbackFunc{
		verbReviewWrite:  fresh(b.onReviewWrite),
		verbReviewLine:   b.onReviewLine,
		verbReviewStep:   b.onReviewStep,
		verbReviewMine:   b.onReviewMine,
		verbReviewEdit:   b.onReviewEdit,
		verbReviews:      b.onReviews,
		verbReviewOpen:   b.onReviewOpen,
		verbAdminReviews: b.onAdminReviews,
		verbAdminReply:   b.onAdminReply,
		verbAdminRepAsk:  b.onAdminReportAsk,
		verbAdminReport:  b.onAdminReport,
		verbOperatorRevs: b.onOperatorReviews,
		verbOperatorHide: b.onOperatorModerate,
		verbOperatorKeep: b.onOperatorModerate,
	} {
		r.callback(verb, b.explainingReviews(fn))
	}
	for kind, step := range b.reviewDialogs() {
		fn := b.dialogStep(step)
		r.dialog(kind, func(ctx context.Context, r *request, st dialog.State) error {
			return b.explainReview(ctx, r, fn(ctx, r, st))
		})
	}
	r.shopLine(b.shopRatingLine)
	r.productFact(b.reviewFacts)
	r.productRow(b.reviewsRow)
	r.operatorButton(10, b.operatorReviewsButton)
	r.addTexts(reviewTexts())
}

// reviewErrorKeys maps the errors of reviews to their texts (errorKeys does the
// same for the rest of the bot).
var reviewErrorKeys = []struct {
	err error
	key string
}{
	{review.ErrNotVerified, "rev_err_not_verified"},
	{review.ErrNotCompleted, "rev_err_not_completed"},
	{review.ErrNotAuthor, "rev_err_not_author"},
	{review.ErrLineNotFound, "rev_err_line"},
	{review.ErrAlreadyReviewed, "rev_err_already"},
	{review.ErrEditWindow, "rev_err_edit_window"},
	{review.ErrRating, "rev_err_rating"},
	{review.ErrText, "rev_err_text"},
	{review.ErrTooManyPhotos, "rev_err_photos"},
	{review.ErrPhoto, "rev_err_photo"},
	{review.ErrNotFound, "rev_err_not_found"},
	{review.ErrReply, "rev_err_reply"},
	{review.ErrAlreadyReplied, "rev_err_replied"},
	{review.ErrAlreadyReported, "rev_err_reported"},
	{review.ErrModerated, "rev_err_moderated"},
}

// explainingReviews adapts fn so that the errors of reviews are explained in the
// user's language (the router explains the others).
func (b *Bot) explainingReviews(fn callbackFunc) callbackFunc {
	return func(ctx context.Context, r *request, d callbackData) error {
		return b.explainReview(ctx, r, fn(ctx, r, d))
	}
}

// explainReview tells the user what a review error means and returns nil; any other
// error is returned as it is.
func (b *Bot) explainReview(ctx context.Context, r *request, err error) error {
	if err == nil {
		return nil
	}
	for _, e := range reviewErrorKeys {
		if errors.Is(err, e.err) {
			return b.tell(ctx, r, b.t(r.lang, e.key))
		}
	}
	return err
}

// --- the product card and the shop card ---

// reviewFacts returns the lines the product card shows about the product's
// reviews (the average rating and the count), none when it has none.
func (b *Bot) reviewFacts(ctx context.Context, lang string, p catalog.Product) ([]string, error) {
	rating, err := b.reviews.ProductRating(ctx, p.ID)
	if err != nil || rating.Count == 0 {
		return nil, err
	}
	return []string{b.t(lang, "rev_card_rating", formatTenths(lang, rating.Tenths()), b.count(lang, "rev_n_reviews", rating.Count))}, nil
}

// shopRatingLine returns the line of the shop card with the shop's rating, ""
// when it has no reviews.
func (b *Bot) shopRatingLine(ctx context.Context, lang string, shop catalog.Shop) (string, error) {
	rating, err := b.reviews.ShopRating(ctx, shop.ID)
	if err != nil || rating.Count == 0 {
		return "", err
	}
	return b.t(lang, "rev_shop_rating", formatTenths(lang, rating.Tenths()), b.count(lang, "rev_n_reviews", rating.Count)), nil
}

// reviewsRow adds the product card's row of review buttons to k.
func (b *Bot) reviewsRow(ctx context.Context, lang string, k *keyboard, p catalog.Product) error {
	rating, err := b.reviews.ProductRating(ctx, p.ID)
	if err != nil || rating.Count == 0 {
		return err
	}
	k.row(button(b.label(lang, "rev_btn_reviews", rating.Count), verbReviews, p.ID, 0))
	return nil
}

// formatTenths writes an average rating given in tenths: "4.6", in Russian "4,6".
func formatTenths(lang string, tenths int) string {
	sep := "."
	if lang == "ru" {
		sep = ","
	}
	return strconv.Itoa(tenths/10) + sep + strconv.Itoa(tenths%10)
}

// stars draws a rating: ★★★★☆.
func stars(rating int) string {
	rating = min(max(rating, 0), review.MaxRating)
	return strings.Repeat("★", rating) + strings.Repeat("☆", review.MaxRating-rating)
}

// formatDate writes a review's date.
func formatDate(t time.Time) string { return t.Format("02.01.2006") }

// --- reading reviews ---

// reviewText renders a review as HTML: stars, author and date, the item as
// bought when withTitle, the text and the shop's reply, each cut to its length (0:
// in full), and how many photos it has.
func (b *Bot) reviewText(lang string, rv review.Review, withTitle bool, textLen, replyLen int) string {
	author := rv.AuthorName
	if !core.Visible(author) {
		author = b.t(lang, "rev_anonymous")
	}
	lines := []string{b.t(lang, "rev_item_head", stars(rv.Rating), author, formatDate(rv.CreatedAt))}
	if withTitle {
		lines = append(lines, b.t(lang, "rev_item_title", rv.Title))
	}
	if rv.Text != "" {
		text := rv.Text
		if textLen > 0 {
			text = truncate(text, textLen)
		}
		lines = append(lines, escape(text))
	}
	if len(rv.Photos) > 0 {
		lines = append(lines, b.t(lang, "rev_item_photos", len(rv.Photos)))
	}
	if rv.Reply != "" {
		reply := rv.Reply
		if replyLen > 0 {
			reply = truncate(reply, replyLen)
		}
		lines = append(lines, b.t(lang, "rev_item_reply", reply))
	}
	return strings.Join(lines, "\n")
}

// cut reports whether the list shows rv cut short.
func cut(rv review.Review) bool {
	return textLen(rv.Text) > listTextLen || textLen(rv.Reply) > listReplyLen
}

// onReviews shows a page of a product's reviews: rp:<product>:<page>.
func (b *Bot) onReviews(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil || a[1] < 0 {
		return errStaleButton
	}
	p, _, err := b.shopperProduct(ctx, core.ProductID(a[0]))
	if err != nil {
		return err
	}
	page := int(a[1])
	list, total, err := b.reviews.ProductReviews(ctx, p.ID, reviewsPerPage, page*reviewsPerPage)
	if err != nil {
		return err
	}
	pages := pageCount(total, reviewsPerPage)
	if page >= pages && page > 0 {
		page = pages - 1
		if list, total, err = b.reviews.ProductReviews(ctx, p.ID, reviewsPerPage, page*reviewsPerPage); err != nil {
			return err
		}
	}
	lang := r.lang
	k := &keyboard{}
	var text string
	if total == 0 {
		text = b.t(lang, "rev_list_empty", p.Title)
	} else {
		rating, err := b.reviews.ProductRating(ctx, p.ID)
		if err != nil {
			return err
		}
		parts := []string{b.t(lang, "rev_list_title", p.Title, formatTenths(lang, rating.Tenths()), b.count(lang, "rev_n_reviews", rating.Count))}
		var row []telegoButton
		for i, rv := range list {
			n := page*reviewsPerPage + i + 1
			parts = append(parts, b.t(lang, "rev_adm_item", n, htmlText(b.reviewText(lang, rv, len(p.Variants) > 1, listTextLen, listReplyLen))))
			switch {
			case len(rv.Photos) > 0:
				row = append(row, button(b.label(lang, "rev_btn_photos", n), verbReviewOpen, rv.ID))
			case cut(rv):
				row = append(row, button(b.label(lang, "rev_btn_open", n), verbReviewOpen, rv.ID))
			}
		}
		for len(row) > 0 {
			k.row(row[:min(2, len(row))]...)
			row = row[min(2, len(row)):]
		}
		text = strings.Join(parts, "\n\n")
	}
	b.pager(k, lang, page, pages, verbReviews, p.ID)
	k.row(button(b.label(lang, "rev_btn_to_product"), verbProduct, p.ID, 0, 1))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// onReviewOpen sends one review in full, under its photos when it has any:
// rph:<review>. It is a new message, so the list stays where it is.
func (b *Bot) onReviewOpen(ctx context.Context, r *request, d callbackData) error {
	id, err := idArg(d)
	if err != nil {
		return err
	}
	rv, err := b.reviews.Review(ctx, review.ID(id))
	if err != nil {
		return err
	}
	text := b.reviewText(r.lang, rv, true, 0, 0)
	return b.sendReview(ctx, r.chatID, rv, text)
}

// sendReview sends text about rv as a new message: the caption of its photo, or of
// the first of its photos sent as an album; a text message when it has none.
func (b *Bot) sendReview(ctx context.Context, chatID int64, rv review.Review, text string) error {
	switch len(rv.Photos) {
	case 0:
		return b.sendText(ctx, chatID, text, nil)
	case 1:
		_, err := b.sendView(ctx, chatID, view{text: text, photo: rv.Photos[0]})
		return err
	}
	media := make([]telego.InputMedia, len(rv.Photos))
	for i, p := range rv.Photos {
		photo := tu.MediaPhoto(tu.FileFromID(p))
		if i == 0 {
			photo = photo.WithCaption(b.fit(ctx, text, maxCaptionLen)).WithParseMode(telego.ModeHTML)
		}
		media[i] = photo
	}
	if _, err := b.api.SendMediaGroup(ctx, tu.MediaGroup(tu.ID(chatID), media...)); err != nil {
		return fmt.Errorf("send review photos: %w", err)
	}
	return nil
}
