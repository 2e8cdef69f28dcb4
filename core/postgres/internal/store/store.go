// Package store holds what every PostgreSQL store of Vitrina shares: a
// transaction's scope, the outbox write, the translation of PostgreSQL's errors,
// text made storable. core/postgres and the feature stores beside it
// (core/postgres/livestore, ...) use it; nothing outside them can.
package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
)

// Querier is what both a pool and a transaction offer, so read helpers serve both.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// InTx runs fn in a transaction, committing if fn returns nil and rolling back
// otherwise.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, fn)
}

// NotFound translates pgx.ErrNoRows into the domain's not-found error e; any other
// error passes through.
func NotFound(err error, e *core.Error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return e
	}
	return err
}

// PostgreSQL error codes the stores translate.
const (
	UniqueViolation     = "23505"
	CheckViolation      = "23514"
	ForeignKeyViolation = "23503"
)

// IsCode reports whether err is a PostgreSQL error with the given SQLSTATE and,
// when constraint is not empty, on that constraint.
func IsCode(err error, code, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// InsertJobs writes jobs to the outbox inside tx, so they exist if and only if the
// change that caused them commits. A job whose key is already pending replaces
// it (a later due time wins: an extended reservation moves its expiry; a cancel
// replaces the job it cancels).
func InsertJobs(ctx context.Context, tx pgx.Tx, jobs []core.Job) error {
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
		onConflict := `DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at, cancel = excluded.cancel`
		if j.Pending {
			onConflict = `DO NOTHING` // the waiting one does the work (core.Job.Pending)
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO outbox (kind, key, payload, run_at, cancel)
			VALUES ($1, $2, $3, coalesce($4, now()), $5)
			ON CONFLICT (key) WHERE relayed_at IS NULL `+onConflict,
			j.Kind, key, payload, runAt, j.Cancel)
		if err != nil {
			return fmt.Errorf("insert outbox job %s: %w", j.Kind, err)
		}
	}
	return nil
}

// maxErrorText bounds the error text kept with an update or an outbox job.
const maxErrorText = 2000

// ErrorText makes an error text storable in a text column (valid UTF-8, no NUL)
// and bounds its length.
func ErrorText(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "?")
	if len(s) > maxErrorText {
		s = strings.ToValidUTF8(s[:maxErrorText], "")
	}
	return s
}

// QueueJobs queues on b one statement that writes jobs to the outbox, as
// InsertJobs does one by one: for a batch sent with the change that caused them
// (a drop's claims), in the same round trip. Of two jobs with one key, the later
// is written.
func QueueJobs(b *pgx.Batch, jobs []core.Job) {
	var pending, rest []core.Job
	for _, j := range jobs {
		if j.Pending {
			pending = append(pending, j)
		} else {
			rest = append(rest, j)
		}
	}
	if len(rest) > 0 {
		queueJobs(b, rest, `DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at, cancel = excluded.cancel`)
	}
	if len(pending) > 0 {
		queueJobs(b, pending, `DO NOTHING`) // the waiting one does the work (core.Job.Pending)
	}
}

// queueJobs queues the statement that writes jobs, onConflict deciding what a
// job whose key waits already does.
func queueJobs(b *pgx.Batch, jobs []core.Job, onConflict string) {
	at := make(map[string]int, len(jobs))
	var kinds, keys []string
	var payloads []string
	var runAts []*time.Time
	var cancels []bool
	for _, j := range jobs {
		payload := j.Payload
		if len(payload) == 0 {
			payload = []byte("{}")
		}
		key := j.Key
		if key == "" {
			key = j.Kind + ":" + rand.Text()
		}
		var runAt *time.Time
		if !j.RunAt.IsZero() {
			runAt = &j.RunAt
		}
		if i, ok := at[key]; ok {
			kinds[i], payloads[i], runAts[i], cancels[i] = j.Kind, string(payload), runAt, j.Cancel
			continue
		}
		at[key] = len(keys)
		kinds, keys, payloads = append(kinds, j.Kind), append(keys, key), append(payloads, string(payload))
		runAts, cancels = append(runAts, runAt), append(cancels, j.Cancel)
	}
	b.Queue(`
		INSERT INTO outbox (kind, key, payload, run_at, cancel)
		SELECT k, key, p::jsonb, coalesce(r, now()), c
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::boolean[]) AS j(k, key, p, r, c)
		ON CONFLICT (key) WHERE relayed_at IS NULL `+onConflict,
		kinds, keys, payloads, runAts, cancels)
}
