// Package postgres implements every store of Vitrina's domain on PostgreSQL. It is
// the only package with SQL and the only one that imports pgx.
package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
)

// querier is what both a pool and a transaction offer, so read helpers serve both.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in a transaction, committing if fn returns nil and rolling back
// otherwise.
func inTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, fn)
}

// notFound translates pgx.ErrNoRows into the domain's not-found error e; any other
// error passes through.
func notFound(err error, e *core.Error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return e
	}
	return err
}

// PostgreSQL error codes we translate.
const (
	uniqueViolation     = "23505"
	checkViolation      = "23514"
	foreignKeyViolation = "23503"
)

// isCode reports whether err is a PostgreSQL error with the given SQLSTATE and,
// when constraint is not empty, on that constraint.
func isCode(err error, code, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// insertJobs writes jobs to the outbox inside tx, so they exist if and only if the
// change that caused them commits. A job whose key is already pending replaces
// it (a later due time wins: an extended reservation moves its expiry; a cancel
// replaces the job it cancels).
func insertJobs(ctx context.Context, tx pgx.Tx, jobs []core.Job) error {
	for _, j := range jobs {
		payload := j.Payload
		if len(payload) == 0 {
			payload = []byte("{}")
		}
		key := j.Key
		if key == "" {
			key = j.Kind + ":" + rand.Text()
		}
		var runAt any
		if !j.RunAt.IsZero() {
			runAt = j.RunAt
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO outbox (kind, key, payload, run_at, cancel)
			VALUES ($1, $2, $3, coalesce($4, now()), $5)
			ON CONFLICT (key) WHERE relayed_at IS NULL DO UPDATE
			SET payload = excluded.payload, run_at = excluded.run_at, cancel = excluded.cancel`,
			j.Kind, key, payload, runAt, j.Cancel)
		if err != nil {
			return fmt.Errorf("insert outbox job %s: %w", j.Kind, err)
		}
	}
	return nil
}
