package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core/broadcast"
)

// Broadcasts is the PostgreSQL store of broadcasts.
type Broadcasts struct {
	pool *pgxpool.Pool
}

var _ broadcast.Store = (*Broadcasts)(nil)

// NewBroadcasts returns the broadcast store on pool.
func NewBroadcasts(pool *pgxpool.Pool) *Broadcasts { return &Broadcasts{pool: pool} }
