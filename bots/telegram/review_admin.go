package telegram

import (
	"context"
	"strings"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/review"
)

// The seller's reviews (admin menu ⭐ Reviews): the shop's reviews newest first, a
// public reply once per review, and a report to the operators. Operators find the
// reported reviews from /admin (the button under the list of shops, with how many
// wait) and hide each one or keep it. Every screen asks the review service, which
// checks the role again.

// replyDraft is what the reply conversation keeps.
type replyDraft struct {
	ReviewID review.ID   `json:"review_id"`
	ShopID   core.ShopID `json:"shop_id"`
	Page     int         `json:"page"` // of the list to go back to
}

// onAdminReviews shows a page of the shop's reviews to its staff: arv:<shop> or
// arv:<shop>:<page>.
func (b *Bot) onAdminReviews(ctx context.Context, r *request, d callbackData) error {
	if len(d.Args) != 1 && len(d.Args) != 2 {
		return errStaleButton
	}
	shopID, err := d.Int(0)
	if err != nil {
		return errStaleButton
	}
	page := int64(0)
	if len(d.Args) == 2 {
		if page, err = d.Int(1); err != nil || page < 0 {
			return errStaleButton
		}
	}
	shop, _, err := b.staffShop(ctx, r, core.ShopID(shopID))
	if err != nil {
		return err
	}
	return b.showAdminReviews(ctx, r, shop, int(page))
}

// showAdminReviews shows a page of a shop's reviews, each with Reply (until the
// shop replied) and Report (until it is reported).
func (b *Bot) showAdminReviews(ctx context.Context, r *request, shop catalog.Shop, page int) error {
	lang := r.lang
	list, total, err := b.reviews.ShopReviews(ctx, r.userID(), shop.ID, reviewsPerPage, page*reviewsPerPage)
	if err != nil {
		return err
	}
	pages := pageCount(total, reviewsPerPage)
	if page >= pages && page > 0 {
		page = pages - 1
		if list, total, err = b.reviews.ShopReviews(ctx, r.userID(), shop.ID, reviewsPerPage, page*reviewsPerPage); err != nil {
			return err
		}
	}
	k := &keyboard{}
	var text string
	if total == 0 {
		text = b.t(lang, "rev_adm_empty", shop.Name)
	} else {
		rating, err := b.reviews.ShopRating(ctx, shop.ID)
		if err != nil {
			return err
		}
		parts := []string{b.t(lang, "rev_adm_title", shop.Name, formatTenths(lang, rating.Tenths()), b.count(lang, "rev_n_reviews", rating.Count))}
		for i, rv := range list {
			n := page*reviewsPerPage + i + 1
			item := b.reviewText(lang, rv, true, listTextLen, listReplyLen)
			if rv.Reported() {
				item += "\n" + b.t(lang, "rev_adm_reported")
			}
			parts = append(parts, b.t(lang, "rev_adm_item", n, htmlText(item)))
			var row []telegoButton
			if rv.Reply == "" {
				row = append(row, button(b.label(lang, "rev_btn_reply", n), verbAdminReply, rv.ID, page))
			}
			if rv.ReportedAt.IsZero() && rv.ModeratedAt.IsZero() {
				row = append(row, button(b.label(lang, "rev_btn_report", n), verbAdminRepAsk, rv.ID, page))
			}
			if len(rv.Photos) > 0 || cut(rv) {
				row = append(row, button("📷 "+itoa(n), verbReviewOpen, rv.ID))
			}
			k.row(row...)
		}
		text = strings.Join(parts, "\n\n")
	}
	b.pager(k, lang, page, pages, verbAdminReviews, shop.ID)
	k.row(button(b.label(lang, "btn_back"), verbAdminMenu, shop.ID))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// staffReviewArgs reads "<verb>:<review>:<page>" and returns the review, for the
// staff of its shop.
func (b *Bot) staffReviewArgs(ctx context.Context, r *request, d callbackData) (review.Review, int, error) {
	a, err := intArgs(d, 2)
	if err != nil || a[1] < 0 {
		return review.Review{}, 0, errStaleButton
	}
	rv, err := b.reviews.StaffReview(ctx, r.userID(), review.ID(a[0]))
	if err != nil {
		return review.Review{}, 0, err
	}
	return rv, int(a[1]), nil
}

// onAdminReply starts the reply conversation: arr:<review>:<page>.
func (b *Bot) onAdminReply(ctx context.Context, r *request, d callbackData) error {
	rv, page, err := b.staffReviewArgs(ctx, r, d)
	if err != nil {
		return err
	}
	if rv.Reply != "" {
		return review.ErrAlreadyReplied
	}
	draft := replyDraft{ReviewID: rv.ID, ShopID: rv.ShopID, Page: page}
	if err := b.startDialog(ctx, r, dialogReviewReply, stepReviewReply, draft); err != nil {
		return err
	}
	return b.show(ctx, r, b.replyPrompt(r.lang, rv))
}

// replyPrompt asks for the reply to rv.
func (b *Bot) replyPrompt(lang string, rv review.Review) view {
	text := b.t(lang, "rev_ask_reply", htmlText(b.reviewText(lang, rv, true, listTextLen, 0)), review.MaxText)
	return view{text: text + "\n\n" + b.t(lang, "adm_cancel_hint")}
}

// replyStep takes the reply's text, publishes it and shows the list again.
func (b *Bot) replyStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var d replyDraft
	if ok, err := b.decode(ctx, r, st, &d); !ok {
		return err
	}
	again, _ := b.stepMoves(ctx, r, st, &d, func(string) (view, error) {
		rv, err := b.reviews.StaffReview(ctx, r.userID(), d.ReviewID)
		if err != nil {
			return view{}, err
		}
		return b.replyPrompt(r.lang, rv), nil
	})
	text, why := b.readText(r.lang, in, textField{most: review.MaxText, multiline: true, want: "rev_want_reply", rule: "rev_err_reply"})
	if why != "" {
		return again(why)
	}
	if _, err := b.reviews.Reply(ctx, r.userID(), d.ReviewID, text); err != nil {
		if userFacing(err) {
			if derr := b.endDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	return b.finishDialog(ctx, r, dialogReviewReply, b.t(r.lang, "rev_replied"), screen(verbAdminReviews, d.ShopID, d.Page))
}

// onAdminReportAsk asks the seller to confirm a report: arx:<review>:<page>.
func (b *Bot) onAdminReportAsk(ctx context.Context, r *request, d callbackData) error {
	rv, page, err := b.staffReviewArgs(ctx, r, d)
	if err != nil {
		return err
	}
	lang := r.lang
	k := &keyboard{}
	k.row(button(b.label(lang, "rev_btn_report_yes"), verbAdminReport, rv.ID, page))
	k.row(button(b.label(lang, "btn_back"), verbAdminReviews, rv.ShopID, page))
	text := b.t(lang, "rev_report_ask", htmlText(b.reviewText(lang, rv, true, listTextLen, listReplyLen)))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// onAdminReport reports a review to the operators: ary:<review>:<page>. Reporting
// one that is already reported says so.
func (b *Bot) onAdminReport(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil || a[1] < 0 {
		return errStaleButton
	}
	rv, err := b.reviews.Report(ctx, r.userID(), review.ID(a[0]))
	if err != nil {
		return err
	}
	r.answer(b.label(r.lang, "rev_reported"))
	shop, _, err := b.staffShop(ctx, r, rv.ShopID)
	if err != nil {
		return err
	}
	return b.showAdminReviews(ctx, r, shop, int(a[1]))
}

// --- operators ---

// operatorReviewsButton is the operators' way to the reported reviews, for the
// admin screens with the list of shops: how many wait is on the button. No button
// for anyone else, nor when the count fails (logged): the screen is worth more
// than the count.
func (b *Bot) operatorReviewsButton(ctx context.Context, r *request) []telegoButton {
	if !b.reviews.IsOperator(r.userID()) {
		return nil
	}
	_, n, err := b.reviews.Reported(ctx, r.userID(), 1, 0)
	if err != nil {
		b.log.ErrorContext(ctx, "count reported reviews", "err", err)
		return nil
	}
	return []telegoButton{button(b.label(r.lang, "rev_btn_operator", n), verbOperatorRevs, 0)}
}

// onOperatorReviews shows the reported reviews to an operator, one per screen:
// aro:<index>.
func (b *Bot) onOperatorReviews(ctx context.Context, r *request, d callbackData) error {
	i, err := idArg(d)
	if err != nil || i < 0 {
		return errStaleButton
	}
	return b.showOperatorReview(ctx, r, int(i))
}

// showOperatorReview shows the i-th reported review (newest first), or the last
// one when fewer wait, with Hide and Keep.
func (b *Bot) showOperatorReview(ctx context.Context, r *request, i int) error {
	lang := r.lang
	list, total, err := b.reviews.Reported(ctx, r.userID(), 1, i)
	if err != nil {
		return err
	}
	if len(list) == 0 && total > 0 {
		i = total - 1
		if list, total, err = b.reviews.Reported(ctx, r.userID(), 1, i); err != nil {
			return err
		}
	}
	k := &keyboard{}
	if len(list) == 0 {
		k.row(button(b.label(lang, "btn_back"), verbOperatorShops, 0))
		return b.show(ctx, r, view{text: b.t(lang, "rev_op_empty"), kb: k.markup()})
	}
	rv := list[0]
	shopName := "#" + formatID(rv.ShopID)
	if shop, err := b.catalog.Shop(ctx, rv.ShopID); err == nil {
		shopName = shop.Name + " (#" + formatID(shop.ID) + ")"
	}
	text := b.t(lang, "rev_op_item", i+1, total, shopName, htmlText(b.reviewText(lang, rv, true, 0, 0)))
	k.row(
		button(b.label(lang, "rev_btn_hide"), verbOperatorHide, rv.ID, i),
		button(b.label(lang, "rev_btn_keep"), verbOperatorKeep, rv.ID, i),
	)
	if len(rv.Photos) > 0 {
		k.row(button(b.label(lang, "rev_btn_photos", i+1), verbReviewOpen, rv.ID))
	}
	b.pager(k, lang, i, total, verbOperatorRevs)
	k.row(button(b.label(lang, "btn_back"), verbOperatorShops, 0))
	return b.show(ctx, r, view{text: text, kb: k.markup()})
}

// onOperatorModerate hides a review (arh:<review>:<index>) or keeps it
// (ark:<review>:<index>), then shows the next reported one.
func (b *Bot) onOperatorModerate(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil || a[1] < 0 {
		return errStaleButton
	}
	if d.Verb == verbOperatorHide {
		_, err = b.reviews.Hide(ctx, r.userID(), review.ID(a[0]))
		r.answer(b.label(r.lang, "rev_hidden"))
	} else {
		_, err = b.reviews.Keep(ctx, r.userID(), review.ID(a[0]))
		r.answer(b.label(r.lang, "rev_kept"))
	}
	if err != nil {
		return err
	}
	return b.showOperatorReview(ctx, r, int(a[1]))
}
