package reviews

import (
	"context"
	"strconv"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/review"

	telegram "github.com/vitrina-shop/vitrina/bots/telegram"
)

// Writing a review: rw:<order> lists the order's items (an order of one item goes
// straight on), then a conversation asks for the stars, the text (or skip) and up
// to three photos (or skip / done), and saves. The author's own review (rd) offers
// to change it for review.EditWindow: the same conversation, with "keep" buttons.
//
// The conversation shares the seller side's mechanics (telegram's dialog.go: StepMoves,
// finishDialog, inputOf); its buttons are "rs:<step>:<value>:<conversation>",
// answered by onReviewStep.

// Conversation kinds of reviews.
const (
	dialogReview      = "review:write" // a shopper's review
	dialogReviewReply = "review:reply" // seller.go: the seller's reply
)

// Steps of the review conversations (unique across all kinds, see telegram's dialog.go).
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
var reviewTextField = telegram.TextField{Most: review.MaxText, Multiline: true, Want: "rev_want_text", Rule: "rev_err_text"}

// reviewDialogs lists the conversations of reviews.
func (b *Feature) reviewDialogs() map[string]telegram.StepFunc {
	return map[string]telegram.StepFunc{
		dialogReview:      b.reviewStep,
		dialogReviewReply: b.replyStep,
	}
}

// reviewStepButton is a button of a review conversation's prompt, for the
// conversation r.conv.
func reviewStepButton(r *telegram.Request, label, step, value string) telegram.TelegoButton {
	return telegram.Button(label, verbReviewStep, step, value, r.Conv)
}

// onReviewStep handles "rs:<step>:<value>:<conversation>": a button of the current
// step's prompt. A button of a step that is over, or of another conversation, is
// answered so and changes nothing.
func (b *Feature) onReviewStep(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	if err := d.Want(3); err != nil {
		return telegram.ErrStaleButton
	}
	st, ok, err := b.dialogs.Get(ctx, r.UserID(), r.ChatID)
	if err != nil {
		return err
	}
	fn, known := b.reviewDialogs()[st.Kind]
	conv := telegram.ConversationOf(st)
	if !ok || !known || st.Step != d.Str(0) || conv == "" || d.Str(2) != conv {
		r.Alert(b.k.Label(r.Lang, "adm_step_over"))
		return nil
	}
	r.Conv = conv
	return fn(ctx, r, st, telegram.Input{Button: d.Str(1)})
}

// onReviewWrite starts reviewing an order: rw:<order>. The review service refuses
// anyone but the buyer of a completed order.
func (b *Feature) onReviewWrite(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.OrderArg(d)
	if err != nil {
		return err
	}
	p, err := b.reviews.Purchase(ctx, r.UserID(), id)
	if err != nil {
		return err
	}
	if len(p.Lines) == 1 {
		return b.reviewLine(ctx, r, p, p.Lines[0])
	}
	return b.k.Show(ctx, r, b.purchaseView(r.Lang, p))
}

// purchaseView lists a purchase's items to review, the reviewed ones ticked.
func (b *Feature) purchaseView(lang string, p review.Purchase) telegram.View {
	k := &telegram.Keyboard{}
	for _, l := range p.Lines {
		key := "rev_btn_line"
		if l.Review != nil {
			key = "rev_btn_line_done"
		}
		k.Row(telegram.Button(b.k.Label(lang, key, l.Title), verbReviewLine, p.OrderID, l.No))
	}
	k.Row(telegram.Button(b.k.Label(lang, "btn_orders_back"), telegram.VerbOrder, p.OrderID))
	return telegram.View{Text: b.k.T(lang, "rev_pick_line", p.OrderID), Keyboard: k.Markup()}
}

// onReviewLine reviews one item of an order: rl:<order>:<line>.
func (b *Feature) onReviewLine(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	a, err := telegram.IntArgs(d, 2)
	if err != nil {
		return err
	}
	p, err := b.reviews.Purchase(ctx, r.UserID(), core.OrderID(a[0]))
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
func (b *Feature) reviewLine(ctx context.Context, r *telegram.Request, p review.Purchase, l review.PurchaseLine) error {
	if l.Review != nil {
		return b.k.Show(ctx, r, b.mineView(r.Lang, *l.Review, len(p.Lines) > 1))
	}
	draft := reviewDraft{OrderID: p.OrderID, LineNo: l.No, ProductID: l.ProductID, Title: l.Title}
	return b.startReview(ctx, r, draft)
}

// startReview starts the review conversation with draft, at the stars.
func (b *Feature) startReview(ctx context.Context, r *telegram.Request, draft reviewDraft) error {
	if err := b.k.StartDialog(ctx, r, dialogReview, stepReviewRating, draft); err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.reviewPrompt(r, stepReviewRating, draft))
}

// onReviewEdit changes one's review: re:<review>.
func (b *Feature) onReviewEdit(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.IDArg(d)
	if err != nil {
		return err
	}
	rv, err := b.reviews.Mine(ctx, r.UserID(), review.ID(id))
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
func (b *Feature) onReviewMine(ctx context.Context, r *telegram.Request, d telegram.CallbackData) error {
	id, err := telegram.IDArg(d)
	if err != nil {
		return err
	}
	rv, err := b.reviews.Mine(ctx, r.UserID(), review.ID(id))
	if err != nil {
		return err
	}
	p, err := b.reviews.Purchase(ctx, r.UserID(), rv.OrderID)
	if err != nil {
		return err
	}
	return b.k.Show(ctx, r, b.mineView(r.Lang, rv, len(p.Lines) > 1))
}

// mineView is the author's own review, with what they may do with it.
func (b *Feature) mineView(lang string, rv review.Review, otherItems bool) telegram.View {
	text := b.k.T(lang, "rev_mine", telegram.HTML(b.reviewText(lang, rv, true, 0, 0)))
	k := &telegram.Keyboard{}
	switch {
	case rv.Hidden():
		text += "\n\n" + b.k.T(lang, "rev_mine_hidden")
	case b.reviews.CanEdit(rv):
		text += "\n\n" + b.k.T(lang, "rev_editable_until", formatDate(rv.EditableUntil()))
		k.Row(telegram.Button(b.k.Label(lang, "rev_btn_edit"), verbReviewEdit, rv.ID))
	default:
		text += "\n\n" + b.k.T(lang, "rev_not_editable")
	}
	if !rv.Hidden() {
		k.Row(telegram.Button(b.k.Label(lang, "rev_btn_all_reviews"), verbReviews, rv.ProductID, 0))
	}
	if otherItems {
		k.Row(telegram.Button(b.k.Label(lang, "rev_btn_other_items"), telegram.VerbReviewWrite, rv.OrderID))
	}
	return telegram.View{Text: text, Keyboard: k.Markup()}
}

// reviewPrompt asks a step's question of the review conversation r.conv.
func (b *Feature) reviewPrompt(r *telegram.Request, step string, d reviewDraft) telegram.View {
	lang := r.Lang
	k := &telegram.Keyboard{}
	var text string
	switch step {
	case stepReviewRating:
		text = b.k.T(lang, "rev_ask_rating", d.Title)
		var row []telegram.TelegoButton
		for n := review.MinRating; n <= review.MaxRating; n++ {
			label := strconv.Itoa(n) + "⭐"
			if n == d.Rating {
				label = "✅" + label
			}
			row = append(row, reviewStepButton(r, label, step, strconv.Itoa(n)))
		}
		k.Row(row...)
	case stepReviewText:
		text = b.k.T(lang, "rev_ask_text", stars(d.Rating), review.MaxText)
		if d.OldText != "" {
			text += "\n\n" + b.k.T(lang, "rev_ask_text_current", telegram.Truncate(d.OldText, 300))
			k.Row(reviewStepButton(r, b.k.Label(lang, "rev_btn_keep_text"), step, buttonKeep))
			k.Row(reviewStepButton(r, b.k.Label(lang, "rev_btn_no_text"), step, telegram.ButtonSkip))
		} else {
			k.Row(reviewStepButton(r, b.k.Label(lang, "adm_btn_skip"), step, telegram.ButtonSkip))
		}
	case stepReviewPhotos:
		switch {
		case len(d.Photos) > 0:
			text = b.k.T(lang, "rev_photo_added", len(d.Photos), review.MaxPhotos)
			k.Row(reviewStepButton(r, b.k.Label(lang, "adm_btn_done"), step, telegram.ButtonDone))
		case len(d.OldPhotos) > 0:
			text = b.k.T(lang, "rev_ask_photos", review.MaxPhotos)
			k.Row(reviewStepButton(r, b.k.Label(lang, "rev_btn_keep_photos", len(d.OldPhotos)), step, buttonKeep))
			k.Row(reviewStepButton(r, b.k.Label(lang, "rev_btn_no_photos"), step, telegram.ButtonSkip))
		default:
			text = b.k.T(lang, "rev_ask_photos", review.MaxPhotos)
			k.Row(reviewStepButton(r, b.k.Label(lang, "adm_btn_skip"), step, telegram.ButtonSkip))
		}
	}
	return telegram.View{Text: text + "\n\n" + b.k.T(lang, "adm_cancel_hint"), Keyboard: k.Markup()}
}

// reviewStep handles one input of the review conversation.
func (b *Feature) reviewStep(ctx context.Context, r *telegram.Request, st dialog.State, in telegram.Input) error {
	var d reviewDraft
	if ok, err := b.k.Decode(ctx, r, st, &d); !ok {
		return err
	}
	lang := r.Lang
	again, next := b.k.StepMoves(ctx, r, st, &d, func(step string) (telegram.View, error) {
		return b.reviewPrompt(r, step, d), nil
	})

	switch st.Step {
	case stepReviewRating:
		value := in.Button
		if value == "" {
			value = in.Text
		}
		if value == "" || in.Command != "" {
			return again(b.k.WrongInput(lang, in, "rev_want_rating"))
		}
		n, err := strconv.Atoi(value)
		if err != nil && in.Text != "" {
			return again(b.k.WrongInput(lang, in, "rev_want_rating"))
		}
		if err != nil || n < review.MinRating || n > review.MaxRating {
			return again(b.k.T(lang, "rev_err_rating"))
		}
		d.Rating = n
		return next(stepReviewText)

	case stepReviewText:
		switch {
		case in.Button == buttonKeep && d.OldText != "":
			d.Text = d.OldText
		case in.Button == telegram.ButtonSkip:
			d.Text = ""
		case in.Photo != "" && in.Caption != "":
			// A photo sent here, as people do, with its caption for the text:
			// both are kept, and the photos step follows for more.
			text, why := b.k.ReadText(lang, telegram.Input{Text: in.Caption}, reviewTextField)
			if why != "" {
				return again(why)
			}
			d.Text, d.Photos = text, append(d.Photos, in.Photo)
		default:
			text, why := b.k.ReadText(lang, in, reviewTextField)
			if why != "" {
				return again(why)
			}
			d.Text = text
		}
		return next(stepReviewPhotos)

	case stepReviewPhotos:
		switch {
		case in.Photo != "":
			d.Photos = append(d.Photos, in.Photo)
			if len(d.Photos) >= review.MaxPhotos {
				return b.saveReview(ctx, r, d)
			}
			return next(stepReviewPhotos)
		case in.Button == buttonKeep && len(d.Photos) == 0 && len(d.OldPhotos) > 0:
			d.Photos = d.OldPhotos
			return b.saveReview(ctx, r, d)
		case in.Button == telegram.ButtonSkip && len(d.Photos) == 0, in.Button == telegram.ButtonDone:
			return b.saveReview(ctx, r, d)
		}
		return again(b.k.WrongInput(lang, in, "adm_want_photo"))
	}
	return b.k.EndDialog(ctx, r)
}

// saveReview writes or changes the review, thanks the author and shows it. A
// refusal (the window closed meanwhile, a second tab wrote it) ends the
// conversation and is explained.
func (b *Feature) saveReview(ctx context.Context, r *telegram.Request, d reviewDraft) error {
	draft := review.Draft{Rating: d.Rating, Text: d.Text, Photos: d.Photos}
	var rv review.Review
	var err error
	notice := "rev_saved"
	if d.ReviewID != 0 {
		notice = "rev_updated"
		rv, err = b.reviews.Edit(ctx, r.UserID(), d.ReviewID, draft)
	} else {
		rv, err = b.reviews.Create(ctx, r.UserID(), d.OrderID, d.LineNo, draft)
	}
	if err != nil {
		if telegram.UserFacing(err) {
			if derr := b.k.EndDialog(ctx, r); derr != nil {
				return derr
			}
		}
		return err
	}
	return b.k.FinishDialog(ctx, r, dialogReview, b.k.T(r.Lang, notice), telegram.Screen(verbReviewMine, rv.ID))
}
