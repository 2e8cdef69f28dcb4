-- +goose Up
-- Passing a place on ("пристрой", core/groupbuy, handover.go): the participant
-- invites a replacement with a link (token), the replacement asks, the
-- organizer decides; done, the replacement's place names the old one.
CREATE TABLE group_buy_handovers (
    id           bigserial PRIMARY KEY,
    purchase_id  bigint NOT NULL REFERENCES group_buys (id),
    place_id     bigint NOT NULL REFERENCES group_buy_places (id),
    from_buyer   bigint NOT NULL REFERENCES users (id),
    token        text NOT NULL UNIQUE,
    to_buyer     bigint REFERENCES users (id),
    status       text NOT NULL CHECK (status IN ('invited', 'requested', 'done', 'declined')),
    new_place_id bigint REFERENCES group_buy_places (id),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
-- One open handover a place.
CREATE UNIQUE INDEX group_buy_handovers_open ON group_buy_handovers (place_id) WHERE status IN ('invited', 'requested');

-- +goose Down
DROP TABLE group_buy_handovers;
