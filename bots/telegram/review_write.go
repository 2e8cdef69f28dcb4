package telegram

import (
	"context"
	"strconv"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/review"
)

// Writing a review: rw:<order> lists the order's items (an order of one item goes
// straight on), then a conversation asks for the stars, the text (or skip) and up
// to three photos (or skip / done), and saves. The author's own review (rd) offers
// to change it for review.EditWindow: the same conversation, with "keep" buttons.
//
// The conversation shares the seller side's mechanics (admin_dialog.go: stepMoves,
// finishDialog, inputOf); its buttons are "rs:<step>:<value>:<conversation>",
// answered by onReviewStep.

// Conversation kinds of reviews.
const (
	dialogReview      = "review:write" // a shopper's review
	dialogReviewReply = "review:reply" // review_admin.go: the seller's reply
)

// Steps of the review conversations (unique across all kinds, see admin_dialog.go).
const (
	stepReviewRating = "rv.rate"
	stepReviewText   = "rv.text"
	stepReviewPhotos = "rv.photos"
	stepReviewReply  = "rv.reply"
)

// buttonKeep keeps what an edited review had.
const buttonKeep = "keep"

// reviewDraft is what the review conversation collected.
type reviewDraft struct {
	OrderID   core.OrderID   `json:"order_id"`
	LineNo    int            `json:"line_no"`
	ReviewID  review.ID      `json:"review_id,omitempty"` // set when changing a review
	ProductID core.ProductID `json:"product_id"`
	Title     string         `json:"title"`
	Rating    int            `json:"rating,omitempty"`
	Text      string         `json:"text,omitempty"`
	Photos    []string       `json:"photos,omitempty"`
	OldText   string         `json:"old_text,omitempty"`   // the changed review's
	OldPhotos []string       `json:"old_photos,omitempty"` // the changed review's
}

// reviewTextField is the text of a review, as readText takes it.
var reviewTextField = textField{most: review.MaxText, multiline: true, want: "rev_want_text", rule: "rev_err_text"}

// reviewDialogs lists the conversations of reviews.
func (b *Bot) reviewDialogs() map[string]stepFunc {
	return map[string]stepFunc{
		dialogReview:      b.reviewStep,
		dialogReviewReply: b.replyStep,
	}
}

// reviewStepButton is a button of a review conversation's prompt, for the
// conversation r.conv.
func reviewStepButton(r *request, label, step, value string) telegoButton {
	return button(label, verbReviewStep, step, value, r.conv)
}

// onReviewStep handles "rs:<step>:<value>:<conversation>": a button of the current
// step's prompt. A button of a step that is over, or of another conversation, is
// answered so and changes nothing.
func (b *Bot) onReviewStep(ctx context.Context, r *request, d callbackData) error {
	if err := d.want(3); err != nil {
		return errStaleButton
	}
	st, ok, err := b.dialogs.Get(ctx, r.userID(), r.chatID)
	if err != nil {
		return err
	}
	fn, known := b.reviewDialogs()[st.Kind]
	conv := conversationOf(st)
	if !ok || !known || st.Step != d.Str(0) || conv == "" || d.Str(2) != conv {
		r.alert(b.label(r.lang, "adm_step_over"))
		return nil
	}
	r.conv = conv
	return fn(ctx, r, st, adminInput{button: d.Str(1)})
}

// onReviewWrite starts reviewing an order: rw:<order>. The review service refuses
// anyone but the buyer of a completed order.
func (b *Bot) onReviewWrite(ctx context.Context, r *request, d callbackData) error {
	id, err := orderArg(d)
	if err != nil {
		return err
	}
	p, err := b.reviews.Purchase(ctx, r.userID(), id)
	if err != nil {
		return err
	}
	if len(p.Lines) == 1 {
		return b.reviewLine(ctx, r, p, p.Lines[0])
	}
	return b.show(ctx, r, b.purchaseView(r.lang, p))
}

// purchaseView lists a purchase's items to review, the reviewed ones ticked.
func (b *Bot) purchaseView(lang string, p review.Purchase) view {
	k := &keyboard{}
	for _, l := range p.Lines {
		key := "rev_btn_line"
		if l.Review != nil {
			key = "rev_btn_line_done"
		}
		k.row(button(b.label(lang, key, l.Title), verbReviewLine, p.OrderID, l.No))
	}
	k.row(button(b.label(lang, "btn_orders_back"), verbOrder, p.OrderID))
	return view{text: b.t(lang, "rev_pick_line", p.OrderID), kb: k.markup()}
}

// onReviewLine reviews one item of an order: rl:<order>:<line>.
func (b *Bot) onReviewLine(ctx context.Context, r *request, d callbackData) error {
	a, err := intArgs(d, 2)
	if err != nil {
		return err
	}
	p, err := b.reviews.Purchase(ctx, r.userID(), core.OrderID(a[0]))
	if err != nil {
		return err
	}
	l, ok := p.Line(int(a[1]))
	if !ok {
		return review.ErrLineNotFound
	}
	return b.reviewLine(ctx, r, p, l)
}

// reviewLine shows the review of a line when it has one, else starts writing it.
func (b *Bot) reviewLine(ctx context.Context, r *request, p review.Purchase, l review.PurchaseLine) error {
	if l.Review != nil {
		return b.show(ctx, r, b.mineView(r.lang, *l.Review, len(p.Lines) > 1))
	}
	draft := reviewDraft{OrderID: p.OrderID, LineNo: l.No, ProductID: l.ProductID, Title: l.Title}
	return b.startReview(ctx, r, draft)
}

// startReview starts the review conversation with draft, at the stars.
func (b *Bot) startReview(ctx context.Context, r *request, draft reviewDraft) error {
	if err := b.startDialog(ctx, r, dialogReview, stepReviewRating, draft); err != nil {
		return err
	}
	return b.show(ctx, r, b.reviewPrompt(r, stepReviewRating, draft))
}

// onReviewEdit changes one's review: re:<review>.
func (b *Bot) onReviewEdit(ctx context.Context, r *request, d callbackData) error {
	id, err := idArg(d)
	if err != nil {
		return err
	}
	rv, err := b.reviews.Mine(ctx, r.userID(), review.ID(id))
	if err != nil {
		return err
	}
	if !b.reviews.CanEdit(rv) {
		return review.ErrEditWindow
	}
	return b.startReview(ctx, r, reviewDraft{
		OrderID: rv.OrderID, LineNo: rv.LineNo, ReviewID: rv.ID, ProductID: rv.ProductID, Title: rv.Title,
		Rating: rv.Rating, OldText: rv.Text, OldPhotos: rv.Photos,
	})
}

// onReviewMine shows the author their review: rd:<review>.
func (b *Bot) onReviewMine(ctx context.Context, r *request, d callbackData) error {
	id, err := idArg(d)
	if err != nil {
		return err
	}
	rv, err := b.reviews.Mine(ctx, r.userID(), review.ID(id))
	if err != nil {
		return err
	}
	p, err := b.reviews.Purchase(ctx, r.userID(), rv.OrderID)
	if err != nil {
		return err
	}
	return b.show(ctx, r, b.mineView(r.lang, rv, len(p.Lines) > 1))
}

// mineView is the author's own review, with what they may do with it.
func (b *Bot) mineView(lang string, rv review.Review, otherItems bool) view {
	text := b.t(lang, "rev_mine", htmlText(b.reviewText(lang, rv, true, 0, 0)))
	k := &keyboard{}
	switch {
	case rv.Hidden():
		text += "\n\n" + b.t(lang, "rev_mine_hidden")
	case b.reviews.CanEdit(rv):
		text += "\n\n" + b.t(lang, "rev_editable_until", formatDate(rv.EditableUntil()))
		k.row(button(b.label(lang, "rev_btn_edit"), verbReviewEdit, rv.ID))
	default:
		text += "\n\n" + b.t(lang, "rev_not_editable")
	}
	if !rv.Hidden() {
		k.row(button(b.label(lang, "rev_btn_all_reviews"), verbReviews, rv.ProductID, 0))
	}
	if otherItems {
		k.row(button(b.label(lang, "rev_btn_other_items"), verbReviewWrite, rv.OrderID))
	}
	return view{text: text, kb: k.markup()}
}

// reviewPrompt asks a step's question of the review conversation r.conv.
func (b *Bot) reviewPrompt(r *request, step string, d reviewDraft) view {
	lang := r.lang
	k := &keyboard{}
	var text string
	switch step {
	case stepReviewRating:
		text = b.t(lang, "rev_ask_rating", d.Title)
		var row []telegoButton
		for n := review.MinRating; n <= review.MaxRating; n++ {
			label := strconv.Itoa(n) + "⭐"
			if n == d.Rating {
				label = "✅" + label
			}
			row = append(row, reviewStepButton(r, label, step, strconv.Itoa(n)))
		}
		k.row(row...)
	case stepReviewText:
		text = b.t(lang, "rev_ask_text", stars(d.Rating), review.MaxText)
		if d.OldText != "" {
			text += "\n\n" + b.t(lang, "rev_ask_text_current", truncate(d.OldText, 300))
			k.row(reviewStepButton(r, b.label(lang, "rev_btn_keep_text"), step, buttonKeep))
			k.row(reviewStepButton(r, b.label(lang, "rev_btn_no_text"), step, buttonSkip))
		} else {
			k.row(reviewStepButton(r, b.label(lang, "adm_btn_skip"), step, buttonSkip))
		}
	case stepReviewPhotos:
		switch {
		case len(d.Photos) > 0:
			text = b.t(lang, "rev_photo_added", len(d.Photos), review.MaxPhotos)
			k.row(reviewStepButton(r, b.label(lang, "adm_btn_done"), step, buttonDone))
		case len(d.OldPhotos) > 0:
			text = b.t(lang, "rev_ask_photos", review.MaxPhotos)
			k.row(reviewStepButton(r, b.label(lang, "rev_btn_keep_photos", len(d.OldPhotos)), step, buttonKeep))
			k.row(reviewStepButton(r, b.label(lang, "rev_btn_no_photos"), step, buttonSkip))
		default:
			text = b.t(lang, "rev_ask_photos", review.MaxPhotos)
			k.row(reviewStepButton(r, b.label(lang, "adm_btn_skip"), step, buttonSkip))
		}
	}
	return view{text: text + "\n\n" + b.t(lang, "adm_cancel_hint"), kb: k.markup()}
}

// reviewStep handles one input of the review conversation.
func (b *Bot) reviewStep(ctx context.Context, r *request, st dialog.State, in adminInput) error {
	var d reviewDraft
	if ok, err := b.decode(ctx, r, st, &d); !ok {
		return err
	}
	lang := r.lang
	again, next := b.stepMoves(ctx, r, st, &d, func(step string) (view, error) {
		return b.reviewPrompt(r, step, d), nil
	})

	switch st.Step {
	case stepReviewRating:
		value := in.button
		if value == "" {
			value = in.text
		}
		if value == "" || in.command != "" {
			return again(b.wrongInput(lang, in, "rev_want_rating"))
		}
		n, err := strconv.Atoi(value)
		if err != nil && in.text != "" {
			return again(b.wrongInput(lang, in, "rev_want_rating"))
		}
		if err != nil || n < review.MinRating || n > review.MaxRating {
			return again(b.t(lang, "rev_err_rating"))
		}
		d.Rating = n
		return next(stepReviewText)

	case stepReviewText:
		switch {
		case in.button == buttonKeep && d.OldText != "":
			d.Text = d.OldText
		case in.button == buttonSkip:
			d.Text = ""
		default:
			text, why := b.readText(lang, in, reviewTextField)
			if why != "" {
				return again(why)
			}
			d.Text = text
		}
		return next(stepReviewPhotos)

	case stepReviewPhotos:
		switch {
		case in.photo != "":
			d.Photos = append(d.Photos, in.photo)
			if len(d.Photos) >= review.MaxPhotos {
				return b.saveReview(ctx, r, d)
			}
			return next(stepReviewPhotos)
		case in.button == buttonKeep && len(d.Photos) == 0 && len(d.OldPhotos) > 0:
			d.Photos = d.OldPhotos
			return b.saveReview(ctx, r, d)
		case in.button == buttonSkip && len(d.Photos) == 0, in.button == buttonDone:
			return b.saveReview(ctx, r, d)
		}
		return again(b.wrongInput(lang, in, "adm_want_photo"))
	}
	return b.endDialog(ctx, r)
}

// saveReview writes or changes the review, thanks the author and shows it. A
// refusal (the window closed meanwhile, a second tab wrote it) ends the
// conversation and is explained.
func (b *Bot) saveReview(ctx context.Context, r *request, d reviewDraft) error {
	draft := review.Draft{Rating: d.Rating, Text: d.Text, Photos: d.Photos}
	var rv review.Review
	var err error
	notice := "rev_saved"
	if d.ReviewID != 0 {
		notice = "rev_updated"
		rv, err = b.reviews.Edit(ctx, r.userID(), d.ReviewID, draft)
	} else {
		rv, err = b.reviews.Create(ctx, r.userID(), d.OrderID, d.LineNo, draft)
	}
	if err != nil {
		if userFacing(err) {
			if derr := b.endDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	return b.finishDialog(ctx, r, dialogReview, b.t(r.lang, notice), screen(verbReviewMine, rv.ID))
}
