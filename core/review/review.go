// Package review holds the rules of product reviews: who may review (a verified
// purchase), ratings, replies, reports and moderation.
//
// A review belongs to one line of a completed order, written by the order's buyer:
// one review per line, which its author may change for EditWindow. The shop's staff
// may answer it publicly once, and report it to the platform's operators, who hide
// it or keep it. A hidden review is shown nowhere and counts in no rating.
package review

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// ID is a review's id.
type ID int64

// Limits of a review.
const (
	MinRating  = 1
	MaxRating  = 5
	MaxText    = 1000 // characters of a review's text, and of a reply
	MaxPhotos  = 3
	EditWindow = 7 * 24 * time.Hour // how long after writing it the author may change a review
)

// Review is a buyer's word on a product they bought.
type Review struct {
	ID         ID
	ShopID     core.ShopID
	ProductID  core.ProductID
	OrderID    core.OrderID
	LineNo     int
	Title      string // the order line's title: the product (and variant) as bought
	AuthorID   core.UserID
	AuthorName string // the author's first name, as Telegram last told it
	Rating     int    // MinRating..MaxRating
	Text       string // "" for none
	Photos     []string
	Reply      string // the shop's public answer, "" for none
	RepliedAt  time.Time
	ReportedAt time.Time // when staff reported it to the operators; zero if never
	// ModeratedAt is when an operator kept a reported review; zero if none did.
	ModeratedAt time.Time
	HiddenAt    time.Time // when an operator hid it; zero while it is shown
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Hidden reports whether operators hid the review.
func (r Review) Hidden() bool { return !r.HiddenAt.IsZero() }

// Reported reports whether the review waits for the operators' decision.
func (r Review) Reported() bool {
	return !r.ReportedAt.IsZero() && r.ModeratedAt.IsZero() && r.HiddenAt.IsZero()
}

// EditableUntil is when the author can no longer change the review.
func (r Review) EditableUntil() time.Time { return r.CreatedAt.Add(EditWindow) }

// Draft is what the author gives: the rating, and optional text and photos.
type Draft struct {
	Rating int
	Text   string
	Photos []string // Telegram file ids
}

// Rating is the aggregate of visible reviews.
type Rating struct {
	Count int
	Sum   int // of the ratings, so the average needs no float
}

// Tenths returns the average rating in tenths of a star, rounded half up (4.6 is
// 46); 0 when there are no reviews.
func (r Rating) Tenths() int {
	if r.Count == 0 {
		return 0
	}
	return (r.Sum*20 + r.Count) / (2 * r.Count)
}

// Purchase is a completed order as its buyer may review it.
type Purchase struct {
	OrderID core.OrderID
	ShopID  core.ShopID
	Lines   []PurchaseLine
}

// PurchaseLine is an order line with the review written of it, if any.
type PurchaseLine struct {
	order.Line
	Review *Review // nil: not reviewed yet (or reviewed and hidden: Review.Hidden)
}

// Filter selects reviews for a listing, newest first. Hidden reviews are never
// listed.
type Filter struct {
	ProductID *core.ProductID
	ShopID    *core.ShopID
	Reported  bool // only the ones waiting for the operators
	Limit     int
	Offset    int
}

// Errors the bot explains to people in their language.
var (
	ErrNotFound        = &core.Error{Code: core.ENOTFOUND, Message: "review not found"}
	ErrNotVerified     = &core.Error{Code: core.EFORBIDDEN, Message: "only a shopper who received this order can review it"}
	ErrNotCompleted    = &core.Error{Code: core.EFORBIDDEN, Message: "you can review an order once you have received it"}
	ErrNotAuthor       = &core.Error{Code: core.EFORBIDDEN, Message: "only its author can change a review"}
	ErrLineNotFound    = &core.Error{Code: core.ENOTFOUND, Message: "no such item in the order"}
	ErrAlreadyReviewed = &core.Error{Code: core.ECONFLICT, Message: "this item is already reviewed"}
	ErrEditWindow      = &core.Error{Code: core.ECONFLICT, Message: "a review can be changed for 7 days after it is written"}
	ErrRating          = &core.Error{Code: core.EINVALID, Message: "a rating is 1 to 5 stars"}
	ErrText            = &core.Error{Code: core.EINVALID, Message: "a review's text is at most 1000 characters"}
	ErrTooManyPhotos   = &core.Error{Code: core.EINVALID, Message: "a review has at most 3 photos"}
	ErrPhoto           = &core.Error{Code: core.EINVALID, Message: "a photo is not valid"}
	ErrReply           = &core.Error{Code: core.EINVALID, Message: "a reply is 1 to 1000 characters of visible text"}
	ErrAlreadyReplied  = &core.Error{Code: core.ECONFLICT, Message: "the shop has already replied to this review"}
	ErrAlreadyReported = &core.Error{Code: core.ECONFLICT, Message: "this review is already reported"}
	ErrModerated       = &core.Error{Code: core.ECONFLICT, Message: "the operators have already checked this review"}
)

// Store is what the review service needs of storage (postgres.Reviews).
type Store interface {
	// Purchase returns an order with its lines and the review of each line, hidden
	// ones included; order.ErrOrderNotFound. status is the order's status.
	Purchase(ctx context.Context, id core.OrderID) (p Purchase, buyer core.UserID, status order.Status, err error)
	// Role returns user's role in a shop, "" if they are not its staff
	// (postgres.Roles).
	shop.Roles
	// CreateReview saves a new review (its ID, AuthorName and UpdatedAt are
	// ignored) with the jobs jobs makes of it, and returns it as saved;
	// ErrAlreadyReviewed if its order line has one.
	CreateReview(ctx context.Context, r Review, jobs func(Review) []core.Job) (Review, error)
	// UpdateReview locks a review, passes it to fn and saves what fn returns (its
	// rating, text, photos, reply, report, moderation and hidden fields, and
	// UpdatedAt); nothing when fn returns nil. An error from fn is returned as is
	// and changes nothing. ErrNotFound.
	UpdateReview(ctx context.Context, id ID, fn func(Review) (*Review, error)) (Review, error)
	// Review returns a review, hidden or not; ErrNotFound.
	Review(ctx context.Context, id ID) (Review, error)
	// Reviews lists visible reviews by f, newest first, and how many match in all.
	Reviews(ctx context.Context, f Filter) ([]Review, int, error)
	// Rating aggregates the visible reviews of a product or (product nil) a shop.
	Rating(ctx context.Context, shop *core.ShopID, product *core.ProductID) (Rating, error)
}

// Service is the review rules over a Store.
type Service struct {
	store     Store
	clock     core.Clock
	operators shop.Operators
}

// NewService returns a Service. operators are the platform operators
// (VITRINA_ADMIN_IDS): they see reported reviews and hide them.
func NewService(store Store, clock core.Clock, operators []core.UserID) *Service {
	return &Service{store: store, clock: clock, operators: shop.NewOperators(operators)}
}

// now is the clock's time at the precision PostgreSQL keeps.
func (s *Service) now() time.Time { return s.clock.Now().Truncate(time.Microsecond) }

// --- the author ---

// Purchase returns the actor's completed order with its lines to review, each with
// the review the actor wrote of it, if any (a hidden one too, so the author sees
// why they cannot write another).
//
// ErrNotVerified when the order is not the actor's (or does not exist: ids cannot
// be probed); ErrNotCompleted when it is theirs but not completed yet.
func (s *Service) Purchase(ctx context.Context, actor core.UserID, id core.OrderID) (Purchase, error) {
	p, buyer, status, err := s.store.Purchase(ctx, id)
	switch {
	case core.ErrorCode(err) == core.ENOTFOUND:
		return Purchase{}, ErrNotVerified
	case err != nil:
		return Purchase{}, fmt.Errorf("purchase %d: %w", id, err)
	case buyer != actor:
		return Purchase{}, ErrNotVerified
	case status != order.StatusCompleted:
		return Purchase{}, ErrNotCompleted
	}
	return p, nil
}

// Create writes the actor's review of line lineNo of their completed order.
//
// ErrNotVerified, ErrNotCompleted (see Purchase); ErrLineNotFound;
// ErrAlreadyReviewed when the line has a review (Edit changes it); ErrRating,
// ErrText, ErrTooManyPhotos, ErrPhoto for a draft that breaks the limits.
func (s *Service) Create(ctx context.Context, actor core.UserID, id core.OrderID, lineNo int, d Draft) (Review, error) {
	d, err := checkDraft(d)
	if err != nil {
		return Review{}, err
	}
	p, err := s.Purchase(ctx, actor, id)
	if err != nil {
		return Review{}, err
	}
	l, ok := p.Line(lineNo)
	if !ok {
		return Review{}, ErrLineNotFound
	}
	if l.Review != nil {
		return Review{}, ErrAlreadyReviewed
	}
	now := s.now()
	r, err := s.store.CreateReview(ctx, Review{
		ShopID: p.ShopID, ProductID: l.ProductID, OrderID: id, LineNo: lineNo, Title: l.Title,
		AuthorID: actor, Rating: d.Rating, Text: d.Text, Photos: d.Photos, CreatedAt: now,
	}, func(r Review) []core.Job { return []core.Job{newJob(r.ID)} })
	if err != nil {
		return Review{}, fmt.Errorf("create review of order %d line %d: %w", id, lineNo, err)
	}
	return r, nil
}

// Edit changes the actor's review to d, within EditWindow of writing it.
//
// ErrNotFound (also for a review someone else wrote, seen by no one else);
// ErrNotAuthor; ErrEditWindow when the window is over; the draft's errors as
// Create. A review hidden by the operators stays hidden.
func (s *Service) Edit(ctx context.Context, actor core.UserID, id ID, d Draft) (Review, error) {
	d, err := checkDraft(d)
	if err != nil {
		return Review{}, err
	}
	now := s.now()
	r, err := s.store.UpdateReview(ctx, id, func(r Review) (*Review, error) {
		switch {
		case r.AuthorID != actor:
			return nil, ErrNotAuthor
		case !now.Before(r.EditableUntil()):
			return nil, ErrEditWindow
		}
		r.Rating, r.Text, r.Photos, r.UpdatedAt = d.Rating, d.Text, d.Photos, now
		return &r, nil
	})
	if err != nil {
		return Review{}, fmt.Errorf("edit review %d: %w", id, err)
	}
	return r, nil
}

// Mine returns a review to its author, hidden or not; ErrNotFound for anyone else.
func (s *Service) Mine(ctx context.Context, actor core.UserID, id ID) (Review, error) {
	r, err := s.store.Review(ctx, id)
	if err != nil {
		return Review{}, fmt.Errorf("review %d: %w", id, err)
	}
	if r.AuthorID != actor {
		return Review{}, ErrNotFound
	}
	return r, nil
}

// CanEdit reports whether the review's author may still change it.
func (s *Service) CanEdit(r Review) bool { return s.now().Before(r.EditableUntil()) }

// checkDraft returns d with its text trimmed (text with nothing visible is no
// text), or the error of the limit it breaks.
func checkDraft(d Draft) (Draft, error) {
	if d.Rating < MinRating || d.Rating > MaxRating {
		return Draft{}, ErrRating
	}
	d.Text = strings.TrimSpace(d.Text)
	if !core.Visible(d.Text) {
		d.Text = ""
	}
	if !utf8.ValidString(d.Text) || utf8.RuneCountInString(d.Text) > MaxText {
		return Draft{}, ErrText
	}
	if len(d.Photos) > MaxPhotos {
		return Draft{}, ErrTooManyPhotos
	}
	for _, p := range d.Photos {
		if p == "" || len(p) > 256 || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' }) {
			return Draft{}, ErrPhoto
		}
	}
	if d.Photos == nil {
		d.Photos = []string{}
	}
	return d, nil
}

// Reviewed reports whether every line of the purchase has its review.
func (p Purchase) Reviewed() bool {
	for _, l := range p.Lines {
		if l.Review == nil {
			return false
		}
	}
	return len(p.Lines) > 0
}

// JobNew tells the shop's staff of a new review, to read and answer it;
// payload NewJob, key "review:new:<review>".
const JobNew = "review:new"

// NewJob is the payload of JobNew.
type NewJob struct {
	Review ID `json:"review"`
}

// newJob tells the staff of review id.
func newJob(id ID) core.Job {
	payload, _ := json.Marshal(NewJob{Review: id})
	return core.Job{Kind: JobNew, Key: fmt.Sprintf("%s:%d", JobNew, id), Payload: payload}
}

// Line returns the purchase's line lineNo.
func (p Purchase) Line(lineNo int) (PurchaseLine, bool) {
	for _, l := range p.Lines {
		if l.No == lineNo {
			return l, true
		}
	}
	return PurchaseLine{}, false
}

// --- shoppers ---

// Review returns a visible review; ErrNotFound for a hidden one.
func (s *Service) Review(ctx context.Context, id ID) (Review, error) {
	r, err := s.store.Review(ctx, id)
	if err != nil {
		return Review{}, fmt.Errorf("review %d: %w", id, err)
	}
	if r.Hidden() {
		return Review{}, ErrNotFound
	}
	return r, nil
}

// ProductReviews returns a page of a product's visible reviews, newest first, and
// how many it has in all.
func (s *Service) ProductReviews(ctx context.Context, product core.ProductID, limit, offset int) ([]Review, int, error) {
	rs, n, err := s.store.Reviews(ctx, Filter{ProductID: &product, Limit: limit, Offset: max(offset, 0)})
	if err != nil {
		return nil, 0, fmt.Errorf("reviews of product %d: %w", product, err)
	}
	return rs, n, nil
}

// ProductRating returns the rating of a product's visible reviews.
func (s *Service) ProductRating(ctx context.Context, product core.ProductID) (Rating, error) {
	r, err := s.store.Rating(ctx, nil, &product)
	if err != nil {
		return Rating{}, fmt.Errorf("rating of product %d: %w", product, err)
	}
	return r, nil
}

// ShopRating returns the rating of the visible reviews of all a shop's products.
func (s *Service) ShopRating(ctx context.Context, shop core.ShopID) (Rating, error) {
	r, err := s.store.Rating(ctx, &shop, nil)
	if err != nil {
		return Rating{}, fmt.Errorf("rating of shop %d: %w", shop, err)
	}
	return r, nil
}

// --- the shop's staff ---

// ShopReviews returns a page of a shop's visible reviews, newest first, and how
// many there are in all, to its staff; shop.ErrNotStaff.
func (s *Service) ShopReviews(ctx context.Context, actor core.UserID, shop core.ShopID, limit, offset int) ([]Review, int, error) {
	if err := s.staffOnly(ctx, shop, actor); err != nil {
		return nil, 0, err
	}
	rs, n, err := s.store.Reviews(ctx, Filter{ShopID: &shop, Limit: limit, Offset: max(offset, 0)})
	if err != nil {
		return nil, 0, fmt.Errorf("reviews of shop %d: %w", shop, err)
	}
	return rs, n, nil
}

// StaffReview returns a visible review of the actor's shop; shop.ErrNotStaff,
// ErrNotFound.
func (s *Service) StaffReview(ctx context.Context, actor core.UserID, id ID) (Review, error) {
	r, err := s.Review(ctx, id)
	if err != nil {
		return Review{}, err
	}
	if err := s.staffOnly(ctx, r.ShopID, actor); err != nil {
		return Review{}, err
	}
	return r, nil
}

// Reply publishes the shop's answer under a review, once.
//
// shop.ErrNotStaff; ErrNotFound (hidden reviews too); ErrAlreadyReplied;
// ErrReply for text that is empty, invisible or longer than MaxText.
func (s *Service) Reply(ctx context.Context, actor core.UserID, id ID, text string) (Review, error) {
	text = strings.TrimSpace(text)
	if !core.Visible(text) || !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxText {
		return Review{}, ErrReply
	}
	return s.staffUpdate(ctx, actor, id, "reply to", func(r *Review, now time.Time) error {
		if r.Reply != "" {
			return ErrAlreadyReplied
		}
		r.Reply, r.RepliedAt = text, now
		return nil
	})
}

// Report asks the operators to check a review (abuse, spam, not about the
// product). shop.ErrNotStaff; ErrNotFound; ErrAlreadyReported while it waits;
// ErrModerated when the operators kept it already.
func (s *Service) Report(ctx context.Context, actor core.UserID, id ID) (Review, error) {
	return s.staffUpdate(ctx, actor, id, "report", func(r *Review, now time.Time) error {
		switch {
		case !r.ModeratedAt.IsZero():
			return ErrModerated
		case !r.ReportedAt.IsZero():
			return ErrAlreadyReported
		}
		r.ReportedAt = now
		return nil
	})
}

// staffUpdate changes a visible review for the staff of its shop.
//
// The role is checked before the review is locked, not under the lock: a review
// never moves to another shop, so the check does not depend on what the lock
// guards, and the lock does not guard the role (shop_staff is not locked). Reading
// the role inside UpdateReview's closure, as this once did, asked the pool for a
// second connection while the transaction held one: enough replies at once would
// wait on each other until their deadline. What the lock does guard, one reply and
// one report, is decided under it.
func (s *Service) staffUpdate(ctx context.Context, actor core.UserID, id ID, what string,
	change func(r *Review, now time.Time) error) (Review, error) {
	if _, err := s.StaffReview(ctx, actor, id); err != nil {
		return Review{}, fmt.Errorf("%s review %d: %w", what, id, err)
	}
	now := s.now()
	r, err := s.store.UpdateReview(ctx, id, func(r Review) (*Review, error) {
		if r.Hidden() {
			return nil, ErrNotFound // hidden since it was read
		}
		if err := change(&r, now); err != nil {
			return nil, err
		}
		r.UpdatedAt = now
		return &r, nil
	})
	if err != nil {
		return Review{}, fmt.Errorf("%s review %d: %w", what, id, err)
	}
	return r, nil
}

// staffOnly returns shop.ErrNotStaff unless user works for the shop (any role).
func (s *Service) staffOnly(ctx context.Context, id core.ShopID, user core.UserID) error {
	_, err := shop.Require(ctx, s.store, id, user, shop.RoleManager)
	return err
}

// --- operators ---

// IsOperator reports whether id is a platform operator.
func (s *Service) IsOperator(id core.UserID) bool { return s.operators.Is(id) }

// Reported returns a page of the reviews waiting for the operators, newest first,
// and how many wait in all; shop.ErrNotOperator for anyone but an operator.
func (s *Service) Reported(ctx context.Context, actor core.UserID, limit, offset int) ([]Review, int, error) {
	if err := s.operators.Require(actor); err != nil {
		return nil, 0, err
	}
	rs, n, err := s.store.Reviews(ctx, Filter{Reported: true, Limit: limit, Offset: max(offset, 0)})
	if err != nil {
		return nil, 0, fmt.Errorf("reported reviews: %w", err)
	}
	return rs, n, nil
}

// Hide hides a review from everyone, and from every rating; hiding a hidden
// review changes nothing. shop.ErrNotOperator, ErrNotFound.
func (s *Service) Hide(ctx context.Context, actor core.UserID, id ID) (Review, error) {
	return s.moderate(ctx, actor, id, "hide", func(r *Review, now time.Time) {
		if !r.Hidden() {
			r.HiddenAt = now
		}
	})
}

// Keep closes a review's report: the operators found nothing wrong, and the shop
// cannot report it again. shop.ErrNotOperator, ErrNotFound.
func (s *Service) Keep(ctx context.Context, actor core.UserID, id ID) (Review, error) {
	return s.moderate(ctx, actor, id, "keep", func(r *Review, now time.Time) {
		if r.ModeratedAt.IsZero() {
			r.ModeratedAt = now
		}
	})
}

func (s *Service) moderate(ctx context.Context, actor core.UserID, id ID, what string, change func(r *Review, now time.Time)) (Review, error) {
	if err := s.operators.Require(actor); err != nil {
		return Review{}, err
	}
	now := s.now()
	r, err := s.store.UpdateReview(ctx, id, func(r Review) (*Review, error) {
		change(&r, now)
		r.UpdatedAt = now
		return &r, nil
	})
	if err != nil {
		return Review{}, fmt.Errorf("%s review %d: %w", what, id, err)
	}
	return r, nil
}
