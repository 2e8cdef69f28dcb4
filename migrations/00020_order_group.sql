-- +goose Up
-- An order of a group buy's place: priced at the purchase's final price, with
-- the organizer's fee apart (fee_total, in total), and no stock of the shop's:
-- the organizer buys the goods for the group from the supplier.
ALTER TABLE orders ADD COLUMN fee_total bigint NOT NULL DEFAULT 0 CHECK (fee_total >= 0);
ALTER TABLE orders ADD COLUMN group_buy_id bigint REFERENCES group_buys (id);
CREATE INDEX orders_group_buy ON orders (group_buy_id) WHERE group_buy_id IS NOT NULL;

-- +goose Down
DROP INDEX orders_group_buy;
ALTER TABLE orders DROP COLUMN group_buy_id;
ALTER TABLE orders DROP COLUMN fee_total;
