-- +goose Up

-- The demo's Telegram sandbox keeps its world here between runs (see bots/sandbox Snapshot
-- and cmd/vitrina demo): personas, chats with their history, files, and where the numbering
-- of updates stands. Without it a second `vitrina demo` numbered updates from 1 again and
-- showed empty chats beside the orders of the first run. One row per sandbox, by name.
CREATE TABLE sandbox_states (
    name     text PRIMARY KEY,
    state    bytea NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE sandbox_states;
