-- +goose Up
-- The shoppers' list of shops puts first the ones that sold most in the last
-- 30 days (postgres.Catalog.Shops): every /start counts each shop's paid
-- orders of that range, from this index rather than all of its orders.
CREATE INDEX orders_shop_paid ON orders (shop_id, paid_at) WHERE paid_at IS NOT NULL;

-- +goose Down
DROP INDEX orders_shop_paid;
