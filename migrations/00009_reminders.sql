-- +goose Up

-- Reminders and alerts. Each is an outbox job scheduled by the change that
-- makes it due; its handler re-reads what follows here, so a job fired early, late or
-- twice sends nothing it should not.

-- The seller's settings: an abandoned cart is recalled after cart_reminder_seconds
-- (0: never, the default); a review is asked for review_request_days after an order
-- is completed (0: never).
ALTER TABLE shops
    ADD COLUMN cart_reminder_seconds integer NOT NULL DEFAULT 0 CHECK (cart_reminder_seconds BETWEEN 0 AND 604800),
    ADD COLUMN review_request_days   integer NOT NULL DEFAULT 3 CHECK (review_request_days BETWEEN 0 AND 60);

-- remind_at: when the buyer of an order awaiting payment is to be reminded to pay (null:
-- not at all); set at checkout and moved when a pre-checkout extends the reservation.
-- reminded_at: when they were; a reminder is due once per remind_at.
-- completed_at: when the order was completed, from which the review request counts.
-- review_requested_at: when the buyer was asked for a review (once).
ALTER TABLE orders
    ADD COLUMN remind_at           timestamptz,
    ADD COLUMN reminded_at         timestamptz,
    ADD COLUMN completed_at        timestamptz,
    ADD COLUMN review_requested_at timestamptz;

-- A cart's version: when a shopper last changed their cart in a shop, and when they
-- were last reminded of it. The reminder of a version is sent once, and only if
-- nothing changed and nothing was ordered since.
CREATE TABLE carts (
    buyer_id    bigint NOT NULL REFERENCES users (id),
    shop_id     bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    changed_at  timestamptz NOT NULL,
    reminded_at timestamptz,
    PRIMARY KEY (buyer_id, shop_id)
);

-- "Notify me when available": who waits for a sold-out variant, oldest first.
CREATE TABLE restock_subscriptions (
    user_id    bigint NOT NULL REFERENCES users (id),
    variant_id bigint NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, variant_id)
);
CREATE INDEX restock_subscriptions_variant ON restock_subscriptions (variant_id, created_at, user_id);

-- +goose Down
DROP TABLE restock_subscriptions, carts;
ALTER TABLE orders DROP COLUMN remind_at, DROP COLUMN reminded_at, DROP COLUMN completed_at,
    DROP COLUMN review_requested_at;
ALTER TABLE shops DROP COLUMN cart_reminder_seconds, DROP COLUMN review_request_days;
