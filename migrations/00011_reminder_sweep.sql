-- +goose Up

-- The reminder sweep finds reminders PostgreSQL says are due and not sent (their task
-- was lost with Redis): unpaid orders past remind_at, completed orders not asked for a
-- review. These indexes keep that a look at the few rows concerned.
CREATE INDEX orders_remind_due ON orders (remind_at) WHERE status = 'awaiting_payment' AND remind_at IS NOT NULL;
CREATE INDEX orders_review_due ON orders (completed_at) WHERE status = 'completed' AND review_requested_at IS NULL;

-- +goose Down
DROP INDEX orders_review_due;
DROP INDEX orders_remind_due;
