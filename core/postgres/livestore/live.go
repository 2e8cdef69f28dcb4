// Package livestore is the PostgreSQL store of live drops (core/live): KOLs,
// channels, sessions, allocations, lots and their claims.
package livestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

// Store implements live.Store.
type Store struct {
	postgres.Roles
	pool *pgxpool.Pool
}

var _ live.Store = (*Store)(nil)

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{Roles: postgres.NewRoles(pool), pool: pool} }

// CreateInvite implements live.Store.
func (s *Store) CreateInvite(ctx context.Context, inv live.Invite, now time.Time) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO kol_invites (token, shop_id, commission_bp, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		inv.Token, inv.Shop, inv.Commission, inv.By, now, inv.Expires)
	if err != nil {
		return fmt.Errorf("create KOL invite: %w", err)
	}
	return nil
}

// AcceptInvite implements live.Store.
func (s *Store) AcceptInvite(ctx context.Context, token string, kol core.UserID, now time.Time, check func(live.Invite, bool) error) (live.Link, error) {
	var link live.Link
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var inv live.Invite
		var usedBy *int64
		err := tx.QueryRow(ctx, `
			SELECT token, shop_id, commission_bp, created_by, expires_at, used_by
			FROM kol_invites WHERE token = $1 FOR UPDATE`, token).
			Scan(&inv.Token, &inv.Shop, &inv.Commission, &inv.By, &inv.Expires, &usedBy)
		if err != nil {
			return store.NotFound(err, live.ErrInviteNotFound)
		}
		if usedBy != nil && core.UserID(*usedBy) == kol {
			link, err = linkOf(ctx, tx, inv.Shop, kol)
			return err
		}
		if err := check(inv, usedBy != nil); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE kol_invites SET used_by = $2, used_at = $3 WHERE token = $1`, token, kol, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO kol_links (shop_id, kol_id, commission_bp, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (shop_id, kol_id) DO UPDATE
			SET commission_bp = excluded.commission_bp, updated_at = excluded.updated_at, ended_at = NULL`,
			inv.Shop, kol, inv.Commission, now); err != nil {
			return err
		}
		link, err = linkOf(ctx, tx, inv.Shop, kol)
		return err
	})
	if err != nil {
		return live.Link{}, fmt.Errorf("accept KOL invite: %w", err)
	}
	return link, nil
}

func linkOf(ctx context.Context, q store.Querier, id core.ShopID, kol core.UserID) (live.Link, error) {
	l := live.Link{Shop: id, KOL: kol}
	err := q.QueryRow(ctx, `
		SELECT commission_bp, created_at FROM kol_links
		WHERE shop_id = $1 AND kol_id = $2 AND ended_at IS NULL`, id, kol).Scan(&l.Commission, &l.Since)
	if err != nil {
		return live.Link{}, store.NotFound(err, live.ErrNotKOL)
	}
	return l, nil
}

// Link implements live.Store.
func (s *Store) Link(ctx context.Context, id core.ShopID, kol core.UserID) (live.Link, error) {
	return linkOf(ctx, s.pool, id, kol)
}

// Links implements live.Store.
func (s *Store) Links(ctx context.Context, kol core.UserID) ([]live.Link, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT shop_id, commission_bp, created_at FROM kol_links
		WHERE kol_id = $1 AND ended_at IS NULL ORDER BY created_at, shop_id`, kol)
	if err != nil {
		return nil, fmt.Errorf("links of KOL %d: %w", kol, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Link, error) {
		l := live.Link{KOL: kol}
		return l, r.Scan(&l.Shop, &l.Commission, &l.Since)
	})
}

// SetCommission implements live.Store.
func (s *Store) SetCommission(ctx context.Context, id core.ShopID, kol core.UserID, c live.Commission, now time.Time, job core.Job) error {
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE kol_links SET commission_bp = $3, updated_at = $4
			WHERE shop_id = $1 AND kol_id = $2 AND ended_at IS NULL`, id, kol, c, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return live.ErrNotKOL
		}
		return store.InsertJobs(ctx, tx, []core.Job{job})
	})
	if err != nil {
		return fmt.Errorf("set commission: %w", err)
	}
	return nil
}

// SaveChannel implements live.Store.
func (s *Store) SaveChannel(ctx context.Context, ch live.Channel, now time.Time) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO live_channels (chat_id, kol_id, title, username, can_post, connected_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (chat_id) DO UPDATE
		SET kol_id = excluded.kol_id, title = excluded.title, username = excluded.username,
			can_post = excluded.can_post, updated_at = excluded.updated_at`,
		ch.Chat, ch.KOL, ch.Title, ch.Username, ch.CanPost, now)
	if err != nil {
		return fmt.Errorf("save channel %d: %w", ch.Chat, err)
	}
	return nil
}

// Channel implements live.Store.
func (s *Store) Channel(ctx context.Context, chat int64) (live.Channel, error) {
	ch := live.Channel{Chat: chat}
	err := s.pool.QueryRow(ctx, `SELECT kol_id, title, username, can_post FROM live_channels WHERE chat_id = $1`, chat).
		Scan(&ch.KOL, &ch.Title, &ch.Username, &ch.CanPost)
	if err != nil {
		return live.Channel{}, store.NotFound(err, live.ErrChannelNotFound)
	}
	return ch, nil
}

const sessionColumns = `id, shop_id, kol_id, channel_id, title, stream_url, starts_at, status, currency,
	commission_bp, coalesce(opened_at, 'epoch'), coalesce(ended_at, 'epoch'), reminders, announce_message_id,
	reported_at IS NOT NULL`

// scanSession reads sessionColumns, then extra.
func scanSession(row pgx.Row, extra ...any) (live.Session, error) {
	var s live.Session
	var reminders []int32
	err := row.Scan(append([]any{&s.ID, &s.Shop, &s.KOL, &s.Channel, &s.Title, &s.StreamURL, &s.StartsAt, &s.Status,
		&s.Currency, &s.Commission, &s.OpenedAt, &s.EndedAt, &reminders, &s.Announcement, &s.Reported}, extra...)...)
	s.OpenedAt, s.EndedAt = unepoch(s.OpenedAt), unepoch(s.EndedAt)
	for _, r := range reminders {
		s.Reminders = append(s.Reminders, time.Duration(r)*time.Second)
	}
	return s, err
}

// reminderSeconds are a session's reminders as stored.
func reminderSeconds(s live.Session) []int32 {
	out := make([]int32, len(s.Reminders))
	for i, r := range s.Reminders {
		out[i] = int32(r / time.Second)
	}
	return out
}

// unepoch turns the epoch a NULL time was read as back into the zero time.
func unepoch(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t
}

// CreateSession implements live.Store.
func (s *Store) CreateSession(ctx context.Context, sess live.Session, now time.Time, jobs func(live.Session) []core.Job) (live.Session, error) {
	var out live.Session
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = scanSession(tx.QueryRow(ctx, `
			INSERT INTO live_sessions (shop_id, kol_id, channel_id, title, stream_url, starts_at, status, currency,
				commission_bp, reminders, created_at)
			SELECT $1, $2, $3, $4, $5, $6, $7, currency, $8, $9, $10 FROM shops WHERE id = $1
			RETURNING `+sessionColumns,
			sess.Shop, sess.KOL, sess.Channel, sess.Title, sess.StreamURL, sess.StartsAt, sess.Status, sess.Commission,
			reminderSeconds(sess), now))
		if err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs(out))
	})
	if err != nil {
		return live.Session{}, fmt.Errorf("create session: %w", err)
	}
	return out, nil
}

// SetRSVP implements live.Store.
func (s *Store) SetRSVP(ctx context.Context, id live.SessionID, user core.UserID, on bool, now time.Time) (bool, error) {
	var sql string
	if on {
		sql = `INSERT INTO live_rsvps (session_id, user_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (session_id, user_id) DO UPDATE SET cancelled_at = NULL
			WHERE live_rsvps.cancelled_at IS NOT NULL`
	} else {
		sql = `UPDATE live_rsvps SET cancelled_at = $3 WHERE session_id = $1 AND user_id = $2 AND cancelled_at IS NULL`
	}
	tag, err := s.pool.Exec(ctx, sql, id, user, now)
	if err != nil {
		return false, fmt.Errorf("RSVP of %d to session %d: %w", user, id, err)
	}
	return tag.RowsAffected() > 0, nil
}

// RSVPs implements live.Store.
func (s *Store) RSVPs(ctx context.Context, id live.SessionID, after core.UserID, limit int) ([]core.UserID, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT user_id FROM live_rsvps WHERE session_id = $1 AND cancelled_at IS NULL AND user_id > $2
		ORDER BY user_id LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("RSVPs of session %d: %w", id, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[core.UserID])
}

// CountRSVPs implements live.Store.
func (s *Store) CountRSVPs(ctx context.Context, id live.SessionID) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM live_rsvps WHERE session_id = $1 AND cancelled_at IS NULL`, id).Scan(&n)
	return n, err
}

// SetAnnouncement implements live.Store.
func (s *Store) SetAnnouncement(ctx context.Context, id live.SessionID, messageID int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE live_sessions SET announce_message_id = $2 WHERE id = $1 AND announce_message_id = 0`, id, messageID)
	return err
}

// Session implements live.Store.
func (s *Store) Session(ctx context.Context, id live.SessionID) (live.Session, []live.Allocation, error) {
	sess, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM live_sessions WHERE id = $1`, id))
	if err != nil {
		return live.Session{}, nil, fmt.Errorf("session %d: %w", id, store.NotFound(err, live.ErrSessionNotFound))
	}
	rows, err := s.pool.Query(ctx, `
		SELECT variant_id, price, quantity, per_buyer_limit, dropped FROM live_allocations
		WHERE session_id = $1 ORDER BY variant_id`, id)
	if err != nil {
		return live.Session{}, nil, fmt.Errorf("allocations of session %d: %w", id, err)
	}
	allocs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Allocation, error) {
		a := live.Allocation{Session: id, Price: core.Money{Currency: sess.Currency}}
		return a, r.Scan(&a.Variant, &a.Price.Amount, &a.Quantity, &a.PerBuyer, &a.Dropped)
	})
	return sess, allocs, err
}

// UpdateSession implements live.Store.
func (s *Store) UpdateSession(ctx context.Context, id live.SessionID, fn func(*live.Session) ([]core.Job, error)) (live.Session, error) {
	var sess live.Session
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		sess, err = scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM live_sessions WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return store.NotFound(err, live.ErrSessionNotFound)
		}
		jobs, err := fn(&sess)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE live_sessions SET title = $2, stream_url = $3, starts_at = $4, status = $5,
				opened_at = $6, ended_at = $7, reminders = $8
			WHERE id = $1`,
			id, sess.Title, sess.StreamURL, sess.StartsAt, sess.Status, nullTime(sess.OpenedAt), nullTime(sess.EndedAt),
			reminderSeconds(sess))
		if err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return live.Session{}, fmt.Errorf("update session %d: %w", id, err)
	}
	return sess, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Allocate implements live.Store.
func (s *Store) Allocate(ctx context.Context, a live.Allocation, actor core.UserID, now time.Time) error {
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var shopID core.ShopID
		if err := tx.QueryRow(ctx, `SELECT shop_id FROM live_sessions WHERE id = $1 FOR UPDATE`, a.Session).Scan(&shopID); err != nil {
			return store.NotFound(err, live.ErrSessionNotFound)
		}
		var onHand, reserved int
		err := tx.QueryRow(ctx, `
			SELECT on_hand, reserved FROM variants
			WHERE id = $1 AND shop_id = $2 AND archived_at IS NULL FOR UPDATE`, a.Variant, shopID).Scan(&onHand, &reserved)
		if err != nil {
			return store.NotFound(err, live.ErrNotAllocated)
		}
		var held, dropped int
		err = tx.QueryRow(ctx, `
			SELECT quantity, dropped FROM live_allocations WHERE session_id = $1 AND variant_id = $2`,
			a.Session, a.Variant).Scan(&held, &dropped)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		delta := a.Quantity - held
		if a.Quantity < dropped || delta > onHand-reserved {
			return live.ErrOverAllocation
		}
		if delta != 0 {
			kind := "reservation"
			if delta < 0 {
				kind = "release"
			}
			if _, err := tx.Exec(ctx, `UPDATE variants SET reserved = reserved + $2 WHERE id = $1`, a.Variant, delta); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO stock_movements (variant_id, kind, on_hand_before, on_hand_after, reserved_before,
					reserved_after, actor_id, note, created_at)
				VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)`,
				a.Variant, kind, onHand, reserved, reserved+delta, actor,
				fmt.Sprintf("live session %d", a.Session), now); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO live_allocations (session_id, variant_id, price, quantity, per_buyer_limit)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (session_id, variant_id) DO UPDATE
			SET price = excluded.price, quantity = excluded.quantity, per_buyer_limit = excluded.per_buyer_limit`,
			a.Session, a.Variant, a.Price.Amount, a.Quantity, a.PerBuyer)
		return err
	})
	if err != nil {
		return fmt.Errorf("allocate variant %d to session %d: %w", a.Variant, a.Session, err)
	}
	return nil
}

const lotColumns = `id, session_id, variant_id, price, currency, quantity, remaining, per_buyer_limit,
	hold_seconds, status, starts_at, ends_at, extended, post_message_id, taps,
	NOT coalesce((SELECT c.can_post FROM live_sessions s JOIN live_channels c ON c.chat_id = s.channel_id
		WHERE s.id = lots.session_id), true),
	mode, coalesce(draw_until, 'epoch'), drawn_at IS NOT NULL, coalesce(group_id, 0)`

func scanLot(row pgx.Row) (live.Lot, error) {
	var l live.Lot
	var hold int
	err := row.Scan(&l.ID, &l.Session, &l.Variant, &l.Price.Amount, &l.Price.Currency, &l.Quantity, &l.Remaining,
		&l.PerBuyer, &hold, &l.Status, &l.StartsAt, &l.EndsAt, &l.Extended, &l.Post, &l.Taps, &l.Paused,
		&l.Mode, &l.DrawUntil, &l.Drawn, &l.Group)
	l.DrawUntil = unepoch(l.DrawUntil)
	l.Hold = time.Duration(hold) * time.Second
	return l, err
}

// DropLots implements live.Store.
func (s *Store) DropLots(ctx context.Context, id live.SessionID, vs []core.VariantID, plan func(live.Session, live.Allocation) (live.Lot, error), now time.Time) ([]live.Lot, error) {
	var lots []live.Lot
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		lots = lots[:0]
		sess, err := scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM live_sessions WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return store.NotFound(err, live.ErrSessionNotFound)
		}
		var jobs []core.Job
		for _, v := range vs {
			a := live.Allocation{Session: id, Variant: v, Price: core.Money{Currency: sess.Currency}}
			err = tx.QueryRow(ctx, `
				SELECT price, quantity, per_buyer_limit, dropped FROM live_allocations
				WHERE session_id = $1 AND variant_id = $2 FOR UPDATE`, id, v).
				Scan(&a.Price.Amount, &a.Quantity, &a.PerBuyer, &a.Dropped)
			if err != nil {
				return store.NotFound(err, live.ErrNotAllocated)
			}
			planned, err := plan(sess, a)
			if err != nil {
				return err
			}
			var group *live.LotID
			if len(lots) > 0 {
				group = &lots[0].ID
			}
			lot, err := scanLot(tx.QueryRow(ctx, `
				INSERT INTO lots (session_id, variant_id, price, currency, quantity, remaining, per_buyer_limit,
					hold_seconds, status, starts_at, ends_at, created_at, mode, draw_until, group_id)
				VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
				RETURNING `+lotColumns,
				id, v, planned.Price.Amount, planned.Price.Currency, planned.Quantity, planned.PerBuyer,
				int(planned.Hold/time.Second), planned.Status, planned.StartsAt, planned.EndsAt, now,
				planned.Mode, nullTime(planned.DrawUntil), group))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE live_allocations SET dropped = dropped + $3 WHERE session_id = $1 AND variant_id = $2`,
				id, v, lot.Quantity); err != nil {
				return err
			}
			// The group's post is posted once, by its first lot's job.
			jobs = append(jobs, lotPostJob(lot.PostLot()), lotEndJob(lot))
			if lot.Mode == live.Draw {
				payload, _ := json.Marshal(live.LotPostJob{Lot: lot.ID})
				jobs = append(jobs, core.Job{Kind: live.JobDraw, Key: fmt.Sprintf("%s:%d", live.JobDraw, lot.ID),
					Payload: payload, RunAt: lot.DrawUntil})
			}
			lots = append(lots, lot)
		}
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return nil, fmt.Errorf("drop %d variants in session %d: %w", len(vs), id, err)
	}
	return lots, nil
}

// GroupLots implements live.Store.
func (s *Store) GroupLots(ctx context.Context, id live.LotID) ([]live.Lot, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+lotColumns+` FROM lots WHERE id = $1 OR group_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("lots of group %d: %w", id, err)
	}
	lots, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Lot, error) { return scanLot(r) })
	if err != nil {
		return nil, fmt.Errorf("lots of group %d: %w", id, err)
	}
	return lots, nil
}

func lotPostJob(id live.LotID) core.Job {
	payload, _ := json.Marshal(live.LotPostJob{Lot: id})
	return core.Job{Kind: live.JobLotPost, Key: fmt.Sprintf("%s:%d", live.JobLotPost, id), Payload: payload}
}

// claimJob is the job of a batch's new claims (at least one).
// lotEndJob brings a lot's post up to date at its end time; its key names the
// time, so an end moved (a lot ended early, extended) has a job of its own
// whatever became of the old one.
func lotEndJob(l live.Lot) core.Job {
	j := lotPostJob(l.ID)
	j.Key, j.RunAt = fmt.Sprintf("%s:end:%d", j.Key, l.EndsAt.Unix()), l.EndsAt
	return j
}

func claimJob(id live.LotID, claims []live.Claim) core.Job {
	taps := make([]string, len(claims))
	for i, c := range claims {
		taps[i] = c.Tap
	}
	payload, _ := json.Marshal(live.ClaimJob{Lot: id, Taps: taps})
	return core.Job{Kind: live.JobClaim, Key: fmt.Sprintf("%s:%d:%s", live.JobClaim, id, taps[0]), Payload: payload}
}

// Lot implements live.Store.
func (s *Store) Lot(ctx context.Context, id live.LotID) (live.Lot, error) {
	l, err := scanLot(s.pool.QueryRow(ctx, `SELECT `+lotColumns+` FROM lots WHERE id = $1`, id))
	if err != nil {
		return live.Lot{}, fmt.Errorf("lot %d: %w", id, store.NotFound(err, live.ErrLotNotFound))
	}
	return l, nil
}

// ClaimTaps implements live.Store. It holds the lot's lock for two round trips
// and the commit: the lot is locked and the claims read in one, the claims,
// the lot and the jobs written with the commit in the other.
func (s *Store) ClaimTaps(ctx context.Context, id live.LotID, taps []live.Tap,
	plan func(live.Lot, live.Standing) live.TapPlan) (live.TapPlan, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return live.TapPlan{}, err
	}
	// A connection released inside a transaction (an error below) is closed by
	// the pool, which rolls the transaction back.
	defer conn.Release()

	tapIDs := make([]string, len(taps))
	buyers := make([]int64, len(taps))
	for i, t := range taps {
		tapIDs[i], buyers[i] = t.ID, int64(t.Buyer)
	}
	read := &pgx.Batch{}
	read.Queue(`BEGIN`)
	// The buyers become users (an order names one) unless they are already:
	// before the lot's lock, which the rest of the batch waits for.
	names, usernames, langs := make([]string, len(taps)), make([]string, len(taps)), make([]string, len(taps))
	for i, t := range taps {
		names[i], usernames[i], langs[i] = t.FirstName, t.Username, t.Lang
	}
	read.Queue(`
		INSERT INTO users (id, first_name, username, telegram_lang)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])
		ON CONFLICT (id) DO NOTHING`, buyers, names, usernames, langs)
	// Strikes change only when a reservation runs out: read before the lock.
	// One index lookup per buyer (lot_claims_released), as for the claims below.
	read.Queue(`
		SELECT b.buyer, (SELECT count(*) FROM lot_claims c JOIN lots l ON l.id = c.lot_id
			WHERE c.buyer_id = b.buyer AND c.status = 'released' AND l.session_id = s.session_id)
		FROM (SELECT DISTINCT buyer FROM unnest($2::bigint[]) AS u(buyer)) b,
			(SELECT session_id FROM lots WHERE id = $1) s`, id, buyers)
	read.Queue(`SELECT `+lotColumns+` FROM lots WHERE id = $1 FOR UPDATE`, id)
	// One index lookup per tap and per buyer, whatever the statistics say: a
	// lot's claims grow by thousands a minute, faster than ANALYZE runs, and a
	// plan that reads them all makes every batch slower than the last.
	read.Queue(`
		SELECT c.id, c.buyer_id, c.tap_id, c.status, c.held_until, coalesce(c.order_id, 0)
		FROM unnest($2::text[]) AS t(tap)
		CROSS JOIN LATERAL (SELECT * FROM lot_claims WHERE lot_id = $1 AND tap_id = t.tap) c`, id, tapIDs)
	read.Queue(`
		SELECT b.buyer, (SELECT count(*) FROM lot_claims
			WHERE lot_id = $1 AND buyer_id = b.buyer AND status <> 'released')
		FROM (SELECT DISTINCT buyer FROM unnest($2::bigint[]) AS u(buyer)) b`, id, buyers)
	br := conn.SendBatch(ctx, read)
	for range 2 { // BEGIN, the users
		if _, err := br.Exec(); err != nil {
			br.Close()
			return live.TapPlan{}, err
		}
	}
	strikes, err := readCounts(br)
	if err != nil {
		br.Close()
		return live.TapPlan{}, err
	}
	lot, err := scanLot(br.QueryRow())
	if errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		_, err := conn.Exec(ctx, `ROLLBACK`)
		return noLot(taps), err
	}
	if err != nil {
		br.Close()
		return live.TapPlan{}, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return live.TapPlan{}, err
	}
	known := map[string]live.Claim{}
	for rows.Next() {
		c := live.Claim{Lot: id}
		if err := rows.Scan(&c.ID, &c.Buyer, &c.Tap, &c.Status, &c.HeldUntil, &c.Order); err != nil {
			rows.Close()
			br.Close()
			return live.TapPlan{}, err
		}
		known[c.Tap] = c
	}
	rows.Close()
	held, err := readCounts(br)
	if err != nil {
		br.Close()
		return live.TapPlan{}, err
	}
	if err := br.Close(); err != nil {
		return live.TapPlan{}, err
	}

	p := plan(lot, live.Standing{Held: held, Strikes: strikes, Known: known})
	write := &pgx.Batch{}
	if len(p.New) > 0 {
		newBuyers := make([]int64, len(p.New))
		newTaps := make([]string, len(p.New))
		until := make([]time.Time, len(p.New))
		for i, c := range p.New {
			newBuyers[i], newTaps[i], until[i] = int64(c.Buyer), c.Tap, c.HeldUntil
		}
		write.Queue(`
			INSERT INTO lot_claims (lot_id, buyer_id, tap_id, status, held_until, created_at)
			SELECT $1, b, t, 'held', h, h - $5::bigint * interval '1 microsecond'
			FROM unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS x(b, t, h)`,
			id, newBuyers, newTaps, until, lot.Hold.Microseconds())
		store.QueueJobs(write, []core.Job{claimJob(id, p.New), lotPostJob(id)})
	}
	if len(p.Entries) > 0 {
		entrants := make([]int64, len(p.Entries))
		entryTaps := make([]string, len(p.Entries))
		for i, t := range p.Entries {
			entrants[i], entryTaps[i] = int64(t.Buyer), t.ID
		}
		write.Queue(`
			INSERT INTO lot_entries (lot_id, buyer_id, tap_id, created_at)
			SELECT $1, b, t, now() FROM unnest($2::bigint[], $3::text[]) AS x(b, t)
			ON CONFLICT (lot_id, buyer_id) DO NOTHING`, id, entrants, entryTaps)
	}
	// Unique tappers, for the report: in the order of their ids, so that two
	// batches never wait for each other's rows crosswise.
	write.Queue(`
		INSERT INTO lot_tappers (lot_id, user_id)
		SELECT DISTINCT $1::bigint, b FROM unnest($2::bigint[]) AS u(b) ORDER BY 2
		ON CONFLICT DO NOTHING`, id, buyers)
	write.Queue(`UPDATE lots SET remaining = $2, taps = taps + $3 WHERE id = $1`, id, p.Remaining, len(taps))
	write.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, write).Close(); err != nil {
		return live.TapPlan{}, err
	}
	return p, nil
}

// readCounts reads the next result of br: a count per buyer.
func readCounts(br pgx.BatchResults) (map[core.UserID]int, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	counts := map[core.UserID]int{}
	for rows.Next() {
		var buyer core.UserID
		var n int
		if err := rows.Scan(&buyer, &n); err != nil {
			rows.Close()
			return nil, err
		}
		counts[buyer] = n
	}
	rows.Close()
	return counts, rows.Err()
}

// noLot answers every tap of a lot that does not exist.
func noLot(taps []live.Tap) live.TapPlan {
	p := live.TapPlan{Results: make([]live.TapResult, len(taps))}
	for i := range p.Results {
		p.Results[i].Outcome = live.TapNoLot
	}
	return p
}

// ReleaseClaim implements live.Store.
func (s *Store) ReleaseClaim(ctx context.Context, id live.LotID, tap string, now time.Time) (bool, error) {
	released, err := s.release(ctx, id, now, `tap_id = $2 AND held_until <= $3 AND order_id IS NULL`, tap, now)
	if err != nil {
		return false, fmt.Errorf("release claim %s of lot %d: %w", tap, id, err)
	}
	return released, nil
}

// CallOffClaim implements live.Store.
func (s *Store) CallOffClaim(ctx context.Context, id live.LotID, tap string, now time.Time) (bool, error) {
	released, err := s.release(ctx, id, now, `tap_id = $2 AND order_id IS NULL`, tap)
	if err != nil {
		return false, fmt.Errorf("call off claim %s of lot %d: %w", tap, id, err)
	}
	return released, nil
}

// SessionOrders implements live.Store.
func (s *Store) SessionOrders(ctx context.Context, id live.SessionID, after core.OrderID, limit int) ([]core.OrderID, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT o.id FROM orders o JOIN lots l ON l.id = o.lot_id
		WHERE l.session_id = $1 AND o.id > $2 AND o.status IN ('awaiting_payment', 'paid')
		ORDER BY o.id LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("orders of session %d: %w", id, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[core.OrderID])
	if err != nil {
		return nil, fmt.Errorf("orders of session %d: %w", id, err)
	}
	return ids, nil
}

// release releases the held claims of a lot that cond picks (args from $2), with
// the lot locked, and gives their units back (giveBack).
func (s *Store) release(ctx context.Context, id live.LotID, now time.Time, cond string, args ...any) (bool, error) {
	var released bool
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM lots WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE lot_claims SET status = 'released'
			WHERE lot_id = $1 AND status = 'held' AND `+cond, append([]any{id}, args...)...)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		released = true
		return giveBack(ctx, tx, id, int(tag.RowsAffected()), now)
	})
	return released, err
}

// Claim implements live.Store.
func (s *Store) Claim(ctx context.Context, id live.LotID, tap string) (live.Claim, error) {
	c := live.Claim{Lot: id, Tap: tap}
	err := s.pool.QueryRow(ctx, `
		SELECT id, buyer_id, status, held_until, coalesce(order_id, 0) FROM lot_claims
		WHERE lot_id = $1 AND tap_id = $2`, id, tap).Scan(&c.ID, &c.Buyer, &c.Status, &c.HeldUntil, &c.Order)
	if err != nil {
		return live.Claim{}, fmt.Errorf("claim %s of lot %d: %w", tap, id, store.NotFound(err, live.ErrClaimNotFound))
	}
	return c, nil
}

// SetClaimOrder implements live.Store.
func (s *Store) SetClaimOrder(ctx context.Context, id live.LotID, tap string, order core.OrderID) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE lot_claims SET order_id = $3
		WHERE lot_id = $1 AND tap_id = $2 AND (order_id = $3 OR order_id IS NULL AND status = 'held')`, id, tap, order)
	if err != nil {
		return false, fmt.Errorf("claim %s of lot %d: record order %d: %w", tap, id, order, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseOrder implements live.Store.
func (s *Store) ReleaseOrder(ctx context.Context, id live.LotID, order core.OrderID, now time.Time) (bool, error) {
	released, err := s.release(ctx, id, now, `order_id = $2`, order)
	if err != nil {
		return false, fmt.Errorf("release order %d of lot %d: %w", order, id, err)
	}
	return released, nil
}

// SetLotPost implements live.Store.
func (s *Store) SetLotPost(ctx context.Context, id live.LotID, messageID int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE lots SET post_message_id = $2 WHERE id = $1 AND post_message_id = 0`, id, messageID)
	if err != nil {
		return fmt.Errorf("lot %d: record its post: %w", id, err)
	}
	return nil
}

// BuyerClaims implements live.Store.
func (s *Store) BuyerClaims(ctx context.Context, id live.LotID, buyer core.UserID) ([]live.Claim, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, tap_id, status, held_until, coalesce(order_id, 0) FROM lot_claims
		WHERE lot_id = $1 AND buyer_id = $2 ORDER BY id`, id, buyer)
	if err != nil {
		return nil, fmt.Errorf("claims of %d on lot %d: %w", buyer, id, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Claim, error) {
		c := live.Claim{Lot: id, Buyer: buyer}
		return c, r.Scan(&c.ID, &c.Tap, &c.Status, &c.HeldUntil, &c.Order)
	})
}

// ChannelSessions implements live.Store.
func (s *Store) ChannelSessions(ctx context.Context, chat int64, status live.SessionStatus, from, to time.Time) ([]live.Session, error) {
	out, err := s.sessions(ctx, `WHERE channel_id = $1 AND status = $2 AND starts_at >= $3 AND starts_at < $4
		ORDER BY starts_at, id`, chat, status, from, to)
	if err != nil {
		return nil, fmt.Errorf("sessions of channel %d: %w", chat, err)
	}
	return out, nil
}

// sessions lists the sessions that cond (a WHERE clause and what follows) picks.
func (s *Store) sessions(ctx context.Context, cond string, args ...any) ([]live.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM live_sessions `+cond, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Session, error) { return scanSession(r) })
}

// giveBack returns n released units of a lot (locked by the caller): to the
// lot while its session runs (its post shows them), else to the shop's stock,
// which the ended session no longer holds them for.
func giveBack(ctx context.Context, tx pgx.Tx, id live.LotID, n int, at time.Time) error {
	var sessionID live.SessionID
	var status live.SessionStatus
	var variant core.VariantID
	var lotStatus live.LotStatus
	var endsAt time.Time
	var hold, perBuyer int
	err := tx.QueryRow(ctx, `
		SELECT s.id, s.status, l.variant_id, l.status, l.ends_at, l.hold_seconds, l.per_buyer_limit
		FROM lots l JOIN live_sessions s ON s.id = l.session_id
		WHERE l.id = $1`, id).Scan(&sessionID, &status, &variant, &lotStatus, &endsAt, &hold, &perBuyer)
	if err != nil {
		return err
	}
	if status == live.SessionEnded || status == live.SessionCancelled {
		return returnStock(ctx, tx, sessionID, variant, n, 0, at)
	}
	jobs := []core.Job{lotPostJob(id)}
	if lotStatus == live.LotOpen && at.Before(endsAt) {
		// The waiting list first: each unit to the next who may still take one.
		var served []live.Claim
		for range n {
			var user core.UserID
			err := tx.QueryRow(ctx, `
				SELECT w.user_id FROM lot_waitlist w
				WHERE w.lot_id = $1 AND w.served_at IS NULL AND w.left_at IS NULL
					AND (SELECT count(*) FROM lot_claims c
						WHERE c.lot_id = $1 AND c.buyer_id = w.user_id AND c.status <> 'released') < $2
				ORDER BY w.joined_at, w.user_id LIMIT 1`, id, perBuyer).Scan(&user)
			if errors.Is(err, pgx.ErrNoRows) {
				break
			}
			if err != nil {
				return err
			}
			c := live.Claim{Lot: id, Buyer: user, Tap: fmt.Sprintf("wait:%d:%d", user, at.UnixNano()),
				Status: live.ClaimHeld, HeldUntil: at.Add(time.Duration(hold) * time.Second)}
			if _, err := tx.Exec(ctx, `
				INSERT INTO lot_claims (lot_id, buyer_id, tap_id, status, held_until, created_at)
				VALUES ($1, $2, $3, 'held', $4, $5)`, id, user, c.Tap, c.HeldUntil, at); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE lot_waitlist SET served_at = $3 WHERE lot_id = $1 AND user_id = $2`, id, user, at); err != nil {
				return err
			}
			served = append(served, c)
		}
		if len(served) > 0 {
			jobs = append(jobs, claimJob(id, served))
		}
		n -= len(served)
	}
	if n > 0 {
		if _, err := tx.Exec(ctx, `UPDATE lots SET remaining = remaining + $2 WHERE id = $1`, id, n); err != nil {
			return err
		}
	}
	return store.InsertJobs(ctx, tx, jobs)
}

// JoinWaitlist implements live.Store.
func (s *Store) JoinWaitlist(ctx context.Context, id live.LotID, user core.UserID, now time.Time) (int, error) {
	var served bool
	err := s.pool.QueryRow(ctx, `
		INSERT INTO lot_waitlist (lot_id, user_id, joined_at) VALUES ($1, $2, $3)
		ON CONFLICT (lot_id, user_id) DO UPDATE SET left_at = NULL, joined_at = CASE
			WHEN lot_waitlist.left_at IS NOT NULL THEN excluded.joined_at ELSE lot_waitlist.joined_at END
		RETURNING served_at IS NOT NULL`, id, user, now).Scan(&served)
	if err != nil {
		return 0, fmt.Errorf("join the waiting list of lot %d: %w", id, err)
	}
	if served {
		return 0, nil
	}
	var place int
	err = s.pool.QueryRow(ctx, `
		SELECT count(*) FROM lot_waitlist w, lot_waitlist me
		WHERE me.lot_id = $1 AND me.user_id = $2 AND w.lot_id = $1 AND w.served_at IS NULL AND w.left_at IS NULL
			AND (w.joined_at, w.user_id) <= (me.joined_at, me.user_id)`, id, user).Scan(&place)
	return place, err
}

// LeaveWaitlist implements live.Store.
func (s *Store) LeaveWaitlist(ctx context.Context, id live.LotID, user core.UserID, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE lot_waitlist SET left_at = $3 WHERE lot_id = $1 AND user_id = $2 AND served_at IS NULL`, id, user, now)
	return err
}

// returnStock gives n units a session held of a variant back to the shop's
// stock, with a release movement by actor (0: the system).
func returnStock(ctx context.Context, tx pgx.Tx, id live.SessionID, v core.VariantID, n int, actor core.UserID, at time.Time) error {
	if n <= 0 {
		return nil
	}
	var onHand, reserved int
	if err := tx.QueryRow(ctx, `
		UPDATE variants SET reserved = reserved - $2 WHERE id = $1
		RETURNING on_hand, reserved`, v, n).Scan(&onHand, &reserved); err != nil {
		return fmt.Errorf("return %d of variant %d: %w", n, v, err)
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO stock_movements (variant_id, kind, on_hand_before, on_hand_after, reserved_before,
			reserved_after, actor_id, note, created_at)
		VALUES ($1, 'release', $2, $2, $3, $4, nullif($5, 0), $6, $7)`,
		v, onHand, reserved+n, reserved, actor, fmt.Sprintf("live session %d", id), at)
	return err
}

// EndSession implements live.Store.
func (s *Store) EndSession(ctx context.Context, id live.SessionID, actor core.UserID, fn func(*live.Session) error) (live.Session, error) {
	var sess live.Session
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		sess, err = scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM live_sessions WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return store.NotFound(err, live.ErrSessionNotFound)
		}
		was := sess.Status
		if err := fn(&sess); err != nil {
			return err
		}
		if was == sess.Status || (sess.Status != live.SessionEnded && sess.Status != live.SessionCancelled) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE live_sessions SET status = $2, ended_at = $3 WHERE id = $1`,
			id, sess.Status, nullTime(sess.EndedAt)); err != nil {
			return err
		}
		// The lots' locks first, in a statement of their own: a batch of taps
		// holding one commits before this goes on, and the next statement's
		// snapshot counts what it took (one statement would wait for the lock
		// but sum the lots as they were when it began).
		if _, err := tx.Exec(ctx, `SELECT id FROM lots WHERE session_id = $1 ORDER BY id FOR UPDATE`, id); err != nil {
			return err
		}
		// The lots end (a cancelled session's are cancelled: nothing of them
		// is sold); what they hold unclaimed, and what no lot took, goes back.
		ended := "ended"
		if sess.Status == live.SessionCancelled {
			ended = "cancelled"
		}
		rows, err := tx.Query(ctx, `
			WITH ended AS (
				UPDATE lots SET status = CASE WHEN status = 'open' THEN $2 ELSE status END, remaining = 0
				WHERE session_id = $1
				RETURNING id, variant_id
			)
			SELECT a.variant_id, a.quantity - a.dropped + coalesce((
				SELECT sum(l.remaining) FROM lots l WHERE l.session_id = $1 AND l.variant_id = a.variant_id), 0),
				coalesce((SELECT array_agg(id) FROM ended e WHERE e.variant_id = a.variant_id), '{}')
			FROM live_allocations a WHERE a.session_id = $1 AND a.returned_at IS NULL`, id, ended)
		if err != nil {
			return err
		}
		type back struct {
			v    core.VariantID
			n    int
			lots []int64
		}
		var backs []back
		for rows.Next() {
			var b back
			if err := rows.Scan(&b.v, &b.n, &b.lots); err != nil {
				rows.Close()
				return err
			}
			backs = append(backs, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var jobs []core.Job
		for _, b := range backs {
			if err := returnStock(ctx, tx, id, b.v, b.n, actor, sess.EndedAt); err != nil {
				return err
			}
			for _, l := range b.lots {
				jobs = append(jobs, lotPostJob(live.LotID(l)))
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE live_allocations SET returned_at = $2 WHERE session_id = $1`, id, sess.EndedAt); err != nil {
			return err
		}
		if sess.Status == live.SessionCancelled {
			payload, _ := json.Marshal(live.SessionJob{Session: id})
			jobs = append(jobs, core.Job{Kind: live.JobCancelled, Key: fmt.Sprintf("%s:%d", live.JobCancelled, id), Payload: payload})
			if was == live.SessionLive {
				jobs = append(jobs, core.Job{Kind: live.JobCallOff, Key: fmt.Sprintf("%s:%d", live.JobCallOff, id), Payload: payload})
			}
		}
		if sess.Status == live.SessionEnded {
			payload, _ := json.Marshal(live.SessionJob{Session: id})
			// A quarter of an hour later: the reservations made at the end are
			// paid or gone by then, and the report counts them.
			jobs = append(jobs, core.Job{Kind: live.JobReport, Key: fmt.Sprintf("%s:%d", live.JobReport, id),
				Payload: payload, RunAt: sess.EndedAt.Add(live.ReportAfter)})
		}
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return live.Session{}, fmt.Errorf("end session %d: %w", id, err)
	}
	return sess, nil
}

// KOLSessions implements live.Store.
func (s *Store) KOLSessions(ctx context.Context, kol core.UserID, limit int) ([]live.Session, error) {
	out, err := s.sessions(ctx, `WHERE kol_id = $1 ORDER BY starts_at DESC, id DESC LIMIT $2`, kol, limit)
	if err != nil {
		return nil, fmt.Errorf("sessions of KOL %d: %w", kol, err)
	}
	return out, nil
}

// SessionLots implements live.Store.
func (s *Store) SessionLots(ctx context.Context, id live.SessionID) ([]live.Lot, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+lotColumns+` FROM lots WHERE session_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("lots of session %d: %w", id, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Lot, error) { return scanLot(r) })
}

// ShopLinks implements live.Store.
func (s *Store) ShopLinks(ctx context.Context, id core.ShopID) ([]live.Link, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT kol_id, commission_bp, created_at FROM kol_links
		WHERE shop_id = $1 AND ended_at IS NULL ORDER BY created_at, kol_id`, id)
	if err != nil {
		return nil, fmt.Errorf("KOLs of shop %d: %w", id, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Link, error) {
		l := live.Link{Shop: id}
		return l, r.Scan(&l.KOL, &l.Commission, &l.Since)
	})
}

// ShopSessions implements live.Store.
func (s *Store) ShopSessions(ctx context.Context, id core.ShopID, limit int) ([]live.Session, error) {
	out, err := s.sessions(ctx, `WHERE shop_id = $1 ORDER BY starts_at DESC, id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("sessions of shop %d: %w", id, err)
	}
	return out, nil
}

// Channels implements live.Store.
func (s *Store) Channels(ctx context.Context, kol core.UserID) ([]live.Channel, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT chat_id, title, username, can_post FROM live_channels WHERE kol_id = $1 ORDER BY connected_at, chat_id`, kol)
	if err != nil {
		return nil, fmt.Errorf("channels of KOL %d: %w", kol, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Channel, error) {
		c := live.Channel{KOL: kol}
		return c, r.Scan(&c.Chat, &c.Title, &c.Username, &c.CanPost)
	})
}

// paidStatuses are the statuses of an order whose money is kept: its KOL's
// commission counts (a refund or a cancellation after payment takes it back).
var paidStatuses = []string{"paid", "shipped", "ready_for_pickup", "completed"}

// earningsSQL computes the earnings by shop, KOL and currency from the paid
// orders of lots and the payouts; $1 a shop or 0, $2 a KOL or 0, $3 the paid
// statuses, $4 a currency or ”.
const earningsSQL = `
	WITH paid AS (
		SELECT s.shop_id, s.kol_id, o.currency, o.items_total,
			(o.items_total * s.commission_bp) / 10000 AS commission
		FROM orders o JOIN lots l ON l.id = o.lot_id JOIN live_sessions s ON s.id = l.session_id
		WHERE o.status = ANY($3::text[]) AND ($1::bigint = 0 OR s.shop_id = $1::bigint)
			AND ($2::bigint = 0 OR s.kol_id = $2::bigint) AND ($4::text = '' OR o.currency = $4::text)
	), acc AS (
		SELECT shop_id, kol_id, currency, count(*) AS orders, sum(items_total) AS revenue, sum(commission) AS accrued
		FROM paid GROUP BY shop_id, kol_id, currency
	), payouts AS (
		SELECT shop_id, kol_id, currency, sum(amount) AS paid_out FROM kol_payouts
		WHERE ($1::bigint = 0 OR shop_id = $1::bigint) AND ($2::bigint = 0 OR kol_id = $2::bigint)
			AND ($4::text = '' OR currency = $4::text)
		GROUP BY shop_id, kol_id, currency
	)
	SELECT shop_id, kol_id, currency, coalesce(orders, 0), coalesce(revenue, 0)::bigint,
		coalesce(accrued, 0)::bigint, coalesce(paid_out, 0)::bigint
	FROM acc FULL JOIN payouts USING (shop_id, kol_id, currency)
	ORDER BY shop_id, kol_id, currency`

func earnings(ctx context.Context, q store.Querier, id core.ShopID, kol core.UserID, cur core.Currency) ([]live.Earning, error) {
	rows, err := q.Query(ctx, earningsSQL, id, kol, paidStatuses, string(cur))
	if err != nil {
		return nil, fmt.Errorf("earnings: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.Earning, error) {
		var e live.Earning
		err := r.Scan(&e.Shop, &e.KOL, &e.Currency, &e.Orders, &e.Revenue.Amount, &e.Accrued.Amount, &e.PaidOut.Amount)
		e.Revenue.Currency, e.Accrued.Currency, e.PaidOut.Currency = e.Currency, e.Currency, e.Currency
		return e, err
	})
}

// Earnings implements live.Store.
func (s *Store) Earnings(ctx context.Context, id core.ShopID, kol core.UserID) ([]live.Earning, error) {
	return earnings(ctx, s.pool, id, kol, "")
}

// SessionEarnings implements live.Store.
func (s *Store) SessionEarnings(ctx context.Context, kol core.UserID, limit int) ([]live.SessionEarning, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+sessionColumns+`, e.orders, e.revenue, e.accrued
		FROM live_sessions, LATERAL (
			SELECT count(o.id) AS orders, coalesce(sum(o.items_total), 0)::bigint AS revenue,
				coalesce(sum((o.items_total * live_sessions.commission_bp) / 10000), 0)::bigint AS accrued
			FROM lots l JOIN orders o ON o.lot_id = l.id AND o.status = ANY($3)
			WHERE l.session_id = live_sessions.id) e
		WHERE kol_id = $1 ORDER BY starts_at DESC, id DESC LIMIT $2`, kol, limit, paidStatuses)
	if err != nil {
		return nil, fmt.Errorf("session earnings of KOL %d: %w", kol, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (live.SessionEarning, error) {
		var e live.SessionEarning
		var err error
		e.Session, err = scanSession(r, &e.Orders, &e.Revenue.Amount, &e.Accrued.Amount)
		e.Currency = e.Session.Currency
		e.Revenue.Currency, e.Accrued.Currency = e.Currency, e.Currency
		return e, err
	})
}

// RecordPayout implements live.Store.
func (s *Store) RecordPayout(ctx context.Context, id core.ShopID, kol core.UserID, amount core.Money, by core.UserID, at time.Time, check func(live.Earning) error) (live.Earning, error) {
	var out live.Earning
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// One payout of a link at a time: the check sees the last one.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM kol_links WHERE shop_id = $1 AND kol_id = $2 FOR UPDATE`, id, kol); err != nil {
			return err
		}
		es, err := earnings(ctx, tx, id, kol, amount.Currency)
		if err != nil {
			return err
		}
		e := live.Earning{Shop: id, KOL: kol, Currency: amount.Currency,
			Revenue: core.Money{Currency: amount.Currency}, Accrued: core.Money{Currency: amount.Currency}, PaidOut: core.Money{Currency: amount.Currency}}
		if len(es) == 1 {
			e = es[0]
		}
		if err := check(e); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO kol_payouts (shop_id, kol_id, currency, amount, paid_by, paid_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, kol, amount.Currency, amount.Amount, by, at); err != nil {
			return err
		}
		e.PaidOut.Amount += amount.Amount
		out = e
		return nil
	})
	return out, err
}

// SessionReport implements live.Store.
func (s *Store) SessionReport(ctx context.Context, id live.SessionID) (live.Report, error) {
	sess, _, err := s.Session(ctx, id)
	if err != nil {
		return live.Report{}, err
	}
	r := live.Report{Session: sess, Revenue: core.Money{Currency: sess.Currency}, Commission: core.Money{Currency: sess.Currency}}
	lots, err := s.SessionLots(ctx, id)
	if err != nil {
		return live.Report{}, err
	}
	err = s.pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM live_rsvps WHERE session_id = $1 AND cancelled_at IS NULL),
			(SELECT coalesce(sum(taps), 0)::bigint FROM lots WHERE session_id = $1),
			(SELECT count(DISTINCT t.user_id) FROM lot_tappers t JOIN lots l ON l.id = t.lot_id WHERE l.session_id = $1),
			(SELECT count(DISTINCT c.buyer_id) FROM lot_claims c JOIN lots l ON l.id = c.lot_id WHERE l.session_id = $1),
			(SELECT count(*) FROM lot_claims c JOIN lots l ON l.id = c.lot_id WHERE l.session_id = $1),
			count(o.id), coalesce(sum(o.items_total), 0)::bigint,
			coalesce(sum((o.items_total * s.commission_bp) / 10000), 0)::bigint
		FROM live_sessions s
		LEFT JOIN lots l ON l.session_id = s.id
		LEFT JOIN orders o ON o.lot_id = l.id AND o.status = ANY($2)
		WHERE s.id = $1`, id, paidStatuses).
		Scan(&r.RSVPs, &r.Taps, &r.Tappers, &r.Buyers, &r.Reservations, &r.PaidOrders, &r.Revenue.Amount, &r.Commission.Amount)
	if err != nil {
		return live.Report{}, fmt.Errorf("report of session %d: %w", id, err)
	}
	for _, l := range lots {
		lr := live.LotReport{Lot: l}
		var soldOut *int64
		err := s.pool.QueryRow(ctx, `
			SELECT (SELECT count(*) FROM lot_claims WHERE lot_id = $1),
				(SELECT count(*) FROM orders WHERE lot_id = $1 AND status = ANY($3)),
				(SELECT (extract(epoch FROM c.created_at - l.starts_at) * 1000000)::bigint FROM lot_claims c
					WHERE c.lot_id = $1 ORDER BY c.created_at, c.id OFFSET $2 - 1 LIMIT 1)
			FROM lots l WHERE l.id = $1`, l.ID, l.Quantity, paidStatuses).
			Scan(&lr.Reservations, &lr.PaidOrders, &soldOut)
		if err != nil {
			return live.Report{}, fmt.Errorf("report of lot %d: %w", l.ID, err)
		}
		if soldOut != nil {
			lr.SoldOut, lr.SoldOutAfter = true, time.Duration(*soldOut)*time.Microsecond
		}
		rows, err := s.pool.Query(ctx, `
			SELECT floor(extract(epoch FROM c.created_at - l.starts_at) / 60)::int, count(*)
			FROM lot_claims c JOIN lots l ON l.id = c.lot_id
			WHERE c.lot_id = $1 AND c.created_at >= l.starts_at
			GROUP BY 1 ORDER BY 1`, l.ID)
		if err != nil {
			return live.Report{}, err
		}
		for rows.Next() {
			var minute, n int
			if err := rows.Scan(&minute, &n); err != nil {
				rows.Close()
				return live.Report{}, err
			}
			for len(lr.PerMinute) <= minute {
				lr.PerMinute = append(lr.PerMinute, 0)
			}
			lr.PerMinute[minute] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return live.Report{}, err
		}
		r.Lots = append(r.Lots, lr)
	}
	return r, nil
}

// MarkReported implements live.Store.
func (s *Store) MarkReported(ctx context.Context, id live.SessionID, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE live_sessions SET reported_at = $2 WHERE id = $1 AND reported_at IS NULL`, id, at)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// UpdateLot implements live.Store.
func (s *Store) UpdateLot(ctx context.Context, id live.LotID, fn func(*live.Lot, live.Session) error) (live.Lot, error) {
	var l live.Lot
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		l, err = scanLot(tx.QueryRow(ctx, `SELECT `+lotColumns+` FROM lots WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return store.NotFound(err, live.ErrLotNotFound)
		}
		sess, err := scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM live_sessions WHERE id = $1`, l.Session))
		if err != nil {
			return err
		}
		was := l
		if err := fn(&l, sess); err != nil {
			return err
		}
		if l.Status == was.Status && l.EndsAt.Equal(was.EndsAt) && l.Extended == was.Extended {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE lots SET status = $2, ends_at = $3, extended = $4 WHERE id = $1`,
			id, l.Status, l.EndsAt, l.Extended); err != nil {
			return err
		}
		end := lotEndJob(l)
		return store.InsertJobs(ctx, tx, []core.Job{lotPostJob(id), end})
	})
	if err != nil {
		return live.Lot{}, fmt.Errorf("update lot %d: %w", id, err)
	}
	return l, nil
}

// DrawLot implements live.Store.
func (s *Store) DrawLot(ctx context.Context, id live.LotID, now time.Time, pick func(entrants []core.UserID, units int) (winners, rest []core.UserID)) (bool, error) {
	drawn := false
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		l, err := scanLot(tx.QueryRow(ctx, `SELECT `+lotColumns+` FROM lots WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return store.NotFound(err, live.ErrLotNotFound)
		}
		if l.Mode != live.Draw || l.Drawn {
			drawn = true // nothing to draw, or drawn already
			return nil
		}
		if now.Before(l.DrawUntil) {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT buyer_id, tap_id FROM lot_entries WHERE lot_id = $1 ORDER BY created_at, buyer_id`, id)
		if err != nil {
			return err
		}
		taps := map[core.UserID]string{}
		var entrants []core.UserID
		for rows.Next() {
			var b core.UserID
			var tap string
			if err := rows.Scan(&b, &tap); err != nil {
				rows.Close()
				return err
			}
			taps[b] = tap
			entrants = append(entrants, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		winners, rest := pick(entrants, l.Remaining)
		var claims []live.Claim
		for _, w := range winners {
			c := live.Claim{Lot: id, Buyer: w, Tap: taps[w], Status: live.ClaimHeld, HeldUntil: now.Add(l.Hold)}
			if _, err := tx.Exec(ctx, `
				INSERT INTO lot_claims (lot_id, buyer_id, tap_id, status, held_until, created_at)
				VALUES ($1, $2, $3, 'held', $4, $5)`, id, w, c.Tap, c.HeldUntil, now); err != nil {
				return err
			}
			claims = append(claims, c)
		}
		for i, r := range rest {
			// The others wait, in the drawn order.
			if _, err := tx.Exec(ctx, `
				INSERT INTO lot_waitlist (lot_id, user_id, joined_at) VALUES ($1, $2, $3)
				ON CONFLICT (lot_id, user_id) DO NOTHING`, id, r, now.Add(time.Duration(i)*time.Microsecond)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE lots SET drawn_at = $2, remaining = remaining - $3 WHERE id = $1`,
			id, now, len(claims)); err != nil {
			return err
		}
		jobs := []core.Job{lotPostJob(id)}
		if len(claims) > 0 {
			jobs = append(jobs, claimJob(id, claims))
		}
		drawn = true
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return false, fmt.Errorf("draw lot %d: %w", id, err)
	}
	return drawn, nil
}
