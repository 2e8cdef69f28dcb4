package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Users stores the people Vitrina talks to.
type Users struct{ pool *pgxpool.Pool }

// NewUsers returns a Users on pool.
func NewUsers(pool *pgxpool.Pool) *Users { return &Users{pool: pool} }

var _ user.Store = (*Users)(nil)

const userColumns = `id, first_name, username, language, telegram_lang, unreachable_at IS NOT NULL, created_at`

func userScan(row pgx.Row) (user.User, error) {
	var u user.User
	err := row.Scan(&u.ID, &u.FirstName, &u.Username, &u.Language, &u.TelegramLang, &u.Unreachable, &u.CreatedAt)
	return u, err
}

// Touch inserts the user or updates their name and username from s, and clears
// Unreachable. An empty TelegramLang (Telegram did not send one) keeps the last one.
func (s *Users) Touch(ctx context.Context, seen user.Seen) (user.User, error) {
	u, err := userScan(s.pool.QueryRow(ctx, `
		INSERT INTO users AS u (id, first_name, username, telegram_lang)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET
			first_name = excluded.first_name,
			username = excluded.username,
			telegram_lang = coalesce(nullif(excluded.telegram_lang, ''), u.telegram_lang),
			unreachable_at = NULL,
			updated_at = now()
		RETURNING `+userColumns,
		seen.ID, seen.FirstName, seen.Username, seen.TelegramLang))
	if err != nil {
		return user.User{}, fmt.Errorf("touch user %d: %w", seen.ID, err)
	}
	return u, nil
}

// User returns the user with id; user.ErrNotFound if they never wrote.
func (s *Users) User(ctx context.Context, id core.UserID) (user.User, error) {
	u, err := userScan(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return u, notFound(err, user.ErrNotFound)
}

// SetLanguage sets the user's chosen language; user.ErrNotFound if they never wrote.
func (s *Users) SetLanguage(ctx context.Context, id core.UserID, lang string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET language = $2, updated_at = now() WHERE id = $1`, id, lang)
	if err != nil {
		return fmt.Errorf("set language of user %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return user.ErrNotFound
	}
	return nil
}

// SetUnreachable records when a message to the user was refused. The first refusal
// is kept; a user who never wrote is not an error (there is nobody to mark).
func (s *Users) SetUnreachable(ctx context.Context, id core.UserID, at time.Time) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE users SET unreachable_at = coalesce(unreachable_at, $2), updated_at = now() WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("mark user %d unreachable: %w", id, err)
	}
	return nil
}
