-- +goose Up

-- An outbox row may cancel a scheduled job instead of scheduling one (core.Job.Cancel):
-- a reminder whose reason went away (the order was paid) is deleted from the queue by
-- its deterministic task id, in the transaction of the change that made it moot. A
-- cancel written while the job it cancels is still pending here replaces it (same key).
ALTER TABLE outbox ADD COLUMN cancel boolean NOT NULL DEFAULT false;

-- This database's identity. Keys that outlive a task in Redis (the ids of sent
-- messages, kept a day) carry it: a database created anew against the same Redis
-- starts its order ids again, and its "order 1 paid" must not pass for the old one's.
CREATE TABLE instance (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    id  uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO instance DEFAULT VALUES;

-- +goose Down
DROP TABLE instance;
ALTER TABLE outbox DROP COLUMN cancel;
