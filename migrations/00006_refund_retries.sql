-- +goose Up

-- When a payment's refund was last asked for: its order:refund job written. The order
-- sweep writes the job of a Stars refund again when it has waited too long (its task
-- was lost with Redis, or kept failing), so a lost task only delays a refund; card
-- refunds are made by staff, who see them in the admin menu.
ALTER TABLE payments ADD COLUMN refund_requested_at timestamptz;
UPDATE payments SET refund_requested_at = created_at WHERE status = 'refund_pending';
CREATE INDEX payments_refund_pending ON payments (refund_requested_at) WHERE status = 'refund_pending';

-- +goose Down
DROP INDEX payments_refund_pending;
ALTER TABLE payments DROP COLUMN refund_requested_at;
