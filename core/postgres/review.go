package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/review"
)

// Reviews is the PostgreSQL store of reviews.
type Reviews struct {
	Roles // Role
	pool  *pgxpool.Pool
}

var _ review.Store = (*Reviews)(nil)

// NewReviews returns the review store on pool.
func NewReviews(pool *pgxpool.Pool) *Reviews { return &Reviews{Roles: NewRoles(pool), pool: pool} }

// reviewLineConstraint is the UNIQUE (order_id, line_no) of reviews.
const reviewLineConstraint = "reviews_order_id_line_no_key"

const reviewColumns = `r.id, r.shop_id, r.product_id, r.order_id, r.line_no, l.title, r.author_id,
	coalesce(u.first_name, ''), r.rating, r.body, r.photos, r.reply, r.replied_at, r.reported_at,
	r.moderated_at, r.hidden_at, r.created_at, r.updated_at`

const reviewFrom = ` FROM reviews r
	JOIN order_lines l ON l.order_id = r.order_id AND l.line_no = r.line_no
	LEFT JOIN users u ON u.id = r.author_id`

func reviewScan(row pgx.Row) (review.Review, error) {
	var r review.Review
	var replied, reported, moderated, hidden *time.Time
	err := row.Scan(&r.ID, &r.ShopID, &r.ProductID, &r.OrderID, &r.LineNo, &r.Title, &r.AuthorID, &r.AuthorName,
		&r.Rating, &r.Text, &r.Photos, &r.Reply, &replied, &reported, &moderated, &hidden, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return review.Review{}, err
	}
	for _, t := range []struct {
		from *time.Time
		to   *time.Time
	}{{replied, &r.RepliedAt}, {reported, &r.ReportedAt}, {moderated, &r.ModeratedAt}, {hidden, &r.HiddenAt}} {
		if t.from != nil {
			*t.to = *t.from
		}
	}
	return r, nil
}

func reviewRead(ctx context.Context, q querier, id review.ID, lock bool) (review.Review, error) {
	sql := `SELECT ` + reviewColumns + reviewFrom + ` WHERE r.id = $1`
	if lock {
		sql += ` FOR UPDATE OF r`
	}
	r, err := reviewScan(q.QueryRow(ctx, sql, id))
	if err != nil {
		return review.Review{}, fmt.Errorf("review %d: %w", id, notFound(err, review.ErrNotFound))
	}
	return r, nil
}

// Purchase returns an order with its lines and the review of each line, hidden ones
// included, with the order's buyer and status; order.ErrOrderNotFound.
func (s *Reviews) Purchase(ctx context.Context, id core.OrderID) (review.Purchase, core.UserID, order.Status, error) {
	var buyer core.UserID
	var status order.Status
	p := review.Purchase{OrderID: id}
	var cur core.Currency
	err := s.pool.QueryRow(ctx, `SELECT shop_id, buyer_id, status, currency FROM orders WHERE id = $1`, id).
		Scan(&p.ShopID, &buyer, &status, &cur)
	if err != nil {
		return review.Purchase{}, 0, "", fmt.Errorf("order %d: %w", id, notFound(err, order.ErrOrderNotFound))
	}
	rows, err := s.pool.Query(ctx, orderLinesSelect+` WHERE order_id = $1 ORDER BY line_no`, id)
	if err != nil {
		return review.Purchase{}, 0, "", fmt.Errorf("lines of order %d: %w", id, err)
	}
	lines, err := pgx.CollectRows(rows, orderScanLine)
	if err != nil {
		return review.Purchase{}, 0, "", fmt.Errorf("lines of order %d: %w", id, err)
	}
	reviews, err := s.list(ctx, `WHERE r.order_id = $1 ORDER BY r.line_no`, id)
	if err != nil {
		return review.Purchase{}, 0, "", fmt.Errorf("reviews of order %d: %w", id, err)
	}
	byLine := make(map[int]review.Review, len(reviews))
	for _, r := range reviews {
		byLine[r.LineNo] = r
	}
	for _, l := range lines {
		l.line.UnitPrice.Currency = cur
		pl := review.PurchaseLine{Line: l.line}
		if r, ok := byLine[l.line.No]; ok {
			pl.Review = &r
		}
		p.Lines = append(p.Lines, pl)
	}
	return p, buyer, status, nil
}

// CreateReview saves a new review and returns it as saved; review.ErrAlreadyReviewed
// if its order line has one.
func (s *Reviews) CreateReview(ctx context.Context, r review.Review, jobs func(review.Review) []core.Job) (review.Review, error) {
	photos := r.Photos
	if photos == nil {
		photos = []string{}
	}
	var out review.Review
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		var id review.ID
		err := tx.QueryRow(ctx, `
			INSERT INTO reviews (shop_id, product_id, order_id, line_no, author_id, rating, body, photos, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			RETURNING id`,
			r.ShopID, r.ProductID, r.OrderID, r.LineNo, r.AuthorID, r.Rating, r.Text, photos, r.CreatedAt).Scan(&id)
		if isCode(err, uniqueViolation, reviewLineConstraint) {
			return review.ErrAlreadyReviewed
		}
		if err != nil {
			return fmt.Errorf("insert review: %w", err)
		}
		if out, err = reviewRead(ctx, tx, id, false); err != nil {
			return err
		}
		return insertJobs(ctx, tx, jobs(out))
	})
	if err != nil {
		return review.Review{}, err
	}
	return out, nil
}

// UpdateReview locks a review, passes it to fn and saves what fn returns.
func (s *Reviews) UpdateReview(ctx context.Context, id review.ID, fn func(review.Review) (*review.Review, error)) (review.Review, error) {
	var out review.Review
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := reviewRead(ctx, tx, id, true)
		if err != nil {
			return err
		}
		next, err := fn(r)
		if err != nil {
			return err
		}
		if next == nil {
			out = r
			return nil
		}
		photos := next.Photos
		if photos == nil {
			photos = []string{}
		}
		_, err = tx.Exec(ctx, `
			UPDATE reviews SET rating = $2, body = $3, photos = $4, reply = $5, replied_at = $6,
			       reported_at = $7, moderated_at = $8, hidden_at = $9, updated_at = $10
			WHERE id = $1`,
			id, next.Rating, next.Text, photos, next.Reply, orderNullTime(next.RepliedAt),
			orderNullTime(next.ReportedAt), orderNullTime(next.ModeratedAt), orderNullTime(next.HiddenAt), next.UpdatedAt)
		if err != nil {
			return fmt.Errorf("update review %d: %w", id, err)
		}
		out, err = reviewRead(ctx, tx, id, false)
		return err
	})
	if err != nil {
		return review.Review{}, err
	}
	return out, nil
}

// Review returns a review, hidden or not; review.ErrNotFound.
func (s *Reviews) Review(ctx context.Context, id review.ID) (review.Review, error) {
	return reviewRead(ctx, s.pool, id, false)
}

// Reviews lists visible reviews by f, newest first, and how many match in all.
func (s *Reviews) Reviews(ctx context.Context, f review.Filter) ([]review.Review, int, error) {
	clauses := []string{"r.hidden_at IS NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ProductID != nil {
		clauses = append(clauses, "r.product_id = "+arg(*f.ProductID))
	}
	if f.ShopID != nil {
		clauses = append(clauses, "r.shop_id = "+arg(*f.ShopID))
	}
	if f.Reported {
		clauses = append(clauses, "r.reported_at IS NOT NULL AND r.moderated_at IS NULL")
	}
	where := "WHERE " + strings.Join(clauses, " AND ")
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM reviews r `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count reviews: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	where += " ORDER BY r.id DESC LIMIT " + arg(limit) + " OFFSET " + arg(max(f.Offset, 0))
	list, err := s.list(ctx, where, args...)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

func (s *Reviews) list(ctx context.Context, where string, args ...any) ([]review.Review, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+reviewColumns+reviewFrom+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (review.Review, error) { return reviewScan(row) })
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	return list, nil
}

// Rating aggregates the visible reviews of a product or, when product is nil, of a
// shop (shop set).
func (s *Reviews) Rating(ctx context.Context, shop *core.ShopID, product *core.ProductID) (review.Rating, error) {
	var r review.Rating
	var err error
	const sql = `SELECT count(*), coalesce(sum(rating), 0) FROM reviews WHERE hidden_at IS NULL AND `
	switch {
	case product != nil:
		err = s.pool.QueryRow(ctx, sql+`product_id = $1`, *product).Scan(&r.Count, &r.Sum)
	case shop != nil:
		err = s.pool.QueryRow(ctx, sql+`shop_id = $1`, *shop).Scan(&r.Count, &r.Sum)
	default:
		return review.Rating{}, errors.New("rating: neither a shop nor a product")
	}
	if err != nil {
		return review.Rating{}, fmt.Errorf("rating: %w", err)
	}
	return r, nil
}
