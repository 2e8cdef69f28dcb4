-- +goose Up
-- The shipping of a group buy's goods to its pickup points, entered by the
-- organizer after they arrived, split among the paid places collected there in
-- proportion to their goods (core/groupbuy.Split), each share invoiced as an
-- order of its own.
ALTER TABLE group_buys ADD COLUMN shipping_total bigint CHECK (shipping_total > 0);
ALTER TABLE group_buy_places ADD COLUMN shipping bigint CHECK (shipping >= 0);
ALTER TABLE group_buy_places ADD COLUMN shipping_order_id bigint REFERENCES orders (id);

-- +goose Down
ALTER TABLE group_buy_places DROP COLUMN shipping_order_id;
ALTER TABLE group_buy_places DROP COLUMN shipping;
ALTER TABLE group_buys DROP COLUMN shipping_total;
