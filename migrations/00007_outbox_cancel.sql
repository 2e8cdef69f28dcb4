-- +goose Up

-- An outbox row may cancel a scheduled job instead of scheduling one (core.Job.Cancel):
-- a reminder whose reason went away (the order was paid) is deleted from the queue by
-- its deterministic task id, in the transaction of the change that made it moot. A
-- cancel written while the job it cancels is still pending here replaces it (same key).
ALTER TABLE outbox ADD COLUMN cancel boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE outbox DROP COLUMN cancel;
