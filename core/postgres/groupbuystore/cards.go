package groupbuystore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/postgres/internal/store"
)

const cardColumns = `id, purchase_id, coalesce(chat_id, 0), coalesce(message_id, 0), coalesce(inline_message_id, ''), lang, photo, created_at`

func scanCard(row pgx.Row) (groupbuy.Card, error) {
	var c groupbuy.Card
	err := row.Scan(&c.ID, &c.Purchase, &c.Chat, &c.Message, &c.Inline, &c.Lang, &c.Photo, &c.CreatedAt)
	return c, err
}

// AddCard implements groupbuy.Store.
func (s *Store) AddCard(ctx context.Context, c groupbuy.Card, jobs []core.Job) (groupbuy.Card, error) {
	var chat, msg *int64
	var inline *string
	if c.Inline != "" {
		inline = &c.Inline
	} else {
		chat, msg = &c.Chat, &c.Message
	}
	var got groupbuy.Card
	err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// The purchase is marked as having cards: a join after this commits
		// writes the card job (core/groupbuy: Purchase.Cards).
		if _, err := tx.Exec(ctx, `UPDATE group_buys SET cards = true WHERE id = $1 AND NOT cards`, c.Purchase); err != nil {
			return err
		}
		var err error
		got, err = s.addCard(ctx, tx, c, chat, msg, inline)
		if err != nil {
			return err
		}
		return store.InsertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return groupbuy.Card{}, fmt.Errorf("card of group buy %d: %w", c.Purchase, err)
	}
	return got, nil
}

// addCard records a card, or returns the one recorded of the same message.
func (s *Store) addCard(ctx context.Context, tx pgx.Tx, c groupbuy.Card, chat, msg *int64, inline *string) (groupbuy.Card, error) {
	// The same card again (a chosen result redelivered) keeps the first.
	return scanCard(tx.QueryRow(ctx, `
		WITH added AS (
			INSERT INTO group_buy_cards (purchase_id, chat_id, message_id, inline_message_id, lang, photo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT DO NOTHING
			RETURNING `+cardColumns+`)
		SELECT * FROM added
		UNION ALL
		SELECT `+cardColumns+` FROM group_buy_cards
		WHERE purchase_id = $1 AND (inline_message_id = $4 OR chat_id = $2 AND message_id = $3) AND NOT EXISTS (SELECT 1 FROM added)`,
		c.Purchase, chat, msg, inline, c.Lang, c.Photo, c.CreatedAt))
}

// Cards implements groupbuy.Store.
func (s *Store) Cards(ctx context.Context, id groupbuy.ID, limit int) ([]groupbuy.Card, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+cardColumns+` FROM group_buy_cards WHERE purchase_id = $1 ORDER BY id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("cards of group buy %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupbuy.Card, error) { return scanCard(r) })
	if err != nil {
		return nil, fmt.Errorf("cards of group buy %d: %w", id, err)
	}
	return out, nil
}
