-- +goose Up
-- At STOP each place's share is fixed (core/groupbuy.Bill): its goods at the
-- final price and its part of the organizer's fee, split so that the parts add
-- up to the fee exactly; then the order each place is paid with. A purchase of
-- full size rows takes only what fills whole rows: a place beyond them is cut
-- (its quantity trimmed, or the whole place: status 'cut').
ALTER TABLE group_buy_places DROP CONSTRAINT group_buy_places_status_check;
ALTER TABLE group_buy_places ADD CONSTRAINT group_buy_places_status_check CHECK (status IN ('joined', 'left', 'cut'));
ALTER TABLE group_buy_places ADD COLUMN cut integer NOT NULL DEFAULT 0 CHECK (cut >= 0);
ALTER TABLE group_buy_places ADD COLUMN goods bigint CHECK (goods >= 0);
ALTER TABLE group_buy_places ADD COLUMN fee bigint CHECK (fee >= 0);
ALTER TABLE group_buy_places ADD COLUMN order_id bigint REFERENCES orders (id);
-- When the goods arrive each paid place gets a pickup code (6 digits, one per
-- place in its purchase), sent to its participant once (code_sent_at); the
-- place is collected when the code is shown at the pickup point.
ALTER TABLE group_buy_places ADD COLUMN code text;
ALTER TABLE group_buy_places ADD COLUMN code_sent_at timestamptz;
ALTER TABLE group_buy_places ADD COLUMN collected_at timestamptz;
CREATE UNIQUE INDEX group_buy_places_code ON group_buy_places (purchase_id, code) WHERE code IS NOT NULL;

-- +goose Down
DROP INDEX group_buy_places_code;
ALTER TABLE group_buy_places DROP COLUMN collected_at;
ALTER TABLE group_buy_places DROP COLUMN code_sent_at;
ALTER TABLE group_buy_places DROP COLUMN code;
ALTER TABLE group_buy_places DROP COLUMN cut;
ALTER TABLE group_buy_places DROP CONSTRAINT group_buy_places_status_check;
ALTER TABLE group_buy_places ADD CONSTRAINT group_buy_places_status_check CHECK (status IN ('joined', 'left'));
ALTER TABLE group_buy_places DROP COLUMN order_id;
ALTER TABLE group_buy_places DROP COLUMN fee;
ALTER TABLE group_buy_places DROP COLUMN goods;
