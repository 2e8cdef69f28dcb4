package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// Roles answers who works for a shop: the one role query. The stores whose
// services check staff (Catalog, Orders, Reviews, Broadcasts) embed it, so each
// offers the same Role; a store that needs the role inside its own transaction
// calls staffRole with the transaction.
type Roles struct{ pool *pgxpool.Pool }

var _ shop.Roles = Roles{}

// NewRoles returns the role store on pool.
func NewRoles(pool *pgxpool.Pool) Roles { return Roles{pool: pool} }

// Role returns user's role in a shop, "" if they are not its staff (or the shop
// does not exist).
func (r Roles) Role(ctx context.Context, id core.ShopID, user core.UserID) (shop.Role, error) {
	return staffRole(ctx, r.pool, id, user)
}

// staffRole is Roles.Role on q, a pool or a transaction.
func staffRole(ctx context.Context, q querier, id core.ShopID, user core.UserID) (shop.Role, error) {
	var role shop.Role
	err := q.QueryRow(ctx, `SELECT role FROM shop_staff WHERE shop_id = $1 AND user_id = $2`, id, user).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read role of user %d: %w", user, err)
	}
	return role, nil
}
