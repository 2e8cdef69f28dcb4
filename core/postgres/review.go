package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core/review"
)

// Reviews is the PostgreSQL store of reviews.
type Reviews struct {
	pool *pgxpool.Pool
}

var _ review.Store = (*Reviews)(nil)

// NewReviews returns the review store on pool.
func NewReviews(pool *pgxpool.Pool) *Reviews { return &Reviews{pool: pool} }
