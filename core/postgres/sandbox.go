package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SandboxStates keeps the demo sandbox's world between runs: one opaque blob per name.
type SandboxStates struct{ pool *pgxpool.Pool }

// NewSandboxStates returns the sandbox state store over pool.
func NewSandboxStates(pool *pgxpool.Pool) *SandboxStates { return &SandboxStates{pool: pool} }

// Load returns the state saved under name; ok is false when none was.
func (s *SandboxStates) Load(ctx context.Context, name string) (state []byte, ok bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT state FROM sandbox_states WHERE name = $1`, name).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load sandbox state %s: %w", name, err)
	}
	return state, true, nil
}

// Save stores state under name, replacing what was saved before.
func (s *SandboxStates) Save(ctx context.Context, name string, state []byte) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO sandbox_states (name, state) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET state = excluded.state, saved_at = now()`, name, state)
	if err != nil {
		return fmt.Errorf("save sandbox state %s: %w", name, err)
	}
	return nil
}

// MaxUpdateID returns the highest update id the inbox holds for bot botID, 0 if none: a
// floor for the sandbox's numbering when its saved state is older than the inbox (a demo
// killed between two saves), so a new update is never taken for one already seen.
func (s *SandboxStates) MaxUpdateID(ctx context.Context, botID int64) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(update_id), 0) FROM telegram_updates WHERE bot_id = $1`, botID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("max update id of bot %d: %w", botID, err)
	}
	return id, nil
}
