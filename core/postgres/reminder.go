package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Back-in-stock subscriptions, and the job that tells the subscribers, written by
// every change of stock in its own transaction.

// SubscribeRestock records a subscription; one that exists keeps its place. The
// variant is share-locked first, so a restock committing meanwhile either sees the
// subscription or is seen here: then the alert's job is written with it.
func (c *Catalog) SubscribeRestock(ctx context.Context, sub catalog.RestockSubscription) error {
	return inTx(ctx, c.pool, func(tx pgx.Tx) error {
		if err := catalogEnsureUser(ctx, tx, sub.UserID); err != nil {
			return err
		}
		var available int
		err := tx.QueryRow(ctx, `SELECT on_hand - reserved FROM variants WHERE id = $1 FOR SHARE`, sub.VariantID).Scan(&available)
		if err != nil {
			return fmt.Errorf("subscribe to variant %d: %w", sub.VariantID, notFound(err, catalog.ErrVariantNotFound))
		}
		if available > 0 {
			if err := insertJobs(ctx, tx, []core.Job{catalog.RestockJob(sub.VariantID)}); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO restock_subscriptions (user_id, variant_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, variant_id) DO NOTHING`, sub.UserID, sub.VariantID, sub.CreatedAt)
		if isCode(err, foreignKeyViolation, "") {
			return catalog.ErrVariantNotFound
		}
		if err != nil {
			return fmt.Errorf("subscribe to variant %d: %w", sub.VariantID, err)
		}
		return nil
	})
}

// UnsubscribeRestock deletes a subscription, if there is one.
func (c *Catalog) UnsubscribeRestock(ctx context.Context, user core.UserID, v core.VariantID) error {
	_, err := c.pool.Exec(ctx, `DELETE FROM restock_subscriptions WHERE user_id = $1 AND variant_id = $2`, user, v)
	if err != nil {
		return fmt.Errorf("unsubscribe from variant %d: %w", v, err)
	}
	return nil
}

// RestockSubscribed says whether user waits for v.
func (c *Catalog) RestockSubscribed(ctx context.Context, user core.UserID, v core.VariantID) (bool, error) {
	var ok bool
	err := c.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM restock_subscriptions WHERE user_id = $1 AND variant_id = $2)`, user, v).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("subscription to variant %d: %w", v, err)
	}
	return ok, nil
}

// RestockSubscribers returns up to limit subscribers of v, oldest first, and whether
// there are more.
func (c *Catalog) RestockSubscribers(ctx context.Context, v core.VariantID, limit int) ([]catalog.RestockSubscription, bool, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT user_id, variant_id, created_at FROM restock_subscriptions
		WHERE variant_id = $1 ORDER BY created_at, user_id LIMIT $2`, v, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("subscribers of variant %d: %w", v, err)
	}
	subs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[catalog.RestockSubscription])
	if err != nil {
		return nil, false, fmt.Errorf("subscribers of variant %d: %w", v, err)
	}
	if len(subs) > limit {
		return subs[:limit], true, nil
	}
	return subs, false, nil
}

// DeleteRestockSubscriptions deletes the subscriptions matching user, variant and
// creation time: one made again since stays.
func (c *Catalog) DeleteRestockSubscriptions(ctx context.Context, subs []catalog.RestockSubscription) error {
	users := make([]core.UserID, len(subs))
	variants := make([]core.VariantID, len(subs))
	created := make([]time.Time, len(subs))
	for i, s := range subs {
		users[i], variants[i], created[i] = s.UserID, s.VariantID, s.CreatedAt
	}
	_, err := c.pool.Exec(ctx, `
		DELETE FROM restock_subscriptions r
		USING unnest($1::bigint[], $2::bigint[], $3::timestamptz[]) AS d (user_id, variant_id, created_at)
		WHERE r.user_id = d.user_id AND r.variant_id = d.variant_id AND r.created_at = d.created_at`,
		users, variants, created)
	if err != nil {
		return fmt.Errorf("delete restock subscriptions: %w", err)
	}
	return nil
}

// restockJobs writes, inside tx and after stock changed, the job that tells the
// subscribers of each variant whose available stock came back from zero. gained maps
// the variants whose available stock grew to how much it grew in tx; only those with
// subscribers are read.
func restockJobs(ctx context.Context, tx pgx.Tx, gained map[core.VariantID]int) error {
	if len(gained) == 0 {
		return nil
	}
	ids := make([]core.VariantID, 0, len(gained))
	for id, n := range gained {
		if n > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `
		SELECT v.id, v.on_hand - v.reserved FROM variants v
		WHERE v.id = ANY($1) AND v.on_hand - v.reserved > 0
			AND EXISTS (SELECT 1 FROM restock_subscriptions r WHERE r.variant_id = v.id)`, ids)
	if err != nil {
		return fmt.Errorf("find variants back in stock: %w", err)
	}
	type avail struct {
		ID        core.VariantID
		Available int
	}
	back, err := pgx.CollectRows(rows, pgx.RowToStructByPos[avail])
	if err != nil {
		return fmt.Errorf("find variants back in stock: %w", err)
	}
	var jobs []core.Job
	for _, v := range back {
		if v.Available-gained[v.ID] <= 0 {
			jobs = append(jobs, catalog.RestockJob(v.ID))
		}
	}
	return insertJobs(ctx, tx, jobs)
}

// LostReminders returns up to limit orders of each kind whose reminder PostgreSQL
// says was due before before and did not go: unpaid orders still reserved past
// remind_at and not reminded since, and completed orders of shops that ask for
// reviews, past the shop's delay and not asked. Oldest first.
func (o *Orders) LostReminders(ctx context.Context, before time.Time, limit int) (unpaid, reviews []core.OrderID, err error) {
	unpaid, err = orderIDs(ctx, o.pool, `
		SELECT id FROM orders
		WHERE status = 'awaiting_payment' AND remind_at IS NOT NULL AND remind_at < $1
			AND reserved_until > $1 AND (reminded_at IS NULL OR reminded_at < remind_at)
		ORDER BY remind_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("lost unpaid reminders: %w", err)
	}
	reviews, err = orderIDs(ctx, o.pool, `
		SELECT o.id FROM orders o JOIN shops s ON s.id = o.shop_id
		WHERE o.status = 'completed' AND o.review_requested_at IS NULL AND s.review_request_days > 0
			AND s.blocked_at IS NULL AND o.completed_at + s.review_request_days * interval '1 day' < $1
		ORDER BY o.completed_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("lost review requests: %w", err)
	}
	return unpaid, reviews, nil
}

func orderIDs(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) ([]core.OrderID, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[core.OrderID])
}
