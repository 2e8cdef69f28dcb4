package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Broadcasts is the PostgreSQL store of broadcasts, their recipients, shops'
// subscribers and opt-outs.
//
// The per-message path (ShouldSend, RecordOutcome) is one statement each on
// primary keys; a page's (Page, Sendable, RecordOutcomes) one statement for
// all its recipients, on primary keys too. Outcomes are counted in 16 rows per
// broadcast (broadcast_counters), not on the broadcast's row, whose lock every
// outcome would otherwise wait for; progress sums them. Lock order: a
// recipient's row before a counter's (RecordOutcome, RecordOutcomes: their
// counters in shard order) or the broadcast's (Cancel), each in one statement
// whose CTE settles the recipients first.
type Broadcasts struct {
	Roles // Role
	pool  *pgxpool.Pool
}

var _ broadcast.Store = (*Broadcasts)(nil)

// NewBroadcasts returns the broadcast store on pool.
func NewBroadcasts(pool *pgxpool.Pool) *Broadcasts {
	return &Broadcasts{Roles: NewRoles(pool), pool: pool}
}

// broadcastSelect reads broadcasts (alias b) with their counters summed.
const broadcastSelect = `SELECT b.id, b.shop_id, b.created_by, b.text, b.photo, b.product_ids, b.audience,
	coalesce(b.audience_product_id, 0), b.status, b.materialized_at IS NOT NULL, b.total,
	coalesce(c.sent, 0), coalesce(c.blocked, 0), coalesce(c.failed, 0), coalesce(c.skipped, 0),
	b.cancelled, b.progress_chat, b.progress_message_id, b.created_at, b.finished_at
	FROM broadcasts b LEFT JOIN LATERAL (
		SELECT sum(sent) AS sent, sum(blocked) AS blocked, sum(failed) AS failed, sum(skipped) AS skipped
		FROM broadcast_counters WHERE broadcast_id = b.id
	) c ON true`

// settledSum is the number of a broadcast's (b) recipients settled.
const settledSum = `coalesce((SELECT sum(sent + blocked + failed + skipped) FROM broadcast_counters
	WHERE broadcast_id = b.id), 0)`

// counterShards is how many rows count a broadcast's outcomes (broadcast_counters).
const counterShards = 16

func broadcastScan(row pgx.Row) (broadcast.Broadcast, error) {
	var (
		b        broadcast.Broadcast
		products []int64
		msgID    int64
		finished *time.Time
	)
	err := row.Scan(&b.ID, &b.ShopID, &b.CreatedBy, &b.Content.Text, &b.Content.Photo, &products, &b.Audience.Kind,
		&b.Audience.ProductID, &b.Status, &b.Materialized, &b.Total, &b.Sent, &b.Blocked, &b.Failed,
		&b.Skipped, &b.Cancelled, &b.ProgressChat, &msgID, &b.CreatedAt, &finished)
	if err != nil {
		return broadcast.Broadcast{}, err
	}
	for _, p := range products {
		b.Content.Products = append(b.Content.Products, core.ProductID(p))
	}
	b.ProgressMessageID = int(msgID)
	if finished != nil {
		b.FinishedAt = *finished
	}
	return b, nil
}

// broadcastByID reads a broadcast; broadcast.ErrNotFound.
func broadcastByID(ctx context.Context, q querier, id broadcast.ID) (broadcast.Broadcast, error) {
	b, err := broadcastScan(q.QueryRow(ctx, broadcastSelect+` WHERE b.id = $1`, id))
	return b, notFound(err, broadcast.ErrNotFound)
}

// broadcastList reads the broadcasts of a query's rows.
func broadcastList(rows pgx.Rows, err error) ([]broadcast.Broadcast, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (broadcast.Broadcast, error) { return broadcastScan(r) })
}

// paidStatuses are the statuses of orders whose buyer is a customer of the shop.
const paidStatuses = `('paid', 'shipped', 'ready_for_pickup', 'completed')`

// audienceQuery returns a query of the user ids (column user_id) audience a of
// shop reaches now, and its arguments: reachable users who did not opt out of
// the shop. The shop is $1.
func audienceQuery(shop core.ShopID, a broadcast.Audience) (string, []any, error) {
	var raw string
	args := []any{shop}
	switch a.Kind {
	case broadcast.AudienceCustomers:
		raw = `SELECT DISTINCT buyer_id AS user_id FROM orders WHERE shop_id = $1 AND status IN ` + paidStatuses
	case broadcast.AudienceBuyers:
		raw = `SELECT DISTINCT o.buyer_id AS user_id FROM orders o JOIN order_lines l ON l.order_id = o.id
			WHERE o.shop_id = $1 AND o.status IN ` + paidStatuses + ` AND l.product_id = $2`
		args = append(args, a.ProductID)
	case broadcast.AudienceSubscribers:
		raw = `SELECT user_id FROM shop_subscribers WHERE shop_id = $1`
	default:
		return "", nil, broadcast.ErrAudience
	}
	q := `SELECT a.user_id FROM (` + raw + `) a
		JOIN users u ON u.id = a.user_id AND u.unreachable_at IS NULL
		WHERE NOT EXISTS (SELECT 1 FROM broadcast_optouts x WHERE x.shop_id = $1 AND x.user_id = a.user_id)`
	return q, args, nil
}

// ProductShop returns the shop of an active product; catalog.ErrProductNotFound.
func (s *Broadcasts) ProductShop(ctx context.Context, id core.ProductID) (core.ShopID, error) {
	var shop core.ShopID
	err := s.pool.QueryRow(ctx, `SELECT shop_id FROM products WHERE id = $1 AND archived_at IS NULL`, id).Scan(&shop)
	return shop, notFound(err, catalog.ErrProductNotFound)
}

// Count returns how many people audience a of shop reaches now.
func (s *Broadcasts) Count(ctx context.Context, shop core.ShopID, a broadcast.Audience) (int, error) {
	q, args, err := audienceQuery(shop, a)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (`+q+`) reached`, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count audience %s of shop %d: %w", a.Kind, shop, err)
	}
	return n, nil
}

// Create records n running with its jobs; the shop's broadcast with n.Key, if
// there is one, is returned instead (created false).
func (s *Broadcasts) Create(ctx context.Context, n broadcast.New, job func(broadcast.Broadcast) []core.Job) (broadcast.Broadcast, bool, error) {
	var (
		b       broadcast.Broadcast
		created bool
	)
	products := make([]int64, len(n.Content.Products))
	for i, p := range n.Content.Products {
		products[i] = int64(p)
	}
	var audienceProduct any
	if n.Audience.ProductID != 0 {
		audienceProduct = n.Audience.ProductID
	}
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		var id broadcast.ID
		err := tx.QueryRow(ctx, `
			INSERT INTO broadcasts (shop_id, created_by, idempotency_key, text, photo, product_ids, audience,
				audience_product_id, status, progress_chat, progress_message_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9, $10, $11)
			ON CONFLICT (shop_id, idempotency_key) DO NOTHING
			RETURNING id`,
			n.ShopID, n.CreatedBy, n.Key, n.Content.Text, n.Content.Photo, products, n.Audience.Kind,
			audienceProduct, n.ProgressChat, n.ProgressMessageID, n.CreatedAt).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			b, err = broadcastScan(tx.QueryRow(ctx, broadcastSelect+`
				WHERE b.shop_id = $1 AND b.idempotency_key = $2`, n.ShopID, n.Key))
			return err
		}
		if err != nil {
			return err
		}
		if b, err = broadcastByID(ctx, tx, id); err != nil {
			return err
		}
		created = true
		return insertJobs(ctx, tx, job(b))
	})
	if err != nil {
		return broadcast.Broadcast{}, false, fmt.Errorf("create broadcast of shop %d: %w", n.ShopID, err)
	}
	return b, created, nil
}

// Broadcast returns broadcast.ErrNotFound.
func (s *Broadcasts) Broadcast(ctx context.Context, id broadcast.ID) (broadcast.Broadcast, error) {
	return broadcastByID(ctx, s.pool, id)
}

// ByKey returns the shop's broadcast started with key.
func (s *Broadcasts) ByKey(ctx context.Context, shop core.ShopID, key string) (broadcast.Broadcast, bool, error) {
	b, err := broadcastScan(s.pool.QueryRow(ctx, broadcastSelect+`
		WHERE b.shop_id = $1 AND b.idempotency_key = $2`, shop, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return broadcast.Broadcast{}, false, nil
	}
	if err != nil {
		return broadcast.Broadcast{}, false, fmt.Errorf("broadcast of shop %d by key: %w", shop, err)
	}
	return b, true, nil
}

// Broadcasts returns the shop's latest broadcasts, newest first.
func (s *Broadcasts) Broadcasts(ctx context.Context, shop core.ShopID, limit int) ([]broadcast.Broadcast, error) {
	list, err := broadcastList(s.pool.Query(ctx, broadcastSelect+`
		WHERE b.shop_id = $1 ORDER BY b.id DESC LIMIT $2`, shop, limit))
	if err != nil {
		return nil, fmt.Errorf("list broadcasts of shop %d: %w", shop, err)
	}
	return list, nil
}

// Cancel marks a running broadcast and its pending recipients cancelled, with
// its jobs, in one transaction.
func (s *Broadcasts) Cancel(ctx context.Context, id broadcast.ID, at time.Time, job func(broadcast.Broadcast) []core.Job) (broadcast.Broadcast, bool, error) {
	var (
		b       broadcast.Broadcast
		changed bool
	)
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		// Wait for a Materialize in progress (it holds the broadcast's row while it
		// writes the recipients): the statement below must see its recipients, or
		// they would stay pending under a cancelled broadcast. RecordOutcome never
		// locks this row, so no deadlock.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM broadcasts WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		// Then the recipients, then the broadcast's row, in one statement.
		tag, err := tx.Exec(ctx, `
			WITH r AS (
				UPDATE broadcast_recipients SET status = 'cancelled', done_at = now()
				WHERE broadcast_id = $1 AND status = 'pending'
					AND EXISTS (SELECT 1 FROM broadcasts WHERE id = $1 AND status = 'running')
				RETURNING 1
			)
			UPDATE broadcasts SET status = 'cancelled', finished_at = $2,
				cancelled = cancelled + (SELECT count(*) FROM r)
			WHERE id = $1 AND status = 'running'`, id, at)
		if err != nil {
			return err
		}
		if b, err = broadcastByID(ctx, tx, id); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // over already: nothing to cancel
		}
		changed = true
		return insertJobs(ctx, tx, job(b))
	})
	if err != nil {
		return broadcast.Broadcast{}, false, fmt.Errorf("cancel broadcast %d: %w", id, err)
	}
	return b, changed, nil
}

// Materialize records the recipients of a running broadcast once, and Total.
func (s *Broadcasts) Materialize(ctx context.Context, id broadcast.ID, at time.Time) (broadcast.Broadcast, error) {
	var (
		b        broadcast.Broadcast
		recorded int64
	)
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM broadcasts WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		var err error
		if b, err = broadcastByID(ctx, tx, id); err != nil {
			return err
		}
		if b.Materialized || b.Status != broadcast.StatusRunning {
			return nil
		}
		q, args, err := audienceQuery(b.ShopID, b.Audience)
		if err != nil {
			return err
		}
		args = append(args, id)
		tag, err := tx.Exec(ctx, fmt.Sprintf(`
			INSERT INTO broadcast_recipients (broadcast_id, user_id, seq)
			SELECT $%d, user_id, row_number() OVER (ORDER BY user_id) FROM (%s) reached
			ON CONFLICT DO NOTHING`, len(args), q), args...)
		if err != nil {
			return fmt.Errorf("record recipients: %w", err)
		}
		total := tag.RowsAffected()
		_, err = tx.Exec(ctx, `
			UPDATE broadcasts SET materialized_at = $2, total = $3,
				status = CASE WHEN $3 = 0 THEN 'finished' ELSE status END,
				finished_at = CASE WHEN $3 = 0 THEN $2 ELSE finished_at END
			WHERE id = $1`, id, at, total)
		if err != nil {
			return err
		}
		b, err = broadcastByID(ctx, tx, id)
		recorded = total
		return err
	})
	if err != nil {
		return broadcast.Broadcast{}, fmt.Errorf("materialize broadcast %d: %w", id, err)
	}
	if recorded >= analyzeAfter {
		// The new rows can be most of the table: without fresh statistics the
		// planner takes a page of them for a handful and reads them all.
		if _, err := s.pool.Exec(ctx, `ANALYZE broadcast_recipients`); err != nil {
			return broadcast.Broadcast{}, fmt.Errorf("materialize broadcast %d: analyze recipients: %w", id, err)
		}
	}
	return b, nil
}

// analyzeAfter is how many recipients a broadcast must have for Materialize to
// refresh the statistics of broadcast_recipients (ANALYZE reads a sample of
// at most 30,000 rows: tens of milliseconds, once per broadcast).
const analyzeAfter = 1000

// Recipients returns up to limit pending recipients with ids above after.
func (s *Broadcasts) Recipients(ctx context.Context, id broadcast.ID, after core.UserID, limit int) ([]broadcast.Recipient, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r.user_id, coalesce(nullif(u.language, ''), u.telegram_lang)
		FROM broadcast_recipients r JOIN users u ON u.id = r.user_id
		WHERE r.broadcast_id = $1 AND r.user_id > $2 AND r.status = 'pending'
		ORDER BY r.user_id
		LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("recipients of broadcast %d: %w", id, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (broadcast.Recipient, error) {
		var rc broadcast.Recipient
		err := r.Scan(&rc.UserID, &rc.Lang)
		return rc, err
	})
	if err != nil {
		return nil, fmt.Errorf("recipients of broadcast %d: %w", id, err)
	}
	return list, nil
}

// ShouldSend reports whether the broadcast runs, user is a pending recipient,
// did not opt out of the shop and has not blocked the bot.
func (s *Broadcasts) ShouldSend(ctx context.Context, id broadcast.ID, user core.UserID) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `
		SELECT b.status = 'running' AND r.status = 'pending' AND u.unreachable_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM broadcast_optouts x WHERE x.shop_id = b.shop_id AND x.user_id = r.user_id)
		FROM broadcast_recipients r JOIN broadcasts b ON b.id = r.broadcast_id
		LEFT JOIN users u ON u.id = r.user_id
		WHERE r.broadcast_id = $1 AND r.user_id = $2`, id, user).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("should broadcast %d go to %d: %w", id, user, err)
	}
	return ok, nil
}

// Page returns up to limit recipients above after, by id, with those pending.
// The recipients are read in the primary key's order before anything is
// filtered, and their users looked up one by one (a subquery), so the plan does
// not depend on how many are still pending, nor on how many users there are.
func (s *Broadcasts) Page(ctx context.Context, id broadcast.ID, after core.UserID, limit int) (broadcast.Page, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r.user_id, r.status = 'pending', coalesce((
			SELECT coalesce(nullif(u.language, ''), u.telegram_lang) FROM users u WHERE u.id = r.user_id), '')
		FROM (
			SELECT user_id, status FROM broadcast_recipients
			WHERE broadcast_id = $1 AND user_id > $2
			ORDER BY user_id LIMIT $3
		) r
		ORDER BY r.user_id`, id, after, limit)
	if err != nil {
		return broadcast.Page{}, fmt.Errorf("page of broadcast %d: %w", id, err)
	}
	var (
		p       broadcast.Page
		rc      broadcast.Recipient
		pending bool
	)
	_, err = pgx.ForEachRow(rows, []any{&rc.UserID, &pending, &rc.Lang}, func() error {
		p.Size++
		p.Last = rc.UserID
		if pending {
			p.Pending = append(p.Pending, rc)
		}
		return nil
	})
	if err != nil {
		return broadcast.Page{}, fmt.Errorf("page of broadcast %d: %w", id, err)
	}
	return p, nil
}

// Sendable reports whether the broadcast runs and which of users are pending
// recipients, reachable and not opted out of the shop, in one query. Each
// recipient's user and opt-out are looked up by key (subqueries, which the
// planner cannot turn into scans of those tables).
func (s *Broadcasts) Sendable(ctx context.Context, id broadcast.ID, users []core.UserID) (bool, []core.UserID, error) {
	var (
		running bool
		send    []core.UserID
	)
	err := s.pool.QueryRow(ctx, `
		SELECT b.status = 'running', CASE WHEN b.status <> 'running' THEN '{}'::bigint[] ELSE ARRAY(
			SELECT r.user_id FROM broadcast_recipients r
			WHERE r.broadcast_id = b.id AND r.user_id = ANY($2::bigint[]) AND r.status = 'pending'
				AND coalesce((SELECT u.unreachable_at IS NULL FROM users u WHERE u.id = r.user_id), true)
				AND coalesce((SELECT false FROM broadcast_optouts x WHERE x.shop_id = b.shop_id AND x.user_id = r.user_id), true)
			ORDER BY r.user_id) END
		FROM broadcasts b WHERE b.id = $1`, id, users).Scan(&running, &send)
	if err != nil {
		return false, nil, fmt.Errorf("sendable recipients of broadcast %d: %w", id, notFound(err, broadcast.ErrNotFound))
	}
	return running, send, nil
}

// RecipientAfter returns the n-th recipient above after, by user id.
func (s *Broadcasts) RecipientAfter(ctx context.Context, id broadcast.ID, after core.UserID, n int) (core.UserID, bool, error) {
	var u core.UserID
	err := s.pool.QueryRow(ctx, `
		SELECT user_id FROM broadcast_recipients WHERE broadcast_id = $1 AND user_id > $2
		ORDER BY user_id OFFSET $3 LIMIT 1`, id, after, n-1).Scan(&u)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("recipient %d after %d of broadcast %d: %w", n, after, id, err)
	}
	return u, true, nil
}

// RecordOutcomes settles the pending recipients among results and counts them
// in their shards of broadcast_counters, in one statement. Like RecordOutcome
// it takes the recipients' rows first, then the counters' rows, in shard order
// so that two batches never wait for each other in a circle; the remaining
// count is read from the snapshot before the batch. The recipients are found
// by their keys (= ANY), whatever the planner thinks of the table's size.
func (s *Broadcasts) RecordOutcomes(ctx context.Context, id broadcast.ID, results []broadcast.Result) (broadcast.Batch, error) {
	users := make([]int64, len(results))
	outcomes := make([]string, len(results))
	for i, r := range results {
		users[i], outcomes[i] = int64(r.User), string(r.Outcome)
	}
	var b broadcast.Batch
	err := s.pool.QueryRow(ctx, `
		WITH o AS (
			SELECT DISTINCT ON (user_id) user_id, status FROM unnest($2::bigint[], $3::text[]) AS o(user_id, status)
		), r AS (
			UPDATE broadcast_recipients br SET status = o.status, done_at = now()
			FROM o WHERE br.broadcast_id = $1 AND br.user_id = ANY($2::bigint[]) AND br.user_id = o.user_id
				AND br.status = 'pending'
			RETURNING br.user_id, br.seq, br.status
		), c AS (
			INSERT INTO broadcast_counters AS k (broadcast_id, shard, sent, blocked, failed, skipped)
			SELECT $1, (r.user_id % $4)::smallint, count(*) FILTER (WHERE r.status = 'sent'),
				count(*) FILTER (WHERE r.status = 'blocked'), count(*) FILTER (WHERE r.status = 'failed'),
				count(*) FILTER (WHERE r.status = 'skipped')
			FROM r GROUP BY 2 ORDER BY 2
			ON CONFLICT (broadcast_id, shard) DO UPDATE SET
				sent = k.sent + excluded.sent, blocked = k.blocked + excluded.blocked,
				failed = k.failed + excluded.failed, skipped = k.skipped + excluded.skipped
			RETURNING 1
		)
		SELECT b.status = 'running', ARRAY(SELECT seq FROM r ORDER BY seq), b.total - b.cancelled - `+settledSum+`
		FROM broadcasts b WHERE b.id = $1`,
		id, users, outcomes, counterShards).Scan(&b.Running, &b.Seqs, &b.Remaining)
	if err != nil {
		return broadcast.Batch{}, fmt.Errorf("record %d outcomes of broadcast %d: %w", len(results), id, notFound(err, broadcast.ErrNotFound))
	}
	return b, nil
}

// RecordOutcome settles a pending recipient and counts it in its shard of
// broadcast_counters, in one statement: the recipient's row first, then the
// counter's. The remaining count is read in the same statement, from the
// snapshot before this outcome.
func (s *Broadcasts) RecordOutcome(ctx context.Context, id broadcast.ID, user core.UserID, o broadcast.Outcome) (broadcast.Settled, bool, error) {
	var st broadcast.Settled
	err := s.pool.QueryRow(ctx, `
		WITH r AS (
			UPDATE broadcast_recipients SET status = $3::text, done_at = now()
			WHERE broadcast_id = $1 AND user_id = $2 AND status = 'pending'
			RETURNING seq
		), c AS (
			INSERT INTO broadcast_counters AS k (broadcast_id, shard, sent, blocked, failed, skipped)
			SELECT $1, $4, ($3::text = 'sent')::int, ($3::text = 'blocked')::int,
				($3::text = 'failed')::int, ($3::text = 'skipped')::int
			FROM r
			ON CONFLICT (broadcast_id, shard) DO UPDATE SET
				sent = k.sent + excluded.sent, blocked = k.blocked + excluded.blocked,
				failed = k.failed + excluded.failed, skipped = k.skipped + excluded.skipped
			RETURNING 1
		)
		SELECT r.seq, b.total - b.cancelled - `+settledSum+`
		FROM r, broadcasts b WHERE b.id = $1`,
		id, user, string(o), int16(int64(user)%counterShards)).Scan(&st.Seq, &st.Remaining)
	if errors.Is(err, pgx.ErrNoRows) {
		return broadcast.Settled{}, false, nil
	}
	if err != nil {
		return broadcast.Settled{}, false, fmt.Errorf("record %s of broadcast %d to %d: %w", o, id, user, err)
	}
	return st, true, nil
}

// finishSettled is the condition of a running broadcast (b) with nothing pending.
const finishSettled = `b.status = 'running' AND b.materialized_at IS NOT NULL
	AND b.cancelled + ` + settledSum + ` >= b.total`

// Finish finishes a running broadcast with nothing pending.
func (s *Broadcasts) Finish(ctx context.Context, id broadcast.ID, at time.Time) (broadcast.Broadcast, bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE broadcasts b SET status = 'finished', finished_at = $2
		WHERE b.id = $1 AND `+finishSettled, id, at)
	if err != nil {
		return broadcast.Broadcast{}, false, fmt.Errorf("finish broadcast %d: %w", id, err)
	}
	b, err := broadcastByID(ctx, s.pool, id)
	if err != nil {
		return broadcast.Broadcast{}, false, err
	}
	return b, tag.RowsAffected() == 1, nil
}

// Unreported finishes the running broadcasts with nothing pending, and returns
// up to limit that are over and not marked reported.
func (s *Broadcasts) Unreported(ctx context.Context, at time.Time, limit int) ([]broadcast.Broadcast, error) {
	_, err := s.pool.Exec(ctx, `UPDATE broadcasts b SET status = 'finished', finished_at = $1
		WHERE b.reported_at IS NULL AND `+finishSettled, at)
	if err != nil {
		return nil, fmt.Errorf("finish broadcasts: %w", err)
	}
	list, err := broadcastList(s.pool.Query(ctx, broadcastSelect+`
		WHERE b.reported_at IS NULL AND b.status <> 'running' ORDER BY b.id LIMIT $1`, limit))
	if err != nil {
		return nil, fmt.Errorf("unreported broadcasts: %w", err)
	}
	return list, nil
}

// MarkReported records that the final report of a broadcast was sent.
func (s *Broadcasts) MarkReported(ctx context.Context, id broadcast.ID) error {
	_, err := s.pool.Exec(ctx, `UPDATE broadcasts SET reported_at = now() WHERE id = $1 AND reported_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("mark broadcast %d reported: %w", id, err)
	}
	return nil
}

// Subscribed reports whether user subscribed to the shop's news.
func (s *Broadcasts) Subscribed(ctx context.Context, shop core.ShopID, user core.UserID) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM shop_subscribers WHERE shop_id = $1 AND user_id = $2)`,
		shop, user).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("subscription to shop %d: %w", shop, err)
	}
	return ok, nil
}

// Subscribe subscribes user to the shop's news and clears an opt-out.
func (s *Broadcasts) Subscribe(ctx context.Context, shop core.ShopID, user core.UserID) error {
	return inTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO shop_subscribers (shop_id, user_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, shop, user); err != nil {
			return fmt.Errorf("subscribe to shop %d: %w", shop, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM broadcast_optouts WHERE shop_id = $1 AND user_id = $2`, shop, user); err != nil {
			return fmt.Errorf("clear opt-out of shop %d: %w", shop, err)
		}
		return nil
	})
}

// Unsubscribe ends the subscription and opts user out of the shop's broadcasts.
func (s *Broadcasts) Unsubscribe(ctx context.Context, shop core.ShopID, user core.UserID) error {
	return inTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM shop_subscribers WHERE shop_id = $1 AND user_id = $2`, shop, user); err != nil {
			return fmt.Errorf("unsubscribe from shop %d: %w", shop, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO broadcast_optouts (shop_id, user_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, shop, user); err != nil {
			return fmt.Errorf("opt out of shop %d: %w", shop, err)
		}
		return nil
	})
}
