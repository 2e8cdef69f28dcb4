// Package inboxstore keeps Telegram updates in PostgreSQL before they are
// acknowledged, and the per-chat leases that let one replica at a time handle a
// chat's updates in order: the store of bots/telegram/inbox.
package inboxstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

// Store keeps Telegram updates before they are acknowledged, and the per-chat leases
// that let one replica at a time handle a chat's updates in order. It implements
// bots/telegram/inbox.Store with builtin types only, so neither package imports the
// other.
//
// Every time it compares or computes is the database's (now()), so replicas with
// drifting clocks agree on who holds a lease.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// inboxPruneBatch bounds one Prune statement, so pruning a large backlog never holds
// locks or bloats the WAL in one go; the sweeper prunes again a minute later.
const inboxPruneBatch = 10_000

// SaveUpdate stores an update of the bot botID with the chat whose updates are handled
// in order with it. It returns false, and changes nothing, when the bot's update with
// this id is stored already (a redelivery). body is kept byte for byte as received:
// any bytes, valid JSON or not.
func (s *Store) SaveUpdate(ctx context.Context, botID, updateID, chatKey int64, body []byte) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO telegram_updates (bot_id, update_id, chat_key, body) VALUES ($1, $2, $3, $4)
		ON CONFLICT (bot_id, update_id) DO NOTHING`,
		botID, updateID, chatKey, body)
	if err != nil {
		return false, fmt.Errorf("save update %d: %w", updateID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// SaveFailed stores an update that cannot be handled (it does not decode) already set
// aside as failed, with reason as its error, so that it is kept for an operator and
// never blocks its chat. Like SaveUpdate, it returns false and changes nothing when
// the update is stored already.
func (s *Store) SaveFailed(ctx context.Context, botID, updateID, chatKey int64, body []byte, reason string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO telegram_updates (bot_id, update_id, chat_key, body, failed_at, last_error)
		VALUES ($1, $2, $3, $4, now(), $5)
		ON CONFLICT (bot_id, update_id) DO NOTHING`,
		botID, updateID, chatKey, body, store.ErrorText(reason))
	if err != nil {
		return false, fmt.Errorf("save failed update %d: %w", updateID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// AcquireLease gives the chat to holder for ttl if no one holds it or the last holder's
// lease ran out, and reports whether it did. A holder that holds the lease already does
// not get it again: each holder is one drain at a time.
func (s *Store) AcquireLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error) {
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
func (s *Store) RenewLease(ctx context.Context, chatKey int64, holder string, ttl time.Duration) (bool, error) {
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
func (s *Store) ReleaseLease(ctx context.Context, chatKey int64, holder string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM chat_leases WHERE chat_key = $1 AND holder = $2`, chatKey, holder)
	if err != nil {
		return fmt.Errorf("release lease of chat %d: %w", chatKey, err)
	}
	return nil
}

// NextUpdate returns the bot's pending update of the chat with the lowest id (neither
// handled nor failed), or found = false when it has none or that update waits for its
// retry time (then the chat's later updates wait too, to keep their order).
func (s *Store) NextUpdate(ctx context.Context, botID, chatKey int64) (updateID int64, body []byte, found bool, err error) {
	var due bool
	err = s.pool.QueryRow(ctx, `
		SELECT update_id, body, coalesce(retry_at <= now(), true) FROM telegram_updates
		WHERE bot_id = $1 AND chat_key = $2 AND handled_at IS NULL AND failed_at IS NULL
		ORDER BY update_id LIMIT 1`,
		botID, chatKey).Scan(&updateID, &body, &due)
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

// HasPending reports whether the bot has an update of the chat neither handled nor
// failed that is due: the one NextUpdate would return.
func (s *Store) HasPending(ctx context.Context, botID, chatKey int64) (bool, error) {
	var pending bool
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce((
			SELECT retry_at IS NULL OR retry_at <= now() FROM telegram_updates
			WHERE bot_id = $1 AND chat_key = $2 AND handled_at IS NULL AND failed_at IS NULL
			ORDER BY update_id LIMIT 1), false)`,
		botID, chatKey).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("pending updates of chat %d: %w", chatKey, err)
	}
	return pending, nil
}

// MarkHandled records that the update was handled. Marking an update handled twice
// changes nothing.
func (s *Store) MarkHandled(ctx context.Context, botID, updateID int64) error {
	// The body goes: de-duplication needs only the id, and an update can carry what a
	// person typed that should not be kept for the retention period (a seller pasting a
	// payment provider token into a conversation). Failed updates keep theirs for replay.
	_, err := s.pool.Exec(ctx, `
		UPDATE telegram_updates SET handled_at = now(), body = '', unfinished = 0, retry_at = NULL
		WHERE bot_id = $1 AND update_id = $2 AND handled_at IS NULL`,
		botID, updateID)
	if err != nil {
		return fmt.Errorf("mark update %d handled: %w", updateID, err)
	}
	return nil
}

// StartAttempt counts an attempt to handle a pending update before the handler runs,
// so that an update that kills its process every time (nothing is recorded after it)
// is noticed. It returns the attempt's number (attempts started so far, this one
// included), unfinished (attempts started in a row without recording an outcome, this
// one included), failures (failed attempts that counted toward the attempt limit, see
// FailAttempt) and the update's age (since it was stored, by the database's clock).
// An update no longer pending (handled or given up meanwhile) is left alone: attempt
// is then 0.
func (s *Store) StartAttempt(ctx context.Context, botID, updateID int64) (attempt, unfinished, failures int, age time.Duration, err error) {
	var ageMillis int64
	err = s.pool.QueryRow(ctx, `
		UPDATE telegram_updates SET attempts = attempts + 1, unfinished = unfinished + 1
		WHERE bot_id = $1 AND update_id = $2 AND handled_at IS NULL AND failed_at IS NULL
		RETURNING attempts, unfinished, failures,
		          (extract(epoch FROM now() - received_at) * 1000)::bigint`,
		botID, updateID).Scan(&attempt, &unfinished, &failures, &ageMillis)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("start attempt on update %d: %w", updateID, err)
	}
	return attempt, unfinished, failures, time.Duration(ageMillis) * time.Millisecond, nil
}

// FailAttempt records the outcome of an attempt that did not handle the update: its
// error text, and either giveUp (the update is set aside as failed: no longer pending,
// the chat's later updates go ahead) or a retry after retryAfter. counted adds the
// failure to the ones that count toward the attempt limit (StartAttempt's failures).
// It reports false, changing nothing, when the update is no longer pending (handled
// or given up meanwhile).
func (s *Store) FailAttempt(ctx context.Context, botID, updateID int64, errText string, counted, giveUp bool, retryAfter time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE telegram_updates
		SET last_error = $3,
		    unfinished = 0,
		    failures = failures + CASE WHEN $4 THEN 1 ELSE 0 END,
		    failed_at = CASE WHEN $5 THEN now() END,
		    retry_at = CASE WHEN $5 THEN NULL ELSE now() + $6::bigint * interval '1 millisecond' END
		WHERE bot_id = $1 AND update_id = $2 AND handled_at IS NULL AND failed_at IS NULL`,
		botID, updateID, store.ErrorText(errText), counted, giveUp, retryAfter.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("record failed attempt on update %d: %w", updateID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// UpdateStatus reports where an update of the bot stands: settled is true once it was
// handled or given up, or once its last attempt recorded its outcome (it then waits
// for a retry); false while it was never tried or an attempt is running (or died
// without recording its outcome). found is false for an update not stored (or pruned).
func (s *Store) UpdateStatus(ctx context.Context, botID, updateID int64) (chatKey int64, settled, found bool, err error) {
	err = s.pool.QueryRow(ctx, `
		SELECT chat_key, handled_at IS NOT NULL OR failed_at IS NOT NULL OR (attempts > 0 AND unfinished = 0)
		FROM telegram_updates WHERE bot_id = $1 AND update_id = $2`,
		botID, updateID).Scan(&chatKey, &settled)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, false, nil
	}
	if err != nil {
		return 0, false, false, fmt.Errorf("status of update %d: %w", updateID, err)
	}
	return chatKey, settled, true, nil
}

// StaleChats returns up to limit chats of the bot, oldest pending update first, that
// have a pending update received more than olderThan ago, none waiting for its retry
// time, and no live lease: updates whose receiver crashed before handling them, or
// that failed and are due for a retry.
func (s *Store) StaleChats(ctx context.Context, botID int64, olderThan time.Duration, limit int) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT u.chat_key FROM telegram_updates u
		WHERE u.bot_id = $1 AND u.handled_at IS NULL AND u.failed_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM chat_leases l WHERE l.chat_key = u.chat_key AND l.expires_at >= now())
		GROUP BY u.chat_key
		HAVING min(u.received_at) < now() - $2::bigint * interval '1 millisecond'
		   AND bool_and(u.retry_at IS NULL OR u.retry_at <= now())
		ORDER BY min(u.update_id)
		LIMIT $3`,
		botID, olderThan.Milliseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("stale chats: %w", err)
	}
	chats, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("stale chats: %w", err)
	}
	return chats, nil
}

// AdoptUpdates gives the bot botID the pending updates stored before updates were
// keyed by bot (migration 00012 left them to bot 0), unless the bot has an update with
// the same id, and returns how many it moved. Without it, an update still pending when
// the migration ran (one waiting through an outage: a successful_payment among them)
// would never be handled, since every query of the inbox names its bot.
func (s *Store) AdoptUpdates(ctx context.Context, botID int64) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE telegram_updates u SET bot_id = $1
		WHERE u.bot_id = 0 AND u.handled_at IS NULL AND u.failed_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM telegram_updates o WHERE o.bot_id = $1 AND o.update_id = u.update_id)`,
		botID)
	if err != nil {
		return 0, fmt.Errorf("adopt updates of bot 0: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Prune deletes up to 10,000 handled updates received more than olderThan ago (of
// every bot), and leases that ran out more than an hour ago (left by crashed
// replicas). It returns how many updates it deleted. Pending updates are never
// deleted, and neither are failed ones: an update given up on may carry a payment, and
// is kept for an operator to replay (SET failed_at = NULL, unfinished = 0, failures =
// 0, retry_at = NULL, and received_at = now() if it was given up at the end of an
// outage) once its cause is fixed.
//
// olderThan is the de-duplication horizon: a redelivery of a pruned update would be
// handled again. Telegram keeps undelivered updates for 24 hours.
func (s *Store) Prune(ctx context.Context, olderThan time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM telegram_updates WHERE (bot_id, update_id) IN (
			SELECT bot_id, update_id FROM telegram_updates
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
