// Package teamstore is the PostgreSQL store of team buys (core/teambuy):
// products' team offers, teams and their members.
package teamstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
	"github.com/vitrina-shop/vitrina/core/teambuy"
)

// Store implements teambuy.Store.
type Store struct {
	postgres.Roles
	pool *pgxpool.Pool
}

var _ teambuy.Store = (*Store)(nil)

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{Roles: postgres.NewRoles(pool), pool: pool} }

// SetOffer implements teambuy.Store.
func (s *Store) SetOffer(ctx context.Context, o teambuy.Offer, now time.Time) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO team_offers (product_id, shop_id, size, discount_bp, hours, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (product_id) DO UPDATE SET size = excluded.size, discount_bp = excluded.discount_bp,
			hours = excluded.hours, updated_at = excluded.updated_at`,
		o.Product, o.Shop, o.Size, o.DiscountBP, o.Hours, now)
	if err != nil {
		return fmt.Errorf("team offer of product %d: %w", o.Product, err)
	}
	return nil
}

// Offer implements teambuy.Store.
func (s *Store) Offer(ctx context.Context, product core.ProductID) (teambuy.Offer, error) {
	o := teambuy.Offer{Product: product}
	err := s.pool.QueryRow(ctx, `SELECT shop_id, size, discount_bp, hours FROM team_offers WHERE product_id = $1`, product).
		Scan(&o.Shop, &o.Size, &o.DiscountBP, &o.Hours)
	if err != nil {
		return teambuy.Offer{}, fmt.Errorf("team offer of product %d: %w", product, store.NotFound(err, teambuy.ErrNoOffer))
	}
	return o, nil
}

const teamColumns = `id, shop_id, product_id, variant_id, leader_id, size, currency, price, expires_at, status, created_at`

func scanTeam(row pgx.Row) (teambuy.Team, error) {
	var t teambuy.Team
	err := row.Scan(&t.ID, &t.Shop, &t.Product, &t.Variant, &t.Leader, &t.Size, &t.Price.Currency, &t.Price.Amount,
		&t.ExpiresAt, &t.Status, &t.CreatedAt)
	return t, err
}

// CreateTeam implements teambuy.Store.
func (s *Store) CreateTeam(ctx context.Context, t teambuy.Team, jobs func(teambuy.Team) []core.Job) (teambuy.Team, error) {
	var made teambuy.Team
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		made, err = scanTeam(tx.QueryRow(ctx, `
			INSERT INTO teams (shop_id, product_id, variant_id, leader_id, size, currency, price, expires_at, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (leader_id, variant_id) WHERE status = 'forming' DO NOTHING
			RETURNING `+teamColumns,
			t.Shop, t.Product, t.Variant, t.Leader, t.Size, t.Price.Currency, t.Price.Amount, t.ExpiresAt, t.Status, t.CreatedAt))
		if errors.Is(err, pgx.ErrNoRows) {
			// The leader's team of this variant forms already (a double tap).
			made, err = scanTeam(tx.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams
				WHERE leader_id = $1 AND variant_id = $2 AND status = 'forming'`, t.Leader, t.Variant))
			return err
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, buyer_id, joined_at) VALUES ($1, $2, $3)`,
			made.ID, t.Leader, t.CreatedAt); err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs(made))
	})
	if err != nil {
		return teambuy.Team{}, fmt.Errorf("create team: %w", err)
	}
	return made, nil
}

// members reads a team's members with their orders' statuses, first joined
// first.
func members(ctx context.Context, q store.Querier, id teambuy.ID) ([]teambuy.Member, error) {
	rows, err := q.Query(ctx, `
		SELECT m.buyer_id, coalesce(m.order_id, 0), coalesce(o.status, ''), m.joined_at
		FROM team_members m LEFT JOIN orders o ON o.id = m.order_id
		WHERE m.team_id = $1 ORDER BY m.joined_at, m.buyer_id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (teambuy.Member, error) {
		var m teambuy.Member
		var st string
		err := r.Scan(&m.Buyer, &m.Order, &st, &m.JoinedAt)
		m.OrderStatus = order.Status(st)
		return m, err
	})
}

// ChangeTeam implements teambuy.Store.
func (s *Store) ChangeTeam(ctx context.Context, id teambuy.ID,
	fn func(*teambuy.Team, *[]teambuy.Member) ([]core.Job, error)) (teambuy.Team, []teambuy.Member, error) {
	var t teambuy.Team
	var ms []teambuy.Member
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if t, err = scanTeam(tx.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams WHERE id = $1 FOR UPDATE`, id)); err != nil {
			return store.NotFound(err, teambuy.ErrNotFound)
		}
		if ms, err = members(ctx, tx, id); err != nil {
			return err
		}
		was := map[core.UserID]bool{}
		for _, m := range ms {
			was[m.Buyer] = true
		}
		jobs, err := fn(&t, &ms)
		if err != nil {
			return err
		}
		now := map[core.UserID]bool{}
		for _, m := range ms {
			now[m.Buyer] = true
			if !was[m.Buyer] {
				if _, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, buyer_id, joined_at) VALUES ($1, $2, $3)`, id, m.Buyer, m.JoinedAt); err != nil {
					return err
				}
			}
		}
		for b := range was {
			if !now[b] {
				if _, err := tx.Exec(ctx, `DELETE FROM team_members WHERE team_id = $1 AND buyer_id = $2 AND order_id IS NULL`, id, b); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE teams SET status = $2 WHERE id = $1`, id, t.Status); err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return teambuy.Team{}, nil, fmt.Errorf("team %d: %w", id, err)
	}
	return t, ms, nil
}

// SetMemberOrder implements teambuy.Store.
func (s *Store) SetMemberOrder(ctx context.Context, id teambuy.ID, buyer core.UserID, o core.OrderID) error {
	if _, err := s.pool.Exec(ctx, `UPDATE team_members SET order_id = $3 WHERE team_id = $1 AND buyer_id = $2 AND order_id IS NULL`,
		id, buyer, o); err != nil {
		return fmt.Errorf("order of %d in team %d: %w", buyer, id, err)
	}
	return nil
}

// Team implements teambuy.Store.
func (s *Store) Team(ctx context.Context, id teambuy.ID) (teambuy.Team, []teambuy.Member, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams WHERE id = $1`, id))
	if err != nil {
		return teambuy.Team{}, nil, fmt.Errorf("team %d: %w", id, store.NotFound(err, teambuy.ErrNotFound))
	}
	ms, err := members(ctx, s.pool, id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return teambuy.Team{}, nil, fmt.Errorf("members of team %d: %w", id, err)
	}
	return t, ms, nil
}
