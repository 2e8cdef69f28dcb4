package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Inbox stores Telegram updates before they are acknowledged, and the per-chat leases
// that let one replica at a time handle a chat's updates in order. It implements
// bots/telegram/inbox.Store with builtin types only, so neither package imports the
// other.
//
// Every time it compares or computes is the database's (now()), so replicas with
// drifting clocks agree on who holds a lease.
type Inbox struct {
	pool *pgxpool.Pool
}

// NewInbox returns an Inbox on pool.
func NewInbox(pool *pgxpool.Pool) *Inbox { return &Inbox{pool: pool} }

// inboxPruneBatch bounds one Prune statement, so pruning a large backlog never holds
// locks or bloats the WAL in one go; the sweeper prunes again a minute later.
const inboxPruneBatch = 10_000

// inboxMaxErrorText bounds the error text kept with an update or an outbox job.
const inboxMaxErrorText = 2000

// SaveUpdate stores an update with the chat whose updates are handled in order with it.
// It returns false, and changes nothing, when an update with this id is stored already
// (a redelivery). body must be the update as JSON.
func (s *Inbox) SaveUpdate(ctx context.Context, updateID, chatKey int64, body []byte) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO telegram_updates (update_id, chat_key, body) VALUES ($1, $2, $3)
		ON CONFLICT (update_id) DO NOTHING`,
		updateID, chatKey, body)
	if err != nil {
		return false, fmt.Errorf("save update %d: %w", updateID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// AcquireLease gives the chat to holder for ttl if no one holds it or the last holder's
// lease ran out, and reports whether it did. A holder that holds the lease already does
// not get it again: each holder is one drain at a time.
func (s *Inbox) AcquireLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error) {
	var one int
	err := s.pool.QueryRow(ctx, `
		INSERT INTO chat_leases (chat_key, holder, expires_at)
		VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond')
		ON CONFLICT (chat_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE chat_leases.expires_at < now()
		RETURNING 1`,
		chatKey, holder, ttl.Milliseconds()).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease of chat %d: %w", chatKey, err)
	}
	return true, nil
}

// RenewLease extends holder's lease of the chat to ttl from now, and reports false when
// holder no longer holds it (it ran out and another holder took it).
func (s *Inbox) RenewLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE chat_leases SET expires_at = now() + $3::bigint * interval '1 millisecond'
		WHERE chat_key = $1 AND holder = $2`,
		chatKey, holder, ttl.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("renew lease of chat %d: %w", chatKey, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease frees the chat if holder holds it; releasing a lease one does not hold
// is not an error.
func (s *Inbox) ReleaseLease(ctx context.Context, chatKey int64, holder string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM chat_leases WHERE chat_key = $1 AND holder = $2`, chatKey, holder)
	if err != nil {
		return fmt.Errorf("release lease of chat %d: %w", chatKey, err)
	}
	return nil
}

// NextUpdate returns the chat's pending update with the lowest id (neither handled nor
// failed), or found = false when it has none or that update waits for its retry time
// (then the chat's later updates wait too, to keep their order).
func (s *Inbox) NextUpdate(ctx context.Context, chatKey int64) (updateID int64, body []byte, found bool, err error) {
	var due bool
	err = s.pool.QueryRow(ctx, `
		SELECT update_id, body, coalesce(retry_at <= now(), true) FROM telegram_updates
		WHERE chat_key = $1 AND handled_at IS NULL AND failed_at IS NULL
		ORDER BY update_id LIMIT 1`,
		chatKey).Scan(&updateID, &body, &due)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("next update of chat %d: %w", chatKey, err)
	}
	if !due {
		return 0, nil, false, nil
	}
	return updateID, body, true, nil
}

// HasPending reports whether the chat has an update neither handled nor failed that
// is due: the one NextUpdate would return.
func (s *Inbox) HasPending(ctx context.Context, chatKey int64) (bool, error) {
	var pending bool
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce((
			SELECT retry_at IS NULL OR retry_at <= now() FROM telegram_updates
			WHERE chat_key = $1 AND handled_at IS NULL AND failed_at IS NULL
			ORDER BY update_id LIMIT 1), false)`,
		chatKey).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("pending updates of chat %d: %w", chatKey, err)
	}
	return pending, nil
}

// MarkHandled records that the update was handled. Marking an update handled twice
// changes nothing.
func (s *Inbox) MarkHandled(ctx context.Context, updateID int64) error {
	// The body goes: de-duplication needs only the id, and an update can carry what a
	// person typed that should not be kept for the retention period (a seller pasting a
	// payment provider token into a conversation). Failed updates keep theirs for replay.
	_, err := s.pool.Exec(ctx, `UPDATE telegram_updates SET handled_at = now(), body = '{}' WHERE update_id = $1 AND handled_at IS NULL`, updateID)
	if err != nil {
		return fmt.Errorf("mark update %d handled: %w", updateID, err)
	}
	return nil
}

// StartAttempt counts an attempt to handle a pending update before the handler runs,
// so that an update that kills its process every time (nothing is recorded after it)
// still uses up its attempts. It returns the attempt's number and run = true; or run
// = false when the update is no longer pending (attempt 0), or when maxAttempts
// attempts were started already without one recording its outcome: the update is
// then marked failed (attempt is how many were made).
func (s *Inbox) StartAttempt(ctx context.Context, updateID int64, maxAttempts int) (attempt int, run bool, err error) {
	err = s.pool.QueryRow(ctx, `
		UPDATE telegram_updates
		SET attempts = CASE WHEN attempts < $2 THEN attempts + 1 ELSE attempts END,
		    failed_at = CASE WHEN attempts < $2 THEN NULL ELSE now() END,
		    last_error = CASE WHEN attempts < $2 THEN last_error
		                      ELSE left('gave up: no attempt finished (did the process die?); last error: ' || last_error, $3) END
		WHERE update_id = $1 AND handled_at IS NULL AND failed_at IS NULL
		RETURNING attempts, failed_at IS NULL`,
		updateID, maxAttempts, inboxMaxErrorText).Scan(&attempt, &run)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("start attempt on update %d: %w", updateID, err)
	}
	return attempt, run, nil
}

// FailAttempt records the error of the attempt StartAttempt counted. If that was the
// maxAttempts-th attempt (or later) the update is marked failed: it is no longer
// pending, and the chat's later updates go ahead. Otherwise it is due again after
// retryAfter. An update no longer pending (handled or failed meanwhile) is left alone
// and reported as not failed.
func (s *Inbox) FailAttempt(ctx context.Context, updateID int64, errText string, maxAttempts int, retryAfter time.Duration) (failed bool, err error) {
	err = s.pool.QueryRow(ctx, `
		UPDATE telegram_updates
		SET last_error = $2,
		    failed_at = CASE WHEN attempts >= $3 THEN now() END,
		    retry_at = CASE WHEN attempts < $3 THEN now() + $4::bigint * interval '1 millisecond' END
		WHERE update_id = $1 AND handled_at IS NULL AND failed_at IS NULL
		RETURNING failed_at IS NOT NULL`,
		updateID, inboxErrorText(errText), maxAttempts, retryAfter.Milliseconds()).Scan(&failed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record failed attempt on update %d: %w", updateID, err)
	}
	return failed, nil
}

// StaleChats returns up to limit chats, oldest pending update first, that have a
// pending update received more than olderThan ago, none waiting for its retry time,
// and no live lease: updates whose receiver crashed before handling them, or that
// failed and are due for a retry.
func (s *Inbox) StaleChats(ctx context.Context, olderThan time.Duration, limit int) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT u.chat_key FROM telegram_updates u
		WHERE u.handled_at IS NULL AND u.failed_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM chat_leases l WHERE l.chat_key = u.chat_key AND l.expires_at >= now())
		GROUP BY u.chat_key
		HAVING min(u.received_at) < now() - $1::bigint * interval '1 millisecond'
		   AND bool_and(u.retry_at IS NULL OR u.retry_at <= now())
		ORDER BY min(u.update_id)
		LIMIT $2`,
		olderThan.Milliseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("stale chats: %w", err)
	}
	chats, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("stale chats: %w", err)
	}
	return chats, nil
}

// Prune deletes up to 10,000 handled updates received more than olderThan ago, and
// leases that ran out more than an hour ago (left by crashed replicas). It returns how
// many updates it deleted. Pending updates are never deleted, and neither are failed
// ones: an update given up on may carry a payment, and is kept for an operator to
// replay (SET failed_at = NULL, attempts = 0, retry_at = NULL) once its cause is fixed.
//
// olderThan is the de-duplication horizon: a redelivery of a pruned update would be
// handled again. Telegram keeps undelivered updates for 24 hours.
func (s *Inbox) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM telegram_updates WHERE update_id IN (
			SELECT update_id FROM telegram_updates
			WHERE handled_at IS NOT NULL
			  AND received_at < now() - $1::bigint * interval '1 millisecond'
			LIMIT $2)`,
		olderThan.Milliseconds(), inboxPruneBatch)
	if err != nil {
		return 0, fmt.Errorf("prune updates: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM chat_leases WHERE expires_at < now() - interval '1 hour'`); err != nil {
		return tag.RowsAffected(), fmt.Errorf("prune leases: %w", err)
	}
	return tag.RowsAffected(), nil
}

// inboxErrorText makes an error text storable in a text column (valid UTF-8, no NUL)
// and bounds its length.
func inboxErrorText(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "?")
	if len(s) > inboxMaxErrorText {
		s = strings.ToValidUTF8(s[:inboxMaxErrorText], "")
	}
	return s
}
