-- +goose Up

-- The outbox relay claims rows for a while (claimed_until) instead of holding row locks
-- while it talks to Redis: a checkout that rewrites a pending job's key never waits on a
-- slow or unreachable Redis. A claim left by a crashed relay simply runs out.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;

-- Relayed rows are deleted after a while; this finds them without reading the pending ones.
CREATE INDEX outbox_relayed ON outbox (relayed_at) WHERE relayed_at IS NOT NULL;

-- Wake the relays (LISTEN outbox) as soon as a transaction that wrote jobs commits, so a
-- job does not wait for the next poll. An INSERT ... ON CONFLICT DO UPDATE fires it too.
-- Notifications of one transaction with the same payload are delivered once.
-- +goose StatementBegin
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- The inbox sweeper deletes finished updates once they are older than the de-duplication
-- horizon; this finds them without reading the pending ones.
CREATE INDEX telegram_updates_finished ON telegram_updates (received_at)
    WHERE handled_at IS NOT NULL OR failed_at IS NOT NULL;

-- +goose Down
DROP INDEX telegram_updates_finished;
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
DROP INDEX outbox_relayed;
ALTER TABLE outbox DROP COLUMN claimed_until;
