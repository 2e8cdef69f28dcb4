package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

// Outbox is the relay's side of the transactional outbox: services write jobs with
// insertJobs inside their own transactions; the relay (workers.Relay) claims them,
// hands them to the job queue and marks them relayed. It implements
// workers.OutboxStore.
//
// A claim is a column, not a row lock held across the call to the queue: a
// transaction that rewrites a pending job's key never waits for the relay, and a relay
// that dies leaves claims that run out by themselves.
type Outbox struct {
	pool *pgxpool.Pool
}

// NewOutbox returns an Outbox on pool.
func NewOutbox(pool *pgxpool.Pool) *Outbox { return &Outbox{pool: pool} }

// outboxChannel is the LISTEN/NOTIFY channel that the outbox_notify trigger (migration
// 00004) notifies after a transaction that wrote jobs commits.
const outboxChannel = "outbox"

// outboxPruneBatch bounds one DeleteRelayed statement.
const outboxPruneBatch = 10_000

// Claim claims up to limit jobs not relayed yet, in id order, whether due or not (a job
// due later becomes a scheduled task), for claimFor: until then no other Claim returns
// them. Rows another relay is claiming at this instant are skipped (FOR UPDATE SKIP
// LOCKED), so relays on many workers share the backlog. ids[i] is the outbox row of
// jobs[i]. A job whose Key was empty when written has its generated key here.
//
// A job rewritten while claimed (insertJobs with the same key moves a pending
// reservation's expiry) is relayed in the version that was claimed: as with a task
// whose id is already queued, the task's handler re-reads the state it acts on.
func (o *Outbox) Claim(ctx context.Context, limit int, claimFor time.Duration) (ids []int64, jobs []core.Job, err error) {
	rows, err := o.pool.Query(ctx, `
		UPDATE outbox o SET claimed_until = now() + $2::bigint * interval '1 millisecond'
		FROM (
			SELECT id FROM outbox
			WHERE relayed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
			ORDER BY id
			LIMIT $1
			FOR UPDATE SKIP LOCKED
		) c
		WHERE o.id = c.id
		RETURNING o.id, o.kind, o.key, o.payload, o.run_at, o.cancel`,
		limit, claimFor.Milliseconds())
	if err != nil {
		return nil, nil, fmt.Errorf("claim outbox jobs: %w", err)
	}
	type claimed struct {
		id  int64
		job core.Job
	}
	var all []claimed
	for rows.Next() {
		var c claimed
		if err := rows.Scan(&c.id, &c.job.Kind, &c.job.Key, &c.job.Payload, &c.job.RunAt, &c.job.Cancel); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("claim outbox jobs: %w", err)
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("claim outbox jobs: %w", err)
	}
	// RETURNING keeps no order.
	slices.SortFunc(all, func(a, b claimed) int { return cmp.Compare(a.id, b.id) })
	for _, c := range all {
		ids = append(ids, c.id)
		jobs = append(jobs, c.job)
	}
	return ids, jobs, nil
}

// MarkRelayed records that the jobs are in the queue. They are never claimed again; a
// later job with the same key is a new row.
func (o *Outbox) MarkRelayed(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := o.pool.Exec(ctx, `
		UPDATE outbox SET relayed_at = now(), claimed_until = NULL
		WHERE id = ANY($1) AND relayed_at IS NULL`, ids)
	if err != nil {
		return fmt.Errorf("mark outbox jobs relayed: %w", err)
	}
	return nil
}

// MarkFailed records a failed attempt to relay the job (attempts + 1, last_error) and
// ends its claim, so the next Claim returns it again. Jobs are never given up: a queue
// that is down for a while only delays them.
func (o *Outbox) MarkFailed(ctx context.Context, id int64, errText string) error {
	_, err := o.pool.Exec(ctx, `
		UPDATE outbox SET attempts = attempts + 1, last_error = $2, claimed_until = NULL
		WHERE id = $1 AND relayed_at IS NULL`, id, store.ErrorText(errText))
	if err != nil {
		return fmt.Errorf("mark outbox job %d failed: %w", id, err)
	}
	return nil
}

// Release ends the claims on jobs the relay did not try (it stopped early), so the next
// Claim returns them without waiting for the claims to run out.
func (o *Outbox) Release(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := o.pool.Exec(ctx, `UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1) AND relayed_at IS NULL`, ids)
	if err != nil {
		return fmt.Errorf("release outbox jobs: %w", err)
	}
	return nil
}

// DeleteRelayed deletes up to 10,000 jobs relayed more than olderThan ago and returns
// how many it deleted. Jobs not relayed are never deleted.
func (o *Outbox) DeleteRelayed(ctx context.Context, olderThan time.Duration) (int64, error) {
	tag, err := o.pool.Exec(ctx, `
		DELETE FROM outbox WHERE id IN (
			SELECT id FROM outbox
			WHERE relayed_at IS NOT NULL AND relayed_at < now() - $1::bigint * interval '1 millisecond'
			LIMIT $2)`,
		olderThan.Milliseconds(), outboxPruneBatch)
	if err != nil {
		return 0, fmt.Errorf("delete relayed outbox jobs: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Listen calls notify each time a transaction that wrote outbox jobs commits, and once
// as soon as it listens (jobs may have committed before), until ctx is done (it then
// returns nil) or the connection fails (it returns the error; call it again). notify
// must not block. It holds one connection of the pool, outside the pool, while it runs.
func (o *Outbox) Listen(ctx context.Context, notify func()) error {
	conn, err := o.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for outbox jobs: %w", err)
	}
	// A listening connection never goes back to the pool: its next user would receive
	// our notifications.
	pc := conn.Hijack()
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		pc.Close(closeCtx)
	}()
	if _, err := pc.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for outbox jobs: %w", err)
	}
	notify()
	for {
		if _, err := pc.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("wait for outbox jobs: %w", err)
		}
		notify()
	}
}

// Backlog returns how many jobs wait to be relayed and how long the oldest of
// them has been due (0 when none is due): a growing backlog means the relays are
// down or Redis is.
func (o *Outbox) Backlog(ctx context.Context) (pending int64, oldestDue time.Duration, err error) {
	var seconds float64
	err = o.pool.QueryRow(ctx, `
		SELECT count(*), coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE run_at <= now())), 0)
		FROM outbox WHERE relayed_at IS NULL`).Scan(&pending, &seconds)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox backlog: %w", err)
	}
	return pending, time.Duration(seconds * float64(time.Second)), nil
}
