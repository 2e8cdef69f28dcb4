-- +goose Up

-- A failed update is tried again after a pause that grows with each attempt
-- (retry_at), not as fast as the sweeper runs: a few minutes of a database or Bot API
-- outage no longer use up an update's attempts (a successful_payment among them)
-- within seconds. NULL: due now. Until then the chat's later updates wait, in order.
ALTER TABLE telegram_updates ADD COLUMN retry_at timestamptz;

-- +goose Down
ALTER TABLE telegram_updates DROP COLUMN retry_at;
