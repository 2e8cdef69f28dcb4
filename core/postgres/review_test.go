package postgres

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/review"
)

// Every package-level name in this file starts with "review": the package's other
// tests share it.

// reviewOperator is the platform operator of the review tests.
const reviewOperator core.UserID = 777

// reviewEnv is the world of a review test: the order env, the review service over
// the review store, a Stars shop with two products, and a buyer (user 100).
type reviewEnv struct {
	*orderEnv
	reviews *review.Service
	shop    orderShop
	buyer   core.UserID
	v1, v2  core.VariantID
}

func reviewSetup(t *testing.T) *reviewEnv {
	t.Helper()
	e := orderSetup(t)
	shop := e.shop(orderShopOpts{Stars: true})
	e.user(reviewOperator)
	return &reviewEnv{
		orderEnv: e,
		reviews:  review.NewService(NewReviews(e.pool), e.clock, []core.UserID{reviewOperator}),
		shop:     shop,
		buyer:    e.user(100),
		v1:       e.variant(shop, 50, 5),
		v2:       e.variant(shop, 70, 5),
	}
}

// completed checks out items for buyer, pays, and completes the order.
func (e *reviewEnv) completed(buyer core.UserID, items ...order.Item) order.Order {
	e.t.Helper()
	o := e.paid(buyer, items...)
	if _, err := e.svc.MarkShipped(e.ctx, e.shop.Owner, o.ID, ""); err != nil {
		e.t.Fatalf("ship: %v", err)
	}
	done, err := e.svc.Complete(e.ctx, buyer, o.ID)
	if err != nil {
		e.t.Fatalf("complete: %v", err)
	}
	return done
}

// paid checks out items for buyer and pays.
func (e *reviewEnv) paid(buyer core.UserID, items ...order.Item) order.Order {
	e.t.Helper()
	o := e.checkout(buyer, e.shop, order.DeliveryNone, items...)
	return e.pay(o, "charge-"+time.Now().Format(time.RFC3339Nano))
}

func reviewWantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func (e *reviewEnv) productOf(v core.VariantID) core.ProductID {
	e.t.Helper()
	var p core.ProductID
	if err := e.pool.QueryRow(e.ctx, `SELECT product_id FROM variants WHERE id = $1`, v).Scan(&p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *reviewEnv) wantRating(p core.ProductID, count, sum int) {
	e.t.Helper()
	got, err := e.reviews.ProductRating(e.ctx, p)
	if err != nil || got != (review.Rating{Count: count, Sum: sum}) {
		e.t.Errorf("rating of product %d = %+v, %v; want count %d sum %d", p, got, err, count, sum)
	}
}

func TestReviewService_Create(t *testing.T) {
	t.Parallel()

	t.Run("VerifiedPurchaseOnly", func(t *testing.T) {
		t.Parallel()
		e := reviewSetup(t)
		d := review.Draft{Rating: 5, Text: "Great"}

		// Not completed yet: paid only.
		o := e.paid(e.buyer, order.Item{VariantID: e.v1, Quantity: 1})
		_, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 1, d)
		reviewWantErr(t, err, review.ErrNotCompleted)

		done := e.completed(e.buyer, order.Item{VariantID: e.v1, Quantity: 1})
		// Someone else, the shop's owner included, and an order that does not exist.
		stranger := e.user(200)
		_, err = e.reviews.Create(e.ctx, stranger, done.ID, 1, d)
		reviewWantErr(t, err, review.ErrNotVerified)
		_, err = e.reviews.Create(e.ctx, e.shop.Owner, done.ID, 1, d)
		reviewWantErr(t, err, review.ErrNotVerified)
		_, err = e.reviews.Create(e.ctx, e.buyer, done.ID+1000, 1, d)
		reviewWantErr(t, err, review.ErrNotVerified)
		if core.ErrorCode(err) != core.EFORBIDDEN {
			t.Errorf("code = %s, want forbidden", core.ErrorCode(err))
		}
		_, err = e.reviews.Create(e.ctx, e.buyer, done.ID, 2, d)
		reviewWantErr(t, err, review.ErrLineNotFound)

		r, err := e.reviews.Create(e.ctx, e.buyer, done.ID, 1, review.Draft{Rating: 5, Text: "  Great  ", Photos: []string{"ph1"}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Rating != 5 || r.Text != "Great" || len(r.Photos) != 1 || r.AuthorID != e.buyer || r.AuthorName != "u" ||
			r.ProductID != e.productOf(e.v1) || r.ShopID != e.shop.ID || !r.CreatedAt.Equal(orderStart) || r.Title == "" {
			t.Errorf("review = %+v", r)
		}
		e.wantRating(r.ProductID, 1, 5)
	})

	t.Run("OncePerOrderLine", func(t *testing.T) {
		t.Parallel()
		e := reviewSetup(t)
		o := e.completed(e.buyer, order.Item{VariantID: e.v1, Quantity: 1}, order.Item{VariantID: e.v2, Quantity: 2})
		if _, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 1, review.Draft{Rating: 4}); err != nil {
			t.Fatal(err)
		}
		_, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 1, review.Draft{Rating: 1})
		reviewWantErr(t, err, review.ErrAlreadyReviewed)
		if _, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 2, review.Draft{Rating: 2}); err != nil {
			t.Fatalf("second line: %v", err)
		}
		p, err := e.reviews.Purchase(e.ctx, e.buyer, o.ID)
		if err != nil || len(p.Lines) != 2 || p.Lines[0].Review == nil || p.Lines[1].Review == nil ||
			p.Lines[0].Review.Rating != 4 || p.Lines[1].Review.Rating != 2 {
			t.Fatalf("purchase = %+v, %v", p, err)
		}
		// A second order of the same product may be reviewed again.
		again := e.completed(e.buyer, order.Item{VariantID: e.v1, Quantity: 1})
		if _, err := e.reviews.Create(e.ctx, e.buyer, again.ID, 1, review.Draft{Rating: 3}); err != nil {
			t.Fatal(err)
		}
		e.wantRating(e.productOf(e.v1), 2, 7)
		shopRating, err := e.reviews.ShopRating(e.ctx, e.shop.ID)
		if err != nil || shopRating != (review.Rating{Count: 3, Sum: 9}) || shopRating.Tenths() != 30 {
			t.Errorf("shop rating = %+v, %v", shopRating, err)
		}
	})

	t.Run("Limits", func(t *testing.T) {
		t.Parallel()
		e := reviewSetup(t)
		o := e.completed(e.buyer, order.Item{VariantID: e.v1, Quantity: 1})
		for _, tc := range []struct {
			d    review.Draft
			want error
		}{
			{review.Draft{Rating: 0}, review.ErrRating},
			{review.Draft{Rating: 7}, review.ErrRating},
			{review.Draft{Rating: 5, Text: strings.Repeat("я", review.MaxText+1)}, review.ErrText},
			{review.Draft{Rating: 5, Photos: []string{"a", "b", "c", "d"}}, review.ErrTooManyPhotos},
			{review.Draft{Rating: 5, Photos: []string{""}}, review.ErrPhoto},
		} {
			_, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 1, tc.d)
			reviewWantErr(t, err, tc.want)
		}
		// Invisible text is no text; text at the limit is fine.
		r, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 1, review.Draft{Rating: 3, Text: "\u200b \u3164"})
		if err != nil || r.Text != "" {
			t.Fatalf("blank text: %+v, %v", r, err)
		}
		if r, err = e.reviews.Edit(e.ctx, e.buyer, r.ID, review.Draft{Rating: 3, Text: strings.Repeat("я", review.MaxText)}); err != nil {
			t.Fatalf("text at the limit: %v", err)
		}
	})
}

func TestReviewService_Edit(t *testing.T) {
	t.Parallel()
	e := reviewSetup(t)
	o := e.completed(e.buyer, order.Item{VariantID: e.v1, Quantity: 1})
	r, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 1, review.Draft{Rating: 2, Text: "Meh", Photos: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.reviews.Edit(e.ctx, e.user(200), r.ID, review.Draft{Rating: 1})
	reviewWantErr(t, err, review.ErrNotAuthor)
	_, err = e.reviews.Edit(e.ctx, e.buyer, r.ID+100, review.Draft{Rating: 1})
	reviewWantErr(t, err, review.ErrNotFound)

	e.clock.Advance(review.EditWindow - time.Minute)
	got, err := e.reviews.Edit(e.ctx, e.buyer, r.ID, review.Draft{Rating: 4, Text: "Better after a week"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rating != 4 || got.Text != "Better after a week" || len(got.Photos) != 0 || !got.CreatedAt.Equal(r.CreatedAt) {
		t.Errorf("edited = %+v", got)
	}
	e.wantRating(r.ProductID, 1, 4)

	e.clock.Advance(time.Minute)
	_, err = e.reviews.Edit(e.ctx, e.buyer, r.ID, review.Draft{Rating: 1})
	reviewWantErr(t, err, review.ErrEditWindow)
	if e.reviews.CanEdit(got) {
		t.Error("CanEdit after the window")
	}
}

func TestReviewService_ReplyReportHide(t *testing.T) {
	t.Parallel()
	e := reviewSetup(t)
	o := e.completed(e.buyer, order.Item{VariantID: e.v1, Quantity: 1}, order.Item{VariantID: e.v2, Quantity: 1})
	bad, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 1, review.Draft{Rating: 1, Text: "spam spam"})
	if err != nil {
		t.Fatal(err)
	}
	good, err := e.reviews.Create(e.ctx, e.buyer, o.ID, 2, review.Draft{Rating: 5})
	if err != nil {
		t.Fatal(err)
	}
	manager := e.manager(e.shop, 300)
	stranger := e.user(400)

	t.Run("ReplyOnce", func(t *testing.T) {
		_, err := e.reviews.Reply(e.ctx, stranger, good.ID, "Thanks")
		reviewWantErr(t, err, catalog.ErrNotStaff)
		_, err = e.reviews.Reply(e.ctx, manager, good.ID, " \u200b ")
		reviewWantErr(t, err, review.ErrReply)
		r, err := e.reviews.Reply(e.ctx, manager, good.ID, " Thank you! ")
		if err != nil || r.Reply != "Thank you!" || r.RepliedAt.IsZero() {
			t.Fatalf("reply = %+v, %v", r, err)
		}
		_, err = e.reviews.Reply(e.ctx, e.shop.Owner, good.ID, "Again")
		reviewWantErr(t, err, review.ErrAlreadyReplied)
	})

	t.Run("ReportAndHide", func(t *testing.T) {
		_, err := e.reviews.Report(e.ctx, stranger, bad.ID)
		reviewWantErr(t, err, catalog.ErrNotStaff)
		r, err := e.reviews.Report(e.ctx, manager, bad.ID)
		if err != nil || !r.Reported() {
			t.Fatalf("report = %+v, %v", r, err)
		}
		_, err = e.reviews.Report(e.ctx, manager, bad.ID)
		reviewWantErr(t, err, review.ErrAlreadyReported)

		_, _, err = e.reviews.Reported(e.ctx, manager, 10, 0)
		reviewWantErr(t, err, catalog.ErrNotOperator)
		list, n, err := e.reviews.Reported(e.ctx, reviewOperator, 10, 0)
		if err != nil || n != 1 || len(list) != 1 || list[0].ID != bad.ID {
			t.Fatalf("reported = %+v, %d, %v", list, n, err)
		}
		_, err = e.reviews.Hide(e.ctx, manager, bad.ID)
		reviewWantErr(t, err, catalog.ErrNotOperator)

		shopBefore, _ := e.reviews.ShopRating(e.ctx, e.shop.ID)
		if shopBefore != (review.Rating{Count: 2, Sum: 6}) {
			t.Fatalf("shop rating before = %+v", shopBefore)
		}
		if _, err := e.reviews.Hide(e.ctx, reviewOperator, bad.ID); err != nil {
			t.Fatal(err)
		}
		// Hidden: out of every list, rating and view; the author still sees it.
		e.wantRating(bad.ProductID, 0, 0)
		if shop, _ := e.reviews.ShopRating(e.ctx, e.shop.ID); shop != (review.Rating{Count: 1, Sum: 5}) {
			t.Errorf("shop rating after hiding = %+v", shop)
		}
		if list, n, _ := e.reviews.ProductReviews(e.ctx, bad.ProductID, 10, 0); n != 0 || len(list) != 0 {
			t.Errorf("product reviews = %+v, %d", list, n)
		}
		if list, n, _ := e.reviews.ShopReviews(e.ctx, manager, e.shop.ID, 10, 0); n != 1 || list[0].ID != good.ID {
			t.Errorf("shop reviews = %+v, %d", list, n)
		}
		if _, n, _ := e.reviews.Reported(e.ctx, reviewOperator, 10, 0); n != 0 {
			t.Errorf("reported after hiding = %d", n)
		}
		_, err = e.reviews.Review(e.ctx, bad.ID)
		reviewWantErr(t, err, review.ErrNotFound)
		_, err = e.reviews.Reply(e.ctx, manager, bad.ID, "hm")
		reviewWantErr(t, err, review.ErrNotFound)
		if mine, err := e.reviews.Mine(e.ctx, e.buyer, bad.ID); err != nil || !mine.Hidden() {
			t.Errorf("mine = %+v, %v", mine, err)
		}
		// Hiding twice changes nothing.
		if again, err := e.reviews.Hide(e.ctx, reviewOperator, bad.ID); err != nil || !again.Hidden() {
			t.Errorf("hide again = %+v, %v", again, err)
		}
	})

	t.Run("Keep", func(t *testing.T) {
		if _, err := e.reviews.Report(e.ctx, manager, good.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reviews.Keep(e.ctx, reviewOperator, good.ID); err != nil {
			t.Fatal(err)
		}
		if _, n, _ := e.reviews.Reported(e.ctx, reviewOperator, 10, 0); n != 0 {
			t.Errorf("reported after keeping = %d", n)
		}
		_, err := e.reviews.Report(e.ctx, manager, good.ID)
		reviewWantErr(t, err, review.ErrModerated)
		e.wantRating(good.ProductID, 1, 5)
	})
}

func TestReviewService_ProductReviewsNewestFirst(t *testing.T) {
	t.Parallel()
	e := reviewSetup(t)
	v := e.variant(e.shop, 10, 20)
	p := e.productOf(v)
	var ids []review.ID
	for i := range 7 {
		buyer := e.user(core.UserID(500 + i))
		o := e.completed(buyer, order.Item{VariantID: v, Quantity: 1})
		r, err := e.reviews.Create(e.ctx, buyer, o.ID, 1, review.Draft{Rating: 1 + i%5})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	page, n, err := e.reviews.ProductReviews(e.ctx, p, 5, 5)
	if err != nil || n != 7 || len(page) != 2 || page[0].ID != ids[1] || page[1].ID != ids[0] {
		t.Fatalf("second page = %+v, %d, %v", page, n, err)
	}
	// 1+2+3+4+5+1+2 = 18 over 7: 2.57 -> 2.6.
	rating, _ := e.reviews.ProductRating(e.ctx, p)
	if rating.Tenths() != 26 {
		t.Errorf("tenths = %d, want 26", rating.Tenths())
	}
}

func TestReviewRatingTenths(t *testing.T) {
	for _, tc := range []struct {
		r    review.Rating
		want int
	}{
		{review.Rating{}, 0},
		{review.Rating{Count: 1, Sum: 5}, 50},
		{review.Rating{Count: 3, Sum: 14}, 47},  // 4.666
		{review.Rating{Count: 4, Sum: 18}, 45},  // 4.5
		{review.Rating{Count: 20, Sum: 91}, 46}, // 4.55 rounds half up
	} {
		if got := tc.r.Tenths(); got != tc.want {
			t.Errorf("%+v.Tenths() = %d, want %d", tc.r, got, tc.want)
		}
	}
}
