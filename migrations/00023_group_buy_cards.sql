-- +goose Up
-- A group buy's public cards (core/groupbuy, cards.go): posts the bot made in
-- a channel or a group, and messages shared through inline mode (named by
-- their inline_message_id), each edited as the purchase changes.
CREATE TABLE group_buy_cards (
    id                bigserial PRIMARY KEY,
    purchase_id       bigint NOT NULL REFERENCES group_buys (id),
    chat_id           bigint,
    message_id        bigint,
    inline_message_id text UNIQUE,
    lang              text NOT NULL,
    photo             boolean NOT NULL,
    created_at        timestamptz NOT NULL,
    CHECK ((chat_id IS NOT NULL AND message_id IS NOT NULL) <> (inline_message_id IS NOT NULL)),
    UNIQUE (chat_id, message_id)
);
CREATE INDEX group_buy_cards_purchase ON group_buy_cards (purchase_id, id DESC);

-- +goose Down
DROP TABLE group_buy_cards;
