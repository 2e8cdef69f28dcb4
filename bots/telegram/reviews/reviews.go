package reviews

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

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Reviews. Shoppers read them from the product card (rating, count and a Reviews
// button that pages through them, newest first) and the shop card (the shop's
// rating); they write one per line of a completed order, from the review request
// (rw:<order>) or the order's screen, in a conversation (write.go). The
// seller reads the shop's reviews in the admin menu, replies once and reports abuse;
// operators hide reported reviews or keep them (seller.go).

// Callback verbs of reviews.
const (
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
func (b *Feature) reviewRoutes(r *telegram.Router) {
	for verb, fn := range map[string]telegram.CallbackFunc{
		telegram.VerbReviewWrite:  telegram.Fresh(b.onReviewWrite),
		verbReviewLine:            b.onReviewLine,
		verbReviewStep:            b.onReviewStep,
		verbReviewMine:            b.onReviewMine,
		verbReviewEdit:            b.onReviewEdit,
		verbReviews:               b.onReviews,
		verbReviewOpen:            b.onReviewOpen,
		telegram.VerbAdminReviews: b.onAdminReviews,
		verbAdminReply:            b.onAdminReply,
		verbAdminRepAsk:           b.onAdminReportAsk,
		verbAdminReport:           b.onAdminReport,
		verbOperatorRevs:          b.onOperatorReviews,
		verbOperatorHide:          b.onOperatorModerate,
		verbOperatorKeep:          b.onOperatorModerate,
	} {
		r.Callback(verb, b.explainingReviews(fn))
	}
	for kind, step := range b.reviewDialogs() {
		fn := b.k.DialogStep(step)
		r.Dialog(kind, func(ctx context.Context, r *telegram.Request, st dialog.State) error {
			return b.explainReview(ctx, r, fn(ctx, r, st))
		})
	}
	r.ShopLine(b.shopRatingLine)
	r.ProductFact(b.reviewFacts)
	r.ProductRow(b.reviewsRow)
	r.OperatorButton(10, b.operatorReviewsButton)
	r.AddTexts(reviewTexts())
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
func (b *Feature) explainingReviews(fn telegram.CallbackFunc) telegram.CallbackFunc {
	return func(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
		return b.explainReview(ctx, r, fn(ctx, r, d))
	}
}

// explainReview tells the user what a review error means and returns nil; any other
// error is returned as it is.
func (b *Feature) explainReview(ctx context.Context, r *telegram.Request, err error) error {
	if err == nil {
		return nil
	}
	for _, e := range reviewErrorKeys {
		if errors.Is(err, e.err) {
			return b.k.Tell(ctx, r, b.k.T(r.Lang, e.key))
		}
	}
	return err
}

// reviewFacts returns the lines the product card shows about the product's
// reviews (the average rating and the count), none when it has none.
func (b *Feature) reviewFacts(ctx context.Context, lang string, p catalog.Product) ([]string, error) {
	rating, err := b.reviews.ProductRating(ctx, p.ID)
	if err != nil || rating.Count == 0 {
		return nil, err
	}
	return []string{b.k.T(lang, "rev_card_rating", formatTenths(lang, rating.Tenths()), b.k.Count(lang, "rev_n_reviews", rating.Count))}, nil
}

// shopRatingLine returns the line of the shop card with the shop's rating, ""
// when it has no reviews.
func (b *Feature) shopRatingLine(ctx context.Context, lang string, shop catalog.Shop) (string, error) {
	rating, err := b.reviews.ShopRating(ctx, shop.ID)
	if err != nil || rating.Count == 0 {
		return "", err
	}
	return b.k.T(lang, "rev_shop_rating", formatTenths(lang, rating.Tenths()), b.k.Count(lang, "rev_n_reviews", rating.Count)), nil
}

// reviewsRow adds the product card's row of review buttons to k.
func (b *Feature) reviewsRow(ctx context.Context, lang string, k *telegram.Keyboard, p catalog.Product) error {
	rating, err := b.reviews.ProductRating(ctx, p.ID)
	if err != nil || rating.Count == 0 {
		return err
	}
	k.Row(telegram.Button(b.k.Label(lang, "rev_btn_reviews", rating.Count), verbReviews, p.ID, 0))
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

// reviewText renders a review as HTML: stars, author and date, the item as
// bought when withTitle, the text and the shop's reply, each cut to its length (0:
// in full), and how many photos it has.
func (b *Feature) reviewText(lang string, rv review.Review, withTitle bool, textLen, replyLen int) string {
	author := rv.AuthorName
	if !core.Visible(author) {
		author = b.k.T(lang, "rev_anonymous")
	}
	lines := []string{b.k.T(lang, "rev_item_head", stars(rv.Rating), author, formatDate(rv.CreatedAt))}
	if withTitle {
		lines = append(lines, b.k.T(lang, "rev_item_title", rv.Title))
	}
	if rv.Text != "" {
		text := rv.Text
		if textLen > 0 {
			text = telegram.Truncate(text, textLen)
		}
		lines = append(lines, telegram.Escape(text))
	}
	if len(rv.Photos) > 0 {
		lines = append(lines, b.k.T(lang, "rev_item_photos", len(rv.Photos)))
	}
	if rv.Reply != "" {
		reply := rv.Reply
		if replyLen > 0 {
			reply = telegram.Truncate(reply, replyLen)
		}
		lines = append(lines, b.k.T(lang, "rev_item_reply", reply))
	}
	return strings.Join(lines, "\n")
}

// cut reports whether the list shows rv cut short.
func cut(rv review.Review) bool {
	return telegram.TextLen(rv.Text) > listTextLen || telegram.TextLen(rv.Reply) > listReplyLen
}

// onReviews shows a page of a product's reviews: rp:<product>:<page>.
func (b *Feature) onReviews(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil || a[1] < 0 {
		return telegram.ErrStaleButton
	}
	p, _, err := b.k.ShopperProduct(ctx, core.ProductID(a[0]))
	if err != nil {
		return err
	}
	page := int(a[1])
	list, total, err := b.reviews.ProductReviews(ctx, p.ID, reviewsPerPage, page*reviewsPerPage)
	if err != nil {
		return err
	}
	pages := telegram.PageCount(total, reviewsPerPage)
	if page >= pages && page > 0 {
		page = pages - 1
		if list, total, err = b.reviews.ProductReviews(ctx, p.ID, reviewsPerPage, page*reviewsPerPage); err != nil {
			return err
		}
	}
	lang := r.Lang
	k := &telegram.Keyboard{}
	var text string
	if total == 0 {
		text = b.k.T(lang, "rev_list_empty", p.Title)
	} else {
		rating, err := b.reviews.ProductRating(ctx, p.ID)
		if err != nil {
			return err
		}
		parts := []string{b.k.T(lang, "rev_list_title", p.Title, formatTenths(lang, rating.Tenths()), b.k.Count(lang, "rev_n_reviews", rating.Count))}
		var row []telegram.TelegoButton
		for i, rv := range list {
			n := page*reviewsPerPage + i + 1
			parts = append(parts, b.k.T(lang, "rev_adm_item", n, telegram.HTML(b.reviewText(lang, rv, len(p.Variants) > 1, listTextLen, listReplyLen))))
			switch {
			case len(rv.Photos) > 0:
				row = append(row, telegram.Button(b.k.Label(lang, "rev_btn_photos", n), verbReviewOpen, rv.ID))
			case cut(rv):
				row = append(row, telegram.Button(b.k.Label(lang, "rev_btn_open", n), verbReviewOpen, rv.ID))
			}
		}
		for len(row) > 0 {
			k.Row(row[:min(2, len(row))]...)
			row = row[min(2, len(row)):]
		}
		text = strings.Join(parts, "\n\n")
	}
	b.k.Pager(k, lang, page, pages, verbReviews, p.ID)
	k.Row(telegram.Button(b.k.Label(lang, "rev_btn_to_product"), telegram.VerbProduct, p.ID, 0, 1))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onReviewOpen sends one review in full, under its photos when it has any:
// rph:<review>. It is a new message, so the list stays where it is.
func (b *Feature) onReviewOpen(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.IDArg(d)
	if err != nil {
		return err
	}
	rv, err := b.reviews.Review(ctx, review.ID(id))
	if err != nil {
		return err
	}
	text := b.reviewText(r.Lang, rv, true, 0, 0)
	return b.sendReview(ctx, r.ChatID, rv, text)
}

// sendReview sends text about rv as a new message: the caption of its photo, or of
// the first of its photos sent as an album; a text message when it has none.
func (b *Feature) sendReview(ctx context.Context, chatID int64, rv review.Review, text string) error {
	switch len(rv.Photos) {
	case 0:
		return b.k.SendText(ctx, chatID, text, nil)
	case 1:
		_, err := b.k.SendView(ctx, chatID, telegram.View{Text: text, Photo: rv.Photos[0]})
		return err
	}
	media := make([]telego.InputMedia, len(rv.Photos))
	for i, p := range rv.Photos {
		photo := tu.MediaPhoto(tu.FileFromID(p))
		if i == 0 {
			photo = photo.WithCaption(b.k.Fit(ctx, text, telegram.MaxCaptionLen)).WithParseMode(telego.ModeHTML)
		}
		media[i] = photo
	}
	if _, err := b.api.SendMediaGroup(ctx, tu.MediaGroup(tu.ID(chatID), media...)); err != nil {
		return fmt.Errorf("send review photos: %w", err)
	}
	return nil
}
