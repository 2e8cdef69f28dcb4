-- +goose Up
-- Pay to join: a participant pays their place when joining, at the tier
-- price their join reached (join_price), with an order of its own. At STOP a
-- place whose final share is less than it paid is settled: a Stars payment is
-- refunded whole and the final share invoiced as a new order (order_id; the
-- first one kept in join_order_id); a card payment's difference is owed back
-- (owed), refunded at the provider by the shop's staff, who record when
-- (owed_returned_at).
ALTER TABLE group_buy_places ADD COLUMN join_price bigint CHECK (join_price > 0);
-- Each join (a change of an unpaid place is one) counts, naming its order.
ALTER TABLE group_buy_places ADD COLUMN join_seq integer NOT NULL DEFAULT 0;
ALTER TABLE group_buy_places ADD COLUMN join_order_id bigint REFERENCES orders (id);
ALTER TABLE group_buy_places ADD COLUMN owed bigint CHECK (owed > 0);
ALTER TABLE group_buy_places ADD COLUMN owed_returned_at timestamptz;

-- +goose Down
ALTER TABLE group_buy_places DROP COLUMN owed_returned_at;
ALTER TABLE group_buy_places DROP COLUMN owed;
ALTER TABLE group_buy_places DROP COLUMN join_order_id;
ALTER TABLE group_buy_places DROP COLUMN join_seq;
ALTER TABLE group_buy_places DROP COLUMN join_price;
