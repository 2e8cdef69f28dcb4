-- +goose Up

-- Sellers' broadcasts: a message of a shop to an audience (its customers, the buyers
-- of a product, its subscribers). The outcomes are counted in broadcast_counters,
-- so the progress is read without counting recipients.
CREATE TABLE broadcasts (
    id                  bigserial PRIMARY KEY,
    shop_id             bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    created_by          bigint NOT NULL REFERENCES users (id),
    idempotency_key     text NOT NULL,                     -- a double tap on "Send" starts one broadcast
    text                text NOT NULL DEFAULT '',          -- as the seller typed it; escaped by the bot
    photo               text NOT NULL DEFAULT '',          -- a Telegram file id; '' for a text message
    product_ids         bigint[] NOT NULL DEFAULT '{}',    -- a button to each
    audience            text NOT NULL CHECK (audience IN ('customers', 'buyers', 'subscribers')),
    audience_product_id bigint REFERENCES products (id) ON DELETE SET NULL,
    status              text NOT NULL CHECK (status IN ('running', 'finished', 'cancelled')),
    materialized_at     timestamptz,                       -- the recipients are recorded; total is their number
    total               integer NOT NULL DEFAULT 0,
    cancelled           integer NOT NULL DEFAULT 0,       -- recipients still pending when it was cancelled
    progress_chat       bigint NOT NULL DEFAULT 0,         -- the seller's message edited with the progress
    progress_message_id bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    finished_at         timestamptz,
    reported_at         timestamptz,                       -- the final report was handed to the sender
    UNIQUE (shop_id, idempotency_key)
);
CREATE INDEX broadcasts_shop ON broadcasts (shop_id, id DESC);
-- The sweep finds running broadcasts and finished ones whose report is not sent.
CREATE INDEX broadcasts_unreported ON broadcasts (id) WHERE reported_at IS NULL;

-- One row per person a broadcast goes to, recorded when it starts; each settles
-- once (pending -> sent, blocked, failed, skipped; or cancelled with the broadcast).
CREATE TABLE broadcast_recipients (
    broadcast_id bigint NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id),
    seq          integer NOT NULL,                     -- 1, 2, ... in user id order: every Nth shows progress
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sent', 'blocked', 'failed', 'skipped', 'cancelled')),
    done_at      timestamptz,
    PRIMARY KEY (broadcast_id, user_id)
);

-- The outcomes of a broadcast, counted in a few rows per broadcast (a recipient's
-- shard is user_id % 16) rather than on the broadcast's row: at a thousand outcomes
-- a second, one row's lock, held to each commit, would be the bottleneck.
CREATE TABLE broadcast_counters (
    broadcast_id bigint NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    shard        smallint NOT NULL,
    sent         integer NOT NULL DEFAULT 0,
    blocked      integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    skipped      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (broadcast_id, shard)
);

-- Subscribers of a shop's news (the toggle on the shop's card).
CREATE TABLE shop_subscribers (
    shop_id    bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, user_id)
);

-- People who opted out of a shop's broadcasts ("unsubscribe" on a broadcast or on
-- the shop's card): left out of every audience of the shop until they subscribe.
CREATE TABLE broadcast_optouts (
    shop_id    bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, user_id)
);

-- +goose Down
DROP TABLE broadcast_optouts, shop_subscribers, broadcast_counters, broadcast_recipients, broadcasts;
