package reviews

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/review"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
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
func (b *Feature) onAdminReviews(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if len(d.Args) != 1 && len(d.Args) != 2 {
		return telegram.ErrStaleButton
	}
	shopID, err := d.Int(0)
	if err != nil {
		return telegram.ErrStaleButton
	}
	page := int64(0)
	if len(d.Args) == 2 {
		if page, err = d.Int(1); err != nil || page < 0 {
			return telegram.ErrStaleButton
		}
	}
	shop, _, err := b.k.StaffShop(ctx, r, core.ShopID(shopID))
	if err != nil {
		return err
	}
	return b.showAdminReviews(ctx, r, shop, int(page))
}

// showAdminReviews shows a page of a shop's reviews, each with Reply (until the
// shop replied) and Report (until it is reported).
func (b *Feature) showAdminReviews(ctx context.Context, r *telegram.Request, shop catalog.Shop, page int) error {
	lang := r.Lang
	list, total, err := b.reviews.ShopReviews(ctx, r.UserID(), shop.ID, reviewsPerPage, page*reviewsPerPage)
	if err != nil {
		return err
	}
	pages := telegram.PageCount(total, reviewsPerPage)
	if page >= pages && page > 0 {
		page = pages - 1
		if list, total, err = b.reviews.ShopReviews(ctx, r.UserID(), shop.ID, reviewsPerPage, page*reviewsPerPage); err != nil {
			return err
		}
	}
	k := &telegram.Keyboard{}
	var text string
	if total == 0 {
		text = b.k.T(lang, "rev_adm_empty", shop.Name)
	} else {
		rating, err := b.reviews.ShopRating(ctx, shop.ID)
		if err != nil {
			return err
		}
		parts := []string{b.k.T(lang, "rev_adm_title", shop.Name, formatTenths(lang, rating.Tenths()), b.k.Count(lang, "rev_n_reviews", rating.Count))}
		for i, rv := range list {
			n := page*reviewsPerPage + i + 1
			item := b.reviewText(lang, rv, true, listTextLen, listReplyLen)
			if rv.Reported() {
				item += "\n" + b.k.T(lang, "rev_adm_reported")
			}
			parts = append(parts, b.k.T(lang, "rev_adm_item", n, telegram.HTML(item)))
			var row []telegram.TelegoButton
			if rv.Reply == "" {
				row = append(row, telegram.Button(b.k.Label(lang, "rev_btn_reply", n), verbAdminReply, rv.ID, page))
			}
			if rv.ReportedAt.IsZero() && rv.ModeratedAt.IsZero() {
				row = append(row, telegram.Button(b.k.Label(lang, "rev_btn_report", n), verbAdminRepAsk, rv.ID, page))
			}
			if len(rv.Photos) > 0 || cut(rv) {
				row = append(row, telegram.Button("📷 "+telegram.Itoa(n), verbReviewOpen, rv.ID))
			}
			k.Row(row...)
		}
		text = strings.Join(parts, "\n\n")
	}
	b.k.Pager(k, lang, page, pages, telegram.VerbAdminReviews, shop.ID)
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminMenu, shop.ID))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// NewReviewMessages compose what tells a shop's staff of a new review of one
// of its products: the review, a button to answer it and one to the shop's
// reviews (workers.ReviewComposer). A review hidden since tells nobody.
func (b *Feature) NewReviewMessages(ctx context.Context, id review.ID) ([]core.Message, error) {
	rv, err := b.reviews.Review(ctx, id)
	if errors.Is(err, review.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return b.k.StaffMessages(ctx, rv.ShopID, func(to core.UserID) string { return fmt.Sprintf("review:%d:new:%d", rv.ID, to) },
		func(lang string) (string, *telego.InlineKeyboardMarkup, error) {
			text := b.k.T(lang, "rev_new_staff", telegram.HTML(b.reviewText(lang, rv, true, listTextLen, 0)))
			kb := (&telegram.Keyboard{}).
				Row(telegram.Button(b.k.Label(lang, "rev_btn_reply_new"), verbAdminReply, rv.ID, 0)).
				Row(telegram.Button(b.k.Label(lang, "rev_btn_shop_reviews"), telegram.VerbAdminReviews, rv.ShopID, 0)).Markup()
			return text, kb, nil
		})
}

// staffReviewArgs reads "<verb>:<review>:<page>" and returns the review, for the
// staff of its shop.
func (b *Feature) staffReviewArgs(ctx context.Context, r *telegram.Request, d telegram.CallbackData) (review.Review, int, error) {
	a, err := telegram.IntArgs(d, 2)
	if err != nil || a[1] < 0 {
		return review.Review{}, 0, telegram.ErrStaleButton
	}
	rv, err := b.reviews.StaffReview(ctx, r.UserID(), review.ID(a[0]))
	if err != nil {
		return review.Review{}, 0, err
	}
	return rv, int(a[1]), nil
}

// onAdminReply starts the reply conversation: arr:<review>:<page>.
func (b *Feature) onAdminReply(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	rv, page, err := b.staffReviewArgs(ctx, r, d)
	if err != nil {
		return err
	}
	if rv.Reply != "" {
		return review.ErrAlreadyReplied
	}
	draft := replyDraft{ReviewID: rv.ID, ShopID: rv.ShopID, Page: page}
	if err := b.k.StartDialog(ctx, r, dialogReviewReply, stepReviewReply, draft); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.replyPrompt(r.Lang, rv))
}

// replyPrompt asks for the reply to rv.
func (b *Feature) replyPrompt(lang string, rv review.Review) telegram.View {
	text := b.k.T(lang, "rev_ask_reply", telegram.HTML(b.reviewText(lang, rv, true, listTextLen, 0)), review.MaxText)
	return telegram.View{Text: text + "\n\n" + b.k.T(lang, "adm_cancel_hint")}
}

// replyStep takes the reply's text, publishes it and shows the list again.
func (b *Feature) replyStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var d replyDraft
	if ok, err := b.k.Decode(ctx, r, st, &d); !ok {
		return err
	}
	again, _ := b.k.StepMoves(ctx, r, st, &d, func(string) (telegram.View, error) {
		rv, err := b.reviews.StaffReview(ctx, r.UserID(), d.ReviewID)
		if err != nil {
			return telegram.View{}, err
		}
		return b.replyPrompt(r.Lang, rv), nil
	})
	text, why := b.k.ReadText(r.Lang, in, telegram.TextField{Most: review.MaxText, Multiline: true, Want: "rev_want_reply", Rule: "rev_err_reply"})
	if why != "" {
		return again(why)
	}
	if _, err := b.reviews.Reply(ctx, r.UserID(), d.ReviewID, text); err != nil {
		if telegram.UserFacing(err) {
			if derr := b.k.EndDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	return b.k.FinishDialog(ctx, r, dialogReviewReply, b.k.T(r.Lang, "rev_replied"), telegram.Screen(telegram.VerbAdminReviews, d.ShopID, d.Page))
}

// onAdminReportAsk asks the seller to confirm a report: arx:<review>:<page>.
func (b *Feature) onAdminReportAsk(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	rv, page, err := b.staffReviewArgs(ctx, r, d)
	if err != nil {
		return err
	}
	lang := r.Lang
	k := &telegram.Keyboard{}
	k.Row(telegram.Button(b.k.Label(lang, "rev_btn_report_yes"), verbAdminReport, rv.ID, page))
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbAdminReviews, rv.ShopID, page))
	text := b.k.T(lang, "rev_report_ask", telegram.HTML(b.reviewText(lang, rv, true, listTextLen, listReplyLen)))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onAdminReport reports a review to the operators: ary:<review>:<page>. Reporting
// one that is already reported says so.
func (b *Feature) onAdminReport(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil || a[1] < 0 {
		return telegram.ErrStaleButton
	}
	rv, err := b.reviews.Report(ctx, r.UserID(), review.ID(a[0]))
	if err != nil {
		return err
	}
	r.Answer(b.k.Label(r.Lang, "rev_reported"))
	shop, _, err := b.k.StaffShop(ctx, r, rv.ShopID)
	if err != nil {
		return err
	}
	return b.showAdminReviews(ctx, r, shop, int(a[1]))
}

// operatorReviewsButton is the operators' way to the reported reviews, for the
// admin screens with the list of shops: how many wait is on the button. No button
// for anyone else, nor when the count fails (logged): the screen is worth more
// than the count.
func (b *Feature) operatorReviewsButton(ctx context.Context, r *telegram.Request) []telegram.TelegoButton {
	if !b.reviews.IsOperator(r.UserID()) {
		return nil
	}
	_, n, err := b.reviews.Reported(ctx, r.UserID(), 1, 0)
	if err != nil {
		b.log.ErrorContext(ctx, "count reported reviews", "err", err)
		return nil
	}
	return []telegram.TelegoButton{telegram.Button(b.k.Label(r.Lang, "rev_btn_operator", n), verbOperatorRevs, 0)}
}

// onOperatorReviews shows the reported reviews to an operator, one per screen:
// aro:<index>.
func (b *Feature) onOperatorReviews(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	i, err := telegram.IDArg(d)
	if err != nil || i < 0 {
		return telegram.ErrStaleButton
	}
	return b.showOperatorReview(ctx, r, int(i))
}

// showOperatorReview shows the i-th reported review (newest first), or the last
// one when fewer wait, with Hide and Keep.
func (b *Feature) showOperatorReview(ctx context.Context, r *telegram.Request, i int) error {
	lang := r.Lang
	list, total, err := b.reviews.Reported(ctx, r.UserID(), 1, i)
	if err != nil {
		return err
	}
	if len(list) == 0 && total > 0 {
		i = total - 1
		if list, total, err = b.reviews.Reported(ctx, r.UserID(), 1, i); err != nil {
			return err
		}
	}
	k := &telegram.Keyboard{}
	if len(list) == 0 {
		k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbOperatorShops, 0))
		return b.k.Show(ctx, r, telegram.View{Text: b.k.T(lang, "rev_op_empty"), Keyboard: k.Markup()})
	}
	rv := list[0]
	shopName := "#" + telegram.FormatID(rv.ShopID)
	if shop, err := b.catalog.Shop(ctx, rv.ShopID); err == nil {
		shopName = shop.Name + " (#" + telegram.FormatID(shop.ID) + ")"
	}
	text := b.k.T(lang, "rev_op_item", i+1, total, shopName, telegram.HTML(b.reviewText(lang, rv, true, 0, 0)))
	k.Row(
		telegram.Button(b.k.Label(lang, "rev_btn_hide"), verbOperatorHide, rv.ID, i),
		telegram.Button(b.k.Label(lang, "rev_btn_keep"), verbOperatorKeep, rv.ID, i),
	)
	if len(rv.Photos) > 0 {
		k.Row(telegram.Button(b.k.Label(lang, "rev_btn_photos", i+1), verbReviewOpen, rv.ID))
	}
	b.k.Pager(k, lang, i, total, verbOperatorRevs)
	k.Row(telegram.Button(b.k.Label(lang, "btn_back"), telegram.VerbOperatorShops, 0))
	return b.k.Show(ctx, r, telegram.View{Text: text, Keyboard: k.Markup()})
}

// onOperatorModerate hides a review (arh:<review>:<index>) or keeps it
// (ark:<review>:<index>), then shows the next reported one.
func (b *Feature) onOperatorModerate(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil || a[1] < 0 {
		return telegram.ErrStaleButton
	}
	if d.Verb == verbOperatorHide {
		_, err = b.reviews.Hide(ctx, r.UserID(), review.ID(a[0]))
		r.Answer(b.k.Label(r.Lang, "rev_hidden"))
	} else {
		_, err = b.reviews.Keep(ctx, r.UserID(), review.ID(a[0]))
		r.Answer(b.k.Label(r.Lang, "rev_kept"))
	}
	if err != nil {
		return err
	}
	return b.showOperatorReview(ctx, r, int(a[1]))
}
