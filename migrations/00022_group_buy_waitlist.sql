-- +goose Up
-- A stopped group buy's waiting list (core/groupbuy, waitlist.go): a place
-- given up unpaid ('released') is offered whole to the first person waiting
-- for its variant; one who takes it gets a place of their own ('passed' marks
-- the old one, from_place_id names it on the new), payable until pay_until.
ALTER TABLE group_buy_places DROP CONSTRAINT group_buy_places_status_check;
ALTER TABLE group_buy_places ADD CONSTRAINT group_buy_places_status_check
    CHECK (status IN ('joined', 'left', 'cut', 'released', 'passed'));
ALTER TABLE group_buy_places ADD COLUMN pay_until timestamptz;
ALTER TABLE group_buy_places ADD COLUMN from_place_id bigint REFERENCES group_buy_places (id);

CREATE TABLE group_buy_waiters (
    id              bigserial PRIMARY KEY,
    purchase_id     bigint NOT NULL REFERENCES group_buys (id),
    buyer_id        bigint NOT NULL REFERENCES users (id),
    variant_id      bigint NOT NULL REFERENCES variants (id),
    pickup_point_id bigint REFERENCES pickup_points (id),
    status          text NOT NULL CHECK (status IN ('waiting', 'offered', 'took', 'passed', 'lapsed', 'left')),
    -- The freed place offered (until offer_until), or taken.
    place_id        bigint REFERENCES group_buy_places (id),
    offer_until     timestamptz,
    -- Waiting again after passing or leaving queues anew.
    queued_at       timestamptz NOT NULL,
    UNIQUE (purchase_id, buyer_id, variant_id)
);
CREATE INDEX group_buy_waiters_queue ON group_buy_waiters (purchase_id, queued_at, id) WHERE status IN ('waiting', 'offered');

-- +goose Down
DROP TABLE group_buy_waiters;
ALTER TABLE group_buy_places DROP COLUMN from_place_id;
ALTER TABLE group_buy_places DROP COLUMN pay_until;
ALTER TABLE group_buy_places DROP CONSTRAINT group_buy_places_status_check;
ALTER TABLE group_buy_places ADD CONSTRAINT group_buy_places_status_check CHECK (status IN ('joined', 'left', 'cut'));
