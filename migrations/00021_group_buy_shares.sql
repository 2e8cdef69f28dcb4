-- +goose Up
-- At STOP each place's share is fixed (core/groupbuy.Bill): its goods at the
-- final price and its part of the organizer's fee, split so that the parts add
-- up to the fee exactly; then the order each place is paid with.
ALTER TABLE group_buy_places ADD COLUMN goods bigint CHECK (goods >= 0);
ALTER TABLE group_buy_places ADD COLUMN fee bigint CHECK (fee >= 0);
ALTER TABLE group_buy_places ADD COLUMN order_id bigint REFERENCES orders (id);

-- +goose Down
ALTER TABLE group_buy_places DROP COLUMN order_id;
ALTER TABLE group_buy_places DROP COLUMN fee;
ALTER TABLE group_buy_places DROP COLUMN goods;
