-- +goose Up
-- Whether a group buy has public cards to keep up to date: a join of one that
-- has none writes no card job (core/groupbuy, cards.go).
ALTER TABLE group_buys ADD COLUMN cards boolean NOT NULL DEFAULT false;
UPDATE group_buys g SET cards = true WHERE EXISTS (SELECT 1 FROM group_buy_cards c WHERE c.purchase_id = g.id);

-- +goose Down
ALTER TABLE group_buys DROP COLUMN cards;
